//! WebSocket client helpers shared by every target.

use anyhow::{bail, Context};
use futures_util::StreamExt;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a connection may take to say `ready`.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// Connects and waits for the `ready` frame.
pub async fn connect(url: &str) -> anyhow::Result<Ws> {
    // tungstenite zero-fills its whole read chunk before every read (128 KiB by default):
    // a small chunk keeps that off the client's profile and keeps idle sockets cheap.
    let config = WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0);
    // Nagle off on the client: each frame leaves at once, so only the server's socket
    // settings show in the figures.
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), true)
        .await
        .with_context(|| format!("WebSocket connect to {}", redact(url)))?;
    tokio::time::timeout(READY_TIMEOUT, wait_ready(&mut ws))
        .await
        .context("no `ready` frame in time")??;
    Ok(ws)
}

async fn wait_ready(ws: &mut Ws) -> anyhow::Result<()> {
    while let Some(msg) = ws.next().await {
        if let Message::Text(t) = msg? {
            if t.as_str().starts_with(r#"{"type":"ready""#) {
                return Ok(());
            }
            if t.as_str().starts_with(r#"{"type":"bye""#)
                || t.as_str().starts_with(r#"{"type":"error""#)
            {
                bail!("refused: {}", t.as_str());
            }
        }
    }
    bail!("connection closed before `ready`")
}

/// The URL without its token, for error messages.
fn redact(url: &str) -> &str {
    url.split('?').next().unwrap_or(url)
}
