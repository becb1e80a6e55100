//! The durable outbox (B2); sales actions go the same way after the messages (see
//! [`crate::sales`]). `send_message` only writes the message to the cache as
//! `pending`; this task posts pending messages over REST while the stream is live. The
//! server stores each message id once, so a retry after a lost answer (or a restart) never
//! duplicates it. A refusal (closed, reassigned, too long …) keeps the message as `failed`
//! with the server's reason; nothing is dropped unless the operator discards it.

use crate::api::Api;
use crate::engine::Inner;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How often pending messages are tried again without another reason to.
const RETRY_EVERY: Duration = Duration::from_secs(10);

pub(crate) async fn run(inner: Arc<Inner>, api: Api, mut stop: watch::Receiver<bool>) {
    loop {
        if inner.live.load(Ordering::Acquire) {
            // Messages first: a lead's transcript note should hold what was just written.
            drain(&inner, &api).await;
            crate::sales::drain(&inner, &api).await;
        }
        tokio::select! {
            _ = inner.outbox_wake.notified() => {}
            _ = tokio::time::sleep(RETRY_EVERY) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Sends pending messages oldest first until none is left or the server is unreachable.
async fn drain(inner: &Inner, api: &Api) {
    loop {
        let next = match inner.cache.next_pending().await {
            Ok(Some(n)) => n,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "outbox unreadable");
                return;
            }
        };
        let (id, conversation, body) = next;
        let result = api.send(conversation, id, &body).await;
        let stored = match result {
            Ok(message) => inner.cache.put_messages(&[message]).await,
            // Try again later: the server is away, or the session is being ended by the stream.
            Err(e) if e.is_transient() || e.is_unauthorized() => return,
            Err(e) => inner.cache.mark_failed(id, &e.error).await,
        };
        if let Err(e) = stored {
            tracing::warn!(error = %e, "outbox state not saved");
            return;
        }
        inner.conversation_changed(conversation);
        inner.refresh_sync_state().await;
    }
}
