// Generated from crates/protocol by `UPDATE_BINDINGS=1 cargo test -p frontdesk-protocol --test bindings`.
// Do not edit: change the Rust types and regenerate.

/**
 * The one error shape of every HTTP error response and every realtime error frame.
 */
export type ErrorBody = { 
/**
 * Stable, machine-readable code, e.g. `already_assigned`.
 */
code: string, 
/**
 * What went wrong and what to do, for people.
 */
message: string, };

export type LoginRequest = { email: string, password: string, 
/**
 * A name for this device in the operator's list of sessions, e.g. "Desktop on ann-laptop".
 */
device?: string | null, };

export type LoginResponse = { 
/**
 * Bearer token for `Authorization: Bearer …` (or `access_token=` on the stream).
 */
token: string, 
/**
 * When the session ends if it is not used; every use moves this forward (sliding expiry).
 */
expires_at: number, 
/**
 * This device session's id (to find it in `GET /api/me/sessions`).
 */
session_id: string, operator: OperatorView, };

export type RoleView = "admin" | "operator";

export type OperatorView = { id: string, display_name: string, email: string, role: RoleView, disabled: boolean, };

export type NewOperatorRequest = { display_name: string, email: string, 
/**
 * At least 8 characters.
 */
password: string, role: RoleView, };

export type ChangePasswordRequest = { current_password: string, new_password: string, };

/**
 * Choose online or offline (S7). The choice belongs to the operator, not to a device: every
 * device of theirs shows the same, and it survives a server restart.
 */
export type PresenceRequest = { 
/**
 * Whether the operator wants to receive chats.
 */
online: boolean, 
/**
 * When going offline: what to do with the open conversations assigned to you (B4).
 * Without it they stay assigned to you, and `holding` in the answer lists them.
 */
handover?: Handover | null, };

/**
 * Where an operator's open conversations go when they go offline (B4).
 */
export type Handover = { "to": "unassigned" } | { "to": "operator", operator_id: string, };

/**
 * An operator's own presence.
 */
export type PresenceView = { 
/**
 * What the operator chose.
 */
chose_online: boolean, 
/**
 * Chose online and holds a live realtime connection (or is within the grace period).
 */
online: boolean, 
/**
 * Open conversations assigned to this operator (to offer a handover before going offline).
 */
holding: Array<string>, };

/**
 * One operator's presence, as every operator's stream shows it.
 */
export type OperatorPresence = { operator_id: string, display_name: string, chose_online: boolean, 
/**
 * Whether chats can be routed to them now (chose online and connected).
 */
online: boolean, };

export type OnlineOperator = { id: string, display_name: string, };

/**
 * A signed-in device (one bearer token).
 */
export type DeviceSession = { id: string, 
/**
 * The name the device gave when signing in.
 */
device: string | null, created_at: number, last_used_at: number, expires_at: number, 
/**
 * The session of the token that asked.
 */
current: boolean, };

/**
 * An inbox folder. Every conversation an operator may see is in exactly one.
 */
export type Folder = "unassigned" | "mine" | "offline" | "closed";

/**
 * A conversation as an inbox row: everything a list shows, without its messages.
 */
export type ConversationView = { id: string, visitor_id: string, visitor_name: string | null, 
/**
 * `bot`, `waiting`, `assigned`, `offline` or `closed`.
 */
state: string, 
/**
 * The inbox folder (absent while the visitor is still with the bot).
 */
folder: Folder | null, assignee_id: string | null, 
/**
 * The operator who handled it last (kept after it is released or closed).
 */
handled_by: string | null, handled_by_name: string | null, 
/**
 * The name the visitor sees for the other side: the bot's, then the operator's (S9).
 */
display_name: string, 
/**
 * When the wait for an operator ends (state `waiting` only).
 */
wait_deadline: number | null, created_at: number, 
/**
 * The last change of any kind (state, message).
 */
updated_at: number, 
/**
 * When it was closed.
 */
closed_at: number | null, 
/**
 * Number of messages; messages are numbered `seq` 1..=message_count without gaps.
 */
message_count: number, last_message_at: number | null, 
/**
 * The last message, shortened to one line (at most 140 characters).
 */
preview: string | null, last_author: AuthorKind | null, 
/**
 * Set when the playbook ended: qualified (true) or disqualified (false).
 */
qualified: boolean | null, 
/**
 * The playbook the conversation runs, if any.
 */
playbook_id: string | null, };

export type AuthorKind = "visitor" | "operator" | "bot" | "system";

export type MessageView = { 
/**
 * The id the sender chose.
 */
id: string, conversation_id: string, 
/**
 * Position in its conversation: 1, 2, 3, … in commit order (the order key of a cache).
 */
seq: number, author: AuthorKind, 
/**
 * The operator's or visitor's id (absent for the bot and the system).
 */
author_id: string | null, author_name: string, body: string, created_at: number, };

export type ConversationPage = { conversations: Array<ConversationView>, 
/**
 * Pass as `cursor` to get the next page; absent on the last page.
 */
next_cursor: string | null, };

export type ConversationDetail = { conversation: ConversationView, 
/**
 * Oldest first.
 */
messages: Array<MessageView>, 
/**
 * What the playbook captured and created, and where the visitor came from.
 */
details: ConversationDetails, };

/**
 * The Details panel (S12, S13, B7).
 */
export type ConversationDetails = { 
/**
 * The page where the chat started.
 */
page_url: string | null, referrer: string | null, 
/**
 * The page where the visitor converted (reached a qualified end or a follow-up).
 */
converted_url: string | null, language: string | null, 
/**
 * Captured fields: `name`, `email`, `phone`, `organization`, `custom.<key>`.
 */
fields: Array<FieldValue>, 
/**
 * Activities, leads and deals the playbook created (pending until a CRM takes them).
 */
follow_ups: Array<FollowUpView>, };

export type FieldValue = { key: string, value: string, };

export type FollowUpView = { id: string, 
/**
 * `activity`, `lead` or `deal`.
 */
kind: string, title: string, 
/**
 * The captured fields when it was created.
 */
fields: Array<FieldValue>, 
/**
 * The page the visitor was on when it was created (B7).
 */
page_url: string | null, 
/**
 * `pending` until pushed to a CRM.
 */
status: string, created_at: number, };

export type SendMessageRequest = { 
/**
 * Chosen by the client (UUIDv7 recommended); sending the same id again stores nothing new.
 */
message_id: string, body: string, };

export type ReassignRequest = { operator_id: string, };

export type MessagePage = { 
/**
 * Oldest first.
 */
messages: Array<MessageView>, 
/**
 * False when more messages follow: ask again after the last `seq`.
 */
complete: boolean, };

/**
 * Which conversations to list.
 */
export type ListQuery = { 
/**
 * `unassigned`, `mine`, `offline` or `closed`.
 */
folder: Folder, 
/**
 * `next_cursor` of the previous page.
 */
cursor?: string | null, 
/**
 * Page size, 1–200 (default 50).
 */
limit?: number | null, 
/**
 * Only conversations this operator handled (e.g. "closed by me").
 */
handled_by?: string | null, 
/**
 * Only this visitor's conversations (a returning visitor's history, B7).
 */
visitor_id?: string | null, 
/**
 * Only conversations whose last change is at or after this time (unix ms).
 */
updated_after?: number | null, 
/**
 * Only conversations whose last change is before this time (unix ms).
 */
updated_before?: number | null, };

/**
 * Messages of one conversation after a sequence number.
 */
export type MessagesQuery = { 
/**
 * The `seq` of the last message the client has (0 or absent: from the start).
 */
after_seq?: number | null, 
/**
 * At most this many (1–1000, default 500).
 */
limit?: number | null, };

export type ChangesQuery = { 
/**
 * A stream position (`ready.position`, an event's `seq`, or a previous page's `position`).
 */
since: number, 
/**
 * The database epoch the position belongs to (`ready.epoch`); a position from another
 * database answers 409 `resync_required`.
 */
epoch?: string | null, 
/**
 * Conversations per page, 1–2000 (default 500).
 */
limit?: number | null, };

/**
 * Conversations that changed after `since`, as they are now.
 */
export type ChangesPage = { 
/**
 * Changed conversations you may see, in their current state.
 */
conversations: Array<ConversationView>, 
/**
 * Conversations that changed but that you may no longer see: drop them from a cache.
 */
removed: Array<string>, 
/**
 * Everything up to this position is reflected above: pass it as `since` for the next
 * page, or as the stream's `since` once `complete`.
 */
position: number, epoch: string, 
/**
 * No more changes up to the head of the stream when this was read.
 */
complete: boolean, };

/**
 * Messages after `after_seq` in one conversation.
 */
export type MessagesAfter = { conversation_id: string, after_seq: number, };

export type BulkMessagesRequest = { 
/**
 * At most 500 conversations per request.
 */
conversations: Array<MessagesAfter>, 
/**
 * At most this many messages in the answer (1–20000, default 5000).
 */
limit?: number | null, };

export type BulkMessagesResponse = { 
/**
 * Grouped by conversation in the order asked, oldest first within each.
 */
messages: Array<MessageView>, 
/**
 * Conversations that do not exist or that you may not see.
 */
not_visible: Array<string>, 
/**
 * False when the limit cut the answer: ask again with the last `seq` per conversation.
 */
complete: boolean, };

export type VisitorSessionRequest = { 
/**
 * The visitor's name, if known.
 */
name?: string | null, };

export type NewVisitorSession = { 
/**
 * The playbook whose widget the visitor uses.
 */
playbook_id?: string | null, name?: string | null, 
/**
 * The browser's language tag (e.g. `de-AT`).
 */
language?: string | null, };

export type VisitorSessionResponse = { token: string, visitor_id: string, expires_at: number, };

/**
 * What the bot waits for: answer buttons or a text field.
 */
export type Prompt = { "kind": "choice", card_id: string, text: string, answers: Array<string>, } | { "kind": "text", card_id: string, text: string, field: string, placeholder: string, };

/**
 * The visitor's view of their conversation.
 */
export type VisitorState = { conversation: ConversationView, 
/**
 * Oldest first.
 */
messages: Array<MessageView>, 
/**
 * The bot's open question, if it waits for an answer.
 */
prompt: Prompt | null, };

export type StartRequest = { page_url?: string | null, referrer?: string | null, };

export type AnswerRequest = { 
/**
 * The card being answered (the prompt's `card_id`).
 */
card_id: string, 
/**
 * For answer buttons: the index of the answer.
 */
choice?: number | null, 
/**
 * For text questions.
 */
text?: string | null, 
/**
 * The page the visitor is on now.
 */
page_url?: string | null, };

/**
 * What the widget needs to look right before the visitor opens it.
 */
export type WidgetConfig = { playbook_id: string, language: string, appearance: WidgetAppearance, greeting: WidgetGreeting | null, 
/**
 * UI strings in the playbook's language.
 */
texts: { [key in string]: string }, };

export type WidgetAppearance = { bot_name: string, primary_color: string, text_color: string, icon: string, };

export type WidgetGreeting = { text: string, delay_ms: number, };

/**
 * A playbook as the admin API shows it. `definition` is the card graph (see
 * `frontdesk_core::playbook::Playbook`).
 */
export type PlaybookView = { id: string, version: number, active: boolean, 
/**
 * Sites (`https://www.example.com`) where the widget may run, besides this server itself.
 */
allowed_origins: Array<string>, definition: unknown, updated_at: number, };

export type ValidationReport = { valid: boolean, errors: Array<ValidationProblem>, };

export type ValidationProblem = { card: string | null, message: string, };

export type TemplateView = { key: string, name: string, };

export type NewPlaybook = { 
/**
 * A full definition…
 */
definition?: unknown, 
/**
 * …or a template key (`chat_with_your_leads`, …) with a language (`en`, `de`).
 */
template?: string | null, language?: string | null, };

export type DefinitionBody = { definition: unknown, };

export type OriginsBody = { 
/**
 * e.g. `["https://www.example.com"]`
 */
origins: Array<string>, };

export type SnippetView = { snippet: string, };

/**
 * Who caused an event.
 */
export type ActorKind = "operator" | "visitor" | "bot" | "system";

export type ActorView = { kind: ActorKind, 
/**
 * The operator's or visitor's id.
 */
id: string | null, 
/**
 * Their name when the event happened (a visitor may have none).
 */
name: string | null, };

/**
 * What the server may tell a client about a conversation. Each has a position (`seq`) in the
 * client's ordered stream.
 */
export type EventBody = { "kind": "conversation_upsert", conversation: ConversationView, } | { "kind": "conversation_removed", conversation_id: string, } | { "kind": "message", message: MessageView, conversation: ConversationView, } | { "kind": "bot_prompt", conversation_id: string, prompt: Prompt | null, };

/**
 * Frames the server sends on a realtime connection.
 */
export type ServerFrame = { "type": "event", seq: number, at: number, actor: ActorView, event: EventBody, } | { "type": "ready", position: number, epoch: string, server_time: number, } | { "type": "resync_required", position: number, epoch: string, } | { "type": "ack", message_id: string, conversation_id: string, duplicate: boolean, } | { "type": "error", code: string, message: string, message_id?: string, } | { "type": "bye", code: string, message: string, } | { "type": "pong" } | { "type": "typing", conversation_id: string, name: string, } | { "type": "presence_snapshot", operators: Array<OperatorPresence>, } | { "type": "presence", operator: OperatorPresence, } | { "type": "my_presence", presence: PresenceView, };

/**
 * Frames a client sends on a realtime connection.
 */
export type ClientFrame = { "type": "send", conversation_id: string, message_id: string, body: string, } | { "type": "set_presence", online: boolean, handover?: Handover | null, } | { "type": "typing", conversation_id: string, } | { "type": "ping" };

/**
 * How to open a realtime connection (`/api/stream`, `/api/visitor/stream`).
 */
export type StreamQuery = { 
/**
 * The `seq` of the last event processed; omit on a fresh start.
 */
since?: number | null, 
/**
 * The `epoch` of `ready` the cursor came with: a cursor from another database (e.g.
 * before a restore from backup) gets `resync_required` instead of a silent gap.
 */
epoch?: string | null, 
/**
 * The bearer token, for clients that cannot set headers on a WebSocket.
 */
access_token?: string | null, };
