import { describe, expect, it } from 'vitest';
import { MemoryBackend } from '../src/backend/memory';
import { formFrom, requestFrom } from '../src/components/Sales';
import { $, $$, click, flush, mount, text, type } from './helpers';

async function openWithDetails(b: MemoryBackend, folder: string, id: string) {
  const m = await mount(b);
  if (!m.inbox.state.showDetails) m.inbox.toggleDetails();
  await click($(m.root, `[data-folder=${folder}]`));
  await click($(m.root, `.row[data-id=${id}]`));
  return m;
}

const input = (root: HTMLElement, name: string) => $(root, `#sales-${name}`) as HTMLInputElement;

describe('the sales form', () => {
  it('reads thousands separators and lists; refuses a value that is not a whole number', () => {
    const base = formFrom(new MemoryBackend().get('c-marcus').details.sales);
    expect(requestFrom({ ...base, value: '12.500', currency: 'EUR' })?.value).toBe(12500);
    expect(requestFrom({ ...base, value: '12,500' })?.value).toBe(12500);
    expect(requestFrom({ ...base, value: '' })).toMatchObject({ value: null, currency: null });
    expect(requestFrom({ ...base, value: '12 500' })?.value).toBe(12500);
    expect(requestFrom({ ...base, value: '1,000,000' })?.value).toBe(1000000);
    // Decimals are refused, not read as a hundred times the amount.
    for (const wrong of ['12.5k', '12.50', '1,5', '1,000.50', '12,50,0']) {
      expect(requestFrom({ ...base, value: wrong }), wrong).toBeNull();
    }
    const r = requestFrom({ ...base, emails: 'a@x.example, b@x.example;c@x.example', phones: '+49 30 1234; +1 555 0100' });
    expect(r?.contact?.emails).toEqual(['a@x.example', 'b@x.example', 'c@x.example']);
    expect(r?.contact?.phones).toEqual(['+49 30 1234', '+1 555 0100']);
  });

  it('saves while offline into the outbox, says so, and shows the saved details once sent', async () => {
    const b = new MemoryBackend({ autoDeliver: false });
    const { root } = await openWithDetails(b, 'mine', 'c-sofia');
    expect($(root, '[data-action=save-details]')).toBeNull();
    b.setConnected(false);
    await type(input(root, 'value'), '8 000');
    await type(input(root, 'organization'), 'Brandt & Söhne');
    await click($(root, '[data-action=save-details]'));
    const saved = b.calls.find(([c]) => c === 'update_details')?.[1] as { details: { value: number } };
    expect(saved.details.value).toBe(8000);
    expect(text($(root, '[data-sales-status]'))).toContain('sent as soon as the server is reachable');
    expect(input(root, 'value').value).toBe('8000');
    expect(text($(root, '[data-sync]'))).toContain('1 sales change waiting to send');

    b.setConnected(true);
    b.deliverOutbox();
    await flush();
    expect($(root, '[data-sales-status]')).toBeNull();
    expect(text($(root, '.sales-status'))).toContain('Changed by Sam Keller');
    expect(input(root, 'organization').value).toBe('Brandt & Söhne');
  });

  it('says what is wrong with the value without calling the engine', async () => {
    const b = new MemoryBackend();
    const { root } = await openWithDetails(b, 'mine', 'c-sofia');
    await type(input(root, 'value'), 'about 5k');
    await click($(root, '[data-action=save-details]'));
    expect(text($(root, '.field-error'))).toContain('whole units');
    expect(b.calls.some(([c]) => c === 'update_details')).toBe(false);
  });

  it('is read-only with the reason on a chat still waiting in Unassigned', async () => {
    const b = new MemoryBackend();
    const { root } = await openWithDetails(b, 'unassigned', 'c-lena');
    expect(text($(root, '.lock-note'))).toContain('Assign this conversation to yourself');
    expect(input(root, 'contact').disabled).toBe(true);
    expect($(root, '[data-action=create-lead]')).toBeNull();
  });
});

describe('created results', () => {
  it('a double click creates one lead; Create deal sits in the … menu', async () => {
    const b = new MemoryBackend({ autoDeliver: false });
    const { root } = await openWithDetails(b, 'mine', 'c-sofia');
    const lead = $(root, '[data-action=create-lead]')!;
    lead.click();
    lead.click();
    await flush();
    // A human double click: the second comes after the first was queued.
    await click($(root, '[data-action=create-lead]'));
    expect(b.calls.filter(([c]) => c === 'create_result')).toHaveLength(1);
    expect(text($(root, '[data-unsent=create_lead]'))).toContain('Waiting to be sent');

    expect($(root, '[data-action=create-deal]')).toBeNull();
    await click($(root, '[data-action=more]'));
    await click($(root, '[data-action=create-deal]'));
    expect($(root, '.menu')).toBeNull();
    b.deliverOutbox();
    await flush();
    expect($$(root, '[data-result]').map((li) => li.dataset.result)).toEqual(['lead', 'deal']);
    expect(text($(root, '[data-result=deal]'))).toContain('In Frontdesk only');
  });

  it('shows the CRM status: a link when synced, the reason and a retry when failed', async () => {
    const b = new MemoryBackend();
    const { root } = await openWithDetails(b, 'mine', 'c-marcus');
    await click($(root, '[data-result=lead] [data-action=open-link]'));
    expect(b.opened).toEqual(['r-c-marcus']);

    await click($(root, '[data-folder=offline]'));
    await click($(root, '.row[data-id=c-off1]'));
    const failed = $(root, '[data-result=deal][data-status=failed]');
    expect(text(failed)).toContain('Not in Pipedrive: Pipedrive refused the API token');
    await click($(failed!, '[data-action=retry-push]'));
    expect(text($(root, '[data-result=deal]'))).toContain('Sending to Pipedrive');
  });

  it('keeps a refused creation with the reason until retried or discarded', async () => {
    const b = new MemoryBackend({ autoDeliver: false });
    const { root } = await openWithDetails(b, 'mine', 'c-tom');
    await click($(root, '[data-action=create-lead]'));
    const c = b.get('c-tom');
    c.row.assignee_id = 'op-jonas'; // handed over elsewhere before the outbox drained
    b.deliverOutbox();
    await flush();
    const refused = $(root, '[data-unsent=create_lead][data-status=failed]');
    expect(text(refused)).toContain('Not created: the conversation is no longer assigned to you');
    await click($(refused!, '[data-action=discard]'));
    expect($(root, '[data-unsent]')).toBeNull();
  });
});
