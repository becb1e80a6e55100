//! frontdesk-protocol: everything that crosses a wire between the server and its clients.
//!
//! - REST request and response bodies (with OpenAPI schemas),
//! - the realtime frames ([`ServerFrame`], [`ClientFrame`]) and the event envelope with its
//!   stream position (`seq`),
//! - the one error shape [`ErrorBody`] and its codes,
//! - the limits a client must respect.
//!
//! Times are unix milliseconds; ids are UUIDs.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Longest message body accepted, in characters (Unicode scalar values).
pub const MAX_MESSAGE_CHARS: usize = 4000;
/// Largest REST request body accepted, in bytes.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;
/// Largest realtime frame a client may send, in bytes.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Longest display name, email or visitor name, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// The one error shape of every HTTP error response and every realtime error frame.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// Stable, machine-readable code, e.g. `already_assigned`.
    pub code: String,
    /// What went wrong and what to do, for people.
    pub message: String,
}

// ---------------------------------------------------------------------------------------------
// Accounts and sessions

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct LoginResponse {
    /// Bearer token for `Authorization: Bearer …` (or `access_token=` on the stream).
    pub token: String,
    pub expires_at: i64,
    pub operator: OperatorView,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoleView {
    Admin,
    Operator,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct OperatorView {
    pub id: Uuid,
    pub display_name: String,
    pub email: String,
    pub role: RoleView,
    pub disabled: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct NewOperatorRequest {
    pub display_name: String,
    pub email: String,
    /// At least 8 characters.
    pub password: String,
    pub role: RoleView,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PresenceRequest {
    /// Whether the operator wants to receive chats.
    pub online: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PresenceView {
    /// What the operator chose.
    pub chose_online: bool,
    /// Chose online and holds a live realtime connection (or is within the grace period).
    pub online: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct OnlineOperator {
    pub id: Uuid,
    pub display_name: String,
}

// ---------------------------------------------------------------------------------------------
// Visitors

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct VisitorSessionRequest {
    /// The visitor's name, if known.
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct VisitorSessionResponse {
    pub token: String,
    pub visitor_id: Uuid,
    pub expires_at: i64,
}

// ---------------------------------------------------------------------------------------------
// Conversations

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Folder {
    Unassigned,
    Mine,
    Closed,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ConversationView {
    pub id: Uuid,
    pub visitor_id: Uuid,
    pub visitor_name: Option<String>,
    /// `bot`, `waiting`, `assigned`, `offline` or `closed`.
    pub state: String,
    pub assignee_id: Option<Uuid>,
    /// The name the visitor sees for the other side: the bot's, then the operator's (S9).
    pub display_name: String,
    /// When the wait for an operator ends (state `waiting` only).
    pub wait_deadline: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Set when the playbook ended: qualified (true) or disqualified (false).
    #[serde(default)]
    pub qualified: Option<bool>,
    /// The playbook the conversation runs, if any.
    #[serde(default)]
    pub playbook_id: Option<Uuid>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthorKind {
    Visitor,
    Operator,
    /// The playbook's bot.
    Bot,
    /// Frontdesk itself ("… joined the chat").
    System,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MessageView {
    /// The id the sender chose.
    pub id: Uuid,
    pub conversation_id: Uuid,
    pub author: AuthorKind,
    pub author_id: Option<Uuid>,
    pub author_name: String,
    pub body: String,
    pub created_at: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ConversationPage {
    pub conversations: Vec<ConversationView>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ConversationDetail {
    pub conversation: ConversationView,
    /// Oldest first.
    pub messages: Vec<MessageView>,
    /// What the playbook captured and created, and where the visitor came from.
    pub details: ConversationDetails,
}

/// The Details panel (S12, S13, B7).
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct ConversationDetails {
    /// The page where the chat started.
    pub page_url: Option<String>,
    pub referrer: Option<String>,
    /// The page where the visitor converted (reached a qualified end or a follow-up).
    pub converted_url: Option<String>,
    pub language: Option<String>,
    /// Captured fields: `name`, `email`, `phone`, `organization`, `custom.<key>`.
    pub fields: Vec<FieldValue>,
    /// Activities, leads and deals the playbook created (pending until a CRM takes them).
    pub follow_ups: Vec<FollowUpView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldValue {
    pub key: String,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FollowUpView {
    pub id: Uuid,
    /// `activity`, `lead` or `deal`.
    pub kind: String,
    pub title: String,
    /// The captured fields when it was created.
    pub fields: Vec<FieldValue>,
    /// The page the visitor was on when it was created (B7).
    pub page_url: Option<String>,
    /// `pending` until pushed to a CRM.
    pub status: String,
    pub created_at: i64,
}

/// What the bot waits for: answer buttons or a text field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Prompt {
    Choice {
        card_id: String,
        text: String,
        answers: Vec<String>,
    },
    Text {
        card_id: String,
        text: String,
        field: String,
        placeholder: String,
    },
}

/// The visitor's view of their conversation.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct VisitorState {
    pub conversation: ConversationView,
    /// Oldest first.
    pub messages: Vec<MessageView>,
    /// The bot's open question, if it waits for an answer.
    pub prompt: Option<Prompt>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct StartRequest {
    pub page_url: Option<String>,
    pub referrer: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AnswerRequest {
    /// The card being answered (the prompt's `card_id`).
    pub card_id: String,
    /// For answer buttons: the index of the answer.
    pub choice: Option<usize>,
    /// For text questions.
    pub text: Option<String>,
    /// The page the visitor is on now.
    pub page_url: Option<String>,
}

/// What the widget needs to look right before the visitor opens it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct WidgetConfig {
    pub playbook_id: Uuid,
    pub language: String,
    pub appearance: WidgetAppearance,
    pub greeting: Option<WidgetGreeting>,
    /// UI strings in the playbook's language.
    pub texts: std::collections::BTreeMap<String, String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct WidgetAppearance {
    pub bot_name: String,
    pub primary_color: String,
    pub text_color: String,
    pub icon: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct WidgetGreeting {
    pub text: String,
    pub delay_ms: u32,
}

/// A playbook as the admin API shows it. `definition` is the card graph (see
/// `frontdesk_core::playbook::Playbook`).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PlaybookView {
    pub id: Uuid,
    pub version: i64,
    pub active: bool,
    /// Sites (`https://www.example.com`) where the widget may run, besides this server itself.
    pub allowed_origins: Vec<String>,
    #[schema(value_type = Object)]
    pub definition: serde_json::Value,
    pub updated_at: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ValidationReport {
    pub valid: bool,
    pub errors: Vec<ValidationProblem>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ValidationProblem {
    pub card: Option<String>,
    pub message: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SendMessageRequest {
    /// Chosen by the client (UUIDv7 recommended); sending the same id again stores nothing new.
    pub message_id: Uuid,
    pub body: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ReassignRequest {
    pub operator_id: Uuid,
}

// ---------------------------------------------------------------------------------------------
// Realtime

/// What the server may tell a client about a conversation. Each has a position (`seq`) in the
/// client's ordered stream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventBody {
    /// The conversation appeared or changed. `messages` is the whole history when the
    /// conversation just became visible to this client.
    ConversationUpsert {
        conversation: ConversationView,
        messages: Option<Vec<MessageView>>,
    },
    /// The conversation is no longer visible to this client (assigned or reassigned away).
    ConversationRemoved { conversation_id: Uuid },
    /// A new message.
    Message { message: MessageView },
    /// Visitors only: the bot's open question changed (`null`: nothing to answer).
    BotPrompt {
        conversation_id: Uuid,
        prompt: Option<Prompt>,
    },
}

/// Frames the server sends on a realtime connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// An event; `seq` increases strictly along one client's stream. Keep the last one as the cursor.
    Event { seq: i64, event: EventBody },
    /// Every missed event has been sent; what follows is live. `position` is the cursor now.
    Ready { position: i64 },
    /// The cursor is older than the events kept (or from another database): reload over REST,
    /// then reconnect without a cursor.
    ResyncRequired { position: i64 },
    /// The message was committed.
    Ack {
        message_id: Uuid,
        conversation_id: Uuid,
    },
    /// A request on this connection failed; `message_id` names the send it answers, if any.
    Error {
        code: String,
        message: String,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        message_id: Option<Uuid>,
    },
    /// The server ends the session (logout, disabled account, expired token).
    Bye { code: String, message: String },
    /// Answer to a client ping.
    Pong,
    /// The other side is typing (not stored, no seq).
    Typing { conversation_id: Uuid, name: String },
}

/// Frames a client sends on a realtime connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    /// Send a message; answered by `ack` or `error` once committed or refused.
    Send {
        conversation_id: Uuid,
        message_id: Uuid,
        body: String,
    },
    /// Operators only: choose online or offline.
    SetPresence {
        online: bool,
    },
    /// I am typing in this conversation (forwarded to the other side, not stored).
    Typing {
        conversation_id: Uuid,
    },
    Ping,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_frames_have_a_stable_shape() {
        let id = Uuid::nil();
        let f = ServerFrame::Event {
            seq: 7,
            event: EventBody::ConversationRemoved {
                conversation_id: id,
            },
        };
        assert_eq!(
            serde_json::to_value(&f).unwrap(),
            serde_json::json!({"type": "event", "seq": 7,
                "event": {"kind": "conversation_removed", "conversation_id": id}})
        );
        let c: ClientFrame =
            serde_json::from_str(r#"{"type":"set_presence","online":true}"#).unwrap();
        assert_eq!(c, ClientFrame::SetPresence { online: true });
    }

    #[test]
    fn errors_are_code_and_message() {
        let e = ErrorBody {
            code: "not_found".into(),
            message: "no such thing".into(),
        };
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({"code": "not_found", "message": "no such thing"})
        );
    }
}
