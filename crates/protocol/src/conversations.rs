//! Conversations as operators see them: inbox rows, messages, details, folder listings.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// An inbox folder. Every conversation an operator may see is in exactly one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "snake_case")]
pub enum Folder {
    /// Waiting for an operator (S8).
    Unassigned,
    /// Assigned to me (S9, S10).
    Mine,
    /// In the playbook's offline flow: nobody was online or nobody took it in time (S4, S5).
    Offline,
    /// Ended (S14).
    Closed,
}

impl From<frontdesk_core::Folder> for Folder {
    fn from(f: frontdesk_core::Folder) -> Self {
        match f {
            frontdesk_core::Folder::Unassigned => Folder::Unassigned,
            frontdesk_core::Folder::Mine => Folder::Mine,
            frontdesk_core::Folder::Offline => Folder::Offline,
            frontdesk_core::Folder::Closed => Folder::Closed,
        }
    }
}

impl From<Folder> for frontdesk_core::Folder {
    fn from(f: Folder) -> Self {
        match f {
            Folder::Unassigned => frontdesk_core::Folder::Unassigned,
            Folder::Mine => frontdesk_core::Folder::Mine,
            Folder::Offline => frontdesk_core::Folder::Offline,
            Folder::Closed => frontdesk_core::Folder::Closed,
        }
    }
}

/// A conversation as an inbox row: everything a list shows, without its messages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
pub struct ConversationView {
    pub id: Uuid,
    pub visitor_id: Uuid,
    pub visitor_name: Option<String>,
    /// `bot`, `waiting`, `assigned`, `offline` or `closed`.
    pub state: String,
    /// The inbox folder (absent while the visitor is still with the bot).
    pub folder: Option<Folder>,
    pub assignee_id: Option<Uuid>,
    /// The operator who handled it last (kept after it is released or closed).
    pub handled_by: Option<Uuid>,
    pub handled_by_name: Option<String>,
    /// The name the visitor sees for the other side: the bot's, then the operator's (S9).
    pub display_name: String,
    /// When the wait for an operator ends (state `waiting` only).
    pub wait_deadline: Option<i64>,
    pub created_at: i64,
    /// The last change of any kind (state, message).
    pub updated_at: i64,
    /// When it was closed.
    pub closed_at: Option<i64>,
    /// Number of messages; messages are numbered `seq` 1..=message_count without gaps.
    pub message_count: i64,
    pub last_message_at: Option<i64>,
    /// The last message, shortened to one line (at most 140 characters).
    pub preview: Option<String>,
    pub last_author: Option<AuthorKind>,
    /// Set when the playbook ended: qualified (true) or disqualified (false).
    pub qualified: Option<bool>,
    /// The playbook the conversation runs, if any.
    pub playbook_id: Option<Uuid>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "snake_case")]
pub enum AuthorKind {
    Visitor,
    Operator,
    /// The playbook's bot.
    Bot,
    /// Frontdesk itself ("… joined the chat").
    System,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
pub struct MessageView {
    /// The id the sender chose.
    pub id: Uuid,
    pub conversation_id: Uuid,
    /// Position in its conversation: 1, 2, 3, … in commit order (the order key of a cache).
    pub seq: i64,
    pub author: AuthorKind,
    /// The operator's or visitor's id (absent for the bot and the system).
    pub author_id: Option<Uuid>,
    pub author_name: String,
    pub body: String,
    pub created_at: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, TS)]
pub struct ConversationPage {
    pub conversations: Vec<ConversationView>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Which conversations to list.
#[derive(Clone, Debug, Deserialize, Serialize, IntoParams, TS)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `unassigned`, `mine`, `offline` or `closed`.
    pub folder: Folder,
    /// `next_cursor` of the previous page.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub limit: Option<u32>,
    /// Only conversations this operator handled (e.g. "closed by me").
    #[serde(default)]
    #[ts(optional = nullable)]
    pub handled_by: Option<Uuid>,
    /// Only this visitor's conversations (a returning visitor's history, B7).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub visitor_id: Option<Uuid>,
    /// Only conversations whose last change is at or after this time (unix ms).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub updated_after: Option<i64>,
    /// Only conversations whose last change is before this time (unix ms).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub updated_before: Option<i64>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, TS)]
pub struct ConversationDetail {
    pub conversation: ConversationView,
    /// Oldest first.
    pub messages: Vec<MessageView>,
    /// What the playbook captured and created, and where the visitor came from.
    pub details: ConversationDetails,
}

/// Messages of one conversation after a sequence number.
#[derive(Clone, Debug, Deserialize, Serialize, IntoParams, TS)]
#[into_params(parameter_in = Query)]
pub struct MessagesQuery {
    /// The `seq` of the last message the client has (0 or absent: from the start).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub after_seq: Option<i64>,
    /// At most this many (1–1000, default 500).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub limit: Option<u32>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, TS)]
pub struct MessagePage {
    /// Oldest first.
    pub messages: Vec<MessageView>,
    /// False when more messages follow: ask again after the last `seq`.
    pub complete: bool,
}

/// The Details panel (S12, S13, B7).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
pub struct ConversationDetails {
    /// The page where the chat started.
    pub page_url: Option<String>,
    pub referrer: Option<String>,
    /// The page where the visitor converted (reached a qualified end or a follow-up).
    pub converted_url: Option<String>,
    pub language: Option<String>,
    /// Captured fields: `name`, `email`, `phone`, `organization`, `custom.<key>`.
    pub fields: Vec<FieldValue>,
    /// Activities, leads and deals the playbook's follow-up cards asked for (S5); each is a
    /// created result (`result_id`, listed in `results`).
    pub follow_ups: Vec<FollowUpView>,
    /// What the operator edits (S12): deal value, contact, organization, notes. Until the
    /// first edit, what the playbook captured.
    #[serde(default)]
    pub sales: crate::SalesDetailsView,
    /// Created results (S13): leads, deals and activities, oldest first, each with its sync
    /// status.
    #[serde(default)]
    pub results: Vec<crate::CreatedResultView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
pub struct FieldValue {
    pub key: String,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
pub struct FollowUpView {
    pub id: Uuid,
    /// `activity`, `lead` or `deal`.
    pub kind: String,
    pub title: String,
    /// The captured fields when it was created.
    pub fields: Vec<FieldValue>,
    /// The page the visitor was on when it was created (B7).
    pub page_url: Option<String>,
    /// The created result's sync status: `local`, `pending`, `synced` or `failed`.
    pub status: String,
    pub created_at: i64,
    /// The created result (lead, deal or activity) this follow-up became.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub result_id: Option<Uuid>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, TS)]
pub struct SendMessageRequest {
    /// Chosen by the client (UUIDv7 recommended); sending the same id again stores nothing new.
    pub message_id: Uuid,
    pub body: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, TS)]
pub struct ReassignRequest {
    pub operator_id: Uuid,
}
