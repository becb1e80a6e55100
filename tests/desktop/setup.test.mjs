// An admin sets up live chat in the desktop app (S1–S3, S6): a playbook from "Chat with your
// leads", its colour and icon (the live preview — the real widget — follows), the livechat
// card's wait time and texts, a capture card added to the offline path, a validation problem
// shown on its card and fixed, activation, the demo site allowed — and a visitor on /demo in
// Chromium sees the new colour and texts and, with nobody online, the new offline path.
// Screens go to docs/screenshots.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../e2e/server.mjs';
import { Api, launchBrowser, newPage, gotoDemo, openChat, choose, waitForLog, answerText } from '../e2e/support.mjs';
import { appSignedInAsAdmin, undo, waitUntil, screenshot } from './support.mjs';

const cleanup = [];
after(() => undo(cleanup));

/** Sets a field's value the way typing does and lets the UI see it. */
async function fill(wd, css, value) {
  await wd.exec(
    `const el = document.querySelector(arguments[0]); el.focus(); el.value = arguments[1];
     el.dispatchEvent(new Event('input', { bubbles: true }));`,
    [css, value],
  );
}

async function choose_(wd, css, value) {
  await wd.exec(
    `const el = document.querySelector(arguments[0]); el.value = arguments[1];
     el.dispatchEvent(new Event('change', { bubbles: true }));`,
    [css, value],
  );
}

/** What the preview frame's widget shows: its primary colour and its text. */
function previewWidget(wd) {
  return wd.exec(`
    const f = document.querySelector('iframe.preview-frame');
    const host = f && f.contentDocument && f.contentDocument.querySelector('frontdesk-widget');
    if (!host || !host.shadowRoot) return null;
    const root = host.shadowRoot.querySelector('.fd');
    return { color: root.style.getPropertyValue('--fd-p'), text: host.shadowRoot.textContent };`);
}

test('an admin sets up a playbook that a visitor then gets on the demo site', { timeout: 300_000 }, async () => {
  const data = mkdtempSync(join(tmpdir(), 'frontdesk-desktop-setup-'));
  const server = await startServer(['--wait-time-secs', '600']);
  cleanup.push(() => server.stop());
  const api = new Api(server);
  const admin = await api.admin();
  const wd = await appSignedInAsAdmin(cleanup, data, server);

  await wd.click(await wd.waitFor('button[data-view=setup]'));
  await wd.waitFor('.playbook-row');
  await wd.click(await wd.waitFor('button[data-action=create-playbook]'));
  await wd.waitFor('.editor .flow-card[data-card=livechat]');
  const id = await wd.exec(`return document.querySelector('.editor').dataset.editor`);

  // Appearance: colour and icon; the preview (the real widget) follows.
  await wd.click(await wd.waitFor('button[data-section=appearance]'));
  await fill(wd, 'input[name=primary_color]', '#0f766e');
  await wd.click(await wd.waitFor('input[name=icon][value=headset]'));
  await waitUntil('the preview in the new colour', async () => (await previewWidget(wd))?.color === '#0f766e', 20_000);
  await wd.waitFor('.contrast.good');
  await screenshot('setup-appearance');

  // The livechat card: wait time and texts.
  await wd.click(await wd.waitFor('button[data-section=flow]'));
  await wd.click(await wd.waitFor('[data-card=livechat] .card-summary'));
  await fill(wd, '[data-form=livechat] input[name=wait_secs]', '45');
  await fill(wd, '[data-form=livechat] textarea[name=online_message]', 'Give us a moment: a colleague is on the way.');
  await fill(wd, '[data-form=livechat] textarea[name=offline_message]', 'Nobody is free right now. Leave your number and we call you back.');

  // A capture card at the start of the offline path (the path under the livechat card).
  await choose_(wd, 'select[data-insert=offline-name]', 'capture');
  await wd.waitFor('[data-form=capture-1]');
  await choose_(wd, '[data-form=capture-1] select[name=field]', 'phone');
  // A mistake first: an empty question. The server's validation names the card.
  await fill(wd, '[data-form=capture-1] textarea[name=text]', '');
  await wd.waitFor('[data-card=capture-1] .card-problem');
  assert.equal(await wd.exec(`return document.querySelector('[data-action=save-playbook]').disabled`), true, 'no save with a problem');
  await fill(wd, '[data-form=capture-1] textarea[name=text]', 'What number can we call you on?');
  await waitUntil('the problem gone', async () => (await wd.find('.card-problem')) === null);
  await screenshot('setup-editor');

  await waitUntil('saveable', async () => (await wd.exec(`return !document.querySelector('[data-action=save-playbook]').disabled`)));
  await wd.click(await wd.find('button[data-action=save-playbook]'));
  await wd.waitFor('[data-version="2"]');
  const saved = await api.ok('GET', `/api/playbooks/${id}`, admin.token);
  assert.equal(saved.version, 2);
  assert.equal(saved.definition.cards.livechat.wait_secs, 45);
  assert.equal(saved.definition.cards.livechat.offline_next, 'capture-1');
  assert.deepEqual(saved.definition.cards['capture-1'].field, 'phone');

  // Install: activate, allow the demo site, the snippet.
  await wd.click(await wd.waitFor('button[data-section=install]'));
  await wd.click(await wd.waitFor('.install button[data-action=activate]'));
  await wd.waitFor('.install button[data-action=deactivate]');
  await fill(wd, 'textarea[name=origins]', `${server.base}/`);
  await wd.click(await wd.find('button[data-action=save-sites]'));
  await wd.waitFor('.install [role=status]', { text: 'Saved' });
  await wd.waitFor('#snippet', { text: id });
  await screenshot('setup-install');
  const installed = await api.ok('GET', `/api/playbooks/${id}`, admin.token);
  assert.equal(installed.active, true);
  assert.deepEqual(installed.allowed_origins, [server.base]);

  // A visitor on the demo site with this playbook; nobody is online (the admin never went online).
  const browser = await launchBrowser();
  cleanup.push(() => browser.close());
  const page = await newPage(browser);
  await gotoDemo(page, server, `/demo?playbook=${id}`);
  const launcherColor = await page.evaluate(() =>
    getComputedStyle(document.querySelector('frontdesk-widget').shadowRoot.querySelector('.launch')).backgroundColor,
  );
  assert.equal(launcherColor, 'rgb(15, 118, 110)', 'the new colour on the website');
  await openChat(page);
  await choose(page, 'Talk to a person');
  await waitForLog(page, 'Nobody is free right now. Leave your number and we call you back.');
  await waitForLog(page, 'What number can we call you on?');
  await answerText(page, '+49 30 1234567');
  await waitForLog(page, 'What is your name?');
  assert.deepEqual(page.consoleErrors, []);

  // Operators: the list, with the admin's own account not disableable.
  await wd.click(await wd.waitFor('button[data-tab=operators]'));
  await wd.waitFor(`tr[data-operator="${server.adminEmail}"]`);
  await fill(wd, '.new-operator input[name=display_name]', 'Jonas Weber');
  await fill(wd, '.new-operator input[name=email]', 'jonas@example.com');
  await wd.click(await wd.find('button[data-action=add-operator]'));
  await wd.waitFor('[data-created="jonas@example.com"]');
  const password = await wd.exec(`return document.querySelector('[data-password]').textContent`);
  const jonas = await api.login('jonas@example.com', password);
  assert.ok(jonas.token, 'the handed-over password signs in');
  const refused = await api.call('GET', '/api/playbooks', jonas.token);
  assert.equal(refused.status, 403, 'an operator gets no admin call');
  await screenshot('setup-operators');
  await wd.click(await wd.waitFor('button[data-tab=playbooks]'));
  await wd.waitFor(`.playbook-row[data-playbook="${id}"] [data-state=active]`);
  await screenshot('setup-playbooks');

  // A blank playbook starts valid: the preview runs it at once.
  await choose_(wd, '.create-playbook select[name=template]', 'blank');
  await wd.click(await wd.find('button[data-action=create-playbook]'));
  await wd.waitFor('.editor .flow-card[data-card=start]');
  await wd.waitFor('iframe.preview-frame');
  assert.equal(await wd.find('.problems'), null);
});
