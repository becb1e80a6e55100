// A team in the desktop app, in German: the Details panel, Reassign (only colleagues who are
// online are offered, live), and going offline while holding open chats (B4) — the app asks
// what to do with them and the server does exactly that. Screens go to docs/screenshots.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../e2e/server.mjs';
import { Api } from '../e2e/support.mjs';
import { appSignedInAsAdmin, undo, waitUntil, screenshot, visitorAsksForPerson } from './support.mjs';

const cleanup = [];
after(() => undo(cleanup));

test('details, reassign and going offline with open chats, in German', { timeout: 180_000 }, async () => {
  const data = mkdtempSync(join(tmpdir(), 'frontdesk-desktop-team-'));
  const server = await startServer(['--wait-time-secs', '600']);
  cleanup.push(() => server.stop());
  const api = new Api(server);
  const admin = await api.admin();
  // A colleague who is online (chose online, stream open) and one who is not.
  const carla = await api.operator(admin, 'Carla Kollegin');
  const carlaStream = await api.goOnline(carla);
  cleanup.push(() => carlaStream.close());
  await api.operator(admin, 'Olaf Abwesend');

  // A German desktop.
  const wd = await appSignedInAsAdmin(cleanup, data, server, { LANG: 'de_DE.UTF-8', LANGUAGE: 'de' });

  // German from the language menu; the choice is kept for the next start.
  await wd.waitFor('select.select-small');
  await wd.exec(`const s = document.querySelector('select.select-small');
    s.value = 'de'; s.dispatchEvent(new Event('change', { bubbles: true }));`);
  await waitUntil('the inbox in German', () =>
    wd.exec(`return document.querySelector('button.folder[data-folder=unassigned]').textContent.includes('Nicht zugewiesen')`),
  );
  await wd.click(await wd.find('button.presence'));
  await wd.waitFor('button.presence[data-presence=on]');

  const greta = await visitorAsksForPerson(api, admin, 'Greta Gast');
  const henrik = await visitorAsksForPerson(api, admin, 'Henrik Hansen');
  for (const chat of [greta, henrik]) {
    await wd.click(await wd.waitFor('button.folder[data-folder=unassigned]'));
    await wd.click(await wd.waitFor(`button.row[data-id="${chat.id}"]`));
    await wd.click(await wd.waitFor('button[data-action=assign]'));
    await wd.waitFor('#composer');
  }
  await api.ok('POST', '/api/visitor/messages', greta.token, {
    message_id: crypto.randomUUID(),
    body: 'Wir sind 12 Leute im Vertrieb. Was kostet das pro Monat?',
  });

  // Details: what the playbook knows — the page the chat started on and where the visitor came from.
  await wd.click(await wd.waitFor('button.folder[data-folder=mine]'));
  await wd.click(await wd.waitFor(`button.row[data-id="${greta.id}"]`));
  await wd.waitFor('.messages', { text: 'pro Monat' });
  const toggle = await wd.waitFor('button[data-action=details]');
  if ((await wd.attr(toggle, 'aria-pressed')) !== 'true') await wd.click(toggle);
  await wd.waitFor('aside.details');
  await screenshot('details-de');
  const panel = await waitUntil('the page and the referrer in Details', async () => {
    const t = await wd.exec(`return document.querySelector('aside.details').textContent`);
    return t.includes('/demo/pricing') && t;
  });
  assert.match(panel, /google\.de/);

  // Reassign offers exactly the colleagues who are online: Carla, not Olaf, not me.
  await wd.click(await wd.find('button[data-action=reassign]'));
  const dialog = await wd.waitFor('[data-dialog=reassign]', { text: 'Carla Kollegin' });
  assert.doesNotMatch(await wd.text(dialog), /Olaf/);
  await screenshot('reassign-de');
  await wd.click(await wd.find('[data-dialog=reassign] input[type=radio]'));
  await wd.click(await wd.find('button[data-action=confirm-reassign]'));
  await waitUntil('Greta’s chat with Carla on the server', async () => {
    const d = await api.detail(carla, greta.id);
    return d.conversation.assignee_id === carla.id;
  });
  // It is Carla's now, no longer visible to me: the pane closes, and no error is shown.
  await wd.waitFor('section.conv-empty');
  await waitUntil('Greta’s row gone from my list', async () => (await wd.find(`button.row[data-id="${greta.id}"]`)) === null);
  assert.equal(await wd.find('.toast'), null);

  // Going offline while holding Henrik's chat: the app asks first (B4).
  await wd.click(await wd.find('button.presence'));
  const offline = await wd.waitFor('[data-dialog=offline]', { text: 'Carla Kollegin' });
  assert.match(await wd.text(offline), /noch 1 offene Unterhaltung/);
  await screenshot('go-offline-de');
  // "Back to Unassigned" instead of handing it to Carla.
  await wd.click(await wd.find('[data-dialog=offline] input[value=release]'));
  await wd.click(await wd.find('button[data-action=go-offline]'));
  await wd.waitFor('button.presence[data-presence=off]');
  await waitUntil('Henrik’s chat back in Unassigned', async () => {
    const d = await api.detail(admin, henrik.id);
    return d.conversation.state === 'waiting' && d.conversation.assignee_id === null;
  });
  const me = await api.ok('GET', '/api/me/presence', admin.token);
  assert.equal(me.chose_online, false);
  // Carla kept the chat handed to her.
  assert.equal((await api.detail(carla, greta.id)).conversation.assignee_id, carla.id);
});
