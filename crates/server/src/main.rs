//! `frontdesk-server`: runs the server until Ctrl-C / SIGTERM, or one of its commands
//! (`frontdesk-server --help`).

use clap::Parser;
use frontdesk_server::{commands, config::Config, serve, start};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "frontdesk-server",
    version,
    about = "Frontdesk live chat server",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(flatten)]
    config: Config,
    #[command(subcommand)]
    command: Option<commands::Command>,
}

fn main() -> anyhow::Result<()> {
    return_large_blocks_to_the_system();
    run()
}

/// Argon2 needs a 19 MiB block per hash. glibc serves the first one with `mmap` and then
/// raises its mmap threshold to that size, so later blocks come from the heap, which keeps
/// them after they are freed (165 MiB after 20 operators signed in). A fixed threshold
/// keeps every block of 1 MiB or more on `mmap`, handed back to the system on `free`.
fn return_large_blocks_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator settings; it runs before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1024 * 1024);
    }
}

#[tokio::main]
async fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            EnvFilter::try_from_env("FRONTDESK_LOG").unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    if let Some(command) = cli.command {
        return commands::run(command).await;
    }
    let config = cli.config;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot listen on {}: {e} (is another server running? try --listen 127.0.0.1:0)",
                config.listen
            )
        })?;
    let addr = listener.local_addr()?;
    let storage = match &config.database {
        Some(_) => "Database: PostgreSQL (--database)".to_owned(),
        None => format!("Data directory: {}", config.data.display()),
    };
    let started = start(config).await?;
    // Human-facing lines go to stdout; logs go to stderr.
    if let Some(admin) = &started.initial_admin {
        println!("First run: created the admin account.");
        println!("  email:    {}", admin.email);
        println!("  password: {}", admin.password);
        println!("  (shown once; change it with POST /api/me/password)");
    }
    println!("{storage}");
    println!("frontdesk-server listening on http://{addr}");
    println!("Try the chat widget on the demo site: http://{addr}/demo");
    println!("API documentation: http://{addr}/api/openapi.json");
    if let Ok(exe) = std::env::current_exe() {
        println!("Flags and commands: {} --help", exe.display());
    }
    tracing::info!(%addr, "listening");
    serve(listener, started, shutdown_signal()).await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
