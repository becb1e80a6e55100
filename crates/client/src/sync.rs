//! Keeping the cache equal to the server (B1): catch up over REST, then follow the stream.
//!
//! One round: with a cursor, page `GET /api/sync/changes` from it; without one (first run,
//! or after `resync_required`), read the stream head, reload every folder and make the cache
//! exactly that. Then fetch the messages the cache lacks (`POST /api/sync/messages`) and
//! open the stream with `since=cursor&epoch=…`: replayed events, `ready`, live events. Each
//! event is applied with its seq as the new cursor in one transaction. When the connection
//! drops, wait (jittered, capped backoff) and start the next round from the cursor.

use crate::api::ApiError;
use crate::engine::{now_ms, Inner, Signed};
use crate::error::EngineError;
use crate::notify::{decide, Candidate};
use crate::types::{EngineEvent, SyncStateName, TypingEvent};
use frontdesk_protocol::{
    BulkMessagesRequest, ClientFrame, EventBody, Folder, MessagesAfter, ServerFrame,
};
use futures_util::{SinkExt, StreamExt};
use rand::Rng;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch, Notify};
use tokio_tungstenite::tungstenite::{self, Message as WsMessage};

/// The server pings every 15 s; three missed pings mean the connection is dead.
const SILENCE_LIMIT: Duration = Duration::from_secs(45);
const CHANGES_PAGE: u32 = 1000;
/// The server takes at most 500 conversations per bulk request (its request size limit).
const BULK_CONVERSATIONS: usize = 500;

/// How a round ended.
enum Outcome {
    /// Connection lost or refused; try again after a pause.
    Dropped(String),
    /// The cursor cannot be resumed: reload everything.
    Resync,
    /// The server ended the session.
    SessionEnded(EngineError),
}

impl From<ApiError> for Outcome {
    fn from(e: ApiError) -> Self {
        if e.is_unauthorized() {
            Outcome::SessionEnded(e.error)
        } else if e.status == Some(409) && e.error.code == "resync_required" {
            Outcome::Resync
        } else {
            Outcome::Dropped(e.error.message)
        }
    }
}

impl From<EngineError> for Outcome {
    fn from(e: EngineError) -> Self {
        Outcome::Dropped(e.message)
    }
}

/// Exponential backoff with jitter: 0.5–1.5 × base·2ⁿ, capped.
pub struct Backoff {
    base: Duration,
    max: Duration,
    attempt: u32,
}

impl Backoff {
    pub fn new(base: Duration, max: Duration) -> Self {
        Backoff {
            base,
            max,
            attempt: 0,
        }
    }
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
    pub fn next_delay(&mut self) -> Duration {
        let exp = self.base.saturating_mul(1u32 << self.attempt.min(16));
        self.attempt += 1;
        let capped = exp.min(self.max);
        let jitter = rand::thread_rng().gen_range(0.5..1.5);
        capped.mul_f64(jitter).min(self.max)
    }
}

pub(crate) async fn run(
    inner: Arc<Inner>,
    signed: Signed,
    mut stop: watch::Receiver<bool>,
    mut frames: mpsc::UnboundedReceiver<ClientFrame>,
    reconnect: Arc<Notify>,
    notes: mpsc::UnboundedSender<Candidate>,
) {
    let mut backoff = Backoff::new(Duration::from_millis(300), inner.opts.max_backoff);
    loop {
        inner.set_sync(SyncStateName::Connecting, None).await;
        let outcome = tokio::select! {
            o = round(&inner, &signed, &mut frames, &reconnect, &notes, &mut backoff) => o,
            _ = stop.changed() => return,
        };
        // Not live any more: say so at once (window and tray show presence from this event),
        // whatever the outcome does next.
        if inner.live.swap(false, std::sync::atomic::Ordering::AcqRel) {
            inner.emit_presence().await;
        }
        match outcome {
            Outcome::SessionEnded(e) => {
                inner.end_session(e).await;
                return;
            }
            Outcome::Resync => {
                tracing::info!("cursor cannot be resumed; reloading from the server");
                if let Err(e) = inner.cache.clear_cursor().await {
                    tracing::warn!(error = %e, "cursor not cleared");
                }
                continue;
            }
            Outcome::Dropped(detail) => {
                inner.set_sync(SyncStateName::Offline, Some(detail)).await;
            }
        }
        let wait = backoff.next_delay();
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = reconnect.notified() => {}
            _ = stop.changed() => return,
        }
    }
}

async fn round(
    inner: &Inner,
    signed: &Signed,
    frames: &mut mpsc::UnboundedReceiver<ClientFrame>,
    reconnect: &Notify,
    notes: &mpsc::UnboundedSender<Candidate>,
    backoff: &mut Backoff,
) -> Outcome {
    match catch_up(inner, signed).await {
        Ok((position, epoch)) => {
            follow_stream(
                inner, signed, position, epoch, frames, reconnect, notes, backoff,
            )
            .await
        }
        Err(o) => o,
    }
}

/// Brings the cache up to a stream position over REST; returns the cursor to stream from.
async fn catch_up(inner: &Inner, signed: &Signed) -> Result<(i64, String), Outcome> {
    inner.set_sync(SyncStateName::CatchingUp, None).await;
    inner.cache.catching_up(true).await;
    let caught_up = catch_up_pages(inner, signed).await;
    inner.cache.catching_up(false).await;
    caught_up
}

async fn catch_up_pages(inner: &Inner, signed: &Signed) -> Result<(i64, String), Outcome> {
    let api = &signed.api;
    let cursor = inner.cache.session().await?.cursor;
    let (mut position, mut epoch) = match cursor {
        Some(c) => c,
        None => full_load(inner, signed).await?,
    };
    loop {
        let page = api.changes(position, &epoch, CHANGES_PAGE).await?;
        inner.cache.apply_changes(&page).await?;
        let mut ids = page.removed.clone();
        ids.extend(page.conversations.iter().map(|c| c.id));
        inner.inbox_changed(ids);
        position = page.position;
        epoch = page.epoch;
        if page.complete {
            break;
        }
    }
    prune(inner).await;
    fill_gaps(inner, signed).await?;
    Ok((position, epoch))
}

fn retention_cutoff(inner: &Inner) -> i64 {
    now_ms() - inner.opts.retention_days as i64 * 24 * 3600 * 1000
}

async fn prune(inner: &Inner) {
    if let Err(e) = inner.cache.prune_closed(retention_cutoff(inner)).await {
        tracing::warn!(error = %e, "pruning the cache failed");
    }
}

/// Reloads every folder; the cache becomes exactly what the server shows. The stream head
/// is read first, so changes during the reload are caught up from it afterwards.
async fn full_load(inner: &Inner, signed: &Signed) -> Result<(i64, String), Outcome> {
    let (position, epoch) = stream_head(signed).await?;
    let mut rows = Vec::new();
    for folder in [
        Folder::Unassigned,
        Folder::Mine,
        Folder::Offline,
        Folder::Closed,
    ] {
        // Closed conversations older than the retention window would be pruned at once.
        let since = (folder == Folder::Closed).then(|| retention_cutoff(inner));
        let mut cursor: Option<String> = None;
        loop {
            let page = signed
                .api
                .folder(folder, cursor.as_deref(), 200, since)
                .await?;
            rows.extend(page.conversations);
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
    }
    inner
        .cache
        .replace_all(&rows, position, &epoch, now_ms())
        .await?;
    inner.inbox_changed(rows.iter().map(|c| c.id).collect());
    Ok((position, epoch))
}

/// The stream's current head: connect without a cursor and read `ready`.
async fn stream_head(signed: &Signed) -> Result<(i64, String), Outcome> {
    let (mut ws, _) = connect(signed, None).await?;
    let result = loop {
        match tokio::time::timeout(Duration::from_secs(15), ws.next()).await {
            Ok(Some(Ok(WsMessage::Text(t)))) => {
                match serde_json::from_str::<ServerFrame>(t.as_str()) {
                    Ok(ServerFrame::Ready {
                        position, epoch, ..
                    }) => break Ok((position, epoch)),
                    Ok(ServerFrame::Bye { code, message }) => break Err(bye(code, message)),
                    _ => continue,
                }
            }
            Ok(Some(Ok(_))) => continue,
            _ => {
                break Err(Outcome::Dropped(
                    "The stream closed before it was ready.".into(),
                ))
            }
        }
    };
    let _ = ws.close(None).await;
    result
}

fn bye(code: String, message: String) -> Outcome {
    match code.as_str() {
        "server_shutdown" | "storage_unavailable" => Outcome::Dropped(message),
        _ => Outcome::SessionEnded(EngineError::new(code, message)),
    }
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(
    signed: &Signed,
    since: Option<(i64, &str)>,
) -> Result<(Ws, tungstenite::http::Response<Option<Vec<u8>>>), Outcome> {
    let url = signed.api.stream_url(since);
    let connecting = tokio_tungstenite::connect_async(url);
    match tokio::time::timeout(Duration::from_secs(10), connecting).await {
        Err(_) => Err(Outcome::Dropped(format!(
            "The server at {} did not answer in time.",
            signed.api.base()
        ))),
        Ok(Ok(ok)) => Ok(ok),
        Ok(Err(tungstenite::Error::Http(resp))) => {
            let status = resp.status().as_u16();
            let body = resp
                .body()
                .as_deref()
                .and_then(|b| serde_json::from_slice::<frontdesk_protocol::ErrorBody>(b).ok());
            let error = body
                .map(|b| EngineError::new(b.code, b.message))
                .unwrap_or_else(|| {
                    EngineError::new(
                        "stream_refused",
                        format!("The server refused the stream ({status})."),
                    )
                });
            if status == 401 {
                Err(Outcome::SessionEnded(error))
            } else {
                Err(Outcome::Dropped(error.message))
            }
        }
        Ok(Err(e)) => Err(Outcome::Dropped(format!(
            "The server at {} cannot be reached ({e}). Retrying.",
            signed.api.base()
        ))),
    }
}

/// Fetches the messages the cache lacks, in a few bulk requests.
async fn fill_gaps(inner: &Inner, signed: &Signed) -> Result<(), Outcome> {
    loop {
        let gaps = inner.cache.message_gaps().await?;
        if gaps.is_empty() {
            return Ok(());
        }
        let req = BulkMessagesRequest {
            conversations: gaps
                .iter()
                .take(BULK_CONVERSATIONS)
                .map(|(id, after)| MessagesAfter {
                    conversation_id: *id,
                    after_seq: *after,
                })
                .collect(),
            limit: Some(5000),
        };
        let resp = signed.api.bulk_messages(&req).await?;
        if resp.messages.is_empty() {
            // Only conversations the server no longer shows are left; events remove them.
            return Ok(());
        }
        inner.cache.put_messages(&resp.messages).await?;
    }
}

/// Fetches what one conversation lacks (after an upsert whose count is ahead of the cache).
async fn fill_conversation(
    inner: &Inner,
    signed: &Signed,
    id: uuid::Uuid,
    count: i64,
) -> Result<(), Outcome> {
    loop {
        let have = inner.cache.last_seq(id).await?;
        if have >= count {
            return Ok(());
        }
        let page = match signed.api.messages_after(id, have).await {
            Ok(p) => p,
            // Not visible any more: a removal event follows.
            Err(e) if e.status == Some(404) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        inner.cache.put_messages(&page.messages).await?;
        if page.complete || page.messages.is_empty() {
            return Ok(());
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn follow_stream(
    inner: &Inner,
    signed: &Signed,
    position: i64,
    epoch: String,
    frames: &mut mpsc::UnboundedReceiver<ClientFrame>,
    reconnect: &Notify,
    notes: &mpsc::UnboundedSender<Candidate>,
    backoff: &mut Backoff,
) -> Outcome {
    let (mut ws, _) = match connect(signed, Some((position, &epoch))).await {
        Ok(ok) => ok,
        Err(o) => return o,
    };
    let me = signed.operator.id;
    let mut ready = false;
    loop {
        let next = tokio::select! {
            n = tokio::time::timeout(SILENCE_LIMIT, ws.next()) => n,
            Some(frame) = frames.recv() => {
                if ready {
                    let text = serde_json::to_string(&frame).unwrap_or_default();
                    if ws.send(WsMessage::Text(text.into())).await.is_err() {
                        return Outcome::Dropped("The connection was lost.".into());
                    }
                }
                continue;
            }
            _ = reconnect.notified() => {
                // Cut without a goodbye, like a network failure would.
                drop(ws);
                return Outcome::Dropped("Reconnecting.".into());
            }
        };
        let text = match next {
            Err(_) => return Outcome::Dropped("The server went silent.".into()),
            Ok(None) | Ok(Some(Err(_))) | Ok(Some(Ok(WsMessage::Close(_)))) => {
                return Outcome::Dropped("The connection was lost.".into())
            }
            Ok(Some(Ok(WsMessage::Text(t)))) => t,
            Ok(Some(Ok(_))) => continue,
        };
        let frame: ServerFrame = match serde_json::from_str(text.as_str()) {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(error = %e, "unknown frame ignored");
                continue;
            }
        };
        match frame {
            ServerFrame::Event {
                seq, actor, event, ..
            } => {
                let applied = match inner.cache.apply_event(seq, &epoch, &event).await {
                    Ok(a) => a,
                    Err(e) => return Outcome::Dropped(e.message),
                };
                let conversation = match &event {
                    EventBody::ConversationUpsert { conversation }
                    | EventBody::Message { conversation, .. } => Some(conversation),
                    _ => None,
                };
                if let Some(c) = conversation {
                    if let Err(o) = fill_conversation(inner, signed, c.id, c.message_count).await {
                        return o;
                    }
                }
                let id = match &event {
                    EventBody::ConversationRemoved { conversation_id }
                    | EventBody::DetailsChanged {
                        conversation_id, ..
                    } => Some(*conversation_id),
                    EventBody::ResultUpsert { result } => Some(result.conversation_id),
                    _ => conversation.map(|c| c.id),
                };
                if let Some(id) = id {
                    inner.conversation_changed(id);
                }
                // Replayed events (before `ready`) happened while away: no notifications.
                if ready {
                    if let Some(c) = decide(&event, &actor, applied.previous.as_ref(), me) {
                        let _ = notes.send(c);
                    }
                }
            }
            ServerFrame::Ready { server_time, .. } => {
                ready = true;
                inner.set_offset(server_time);
                backoff.reset();
                inner.set_sync(SyncStateName::Live, None).await;
                inner.outbox_wake.notify_one();
            }
            ServerFrame::ResyncRequired { .. } => return Outcome::Resync,
            ServerFrame::Bye { code, message } => return bye(code, message),
            ServerFrame::Typing {
                conversation_id,
                name,
            } => inner.emit(EngineEvent::Typing(TypingEvent {
                conversation_id,
                name,
            })),
            ServerFrame::PresenceSnapshot { operators } => {
                if inner.cache.replace_presence(&operators).await.is_ok() {
                    inner.emit_presence().await;
                }
            }
            ServerFrame::Presence { operator } => {
                if inner.cache.update_presence(&operator).await.is_ok() {
                    inner.emit_presence().await;
                }
            }
            ServerFrame::MyPresence { presence } => {
                let op = frontdesk_protocol::OperatorPresence {
                    operator_id: me,
                    display_name: signed.operator.display_name.clone(),
                    chose_online: presence.chose_online,
                    online: presence.online,
                };
                if inner.cache.update_presence(&op).await.is_ok() {
                    inner.emit_presence().await;
                }
            }
            ServerFrame::Ack { .. } | ServerFrame::Error { .. } | ServerFrame::Pong => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_stays_capped() {
        let max = Duration::from_secs(30);
        let mut b = Backoff::new(Duration::from_millis(300), max);
        let first = b.next_delay();
        assert!(
            first >= Duration::from_millis(150) && first <= Duration::from_millis(450),
            "{first:?}"
        );
        for _ in 0..40 {
            assert!(b.next_delay() <= max);
        }
        // Late attempts sit near the cap (jitter keeps them at half of it or more).
        assert!(b.next_delay() >= max / 2);
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(450));
    }
}
