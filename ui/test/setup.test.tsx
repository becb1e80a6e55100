import { describe, expect, it } from 'vitest';
import { BackendError } from '../src/backend/backend';
import { MemoryBackend } from '../src/backend/memory';
import { sampleDefinition } from '../src/backend/memory-admin';
import type { PlaybookPreview, PreviewRequest } from '../src/backend/types';
import { loadDraft } from '../src/admin/draft';
import {
  contrastRatio,
  deleteCard,
  flowRows,
  insertCard,
  problemsByCard,
  targetOf,
} from '../src/admin/playbook';
import { PreviewSession } from '../src/admin/preview-transport';
import { draftOwner, generatePassword, Setup } from '../src/admin/setup';
import { $, $$, click, flush, mount, text } from './helpers';

/** Opens the set-up (its code loads on first use) and waits for its list. */
async function openSetup(root: HTMLElement): Promise<void> {
  await click($(root, '[data-view=setup]'));
  for (let i = 0; i < 50 && !$(root, '.playbook-name'); i++) await flush();
}

describe('editing the card graph', () => {
  it('inserts a card into a path: the path leads to it and it leads on to where the path led', () => {
    const pb = sampleDefinition();
    const slot = { kind: 'offline', card: 'livechat' } as const;
    const { pb: out, id } = insertCard(pb, slot, 'capture');
    expect(id).toBe('capture-1');
    expect(targetOf(out, slot)).toBe('capture-1');
    expect(out.cards['capture-1']).toMatchObject({ kind: 'capture', next: 'offline-email' });
    expect(pb.cards.livechat).toMatchObject({ offline_next: 'offline-email' }); // the input is untouched
    // An end card ends the path where it is inserted.
    const ended = insertCard(pb, { kind: 'answer', card: 'start', index: 1 }, 'qualified');
    expect(ended.pb.cards.start).toMatchObject({ answers: [{ next: 'livechat' }, { next: 'qualified-1' }] });
  });

  it('deletes a card and leads every path that reached it to where it led', () => {
    const out = deleteCard(sampleDefinition(), 'offline-lead');
    expect(out.cards['offline-lead']).toBeUndefined();
    expect(out.cards['offline-email']).toMatchObject({ next: 'offline-done' });
    const noStart = deleteCard(sampleDefinition(), 'start');
    expect(noStart.start).toBe('livechat');
  });

  it('shows each card once along its paths, jumps for shared ones, and unreachable cards last', () => {
    const pb = sampleDefinition();
    pb.cards.browsing = { kind: 'message', text: 'Have a look around.', next: 'offline-done' };
    pb.cards.orphan = { kind: 'disqualified', text: null };
    const rows = flowRows(pb);
    const ids = rows.map((r) => (r.kind === 'card' ? r.id : `${r.kind}:${r.target}`));
    expect(ids).toEqual([
      'start',
      'livechat',
      'offline-email',
      'offline-lead',
      'offline-done',
      'browsing',
      'jump:offline-done',
      'orphan',
    ]);
    const orphan = rows.find((r) => r.kind === 'card' && r.id === 'orphan');
    expect(orphan).toMatchObject({ reachable: false, via: null }); // nothing to insert into: no edge leads there
    expect(rows[1]).toMatchObject({ label: 'Talk to a person', depth: 1 });
  });

  it('lists a 31-card playbook with every card exactly once and every rejoining path as a jump', () => {
    // Ten questions in a row, each with a side path of two cards that joins the next question.
    const pb = sampleDefinition();
    pb.cards = {};
    for (let i = 0; i < 10; i++) {
      const next = i < 9 ? `q${i + 1}` : 'done';
      pb.cards[`q${i}`] = { kind: 'question', text: `Question ${i}?`, answers: [{ label: 'Yes', next }, { label: 'Tell me more', next: `info${i}` }] };
      pb.cards[`info${i}`] = { kind: 'message', text: `More about ${i}`, next: `ask${i}` };
      pb.cards[`ask${i}`] = { kind: 'capture', text: 'Your email?', field: 'email', next };
    }
    pb.cards.done = { kind: 'qualified', text: 'Thanks!' };
    pb.start = 'q0';
    const rows = flowRows(pb);
    const cards = rows.filter((r) => r.kind === 'card').map((r) => (r.kind === 'card' ? r.id : ''));
    expect(Object.keys(pb.cards)).toHaveLength(31);
    expect(new Set(cards).size).toBe(cards.length);
    expect(cards.sort()).toEqual(Object.keys(pb.cards).sort());
    expect(rows.filter((r) => r.kind === 'jump')).toHaveLength(10); // each side path rejoins
    expect(rows.every((r) => r.kind !== 'missing')).toBe(true);
    // Each question branches, so ten in a row nest ten deep (the CSS stops indenting at 8).
    expect(Math.max(...rows.map((r) => r.depth))).toBe(10);
  });

  it('files the server’s problems under their cards and checks contrast', () => {
    const m = problemsByCard([
      { card: 'offline-email', message: 'two livechat cards on one path' },
      { card: null, message: 'the start card is missing' },
      { card: 'offline-email', message: 'text must not be empty' },
    ]);
    expect(m.get('offline-email')).toHaveLength(2);
    expect(m.get('')).toEqual(['the start card is missing']);
    expect(contrastRatio('#2563eb', '#ffffff')).toBeCloseTo(5.17, 1);
    expect(contrastRatio('#ffff00', '#ffffff')!).toBeLessThan(1.1);
    expect(contrastRatio('blue', '#ffffff')).toBeNull();
  });

  it('generates hand-over passwords of 16 unambiguous characters', () => {
    const a = generatePassword();
    expect(a).toMatch(/^[a-km-zA-HJ-NP-Z2-9]{16}$/);
    expect(generatePassword()).not.toBe(a);
  });
});

describe('the preview transport', () => {
  const step = (over: Partial<PlaybookPreview>): PlaybookPreview => ({
    widget: { playbook_id: 'x', language: 'en', appearance: { bot_name: 'Ava', primary_color: '#0f766e', text_color: '#ffffff', icon: 'chat' }, greeting: null, texts: {} },
    messages: [],
    prompt: null,
    state: 'bot',
    wait_secs: null,
    livechat_card: null,
    qualified: null,
    captured: [],
    follow_ups: [],
    ...over,
  });

  it('answers the widget like the visitor API, from dry runs on the server', async () => {
    const asked: PreviewRequest[] = [];
    const answers: PlaybookPreview[] = [
      step({ messages: [{ author: 'bot', author_name: 'Ava', body: 'Hi! Talk to a person?' }], prompt: { kind: 'choice', card_id: 'start', text: 'Hi!', answers: ['Yes', 'No'] } }),
      step({ messages: [{ author: 'bot', author_name: 'Ava', body: 'One moment.' }], state: 'waiting', wait_secs: 90, livechat_card: 'lc' }),
      step({ messages: [{ author: 'bot', author_name: 'Ava', body: 'Nobody came.' }], state: 'offline', prompt: { kind: 'text', card_id: 'mail', text: 'Email?', field: 'email', placeholder: '' } }),
    ];
    const s = new PreviewSession({
      step: async (req) => {
        asked.push(req);
        return answers.shift()!;
      },
      definition: { the: 'draft' },
      anyoneOnline: true,
      now: () => 1_000,
    });
    const config = await s.transport('GET', '/api/widget/preview');
    expect(config).toMatchObject({ ok: true, data: { appearance: { primary_color: '#0f766e' } } });
    expect((await s.transport('POST', '/api/visitor/session', {})).status).toBe(201);
    const started = await s.transport('POST', '/api/visitor/start', {});
    expect(started.data).toMatchObject({ messages: [{ seq: 1, author: 'bot', body: 'Hi! Talk to a person?' }], prompt: { card_id: 'start' } });
    expect(asked).toHaveLength(1); // the start was run once, for the config

    const answered = await s.transport('POST', '/api/visitor/answer', { card_id: 'start', choice: 0 });
    expect(asked[1]).toMatchObject({ action: { kind: 'answer', card_id: 'start', choice: 0 }, anyone_online: true, offline_mode: false, definition: { the: 'draft' } });
    const st = answered.data as { conversation: { state: string; wait_deadline: number }; messages: { author: string; body: string }[] };
    expect(st.messages.map((m) => [m.author, m.body])).toEqual([
      ['bot', 'Hi! Talk to a person?'],
      ['visitor', 'Yes'],
      ['bot', 'One moment.'],
    ]);
    expect(st.conversation).toMatchObject({ state: 'waiting', wait_deadline: 91_000 });
    expect(s.waiting).toBe(true);
    const expired = await s.expireWait();
    expect(asked[2].action).toEqual({ kind: 'wait_expired', card_id: 'lc' });
    expect(expired?.conversation.state).toBe('offline');
    expect(s.waiting).toBe(false);
    // Starting over in the same frame is a new conversation, not the old transcript.
    answers.push(step({ messages: [{ author: 'bot', author_name: 'Ava', body: 'Hi again!' }] }));
    const again = (await s.transport('POST', '/api/visitor/start', {})).data as { conversation: { id: string; state: string }; messages: unknown[] };
    expect(again.messages).toHaveLength(1);
    expect(again.conversation.state).toBe('bot');
    expect(again.conversation.id).not.toBe((answered.data as { conversation: { id: string } }).conversation.id);
    expect(asked[3]).toMatchObject({ action: { kind: 'start' }, offline_mode: false });
  });

  it('turns refusals into the statuses the widget knows, with the server’s words', async () => {
    const s = new PreviewSession({
      step: async () => {
        throw new BackendError('invalid_answer', 'Please enter a valid email address.');
      },
      definition: {},
      anyoneOnline: false,
    });
    expect(await s.transport('POST', '/api/visitor/answer', { card_id: 'mail', text: 'no' })).toEqual({
      status: 422,
      ok: false,
      data: { code: 'invalid_answer', message: 'Please enter a valid email address.' },
    });
    const offline = new PreviewSession({
      step: async () => {
        throw new BackendError('offline', 'Not connected.');
      },
      definition: {},
      anyoneOnline: false,
    });
    expect((await offline.transport('GET', '/api/widget/preview')).status).toBe(0);
  });
});

describe('the set-up', () => {
  it('keeps every edit as a draft until saved, and restores it after a crash', async () => {
    const b = new MemoryBackend({ admin: true });
    const setup = new Setup(b);
    await setup.load();
    const id = setup.state.playbooks![0].id;
    await setup.edit(id);
    const draft = structuredClone(setup.state.editor!.draft);
    draft.appearance.primary_color = '#0f766e';
    setup.change(draft);
    expect(loadDraft('', id)?.definition.appearance.primary_color).toBe('#0f766e');

    // The window died before saving: a new one finds the draft.
    const again = new Setup(b);
    await again.edit(id);
    expect(again.state.editor).toMatchObject({ dirty: true, draft: { appearance: { primary_color: '#0f766e' } } });
    expect(again.state.editor!.restoredAt).not.toBeNull();
    await flush();
    expect(await again.save()).toBe(true);
    expect(loadDraft('', id)).toBeNull();
    expect(b.admin.playbooks[0]).toMatchObject({ version: 2, definition: { appearance: { primary_color: '#0f766e' } } });
  });

  it('never overwrites a colleague’s save unknowingly', async () => {
    const b = new MemoryBackend({ admin: true });
    const setup = new Setup(b);
    await setup.load();
    const id = setup.state.playbooks![0].id;
    await setup.edit(id);
    const mine = structuredClone(setup.state.editor!.draft);
    mine.name = 'Mine';
    setup.change(mine);
    await flush();
    // A colleague saves version 2 meanwhile.
    b.admin.playbooks[0].version = 2;
    (b.admin.playbooks[0].definition as { name: string }).name = 'Theirs';
    expect(await setup.save()).toBe(false);
    expect(setup.state.editor!.conflict?.code).toBe('version_conflict');
    expect((b.admin.playbooks[0].definition as { name: string }).name).toBe('Theirs');
    expect(loadDraft('', id)?.definition.name).toBe('Mine'); // nothing of mine is lost either
    await setup.saveMineAnyway();
    expect(b.admin.playbooks[0]).toMatchObject({ version: 3, definition: { name: 'Mine' } });
    expect(setup.state.editor!.conflict).toBeNull();
  });

  it('keeps edits typed while a save is on its way, and a draft from an older version', async () => {
    const b = new MemoryBackend({ admin: true });
    const setup = new Setup(b, 'me');
    await setup.load();
    const id = setup.state.playbooks![0].id;
    await setup.edit(id);
    const first = structuredClone(setup.state.editor!.draft);
    first.name = 'First';
    setup.change(first);
    await flush();
    const saving = setup.save();
    const second = structuredClone(first);
    second.name = 'Second';
    setup.change(second); // typed before the server answered
    expect(await saving).toBe(true);
    expect(b.admin.playbooks[0]).toMatchObject({ version: 2, definition: { name: 'First' } });
    expect(setup.state.editor).toMatchObject({ dirty: true, draft: { name: 'Second' }, base: { version: 2 } });
    expect(loadDraft('me', id)).toMatchObject({ base_version: 2, definition: { name: 'Second' } });

    // The window closes; a colleague saves version 3 before it is opened again.
    b.admin.playbooks[0].version = 3;
    const later = new Setup(b, 'me');
    await later.edit(id);
    expect(later.state.editor).toMatchObject({ dirty: true, draft: { name: 'Second' }, conflict: { code: 'version_conflict' } });
    expect(await later.save()).toBe(false); // never over theirs unknowingly
    await later.saveMineAnyway();
    expect(b.admin.playbooks[0]).toMatchObject({ version: 4, definition: { name: 'Second' } });
    // Another account on this machine never sees my drafts.
    expect(loadDraft('someone else', id)).toBeNull();
  });

  it('never lets an older validation answer count for a newer draft', async () => {
    const b = new MemoryBackend({ admin: true });
    const setup = new Setup(b);
    await setup.load();
    await setup.edit(setup.state.playbooks![0].id);
    await flush();
    let answer: (r: { valid: boolean; errors: [] }) => void = () => {};
    const real = b.call.bind(b);
    const pass = real as (command: string, ...args: unknown[]) => Promise<unknown>;
    b.call = ((command: string, ...args: unknown[]) =>
      command === 'validate_playbook' ? new Promise((r) => (answer = r)) : pass(command, ...args)) as typeof b.call;
    const v1 = structuredClone(setup.state.editor!.draft);
    v1.name = 'v1';
    setup.change(v1);
    const checking = setup.validate(); // the answer for v1 is on its way…
    const v2 = structuredClone(v1);
    v2.name = 'v2';
    setup.change(v2); // …when the admin types again
    answer({ valid: true, errors: [] });
    await checking;
    expect(setup.state.editor!.validating).toBe(true);
  });

  it('asks before leaving unsaved changes; discarding drops the draft', async () => {
    const b = new MemoryBackend({ admin: true });
    const { inbox, root } = await mount(b);
    await openSetup(root);
    await click($(root, '.playbook-name'));
    const name = $(root, 'input[name=playbook-name]') as HTMLInputElement;
    name.value = 'Renamed';
    name.dispatchEvent(new Event('input', { bubbles: true }));
    await flush();
    const id = b.admin.playbooks[0].id;
    const owner = draftOwner(inbox.state.session);
    expect(owner).toContain(b.me.id);
    expect(loadDraft(owner, id)?.definition.name).toBe('Renamed');
    await click($(root, '[data-folder=mine]'));
    expect($(root, '[data-dialog=unsaved]')).not.toBeNull();
    expect(inbox.state.view).toBe('setup');
    await click($(root, '[data-dialog=unsaved] [data-action=discard]'));
    expect(inbox.state.view).toBe('inbox');
    expect(inbox.state.folder).toBe('mine');
    expect(loadDraft(owner, id)).toBeNull();
    expect((b.admin.playbooks[0].definition as { name: string }).name).toBe('Chat with your leads');
  });

  it('a notification click leaves the set-up for its conversation', async () => {
    const b = new MemoryBackend({ admin: true });
    const { inbox, root } = await mount(b);
    await openSetup(root);
    b.emit('open_conversation', { conversation_id: 'c-marcus' });
    await flush();
    expect(inbox.state.view).toBe('inbox');
    expect(inbox.state.selectedId).toBe('c-marcus');
  });

  it('shows the server’s validation problems on the card they concern', async () => {
    const b = new MemoryBackend({ admin: true });
    b.admin.problems = [{ card: 'offline-email', message: 'this path already has a livechat card' }];
    const { root } = await mount(b);
    await openSetup(root);
    await click($(root, '.playbook-name'));
    await new Promise((r) => setTimeout(r, 20));
    await flush();
    expect(text($(root, '[data-card=offline-email] .card-problem'))).toContain('this path already has a livechat card');
    expect($$(root, '.card-problem')).toHaveLength(1);
    expect(($(root, '[data-action=save-playbook]') as HTMLButtonElement).disabled).toBe(true);
    expect(text($(root, '.preview'))).toContain('Fix the problems');
  });

  it('is not there for operators, and the engine refuses them anyway', async () => {
    const b = new MemoryBackend();
    const { root } = await mount(b);
    expect($(root, '[data-view=setup]')).toBeNull();
    await expect(b.call('playbooks')).rejects.toMatchObject({ code: 'admin_only' });
  });
});
