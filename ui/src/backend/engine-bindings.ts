// Generated from crates/client by `UPDATE_BINDINGS=1 cargo test -p frontdesk-client --test bindings`.
// Do not edit: change the Rust types and regenerate.

export type IpcError = { 
/**
 * Stable, machine-readable, e.g. `invalid_credentials`, `already_assigned`, `offline`.
 */
code: string, 
/**
 * For people: what went wrong and what to do.
 */
message: string, };

/**
 * An inbox folder. Every conversation an operator may see is in exactly one.
 */
export type Folder = "unassigned" | "mine" | "offline" | "closed";

export type AuthorKind = "visitor" | "operator" | "bot" | "system";

export type FieldValue = { key: string, value: string, };

export type OnlineOperator = { id: string, display_name: string, };

export type Role = "admin" | "operator";

export type Operator = { id: string, display_name: string, email: string, role: Role, };

export type Session = { 
/**
 * The server this app signs in to.
 */
server_url: string | null, operator: Operator | null, signed_in: boolean, };

export type SignInArgs = { server_url: string, email: string, password: string, };

export type ConversationState = "bot" | "waiting" | "assigned" | "offline" | "closed";

/**
 * One row of a folder; also the `conversation` of an opened conversation.
 */
export type ConversationRow = { id: string, 
/**
 * Visitor-supplied: render as text only.
 */
visitor_name: string | null, state: ConversationState, assignee_id: string | null, assignee_name: string | null, 
/**
 * When the wait for an operator ends, server clock (state `waiting` only).
 */
wait_deadline: number | null, created_at: number, last_message_at: number, 
/**
 * The last message's text, shortened (≤ 200 characters).
 */
preview: string, preview_author: AuthorKind | null, message_count: number, 
/**
 * Messages from the visitor not yet read by me.
 */
unread: number, closed_at: number | null, 
/**
 * A draft for this conversation is stored in the local cache.
 */
has_draft: boolean, };

export type FolderPage = { 
/**
 * Unassigned by `wait_deadline` ascending, mine and offline by `last_message_at`
 * descending, closed by `closed_at` descending.
 */
rows: Array<ConversationRow>, 
/**
 * Pass as `before` to get the next page; `null` on the last page.
 */
next_before: string | null, };

export type ListFolderArgs = { folder: Folder, limit: number, before: string | null, };

export type FolderCount = { total: number, 
/**
 * Conversations in the folder with at least one unread message.
 */
unread: number, };

export type FolderCounts = { unassigned: FolderCount, mine: FolderCount, offline: FolderCount, closed: FolderCount, };

export type MessageStatus = "sent" | "pending" | "failed";

export type Message = { id: string, author: AuthorKind, author_name: string, body: string, created_at: number, status: MessageStatus, 
/**
 * Why a `failed` message was refused; `null` otherwise.
 */
error: IpcError | null, };

export type FollowUp = { id: string, 
/**
 * `activity`, `lead` or `deal`.
 */
kind: string, title: string, fields: Array<FieldValue>, page_url: string | null, 
/**
 * `pending` until pushed to a CRM.
 */
status: string, created_at: number, };

export type Details = { page_url: string | null, referrer: string | null, converted_url: string | null, 
/**
 * The visitor's browser language, e.g. `de-DE`.
 */
language: string | null, fields: Array<FieldValue>, follow_ups: Array<FollowUp>, };

export type ConversationDetail = { conversation: ConversationRow, 
/**
 * Oldest first; pending and failed outbox messages included.
 */
messages: Array<Message>, details: Details, 
/**
 * The stored draft ('' when none).
 */
draft: string, };

export type ConversationArgs = { conversation_id: string, };

export type SendMessageArgs = { conversation_id: string, body: string, };

export type MessageArgs = { message_id: string, };

export type ReassignArgs = { conversation_id: string, operator_id: string, };

export type DraftArgs = { conversation_id: string, body: string, };

/**
 * What to do with the conversations I hold when I go offline (B4).
 */
export type OpenChatsChoice = { "action": "reassign", operator_id: string, } | { "action": "release" };

export type SetPresenceArgs = { online: boolean, 
/**
 * Only when going offline; without it, holding open conversations changes nothing and
 * emits `offline_with_open_chats`.
 */
open_chats: OpenChatsChoice | null, };

export type Presence = { 
/**
 * What I chose.
 */
chose_online: boolean, 
/**
 * Chose online and connected (or within the server's grace period).
 */
online: boolean, 
/**
 * Everyone online now, me included.
 */
operators_online: Array<OnlineOperator>, };

export type SearchArgs = { query: string, limit: number, };

export type SearchHit = { conversation_id: string, 
/**
 * `null` when the hit is in the visitor's name.
 */
message_id: string | null, 
/**
 * Text with hits between U+E000 and U+E001; visitor-supplied.
 */
snippet: string, visitor_name: string | null, conversation_state: ConversationState, created_at: number, };

export type SearchResult = { hits: Array<SearchHit>, };

export type SyncStateName = "connecting" | "catching_up" | "live" | "offline";

export type SyncState = { state: SyncStateName, 
/**
 * For people, e.g. the last connection error; `null` when there is nothing to say.
 */
detail: string | null, 
/**
 * Messages waiting in the outbox.
 */
outbox: number, };

export type ConversationIds = { conversation_ids: Array<string>, };

export type ConversationRef = { conversation_id: string, };

export type TypingEvent = { conversation_id: string, name: string, };

export type NotificationKind = "new_conversation" | "new_message" | "assigned";

/**
 * An OS notification the shell should show (already decided and coalesced by the engine).
 */
export type Notification = { conversation_id: string, kind: NotificationKind, title: string, body: string, 
/**
 * How many events this notification stands for (a coalesced burst).
 */
count: number, };

/**
 * Everything the engine tells its subscribers. The shell emits `payload` under `name()`.
 */
export type EngineEvent = { "event": "sync_state", "payload": SyncState } | { "event": "inbox_changed", "payload": ConversationIds } | { "event": "conversation_changed", "payload": ConversationRef } | { "event": "presence", "payload": Presence } | { "event": "typing", "payload": TypingEvent } | { "event": "notification", "payload": Notification } | { "event": "offline_with_open_chats", "payload": ConversationIds } | { "event": "session_ended", "payload": IpcError };
