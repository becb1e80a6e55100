//! The visitor's side: a session token, the playbook conversation (start, answer), asking for
//! a person directly, messages. Public endpoints: rate-limited per address and per visitor.

use super::accounts::check_text;
use super::conversations::check_body;
use crate::auth::{self, VisitorSession};
use crate::error::{ApiError, ApiJson};
use crate::{now_ms, AppState};
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use frontdesk_core::playbook::Input;
use frontdesk_core::{Actor, ConversationId, ConversationState, MessageId, VisitorId};
use frontdesk_protocol::*;
use frontdesk_store::{
    ConversationRecord, Handoff, NewMessage, PlaybookRecord, PostedMessage, StoreError, Subject,
    VisitorRecord,
};
use uuid::Uuid;

/// The caller's network address (for per-address limits).
pub struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        Ok(ClientAddr(ip.unwrap_or_else(|| "unknown".into())))
    }
}

/// Whether the page that calls (its `Origin`) may run this playbook's widget: this server's
/// own pages, or a site the admin allowed. Requests without an `Origin` come from outside a
/// browser and carry no ambient credentials, so there is nothing to protect against.
pub fn origin_allowed(headers: &HeaderMap, playbook: &PlaybookRecord) -> bool {
    let Some(origin) = headers
        .get(axum::http::header::ORIGIN)
        .and_then(|o| o.to_str().ok())
    else {
        return true;
    };
    let origin = origin.trim_end_matches('/').to_ascii_lowercase();
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let same_origin = origin.split_once("://").is_some_and(|(_, h)| h == host);
    same_origin
        || playbook
            .allowed_origins
            .iter()
            .any(|a| a.trim_end_matches('/').eq_ignore_ascii_case(&origin))
}

/// An answer is a button (`choice`) or a typed text, never both (the visitor's answers and
/// the admin's preview alike).
pub(crate) fn answer_input(choice: Option<usize>, text: Option<String>) -> Result<Input, ApiError> {
    match (choice, text) {
        (Some(i), None) => Ok(Input::Choice(i)),
        (None, Some(t)) => Ok(Input::Text(t)),
        _ => Err(ApiError::unprocessable(
            "invalid_answer",
            "Send either `choice` or `text`.",
        )),
    }
}

fn handoff(state: &AppState) -> Handoff {
    Handoff {
        anyone_online: state.presence.anyone_online(),
        wait_override_ms: state.config.wait_time_secs.map(|s| s as i64 * 1000),
    }
}

/// After any write that may have put the conversation in Unassigned: arm its timer.
fn arm_deadline(state: &AppState, c: &ConversationRecord) {
    if let ConversationState::Waiting { deadline } = c.state {
        state.deadlines.schedule(c.id, deadline);
    }
}

fn check_url(field: &str, v: Option<String>) -> Result<Option<String>, ApiError> {
    match v {
        None => Ok(None),
        Some(u) if u.is_empty() => Ok(None),
        Some(u) if u.chars().count() > 2000 || u.chars().any(char::is_control) => {
            Err(ApiError::unprocessable(
                "invalid_field",
                format!("`{field}` is not a usable address."),
            ))
        }
        Some(u) => Ok(Some(u)),
    }
}

/// Start a visitor session; keep the token in the browser.
#[utoipa::path(post, path = "/api/visitor/session", tag = "visitor", request_body = NewVisitorSession,
    responses((status = 201, body = VisitorSessionResponse), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn create_session(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    ApiJson(req): ApiJson<NewVisitorSession>,
) -> Result<(StatusCode, Json<VisitorSessionResponse>), ApiError> {
    state.address_limiter.guard(&addr)?;
    let name = match req.name.as_deref() {
        None => None,
        Some(n) if n.trim().is_empty() => None,
        Some(n) => Some(check_text("name", n, MAX_NAME_CHARS)?),
    };
    if let Some(pid) = req.playbook_id {
        let pb = match state.store.playbook(pid).await {
            Ok(pb) if pb.active => pb,
            Ok(_) | Err(StoreError::NotFound) => return Err(playbook_not_found()),
            Err(e) => return Err(e.into()),
        };
        if !origin_allowed(&headers, &pb) {
            return Err(ApiError::forbidden("origin_not_allowed", "This website is not allowed to use this chat. An admin can add it to the playbook's allowed sites."));
        }
    }
    let language = req
        .language
        .filter(|l| l.len() <= 35 && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    let id = VisitorId::new();
    let now = now_ms();
    state
        .store
        .create_visitor(
            VisitorRecord {
                id,
                name,
                playbook_id: req.playbook_id,
                language,
            },
            now,
        )
        .await?;
    let token = auth::new_token();
    let expires_at = now + state.config.visitor_token_ttl_secs as i64 * 1000;
    state
        .store
        .create_session(
            auth::hash_token(&token),
            Subject::Visitor { id },
            expires_at,
            None,
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

pub fn playbook_not_found() -> ApiError {
    ApiError::not_found("playbook_not_found", "No active playbook with this id.")
}

async fn visitor_state(
    state: &AppState,
    c: ConversationRecord,
) -> Result<Json<VisitorState>, ApiError> {
    let messages = state.store.messages(c.id).await?;
    let prompt = state.store.prompt(&c).await?;
    Ok(Json(VisitorState {
        conversation: c.view(),
        messages,
        prompt,
    }))
}

/// Start the playbook (S8): the bot greets and asks its first question. With an open
/// conversation, returns it as it is.
#[utoipa::path(post, path = "/api/visitor/start", tag = "visitor", security(("bearer" = [])), request_body = StartRequest,
    responses((status = 200, body = VisitorState), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn start(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    me: VisitorSession,
    ApiJson(req): ApiJson<StartRequest>,
) -> Result<Json<VisitorState>, ApiError> {
    if let Some(open) = state.store.open_conversation_of(me.id).await? {
        return visitor_state(&state, open).await;
    }
    state.address_limiter.guard(&addr)?;
    let (page_url, referrer) = (
        check_url("page_url", req.page_url)?,
        check_url("referrer", req.referrer)?,
    );
    let c = match state
        .store
        .start_playbook(me.id, page_url, referrer, handoff(&state), now_ms())
        .await
    {
        Err(StoreError::NotFound) => return Err(playbook_not_found()),
        other => other?,
    };
    arm_deadline(&state, &c);
    visitor_state(&state, c).await
}

/// Answer the bot's open question: a button (`choice`) or a text (`text`).
#[utoipa::path(post, path = "/api/visitor/answer", tag = "visitor", security(("bearer" = [])), request_body = AnswerRequest,
    responses((status = 200, body = VisitorState), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn answer(
    State(state): State<AppState>,
    me: VisitorSession,
    ApiJson(req): ApiJson<AnswerRequest>,
) -> Result<Json<VisitorState>, ApiError> {
    state.visitor_limiter.guard(&me.id.to_string())?;
    let input = answer_input(req.choice, req.text)?;
    let page_url = check_url("page_url", req.page_url)?;
    let open = state
        .store
        .open_conversation_of(me.id)
        .await?
        .ok_or_else(no_conversation)?;
    let c = state
        .store
        .answer(
            open.id,
            req.card_id,
            input,
            page_url,
            handoff(&state),
            now_ms(),
        )
        .await
        .map_err(|e| match e {
            StoreError::InvalidAnswer(m) => ApiError::unprocessable("invalid_answer", m),
            StoreError::StaleCard => ApiError::conflict(
                "stale_card",
                "The bot is not waiting for this answer any more; reload the conversation.",
            ),
            other => other.into(),
        })?;
    arm_deadline(&state, &c);
    visitor_state(&state, c).await
}

/// The visitor asks for a person directly (S4): with an operator online the conversation
/// enters Unassigned; otherwise it goes to offline mode. While a playbook runs this goes
/// through its livechat card (its texts, wait time and offline flow); a playbook without one
/// answers 409 `no_livechat`.
#[utoipa::path(post, path = "/api/visitor/livechat", tag = "visitor", security(("bearer" = [])),
    responses((status = 200, body = ConversationView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn request_live_chat(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    me: VisitorSession,
) -> Result<Json<ConversationView>, ApiError> {
    if state.store.open_conversation_of(me.id).await?.is_none() {
        state.address_limiter.guard(&addr)?;
    }
    let c = state
        .store
        .request_live_chat(me.id, handoff(&state), now_ms())
        .await
        .map_err(|e| match e {
            StoreError::Conflict(m) => ApiError::conflict("no_livechat", m),
            StoreError::NotFound => playbook_not_found(),
            other => other.into(),
        })?;
    arm_deadline(&state, &c);
    Ok(Json(c.view()))
}

/// The visitor's open conversation with its messages and the bot's open question.
#[utoipa::path(get, path = "/api/visitor/conversation", tag = "visitor", security(("bearer" = [])),
    responses((status = 200, body = VisitorState), (status = 404, body = ErrorBody)))]
pub async fn conversation(
    State(state): State<AppState>,
    me: VisitorSession,
) -> Result<Json<VisitorState>, ApiError> {
    let c = state
        .store
        .open_conversation_of(me.id)
        .await?
        .ok_or_else(no_conversation)?;
    visitor_state(&state, c).await
}

fn no_conversation() -> ApiError {
    ApiError::not_found(
        "no_open_conversation",
        "You have no open conversation; start one first.",
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
    // The store checks that the conversation is the visitor's (in the same transaction),
    // so the hot path does no extra read.
    let conversation = match conversation {
        Some(id) => ConversationId(id),
        None => {
            state
                .store
                .open_conversation_of(me.id)
                .await?
                .ok_or_else(no_conversation)?
                .id
        }
    };
    let message = NewMessage {
        id: MessageId(message_id),
        author: AuthorKind::Visitor,
        author_id: Some(me.id.0),
        author_name: me.name.clone().unwrap_or_else(|| "Visitor".into()),
        body,
    };
    if let Err(limited) = state.visitor_limiter.guard(&me.id.to_string()) {
        // A widget retrying a message that is already stored must learn that it arrived.
        return match stored_retry(state, me, conversation, &message).await? {
            Some(posted) => Ok(posted),
            None => Err(limited),
        };
    }
    state
        .store
        .post_message(conversation, Actor::Visitor, message, now_ms())
        .await
        .map_err(|e| match e {
            StoreError::Conflict(m) => ApiError::conflict("message_id_taken", m),
            StoreError::NotFound => ApiError::conversation_not_found(),
            other => other.into(),
        })
}

/// The stored message if `message` is a retry of it in the visitor's own conversation.
async fn stored_retry(
    state: &AppState,
    me: &VisitorSession,
    conversation: ConversationId,
    message: &NewMessage,
) -> Result<Option<PostedMessage>, ApiError> {
    let c = match state.store.conversation(conversation).await {
        Ok(c) if c.visitor_id == me.id => c,
        Ok(_) | Err(StoreError::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let stored = state.store.messages(c.id).await?;
    Ok(stored
        .into_iter()
        .find(|m| m.id == message.id.0 && message.is_retry_of(c.id, m))
        .map(|m| PostedMessage {
            message: m,
            duplicate: true,
        }))
}

/// Send a message as the visitor. Idempotent on `message_id` like the operator's send.
#[utoipa::path(post, path = "/api/visitor/messages", tag = "visitor", security(("bearer" = [])), request_body = SendMessageRequest,
    responses((status = 201, body = MessageView), (status = 200, body = MessageView, description = "Already stored"),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 429, body = ErrorBody)))]
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
