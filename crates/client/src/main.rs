//! `frontdesk-client`: see `frontdesk_client::cli`.

use clap::Parser;

#[tokio::main]
async fn main() {
    let cli = frontdesk_client::cli::Cli::parse();
    if let Err(e) = frontdesk_client::cli::run(cli).await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
