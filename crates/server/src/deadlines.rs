//! The wait-time timer (S3): when a conversation's deadline passes while it still waits in
//! Unassigned, it moves to offline mode. Deadlines are stored with the conversation, so after
//! a restart they are loaded again; firing is a conditional transition in the store
//! (`ExpireWait` only acts on a waiting conversation whose deadline passed), so a deadline
//! that fires twice still acts once.

use crate::now_ms;
use frontdesk_core::{Command, ConversationId, Millis};
use frontdesk_protocol::ActorView;
use frontdesk_store::{Store, StoreError};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// How often storage is re-read for deadlines the timer may not know of.
const RESCAN: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub struct Deadlines {
    tx: mpsc::UnboundedSender<(Millis, ConversationId)>,
}

impl Deadlines {
    /// Starts the timer task, armed with every deadline the store still holds.
    pub async fn start(store: Arc<dyn Store>) -> Result<Self, StoreError> {
        let (tx, mut rx) = mpsc::unbounded_channel::<(Millis, ConversationId)>();
        let mut pending: BTreeSet<(Millis, ConversationId)> = store
            .pending_deadlines()
            .await?
            .into_iter()
            .map(|(id, at)| (at, id))
            .collect();
        tokio::spawn(async move {
            let mut next_rescan = now_ms() + RESCAN.as_millis() as i64;
            loop {
                let wait = match pending.first() {
                    Some((at, _)) => Duration::from_millis((at - now_ms()).max(0) as u64),
                    None => RESCAN,
                }
                .min(RESCAN);
                tokio::select! {
                    added = rx.recv() => match added {
                        Some(entry) => { pending.insert(entry); }
                        None => break,
                    },
                    _ = tokio::time::sleep(wait) => {
                        let now = now_ms();
                        if now >= next_rescan {
                            // A request cancelled between its commit and its `schedule` call
                            // left a deadline only in storage: pick such deadlines up.
                            next_rescan = now + RESCAN.as_millis() as i64;
                            if let Ok(all) = store.pending_deadlines().await {
                                pending.extend(all.into_iter().map(|(id, at)| (at, id)));
                            }
                        }
                        while let Some(&(at, id)) = pending.first() {
                            if at > now { break; }
                            pending.remove(&(at, id));
                            match store.apply(id, Command::ExpireWait { now }, ActorView::system(), now).await {
                                Ok(_) | Err(StoreError::Rejected(_)) | Err(StoreError::NotFound) => {}
                                Err(e) => {
                                    // Try again shortly: the deadline must still fire.
                                    tracing::warn!(error = %e, conversation = %id, "wait-time expiry failed; retrying");
                                    pending.insert((now + 1000, id));
                                }
                            }
                        }
                    }
                }
            }
        });
        Ok(Deadlines { tx })
    }

    pub fn schedule(&self, conversation: ConversationId, at: Millis) {
        let _ = self.tx.send((at, conversation));
    }
}
