// What the desktop tests share: the app binary, tauri-driver, waiting, screenshots.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

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
  // WebKit paints a moment after the DOM changes.
  await sleep(600);
  execFileSync('import', ['-window', 'root', join(shots, `desktop-${name}.png`)]);
}

/** tauri-driver, which starts the app for each WebDriver session. */
export function startDriver(env) {
  return spawn('tauri-driver', ['--port', String(DRIVER_PORT), '--native-driver', '/usr/bin/WebKitWebDriver'], {
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
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
