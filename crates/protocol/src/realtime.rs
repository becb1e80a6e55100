//! The realtime connection: server frames, client frames and the event envelope.
//!
//! Lifecycle (docs/operator-protocol.md): connect with `since` (and `epoch`) → the events
//! after the cursor → `ready` → live events. Operators also get `presence_snapshot` right
//! after `ready` and a `presence` frame whenever any operator's presence changes.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{ConversationView, Handover, MessageView, OperatorPresence, PresenceView, Prompt};

/// Who caused an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    Operator,
    Visitor,
    /// The playbook's bot.
    Bot,
    /// The server itself (a wait time that expired, an operator whose connection was lost).
    System,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
pub struct ActorView {
    pub kind: ActorKind,
    /// The operator's or visitor's id.
    pub id: Option<Uuid>,
    /// Their name when the event happened (a visitor may have none).
    pub name: Option<String>,
}

impl ActorView {
    pub fn system() -> Self {
        ActorView {
            kind: ActorKind::System,
            id: None,
            name: None,
        }
    }
    pub fn operator(id: Uuid, name: impl Into<String>) -> Self {
        ActorView {
            kind: ActorKind::Operator,
            id: Some(id),
            name: Some(name.into()),
        }
    }
    pub fn visitor(id: Uuid, name: Option<String>) -> Self {
        ActorView {
            kind: ActorKind::Visitor,
            id: Some(id),
            name,
        }
    }
}

/// What the server may tell a client about a conversation. Each has a position (`seq`) in the
/// client's ordered stream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventBody {
    /// The conversation appeared or changed. Its messages are not included: when
    /// `message_count` is above the last `seq` a client holds, it fetches the rest
    /// (`GET /api/conversations/{id}/messages?after_seq=…`).
    ConversationUpsert { conversation: ConversationView },
    /// The conversation is no longer visible to this client (assigned or reassigned away).
    ConversationRemoved { conversation_id: Uuid },
    /// A new message, with its conversation's row as it is after the message.
    Message {
        message: MessageView,
        conversation: ConversationView,
    },
    /// Operators: the conversation's editable details changed (S12). Same audience as the
    /// conversation.
    DetailsChanged {
        conversation_id: Uuid,
        details: crate::SalesDetailsView,
    },
    /// Operators: a lead, deal or activity was created from the conversation (S13), or its
    /// sync status changed (B8). Upsert it by `result.id`.
    ResultUpsert { result: crate::CreatedResultView },
    /// Visitors only: the bot's open question changed (`null`: nothing to answer).
    BotPrompt {
        conversation_id: Uuid,
        prompt: Option<Prompt>,
    },
}

/// Frames the server sends on a realtime connection.
// Frames are built, serialized and dropped at once; boxing the big variant buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// An event; `seq` increases strictly along one client's stream. Keep the last one as the
    /// cursor. `at` is the commit time; `actor` who caused it.
    Event {
        seq: i64,
        at: i64,
        actor: ActorView,
        event: EventBody,
    },
    /// Every missed event has been sent; what follows is live. `position` is the cursor now,
    /// `epoch` the database it belongs to, `server_time` the server's clock (unix ms) — use it
    /// to correct countdowns on a machine whose clock is off.
    Ready {
        position: i64,
        epoch: String,
        server_time: i64,
    },
    /// The cursor is older than the events kept, or from another database (epoch): reload
    /// over REST, then reconnect without a cursor.
    ResyncRequired { position: i64, epoch: String },
    /// The message was committed. `duplicate`: it had been stored before under this id with the
    /// same text (a retry); nothing new was written.
    Ack {
        message_id: Uuid,
        conversation_id: Uuid,
        #[serde(default)]
        duplicate: bool,
    },
    /// A request on this connection failed; `message_id` names the send it answers, if any.
    Error {
        code: String,
        message: String,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        #[ts(optional)]
        message_id: Option<Uuid>,
    },
    /// The server ends the session (logout, revoked device, disabled account, expired token).
    Bye { code: String, message: String },
    /// Answer to a client ping.
    Pong,
    /// The other side is typing (not stored, no seq).
    Typing { conversation_id: Uuid, name: String },
    /// Operators: every operator's presence, sent after `ready` (and again after the
    /// connection fell behind). Operators not listed are offline.
    PresenceSnapshot { operators: Vec<OperatorPresence> },
    /// Operators: one operator's presence changed (chose online/offline, connected, lost
    /// their connection past the grace period, disabled) — yours included.
    Presence { operator: OperatorPresence },
    /// Operators: your own presence; the answer to `set_presence`.
    MyPresence { presence: PresenceView },
}

/// Frames a client sends on a realtime connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    /// Send a message; answered by `ack` or `error` once committed or refused.
    Send {
        conversation_id: Uuid,
        message_id: Uuid,
        body: String,
    },
    /// Operators only: choose online or offline; answered by `my_presence`.
    SetPresence {
        online: bool,
        #[serde(default)]
        #[ts(optional = nullable)]
        handover: Option<Handover>,
    },
    /// I am typing in this conversation (forwarded to the other side, not stored).
    Typing {
        conversation_id: Uuid,
    },
    Ping,
}

/// How to open a realtime connection (`/api/stream`, `/api/visitor/stream`).
#[derive(Clone, Debug, Default, Serialize, Deserialize, IntoParams, TS)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// The `seq` of the last event processed; omit on a fresh start.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub since: Option<i64>,
    /// The `epoch` of `ready` the cursor came with: a cursor from another database (e.g.
    /// before a restore from backup) gets `resync_required` instead of a silent gap.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub epoch: Option<String>,
    /// The bearer token, for clients that cannot set headers on a WebSocket.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub access_token: Option<String>,
}
