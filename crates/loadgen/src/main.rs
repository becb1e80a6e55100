//! `frontdesk-loadgen`: the Frontdesk benchmark.
//!
//! - `relay`: a bare WebSocket relay with the server's sockets and frame shapes but no
//!   storage, auth rules or visibility: the baseline the real server is compared against.
//! - `run`: sets up operators and visitors on a target (the real server or the relay), then
//!   drives an open-loop schedule of visitor messages and measures how long each takes to
//!   reach the assigned operator's socket.
//! - `compare`: turns the `RESULT` lines of several runs into a frontdesk/relay table.
//! - `catchup`: how long an operator's app takes to catch up after a day away (the sync
//!   calls against a stream replay and against one request per conversation).
//!
//! See `bench/run.sh` for the scenarios and `docs/performance.md` for the figures.

mod catchup;
mod compare;
mod driver;
mod relay;
mod setup;
mod stats;
mod ws;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "frontdesk-loadgen",
    version,
    about = "Frontdesk benchmark: load driver and bare relay baseline"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the bare relay baseline server.
    Relay(relay::RelayArgs),
    /// Drive load against a target and print a summary plus one `RESULT {json}` line.
    Run(Box<driver::RunArgs>),
    /// Print a frontdesk/relay comparison table from a file of `RESULT` lines.
    Compare(compare::CompareArgs),
    /// Measure an operator app's catch-up after many conversations changed.
    Catchup(catchup::CatchupArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Multi-threaded: the client must not be the bottleneck more than necessary.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        match cli.command {
            Command::Relay(args) => relay::run(args).await,
            Command::Run(args) => driver::run(*args).await,
            Command::Compare(args) => compare::run(args),
            Command::Catchup(args) => catchup::run(args).await,
        }
    })
}
