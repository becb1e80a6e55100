// An in-memory Backend: the test double of the unit tests and the data of the screen preview
// (`npm run dev` in a plain browser). It imitates the engine's observable behaviour — folders,
// counts, the outbox with pending / sent / failed messages, presence and its events — closely
// enough to exercise the screens. It is not shipped behaviour: the desktop app uses tauri.ts.
import { type Backend, type CommandArgs, BackendError } from './backend';
import { ADMIN_COMMANDS, MemoryAdmin } from './memory-admin';
import {
  type CommandName,
  type Commands,
  type ConversationDetail,
  type ConversationRow,
  type CreatedResultView,
  type Details,
  type EventName,
  type Events,
  type Folder,
  type FolderCounts,
  type Message,
  type OnlineOperator,
  type Operator,
  type Presence,
  type SalesDetailsView,
  type SalesLock,
  type UnsentSales,
  type UpdateDetailsRequest,
  type SearchHit,
  type Session,
  type SyncState,
  FOLDERS,
  HIGHLIGHT_END,
  HIGHLIGHT_START,
} from './types';

interface Conv {
  row: ConversationRow;
  messages: Message[];
  details: Details;
  draft: string;
  /** Sales actions not confirmed yet (queued while offline, or refused). */
  unsent?: Queued[];
}

/** An unsent sales action with what it asks for. */
type Queued = UnsentSales & { request?: UpdateDetailsRequest };

export interface MemoryOptions {
  /** The local clock (tests pass a fixed one). */
  now?: () => number;
  /** How far the server's clock is ahead of the local one, in ms. */
  serverOffsetMs?: number;
  signedIn?: boolean;
  /** Deliver outbox messages by itself (else tests call `deliverOutbox()`). */
  autoDeliver?: boolean;
  /** Fill in the demo conversations. */
  demo?: boolean;
  /** Sign in as an admin (the set-up area). */
  admin?: boolean;
}

const ME: Operator = {
  id: 'op-me',
  display_name: 'Sam Keller',
  email: 'sam@acme-sales.example',
  role: 'operator',
};
const COLLEAGUES: OnlineOperator[] = [
  { id: 'op-jonas', display_name: 'Jonas Weber' },
  { id: 'op-priya', display_name: 'Priya Shah' },
];

let nextId = 1;
const newId = (prefix: string) => `${prefix}-${(nextId++).toString(36)}`;

export class MemoryBackend implements Backend {
  readonly now: () => number;
  serverOffsetMs: number;
  autoDeliver: boolean;
  session: Session;
  sync: SyncState = { state: 'live', detail: null, outbox: 0, sales_outbox: 0 };
  presence: Presence;
  convs = new Map<string, Conv>();
  /** Every call, for assertions: [command, args]. */
  calls: Array<[string, unknown]> = [];
  private handlers = new Map<string, Set<(payload: unknown) => void>>();
  private failures = new Map<string, BackendError>();
  password = 'demo-password';
  /** The language notifications would speak. */
  notificationLang = 'en';
  /** Results whose CRM page was asked to open. */
  opened: string[] = [];
  /** Playbooks and operator accounts (admin commands). */
  admin: MemoryAdmin;

  constructor(opts: MemoryOptions = {}) {
    this.now = opts.now ?? (() => Date.now());
    this.serverOffsetMs = opts.serverOffsetMs ?? 0;
    this.autoDeliver = opts.autoDeliver ?? true;
    const signedIn = opts.signedIn ?? true;
    this.admin = new MemoryAdmin(this.now);
    this.me_ = opts.admin ? { ...ME, role: 'admin' } : ME;
    this.session = {
      server_url: 'https://chat.acme-sales.example',
      operator: signedIn ? this.me_ : null,
      signed_in: signedIn,
    };
    this.presence = { chose_online: true, online: true, operators_online: [meOnline(), ...COLLEAGUES] };
    if (opts.demo ?? true) seedDemo(this);
  }

  private readonly me_: Operator;
  get me(): Operator {
    return this.me_;
  }

  serverNow(): number {
    return this.now() + this.serverOffsetMs;
  }

  // -- test and preview controls ------------------------------------------------------------

  /** Makes the next call of `command` fail with this error. */
  failNext(command: CommandName, code: string, message: string): void {
    this.failures.set(command, new BackendError(code, message));
  }

  emit<E extends EventName>(event: E, payload: Events[E]): void {
    for (const h of this.handlers.get(event) ?? []) h(payload);
  }

  add(conv: Conv): void {
    this.convs.set(conv.row.id, conv);
  }

  setConnected(connected: boolean): void {
    this.sync = connected
      ? { state: 'live', detail: null, ...this.outboxSizes() }
      : { state: 'offline', detail: 'The server did not answer (connection refused).', ...this.outboxSizes() };
    this.emit('sync_state', this.sync);
    if (connected) {
      this.presence = { ...this.presence, online: this.presence.chose_online };
      this.emit('presence', this.presence);
      if (this.autoDeliver) this.deliverOutbox();
    } else {
      this.presence = { ...this.presence, online: false, operators_online: [] };
      this.emit('presence', this.presence);
    }
  }

  /** Presence changed elsewhere (another device, the tray, a dropped connection). */
  setPresenceFromElsewhere(chose_online: boolean, online = chose_online): void {
    this.presence = {
      chose_online,
      online,
      operators_online: online
        ? [meOnline(), ...this.presence.operators_online.filter((o) => o.id !== ME.id)]
        : this.presence.operators_online.filter((o) => o.id !== ME.id),
    };
    this.emit('presence', this.presence);
  }

  setColleaguesOnline(ops: OnlineOperator[]): void {
    const mine = this.presence.online ? [meOnline()] : [];
    this.presence = { ...this.presence, operators_online: [...mine, ...ops] };
    this.emit('presence', this.presence);
  }

  /** Someone else takes the conversation away (an admin's reassign): no longer visible. */
  takeAway(conversation_id: string): void {
    const c = this.get(conversation_id);
    this.convs.delete(conversation_id);
    this.changed(c);
  }

  visitorSays(conversation_id: string, body: string): void {
    const c = this.get(conversation_id);
    const name = c.row.visitor_name ?? 'Visitor';
    this.push(c, { author: 'visitor', author_name: name, body });
    c.row.unread += 1;
    this.emit('inbox_changed', { conversation_ids: [conversation_id] });
    this.emit('conversation_changed', { conversation_id });
  }

  /** Sends every pending outbox message: refused (kept as failed) when I may not write there. */
  deliverOutbox(): void {
    if (this.sync.state === 'offline') return;
    for (const c of this.convs.values()) {
      let changed = false;
      for (const m of c.messages) {
        if (m.status !== 'pending') continue;
        changed = true;
        if (c.row.state === 'closed') {
          m.status = 'failed';
          m.error = { code: 'conversation_closed', message: 'The conversation was closed.' };
        } else if (c.row.assignee_id !== ME.id) {
          m.status = 'failed';
          m.error = { code: 'not_assigned', message: 'The conversation is no longer assigned to you.' };
        } else {
          m.status = 'sent';
        }
      }
      if (this.deliverSales(c)) changed = true;
      if (changed) this.emit('conversation_changed', { conversation_id: c.row.id });
    }
    this.sync = { ...this.sync, ...this.outboxSizes() };
    this.emit('sync_state', this.sync);
  }

  /** Moves waiting conversations whose deadline passed to offline mode, as the server does. */
  expireWaits(): void {
    const changed: string[] = [];
    for (const c of this.convs.values()) {
      if (c.row.state === 'waiting' && c.row.wait_deadline !== null && c.row.wait_deadline <= this.serverNow()) {
        c.row.state = 'offline';
        c.row.wait_deadline = null;
        changed.push(c.row.id);
      }
    }
    if (changed.length) this.emit('inbox_changed', { conversation_ids: changed });
  }

  // -- Backend ----------------------------------------------------------------------------

  async on<E extends EventName>(event: E, handler: (payload: Events[E]) => void): Promise<() => void> {
    const set = this.handlers.get(event) ?? new Set();
    this.handlers.set(event, set);
    const h = handler as (payload: unknown) => void;
    set.add(h);
    return () => set.delete(h);
  }

  async call<C extends CommandName>(command: C, ...args: CommandArgs<C>): Promise<Commands[C][1]> {
    const a = args[0] as never;
    this.calls.push([command, a]);
    const fail = this.failures.get(command);
    if (fail) {
      this.failures.delete(command);
      throw fail;
    }
    return (await this.run(command, a)) as Commands[C][1];
  }

  private async run(command: CommandName, a: any): Promise<unknown> {
    if (ADMIN_COMMANDS.has(command)) {
      if (this.me.role !== 'admin') throw new BackendError('admin_only', 'Only admins can set up live chat.');
      this.requireOnline();
      return this.admin.run(command, a);
    }
    switch (command) {
      case 'session':
        return { ...this.session };
      case 'sign_in': {
        if (!/^https?:\/\//.test(a.server_url)) {
          throw new BackendError('invalid_server_url', 'The server address must start with http:// or https://.');
        }
        if (a.password !== this.password) {
          throw new BackendError('invalid_credentials', 'Wrong email or password.');
        }
        this.session = { server_url: a.server_url, operator: this.me, signed_in: true };
        return { ...this.session };
      }
      case 'sign_out':
        this.session = { ...this.session, operator: null, signed_in: false };
        return null;
      case 'sync_state':
        return { ...this.sync };
      case 'list_folder': {
        const rows = this.rowsOf(a.folder);
        const start = a.before ? Number(a.before) : 0;
        const page = rows.slice(start, start + a.limit);
        const next = start + a.limit < rows.length ? String(start + a.limit) : null;
        return { rows: page.map((r) => ({ ...r })), next_before: next };
      }
      case 'folder_counts': {
        const counts = {} as FolderCounts;
        for (const f of FOLDERS) {
          const rows = this.rowsOf(f);
          counts[f] = { total: rows.length, unread: rows.filter((r) => r.unread > 0).length };
        }
        return counts;
      }
      case 'open_conversation': {
        const c = this.get(a.conversation_id);
        const details = structuredClone(c.details);
        const edit = c.unsent?.filter((u) => u.action === 'details').pop();
        if (edit?.request) details.sales = salesOf(edit.request, null, null);
        const detail: ConversationDetail = {
          conversation: { ...this.rowOf(c) },
          messages: c.messages.map((m) => ({ ...m })),
          details,
          draft: c.draft,
          sales_lock: this.salesLock(c),
          unsent_sales: (c.unsent ?? []).map(({ request: _, ...u }) => ({ ...u })),
        };
        return detail;
      }
      case 'mark_read': {
        const c = this.get(a.conversation_id);
        if (c.row.unread) {
          c.row.unread = 0;
          this.emit('inbox_changed', { conversation_ids: [c.row.id] });
        }
        return null;
      }
      case 'save_draft': {
        const c = this.get(a.conversation_id);
        c.draft = a.body;
        return null;
      }
      case 'send_message': {
        const c = this.get(a.conversation_id);
        const body = String(a.body).trim();
        if (!body) throw new BackendError('empty_message', 'A message needs some text.');
        const m = this.push(c, { author: 'operator', author_name: ME.display_name, body, status: 'pending' });
        c.draft = '';
        this.sync = { ...this.sync, ...this.outboxSizes() };
        this.emit('sync_state', this.sync);
        if (this.autoDeliver) setTimeout(() => this.deliverOutbox(), 400);
        return { ...m };
      }
      case 'retry_message': {
        const m = this.findMessage(a.message_id);
        m.message.status = 'pending';
        m.message.error = null;
        this.emit('conversation_changed', { conversation_id: m.conv.row.id });
        if (this.autoDeliver) setTimeout(() => this.deliverOutbox(), 400);
        return null;
      }
      case 'discard_message': {
        const m = this.findMessage(a.message_id);
        m.conv.messages = m.conv.messages.filter((x) => x !== m.message);
        this.emit('conversation_changed', { conversation_id: m.conv.row.id });
        return null;
      }
      case 'assign': {
        this.requireOnline();
        const c = this.get(a.conversation_id);
        if (c.row.state !== 'waiting') {
          throw new BackendError('already_assigned', 'Someone else assigned this conversation first.');
        }
        c.row.state = 'assigned';
        c.row.assignee_id = ME.id;
        c.row.assignee_name = ME.display_name;
        c.row.wait_deadline = null;
        this.push(c, { author: 'system', author_name: 'Frontdesk', body: `${ME.display_name} joined the chat` });
        this.changed(c);
        return null;
      }
      case 'reassign': {
        this.requireOnline();
        const c = this.get(a.conversation_id);
        const to = this.presence.operators_online.find((o) => o.id === a.operator_id);
        if (!to) throw new BackendError('operator_offline', 'That operator is not online.');
        // Like the server: a chat handed to a colleague is theirs to see, no longer mine (S10).
        this.convs.delete(c.row.id);
        this.changed(c);
        return null;
      }
      case 'close': {
        this.requireOnline();
        const c = this.get(a.conversation_id);
        if (c.row.state === 'closed') throw new BackendError('conversation_closed', 'Already closed.');
        c.row.state = 'closed';
        c.row.closed_at = this.serverNow();
        c.row.wait_deadline = null;
        this.changed(c);
        return null;
      }
      case 'presence':
        return structuredClone(this.presence);
      case 'set_presence': {
        if (!a.online) {
          const open = this.rowsOf('mine').map((r) => r.id);
          if (open.length && !a.open_chats) {
            this.emit('offline_with_open_chats', { conversation_ids: open });
            return structuredClone(this.presence);
          }
          if (a.open_chats) {
            for (const id of open) {
              const c = this.get(id);
              if (a.open_chats.action === 'reassign') {
                const to = this.presence.operators_online.find((o) => o.id === a.open_chats.operator_id);
                if (!to) throw new BackendError('operator_offline', 'That operator is not online.');
                c.row.assignee_id = to.id;
                c.row.assignee_name = to.display_name;
              } else {
                c.row.state = 'waiting';
                c.row.assignee_id = null;
                c.row.assignee_name = null;
                c.row.wait_deadline = this.serverNow() + 120_000;
              }
            }
            this.emit('inbox_changed', { conversation_ids: open });
          }
        }
        const connected = this.sync.state !== 'offline';
        this.setPresenceFromElsewhere(a.online, a.online && connected);
        return structuredClone(this.presence);
      }
      case 'online_operators':
        return this.presence.operators_online.map((o) => ({ ...o }));
      case 'typing':
        return null;
      case 'search':
        return { hits: this.search(String(a.query), a.limit) };
      case 'server_time_offset':
        return this.serverOffsetMs;
      case 'update_details': {
        const c = this.get(a.conversation_id);
        this.requireSales(c);
        const req = a.details as UpdateDetailsRequest;
        if (req.value != null && !req.currency) {
          throw new BackendError('invalid_details', 'currency is required with a value.');
        }
        // Like the engine: it takes the place of an unsent edit queued last, never of one
        // before a lead or deal.
        const last = c.unsent?.[c.unsent.length - 1];
        if (last?.action === 'details') c.unsent = c.unsent!.slice(0, -1);
        this.queueSales(c, { action: 'details', request: req });
        return null;
      }
      case 'create_result': {
        const c = this.get(a.conversation_id);
        this.requireSales(c);
        this.queueSales(c, { action: a.kind === 'lead' ? 'create_lead' : 'create_deal' });
        return null;
      }
      case 'retry_result_push': {
        this.requireOnline();
        const c = this.get(a.conversation_id);
        const r = c.details.results.find((x) => x.id === a.result_id);
        if (!r) throw new BackendError('result_not_found', 'No such result.');
        r.sync = { ...r.sync, status: 'pending', error: null };
        this.emit('conversation_changed', { conversation_id: c.row.id });
        return null;
      }
      case 'retry_sales_action':
      case 'discard_sales_action': {
        for (const c of this.convs.values()) {
          const u = c.unsent?.find((x) => x.id === a.action_id);
          if (!u) continue;
          if (command === 'discard_sales_action') c.unsent = c.unsent!.filter((x) => x !== u);
          else Object.assign(u, { status: 'pending', error: null });
          this.emit('conversation_changed', { conversation_id: c.row.id });
          if (this.autoDeliver) setTimeout(() => this.deliverOutbox(), 400);
          return null;
        }
        throw new BackendError('sales_action_not_found', 'No such unsent change.');
      }
      case 'open_result_link':
        this.opened.push(a.result_id);
        return null;
      case 'set_language':
        this.notificationLang = a.lang;
        return null;
    }
    throw new BackendError('unknown_command', `No command ${command}.`);
  }

  // -- internals --------------------------------------------------------------------------

  private requireOnline(): void {
    if (this.sync.state === 'offline') {
      throw new BackendError('offline', 'Not connected to the server.');
    }
  }

  /**
   * The sales rule (`frontdesk_core::crm::may_edit_details`), roughly: the engine decides
   * `sales_lock` for the app. This double's closed rows keep their assignee as the operator
   * who handled them last, and it has no admins.
   */
  private salesLock(c: Conv): SalesLock | null {
    switch (c.row.state) {
      case 'assigned':
        return c.row.assignee_id === ME.id ? null : 'not_visible';
      case 'waiting':
        return 'not_assigned';
      case 'offline':
        return null;
      case 'closed':
        return c.row.assignee_id === ME.id ? null : 'not_handler';
      default:
        return 'not_visible';
    }
  }

  private requireSales(c: Conv): void {
    const lock = this.salesLock(c);
    if (lock) throw new BackendError(lock, `Locked: ${lock}.`);
  }

  private queueSales(c: Conv, q: Pick<Queued, 'action' | 'request'>): void {
    c.unsent = [
      ...(c.unsent ?? []),
      {
        id: newId('s'),
        conversation_id: c.row.id,
        status: 'pending',
        error: null,
        queued_at: this.serverNow(),
        ...q,
      },
    ];
    this.sync = { ...this.sync, ...this.outboxSizes() };
    this.emit('sync_state', this.sync);
    this.emit('conversation_changed', { conversation_id: c.row.id });
    if (this.autoDeliver) setTimeout(() => this.deliverOutbox(), 400);
  }

  /** Sends a conversation's pending sales actions, as the engine's outbox does. */
  private deliverSales(c: Conv): boolean {
    const pending = (c.unsent ?? []).filter((u) => u.status === 'pending');
    for (const u of pending) {
      if (this.salesLock(c)) {
        u.status = 'failed';
        u.error = { code: 'not_assigned', message: 'The conversation is no longer assigned to you.' };
        continue;
      }
      c.unsent = c.unsent!.filter((x) => x !== u);
      if (u.action === 'details' && u.request) {
        c.details.sales = salesOf(u.request, this.serverNow(), ME.display_name);
      } else {
        const sales = c.details.sales;
        c.details.results.push({
          id: newId('r'),
          conversation_id: c.row.id,
          kind: u.action === 'create_lead' ? 'lead' : 'deal',
          title: sales.organization.name ?? sales.contact.name ?? 'Live chat lead',
          value: sales.value,
          currency: sales.currency,
          person_id: null,
          organization_id: null,
          source: 'Live chat',
          converted_url: c.details.converted_url,
          stage: u.action === 'create_deal' ? 'Qualified' : null,
          created_at: this.serverNow(),
          created_by: ME.id,
          created_by_name: ME.display_name,
          sync: { status: 'local', url: null, error: null, attempts: 0, next_attempt_at: null },
        });
      }
    }
    return pending.length > 0;
  }

  private changed(c: Conv): void {
    this.emit('inbox_changed', { conversation_ids: [c.row.id] });
    this.emit('conversation_changed', { conversation_id: c.row.id });
  }

  private outboxSizes(): { outbox: number; sales_outbox: number } {
    let outbox = 0;
    let sales_outbox = 0;
    for (const c of this.convs.values()) {
      outbox += c.messages.filter((m) => m.status === 'pending').length;
      sales_outbox += (c.unsent ?? []).filter((u) => u.status === 'pending').length;
    }
    return { outbox, sales_outbox };
  }

  get(id: string): Conv {
    const c = this.convs.get(id);
    if (!c) throw new BackendError('conversation_not_found', 'No such conversation.');
    return c;
  }

  private findMessage(id: string): { conv: Conv; message: Message } {
    for (const conv of this.convs.values()) {
      const message = conv.messages.find((m) => m.id === id);
      if (message) return { conv, message };
    }
    throw new BackendError('message_not_found', 'No such message.');
  }

  push(c: Conv, m: Partial<Message> & Pick<Message, 'author' | 'author_name' | 'body'>): Message {
    const message: Message = {
      id: newId('msg'),
      created_at: this.serverNow(),
      status: 'sent',
      error: null,
      ...m,
    };
    c.messages.push(message);
    return message;
  }

  private rowOf(c: Conv): ConversationRow {
    const last = c.messages[c.messages.length - 1];
    return {
      ...c.row,
      last_message_at: last?.created_at ?? c.row.created_at,
      preview: last ? last.body.slice(0, 200) : '',
      preview_author: last?.author ?? null,
      message_count: c.messages.length,
      has_draft: c.draft.trim() !== '',
    };
  }

  folderOf(row: ConversationRow): Folder | null {
    switch (row.state) {
      case 'waiting':
        return 'unassigned';
      case 'assigned':
        return row.assignee_id === ME.id ? 'mine' : null;
      case 'offline':
        return 'offline';
      case 'closed':
        return 'closed';
      default:
        return null;
    }
  }

  rowsOf(folder: Folder): ConversationRow[] {
    const rows = [...this.convs.values()].map((c) => this.rowOf(c)).filter((r) => this.folderOf(r) === folder);
    if (folder === 'unassigned') rows.sort((x, y) => (x.wait_deadline ?? 0) - (y.wait_deadline ?? 0));
    else if (folder === 'closed') rows.sort((x, y) => (y.closed_at ?? 0) - (x.closed_at ?? 0));
    else rows.sort((x, y) => y.last_message_at - x.last_message_at);
    return rows;
  }

  /** Like the engine: visitors' names first, then messages, newest first; every word must
   * occur (case-insensitive); hits marked like FTS5's `snippet()`. */
  private search(query: string, limit: number): SearchHit[] {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    if (!words.length) return [];
    const names: SearchHit[] = [];
    const hits: SearchHit[] = [];
    for (const c of this.convs.values()) {
      if (this.folderOf(c.row) === null && c.row.state !== 'assigned') continue;
      const name = c.row.visitor_name ?? '';
      if (name && words.every((w) => name.toLowerCase().includes(w))) {
        names.push({
          conversation_id: c.row.id,
          message_id: null,
          snippet: snippet(name, words),
          visitor_name: c.row.visitor_name,
          conversation_state: c.row.state,
          created_at: c.row.last_message_at,
        });
      }
      for (const m of c.messages) {
        const lower = m.body.toLowerCase();
        if (!words.every((w) => lower.includes(w))) continue;
        hits.push({
          conversation_id: c.row.id,
          message_id: m.id,
          snippet: snippet(m.body, words),
          visitor_name: c.row.visitor_name,
          conversation_state: c.row.state,
          created_at: m.created_at,
        });
      }
    }
    hits.sort((x, y) => y.created_at - x.created_at);
    return [...names, ...hits].slice(0, limit);
  }
}

function meOnline(): OnlineOperator {
  return { id: ME.id, display_name: ME.display_name };
}

/** Marks every occurrence of the words and cuts a window around the first one. */
export function snippet(text: string, words: string[]): string {
  const lower = text.toLowerCase();
  const marks: Array<[number, number]> = [];
  for (const w of words) {
    let i = lower.indexOf(w);
    while (i >= 0) {
      marks.push([i, i + w.length]);
      i = lower.indexOf(w, i + w.length);
    }
  }
  marks.sort((x, y) => x[0] - y[0]);
  const merged: Array<[number, number]> = [];
  for (const m of marks) {
    const last = merged[merged.length - 1];
    if (last && m[0] <= last[1]) last[1] = Math.max(last[1], m[1]);
    else merged.push([...m]);
  }
  const from = Math.max(0, (merged[0]?.[0] ?? 0) - 40);
  const to = Math.min(text.length, from + 140);
  let out = from > 0 ? '…' : '';
  let pos = from;
  for (const [s, e] of merged) {
    if (s < from || e > to) continue;
    out += text.slice(pos, s) + HIGHLIGHT_START + text.slice(s, e) + HIGHLIGHT_END;
    pos = e;
  }
  out += text.slice(pos, to) + (to < text.length ? '…' : '');
  return out;
}

// -- demo data ------------------------------------------------------------------------------

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** Stored sales details from a request (the engine normalizes; this double trusts). */
function salesOf(r: UpdateDetailsRequest, at: number | null, by: string | null): SalesDetailsView {
  return {
    value: r.value ?? null,
    currency: r.currency ?? null,
    contact: r.contact ?? { name: null, emails: [], phones: [] },
    organization: r.organization ?? { name: null, address: null },
    notes: r.notes ?? null,
    updated_at: at,
    updated_by_name: by,
  };
}

export function emptyDetails(): Details {
  return {
    page_url: null,
    referrer: null,
    converted_url: null,
    language: null,
    fields: [],
    follow_ups: [],
    sales: {
      value: null,
      currency: null,
      contact: { name: null, emails: [], phones: [] },
      organization: { name: null, address: null },
      notes: null,
      updated_at: null,
      updated_by_name: null,
    },
    results: [],
  };
}

function row(id: string, now: number, over: Partial<ConversationRow>): ConversationRow {
  return {
    id,
    visitor_name: null,
    state: 'waiting',
    assignee_id: null,
    assignee_name: null,
    wait_deadline: null,
    created_at: now - 10 * MIN,
    last_message_at: now,
    preview: '',
    preview_author: null,
    message_count: 0,
    unread: 0,
    closed_at: null,
    has_draft: false,
    ...over,
  };
}

type Line = [Message['author'], string, number];

function conv(b: MemoryBackend, r: ConversationRow, lines: Line[], details: Partial<Details> = {}): void {
  const c: Conv = { row: r, messages: [], details: { ...emptyDetails(), ...details }, draft: '' };
  const now = b.serverNow();
  for (const [author, body, ago] of lines) {
    const name =
      author === 'visitor' ? (r.visitor_name ?? 'Visitor')
      : author === 'bot' ? 'Mila'
      : author === 'system' ? 'Frontdesk'
      : (r.assignee_name ?? ME.display_name);
    b.push(c, { author, author_name: name, body, created_at: now - ago });
  }
  b.add(c);
}

/** A result the bot's follow-up card created: synced with a link, or failed with a reason. */
function demoResult(
  conversation_id: string,
  kind: 'lead' | 'deal',
  title: string,
  at: number,
  sync: { url?: string; error?: string },
): CreatedResultView {
  return {
    id: `r-${conversation_id}`,
    conversation_id,
    kind,
    title,
    value: null,
    currency: null,
    person_id: null,
    organization_id: null,
    source: 'Chatbot',
    converted_url: null,
    stage: kind === 'deal' ? 'Qualified' : null,
    created_at: at,
    created_by: null,
    created_by_name: null,
    sync: {
      status: sync.url ? 'synced' : 'failed',
      url: sync.url ?? null,
      error: sync.error ?? null,
      attempts: sync.url ? 1 : 6,
      next_attempt_at: null,
    },
  };
}

/** A small sales team's morning: two visitors waiting, three chats of mine, bot and closed ones. */
export function seedDemo(b: MemoryBackend): void {
  const now = b.serverNow();
  conv(
    b,
    row('c-lena', now, { visitor_name: 'Lena Hoffmann', wait_deadline: now + 54_000, created_at: now - 2 * MIN }),
    [
      ['bot', 'Hi! I’m Mila. What brings you here today?', 2 * MIN],
      ['visitor', 'Talk to a person', 2 * MIN - 5000],
      ['bot', 'One moment — I’m finding a colleague for you.', 2 * MIN - 6000],
      ['visitor', 'Wir sind 40 Leute im Vertrieb. Gibt es einen Mengenrabatt für das Jahresabo?', 50_000],
    ],
    {
      page_url: 'https://acme-sales.example/de/preise',
      referrer: 'https://www.google.de/',
      language: 'de-DE',
      fields: [
        { key: 'name', value: 'Lena Hoffmann' },
        { key: 'organization', value: 'Nordlicht Logistik GmbH' },
      ],
    },
  );
  conv(
    b,
    row('c-anon', now, { visitor_name: null, wait_deadline: now + 2 * MIN + 41_000, created_at: now - 40_000 }),
    [
      ['bot', 'Hi! I’m Mila. What brings you here today?', 40_000],
      ['visitor', 'Talk to a person', 30_000],
      ['visitor', 'Does the API let us sync deals both ways with Salesforce?', 20_000],
    ],
    { page_url: 'https://acme-sales.example/integrations', referrer: null, language: 'en-US' },
  );
  conv(
    b,
    row('c-marcus', now, {
      visitor_name: 'Marcus Reid',
      state: 'assigned',
      assignee_id: ME.id,
      assignee_name: ME.display_name,
      unread: 2,
      created_at: now - 25 * MIN,
    }),
    [
      ['bot', 'Hi! I’m Mila. What brings you here today?', 25 * MIN],
      ['visitor', 'Talk to a person', 24 * MIN],
      ['system', 'Sam Keller joined the chat', 23 * MIN],
      ['operator', 'Hi Marcus, Sam here. How can I help?', 23 * MIN - 10_000],
      ['visitor', 'We’re evaluating you against two other tools for a 12-person SDR team.', 20 * MIN],
      ['operator', 'Happy to help you compare. Is a two-week trial with your own pipeline useful?', 18 * MIN],
      ['visitor', 'Yes. Could you also send the security whitepaper? Our IT asks for SSO and data residency in the EU.', 3 * MIN],
      ['visitor', 'And is onboarding included in the Growth plan?', 2 * MIN],
    ],
    {
      page_url: 'https://acme-sales.example/pricing#growth',
      referrer: 'https://www.g2.com/compare/acme-vs-others',
      converted_url: 'https://acme-sales.example/pricing#growth',
      language: 'en-GB',
      fields: [
        { key: 'name', value: 'Marcus Reid' },
        { key: 'email', value: 'marcus.reid@brightpath.example' },
        { key: 'organization', value: 'Brightpath Analytics' },
        { key: 'custom.team_size', value: '12' },
      ],
      sales: {
        value: 14_400,
        currency: 'GBP',
        contact: { name: 'Marcus Reid', emails: ['marcus.reid@brightpath.example'], phones: [] },
        organization: { name: 'Brightpath Analytics', address: null },
        notes: '12 SDRs. Needs SSO and EU data residency; asked for the security whitepaper.',
        updated_at: now - 4 * MIN,
        updated_by_name: ME.display_name,
      },
      results: [
        demoResult('c-marcus', 'lead', 'Brightpath Analytics — Growth plan', now - 22 * MIN, {
          url: 'https://acme-sales.pipedrive.com/leads/inbox/3f2a',
        }),
      ],
    },
  );
  conv(
    b,
    row('c-sofia', now, {
      visitor_name: 'Sofia Brandt',
      state: 'assigned',
      assignee_id: ME.id,
      assignee_name: ME.display_name,
      created_at: now - 2 * HOUR,
    }),
    [
      ['visitor', 'Talk to a person', 2 * HOUR],
      ['system', 'Sam Keller joined the chat', 2 * HOUR - MIN],
      ['visitor', 'Können wir den Vertrag monatlich kündigen?', 2 * HOUR - 2 * MIN],
      ['operator', 'Ja, im Monatsplan jederzeit zum Monatsende. Im Jahresplan sparen Sie 20 %.', 1 * HOUR + 50 * MIN],
      ['visitor', 'Super, danke! Ich bespreche das mit meinem Team.', 1 * HOUR + 40 * MIN],
    ],
    {
      page_url: 'https://acme-sales.example/de/preise',
      language: 'de-AT',
      fields: [
        { key: 'name', value: 'Sofia Brandt' },
        { key: 'email', value: 'sofia@brandt-immobilien.example' },
      ],
    },
  );
  conv(
    b,
    row('c-tom', now, {
      visitor_name: 'Tom Okafor',
      state: 'assigned',
      assignee_id: ME.id,
      assignee_name: ME.display_name,
      created_at: now - 5 * HOUR,
    }),
    [
      ['visitor', 'Talk to a person', 5 * HOUR],
      ['system', 'Sam Keller joined the chat', 5 * HOUR - MIN],
      ['visitor', 'Can I move our 3 seats to the annual plan mid-cycle?', 5 * HOUR - 2 * MIN],
      ['operator', 'Yes — the remaining days are credited. I’ll send you the link.', 4 * HOUR],
    ],
    { page_url: 'https://acme-sales.example/account/billing', language: 'en-US', fields: [{ key: 'name', value: 'Tom Okafor' }] },
  );
  conv(
    b,
    row('c-off1', now, { visitor_name: 'Julia Meier', state: 'offline', created_at: now - 14 * HOUR }),
    [
      ['visitor', 'Talk to a person', 14 * HOUR],
      ['bot', 'Nobody is online right now. Leave your email and we’ll get back to you first thing tomorrow.', 14 * HOUR - 5000],
      ['visitor', 'julia.meier@stadtwerk-nord.example', 14 * HOUR - 30_000],
      ['bot', 'Thanks! What would you like to talk about?', 14 * HOUR - 31_000],
      ['visitor', 'Angebot für 25 Lizenzen inklusive Schulung', 14 * HOUR - 60_000],
    ],
    {
      page_url: 'https://acme-sales.example/de/enterprise',
      language: 'de-DE',
      fields: [
        { key: 'name', value: 'Julia Meier' },
        { key: 'email', value: 'julia.meier@stadtwerk-nord.example' },
        { key: 'custom.topic', value: 'Angebot für 25 Lizenzen inklusive Schulung' },
      ],
      results: [
        demoResult('c-off1', 'deal', 'Stadtwerk Nord — 25 Lizenzen', now - 14 * HOUR, {
          error: 'Pipedrive refused the API token (401). An admin can enter a new one.',
        }),
      ],
    },
  );
  conv(
    b,
    row('c-closed1', now, {
      visitor_name: 'Daniel Fischer',
      state: 'closed',
      assignee_id: 'op-priya',
      assignee_name: 'Priya Shah',
      created_at: now - DAY - 3 * HOUR,
      closed_at: now - DAY - 2 * HOUR,
    }),
    [
      ['visitor', 'Talk to a person', DAY + 3 * HOUR],
      ['system', 'Priya Shah joined the chat', DAY + 3 * HOUR - MIN],
      ['visitor', 'Gibt es eine Pipedrive-Integration? Wir wollen Leads direkt als Deal anlegen.', DAY + 3 * HOUR - 2 * MIN],
      ['operator', 'Ja! Leads und Deals landen direkt in Pipedrive, inklusive Notiz mit dem Chatverlauf.', DAY + 2 * HOUR + 50 * MIN],
      ['visitor', 'Perfekt, dann buchen wir eine Demo.', DAY + 2 * HOUR + 30 * MIN],
    ],
    { page_url: 'https://acme-sales.example/de/integrationen/pipedrive', language: 'de-DE', fields: [{ key: 'name', value: 'Daniel Fischer' }] },
  );
  conv(
    b,
    row('c-closed2', now, {
      visitor_name: 'Aisha Rahman',
      state: 'closed',
      assignee_id: ME.id,
      assignee_name: ME.display_name,
      created_at: now - 3 * DAY,
      closed_at: now - 3 * DAY + HOUR,
    }),
    [
      ['visitor', 'Talk to a person', 3 * DAY],
      ['operator', 'Hi Aisha! The Pipedrive sync runs every minute and never creates duplicates.', 3 * DAY - 10 * MIN],
      ['visitor', 'Great, that was my main worry. Thanks!', 3 * DAY - 12 * MIN],
    ],
    { page_url: 'https://acme-sales.example/integrations/pipedrive', language: 'en-GB', fields: [{ key: 'name', value: 'Aisha Rahman' }] },
  );
}

/**
 * The double behind `npm run dev` in a plain browser, with a little life in it: a visitor
 * types and writes now and then, waits expire. `?signed_out` starts at the sign-in screen,
 * `?offline` without a connection, `?lang=de` is handled by the app.
 */
export function previewBackend(params: URLSearchParams): Backend {
  const b = new MemoryBackend({ signedIn: !params.has('signed_out'), serverOffsetMs: 2500, admin: params.has('admin') });
  if (params.has('offline')) b.setConnected(false);
  (window as unknown as { frontdeskPreview: MemoryBackend }).frontdeskPreview = b;
  if (!params.has('still')) {
    setInterval(() => b.expireWaits(), 1000);
    let turn = 0;
    const lines = [
      'Also: do you offer a discount for nonprofits?',
      'Our legal team wants the DPA before Friday.',
      'Thanks, that helps a lot!',
    ];
    setInterval(() => {
      if (b.sync.state === 'offline') return;
      b.emit('typing', { conversation_id: 'c-marcus', name: 'Marcus Reid' });
      setTimeout(() => b.visitorSays('c-marcus', lines[turn++ % lines.length]), 2500);
    }, 45_000);
  }
  return b;
}
