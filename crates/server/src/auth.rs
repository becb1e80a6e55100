//! Accounts, bearer tokens and the extractors that guard every endpoint.
//!
//! Tokens are 32 random bytes (base64url); only their SHA-256 is stored. Passwords are
//! hashed with Argon2id off the async runtime.

use crate::error::ApiError;
use crate::{now_ms, AppState};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine;
use frontdesk_core::{OperatorId, Role, VisitorId};
use frontdesk_store::{SessionRecord, Subject};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A new random bearer token.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A readable random password for the first admin.
pub fn new_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..20)
        .map(|_| ALPHABET[(rng.next_u32() as usize) % ALPHABET.len()] as char)
        .collect()
}

/// Runs Argon2 work on one dedicated thread. Each hash needs a 19 MiB buffer; on the blocking
/// pool every thread's malloc arena kept one (hundreds of MiB after a few dozen sign-ins), and
/// one thread also bounds the CPU a flood of sign-ins can take from the chats.
async fn on_hashing_thread<T: Send + 'static>(
    job: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    type Job = Box<dyn FnOnce() + Send>;
    static HASHER: std::sync::OnceLock<std::sync::Mutex<std::sync::mpsc::Sender<Job>>> =
        std::sync::OnceLock::new();
    let sender = HASHER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let _ = std::thread::Builder::new()
            .name("frontdesk-argon2".into())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    job();
                }
            });
        std::sync::Mutex::new(tx)
    });
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(job());
    });
    sender.lock().ok()?.send(job).ok()?;
    rx.await.ok()
}

pub async fn hash_password(password: String) -> Result<String, ApiError> {
    on_hashing_thread(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .and_then(Result::ok)
    .ok_or_else(|| {
        ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "hashing_failed",
            "Could not hash the password; try again.",
        )
    })
}

/// Checks `password` against a stored hash; `None` compares against a dummy so unknown
/// emails take as long as wrong passwords.
pub async fn verify_password(password: String, hash: Option<String>) -> bool {
    on_hashing_thread(move || {
        const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2C1dIw8bDk7N2p0yV6Ae6cGtS3wVgQk5m3Z6o6gk0Dk";
        let stored = hash.as_deref().unwrap_or(DUMMY);
        let ok = PasswordHash::new(stored)
            .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
            .unwrap_or(false);
        ok && hash.is_some()
    })
    .await
    .unwrap_or(false)
}

/// The bearer token of a request: the `Authorization` header, or (for WebSocket upgrades,
/// which browsers cannot give headers) the `access_token` query parameter.
fn bearer(parts: &Parts, allow_query: bool) -> Option<String> {
    if let Some(h) = parts.headers.get(axum::http::header::AUTHORIZATION) {
        let h = h.to_str().ok()?;
        let token = h
            .strip_prefix("Bearer ")
            .or_else(|| h.strip_prefix("bearer "))?;
        return Some(token.trim().to_owned());
    }
    if allow_query {
        let query = parts.uri.query()?;
        for pair in query.split('&') {
            if let Some(v) = pair.strip_prefix("access_token=") {
                return Some(v.to_owned());
            }
        }
    }
    None
}

/// Resolves the token of a request to its live session.
pub async fn authenticate(
    state: &AppState,
    parts: &Parts,
    allow_query: bool,
) -> Result<(SessionRecord, String), ApiError> {
    let token = bearer(parts, allow_query).ok_or_else(|| {
        ApiError::unauthorized(
            "missing_token",
            "Sign in first: send `Authorization: Bearer <token>`.",
        )
    })?;
    let token_hash = hash_token(&token);
    let session = state.store.session(&token_hash).await?.ok_or_else(|| {
        ApiError::unauthorized(
            "invalid_token",
            "This token is not valid (signed out, or the account was disabled). Sign in again.",
        )
    })?;
    let now = now_ms();
    if session.expires_at <= now {
        return Err(ApiError::unauthorized(
            "token_expired",
            "This session ended after a long time without use. Sign in again.",
        ));
    }
    let session = renew_if_due(state, session, &token_hash, now).await;
    Ok((session, token_hash))
}

/// How long a session lives without use: every use moves the end forward (sliding expiry),
/// so a device that is used stays signed in.
pub fn session_ttl_ms(state: &AppState, subject: &Subject) -> i64 {
    let secs = match subject {
        Subject::Operator { .. } => state.config.token_ttl_secs,
        Subject::Visitor { .. } => state.config.visitor_token_ttl_secs,
    };
    secs.saturating_mul(1000).min(i64::MAX as u64) as i64
}

/// Moves the session's expiry forward, at most about once per minute of use (a quarter of
/// the lifetime for short test lifetimes): a write per request would cost more than it gives.
pub async fn renew_if_due(
    state: &AppState,
    mut session: SessionRecord,
    token_hash: &str,
    now: i64,
) -> SessionRecord {
    let ttl = session_ttl_ms(state, &session.subject);
    let every = (ttl / 4).clamp(1, 60_000);
    if now - session.last_used_at < every {
        return session;
    }
    let expires_at = now.saturating_add(ttl);
    match state.store.touch_session(token_hash, now, expires_at).await {
        Ok(()) => {
            session.last_used_at = now;
            session.expires_at = session.expires_at.max(expires_at);
        }
        // The request itself can still be served; the next use tries again.
        Err(e) => tracing::warn!(error = %e, "session renewal failed"),
    }
    session
}

/// An authenticated operator (admins included).
#[derive(Clone, Debug)]
pub struct OperatorSession {
    pub id: OperatorId,
    /// The device session's public id.
    pub session_id: uuid::Uuid,
    pub role: Role,
    pub display_name: String,
    pub token_hash: String,
    pub expires_at: i64,
}

impl OperatorSession {
    pub async fn from_parts(
        parts: &Parts,
        state: &AppState,
        allow_query: bool,
    ) -> Result<Self, ApiError> {
        let (session, token_hash) = authenticate(state, parts, allow_query).await?;
        match session.subject {
            Subject::Operator { id, role } => Ok(OperatorSession {
                id,
                session_id: session.id,
                role,
                display_name: session.name.clone().unwrap_or_default(),
                token_hash,
                expires_at: session.expires_at,
            }),
            Subject::Visitor { .. } => Err(ApiError::forbidden(
                "operators_only",
                "This endpoint is for operators.",
            )),
        }
    }
}

impl FromRequestParts<AppState> for OperatorSession {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Self::from_parts(parts, state, false).await
    }
}

/// An authenticated admin.
pub struct AdminSession(pub OperatorSession);

impl FromRequestParts<AppState> for AdminSession {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let op = OperatorSession::from_parts(parts, state, false).await?;
        if op.role != Role::Admin {
            return Err(ApiError::forbidden(
                "admin_only",
                "Only admins can do this.",
            ));
        }
        Ok(AdminSession(op))
    }
}

/// An authenticated website visitor.
#[derive(Clone, Debug)]
pub struct VisitorSession {
    pub id: VisitorId,
    pub name: Option<String>,
    pub token_hash: String,
    pub expires_at: i64,
}

impl VisitorSession {
    pub async fn from_parts(
        parts: &Parts,
        state: &AppState,
        allow_query: bool,
    ) -> Result<Self, ApiError> {
        let (session, token_hash) = authenticate(state, parts, allow_query).await?;
        match session.subject {
            Subject::Visitor { id } => Ok(VisitorSession {
                id,
                name: session.name.clone(),
                token_hash,
                expires_at: session.expires_at,
            }),
            Subject::Operator { .. } => Err(ApiError::forbidden(
                "visitors_only",
                "This endpoint is for website visitors.",
            )),
        }
    }
}

impl FromRequestParts<AppState> for VisitorSession {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Self::from_parts(parts, state, false).await
    }
}
