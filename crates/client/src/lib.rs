//! frontdesk-client: the operator engine of the Frontdesk desktop app, without Tauri.
//!
//! - [`api`]: the REST client (reqwest, rustls), every error as `{code, message}`;
//! - [`sync`]: catch-up over REST and the realtime stream, with resume and backoff;
//! - [`cache`]: the local SQLite cache (sqlx, WAL, FTS5) and its retention policy;
//! - [`outbox`]: the durable outbox (B2) of messages and, with [`sales`], of details edits and
//!   leads or deals to create; [`notify`]: which events notify, coalesced;
//! - [`token`]: where the session token is kept (OS keyring, else a 0600 file);
//! - [`engine`]: [`Engine`], the one object the shell holds; [`types`]: what the UI sees;
//! - [`admin`]: an admin's set-up (playbooks, preview, install, operators), online only.

pub mod admin;
pub mod api;
pub mod cache;
pub mod cli;
pub mod engine;
pub mod error;
pub mod notify;
mod outbox;
pub mod sales;
pub mod sync;
pub mod token;
pub mod types;

pub use engine::{default_data_dir, Engine, EngineOptions};
pub use error::{EngineError, Result};
pub use frontdesk_protocol::{AuthorKind, FieldValue, Folder};
pub use notify::Lang;
pub use types::*;
