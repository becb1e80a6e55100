//! The operator's inbox: folders, one conversation, messages, assign / reassign / close.
//! Visibility (S10) is decided by `frontdesk_core`: a conversation an operator may not see
//! answers 404, exactly like one that does not exist.

use crate::auth::OperatorSession;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use crate::{now_ms, AppState};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use frontdesk_core::{can_see, Actor, Command, ConversationId, MessageId, OperatorId, Viewer};
use frontdesk_protocol::*;
use frontdesk_store::{ConversationRecord, FolderQuery, NewMessage, PostedMessage, StoreError};
use uuid::Uuid;

/// Checks a message body: not blank, no NUL character, at most [`MAX_MESSAGE_CHARS`].
pub fn check_body(body: &str) -> Result<(), ApiError> {
    if body.trim().is_empty() {
        return Err(ApiError::unprocessable(
            "empty_message",
            "The message is empty.",
        ));
    }
    // No chat client types one, and PostgreSQL's text cannot hold it: refused on every
    // backend alike (other text fields already refuse all control characters).
    if body.contains('\0') {
        return Err(ApiError::unprocessable(
            "invalid_message",
            "The message contains a NUL character (U+0000); remove it and send again.",
        ));
    }
    let n = body.chars().count();
    if n > MAX_MESSAGE_CHARS {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "message_too_long",
            format!("The message has {n} characters; the limit is {MAX_MESSAGE_CHARS}. Split it into several messages."),
        ));
    }
    Ok(())
}

fn not_found_as_conversation(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound => ApiError::conversation_not_found(),
        other => other.into(),
    }
}

/// The actor of an operator's requests, as events show it.
pub fn actor_of(me: &OperatorSession) -> ActorView {
    ActorView::operator(me.id.0, me.display_name.clone())
}

/// The conversation if `op` may see it; 404 otherwise.
pub async fn visible(
    state: &AppState,
    op: OperatorId,
    id: Uuid,
) -> Result<ConversationRecord, ApiError> {
    let c = state
        .store
        .conversation(ConversationId(id))
        .await
        .map_err(not_found_as_conversation)?;
    if !can_see(Viewer::Operator(op), c.visitor_id, &c.state) {
        return Err(ApiError::conversation_not_found());
    }
    Ok(c)
}

/// Adds an operator's message; shared by REST and the realtime connection.
pub async fn send_operator_message(
    state: &AppState,
    me: &OperatorSession,
    conversation: Uuid,
    message_id: Uuid,
    body: String,
) -> Result<PostedMessage, ApiError> {
    check_body(&body)?;
    let message = NewMessage {
        id: MessageId(message_id),
        author: AuthorKind::Operator,
        author_id: Some(me.id.0),
        author_name: me.display_name.clone(),
        body,
    };
    let posted = state
        .store
        .post_message(
            ConversationId(conversation),
            Actor::Operator(me.id),
            message,
            now_ms(),
        )
        .await
        .map_err(|e| match e {
            StoreError::Conflict(m) => ApiError::conflict("message_id_taken", m),
            other => not_found_as_conversation(other),
        })?;
    Ok(posted)
}

/// A page of one inbox folder (S8–S10, S14, offline mode), optionally narrowed to what an
/// operator handled, to one visitor (B7), or to a time range of the last change.
#[utoipa::path(get, path = "/api/conversations", tag = "conversations", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = ConversationPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    me: OperatorSession,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<ConversationPage>, ApiError> {
    let cursor = match q.cursor.as_deref() {
        None | Some("") => None,
        Some(c) => Some(c.parse::<i64>().map_err(|_| {
            ApiError::bad_request(
                "invalid_cursor",
                "This cursor is not valid; start again without one.",
            )
        })?),
    };
    let query = FolderQuery {
        handled_by: q.handled_by.map(OperatorId),
        visitor: q.visitor_id.map(frontdesk_core::VisitorId),
        updated_after: q.updated_after,
        updated_before: q.updated_before,
        ..FolderQuery::new(q.folder.into(), me.id)
    };
    let page = state
        .store
        .folder(query, cursor, q.limit.unwrap_or(50))
        .await?;
    let conversations = page
        .conversations
        .iter()
        // The folder queries embody the rule; checking again costs nothing and keeps one authority.
        .filter(|c| can_see(Viewer::Operator(me.id), c.visitor_id, &c.state))
        .map(ConversationRecord::view)
        .collect();
    Ok(Json(ConversationPage {
        conversations,
        next_cursor: page.next_cursor.map(|c| c.to_string()),
    }))
}

/// One conversation with all its messages.
#[utoipa::path(get, path = "/api/conversations/{id}", tag = "conversations", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Conversation id")),
    responses((status = 200, body = ConversationDetail), (status = 404, body = ErrorBody)))]
pub async fn detail(
    State(state): State<AppState>,
    me: OperatorSession,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<ConversationDetail>, ApiError> {
    let c = visible(&state, me.id, id).await?;
    let messages = state.store.messages(c.id).await?;
    let details = state.store.details(c.id).await?;
    Ok(Json(ConversationDetail {
        conversation: c.view(),
        messages,
        details,
    }))
}

/// Messages of a conversation after a sequence number (for a client that has the first
/// `after_seq` already), oldest first.
#[utoipa::path(get, path = "/api/conversations/{id}/messages", tag = "conversations", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Conversation id"), MessagesQuery),
    responses((status = 200, body = MessagePage), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn messages(
    State(state): State<AppState>,
    me: OperatorSession,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<MessagesQuery>,
) -> Result<Json<MessagePage>, ApiError> {
    let c = visible(&state, me.id, id).await?;
    let limit = q.limit.unwrap_or(500).clamp(1, 1000);
    let mut messages = state
        .store
        .messages_after(c.id, q.after_seq.unwrap_or(0), limit + 1)
        .await?;
    let complete = messages.len() <= limit as usize;
    messages.truncate(limit as usize);
    Ok(Json(MessagePage { messages, complete }))
}

/// Send a message to the visitor. Answered after it is committed; the same `message_id`
/// sent again returns the stored message (200 instead of 201) and stores nothing new.
#[utoipa::path(post, path = "/api/conversations/{id}/messages", tag = "conversations", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Conversation id")), request_body = SendMessageRequest,
    responses((status = 201, body = MessageView), (status = 200, body = MessageView, description = "Already stored"),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn send(
    State(state): State<AppState>,
    me: OperatorSession,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<SendMessageRequest>,
) -> Result<(StatusCode, Json<MessageView>), ApiError> {
    let posted = send_operator_message(&state, &me, id, req.message_id, req.body).await?;
    let status = if posted.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(posted.message)))
}

/// Assign to me (S9, B3): one conditional write; under concurrency exactly one operator wins,
/// the others get 409 `already_assigned`.
#[utoipa::path(post, path = "/api/conversations/{id}/assign", tag = "conversations", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Conversation id")),
    responses((status = 200, body = ConversationView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn assign(
    State(state): State<AppState>,
    me: OperatorSession,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<ConversationView>, ApiError> {
    let command = Command::Assign {
        operator: me.id,
        operator_name: me.display_name.clone(),
    };
    let c = state
        .store
        .apply(ConversationId(id), command, actor_of(&me), now_ms())
        .await
        .map_err(not_found_as_conversation)?;
    Ok(Json(c.view()))
}

/// Reassign my conversation to another operator who is online (S11).
#[utoipa::path(post, path = "/api/conversations/{id}/reassign", tag = "conversations", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Conversation id")), request_body = ReassignRequest,
    responses((status = 200, body = ConversationView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn reassign(
    State(state): State<AppState>,
    me: OperatorSession,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<ReassignRequest>,
) -> Result<Json<ConversationView>, ApiError> {
    let command = reassign_to(&state, &me, OperatorId(req.operator_id)).await?;
    let c = state
        .store
        .apply(ConversationId(id), command, actor_of(&me), now_ms())
        .await
        .map_err(not_found_as_conversation)?;
    Ok(Json(c.view()))
}

/// The command that hands a conversation from `me` to `to` (S11): `to` must be an enabled
/// operator; whether they are online is the rule's to check.
pub async fn reassign_to(
    state: &AppState,
    me: &OperatorSession,
    to: OperatorId,
) -> Result<Command, ApiError> {
    let target = match state.store.operator(to).await {
        Ok(t) if !t.disabled => t,
        Ok(_) | Err(StoreError::NotFound) => {
            return Err(ApiError::not_found(
                "operator_not_found",
                "No such operator.",
            ))
        }
        Err(e) => return Err(e.into()),
    };
    Ok(Command::Reassign {
        by: me.id,
        to,
        to_name: target.display_name,
        to_online: state.presence.is_online(to),
    })
}

/// Close the conversation (S14). Closed is final.
#[utoipa::path(post, path = "/api/conversations/{id}/close", tag = "conversations", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Conversation id")),
    responses((status = 200, body = ConversationView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn close(
    State(state): State<AppState>,
    me: OperatorSession,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<ConversationView>, ApiError> {
    let command = Command::Close {
        by: Actor::Operator(me.id),
    };
    let c = state
        .store
        .apply(ConversationId(id), command, actor_of(&me), now_ms())
        .await
        .map_err(not_found_as_conversation)?;
    Ok(Json(c.view()))
}
