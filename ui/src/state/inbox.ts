// The inbox's state and everything it does, independent of how it is drawn. It reads and
// writes only through the Backend and follows the backend's events: what the screen shows
// (presence, sync state, counts) is always what the engine last said.
import { readLocal, writeLocal } from './local';
import { useObserved } from './subscribe';
import { type Backend, BackendError, toBackendError } from '../backend/backend';
import type {
  ConversationDetail,
  ConversationRow,
  Folder,
  FolderCounts,
  IpcError,
  OpenChatsChoice,
  Presence,
  SearchHit,
  Session,
  SignInArgs,
  SyncState,
  UpdateDetailsRequest,
} from '../backend/types';
import { FOLDERS } from '../backend/types';
import { type Lang, LANGUAGES, detectLanguage } from '../i18n';

export type Dialog =
  | { kind: 'close'; conversation_id: string }
  | { kind: 'reassign'; conversation_id: string }
  | { kind: 'offline'; conversation_ids: string[] }
  | { kind: 'help' };

/** A message for the operator: an i18n key (with variables) or an engine error. */
export type Notice = { id: number; error: IpcError };

export interface InboxState {
  booted: boolean;
  session: Session | null;
  sync: SyncState;
  presence: Presence;
  offsetMs: number;
  folder: Folder;
  rows: ConversationRow[];
  nextBefore: string | null;
  listLoading: boolean;
  counts: FolderCounts;
  selectedId: string | null;
  detail: ConversationDetail | null;
  typing: { conversation_id: string; name: string } | null;
  searchQuery: string;
  /** `null` while no search is active. */
  searchHits: SearchHit[] | null;
  dialog: Dialog | null;
  notice: Notice | null;
  notificationsUnavailable: string | null;
  showDetails: boolean;
  lang: Lang;
  singleKeyShortcuts: boolean;
  /** The inbox, or (admins) the live chat set-up. */
  view: 'inbox' | 'setup';
}

export const PAGE_SIZE = 50;
const TYPING_SHOWN_MS = 6000;
const TYPING_SEND_EVERY_MS = 3000;
const DRAFT_SAVE_MS = 400;

const emptyCounts = (): FolderCounts =>
  Object.fromEntries(FOLDERS.map((f) => [f, { total: 0, unread: 0 }])) as FolderCounts;


function initialLang(): Lang {
  const saved = readLocal('frontdesk.lang');
  if (saved && (LANGUAGES as readonly string[]).includes(saved)) return saved as Lang;
  const nav = globalThis.navigator;
  return detectLanguage(nav?.languages?.length ? nav.languages : [nav?.language ?? 'en']);
}

/** The folder a conversation belongs in for me, or null (with the bot, or a colleague's). */
export function folderOf(row: ConversationRow, myId: string | undefined): Folder | null {
  switch (row.state) {
    case 'waiting':
      return 'unassigned';
    case 'assigned':
      return row.assignee_id === myId ? 'mine' : null;
    case 'offline':
      return 'offline';
    case 'closed':
      return 'closed';
    default:
      return null;
  }
}

export class Inbox {
  state: InboxState;
  private listeners = new Set<() => void>();
  private unlisten: Array<() => void> = [];
  private listSeq = 0;
  private detailSeq = 0;
  private searchSeq = 0;
  /** How many sync-state and presence events have arrived (a read older than one is stale). */
  private pushed = { sync: 0, presence: 0 };
  /** The conversation being reassigned by me: its disappearance is expected, not an error. */
  private handingOver: string | null = null;
  private refreshQueued = false;
  private typingTimer: ReturnType<typeof setTimeout> | null = null;
  private lastTypingSent = 0;
  private draftTimer: ReturnType<typeof setTimeout> | null = null;
  private noticeId = 0;
  /** Drafts typed in this run, newer than the stored ones. */
  drafts = new Map<string, string>();

  constructor(readonly backend: Backend) {
    this.state = {
      booted: false,
      session: null,
      sync: { state: 'connecting', detail: null, outbox: 0, sales_outbox: 0 },
      presence: { chose_online: false, online: false, operators_online: [] },
      offsetMs: 0,
      folder: 'unassigned',
      rows: [],
      nextBefore: null,
      listLoading: false,
      counts: emptyCounts(),
      selectedId: null,
      detail: null,
      typing: null,
      searchQuery: '',
      searchHits: null,
      dialog: null,
      notice: null,
      notificationsUnavailable: null,
      // Beside the conversation on wide windows; on narrow ones it opens over it on request.
      showDetails: (globalThis.innerWidth ?? 1280) > 1180,
      lang: initialLang(),
      singleKeyShortcuts: readLocal('frontdesk.shortcuts') !== 'off',
      view: 'inbox',
    };
  }

  /** Asked before leaving the set-up: returns true when it takes over (it asks about unsaved
   *  changes and calls `go` once the admin decided). */
  leaveGuard: ((go: () => void) => boolean) | null = null;

  showSetup(): void {
    if (this.state.session?.operator?.role !== 'admin') return;
    this.set({ view: 'setup', searchHits: null });
  }

  /** Back to the inbox (asking first when the set-up has unsaved changes), then `then`. */
  showInbox(then?: () => void): void {
    const go = () => {
      if (this.state.view !== 'inbox') this.set({ view: 'inbox' });
      then?.();
    };
    if (this.state.view === 'setup' && this.leaveGuard?.(go)) return;
    go();
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private set(patch: Partial<InboxState>): void {
    this.state = { ...this.state, ...patch };
    this.listeners.forEach((l) => l());
  }

  get myId(): string | undefined {
    return this.state.session?.operator?.id;
  }

  // -- start and events -------------------------------------------------------------------

  async boot(): Promise<void> {
    const b = this.backend;
    // Listen before the first read, so that nothing that happens meanwhile is missed.
    this.unlisten = await Promise.all([
      b.on('sync_state', (sync) => {
        this.pushed.sync++;
        this.set({ sync });
      }),
      b.on('presence', (presence) => {
        this.pushed.presence++;
        this.set({ presence });
      }),
      b.on('inbox_changed', ({ conversation_ids }) => this.onInboxChanged(conversation_ids)),
      b.on('conversation_changed', ({ conversation_id }) => {
        if (conversation_id === this.state.selectedId) void this.reloadDetail();
      }),
      b.on('typing', (e) => this.onTyping(e.conversation_id, e.name)),
      // A notification or the tray: the conversation, also from the set-up (asking first
      // when it has unsaved changes).
      b.on('open_conversation', ({ conversation_id }) =>
        this.showInbox(() => void this.open(conversation_id, { showFolder: true })),
      ),
      b.on('offline_with_open_chats', ({ conversation_ids }) => {
        this.set({ dialog: { kind: 'offline', conversation_ids } });
        void this.refreshOnlineOperators();
      }),
      b.on('session_ended', (error) => {
        this.set({
          session: { ...(this.state.session ?? { server_url: null }), operator: null, signed_in: false },
          view: 'inbox',
        });
        this.notify(new BackendError('session_ended', error.message));
      }),
      b.on('notifications_unavailable', ({ message }) => this.set({ notificationsUnavailable: message })),
    ]);
    this.tellLanguage();
    try {
      const session = await b.call('session');
      this.set({ session });
      if (session.signed_in) await this.loadAll();
    } catch (e) {
      this.set({ session: { server_url: null, operator: null, signed_in: false } });
      this.notify(e);
    }
    this.set({ booted: true });
  }

  dispose(): void {
    this.unlisten.forEach((u) => u());
    this.unlisten = [];
  }

  private async loadAll(): Promise<void> {
    const b = this.backend;
    const pushed = { ...this.pushed };
    const [sync, presence, offsetMs] = await Promise.all([
      b.call('sync_state'),
      b.call('presence'),
      b.call('server_time_offset'),
    ]);
    // An event that arrived while these were read is newer than their answers.
    this.set({
      offsetMs,
      ...(pushed.sync === this.pushed.sync ? { sync } : {}),
      ...(pushed.presence === this.pushed.presence ? { presence } : {}),
    });
    await Promise.all([this.loadCounts(), this.loadList()]);
  }

  private onInboxChanged(ids: string[]): void {
    if (this.state.selectedId && ids.includes(this.state.selectedId)) void this.reloadDetail();
    if (this.refreshQueued) return;
    this.refreshQueued = true;
    queueMicrotask(() => {
      this.refreshQueued = false;
      void this.loadCounts();
      void this.loadList();
    });
  }

  private onTyping(conversation_id: string, name: string): void {
    if (this.typingTimer) clearTimeout(this.typingTimer);
    this.set({ typing: { conversation_id, name } });
    this.typingTimer = setTimeout(() => this.set({ typing: null }), TYPING_SHOWN_MS);
  }

  notify(e: unknown): void {
    const err = toBackendError(e);
    this.set({ notice: { id: ++this.noticeId, error: { code: err.code, message: err.message } } });
  }

  dismissNotice(): void {
    this.set({ notice: null });
  }

  // -- session ----------------------------------------------------------------------------

  /** Signs in; resolves to the error to show, or null. */
  async signIn(args: SignInArgs): Promise<IpcError | null> {
    try {
      const session = await this.backend.call('sign_in', args);
      this.set({ session, notice: null, view: 'inbox' });
      await this.loadAll();
      return null;
    } catch (e) {
      const err = toBackendError(e);
      return { code: err.code, message: err.message };
    }
  }

  async signOut(): Promise<void> {
    try {
      await this.backend.call('sign_out');
      this.set({
        session: { ...(this.state.session ?? { server_url: null }), operator: null, signed_in: false },
        rows: [],
        detail: null,
        selectedId: null,
        searchHits: null,
        searchQuery: '',
        view: 'inbox',
      });
    } catch (e) {
      this.notify(e);
    }
  }

  // -- folders and lists ------------------------------------------------------------------

  async loadCounts(): Promise<void> {
    try {
      this.set({ counts: await this.backend.call('folder_counts') });
    } catch (e) {
      this.notify(e);
    }
  }

  async loadList(more = false): Promise<void> {
    const seq = ++this.listSeq;
    const folder = this.state.folder;
    // A refresh reloads as many rows as are shown, so an open list does not jump back.
    const limit = more ? PAGE_SIZE : Math.max(PAGE_SIZE, this.state.rows.length);
    this.set({ listLoading: true });
    try {
      const page = await this.backend.call('list_folder', {
        folder,
        limit,
        before: more ? this.state.nextBefore : null,
      });
      if (seq !== this.listSeq) return;
      this.set({
        rows: more ? [...this.state.rows, ...page.rows] : page.rows,
        nextBefore: page.next_before,
        listLoading: false,
      });
    } catch (e) {
      if (seq === this.listSeq) this.set({ listLoading: false });
      this.notify(e);
    }
  }

  async selectFolder(folder: Folder): Promise<void> {
    if (folder === this.state.folder && this.state.searchHits === null) return;
    this.set({ folder, rows: [], nextBefore: null, searchHits: null, searchQuery: '' });
    await this.loadList();
  }

  // -- one conversation -------------------------------------------------------------------

  async open(id: string, opts: { showFolder?: boolean } = {}): Promise<void> {
    this.flushDraft();
    const seq = ++this.detailSeq;
    const same = this.state.selectedId === id;
    this.set({ selectedId: id, detail: same ? this.state.detail : null, typing: null });
    try {
      const detail = await this.backend.call('open_conversation', { conversation_id: id });
      if (seq !== this.detailSeq) return;
      this.set({ detail });
      if (opts.showFolder) {
        const f = folderOf(detail.conversation, this.myId);
        if (f && (f !== this.state.folder || this.state.searchHits !== null)) await this.selectFolder(f);
      }
      if (detail.conversation.unread > 0) await this.backend.call('mark_read', { conversation_id: id });
    } catch (e) {
      if (seq === this.detailSeq) this.set({ selectedId: null, detail: null });
      this.notify(e);
    }
  }

  async reloadDetail(): Promise<void> {
    const id = this.state.selectedId;
    if (!id) return;
    const seq = ++this.detailSeq;
    try {
      const detail = await this.backend.call('open_conversation', { conversation_id: id });
      if (seq !== this.detailSeq) return;
      this.set({ detail });
      if (detail.conversation.unread > 0) await this.backend.call('mark_read', { conversation_id: id });
    } catch (e) {
      const err = toBackendError(e);
      if (err.code === 'conversation_not_found') {
        // Handed to a colleague (S10) or gone: it is no longer mine to see. Said once, by
        // the reload that still has it open.
        if (this.state.selectedId !== id || this.handingOver === id) return;
        this.detailSeq++;
        this.set({ selectedId: null, detail: null });
      }
      this.notify(err);
    }
  }

  /** Moves the selection through the visible list (search hits or folder rows). */
  step(delta: 1 | -1): void {
    const ids = this.state.searchHits
      ? [...new Set(this.state.searchHits.map((h) => h.conversation_id))]
      : this.state.rows.map((r) => r.id);
    if (!ids.length) return;
    const at = this.state.selectedId ? ids.indexOf(this.state.selectedId) : -1;
    const next = at < 0 ? (delta > 0 ? 0 : ids.length - 1) : Math.min(ids.length - 1, Math.max(0, at + delta));
    if (ids[next] !== this.state.selectedId) void this.open(ids[next]);
  }

  draftFor(id: string): string {
    return this.drafts.get(id) ?? (this.state.detail?.conversation.id === id ? this.state.detail.draft : '');
  }

  setDraft(id: string, body: string): void {
    this.drafts.set(id, body);
    if (this.draftTimer) clearTimeout(this.draftTimer);
    this.draftTimer = setTimeout(() => this.flushDraft(), DRAFT_SAVE_MS);
  }

  private flushDraft(): void {
    if (this.draftTimer) clearTimeout(this.draftTimer);
    this.draftTimer = null;
    for (const [conversation_id, body] of this.drafts) {
      void this.backend.call('save_draft', { conversation_id, body }).catch(() => undefined);
    }
  }

  /** Sends (into the engine's outbox); resolves true when the message was taken. */
  async send(body: string): Promise<boolean> {
    const d = this.state.detail;
    if (!d || !body.trim()) return false;
    const conversation_id = d.conversation.id;
    try {
      const message = await this.backend.call('send_message', { conversation_id, body });
      this.drafts.delete(conversation_id);
      const cur = this.state.detail;
      if (cur && cur.conversation.id === conversation_id && !cur.messages.some((m) => m.id === message.id)) {
        this.set({ detail: { ...cur, draft: '', messages: [...cur.messages, message] } });
      }
      return true;
    } catch (e) {
      this.notify(e);
      return false;
    }
  }

  async retry(message_id: string): Promise<void> {
    await this.act(() => this.backend.call('retry_message', { message_id }));
    await this.reloadDetail();
  }

  async discard(message_id: string): Promise<void> {
    await this.act(() => this.backend.call('discard_message', { message_id }));
    await this.reloadDetail();
  }

  typing(): void {
    const d = this.state.detail;
    if (!d || Date.now() - this.lastTypingSent < TYPING_SEND_EVERY_MS) return;
    this.lastTypingSent = Date.now();
    void this.backend.call('typing', { conversation_id: d.conversation.id }).catch(() => undefined);
  }

  private async act(run: () => Promise<unknown>): Promise<boolean> {
    try {
      await run();
      return true;
    } catch (e) {
      this.notify(e);
      return false;
    }
  }

  // -- sales details and created results (S12, S13) ---------------------------------------

  /** Saves the open conversation's details (into the outbox); true when they were taken. */
  async saveDetails(details: UpdateDetailsRequest): Promise<boolean> {
    const d = this.state.detail;
    if (!d || d.sales_lock) return false;
    const ok = await this.act(() =>
      this.backend.call('update_details', { conversation_id: d.conversation.id, details }),
    );
    if (ok) await this.reloadDetail();
    return ok;
  }

  async createResult(kind: 'lead' | 'deal'): Promise<void> {
    const d = this.state.detail;
    if (!d || d.sales_lock) return;
    await this.act(() => this.backend.call('create_result', { conversation_id: d.conversation.id, kind }));
    await this.reloadDetail();
  }

  async retryResultPush(result_id: string): Promise<void> {
    const d = this.state.detail;
    if (!d) return;
    await this.act(() => this.backend.call('retry_result_push', { conversation_id: d.conversation.id, result_id }));
    await this.reloadDetail();
  }

  async openResultLink(result_id: string): Promise<void> {
    const d = this.state.detail;
    if (!d) return;
    await this.act(() => this.backend.call('open_result_link', { conversation_id: d.conversation.id, result_id }));
  }

  async retrySales(action_id: string): Promise<void> {
    await this.act(() => this.backend.call('retry_sales_action', { action_id }));
    await this.reloadDetail();
  }

  async discardSales(action_id: string): Promise<void> {
    await this.act(() => this.backend.call('discard_sales_action', { action_id }));
    await this.reloadDetail();
  }

  /** Conversation actions that apply to the open conversation. */
  can(): { assign: boolean; reassign: boolean; close: boolean; reply: boolean } {
    const c = this.state.detail?.conversation;
    const mine = !!c && c.state === 'assigned' && c.assignee_id === this.myId;
    return {
      assign: c?.state === 'waiting',
      reassign: mine,
      close: mine,
      reply: mine,
    };
  }

  async assign(): Promise<void> {
    const d = this.state.detail;
    if (!d || !this.can().assign) return;
    if (await this.act(() => this.backend.call('assign', { conversation_id: d.conversation.id }))) {
      await this.reloadDetail();
    } else {
      await Promise.all([this.reloadDetail(), this.loadList()]);
    }
  }

  askReassign(): void {
    const d = this.state.detail;
    if (!d || !this.can().reassign) return;
    this.set({ dialog: { kind: 'reassign', conversation_id: d.conversation.id } });
    void this.refreshOnlineOperators();
  }

  /** Asks who is online now (presence events keep the list current afterwards). */
  async refreshOnlineOperators(): Promise<void> {
    try {
      const operators_online = await this.backend.call('online_operators');
      this.set({ presence: { ...this.state.presence, operators_online } });
    } catch {
      /* the list from the last presence event stays */
    }
  }

  async reassign(conversation_id: string, operator_id: string): Promise<void> {
    this.set({ dialog: null });
    this.handingOver = conversation_id;
    try {
      if (await this.act(() => this.backend.call('reassign', { conversation_id, operator_id }))) {
        // It is the colleague's now and no longer visible to me: close it, not an error.
        if (this.state.selectedId === conversation_id) {
          this.detailSeq++;
          this.set({ selectedId: null, detail: null });
        }
      }
    } finally {
      this.handingOver = null;
    }
  }

  askClose(): void {
    const d = this.state.detail;
    if (d && this.can().close) this.set({ dialog: { kind: 'close', conversation_id: d.conversation.id } });
  }

  async close(conversation_id: string): Promise<void> {
    this.set({ dialog: null });
    if (await this.act(() => this.backend.call('close', { conversation_id }))) {
      if (this.state.selectedId === conversation_id) await this.reloadDetail();
    }
  }

  // -- presence ---------------------------------------------------------------------------

  /** Asks the engine; when I hold open chats it answers with `offline_with_open_chats`. */
  async setPresence(online: boolean): Promise<void> {
    try {
      const presence = await this.backend.call('set_presence', { online, open_chats: null });
      this.set({ presence });
    } catch (e) {
      this.notify(e);
    }
  }

  async goOfflineWith(choice: OpenChatsChoice): Promise<void> {
    this.set({ dialog: null });
    try {
      const presence = await this.backend.call('set_presence', { online: false, open_chats: choice });
      this.set({ presence });
    } catch (e) {
      this.notify(e);
    }
  }

  // -- search -----------------------------------------------------------------------------

  async search(query: string): Promise<void> {
    const seq = ++this.searchSeq;
    this.set({ searchQuery: query });
    if (!query.trim()) {
      this.set({ searchHits: null });
      return;
    }
    try {
      const { hits } = await this.backend.call('search', { query: query.trim(), limit: 100 });
      if (seq === this.searchSeq) this.set({ searchHits: hits });
    } catch (e) {
      this.notify(e);
    }
  }

  clearSearch(): void {
    ++this.searchSeq;
    this.set({ searchQuery: '', searchHits: null });
  }

  // -- view settings ----------------------------------------------------------------------

  setDialog(dialog: Dialog | null): void {
    this.set({ dialog });
  }

  toggleDetails(): void {
    this.set({ showDetails: !this.state.showDetails });
  }

  setLang(lang: Lang): void {
    writeLocal('frontdesk.lang', lang);
    this.set({ lang });
    this.tellLanguage();
  }

  /** The OS notifications come from the engine: they speak the language chosen here. */
  private tellLanguage(): void {
    void this.backend.call('set_language', { lang: this.state.lang }).catch(() => undefined);
  }

  setSingleKeyShortcuts(on: boolean): void {
    writeLocal('frontdesk.shortcuts', on ? 'on' : 'off');
    this.set({ singleKeyShortcuts: on });
  }

  dismissNotificationsNotice(): void {
    this.set({ notificationsUnavailable: null });
  }
}

/** Re-renders the caller whenever the inbox state changes. */
export function useInbox(inbox: Inbox): InboxState {
  return useObserved(inbox);
}

