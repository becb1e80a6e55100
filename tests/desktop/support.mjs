// What the desktop tests share: the app binary, tauri-driver, waiting, screenshots.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebDriver } from './webdriver.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const target = process.env.CARGO_TARGET_DIR || resolve(root, 'target');
export const app = process.env.FRONTDESK_DESKTOP_BIN || resolve(target, 'debug/frontdesk-desktop');
const shots = resolve(root, 'docs/screenshots');
export const DRIVER_PORT = 4444;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function waitUntil(what, fn, timeout = 15000) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(200);
  }
}

/** The whole virtual screen (the app opens at 0,0 at its default size) as docs/screenshots/desktop-NAME.png. */
export async function screenshot(name) {
  mkdirSync(shots, { recursive: true });
  const file = join(shots, `desktop-${name}.png`);
  // WebKit paints a moment after the DOM changes, and a window that just opened may not have
  // painted at all yet (a blank screen has one or two colours): wait for a real picture.
  for (let attempt = 0; ; attempt++) {
    await sleep(600);
    execFileSync('import', ['-window', 'root', file]);
    const colours = Number(execFileSync('identify', ['-format', '%k', file]).toString());
    if (colours > 8) return;
    if (attempt === 10) throw new Error(`screenshot ${name}: the screen stayed blank`);
  }
}

/** tauri-driver, which starts the app for each WebDriver session. */
export function startDriver(env) {
  return spawn('tauri-driver', ['--port', String(DRIVER_PORT), '--native-driver', '/usr/bin/WebKitWebDriver'], {
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

/**
 * Runs a test file's clean-up steps, newest first. Every step runs even when one fails (a
 * step left out would leave a server or an app running, and the test runner waiting for
 * them forever); the first failure is thrown at the end.
 */
export async function undo(cleanup) {
  let first = null;
  for (const step of cleanup.reverse()) {
    try {
      await step();
    } catch (e) {
      first ??= e;
    }
  }
  if (first) throw first;
}

/**
 * Ends the app processes running on this data directory, then removes the directory. Ending
 * a WebDriver session closes the window, but the app stays in the tray by design, and when
 * tauri-driver is stopped before WebKitWebDriver has ended the app, nobody does: the orphan
 * kept the test runner waiting on its inherited output forever.
 */
export async function endApps(dataDir) {
  const running = () =>
    readdirSync('/proc')
      .filter((pid) => /^\d+$/.test(pid))
      .filter((pid) => {
        try {
          const env = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
          const cmd = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0')[0];
          // The app and WebKit's processes it started (they inherit its environment and
          // write WebKit's caches into the data directory until they exit).
          const ours = ['/frontdesk-desktop', '/WebKitWebProcess', '/WebKitNetworkProcess'];
          return ours.some((name) => cmd.endsWith(name)) && env.includes(`FRONTDESK_DESKTOP_DATA=${dataDir}`);
        } catch {
          return false; // gone meanwhile, or not ours to read
        }
      })
      .map(Number);
  const signal = (name) => running().forEach((pid) => { try { process.kill(pid, name); } catch { /* exited */ } });
  signal('SIGTERM');
  await waitUntil('the app to exit', async () => running().length === 0, 5000).catch(() => signal('SIGKILL'));
  // A process killed above may still be going away while its files are removed.
  rmSync(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
}

/** The app's environment: its own engine data and its own WebKit storage (the UI's language
 * choice lives there), so no test sees another's state. */
export function appEnv(dataDir, server, extra = {}) {
  return {
    ...process.env,
    FRONTDESK_DESKTOP_DATA: dataDir,
    FRONTDESK_SERVER: server.base,
    XDG_DATA_HOME: join(dataDir, 'xdg-data'),
    XDG_CACHE_HOME: join(dataDir, 'xdg-cache'),
    XDG_CONFIG_HOME: join(dataDir, 'xdg-config'),
    LANG: 'en_US.UTF-8',
    ...extra,
  };
}

/** A visitor on the demo site who asks the demo playbook for a person. */
export async function visitorAsksForPerson(api, admin, name, { language = 'de-DE', referrer = 'https://www.google.de/search?q=crm+live+chat' } = {}) {
  const playbooks = await api.ok('GET', '/api/playbooks', admin.token);
  const demo = (playbooks.playbooks ?? playbooks).find((p) => p.active);
  const session = await api.ok('POST', '/api/visitor/session', null, { playbook_id: demo.id, name, language }, [200, 201]);
  const started = await api.ok('POST', '/api/visitor/start', session.token, {
    page_url: `${api.base}/demo/pricing`,
    referrer,
  });
  assert.ok(started.prompt, 'the demo playbook asks its first question');
  // The first answer of the demo's first question is "Talk to a person".
  const asked = await api.ok('POST', '/api/visitor/answer', session.token, { card_id: started.prompt.card_id, choice: 0 });
  assert.equal(asked.conversation.state, 'waiting');
  return { token: session.token, id: asked.conversation.id };
}

/**
 * The app under WebDriver, signed in as the server's admin, with OS notification pop-ups
 * paused (they would cover the screens; the notification suite is desktop.test.mjs).
 * Everything it starts is undone by the functions it pushes onto `cleanup`.
 */
export async function appSignedInAsAdmin(cleanup, data, server, env = {}) {
  execFileSync('dunstctl', ['set-paused', 'true']);
  cleanup.push(() => execFileSync('dunstctl', ['set-paused', 'false']));
  const driver = startDriver(appEnv(data, server, env));
  cleanup.push(() => driver.kill());
  cleanup.push(() => endApps(data));
  await sleep(800);
  const wd = new WebDriver(`http://127.0.0.1:${DRIVER_PORT}`);
  cleanup.push(() => wd.quit());
  await wd.start(app);
  await wd.type(await wd.waitFor('input[name=email]'), server.adminEmail);
  await wd.type(await wd.find('input[name=password]'), server.adminPassword);
  await wd.click(await wd.find('button[type=submit]'));
  await wd.waitFor('button.presence');
  return wd;
}
