// Leads and deals from the desktop app (S12–S14, B2, B8): the operator edits a chat's details,
// creates a lead (one, however often the button is hit), a deal whose push to the CRM fails
// with the reason and a retry, keeps working while the server is away — the outbox delivers
// it all once the server is back — and creates a deal from the chat after closing it.
// Screens go to docs/screenshots.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../e2e/server.mjs';
import { Api } from '../e2e/support.mjs';
import { appSignedInAsAdmin, sleep, undo, waitUntil, screenshot, visitorAsksForPerson } from './support.mjs';

const cleanup = [];
after(() => undo(cleanup));

// Pipedrive stands behind a port nothing listens on: every push fails for a plain reason
// (the connector's requests themselves are checked against Pipedrive's OpenAPI documents in
// crates/server/tests). Short retries, so it gives up within the test.
const serverArgs = ['--wait-time-secs', '600', '--pipedrive-base-url', 'http://127.0.0.1:9', '--crm-retry-base-ms', '20'];

/** Sets an input's value the way typing does (WebKitWebDriver's clear + keys is slow). */
async function fill(wd, css, value) {
  await wd.exec(
    `const el = document.querySelector(arguments[0]); el.focus(); el.value = arguments[1];
     el.dispatchEvent(new Event('input', { bubbles: true }));`,
    [css, value],
  );
}

/** Scrolls the Details panel to its end, where the created results are listed. */
function showResults(wd) {
  return wd.exec(`const d = document.querySelector('aside.details'); d.scrollTop = d.scrollHeight;`);
}

test('details, a lead, a deal that fails to push, and sales work done offline', { timeout: 240_000 }, async () => {
  const data = mkdtempSync(join(tmpdir(), 'frontdesk-desktop-sales-'));
  let server = await startServer(serverArgs);
  const { addr } = server;
  cleanup.push(() => server.stop());
  const api = new Api(server);
  const admin = await api.admin();

  const wd = await appSignedInAsAdmin(cleanup, data, server);
  await wd.click(await wd.waitFor('button.presence'));
  await wd.waitFor('button.presence[data-presence=on]');

  const chat = await visitorAsksForPerson(api, admin, 'Mara Lindqvist', {
    language: 'en-GB',
    referrer: 'https://www.linkedin.com/',
  });
  await wd.click(await wd.waitFor('button.folder[data-folder=unassigned]'));
  await wd.click(await wd.waitFor(`button.row[data-id="${chat.id}"]`));
  const toggle = await wd.waitFor('button[data-action=details]');
  if ((await wd.attr(toggle, 'aria-pressed')) !== 'true') await wd.click(toggle);
  // Waiting in Unassigned: read-only, and the panel says why.
  await wd.waitFor('.lock-note', { text: 'Assign this conversation to yourself' });
  await wd.click(await wd.waitFor('button[data-action=assign]'));
  await wd.waitFor('#composer');
  await waitUntil('the form editable', async () => (await wd.find('.lock-note')) === null);

  // S12: the details, saved through the outbox to the server.
  await fill(wd, '#sales-value', '24,000');
  await fill(wd, '#sales-organization', 'Lindqvist Design AB');
  await fill(wd, '#sales-emails', 'mara@lindqvist.example');
  await fill(wd, '#sales-notes', 'Team of 9 designers; wants a quote for the annual plan.');
  await wd.exec(`const s = document.querySelector('#sales-currency'); s.value = 'EUR';
    s.dispatchEvent(new Event('input', { bubbles: true }));`);
  await wd.click(await wd.waitFor('button[data-action=save-details]'));
  await waitUntil('the details on the server', async () => {
    const s = (await api.detail(admin, chat.id)).details.sales;
    return s.value === 24000 && s.currency === 'EUR' && s.organization.name === 'Lindqvist Design AB';
  });
  await wd.waitFor('.sales-status', { text: 'Changed by' });

  // S13: Create lead, hit twice in a row (a double click): one lead.
  await wd.exec(`const b = document.querySelector('button[data-action=create-lead]'); b.click(); b.click();`);
  await wd.waitFor('li[data-result=lead][data-status=local]', { text: 'Lindqvist Design AB' });
  await sleep(1000);
  const leads = (await api.detail(admin, chat.id)).details.results.filter((r) => r.kind === 'lead');
  assert.equal(leads.length, 1, 'one lead however often the button was hit');

  // B8: with Pipedrive connected (but unreachable), a deal is pushed, fails with the reason,
  // and can be tried again.
  await api.ok('PUT', '/api/admin/crm/pipedrive', admin.token, { company_domain: 'lindqvist-test', api_token: 'not-a-real-token' });
  await wd.click(await wd.find('button[data-action=more]'));
  await wd.click(await wd.waitFor('button[data-action=create-deal]'));
  const failed = await wd.waitFor('li[data-result=deal][data-status=failed]', { timeout: 30_000 });
  assert.match(await wd.text(failed), /Not in Pipedrive: Pipedrive could not be reached/);
  await showResults(wd);
  await screenshot('sales');
  await wd.click(await wd.find('li[data-result=deal] button[data-action=retry-push]'));
  await waitUntil('the retry in the audit trail', async () => {
    const trail = await api.ok('GET', `/api/conversations/${chat.id}/audit`, admin.token);
    return trail.some((e) => e.action === 'push_retried');
  });
  await wd.waitFor('li[data-result=deal][data-status=failed]', { timeout: 30_000 });

  // B2: the server goes away; details and a new lead wait in the outbox …
  await server.stop({ keepData: true });
  await wd.waitFor('[data-sync]', { text: 'Offline', timeout: 30_000 });
  await fill(wd, '#sales-notes', 'Quote sent by mail. Call back on Monday.');
  await wd.click(await wd.waitFor('button[data-action=save-details]'));
  await wd.waitFor('[data-sales-status=queued]');
  await wd.click(await wd.find('button[data-action=create-lead]'));
  await wd.waitFor('li[data-unsent=create_lead][data-status=pending]', { text: 'Waiting to be sent' });
  await wd.waitFor('[data-sync]', { text: '2 sales changes waiting to send' });
  await showResults(wd);
  await screenshot('sales-offline');

  // … and reach the server once it is back (same address, same data).
  server = await startServer(serverArgs, { data: server.data, listen: addr });
  await waitUntil(
    'the offline work on the server',
    async () => {
      const d = (await api.detail(admin, chat.id)).details;
      return d.sales.notes === 'Quote sent by mail. Call back on Monday.' && d.results.filter((r) => r.kind === 'lead').length === 2;
    },
    60_000,
  );
  await wd.waitFor('li[data-result=lead]:nth-of-type(1)');
  await waitUntil('the outbox empty in the app', async () => (await wd.find('li[data-unsent]')) === null);
  await sleep(1500);
  const after = (await api.detail(admin, chat.id)).details.results;
  assert.equal(after.filter((r) => r.kind === 'lead').length, 2, 'the offline lead created once');

  // S14: closed, the chat is final, but whoever handled it still turns it into a deal.
  await wd.waitFor('[data-sync=live]', { timeout: 30_000 });
  await wd.click(await wd.waitFor('button[data-action=close]'));
  await wd.click(await wd.waitFor('button[data-action=confirm-close]'));
  await wd.click(await wd.waitFor('button.folder[data-folder=closed]'));
  await wd.click(await wd.waitFor(`button.row[data-id="${chat.id}"]`));
  await waitUntil('the closed chat open', async () => (await wd.find('#composer')) === null);
  assert.equal(await wd.find('.lock-note'), null, 'the last handler may still edit');
  await wd.click(await wd.waitFor('button[data-action=more]'));
  await wd.click(await wd.waitFor('button[data-action=create-deal]'));
  await waitUntil('a deal from the closed chat on the server', async () => {
    const d = await api.detail(admin, chat.id);
    return d.conversation.state === 'closed' && d.details.results.filter((r) => r.kind === 'deal').length === 2;
  });
});
