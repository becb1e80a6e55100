//! Catching up after time away (B1, docs/operator-protocol.md): what changed since a stream
//! position, and the messages a cache lacks, in a few large reads instead of one event
//! replay that resends transcripts or one request per conversation.

use crate::auth::OperatorSession;
use crate::error::{ApiError, ApiJson, ApiQuery};
use crate::AppState;
use axum::extract::State;
use axum::Json;
use frontdesk_core::{can_see, ConversationId, Viewer};
use frontdesk_protocol::*;
use frontdesk_store::Changes;
use std::collections::HashMap;

/// Most conversations one bulk message request may name (500 fit the request size limit).
const MAX_BULK_CONVERSATIONS: usize = 500;

fn resync_required() -> ApiError {
    ApiError::conflict(
        "resync_required",
        "This position is older than the kept history or belongs to another database: load the folders again and continue from the stream's `ready` position.",
    )
}

/// The conversations that changed after `since` (events you received or would have), as
/// they are now; those you may no longer see are listed in `removed`. Page until `complete`,
/// then open the stream with `since=position`.
#[utoipa::path(get, path = "/api/sync/changes", tag = "sync", security(("bearer" = [])), params(ChangesQuery),
    responses((status = 200, body = ChangesPage), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody, description = "resync_required")))]
pub async fn changes(
    State(state): State<AppState>,
    me: OperatorSession,
    ApiQuery(q): ApiQuery<ChangesQuery>,
) -> Result<Json<ChangesPage>, ApiError> {
    let epoch = state.store.epoch().to_owned();
    if q.epoch.as_deref().is_some_and(|e| e != epoch) {
        return Err(resync_required());
    }
    let limit = q.limit.unwrap_or(500).clamp(1, 2000);
    match state.store.changes(me.id, q.since, limit).await? {
        Changes::ResyncRequired { .. } => Err(resync_required()),
        Changes::Page {
            conversations,
            position,
            complete,
        } => {
            let (visible, removed): (Vec<_>, Vec<_>) = conversations
                .into_iter()
                .partition(|c| can_see(Viewer::Operator(me.id), c.visitor_id, &c.state));
            Ok(Json(ChangesPage {
                conversations: visible.iter().map(|c| c.view()).collect(),
                removed: removed.iter().map(|c| c.id.0).collect(),
                position,
                epoch,
                complete,
            }))
        }
    }
}

/// The messages after a `seq` in each of many conversations, in one answer.
#[utoipa::path(post, path = "/api/sync/messages", tag = "sync", security(("bearer" = [])), request_body = BulkMessagesRequest,
    responses((status = 200, body = BulkMessagesResponse), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn messages(
    State(state): State<AppState>,
    me: OperatorSession,
    ApiJson(req): ApiJson<BulkMessagesRequest>,
) -> Result<Json<BulkMessagesResponse>, ApiError> {
    if req.conversations.len() > MAX_BULK_CONVERSATIONS {
        return Err(ApiError::unprocessable(
            "too_many_conversations",
            format!("Ask for at most {MAX_BULK_CONVERSATIONS} conversations per request."),
        ));
    }
    let ids: Vec<ConversationId> = req
        .conversations
        .iter()
        .map(|c| ConversationId(c.conversation_id))
        .collect();
    let found: HashMap<ConversationId, bool> = state
        .store
        .conversations(ids)
        .await?
        .into_iter()
        .map(|c| {
            let ok = can_see(Viewer::Operator(me.id), c.visitor_id, &c.state);
            (c.id, ok)
        })
        .collect();
    let mut wanted = Vec::new();
    let mut not_visible = Vec::new();
    for c in &req.conversations {
        let id = ConversationId(c.conversation_id);
        if found.get(&id).copied().unwrap_or(false) {
            wanted.push((id, c.after_seq.max(0)));
        } else {
            not_visible.push(c.conversation_id);
        }
    }
    let limit = req.limit.unwrap_or(5000).clamp(1, 20_000);
    let (messages, complete) = state.store.messages_after_many(wanted, limit).await?;
    Ok(Json(BulkMessagesResponse {
        messages,
        not_visible,
        complete,
    }))
}
