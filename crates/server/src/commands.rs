//! The binary's commands besides serving: what a team needs before the desktop app exists.
//!
//! - `admin reset-password EMAIL`: a lost password has a way back (works while the server runs).
//! - `admin copy-to-postgres`: move an installation from SQLite to PostgreSQL.
//! - `operator online`: stay online from a terminal, so visitors' chats go to Unassigned.

use crate::config::Config;
use crate::{auth, now_ms, open_store, routes::accounts::check_email};
use anyhow::{anyhow, bail, Context};
use clap::Subcommand;
use frontdesk_core::{OperatorId, Role};
use frontdesk_protocol::{ClientFrame, ServerFrame};
use frontdesk_store::{EventListener, OperatorRecord, StoreError};
use futures_util::{SinkExt, StreamExt};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Subcommand, Clone, Debug)]
pub enum Command {
    /// Account administration on the database directly.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Work as an operator from a terminal.
    #[command(subcommand)]
    Operator(OperatorCommand),
}

#[derive(Subcommand, Clone, Debug)]
pub enum AdminCommand {
    /// Give EMAIL a new one-time password and end its sessions; creates an admin with that email
    /// if there is no such account. Works while the server runs.
    ResetPassword {
        email: String,
        /// The server's data directory.
        #[arg(long, default_value = "data")]
        data: PathBuf,
        /// The server's PostgreSQL database, when it runs with `--database`.
        #[arg(long, env = "FRONTDESK_DATABASE", value_name = "URL")]
        database: Option<String>,
    },
    /// Copy the SQLite database of `--data` into an empty PostgreSQL database, to run on
    /// PostgreSQL (`--database`) from then on. Stop the server first; the SQLite database
    /// is left as it was.
    CopyToPostgres {
        /// The server's data directory.
        #[arg(long, default_value = "data")]
        data: PathBuf,
        /// The PostgreSQL database to copy into (it must hold no Frontdesk data yet).
        #[arg(long, env = "FRONTDESK_DATABASE", value_name = "URL")]
        database: String,
    },
}

#[derive(Subcommand, Clone, Debug)]
pub enum OperatorCommand {
    /// Choose online and keep a realtime connection open (Ctrl-C goes offline). Prints each
    /// frame the server sends, one JSON line each.
    Online {
        /// The server's address.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        server: String,
        /// The operator's bearer token (from POST /api/auth/login).
        #[arg(long, env = "FRONTDESK_TOKEN")]
        token: String,
    },
}

pub async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Admin(AdminCommand::ResetPassword {
            email,
            data,
            database,
        }) => reset_password(&email, data, database).await,
        Command::Admin(AdminCommand::CopyToPostgres { data, database }) => {
            copy_to_postgres(&data, &database).await
        }
        Command::Operator(OperatorCommand::Online { server, token }) => {
            stay_online(&server, &token).await
        }
    }
}

async fn reset_password(
    email: &str,
    data: PathBuf,
    database: Option<String>,
) -> anyhow::Result<()> {
    let email = check_email(email).map_err(|e| anyhow!(e.message))?;
    if database.is_none() && !data.join("frontdesk.sqlite3").exists() {
        bail!(
            "no Frontdesk database in {}; pass the server's --data directory (or --database)",
            data.display()
        );
    }
    let listener: EventListener = Arc::new(|_| {});
    let config = Config {
        data,
        database,
        ..Config::with_data(PathBuf::new())
    };
    let store = open_store(&config, listener).await?;
    let password = auth::new_password();
    let hash = auth::hash_password(password.clone())
        .await
        .map_err(|e| anyhow!(e.message))?;
    match store.operator_by_email(&email).await {
        Ok(op) => {
            store.set_password_hash(op.id, hash).await?;
            // "" matches no token: every session of the account ends.
            store.delete_other_sessions(op.id, "").await?;
            println!("Reset the password of {email}; its sessions have ended.");
            if op.role != Role::Admin {
                println!("  (this account is an operator, not an admin)");
            }
            if op.disabled {
                println!("  (this account is disabled; it cannot sign in until enabled)");
            }
        }
        Err(StoreError::NotFound) => {
            let record = OperatorRecord {
                id: OperatorId::new(),
                email: email.clone(),
                display_name: "Admin".into(),
                role: Role::Admin,
                disabled: false,
                chose_online: false,
                password_hash: hash,
            };
            store.create_operator(record, now_ms()).await?;
            println!("Created the admin account {email}.");
        }
        Err(e) => return Err(e).context("reading the accounts"),
    }
    println!("  email:    {email}");
    println!("  password: {password}");
    println!("  (shown once; change it with POST /api/me/password)");
    Ok(())
}

async fn copy_to_postgres(data: &std::path::Path, database: &str) -> anyhow::Result<()> {
    let copied = frontdesk_store::postgres::copy_from_sqlite(data, database)
        .await
        .with_context(|| format!("copying {} to PostgreSQL", data.display()))?;
    println!("Copied {} to PostgreSQL:", data.display());
    for (table, rows) in copied {
        println!("  {table}: {rows} rows");
    }
    println!("Start the server with --database to use it.");
    Ok(())
}

async fn stay_online(server: &str, token: &str) -> anyhow::Result<()> {
    let ws_base = server
        .trim_end_matches('/')
        .replacen("https://", "wss://", 1)
        .replacen("http://", "ws://", 1);
    let mut cursor: Option<i64> = None;
    loop {
        let since = cursor.map(|c| format!("&since={c}")).unwrap_or_default();
        let url = format!("{ws_base}/api/stream?access_token={token}{since}");
        match tokio_tungstenite::connect_async(url).await {
            Ok((socket, _)) => {
                let (mut tx, mut rx) = socket.split();
                let online = serde_json::to_string(&ClientFrame::SetPresence {
                    online: true,
                    handover: None,
                })?;
                tx.send(online.into()).await?;
                eprintln!("Connected to {server}: online (Ctrl-C to go offline).");
                while let Some(Ok(message)) = rx.next().await {
                    let Ok(text) = message.to_text() else {
                        continue;
                    };
                    if text.is_empty() {
                        continue;
                    }
                    println!("{text}");
                    match serde_json::from_str::<ServerFrame>(text) {
                        Ok(ServerFrame::Event { seq, .. }) => cursor = Some(seq),
                        Ok(ServerFrame::Ready { position, .. }) => cursor = Some(position),
                        // The cursor cannot be resumed (e.g. a restored database): start afresh.
                        Ok(ServerFrame::ResyncRequired { .. }) => cursor = None,
                        Ok(ServerFrame::Bye { code, message }) if code != "server_shutdown" => {
                            bail!("the server ended the session ({code}): {message}")
                        }
                        _ => {}
                    }
                }
                eprintln!("Disconnected; reconnecting …");
            }
            Err(tokio_tungstenite::tungstenite::Error::Http(r)) if r.status().is_client_error() => {
                bail!(
                    "the server refused the token ({}); sign in again",
                    r.status()
                )
            }
            Err(e) => eprintln!("Cannot reach {server} ({e}); retrying …"),
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}
