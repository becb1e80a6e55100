//! Command-line flags. Defaults suit a small team on one machine.

use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser, Clone, Debug)]
#[command(
    name = "frontdesk-server",
    version,
    about = "Frontdesk live chat server"
)]
pub struct Config {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Directory of the embedded SQLite database (created if missing).
    #[arg(long, default_value = "data")]
    pub data: PathBuf,
    /// A PostgreSQL database (`postgres://user:password@host/db`) instead of the embedded
    /// SQLite; several server nodes may share it. Migrated on start.
    #[arg(long, env = "FRONTDESK_DATABASE", value_name = "URL")]
    pub database: Option<String>,
    /// Overrides every livechat card's wait time (how long a visitor waits in Unassigned before
    /// the offline flow takes over, S3). Without it the card decides; chats started without a
    /// playbook wait 120 s.
    #[arg(long)]
    pub wait_time_secs: Option<u64>,
    /// How long an operator whose last connection dropped still counts as online (B4).
    #[arg(long, default_value_t = 15_000)]
    pub presence_grace_ms: u64,
    /// How long an operator's session lasts without use. Every use moves the end forward
    /// (sliding expiry), so a device in daily use stays signed in.
    #[arg(long, default_value_t = 30 * 24 * 3600)]
    pub token_ttl_secs: u64,
    /// How long a visitor's token lasts without use (kept in their browser; sliding too).
    #[arg(long, default_value_t = 30 * 24 * 3600)]
    pub visitor_token_ttl_secs: u64,
    /// How long stream events are kept for resuming clients; older cursors must resync.
    #[arg(long, default_value_t = 7 * 24 * 3600)]
    pub event_retention_secs: u64,
    /// Email of the admin created on the first run.
    #[arg(long, default_value = "admin@frontdesk.local")]
    pub admin_email: String,
    /// Visitor sessions and conversations one network address may open per minute (bursts of
    /// the same size); 0 = unlimited.
    #[arg(long, default_value_t = 30)]
    pub visitor_rate_per_address: u32,
    /// Messages and answers one visitor may send per minute (bursts of 20); 0 = unlimited.
    #[arg(long, default_value_t = 60)]
    pub visitor_message_rate: u32,
    /// The address visitors' browsers reach this server at, for install snippets
    /// (default: taken from each request's Host header).
    #[arg(long)]
    pub public_url: Option<String>,
    /// Seconds between server pings on realtime connections; a connection silent for three
    /// intervals is closed.
    #[arg(long, default_value_t = 15)]
    pub ping_interval_secs: u64,
    /// The key that encrypts secrets stored in the database (the Pipedrive API token): 32 random
    /// bytes, base64, created with mode 0600 when missing. Default: `<data>/secret.key`. Keep it
    /// out of database backups (docs/pipedrive.md).
    #[arg(long, env = "FRONTDESK_SECRET_KEY_FILE")]
    pub secret_key_file: Option<PathBuf>,
    /// Where Pipedrive's API is reached, instead of `https://<company>.pipedrive.com`. For tests
    /// against a stand-in server; links shown to operators still use the company domain.
    #[arg(long, env = "FRONTDESK_PIPEDRIVE_BASE_URL")]
    pub pipedrive_base_url: Option<String>,
    /// First wait before retrying a push after a server or network error; doubles per attempt.
    #[arg(long, default_value_t = 2_000)]
    pub crm_retry_base_ms: u64,
}

impl Config {
    /// The defaults, with `data` set (for embedding and tests).
    pub fn with_data(data: PathBuf) -> Self {
        let mut c = Config::parse_from(["frontdesk-server"]);
        c.data = data;
        c
    }
}
