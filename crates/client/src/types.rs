//! What the engine hands to the UI: commands' arguments and results, and events. Shaped after
//! `ui/src/backend/types.ts` (snake_case, `null` for absent values, times in unix ms); the
//! TypeScript declarations in `ui/src/backend/engine-bindings.ts` are generated from these.

use crate::error::EngineError;
use frontdesk_protocol::{AuthorKind, FieldValue, Folder};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Operator,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Operator {
    pub id: Uuid,
    pub display_name: String,
    pub email: String,
    pub role: Role,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Session {
    /// The server this app signs in to.
    pub server_url: Option<String>,
    pub operator: Option<Operator>,
    pub signed_in: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, TS)]
pub struct SignInArgs {
    pub server_url: String,
    pub email: String,
    pub password: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ConversationState {
    Bot,
    Waiting,
    Assigned,
    Offline,
    Closed,
}

impl ConversationState {
    pub fn parse(s: &str) -> Self {
        match s {
            "waiting" => ConversationState::Waiting,
            "assigned" => ConversationState::Assigned,
            "offline" => ConversationState::Offline,
            "closed" => ConversationState::Closed,
            _ => ConversationState::Bot,
        }
    }
}

/// One row of a folder; also the `conversation` of an opened conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ConversationRow {
    pub id: Uuid,
    /// Visitor-supplied: render as text only.
    pub visitor_name: Option<String>,
    pub state: ConversationState,
    pub assignee_id: Option<Uuid>,
    pub assignee_name: Option<String>,
    /// When the wait for an operator ends, server clock (state `waiting` only).
    pub wait_deadline: Option<i64>,
    pub created_at: i64,
    pub last_message_at: i64,
    /// The last message's text, shortened (≤ 200 characters).
    pub preview: String,
    pub preview_author: Option<AuthorKind>,
    pub message_count: i64,
    /// Messages from the visitor not yet read by me.
    pub unread: i64,
    pub closed_at: Option<i64>,
    /// A draft for this conversation is stored in the local cache.
    pub has_draft: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct FolderPage {
    /// Unassigned by `wait_deadline` ascending, mine and offline by `last_message_at`
    /// descending, closed by `closed_at` descending.
    pub rows: Vec<ConversationRow>,
    /// Pass as `before` to get the next page; `null` on the last page.
    pub next_before: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, TS)]
pub struct ListFolderArgs {
    pub folder: Folder,
    pub limit: u32,
    pub before: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct FolderCount {
    pub total: i64,
    /// Conversations in the folder with at least one unread message.
    pub unread: i64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct FolderCounts {
    pub unassigned: FolderCount,
    pub mine: FolderCount,
    pub offline: FolderCount,
    pub closed: FolderCount,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    Sent,
    /// In the local outbox, not yet confirmed by the server.
    Pending,
    /// The server refused it; kept (never dropped) with the reason in `error`.
    Failed,
}

impl MessageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Sent => "sent",
            MessageStatus::Pending => "pending",
            MessageStatus::Failed => "failed",
        }
    }
    pub fn parse(s: &str) -> Self {
        match s {
            "pending" => MessageStatus::Pending,
            "failed" => MessageStatus::Failed,
            _ => MessageStatus::Sent,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Message {
    pub id: Uuid,
    pub author: AuthorKind,
    pub author_name: String,
    pub body: String,
    pub created_at: i64,
    pub status: MessageStatus,
    /// Why a `failed` message was refused; `null` otherwise.
    pub error: Option<EngineError>,
}

/// The Details panel and a created result are the wire types themselves (S12, S13, B7).
pub use frontdesk_protocol::{ConversationDetails as Details, FollowUpView as FollowUp};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ConversationDetail {
    pub conversation: ConversationRow,
    /// Oldest first; pending and failed outbox messages included.
    pub messages: Vec<Message>,
    /// With an unsent edit of the sales details, `details.sales` is that edit.
    pub details: Details,
    /// The stored draft ('' when none).
    pub draft: String,
    /// Why I may not edit the sales details or create leads and deals here; `null`: I may.
    pub sales_lock: Option<SalesLock>,
    /// Sales work on this device the server has not confirmed yet, in queue order.
    pub unsent_sales: Vec<UnsentSales>,
}

/// Why the sales details are read-only for me (the rule is `frontdesk_core::crm`'s).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SalesLock {
    /// Waiting in Unassigned: assign it to yourself first.
    NotAssigned,
    /// Closed, and someone else handled it last (admins may still edit).
    NotHandler,
    /// Not mine (any more).
    NotVisible,
}

/// What a queued sales action does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SalesAction {
    /// Save the details.
    Details,
    CreateLead,
    CreateDeal,
}

impl SalesAction {
    pub fn as_str(self) -> &'static str {
        match self {
            SalesAction::Details => "details",
            SalesAction::CreateLead => "lead",
            SalesAction::CreateDeal => "deal",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "details" => Some(SalesAction::Details),
            "lead" => Some(SalesAction::CreateLead),
            "deal" => Some(SalesAction::CreateDeal),
            _ => None,
        }
    }
}

/// A sales action in the outbox: `pending` (sent when the server is reachable) or `failed`
/// (the server refused; `error` says why — retry or discard it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct UnsentSales {
    pub id: Uuid,
    pub conversation_id: Uuid,
    pub action: SalesAction,
    pub status: MessageStatus,
    pub error: Option<EngineError>,
    pub queued_at: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize, TS)]
pub struct UpdateDetailsArgs {
    pub conversation_id: Uuid,
    pub details: frontdesk_protocol::UpdateDetailsRequest,
}

#[derive(Clone, Debug, Serialize, Deserialize, TS)]
pub struct CreateResultArgs {
    pub conversation_id: Uuid,
    /// `lead` or `deal`.
    pub kind: frontdesk_protocol::ResultKind,
}

#[derive(Clone, Debug, Serialize, Deserialize, TS)]
pub struct ResultArgs {
    pub conversation_id: Uuid,
    pub result_id: Uuid,
}

#[derive(Clone, Debug, Serialize, Deserialize, TS)]
pub struct SetLanguageArgs {
    /// `en` or `de` (anything else reads as English).
    pub lang: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, TS)]
pub struct SalesActionArgs {
    pub action_id: Uuid,
}

#[derive(Clone, Debug, Serialize, Deserialize, TS)]
pub struct ConversationArgs {
    pub conversation_id: Uuid,
}

#[derive(Clone, Debug, Serialize, Deserialize, TS)]
pub struct SendMessageArgs {
    pub conversation_id: Uuid,
    pub body: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, TS)]
pub struct MessageArgs {
    pub message_id: Uuid,
}

#[derive(Clone, Debug, Serialize, Deserialize, TS)]
pub struct ReassignArgs {
    pub conversation_id: Uuid,
    pub operator_id: Uuid,
}

#[derive(Clone, Debug, Serialize, Deserialize, TS)]
pub struct DraftArgs {
    pub conversation_id: Uuid,
    pub body: String,
}

/// What to do with the conversations I hold when I go offline (B4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum OpenChatsChoice {
    Reassign { operator_id: Uuid },
    Release,
}

#[derive(Clone, Debug, Serialize, Deserialize, TS)]
pub struct SetPresenceArgs {
    pub online: bool,
    /// Only when going offline; without it, holding open conversations changes nothing and
    /// emits `offline_with_open_chats`.
    pub open_chats: Option<OpenChatsChoice>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct OnlineOperator {
    pub id: Uuid,
    pub display_name: String,
}

impl From<frontdesk_protocol::OnlineOperator> for OnlineOperator {
    fn from(o: frontdesk_protocol::OnlineOperator) -> Self {
        OnlineOperator {
            id: o.id,
            display_name: o.display_name,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Presence {
    /// What I chose.
    pub chose_online: bool,
    /// Chose online and connected (or within the server's grace period).
    pub online: bool,
    /// Everyone online now, me included.
    pub operators_online: Vec<OnlineOperator>,
}

#[derive(Clone, Debug, Serialize, Deserialize, TS)]
pub struct SearchArgs {
    pub query: String,
    pub limit: u32,
}

/// Highlight markers in [`SearchHit::snippet`].
pub const HIGHLIGHT_START: char = '\u{E000}';
pub const HIGHLIGHT_END: char = '\u{E001}';

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SearchHit {
    pub conversation_id: Uuid,
    /// `null` when the hit is in the visitor's name.
    pub message_id: Option<Uuid>,
    /// Text with hits between U+E000 and U+E001; visitor-supplied.
    pub snippet: String,
    pub visitor_name: Option<String>,
    pub conversation_state: ConversationState,
    pub created_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SearchResult {
    pub hits: Vec<SearchHit>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "SyncStateName")]
pub enum SyncStateName {
    Connecting,
    CatchingUp,
    Live,
    Offline,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SyncState {
    pub state: SyncStateName,
    /// For people, e.g. the last connection error; `null` when there is nothing to say.
    pub detail: Option<String>,
    /// Messages waiting in the outbox.
    pub outbox: i64,
    /// Sales changes (details, leads, deals) waiting to be sent.
    pub sales_outbox: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ConversationIds {
    pub conversation_ids: Vec<Uuid>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ConversationRef {
    pub conversation_id: Uuid,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TypingEvent {
    pub conversation_id: Uuid,
    pub name: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// A new conversation entered Unassigned.
    NewConversation,
    /// A visitor wrote in a conversation assigned to me.
    NewMessage,
    /// Someone else assigned a conversation to me.
    Assigned,
}

/// An OS notification the shell should show (already decided and coalesced by the engine).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Notification {
    pub conversation_id: Uuid,
    pub kind: NotificationKind,
    pub title: String,
    pub body: String,
    /// How many events this notification stands for (a coalesced burst).
    pub count: u32,
}

/// Everything the engine tells its subscribers. The shell emits `payload` under `name()`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "event", content = "payload", rename_all = "snake_case")]
pub enum EngineEvent {
    SyncState(SyncState),
    /// Rows or counts of these conversations changed.
    InboxChanged(ConversationIds),
    /// Reload this conversation if it is open.
    ConversationChanged(ConversationRef),
    Presence(Presence),
    /// The visitor is typing (not stored).
    Typing(TypingEvent),
    Notification(Notification),
    /// I asked to go offline while holding these open conversations (B4).
    OfflineWithOpenChats(ConversationIds),
    /// The server ended my session (signed out elsewhere, account disabled, token expired).
    SessionEnded(EngineError),
}

impl EngineEvent {
    /// The UI's event name (`ui/src/backend/types.ts` `Events`).
    pub fn name(&self) -> &'static str {
        match self {
            EngineEvent::SyncState(_) => "sync_state",
            EngineEvent::InboxChanged(_) => "inbox_changed",
            EngineEvent::ConversationChanged(_) => "conversation_changed",
            EngineEvent::Presence(_) => "presence",
            EngineEvent::Typing(_) => "typing",
            EngineEvent::Notification(_) => "notification",
            EngineEvent::OfflineWithOpenChats(_) => "offline_with_open_chats",
            EngineEvent::SessionEnded(_) => "session_ended",
        }
    }

    /// The payload alone, as the UI receives it.
    pub fn payload(&self) -> serde_json::Value {
        let v = serde_json::to_value(self).unwrap_or_default();
        v.get("payload").cloned().unwrap_or_default()
    }
}

/// The TypeScript declarations of every engine type, in one module (`engine-bindings.ts`).
pub fn typescript_bindings() -> String {
    frontdesk_protocol::typescript_module!("UPDATE_BINDINGS=1 cargo test -p frontdesk-client --test bindings";
        EngineError, Folder, AuthorKind, FieldValue, OnlineOperator, Role, Operator, Session,
        SignInArgs, ConversationState, ConversationRow, FolderPage, ListFolderArgs, FolderCount,
        FolderCounts, MessageStatus, Message, FollowUp, Details, ConversationDetail,
        // the Details panel's sales part and created results (protocol types)
        frontdesk_protocol::SalesDetailsView, frontdesk_protocol::ContactDetails,
        frontdesk_protocol::OrganizationDetails, frontdesk_protocol::CreatedResultView,
        frontdesk_protocol::ResultKind, frontdesk_protocol::SyncView, frontdesk_protocol::SyncStatus,
        frontdesk_protocol::UpdateDetailsRequest, SalesLock, SalesAction, UnsentSales,
        UpdateDetailsArgs, CreateResultArgs, ResultArgs, SalesActionArgs, SetLanguageArgs,
        ConversationArgs, SendMessageArgs, MessageArgs, ReassignArgs, DraftArgs, OpenChatsChoice,
        SetPresenceArgs, Presence, SearchArgs, SearchHit, SearchResult, SyncStateName, SyncState,
        ConversationIds, ConversationRef, TypingEvent, NotificationKind, Notification, EngineEvent,
        // an admin's set-up (crate::admin, protocol types)
        crate::admin::PlaybookArgs, crate::admin::SavePlaybookArgs,
        crate::admin::SetPlaybookActiveArgs, crate::admin::SetOriginsArgs,
        crate::admin::OperatorArgs, frontdesk_protocol::PlaybookView,
        frontdesk_protocol::TemplateView, frontdesk_protocol::NewPlaybook,
        frontdesk_protocol::DefinitionBody, frontdesk_protocol::ValidationReport,
        frontdesk_protocol::ValidationProblem, frontdesk_protocol::PreviewRequest,
        frontdesk_protocol::PreviewActionBody, frontdesk_protocol::PlaybookPreview,
        frontdesk_protocol::PreviewMessage, frontdesk_protocol::PreviewFollowUp,
        frontdesk_protocol::WidgetConfig, frontdesk_protocol::WidgetAppearance,
        frontdesk_protocol::WidgetGreeting, frontdesk_protocol::Prompt,
        frontdesk_protocol::SnippetView, frontdesk_protocol::OperatorView,
        frontdesk_protocol::RoleView, frontdesk_protocol::NewOperatorRequest,
        // what the preview answers the widget (the visitor API's shapes)
        frontdesk_protocol::ConversationView, frontdesk_protocol::MessageView,
        frontdesk_protocol::VisitorState,
    )
}
