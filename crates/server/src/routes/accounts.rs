//! Sign-in, the signed-in operator, and (admins) the operator accounts.

use crate::auth::{self, AdminSession, OperatorSession};
use crate::error::{ApiError, ApiJson, ApiPath};
use crate::hub::Bye;
use crate::login_throttle::account_key;
use crate::routes::visitors::ClientAddr;
use crate::{now_ms, presence, AppState};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use frontdesk_core::{OperatorId, Role};
use frontdesk_protocol::*;
use frontdesk_store::{OperatorRecord, StoreError, Subject};
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

/// Checks and trims an account's email address.
pub fn check_email(value: &str) -> Result<String, ApiError> {
    let email = check_text("email", value, MAX_NAME_CHARS)?;
    if !email.contains('@') || email.contains(char::is_whitespace) {
        return Err(ApiError::unprocessable(
            "invalid_field",
            "`email` is not an email address.",
        ));
    }
    Ok(email)
}

/// Sign in with email and password; returns a bearer token.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "Too many failed sign-ins; `Retry-After` says when to try again")))]
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let wrong = || ApiError::unauthorized("invalid_credentials", "Wrong email or password.");
    let account = account_key(&req.email);
    state.login_throttle.check(&account, &addr)?;
    if req.email.len() > 400 || req.password.len() > 400 {
        state.login_throttle.failed(&account, &addr);
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
    let known = record.as_ref().map(|r| r.id.to_string());
    let Some(record) = record.filter(|_| ok) else {
        state.login_throttle.failed(&account, &addr);
        tracing::warn!(target: "frontdesk::auth", address = %addr, account = known.as_deref().unwrap_or("unknown"), "sign-in failed");
        return Err(wrong());
    };
    state.login_throttle.succeeded(&account, &addr);
    if record.disabled {
        return Err(ApiError::forbidden(
            "account_disabled",
            "This account is disabled. Ask an admin.",
        ));
    }
    let device = match req.device.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(d) => Some(check_text("device", d, MAX_NAME_CHARS)?),
    };
    let token = auth::new_token();
    let now = now_ms();
    let subject = Subject::Operator {
        id: record.id,
        role: record.role,
    };
    let expires_at = now.saturating_add(auth::session_ttl_ms(&state, &subject));
    let session_id = state
        .store
        .create_session(auth::hash_token(&token), subject, expires_at, device, now)
        .await?;
    Ok(Json(LoginResponse {
        token,
        expires_at,
        session_id,
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

/// Choose online or offline (S7); when going offline, optionally hand your open
/// conversations over (B4). Counting as online also needs a live realtime connection. Every
/// operator's stream gets a `presence` frame for the change.
#[utoipa::path(put, path = "/api/me/presence", tag = "auth", security(("bearer" = [])), request_body = PresenceRequest,
    responses((status = 200, body = PresenceView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn set_presence(
    State(state): State<AppState>,
    me: OperatorSession,
    ApiJson(req): ApiJson<PresenceRequest>,
) -> Result<Json<PresenceView>, ApiError> {
    Ok(Json(
        presence::choice::choose(&state, &me, req.online, req.handover).await?,
    ))
}

/// Your presence: what you chose, whether chats can reach you now, and the open
/// conversations you hold.
#[utoipa::path(get, path = "/api/me/presence", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = PresenceView), (status = 401, body = ErrorBody)))]
pub async fn get_presence(
    State(state): State<AppState>,
    me: OperatorSession,
) -> Result<Json<PresenceView>, ApiError> {
    Ok(Json(presence::choice::my_presence(&state, me.id).await?))
}

/// Your signed-in devices (one per sign-in), most recently used first.
#[utoipa::path(get, path = "/api/me/sessions", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = Vec<DeviceSession>), (status = 401, body = ErrorBody)))]
pub async fn my_sessions(
    State(state): State<AppState>,
    me: OperatorSession,
) -> Result<Json<Vec<DeviceSession>>, ApiError> {
    let sessions = state.store.operator_sessions(me.id).await?;
    Ok(Json(
        sessions
            .into_iter()
            .map(|s| DeviceSession {
                current: s.token_hash == me.token_hash,
                id: s.id,
                device: s.device,
                created_at: s.created_at,
                last_used_at: s.last_used_at,
                expires_at: s.expires_at,
            })
            .collect(),
    ))
}

/// Sign a device out: its token stops working and its realtime connections end.
#[utoipa::path(delete, path = "/api/me/sessions/{id}", tag = "auth", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Device session id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_session(
    State(state): State<AppState>,
    me: OperatorSession,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    let token_hash = match state.store.delete_operator_session(me.id, id).await {
        Err(StoreError::NotFound) => {
            return Err(ApiError::not_found(
                "session_not_found",
                "No such device session of yours.",
            ))
        }
        other => other?,
    };
    state.hub.kick_operator(
        me.id,
        Some(&token_hash),
        Bye {
            code: "session_revoked",
            message: "This device was signed out from another device. Sign in again.".into(),
        },
    );
    Ok(StatusCode::NO_CONTENT)
}

/// End every session of an operator (admins only): all their devices are signed out.
#[utoipa::path(delete, path = "/api/operators/{id}/sessions", tag = "operators", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Operator id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn end_operator_sessions(
    State(state): State<AppState>,
    _admin: AdminSession,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    let id = OperatorId(id);
    match state.store.operator(id).await {
        Err(StoreError::NotFound) => {
            return Err(ApiError::not_found(
                "operator_not_found",
                "No such operator.",
            ))
        }
        other => other?,
    };
    state.store.delete_operator_sessions(id).await?;
    state.hub.kick_operator(
        id,
        None,
        Bye {
            code: "session_revoked",
            message: "An admin signed you out. Sign in again.".into(),
        },
    );
    Ok(StatusCode::NO_CONTENT)
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
    let email = check_email(&req.email)?;
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
        chose_online: false,
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
    let actor = ActorView::operator(admin.id.0, admin.display_name.clone());
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
    let anyone_else = state.presence.anyone_else_online(id);
    presence::choice::release_held(&state, id, actor, anyone_else).await?;
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
