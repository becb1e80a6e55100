//! Catching up after time away (B1): which conversations changed since a stream position, and
//! the messages a cache lacks — without replaying every event or resending transcripts.
//!
//! The procedure (docs/operator-protocol.md): `GET /api/sync/changes?since=P` page by page
//! until `complete`; then `POST /api/sync/messages` for every conversation whose
//! `message_count` is above the cache's last `seq`; then open the stream with `since=position`.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{ConversationView, MessageView};

#[derive(Clone, Debug, Deserialize, Serialize, IntoParams, TS)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// A stream position (`ready.position`, an event's `seq`, or a previous page's `position`).
    pub since: i64,
    /// The database epoch the position belongs to (`ready.epoch`); a position from another
    /// database answers 409 `resync_required`.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub epoch: Option<String>,
    /// Conversations per page, 1–2000 (default 500).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub limit: Option<u32>,
}

/// Conversations that changed after `since`, as they are now.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, TS)]
pub struct ChangesPage {
    /// Changed conversations you may see, in their current state.
    pub conversations: Vec<ConversationView>,
    /// Conversations that changed but that you may no longer see: drop them from a cache.
    pub removed: Vec<Uuid>,
    /// Everything up to this position is reflected above: pass it as `since` for the next
    /// page, or as the stream's `since` once `complete`.
    pub position: i64,
    pub epoch: String,
    /// No more changes up to the head of the stream when this was read.
    pub complete: bool,
}

/// Messages after `after_seq` in one conversation.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, TS)]
pub struct MessagesAfter {
    pub conversation_id: Uuid,
    pub after_seq: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, TS)]
pub struct BulkMessagesRequest {
    /// At most 500 conversations per request.
    pub conversations: Vec<MessagesAfter>,
    /// At most this many messages in the answer (1–20000, default 5000).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub limit: Option<u32>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, TS)]
pub struct BulkMessagesResponse {
    /// Grouped by conversation in the order asked, oldest first within each.
    pub messages: Vec<MessageView>,
    /// Conversations that do not exist or that you may not see.
    pub not_visible: Vec<Uuid>,
    /// False when the limit cut the answer: ask again with the last `seq` per conversation.
    pub complete: bool,
}
