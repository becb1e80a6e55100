import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryBackend, emptyDetails } from '../src/backend/memory';
import { $, $$, click, flush, mount, press, text, type } from './helpers';

afterEach(() => vi.restoreAllMocks());

const rowIds = (root: HTMLElement) => $$(root, '.rows .row').map((r) => r.dataset.id);

describe('folders and counts', () => {
  it('shows counts per folder and switches folders', async () => {
    const b = new MemoryBackend();
    const { root } = await mount(b);
    expect(text($(root, '[data-count=unassigned]'))).toBe('2');
    expect(text($(root, '[data-count=mine]'))).toBe('1'); // one conversation with unread messages
    expect(text($(root, '[data-count=offline]'))).toBe('1');
    expect($(root, '[data-count=closed]')).toBeNull();
    expect(rowIds(root)).toEqual(['c-lena', 'c-anon']); // most urgent first

    await click($(root, '[data-folder=mine]'));
    expect(text($(root, '.list-head h2'))).toBe('My conversations');
    expect(rowIds(root)).toEqual(['c-marcus', 'c-sofia', 'c-tom']);
    expect($(root, '.row[data-id=c-marcus]')!.classList.contains('unread')).toBe(true);

    await click($(root, '[data-folder=closed]'));
    expect(rowIds(root)).toEqual(['c-closed1', 'c-closed2']);
  });

  it('follows inbox_changed: a new waiting chat appears with its count', async () => {
    const b = new MemoryBackend();
    const { root } = await mount(b);
    b.add({
      row: { ...b.get('c-anon').row, id: 'c-new', visitor_name: 'Nina', wait_deadline: b.serverNow() + 10_000 },
      messages: [],
      details: b.get('c-anon').details,
      draft: '',
    });
    b.emit('inbox_changed', { conversation_ids: ['c-new'] });
    await flush();
    expect(text($(root, '[data-count=unassigned]'))).toBe('3');
    expect(rowIds(root)[0]).toBe('c-new');
  });

  it('opening a conversation marks it read', async () => {
    const b = new MemoryBackend();
    const { root } = await mount(b);
    await click($(root, '[data-folder=mine]'));
    await click($(root, '.row[data-id=c-marcus]'));
    expect(b.calls.some(([c, a]) => c === 'mark_read' && (a as { conversation_id: string }).conversation_id === 'c-marcus')).toBe(true);
    expect($(root, '[data-count=mine]')!.classList.contains('pill')).toBe(false);
  });
});

describe('wait-time countdown', () => {
  it('counts down with the server clock when the local clock is skewed', async () => {
    const local = 1_750_000_000_000;
    vi.spyOn(Date, 'now').mockReturnValue(local);
    // The server runs 45 s ahead of this computer.
    const b = new MemoryBackend({ now: () => local, serverOffsetMs: 45_000, demo: false });
    b.add({
      row: {
        id: 'c-1', visitor_name: 'Ada', state: 'waiting', assignee_id: null, assignee_name: null,
        wait_deadline: local + 45_000 + 90_000, created_at: local, last_message_at: local, preview: 'hi',
        preview_author: 'visitor', message_count: 1, unread: 1, closed_at: null, has_draft: false,
      },
      messages: [],
      details: emptyDetails(),
      draft: '',
    });
    const { root } = await mount(b);
    const cd = $(root, '[data-countdown=c-1]');
    expect(text(cd)).toBe('1:30');
    expect(cd!.closest('.row')!.classList.contains('wait-calm')).toBe(false);
    expect(cd!.closest('.row')!.classList.contains('wait-soon')).toBe(true);
  });
});

describe('conversation and outbox', () => {
  it('sends with Enter, shows the message as pending, then sent', async () => {
    const b = new MemoryBackend({ autoDeliver: false });
    const { root } = await mount(b);
    await click($(root, '[data-folder=mine]'));
    await click($(root, '.row[data-id=c-sofia]'));
    const box = $(root, '#composer') as HTMLTextAreaElement;
    await type(box, 'Gern, ich schicke Ihnen das Angebot.');
    await press('Enter', { shiftKey: true }, box); // a new line, not a send
    expect(b.calls.some(([c]) => c === 'send_message')).toBe(false);
    await press('Enter', {}, box);
    const pending = $$(root, '.msg[data-status=pending]');
    expect(pending).toHaveLength(1);
    expect(text(pending[0])).toContain('Sending…');
    expect(box.value).toBe('');
    b.deliverOutbox();
    await flush();
    expect($$(root, '.msg[data-status=pending]')).toHaveLength(0);
    expect(text($$(root, '.msg-operator').pop()!)).toContain('Gern, ich schicke Ihnen das Angebot.');
  });

  it('keeps a refused message as failed with the reason, and retries or discards it', async () => {
    const b = new MemoryBackend({ autoDeliver: false });
    const { root } = await mount(b);
    await click($(root, '[data-folder=mine]'));
    await click($(root, '.row[data-id=c-tom]'));
    await type($(root, '#composer') as HTMLTextAreaElement, 'One more thing');
    await press('Enter', {}, $(root, '#composer')!);
    b.get('c-tom').row.state = 'closed'; // closed elsewhere before the outbox drained
    b.deliverOutbox();
    await flush();
    const failed = $(root, '.msg[data-status=failed]');
    expect(failed).not.toBeNull();
    expect(text(failed)).toContain('Not sent: the conversation was closed');
    expect(text(failed)).toContain('One more thing');

    b.get('c-tom').row.state = 'assigned';
    await click($(failed!, '[data-action=retry]'));
    expect(b.calls.some(([c]) => c === 'retry_message')).toBe(true);
    expect($(root, '.msg[data-status=pending]')).not.toBeNull();
    b.deliverOutbox();
    await flush();
    expect($(root, '.msg[data-status=failed]')).toBeNull();

    await type($(root, '#composer') as HTMLTextAreaElement, 'Never mind');
    await press('Enter', {}, $(root, '#composer')!);
    b.get('c-tom').row.state = 'closed';
    b.deliverOutbox();
    await flush();
    await click($(root, '.msg[data-status=failed] [data-action=discard]'));
    expect(root.textContent).not.toContain('Never mind');
  });

  it('says offline messages wait for the connection', async () => {
    const b = new MemoryBackend({ autoDeliver: false });
    const { root } = await mount(b);
    b.setConnected(false);
    await click($(root, '[data-folder=mine]'));
    await click($(root, '.row[data-id=c-sofia]'));
    await type($(root, '#composer') as HTMLTextAreaElement, 'Offline geschrieben');
    await press('Enter', {}, $(root, '#composer')!);
    expect(text($(root, '.msg[data-status=pending]'))).toContain('Waiting for the connection');
    expect(text($(root, '[data-sync]'))).toContain('1 message waiting to send');
  });

  it('Assign to me moves a waiting chat to me; a lost race is said plainly', async () => {
    const b = new MemoryBackend();
    const { root } = await mount(b);
    await click($(root, '.row[data-id=c-lena]'));
    await click($(root, '[data-action=assign]'));
    expect(text($(root, '.conv-sub'))).toContain('Assigned to you');
    expect($(root, '#composer')).not.toBeNull();
    expect(text($(root, '[data-count=unassigned]'))).toBe('1');

    await click($(root, '.row[data-id=c-anon]'));
    b.failNext('assign', 'already_assigned', 'taken');
    await click($(root, '[data-action=assign]'));
    expect(text($(root, '.toast'))).toContain('A colleague took this conversation a moment before you.');
  });

  it('Close asks first, then makes the conversation read-only', async () => {
    const b = new MemoryBackend();
    const { root } = await mount(b);
    await click($(root, '[data-folder=mine]'));
    await click($(root, '.row[data-id=c-tom]'));
    await click($(root, '[data-action=close]'));
    expect($(root, '[data-dialog=close]')).not.toBeNull();
    expect(b.calls.some(([c]) => c === 'close')).toBe(false);
    await click($(root, '[data-action=confirm-close]'));
    expect(b.calls.some(([c]) => c === 'close')).toBe(true);
    expect($(root, '#composer')).toBeNull();
    expect($(root, '[data-action=reassign]')).toBeNull();
    expect(text($(root, '.conv-note'))).toContain('read-only');
  });

  it('Reassign lists only colleagues who are online, live', async () => {
    const b = new MemoryBackend();
    const { root } = await mount(b);
    await click($(root, '[data-folder=mine]'));
    await click($(root, '.row[data-id=c-sofia]'));
    await click($(root, '[data-action=reassign]'));
    const names = () => $$(root, '[data-dialog=reassign] .choice').map((c) => text(c));
    expect(names()).toEqual(['Jonas Weber', 'Priya Shah']); // not me
    b.setColleaguesOnline([{ id: 'op-priya', display_name: 'Priya Shah' }]);
    await flush();
    expect(names()).toEqual(['Priya Shah']);
    await click($(root, '[data-action=confirm-reassign]'));
    expect(b.calls.find(([c]) => c === 'reassign')?.[1]).toEqual({ conversation_id: 'c-sofia', operator_id: 'op-priya' });
    // Handed over: it leaves my list and the pane closes, without an error.
    await flush();
    expect($(root, '.row[data-id=c-sofia]')).toBeNull();
    expect($(root, '.conv-empty')).not.toBeNull();
    expect($(root, '.toast')).toBeNull();
  });

  it('closes a conversation taken away meanwhile and says why', async () => {
    const b = new MemoryBackend();
    const { root } = await mount(b);
    await click($(root, '[data-folder=mine]'));
    await click($(root, '.row[data-id=c-sofia]'));
    expect($(root, '.conv-empty')).toBeNull();
    b.takeAway('c-sofia');
    await flush();
    expect($(root, '.conv-empty')).not.toBeNull();
    expect(text($(root, '.toast'))).toContain('no longer visible to you');
  });

  it('shows the typing indicator for the open conversation', async () => {
    const b = new MemoryBackend();
    const { root } = await mount(b);
    await click($(root, '[data-folder=mine]'));
    await click($(root, '.row[data-id=c-marcus]'));
    b.emit('typing', { conversation_id: 'c-marcus', name: 'Marcus Reid' });
    await flush();
    expect(text($(root, '.typing'))).toBe('Marcus Reid is typing…');
  });

  it('a notification click opens the conversation in its folder', async () => {
    const b = new MemoryBackend();
    const { root } = await mount(b);
    b.emit('open_conversation', { conversation_id: 'c-sofia' });
    await flush();
    expect(text($(root, '.conv-title h1'))).toBe('Sofia Brandt');
    expect($(root, '[data-folder=mine]')!.getAttribute('aria-current')).toBe('page');
  });
});

describe('sync state', () => {
  it('keeps what the engine pushed while the first read was on its way', async () => {
    const b = new MemoryBackend();
    b.setConnected(false);
    const call = b.call.bind(b);
    // The read answers "offline"; before the answer arrives the engine reports "live".
    b.call = (async (command: string, ...args: unknown[]) => {
      const answer = await (call as (c: string, ...a: unknown[]) => Promise<unknown>)(command, ...args);
      if (command === 'sync_state') b.emit('sync_state', { state: 'live', detail: null, outbox: 0, sales_outbox: 0 });
      return answer;
    }) as typeof b.call;
    const { root } = await mount(b);
    expect($(root, '[data-sync=live]')).not.toBeNull();
  });
});

describe('presence', () => {
  it('the toggle shows what the backend reports, also changes from elsewhere', async () => {
    const b = new MemoryBackend();
    const { root } = await mount(b);
    const toggle = () => $(root, '.presence')!;
    expect(toggle().getAttribute('aria-checked')).toBe('true');
    expect(toggle().dataset.presence).toBe('on');

    b.setPresenceFromElsewhere(false); // e.g. the tray, or another device
    await flush();
    expect(toggle().getAttribute('aria-checked')).toBe('false');
    expect(text(toggle())).toContain('Offline');

    b.setPresenceFromElsewhere(true, false); // chose online, connection lost
    await flush();
    expect(toggle().dataset.presence).toBe('pending');
    expect(text(toggle())).toContain('Online once connected');

    b.setPresenceFromElsewhere(true, true);
    await flush();
    expect(toggle().dataset.presence).toBe('on');
  });

  it('B4: going offline with open chats asks first; each answer does what it says', async () => {
    const b = new MemoryBackend();
    const { root } = await mount(b);
    await click($(root, '.presence'));
    const dialog = () => $(root, '[data-dialog=offline]');
    expect(text(dialog())).toContain('You still hold 3 open conversations');
    expect($(root, '.presence')!.getAttribute('aria-checked')).toBe('true'); // nothing changed yet

    // Stay online: nothing happens.
    await click($(root, '[data-action=stay-online]'));
    expect(dialog()).toBeNull();
    expect($(root, '.presence')!.getAttribute('aria-checked')).toBe('true');

    // The tray's "Go offline" takes the same path through the engine.
    b.emit('offline_with_open_chats', { conversation_ids: ['c-marcus', 'c-sofia', 'c-tom'] });
    await flush();
    expect(dialog()).not.toBeNull();
    // Hand them to a colleague (the first online one is preselected).
    await click($(root, '[data-action=go-offline]'));
    const sent = b.calls.filter(([c]) => c === 'set_presence').pop()![1];
    expect(sent).toEqual({ online: false, open_chats: { action: 'reassign', operator_id: 'op-jonas' } });
    expect($(root, '.presence')!.getAttribute('aria-checked')).toBe('false');
    expect($(root, '[data-count=mine]')).toBeNull();
  });

  it('B4: with nobody else online, the chats go back to Unassigned', async () => {
    const b = new MemoryBackend();
    const { root } = await mount(b);
    b.setColleaguesOnline([]);
    await click($(root, '.presence'));
    expect(text($(root, '[data-dialog=offline]'))).toContain('No colleague is online');
    await click($(root, '[data-action=go-offline]'));
    expect(b.calls.filter(([c]) => c === 'set_presence').pop()![1]).toEqual({
      online: false,
      open_chats: { action: 'release' },
    });
    expect(text($(root, '[data-count=unassigned]'))).toBe('5');
  });
});

describe('search', () => {
  it('highlights hits and works while offline', async () => {
    const b = new MemoryBackend();
    const { root } = await mount(b);
    b.setConnected(false);
    await flush();
    expect($(root, '[data-sync=offline]')).not.toBeNull();
    await type($(root, '#search') as HTMLInputElement, 'pipedrive');
    const hits = $$(root, '.row.hit');
    expect(hits.length).toBe(3);
    const marks = $$(root, '.row.hit mark').map((m) => m.textContent);
    expect(marks.every((m) => m!.toLowerCase() === 'pipedrive')).toBe(true);
    // A closed conversation opens read-only from the cache.
    await click(hits[0]);
    expect(text($(root, '.conv-note'))).toContain('read-only');
  });

  it('finds a conversation by the visitor’s name, listed before message hits', async () => {
    const b = new MemoryBackend();
    const { root } = await mount(b);
    await type($(root, '#search') as HTMLInputElement, 'hoffmann');
    const hits = $$(root, '.row.hit');
    expect(hits.length).toBeGreaterThan(0);
    expect(text(hits[0])).toContain('Visitor’s name');
    expect(text($(hits[0], 'mark'))).toBe('Hoffmann');
  });
});

describe('keyboard', () => {
  it('moves through the list, assigns, switches folders, opens help, focuses search', async () => {
    const b = new MemoryBackend();
    const { root } = await mount(b);
    await press('j');
    expect(text($(root, '.conv-title h1'))).toBe('Lena Hoffmann');
    await press('j');
    expect(text($(root, '.conv-title h1'))).toBe('Visitor');
    await press('k');
    expect(text($(root, '.conv-title h1'))).toBe('Lena Hoffmann');
    await press('a');
    expect(text($(root, '.conv-sub'))).toContain('Assigned to you');
    await press('2');
    expect(text($(root, '.list-head h2'))).toBe('My conversations');
    await press('?');
    expect($(root, '[data-dialog=help]')).not.toBeNull();
    await press('Escape');
    expect($(root, '[data-dialog=help]')).toBeNull();
    await press('/');
    expect(document.activeElement?.id).toBe('search');
    // Letters typed into a text field are text, not shortcuts.
    await press('j', {}, document.activeElement!);
    expect(text($(root, '.conv-title h1'))).toBe('Lena Hoffmann');
  });

  it('single-key shortcuts can be turned off', async () => {
    const b = new MemoryBackend();
    const { inbox, root } = await mount(b);
    inbox.setSingleKeyShortcuts(false);
    await press('j');
    expect($(root, '.conv-title h1')).toBeNull();
    await press('k', { ctrlKey: true });
    expect(document.activeElement?.id).toBe('search');
  });
});

describe('visitor text is text', () => {
  it('renders a hostile name and body literally, never as HTML', async () => {
    const evil = '<img src=x onerror="window.__pwned=1">';
    const b = new MemoryBackend();
    const c = b.get('c-lena');
    c.row.visitor_name = evil;
    b.visitorSays('c-lena', `${evil}<script>window.__pwned=2</script>`);
    c.details.fields.push({ key: 'custom.<b>x</b>', value: evil });
    c.details.page_url = 'javascript:alert(1)';
    const { root } = await mount(b);
    await click($(root, '.row[data-id=c-lena]'));
    expect(root.querySelector('img')).toBeNull();
    expect(root.querySelector('script')).toBeNull();
    expect(root.querySelector('b')).toBeNull();
    expect(root.querySelector('a')).toBeNull();
    expect(text($(root, '.conv-title h1'))).toBe(evil);
    expect($$(root, '.bubble').some((el) => el.textContent === `${evil}<script>window.__pwned=2</script>`)).toBe(true);
    expect($(root, '.row[data-id=c-lena] .row-name')!.textContent).toBe(evil);
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
    // Search hits too.
    await type($(root, '#search') as HTMLInputElement, 'onerror');
    expect(root.querySelector('img')).toBeNull();
    expect($$(root, '.row.hit mark').map((m) => m.textContent)).toContain('onerror');
  });
});

describe('sign-in', () => {
  it('says what to do on a wrong password, and signs in with the right one', async () => {
    const b = new MemoryBackend({ signedIn: false });
    const { root } = await mount(b);
    const form = $(root, 'form.signin-card')!;
    await click($(form, 'button[type=submit]'));
    expect(text($(form, '[role=alert]'))).toContain('Fill in the server address');
    await type($(form, 'input[name=email]') as HTMLInputElement, 'sam@acme-sales.example');
    await type($(form, 'input[name=password]') as HTMLInputElement, 'nope');
    await click($(form, 'button[type=submit]'));
    expect(text($(form, '[role=alert]'))).toContain('email and password don’t match');
    await type($(form, 'input[name=password]') as HTMLInputElement, b.password);
    await click($(form, 'button[type=submit]'));
    expect(b.calls.filter(([c]) => c === 'sign_in').pop()?.[1]).toEqual({
      server_url: 'https://chat.acme-sales.example',
      email: 'sam@acme-sales.example',
      password: b.password,
    });
    expect($(root, '.sidebar')).not.toBeNull();
  });

  it('switches the whole UI to German', async () => {
    const b = new MemoryBackend();
    const { inbox, root } = await mount(b);
    inbox.setLang('de');
    await flush();
    expect(text($(root, '[data-folder=unassigned]'))).toContain('Nicht zugewiesen');
    expect(document.documentElement.lang).toBe('de');
    // The OS notifications (shown by the engine) follow the choice.
    expect(b.notificationLang).toBe('de');
  });

  it('tells the engine the language at start, so notifications speak it', async () => {
    const b = new MemoryBackend();
    localStorage.setItem('frontdesk.lang', 'de');
    const { inbox } = await mount(b);
    expect(inbox.state.lang).toBe('de');
    expect(b.notificationLang).toBe('de');
  });
});
