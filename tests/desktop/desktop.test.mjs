// The operator desktop app end to end: the real `frontdesk-desktop` under Xvfb with its own
// D-Bus session, driven through WebDriver (tauri-driver + WebKitWebDriver), against the real
// server, with a visitor driven over the API. Screens are captured into docs/screenshots.
//
// sign in → go online from the tray menu (over D-Bus) → a visitor asks for a person → the
// chat appears in Unassigned with its countdown and an OS notification → assign → messages
// both ways → close → the server stops → the app restarts → the closed chat is readable and
// found by search offline → a message typed offline is delivered once when the server is back.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../e2e/server.mjs';
import { WebDriver } from './webdriver.mjs';
import { findTrayMenu, trayItems, clickTray, monitorNotifications } from './dbus.mjs';
import { app, appEnv, DRIVER_PORT, endApps, sleep, undo, waitUntil, screenshot, startDriver } from './support.mjs';

async function api(server, method, path, token, body) {
  const res = await fetch(`${server.base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json().catch(() => null);
  return { status: res.status, body: json };
}

const cleanup = [];
after(() => undo(cleanup));

test('an operator works a chat in the desktop app, online and offline', { timeout: 240_000 }, async () => {
  const data = mkdtempSync(join(tmpdir(), 'frontdesk-desktop-'));
  let server = await startServer(['--wait-time-secs', '300', '--presence-grace-ms', '3000']);
  const { addr } = server;
  cleanup.push(() => server.stop());
  const notifications = monitorNotifications();
  cleanup.push(() => notifications.stop());
  const env = appEnv(data, server);
  const driver = startDriver(env);
  cleanup.push(() => driver.kill());
  cleanup.push(() => endApps(data));
  await sleep(800);
  const wd = new WebDriver(`http://127.0.0.1:${DRIVER_PORT}`);
  cleanup.push(() => wd.quit());
  await wd.start(app);
  assert.equal(await wd.title(), 'Frontdesk');

  // Sign in: the server is preselected from FRONTDESK_SERVER.
  const serverField = await wd.waitFor('input[name=server]');
  assert.equal(await wd.attr(serverField, 'value'), server.base);
  await wd.type(await wd.find('input[name=email]'), server.adminEmail);
  await wd.type(await wd.find('input[name=password]'), server.adminPassword);
  await screenshot('sign-in');
  await wd.click(await wd.find('button[type=submit]'));
  await wd.waitFor('button.presence');

  // Online from the tray menu, read and clicked over D-Bus; the window's toggle agrees.
  const menu = await waitUntil('the tray menu on the session bus', async () => findTrayMenu());
  const labels = trayItems(menu).map((i) => i.label);
  assert.deepEqual(labels, ['Show inbox', 'Go online', 'Go offline', 'Quit']);
  clickTray(menu, 'Go online');
  await wd.waitFor('button.presence[data-presence=on]');
  await waitUntil('the tray to offer "Go offline"', async () => trayItems(menu).find((i) => i.label === 'Go offline')?.enabled);

  // A visitor asks for a person: the chat arrives in Unassigned with its countdown, and the
  // OS is asked to show a notification.
  const visitor = (await api(server, 'POST', '/api/visitor/session', null, { name: 'Vera Visitor' })).body;
  const chat = (await api(server, 'POST', '/api/visitor/livechat', visitor.token)).body;
  assert.equal(chat.state, 'waiting');
  await wd.click(await wd.find('button.folder[data-folder=unassigned]'));
  const row = await wd.waitFor(`button.row[data-id="${chat.id}"]`);
  const countdown = await wd.waitFor(`[data-countdown="${chat.id}"]`);
  assert.match(await wd.text(countdown), /\d:\d\d/);
  await waitUntil('a notification for the new chat', async () => notifications.calls().find((c) => /Vera Visitor/.test(`${c.summary} ${c.body}`)));
  await screenshot('unassigned');

  // A click on the notification opens that conversation (dunst's default action = a click).
  execFileSync('dunstctl', ['action', '0']);
  await wd.waitFor('section.conv[aria-label="Vera Visitor"]');

  // Assign, then messages both ways.
  await wd.click(row);
  await wd.click(await wd.waitFor('button[data-action=assign]'));
  await wd.waitFor('#composer');
  const composer = await wd.find('#composer');
  await wd.type(composer, 'Hello Vera, how can I help?\uE007');
  await waitUntil('the operator message at the visitor', async () => {
    const v = (await api(server, 'GET', '/api/visitor/conversation', visitor.token)).body;
    return v.messages.some((m) => m.body === 'Hello Vera, how can I help?');
  });
  await api(server, 'POST', '/api/visitor/messages', visitor.token, { message_id: crypto.randomUUID(), body: 'Do you offer annual billing discounts?' });
  await wd.waitFor('.messages', { text: 'annual billing discounts' });
  await screenshot('conversation');

  // A second chat stays open for the offline part.
  const visitor2 = (await api(server, 'POST', '/api/visitor/session', null, { name: 'Otto Offline' })).body;
  const chat2 = (await api(server, 'POST', '/api/visitor/livechat', visitor2.token)).body;
  await wd.click(await wd.waitFor(`button.row[data-id="${chat2.id}"]`));
  await wd.click(await wd.waitFor('button[data-action=assign]'));
  await wd.waitFor('#composer');

  // Close the first one, with confirmation.
  await wd.click(await wd.find('button.folder[data-folder=mine]'));
  await wd.click(await wd.waitFor(`button.row[data-id="${chat.id}"]`));
  await wd.click(await wd.waitFor('button[data-action=close]'));
  await wd.click(await wd.waitFor('button[data-action=confirm-close]'));
  const admin = (await api(server, 'POST', '/api/auth/login', null, { email: server.adminEmail, password: server.adminPassword })).body;
  await waitUntil('the chat closed on the server', async () => {
    const c = (await api(server, 'GET', `/api/conversations/${chat.id}`, admin.token)).body;
    return c.conversation.state === 'closed';
  });

  // The server goes away; the app is restarted with it gone.
  await server.stop({ keepData: true });
  await wd.quit();
  await sleep(500);
  await wd.start(app);
  await wd.waitFor('button.presence');
  await wd.click(await wd.waitFor('button.folder[data-folder=closed]'));
  await wd.click(await wd.waitFor(`button.row[data-id="${chat.id}"]`));
  await wd.waitFor('.messages', { text: 'annual billing discounts' });
  assert.equal(await wd.find('#composer'), null, 'a closed conversation is read-only');
  await screenshot('offline-closed');

  // Full-text search over the cache, offline, with the hit highlighted.
  const search = await wd.find('input[type=search]');
  await wd.type(search, 'billing');
  await wd.waitFor('ul.hits mark', { text: /billing/i });
  await screenshot('offline-search');
  await wd.clear(search);

  // A message typed offline waits in the outbox …
  await wd.click(await wd.waitFor('button.folder[data-folder=mine]'));
  await wd.click(await wd.waitFor(`button.row[data-id="${chat2.id}"]`));
  await wd.type(await wd.waitFor('#composer'), 'Sorry for the wait, Otto!\uE007');
  await wd.waitFor('.messages', { text: 'Sorry for the wait' });

  // … and is delivered exactly once when the server is back (same address, same data).
  server = await startServer(['--wait-time-secs', '300'], { data: server.data, listen: addr });
  await waitUntil(
    'the offline message at the visitor',
    async () => {
      const v = (await api(server, 'GET', '/api/visitor/conversation', visitor2.token)).body;
      return v.messages.some((m) => m.body === 'Sorry for the wait, Otto!');
    },
    60000,
  );
  await sleep(2000);
  const v2 = (await api(server, 'GET', '/api/visitor/conversation', visitor2.token)).body;
  assert.equal(v2.messages.filter((m) => m.body === 'Sorry for the wait, Otto!').length, 1, 'delivered once');
  await screenshot('back-online');
});
