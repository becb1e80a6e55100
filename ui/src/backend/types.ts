// The contract between the inbox UI and whatever serves its data: the desktop app's Rust
// engine over Tauri IPC today (tauri.ts), a browser build that talks to the server directly
// later (S16).
//
// The engine's types, generated from Rust (crates/client, `types.rs`) by
// `UPDATE_BINDINGS=1 cargo test -p frontdesk-client --test bindings`; a test fails when
// engine-bindings.ts and the Rust types drift apart. Only the UI's own additions live here.
import type {
  IpcError,
  Folder,
  OnlineOperator,
  Session,
  SignInArgs,
  FolderPage,
  ListFolderArgs,
  FolderCounts,
  Message,
  ConversationDetail,
  ConversationArgs,
  SendMessageArgs,
  MessageArgs,
  ReassignArgs,
  DraftArgs,
  SetPresenceArgs,
  Presence,
  SearchArgs,
  SearchResult,
  SyncState,
  UpdateDetailsArgs,
  CreateResultArgs,
  ResultArgs,
  SalesActionArgs,
  SetLanguageArgs,
  PlaybookView,
  TemplateView,
  NewPlaybook,
  PlaybookArgs,
  SavePlaybookArgs,
  DefinitionBody,
  ValidationReport,
  PreviewRequest,
  PlaybookPreview,
  SetPlaybookActiveArgs,
  SetOriginsArgs,
  SnippetView,
  OperatorView,
  NewOperatorRequest,
  OperatorArgs
} from './engine-bindings';

export type * from './engine-bindings';

/** The Details panel and a created result, as the server sends them. */
export type Details = import('./engine-bindings').ConversationDetails;
export type FollowUp = import('./engine-bindings').FollowUpView;

export const FOLDERS: readonly Folder[] = ['unassigned', 'mine', 'offline', 'closed'];

/** Search snippets mark hits with these two private-use characters (FTS5 `snippet`). */
export const HIGHLIGHT_START = '\uE000';
export const HIGHLIGHT_END = '\uE001';

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
  /** Checks the sales details and queues them (sent when connected). */
  update_details: [UpdateDetailsArgs, null];
  /** Queues a lead or deal to create from the details. */
  create_result: [CreateResultArgs, null];
  /** Pushes a failed result to the CRM again (needs the server). */
  retry_result_push: [ResultArgs, null];
  retry_sales_action: [SalesActionArgs, null];
  discard_sales_action: [SalesActionArgs, null];
  /** Opens a synced result's CRM page in the browser. */
  open_result_link: [ResultArgs, null];
  /** The language chosen in the window; OS notifications follow it. */
  set_language: [SetLanguageArgs, null];

  // An admin's set-up (online only; refused for operators).
  playbooks: [void, PlaybookView[]];
  playbook_templates: [void, TemplateView[]];
  create_playbook: [NewPlaybook, PlaybookView];
  playbook: [PlaybookArgs, PlaybookView];
  /** 409 `version_conflict` when someone else saved since `base_version`. */
  save_playbook: [SavePlaybookArgs, PlaybookView];
  validate_playbook: [DefinitionBody, ValidationReport];
  /** One step of the live preview (nothing stored). */
  preview_playbook: [PreviewRequest, PlaybookPreview];
  set_playbook_active: [SetPlaybookActiveArgs, PlaybookView];
  set_playbook_origins: [SetOriginsArgs, PlaybookView];
  playbook_snippet: [PlaybookArgs, SnippetView];
  /** Opens the demo site running an active playbook in the browser. */
  open_demo_page: [PlaybookArgs, null];
  operators: [void, OperatorView[]];
  create_operator: [NewOperatorRequest, OperatorView];
  /** Ends their sessions; their open chats go back to Unassigned. */
  disable_operator: [OperatorArgs, OperatorView];
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
