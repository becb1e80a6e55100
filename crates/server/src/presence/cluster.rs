//! Presence across server nodes on one PostgreSQL database. About once a second each node
//! publishes who is connected on it (including operators within their grace period there)
//! and reads who is connected on the others and every operator's stored choice. A node that
//! stops publishing (it died) keeps counting for the grace period plus [`SILENCE`]; then
//! its operators are offline everywhere and B4 hands their conversations back.

use crate::{now_ms, AppState};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// How often a node publishes and reads.
const SYNC: Duration = Duration::from_secs(1);
/// How long a node may miss its publications before its connections stop counting.
const SILENCE: Duration = Duration::from_secs(3);

/// Starts the exchange for this node (only on a shared database).
pub fn spawn(state: AppState) {
    let node = uuid::Uuid::new_v4();
    tokio::spawn(async move {
        let window = (state.config.presence_grace_ms + SILENCE.as_millis() as u64) as i64;
        loop {
            if let Err(e) = exchange(&state, node, window).await {
                tracing::warn!(error = %e, "presence exchange with the other nodes failed");
            }
            tokio::time::sleep(SYNC).await;
        }
    });
}

async fn exchange(
    state: &AppState,
    node: uuid::Uuid,
    window: i64,
) -> Result<(), frontdesk_store::StoreError> {
    let read_at = Instant::now();
    let now = now_ms();
    state
        .store
        .publish_presence(node, state.presence.here(), now)
        .await?;
    let remote: HashSet<_> = state
        .store
        .cluster_presence(node, now - window)
        .await?
        .into_iter()
        .collect();
    let choices: HashMap<_, _> = state
        .store
        .list_operators()
        .await?
        .into_iter()
        .map(|o| (o.id, o.chose_online && !o.disabled))
        .collect();
    state.presence.sync(&remote, &choices, read_at);
    Ok(())
}
