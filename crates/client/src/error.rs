//! The one error shape the engine returns: `{code, message}`, like the server's `ErrorBody`
//! (and the UI's `IpcError`). `message` is for people and says what to do.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, thiserror::Error)]
#[ts(rename = "IpcError")]
#[error("{message} ({code})")]
pub struct EngineError {
    /// Stable, machine-readable, e.g. `invalid_credentials`, `already_assigned`, `offline`.
    pub code: String,
    /// For people: what went wrong and what to do.
    pub message: String,
}

pub type Result<T> = std::result::Result<T, EngineError>;

impl EngineError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        EngineError {
            code: code.into(),
            message: message.into(),
        }
    }

    pub fn not_signed_in() -> Self {
        Self::new("not_signed_in", "Sign in first.")
    }

    pub fn offline() -> Self {
        Self::new(
            "offline",
            "The server cannot be reached right now. This needs a connection; the app reconnects on its own.",
        )
    }

    pub fn conversation_not_found() -> Self {
        Self::new(
            "conversation_not_found",
            "No such conversation in this app's cache, or it is no longer visible to you.",
        )
    }

    pub fn message_not_found() -> Self {
        Self::new("message_not_found", "No such message in the outbox.")
    }

    pub fn sales_action_not_found() -> Self {
        Self::new(
            "sales_action_not_found",
            "No such unsent change: it was sent or discarded meanwhile.",
        )
    }

    pub fn cache(detail: impl std::fmt::Display) -> Self {
        Self::new(
            "cache_error",
            format!("The local cache could not be read or written: {detail}. Nothing was lost on the server; restart the app if this persists."),
        )
    }
}

impl From<sqlx::Error> for EngineError {
    fn from(e: sqlx::Error) -> Self {
        EngineError::cache(e)
    }
}

impl From<sqlx::migrate::MigrateError> for EngineError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        EngineError::cache(e)
    }
}

impl From<serde_json::Error> for EngineError {
    fn from(e: serde_json::Error) -> Self {
        EngineError::cache(format!("stored JSON is unreadable ({e})"))
    }
}
