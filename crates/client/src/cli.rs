//! The `frontdesk-client` command line: the engine without a window, for people and tests.

use crate::{default_data_dir, Engine, EngineEvent, Folder, SyncStateName};
use clap::{Parser, Subcommand};
use std::io::BufRead;
use std::path::PathBuf;
use std::time::Duration;
use uuid::Uuid;

#[derive(Parser, Debug)]
#[command(
    name = "frontdesk-client",
    version,
    about = "Frontdesk operator engine (desktop app without a window)"
)]
pub struct Cli {
    /// The server, e.g. https://chat.example.com (for sign-in).
    #[arg(long, env = "FRONTDESK_SERVER")]
    pub server: Option<String>,
    /// Data directory (cache, session).
    #[arg(long, env = "FRONTDESK_DESKTOP_DATA")]
    pub data: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Sign in; the password is read from FRONTDESK_PASSWORD or the first line of stdin.
    SignIn {
        email: String,
    },
    SignOut,
    /// List a folder (unassigned, mine, offline, closed) after syncing.
    Inbox {
        #[arg(default_value = "unassigned")]
        folder: String,
    },
    /// Print engine events as JSON lines until interrupted.
    Watch,
    /// Full-text search over the cache.
    Search {
        text: String,
    },
    /// Send a message and wait until the server confirms or refuses it.
    Send {
        conversation: Uuid,
        text: String,
    },
    /// Show a conversation with its messages.
    Open {
        conversation: Uuid,
    },
}

/// Waits until the engine is live or offline (at most `max`).
async fn settle(engine: &Engine, max: Duration) {
    let mut events = engine.subscribe();
    let deadline = tokio::time::Instant::now() + max;
    loop {
        let s = engine.sync_state();
        if s.state == SyncStateName::Live
            || (s.state == SyncStateName::Offline && s.detail.is_some())
        {
            return;
        }
        if !engine.session().await.map(|s| s.signed_in).unwrap_or(false) {
            return;
        }
        if tokio::time::timeout_at(deadline, events.recv())
            .await
            .is_err()
        {
            return;
        }
    }
}

fn print_json<T: serde::Serialize>(v: &T) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let data = cli.data.clone().unwrap_or_else(default_data_dir);
    let engine = Engine::open(&data).await?;
    let result = command(&engine, cli).await;
    engine.shutdown().await;
    result
}

async fn command(engine: &Engine, cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::SignIn { email } => {
            let server = cli
                .server
                .ok_or_else(|| anyhow::anyhow!("pass --server URL (or set FRONTDESK_SERVER)"))?;
            let password = match std::env::var("FRONTDESK_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    let mut line = String::new();
                    std::io::stdin().lock().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let session = engine.sign_in(&server, &email, &password).await?;
            settle(engine, Duration::from_secs(15)).await;
            print_json(&session);
        }
        Command::SignOut => engine.sign_out().await?,
        Command::Inbox { folder } => {
            let folder: Folder = serde_json::from_value(serde_json::Value::String(folder.clone()))
                .map_err(|_| {
                    anyhow::anyhow!(
                        "unknown folder {folder:?}: use unassigned, mine, offline or closed"
                    )
                })?;
            settle(engine, Duration::from_secs(15)).await;
            print_json(&engine.sync_state());
            print_json(&engine.list_folder(folder, 100, None).await?);
        }
        Command::Watch => {
            let mut events = engine.subscribe();
            println!(
                "{}",
                serde_json::to_string(&EngineEvent::SyncState(engine.sync_state()))?
            );
            loop {
                tokio::select! {
                    e = events.recv() => match e {
                        Ok(e) => println!("{}", serde_json::to_string(&e)?),
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => eprintln!("({n} events skipped)"),
                        Err(_) => return Ok(()),
                    },
                    _ = tokio::signal::ctrl_c() => return Ok(()),
                }
            }
        }
        Command::Search { text } => print_json(&engine.search(&text, 50).await?),
        Command::Send { conversation, text } => {
            settle(engine, Duration::from_secs(15)).await;
            let m = engine.send_message(conversation, &text).await?;
            let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
            loop {
                let d = engine.open_conversation(conversation).await?;
                let now = d.messages.into_iter().find(|x| x.id == m.id);
                match now {
                    Some(x) if x.status != crate::MessageStatus::Pending => {
                        print_json(&x);
                        break;
                    }
                    _ if tokio::time::Instant::now() > deadline => {
                        println!(
                            "still pending in the outbox (sent when the server is reachable): {}",
                            m.id
                        );
                        break;
                    }
                    _ => tokio::time::sleep(Duration::from_millis(200)).await,
                }
            }
        }
        Command::Open { conversation } => {
            print_json(&engine.open_conversation(conversation).await?)
        }
    }
    Ok(())
}
