//! The realtime session (B1): one WebSocket per operator app and per visitor widget.
//!
//! On connect the client may send `since=<seq>`, the last event it processed. The session
//! registers with the [`Hub`](crate::hub::Hub) first, then replays every stored event after
//! the cursor, then forwards live events, dropping any seq it already sent. Result: each
//! event once, in order, with no gap, across any number of reconnects. Without a cursor the
//! stream starts at the current head (load state over REST after `ready`).
//!
//! Audiences were fixed when each event was committed, from the same rule REST uses, so an
//! operator never receives events of a conversation assigned to someone else.

use crate::auth::{OperatorSession, VisitorSession};
use crate::error::{ApiError, ApiQuery};
use crate::hub::{Bye, Outbound};
use crate::routes::{conversations::send_operator_message, visitors::send_visitor_message};
use crate::{now_ms, AppState};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use frontdesk_protocol::{ClientFrame, ErrorBody, ServerFrame, StreamQuery, MAX_FRAME_BYTES};
use frontdesk_store::{event_frame_json, Replay, StreamOwner};
use futures_util::stream::{SplitSink, StreamExt};
use futures_util::SinkExt;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Replay page size.
const REPLAY_PAGE: u32 = 500;
/// Frames above this are refused by the WebSocket layer itself (close 1009); frames between
/// [`MAX_FRAME_BYTES`] and this get an error frame and the connection stays up.
const HARD_FRAME_LIMIT: usize = 1024 * 1024;

/// An operator authenticated by header or `access_token`.
pub struct StreamOperator(OperatorSession);
impl FromRequestParts<AppState> for StreamOperator {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        OperatorSession::from_parts(parts, state, true)
            .await
            .map(StreamOperator)
    }
}

/// A visitor authenticated by header or `access_token`.
pub struct StreamVisitor(VisitorSession);
impl FromRequestParts<AppState> for StreamVisitor {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        VisitorSession::from_parts(parts, state, true)
            .await
            .map(StreamVisitor)
    }
}

/// A WebSocket upgrade whose rejection is an [`ApiError`].
pub struct Upgrade(WebSocketUpgrade);
impl<S: Send + Sync> FromRequestParts<S> for Upgrade {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        WebSocketUpgrade::from_request_parts(parts, state)
            .await
            .map(Upgrade)
            .map_err(|_| {
                ApiError::new(
                    axum::http::StatusCode::UPGRADE_REQUIRED,
                    "websocket_required",
                    "Connect with a WebSocket client.",
                )
            })
    }
}

fn configure(ws: WebSocketUpgrade) -> WebSocketUpgrade {
    // Small buffers: most connections are idle, and memory per idle connection matters.
    ws.read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_message_size(HARD_FRAME_LIMIT)
        .max_frame_size(HARD_FRAME_LIMIT)
}

/// The operator's event stream (WebSocket). Frames: see `frontdesk_protocol::ServerFrame`.
#[utoipa::path(get, path = "/api/stream", tag = "realtime", security(("bearer" = [])), params(StreamQuery),
    responses((status = 101, description = "Switching to WebSocket"), (status = 401, body = ErrorBody), (status = 426, body = ErrorBody)))]
pub async fn operator_stream(
    State(state): State<AppState>,
    StreamOperator(me): StreamOperator,
    ApiQuery(q): ApiQuery<StreamQuery>,
    Upgrade(ws): Upgrade,
) -> Response {
    configure(ws).on_upgrade(move |socket| {
        let owner = StreamOwner::Operator(me.id);
        Session::new(state, owner, Who::Operator(me)).run(socket, q.since, q.epoch)
    })
}

/// The visitor's event stream (WebSocket).
#[utoipa::path(get, path = "/api/visitor/stream", tag = "realtime", security(("bearer" = [])), params(StreamQuery),
    responses((status = 101, description = "Switching to WebSocket"), (status = 401, body = ErrorBody), (status = 426, body = ErrorBody)))]
pub async fn visitor_stream(
    State(state): State<AppState>,
    StreamVisitor(me): StreamVisitor,
    ApiQuery(q): ApiQuery<StreamQuery>,
    headers: axum::http::HeaderMap,
    Upgrade(ws): Upgrade,
) -> Response {
    // Cross-site WebSocket hijacking: a browser page may only open the widget's stream from a
    // site the visitor's playbook allows.
    // When the check cannot be made, refuse (fail closed).
    let visitor = match state.store.visitor(me.id).await {
        Ok(v) => v,
        Err(e) => return ApiError::from(e).into_response(),
    };
    if let Some(pid) = visitor.playbook_id {
        let allowed = match state.store.playbook(pid).await {
            Ok(p) => crate::routes::visitors::origin_allowed(&headers, &p),
            Err(frontdesk_store::StoreError::NotFound) => false,
            Err(e) => return ApiError::from(e).into_response(),
        };
        if !allowed {
            return ApiError::forbidden(
                "origin_not_allowed",
                "This website is not allowed to use this chat.",
            )
            .into_response();
        }
    }
    configure(ws).on_upgrade(move |socket| {
        let owner = StreamOwner::Visitor(me.id);
        Session::new(state, owner, Who::Visitor(me)).run(socket, q.since, q.epoch)
    })
}

enum Who {
    Operator(OperatorSession),
    Visitor(VisitorSession),
}

impl Who {
    fn expires_at(&self) -> i64 {
        match self {
            Who::Operator(o) => o.expires_at,
            Who::Visitor(v) => v.expires_at,
        }
    }
    fn set_expires_at(&mut self, at: i64) {
        match self {
            Who::Operator(o) => o.expires_at = at,
            Who::Visitor(v) => v.expires_at = at,
        }
    }
    fn token_hash(&self) -> &str {
        match self {
            Who::Operator(o) => &o.token_hash,
            Who::Visitor(v) => &v.token_hash,
        }
    }
}

type Sink = SplitSink<WebSocket, Message>;

/// Why a session ended (logged).
enum End {
    ClientClosed,
    Bye(&'static str),
    ResyncRequired,
    Timeout,
    SocketError,
}

impl End {
    fn label(&self) -> &'static str {
        match self {
            End::ClientClosed => "client_closed",
            End::Bye(code) => code,
            End::ResyncRequired => "resync_required",
            End::Timeout => "timeout",
            End::SocketError => "socket_error",
        }
    }
}

struct Session {
    state: AppState,
    owner: StreamOwner,
    who: Who,
    /// The seq of the last event sent on this connection.
    last_sent: i64,
    events_sent: u64,
    frames_received: u64,
}

fn frame_text(frame: &ServerFrame) -> Message {
    Message::Text(serde_json::to_string(frame).unwrap_or_default().into())
}

impl Session {
    fn new(state: AppState, owner: StreamOwner, who: Who) -> Self {
        Session {
            state,
            owner,
            who,
            last_sent: 0,
            events_sent: 0,
            frames_received: 0,
        }
    }

    /// Sends one frame; a client that does not take it within the send timeout is gone (a
    /// stalled reader must not keep an operator "online" or block pings and kicks).
    async fn send_raw(&mut self, sink: &mut Sink, message: Message) -> Result<(), End> {
        match tokio::time::timeout(self.send_timeout(), sink.send(message)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(End::SocketError),
            Err(_) => Err(End::Timeout),
        }
    }

    fn send_timeout(&self) -> Duration {
        Duration::from_secs(self.state.config.ping_interval_secs.max(1) * 2)
    }

    async fn send_event(&mut self, sink: &mut Sink, seq: i64, text: String) -> Result<(), End> {
        self.send_raw(sink, Message::Text(text.into())).await?;
        self.last_sent = seq;
        self.events_sent += 1;
        Ok(())
    }

    /// Sends every stored event after `last_sent` for this owner.
    async fn catch_up(&mut self, sink: &mut Sink) -> Result<(), End> {
        loop {
            match self
                .state
                .store
                .replay(self.owner, self.last_sent, REPLAY_PAGE)
                .await
            {
                Ok(Replay::Events { events, complete }) => {
                    for e in events {
                        let text = event_frame_json(e.seq, e.at, &e.actor, &e.payload);
                        self.send_event(sink, e.seq, text).await?;
                    }
                    if complete {
                        return Ok(());
                    }
                }
                Ok(Replay::ResyncRequired { head }) => return self.resync(sink, head).await,
                Err(e) => {
                    tracing::warn!(error = %e, "replay failed");
                    let _ = self
                        .send_raw(sink, frame_text(&ServerFrame::Bye {
                            code: "storage_unavailable".into(),
                            message: "The server cannot read events right now; reconnect with the same cursor.".into(),
                        }))
                        .await;
                    return Err(End::Bye("storage_unavailable"));
                }
            }
        }
    }

    /// Tells the client its cursor cannot be resumed, and ends the session.
    async fn resync(&mut self, sink: &mut Sink, head: i64) -> Result<(), End> {
        let frame = ServerFrame::ResyncRequired {
            position: head,
            epoch: self.state.store.epoch().to_owned(),
        };
        let _ = self.send_raw(sink, frame_text(&frame)).await;
        Err(End::ResyncRequired)
    }

    /// Operators: every operator's presence.
    async fn send_presence_snapshot(&mut self, sink: &mut Sink) -> Result<(), End> {
        if !matches!(self.who, Who::Operator(_)) {
            return Ok(());
        }
        match crate::presence::choice::snapshot(&self.state).await {
            Ok(operators) => {
                let frame = ServerFrame::PresenceSnapshot { operators };
                self.send_raw(sink, frame_text(&frame)).await
            }
            Err(e) => {
                tracing::warn!(error = %e, "presence snapshot failed");
                Ok(())
            }
        }
    }

    /// Ends the session when its token was revoked or expired; otherwise keeps a long-lived
    /// connection's session alive (sliding expiry, as REST use does).
    async fn check_session(&mut self) -> Result<(), End> {
        let now = now_ms();
        let hash = self.who.token_hash().to_owned();
        if let Who::Operator(_) = &self.who {
            match self.state.store.session(&hash).await {
                Ok(Some(s)) if s.expires_at > now => {
                    let s = crate::auth::renew_if_due(&self.state, s, &hash, now).await;
                    self.who.set_expires_at(s.expires_at);
                }
                Ok(_) => return Err(End::Bye("invalid_token")),
                // A storage hiccup is not a reason to drop a working connection.
                Err(_) => {}
            }
        }
        if now >= self.who.expires_at() {
            return Err(End::Bye("token_expired"));
        }
        Ok(())
    }

    async fn run(mut self, socket: WebSocket, since: Option<i64>, epoch: Option<String>) {
        let started = Instant::now();
        let (mut sink, mut stream) = socket.split();
        let owner = self.owner;
        let mut sub = self
            .state
            .hub
            .subscribe(owner, self.who.token_hash().to_owned());
        // A logout or disable between the token check and this subscription kicked nobody:
        // check again now that a kick would reach this connection.
        let alive = session_alive(&self.state, self.who.token_hash()).await;
        if alive {
            if let StreamOwner::Operator(op) = owner {
                self.state.presence.connected(op);
            }
        }
        let end = if !alive {
            let bye = ServerFrame::Bye {
                code: "invalid_token".into(),
                message: "This session has ended. Sign in again.".into(),
            };
            let _ = self.send_raw(&mut sink, frame_text(&bye)).await;
            "invalid_token"
        } else {
            match self
                .drive(&mut sink, &mut stream, &mut sub, since, epoch)
                .await
            {
                Ok(()) => "client_closed",
                Err(e) => e.label(),
            }
        };
        self.state.hub.unsubscribe(owner, sub.id);
        if let (true, StreamOwner::Operator(op)) = (alive, owner) {
            self.state.presence.disconnected(op);
        }
        let close = Message::Close(Some(CloseFrame {
            code: 1000,
            reason: "".into(),
        }));
        let _ = self.send_raw(&mut sink, close).await;
        let (role, subject) = match owner {
            StreamOwner::Operator(o) => ("operator", o.0),
            StreamOwner::Visitor(v) => ("visitor", v.0),
        };
        tracing::info!(
            target: "frontdesk::ws",
            role,
            subject = %subject,
            ms = started.elapsed().as_millis() as u64,
            events_sent = self.events_sent,
            frames_received = self.frames_received,
            end,
            "socket session"
        );
    }

    async fn drive(
        &mut self,
        sink: &mut Sink,
        stream: &mut futures_util::stream::SplitStream<WebSocket>,
        sub: &mut crate::hub::Subscription,
        since: Option<i64>,
        epoch: Option<String>,
    ) -> Result<(), End> {
        if epoch.is_some_and(|e| e != self.state.store.epoch()) {
            let head = self.state.store.head();
            return self.resync(sink, head).await;
        }
        match since {
            Some(cursor) => {
                self.last_sent = cursor;
                self.catch_up(sink).await?;
            }
            None => self.last_sent = self.state.store.head(),
        }
        self.send_raw(
            sink,
            frame_text(&ServerFrame::Ready {
                position: self.last_sent,
                epoch: self.state.store.epoch().to_owned(),
                server_time: now_ms(),
            }),
        )
        .await?;
        self.send_presence_snapshot(sink).await?;

        let interval = Duration::from_secs(self.state.config.ping_interval_secs.max(1));
        let mut ticker = tokio::time::interval(interval);
        ticker.tick().await;
        let mut last_inbound = Instant::now();
        let mut shutdown = self.state.shutdown.clone();
        loop {
            tokio::select! {
                out = sub.events.recv() => match out {
                    None => return Err(End::Bye("hub closed")),
                    Some(Outbound::Event(event)) => {
                        if event.seq > self.last_sent {
                            self.send_event(sink, event.seq, event.frame_json()).await?;
                        }
                    }
                    Some(Outbound::Frame(text)) => self.send_raw(sink, Message::Text(text.as_ref().into())).await?,
                },
                _ = sub.signals.wake.notified() => {
                    let bye = sub.signals.bye.lock().unwrap_or_else(|p| p.into_inner()).take();
                    if let Some(Bye { code, message }) = bye {
                        let _ = self.send_raw(sink, frame_text(&ServerFrame::Bye { code: code.into(), message })).await;
                        return Err(End::Bye(code));
                    }
                    if sub.signals.lagged.swap(false, Ordering::AcqRel) {
                        // The queue overflowed: what it dropped is in the database.
                        tracing::info!(target: "frontdesk::ws", after = self.last_sent, "connection lagged; catching up from storage");
                        self.catch_up(sink).await?;
                        // Presence frames may have been dropped with the queue.
                        self.send_presence_snapshot(sink).await?;
                    }
                }
                inbound = stream.next() => {
                    last_inbound = Instant::now();
                    match inbound {
                        None | Some(Err(_)) => return Err(End::ClientClosed),
                        Some(Ok(Message::Close(_))) => return Ok(()),
                        Some(Ok(Message::Text(text))) => {
                            self.frames_received += 1;
                            let reply = self.handle_frame(text.as_str()).await;
                            if let Some(reply) = reply {
                                self.send_raw(sink, frame_text(&reply)).await?;
                            }
                        }
                        Some(Ok(Message::Binary(_))) => {
                            self.frames_received += 1;
                            let reply = error_frame("unsupported_frame", "Send JSON text frames.", None);
                            self.send_raw(sink, frame_text(&reply)).await?;
                        }
                        Some(Ok(_)) => {} // ping/pong: the socket layer answers pings
                    }
                }
                _ = ticker.tick() => {
                    // A revoked, expired or disabled session ends here too, even if a kick
                    // was missed; a used one is renewed.
                    match self.check_session().await {
                        Err(End::Bye("token_expired")) => {
                            let bye = ServerFrame::Bye { code: "token_expired".into(), message: "Your session expired. Sign in again.".into() };
                            let _ = self.send_raw(sink, frame_text(&bye)).await;
                            return Err(End::Bye("token_expired"));
                        }
                        Err(end) => return Err(end),
                        Ok(()) => {}
                    }
                    if last_inbound.elapsed() > interval * 3 {
                        return Err(End::Timeout);
                    }
                    self.send_raw(sink, Message::Ping(Default::default())).await?;
                }
                _ = shutdown.changed() => {
                    let bye = ServerFrame::Bye { code: "server_shutdown".into(), message: "The server is restarting; reconnect shortly.".into() };
                    let _ = self.send_raw(sink, frame_text(&bye)).await;
                    return Err(End::Bye("server_shutdown"));
                }
            }
        }
    }

    async fn handle_frame(&mut self, text: &str) -> Option<ServerFrame> {
        if text.len() > MAX_FRAME_BYTES {
            return Some(error_frame(
                "frame_too_large",
                &format!("Frames are limited to {MAX_FRAME_BYTES} bytes."),
                None,
            ));
        }
        let frame: ClientFrame = match serde_json::from_str(text) {
            Ok(f) => f,
            Err(e) => {
                return Some(error_frame(
                    "invalid_frame",
                    &format!("Not a valid frame: {e}"),
                    None,
                ))
            }
        };
        match frame {
            ClientFrame::Ping => Some(ServerFrame::Pong),
            ClientFrame::SetPresence { online, handover } => match &self.who {
                Who::Operator(me) => Some(
                    match crate::presence::choice::choose(&self.state, me, online, handover).await {
                        Ok(presence) => ServerFrame::MyPresence { presence },
                        Err(e) => error_frame(e.code, &e.message, None),
                    },
                ),
                Who::Visitor(_) => Some(error_frame(
                    "operators_only",
                    "Only operators have presence.",
                    None,
                )),
            },
            ClientFrame::Typing { conversation_id } => self.typing(conversation_id).await,
            ClientFrame::Send {
                conversation_id,
                message_id,
                body,
            } => {
                let result = match &self.who {
                    Who::Operator(me) => {
                        send_operator_message(&self.state, me, conversation_id, message_id, body)
                            .await
                    }
                    Who::Visitor(me) => {
                        send_visitor_message(
                            &self.state,
                            me,
                            Some(conversation_id),
                            message_id,
                            body,
                        )
                        .await
                    }
                };
                Some(match result {
                    Ok(posted) => ServerFrame::Ack {
                        message_id: posted.message.id,
                        conversation_id: posted.message.conversation_id,
                        duplicate: posted.duplicate,
                    },
                    Err(e) => error_frame(e.code, &e.message, Some(message_id)),
                })
            }
        }
    }
}

/// Whether the session behind `token_hash` still exists and has not expired.
async fn session_alive(state: &AppState, token_hash: &str) -> bool {
    match state.store.session(token_hash).await {
        Ok(Some(s)) => s.expires_at > now_ms(),
        Ok(None) => false,
        // A storage hiccup is not a reason to drop a working connection.
        Err(_) => true,
    }
}

impl Session {
    /// Forwards "is typing" to the other side of a live conversation (not stored).
    async fn typing(&self, conversation_id: uuid::Uuid) -> Option<ServerFrame> {
        let not_found = || {
            Some(error_frame(
                "conversation_not_found",
                "No such conversation, or it is not yours.",
                None,
            ))
        };
        let Ok(c) = self
            .state
            .store
            .conversation(frontdesk_core::ConversationId(conversation_id))
            .await
        else {
            return not_found();
        };
        let Some(assignee) = c.state.assignee() else {
            return None; // nobody on the other side yet
        };
        let (to, name) = match &self.who {
            Who::Operator(me) if me.id == assignee => {
                (StreamOwner::Visitor(c.visitor_id), me.display_name.clone())
            }
            Who::Visitor(me) if me.id == c.visitor_id => (
                StreamOwner::Operator(assignee),
                c.visitor_name.clone().unwrap_or_else(|| "Visitor".into()),
            ),
            _ => return not_found(),
        };
        let frame = frame_json(&ServerFrame::Typing {
            conversation_id,
            name,
        });
        self.state.hub.send_frame(to, frame.into());
        None
    }
}

fn frame_json(frame: &ServerFrame) -> String {
    serde_json::to_string(frame).unwrap_or_default()
}

fn error_frame(code: &str, message: &str, message_id: Option<uuid::Uuid>) -> ServerFrame {
    ServerFrame::Error {
        code: code.into(),
        message: message.into(),
        message_id,
    }
}
