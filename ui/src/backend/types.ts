// The contract between the inbox UI and whatever serves its data: the desktop app's Rust
// engine over Tauri IPC today (tauri.ts), a browser build that talks to the server directly
// later (S16).
//
// These hand-written types become generated bindings: the Rust side derives them with ts-rs
// and this file is replaced by (or re-exports) the generated ones. Until then this is the one
// place where they are written down; ui/README.md documents the same contract.
//
// Conventions: ids are UUID strings; times are unix milliseconds (numbers); optional values
// are `null`, never missing; field names are snake_case as on the server's wire.

export type Folder = 'unassigned' | 'mine' | 'offline' | 'closed';
export const FOLDERS: readonly Folder[] = ['unassigned', 'mine', 'offline', 'closed'];

/** The one error shape of every failed command (and of a message the server refused). */
export interface IpcError {
  /** Stable, machine-readable, e.g. `invalid_credentials`, `already_assigned`, `offline`. */
  code: string;
  /** For people: what went wrong and what to do. */
  message: string;
}

export type Role = 'admin' | 'operator';

export interface Operator {
  id: string;
  display_name: string;
  email: string;
  role: Role;
}

export interface Session {
  /** The server this app signs in to (preselected by `--server` / `FRONTDESK_SERVER`). */
  server_url: string | null;
  operator: Operator | null;
  signed_in: boolean;
}

export interface SignInArgs {
  server_url: string;
  email: string;
  password: string;
}

export type ConversationState = 'bot' | 'waiting' | 'assigned' | 'offline' | 'closed';
export type AuthorKind = 'visitor' | 'operator' | 'bot' | 'system';

/** One row of a folder; also the `conversation` of an opened conversation. */
export interface ConversationRow {
  id: string;
  /** Visitor-supplied: render as text only. `null` when the visitor gave no name. */
  visitor_name: string | null;
  state: ConversationState;
  assignee_id: string | null;
  assignee_name: string | null;
  /** When the wait for an operator ends, server clock (state `waiting` only). */
  wait_deadline: number | null;
  created_at: number;
  last_message_at: number;
  /** The last message's text, shortened by the engine (≤ 200 characters). */
  preview: string;
  preview_author: AuthorKind | null;
  message_count: number;
  /** Messages not yet read by me. */
  unread: number;
  closed_at: number | null;
  /** A draft for this conversation is stored in the local cache. */
  has_draft: boolean;
}

export interface FolderPage {
  /**
   * Ordered by the engine: unassigned by `wait_deadline` ascending (most urgent first), mine and
   * offline by `last_message_at` descending, closed by `closed_at` descending.
   */
  rows: ConversationRow[];
  /** Pass as `before` to get the next page; `null` on the last page. */
  next_before: string | null;
}

export interface ListFolderArgs {
  folder: Folder;
  limit: number;
  before: string | null;
}

export interface FolderCount {
  total: number;
  /** Conversations in the folder with at least one unread message. */
  unread: number;
}
export type FolderCounts = Record<Folder, FolderCount>;

export type MessageStatus = 'sent' | 'pending' | 'failed';

export interface Message {
  id: string;
  author: AuthorKind;
  /** Visitor-supplied for visitor messages: render as text only. */
  author_name: string;
  /** Visitor-supplied for visitor messages: render as text only. */
  body: string;
  created_at: number;
  /** `pending`: in the local outbox; `failed`: the server refused it (kept, never dropped). */
  status: MessageStatus;
  /** Why a `failed` message was refused; `null` otherwise. */
  error: IpcError | null;
}

export interface FieldValue {
  /** `name`, `email`, `phone`, `organization`, `custom.<key>`. */
  key: string;
  value: string;
}

export interface FollowUp {
  id: string;
  /** `activity`, `lead` or `deal`. */
  kind: string;
  title: string;
  fields: FieldValue[];
  page_url: string | null;
  /** `pending` until pushed to a CRM. */
  status: string;
  created_at: number;
}

export interface Details {
  page_url: string | null;
  referrer: string | null;
  converted_url: string | null;
  /** The visitor's browser language, e.g. `de-DE`. */
  language: string | null;
  fields: FieldValue[];
  follow_ups: FollowUp[];
}

export interface ConversationDetail {
  conversation: ConversationRow;
  /** Oldest first; pending and failed outbox messages included at their place. */
  messages: Message[];
  details: Details;
  /** The stored draft for this conversation ('' when none). */
  draft: string;
}

export interface ConversationArgs {
  conversation_id: string;
}
export interface SendMessageArgs {
  conversation_id: string;
  body: string;
}
export interface MessageArgs {
  message_id: string;
}
export interface ReassignArgs {
  conversation_id: string;
  operator_id: string;
}
export interface DraftArgs {
  conversation_id: string;
  body: string;
}

/** What to do with the conversations I hold when I go offline (B4). */
export type OpenChatsChoice =
  | { action: 'reassign'; operator_id: string }
  | { action: 'release' };

export interface SetPresenceArgs {
  online: boolean;
  /**
   * Only when going offline. Without it, if I hold open conversations, nothing changes and the
   * engine emits `offline_with_open_chats` (the same path as the tray's "Go offline").
   */
  open_chats: OpenChatsChoice | null;
}

export interface OnlineOperator {
  id: string;
  display_name: string;
}

export interface Presence {
  /** What I chose. */
  chose_online: boolean;
  /** Chose online and connected (or within the server's grace period). */
  online: boolean;
  /** Everyone online now, me included. */
  operators_online: OnlineOperator[];
}

export interface SearchArgs {
  query: string;
  limit: number;
}

/** Highlight markers in `SearchHit.snippet` (FTS5 `snippet()` start and end marks). */
export const HIGHLIGHT_START = '\uE000';
export const HIGHLIGHT_END = '\uE001';

export interface SearchHit {
  conversation_id: string;
  /** `null` when the hit is in the visitor's name or a captured field. */
  message_id: string | null;
  /** Text with hits between HIGHLIGHT_START and HIGHLIGHT_END; visitor-supplied. */
  snippet: string;
  visitor_name: string | null;
  conversation_state: ConversationState;
  created_at: number;
}

export interface SearchResult {
  hits: SearchHit[];
}

export type SyncStateName = 'connecting' | 'catching_up' | 'live' | 'offline';

export interface SyncState {
  state: SyncStateName;
  /** For people, e.g. the last connection error; `null` when there is nothing to say. */
  detail: string | null;
  /** Messages waiting in the outbox. */
  outbox: number;
}

/** Commands: name → [argument, result]. Commands with an argument take it as `{ args }`. */
export interface Commands {
  session: [void, Session];
  sign_in: [SignInArgs, Session];
  sign_out: [void, null];
  sync_state: [void, SyncState];
  list_folder: [ListFolderArgs, FolderPage];
  folder_counts: [void, FolderCounts];
  open_conversation: [ConversationArgs, ConversationDetail];
  mark_read: [ConversationArgs, null];
  save_draft: [DraftArgs, null];
  send_message: [SendMessageArgs, Message];
  retry_message: [MessageArgs, null];
  discard_message: [MessageArgs, null];
  assign: [ConversationArgs, null];
  reassign: [ReassignArgs, null];
  close: [ConversationArgs, null];
  presence: [void, Presence];
  set_presence: [SetPresenceArgs, Presence];
  online_operators: [void, OnlineOperator[]];
  typing: [ConversationArgs, null];
  search: [SearchArgs, SearchResult];
  /** Milliseconds to add to the local clock to get the server's. */
  server_time_offset: [void, number];
}

/** Events the engine emits (Tauri `emit` to the main window): name → payload. */
export interface Events {
  sync_state: SyncState;
  /** Rows or counts of these conversations changed (new, moved between folders, new message). */
  inbox_changed: { conversation_ids: string[] };
  /** Reload this conversation if it is open (message, status of an outbox message, state). */
  conversation_changed: { conversation_id: string };
  presence: Presence;
  /** The visitor is typing (not stored). */
  typing: { conversation_id: string; name: string };
  /** A notification or the tray asked to show this conversation. */
  open_conversation: { conversation_id: string };
  /** I asked to go offline (window or tray) while holding these open conversations (B4). */
  offline_with_open_chats: { conversation_ids: string[] };
  /** The server ended my session (signed out elsewhere, account disabled, token expired). */
  session_ended: IpcError;
  /** The OS has no notification service: notifications cannot be shown (S15). */
  notifications_unavailable: { message: string };
}

export type CommandName = keyof Commands;
export type EventName = keyof Events;
