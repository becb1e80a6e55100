//! The visitor's side: a session token, asking for a person, the conversation, messages.
//! Until the playbook engine drives it, "ask for live chat" is a direct call.

use super::accounts::check_text;
use super::conversations::check_body;
use crate::auth::{self, VisitorSession};
use crate::error::{ApiError, ApiJson};
use crate::{now_ms, AppState};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use frontdesk_core::{Actor, ConversationState, MessageId, VisitorId};
use frontdesk_protocol::*;
use frontdesk_store::{NewMessage, PostedMessage, StoreError, Subject};
use uuid::Uuid;

/// Start a visitor session; keep the token in the browser.
#[utoipa::path(post, path = "/api/visitor/session", tag = "visitor", request_body = VisitorSessionRequest,
    responses((status = 201, body = VisitorSessionResponse), (status = 422, body = ErrorBody)))]
pub async fn create_session(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<VisitorSessionRequest>,
) -> Result<(StatusCode, Json<VisitorSessionResponse>), ApiError> {
    let name = match req.name.as_deref() {
        None => None,
        Some(n) if n.trim().is_empty() => None,
        Some(n) => Some(check_text("name", n, MAX_NAME_CHARS)?),
    };
    let id = VisitorId::new();
    let now = now_ms();
    state.store.create_visitor(id, name, now).await?;
    let token = auth::new_token();
    let expires_at = now + state.config.visitor_token_ttl_secs as i64 * 1000;
    state
        .store
        .create_session(
            auth::hash_token(&token),
            Subject::Visitor { id },
            expires_at,
            now,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(VisitorSessionResponse {
            token,
            visitor_id: id.0,
            expires_at,
        }),
    ))
}

/// The visitor asks for a person (the livechat card, S4): with an operator online the
/// conversation enters Unassigned with the online message; otherwise it goes to offline mode
/// with the offline message. Asking again returns the same conversation.
#[utoipa::path(post, path = "/api/visitor/livechat", tag = "visitor", security(("bearer" = [])),
    responses((status = 200, body = ConversationView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn request_live_chat(
    State(state): State<AppState>,
    me: VisitorSession,
) -> Result<Json<ConversationView>, ApiError> {
    let now = now_ms();
    let wait_ms = state.config.wait_time_secs as i64 * 1000;
    let c = state
        .store
        .request_live_chat(me.id, now, wait_ms, state.presence.anyone_online())
        .await?;
    if let ConversationState::Waiting { deadline } = c.state {
        state.deadlines.schedule(c.id, deadline);
    }
    Ok(Json(c.view()))
}

/// The visitor's open conversation with its messages.
#[utoipa::path(get, path = "/api/visitor/conversation", tag = "visitor", security(("bearer" = [])),
    responses((status = 200, body = ConversationDetail), (status = 404, body = ErrorBody)))]
pub async fn conversation(
    State(state): State<AppState>,
    me: VisitorSession,
) -> Result<Json<ConversationDetail>, ApiError> {
    let c = state
        .store
        .open_conversation_of(me.id)
        .await?
        .ok_or_else(no_conversation)?;
    let messages = state.store.messages(c.id).await?;
    Ok(Json(ConversationDetail {
        conversation: c.view(),
        messages,
    }))
}

fn no_conversation() -> ApiError {
    ApiError::not_found(
        "no_open_conversation",
        "You have no open conversation; ask for live chat first.",
    )
}

/// Adds a visitor's message to their open conversation (or the given one, which must be
/// theirs); shared by REST and the realtime connection.
pub async fn send_visitor_message(
    state: &AppState,
    me: &VisitorSession,
    conversation: Option<Uuid>,
    message_id: Uuid,
    body: String,
) -> Result<PostedMessage, ApiError> {
    check_body(&body)?;
    let c = match conversation {
        Some(id) => match state
            .store
            .conversation(frontdesk_core::ConversationId(id))
            .await
        {
            Ok(c) if c.visitor_id == me.id => c,
            Ok(_) | Err(StoreError::NotFound) => return Err(ApiError::conversation_not_found()),
            Err(e) => return Err(e.into()),
        },
        None => state
            .store
            .open_conversation_of(me.id)
            .await?
            .ok_or_else(no_conversation)?,
    };
    let message = NewMessage {
        id: MessageId(message_id),
        author: AuthorKind::Visitor,
        author_id: Some(me.id.0),
        author_name: me.name.clone().unwrap_or_else(|| "Visitor".into()),
        body,
    };
    state
        .store
        .post_message(c.id, Actor::Visitor, message, now_ms())
        .await
        .map_err(|e| match e {
            StoreError::Conflict(m) => ApiError::conflict("message_id_taken", m),
            other => other.into(),
        })
}

/// Send a message as the visitor. Idempotent on `message_id` like the operator's send.
#[utoipa::path(post, path = "/api/visitor/messages", tag = "visitor", security(("bearer" = [])), request_body = SendMessageRequest,
    responses((status = 201, body = MessageView), (status = 200, body = MessageView, description = "Already stored"),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn send(
    State(state): State<AppState>,
    me: VisitorSession,
    ApiJson(req): ApiJson<SendMessageRequest>,
) -> Result<(StatusCode, Json<MessageView>), ApiError> {
    let posted = send_visitor_message(&state, &me, None, req.message_id, req.body).await?;
    let status = if posted.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(posted.message)))
}
