//! Sign-in, the signed-in operator, and (admins) the operator accounts.

use crate::auth::{self, AdminSession, OperatorSession};
use crate::error::{ApiError, ApiJson, ApiPath};
use crate::hub::Bye;
use crate::{now_ms, AppState};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use frontdesk_core::{OperatorId, Role};
use frontdesk_protocol::*;
use frontdesk_store::{OperatorRecord, StoreError, Subject};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

pub fn operator_view(r: &OperatorRecord) -> OperatorView {
    OperatorView {
        id: r.id.0,
        display_name: r.display_name.clone(),
        email: r.email.clone(),
        role: match r.role {
            Role::Admin => RoleView::Admin,
            Role::Operator => RoleView::Operator,
        },
        disabled: r.disabled,
    }
}

/// Checks a name-like field: not blank, not too long, no control characters.
pub fn check_text(field: &str, value: &str, max: usize) -> Result<String, ApiError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ApiError::unprocessable(
            "invalid_field",
            format!("`{field}` must not be empty."),
        ));
    }
    if v.chars().count() > max {
        return Err(ApiError::unprocessable(
            "invalid_field",
            format!("`{field}` is longer than {max} characters."),
        ));
    }
    if v.chars().any(char::is_control) {
        return Err(ApiError::unprocessable(
            "invalid_field",
            format!("`{field}` must not contain control characters."),
        ));
    }
    Ok(v.to_owned())
}

fn check_password(p: &str) -> Result<(), ApiError> {
    let n = p.chars().count();
    if !(8..=200).contains(&n) {
        return Err(ApiError::unprocessable(
            "weak_password",
            "Passwords need 8 to 200 characters.",
        ));
    }
    Ok(())
}

/// Sign in with email and password; returns a bearer token.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let wrong = || ApiError::unauthorized("invalid_credentials", "Wrong email or password.");
    if req.email.len() > 400 || req.password.len() > 400 {
        return Err(wrong());
    }
    let record = match state.store.operator_by_email(req.email.trim()).await {
        Ok(r) => Some(r),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let ok = auth::verify_password(
        req.password,
        record.as_ref().map(|r| r.password_hash.clone()),
    )
    .await;
    let Some(record) = record.filter(|_| ok) else {
        return Err(wrong());
    };
    if record.disabled {
        return Err(ApiError::forbidden(
            "account_disabled",
            "This account is disabled. Ask an admin.",
        ));
    }
    let token = auth::new_token();
    let now = now_ms();
    let expires_at = now + state.config.token_ttl_secs as i64 * 1000;
    state
        .store
        .create_session(
            auth::hash_token(&token),
            Subject::Operator {
                id: record.id,
                role: record.role,
            },
            expires_at,
            now,
        )
        .await?;
    Ok(Json(LoginResponse {
        token,
        expires_at,
        operator: operator_view(&record),
    }))
}

/// Sign out: the token stops working and its realtime connections end.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(
    State(state): State<AppState>,
    me: OperatorSession,
) -> Result<StatusCode, ApiError> {
    state.store.delete_session(&me.token_hash).await?;
    state.hub.kick_operator(
        me.id,
        Some(&me.token_hash),
        Bye {
            code: "signed_out",
            message: "You signed out.".into(),
        },
    );
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in operator.
#[utoipa::path(get, path = "/api/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = OperatorView), (status = 401, body = ErrorBody)))]
pub async fn me(
    State(state): State<AppState>,
    me: OperatorSession,
) -> Result<Json<OperatorView>, ApiError> {
    Ok(Json(operator_view(&state.store.operator(me.id).await?)))
}

/// Choose online or offline (S7). Counting as online also needs a live realtime connection.
#[utoipa::path(put, path = "/api/me/presence", tag = "auth", security(("bearer" = [])), request_body = PresenceRequest,
    responses((status = 200, body = PresenceView), (status = 401, body = ErrorBody)))]
pub async fn set_presence(
    State(state): State<AppState>,
    me: OperatorSession,
    ApiJson(req): ApiJson<PresenceRequest>,
) -> Result<Json<PresenceView>, ApiError> {
    state.presence.set_choice(me.id, req.online);
    let (chose_online, online) = state.presence.status(me.id);
    Ok(Json(PresenceView {
        chose_online,
        online,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

/// Change your own password.
#[utoipa::path(post, path = "/api/me/password", tag = "auth", security(("bearer" = [])), request_body = ChangePasswordRequest,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    me: OperatorSession,
    ApiJson(req): ApiJson<ChangePasswordRequest>,
) -> Result<StatusCode, ApiError> {
    check_password(&req.new_password)?;
    let record = state.store.operator(me.id).await?;
    if !auth::verify_password(req.current_password, Some(record.password_hash)).await {
        return Err(ApiError::unauthorized(
            "invalid_credentials",
            "The current password is wrong.",
        ));
    }
    let hash = auth::hash_password(req.new_password).await?;
    state.store.set_password_hash(me.id, hash).await?;
    // Whoever knew the old password is signed out everywhere else.
    state
        .store
        .delete_other_sessions(me.id, &me.token_hash)
        .await?;
    state.hub.kick_other_sessions(
        me.id,
        &me.token_hash,
        Bye {
            code: "password_changed",
            message: "Your password was changed. Sign in again.".into(),
        },
    );
    Ok(StatusCode::NO_CONTENT)
}

/// All operator accounts (admins only).
#[utoipa::path(get, path = "/api/operators", tag = "operators", security(("bearer" = [])),
    responses((status = 200, body = Vec<OperatorView>), (status = 403, body = ErrorBody)))]
pub async fn list_operators(
    State(state): State<AppState>,
    _admin: AdminSession,
) -> Result<Json<Vec<OperatorView>>, ApiError> {
    Ok(Json(
        state
            .store
            .list_operators()
            .await?
            .iter()
            .map(operator_view)
            .collect(),
    ))
}

/// Add an operator or admin (admins only).
#[utoipa::path(post, path = "/api/operators", tag = "operators", security(("bearer" = [])), request_body = NewOperatorRequest,
    responses((status = 201, body = OperatorView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_operator(
    State(state): State<AppState>,
    _admin: AdminSession,
    ApiJson(req): ApiJson<NewOperatorRequest>,
) -> Result<(StatusCode, Json<OperatorView>), ApiError> {
    let display_name = check_text("display_name", &req.display_name, MAX_NAME_CHARS)?;
    let email = check_text("email", &req.email, MAX_NAME_CHARS)?;
    if !email.contains('@') || email.contains(char::is_whitespace) {
        return Err(ApiError::unprocessable(
            "invalid_field",
            "`email` is not an email address.",
        ));
    }
    check_password(&req.password)?;
    let record = OperatorRecord {
        id: OperatorId::new(),
        email,
        display_name,
        role: match req.role {
            RoleView::Admin => Role::Admin,
            RoleView::Operator => Role::Operator,
        },
        disabled: false,
        password_hash: auth::hash_password(req.password).await?,
    };
    match state.store.create_operator(record.clone(), now_ms()).await {
        Ok(()) => Ok((StatusCode::CREATED, Json(operator_view(&record)))),
        Err(StoreError::Conflict(m)) => Err(ApiError::conflict("email_taken", m)),
        Err(e) => Err(e.into()),
    }
}

/// Disable an account (admins only): its sessions end at once and it goes offline.
#[utoipa::path(post, path = "/api/operators/{id}/disable", tag = "operators", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Operator id")),
    responses((status = 200, body = OperatorView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn disable_operator(
    State(state): State<AppState>,
    AdminSession(admin): AdminSession,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<OperatorView>, ApiError> {
    let id = OperatorId(id);
    if id == admin.id {
        return Err(ApiError::conflict(
            "cannot_disable_self",
            "You cannot disable your own account; ask another admin.",
        ));
    }
    let record = match state.store.disable_operator(id).await {
        Err(StoreError::NotFound) => {
            return Err(ApiError::not_found(
                "operator_not_found",
                "No such operator.",
            ))
        }
        other => other?,
    };
    state.presence.forget(id);
    // Their chats must not wait for someone who cannot answer: back to Unassigned.
    let handoff = frontdesk_store::Handoff {
        anyone_online: state.presence.anyone_online(),
        wait_override_ms: state.config.wait_time_secs.map(|s| s as i64 * 1000),
    };
    for c in state.store.release_assigned(id, handoff, now_ms()).await? {
        if let frontdesk_core::ConversationState::Waiting { deadline } = c.state {
            state.deadlines.schedule(c.id, deadline);
        }
    }
    state.hub.kick_operator(
        id,
        None,
        Bye {
            code: "account_disabled",
            message: "Your account was disabled.".into(),
        },
    );
    Ok(Json(operator_view(&record)))
}

/// Operators who are online now (to pick a reassignment target).
#[utoipa::path(get, path = "/api/operators/online", tag = "operators", security(("bearer" = [])),
    responses((status = 200, body = Vec<OnlineOperator>), (status = 401, body = ErrorBody)))]
pub async fn online_operators(
    State(state): State<AppState>,
    _me: OperatorSession,
) -> Result<Json<Vec<OnlineOperator>>, ApiError> {
    let mut out = Vec::new();
    for id in state.presence.online_operators() {
        if let Ok(r) = state.store.operator(id).await {
            if !r.disabled {
                out.push(OnlineOperator {
                    id: r.id.0,
                    display_name: r.display_name,
                });
            }
        }
    }
    out.sort_by(|a, b| a.display_name.cmp(&b.display_name));
    Ok(Json(out))
}
