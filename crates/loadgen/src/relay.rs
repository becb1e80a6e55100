//! The bare relay: the lower bound for what the real server could achieve on this machine.
//!
//! Same stack and framing as `frontdesk-server` (axum 0.8 WebSockets with the same buffer
//! settings, JSON text frames of the same shapes, one bounded queue per connection, a mutex
//! around the connection registry), but no storage, no auth rules and no visibility: each
//! visitor is paired with one operator in memory, and a `send` is answered with `ack` and
//! forwarded as an `event` at once.
//!
//! Setup endpoints differ from the server's (`/relay/...`); the measured path
//! (`/api/visitor/stream` → `/api/stream`) and `/api/visitor/session` have the same shapes.

use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use axum::{Json, Router};
use frontdesk_protocol::{
    ActorView, AuthorKind, ClientFrame, ConversationView, ErrorBody, EventBody, Folder,
    MessageView, ServerFrame, VisitorSessionResponse, MAX_FRAME_BYTES,
};
use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;
use uuid::Uuid;

/// Events queued per operator connection (the server's hub uses the same bound).
const QUEUE: usize = 256;

#[derive(clap::Args)]
pub struct RelayArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Set TCP_NODELAY on accepted sockets, as `frontdesk-server` does (`bench/run.sh`
    /// passes it). Off by default: plain `axum::serve` leaves Nagle's algorithm on.
    #[arg(long)]
    nodelay: bool,
}

#[derive(Serialize, Deserialize)]
pub struct OperatorToken {
    pub token: String,
}

#[derive(Serialize, Deserialize)]
pub struct PairRequest {
    pub operator_token: String,
}

#[derive(Serialize, Deserialize)]
pub struct Pair {
    pub conversation_id: Uuid,
    pub visitor_token: String,
}

#[derive(Clone)]
struct Visitor {
    id: Uuid,
    /// The conversation and its operator's token; `None` for idle visitors.
    pair: Option<(Uuid, String)>,
}

#[derive(Default)]
struct Relay {
    seq: AtomicI64,
    /// Operator token → queue of its live connection (if connected).
    operators: Mutex<HashMap<String, Option<mpsc::Sender<Utf8Bytes>>>>,
    visitors: Mutex<HashMap<String, Visitor>>,
}

type Shared = Arc<Relay>;

pub async fn run(args: RelayArgs) -> anyhow::Result<()> {
    let app = Router::new()
        .route(
            "/healthz",
            get(|| async { Json(serde_json::json!({ "status": "ok" })) }),
        )
        .route("/relay/operators", post(new_operator))
        .route("/relay/conversations", post(new_conversation))
        .route("/api/visitor/session", post(new_visitor))
        .route("/api/stream", get(operator_stream))
        .route("/api/visitor/stream", get(visitor_stream))
        .with_state(Shared::default());
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    println!("listening on http://{}", listener.local_addr()?);
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    if args.nodelay {
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await?;
    } else {
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await?;
    }
    Ok(())
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(ErrorBody {
            code: code.into(),
            message: message.into(),
        }),
    )
        .into_response()
}

fn text(frame: &ServerFrame) -> Message {
    Message::Text(serde_json::to_string(frame).unwrap_or_default().into())
}

async fn new_operator(State(relay): State<Shared>) -> (StatusCode, Json<OperatorToken>) {
    let token = Uuid::new_v4().to_string();
    relay.operators.lock().unwrap().insert(token.clone(), None);
    (StatusCode::CREATED, Json(OperatorToken { token }))
}

async fn new_conversation(State(relay): State<Shared>, Json(req): Json<PairRequest>) -> Response {
    if !relay
        .operators
        .lock()
        .unwrap()
        .contains_key(&req.operator_token)
    {
        return error(
            StatusCode::NOT_FOUND,
            "operator_not_found",
            "No such operator token.",
        );
    }
    let conversation_id = Uuid::new_v4();
    let visitor_token = Uuid::new_v4().to_string();
    let visitor = Visitor {
        id: Uuid::new_v4(),
        pair: Some((conversation_id, req.operator_token)),
    };
    relay
        .visitors
        .lock()
        .unwrap()
        .insert(visitor_token.clone(), visitor);
    (
        StatusCode::CREATED,
        Json(Pair {
            conversation_id,
            visitor_token,
        }),
    )
        .into_response()
}

async fn new_visitor(State(relay): State<Shared>) -> (StatusCode, Json<VisitorSessionResponse>) {
    let token = Uuid::new_v4().to_string();
    let id = Uuid::new_v4();
    relay
        .visitors
        .lock()
        .unwrap()
        .insert(token.clone(), Visitor { id, pair: None });
    (
        StatusCode::CREATED,
        Json(VisitorSessionResponse {
            token,
            visitor_id: id,
            expires_at: i64::MAX,
        }),
    )
}

#[derive(Deserialize)]
struct TokenQuery {
    access_token: String,
}

/// The same WebSocket settings as `frontdesk-server`'s `realtime::configure`.
fn configure(ws: WebSocketUpgrade) -> WebSocketUpgrade {
    ws.read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_message_size(1024 * 1024)
        .max_frame_size(1024 * 1024)
}

async fn operator_stream(
    State(relay): State<Shared>,
    Query(q): Query<TokenQuery>,
    ws: WebSocketUpgrade,
) -> Response {
    if !relay
        .operators
        .lock()
        .unwrap()
        .contains_key(&q.access_token)
    {
        return error(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "Unknown operator token.",
        );
    }
    configure(ws).on_upgrade(move |socket| operator_session(relay, q.access_token, socket))
}

async fn operator_session(relay: Shared, token: String, socket: WebSocket) {
    let (tx, mut rx) = mpsc::channel::<Utf8Bytes>(QUEUE);
    relay
        .operators
        .lock()
        .unwrap()
        .insert(token.clone(), Some(tx));
    let (mut sink, mut stream) = socket.split();
    if sink
        .send(text(&ServerFrame::Ready {
            position: 0,
            epoch: String::new(),
            server_time: now_ms(),
        }))
        .await
        .is_ok()
    {
        loop {
            tokio::select! {
                Some(event) = rx.recv() => {
                    if sink.send(Message::Text(event)).await.is_err() {
                        break;
                    }
                }
                inbound = stream.next() => match inbound {
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
                    Some(Ok(_)) => {}
                },
            }
        }
    }
    relay.operators.lock().unwrap().insert(token, None);
}

async fn visitor_stream(
    State(relay): State<Shared>,
    Query(q): Query<TokenQuery>,
    ws: WebSocketUpgrade,
) -> Response {
    let Some(visitor) = relay.visitors.lock().unwrap().get(&q.access_token).cloned() else {
        return error(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "Unknown visitor token.",
        );
    };
    configure(ws).on_upgrade(move |socket| visitor_session(relay, visitor, socket))
}

async fn visitor_session(relay: Shared, visitor: Visitor, socket: WebSocket) {
    let (mut sink, mut stream) = socket.split();
    if sink
        .send(text(&ServerFrame::Ready {
            position: 0,
            epoch: String::new(),
            server_time: now_ms(),
        }))
        .await
        .is_err()
    {
        return;
    }
    while let Some(Ok(inbound)) = stream.next().await {
        let replies = match inbound {
            Message::Text(t) => relay.handle(&visitor, t.as_str()).await,
            Message::Close(_) => break,
            _ => continue,
        };
        for reply in replies {
            if sink.send(reply).await.is_err() {
                return;
            }
        }
    }
}

impl Relay {
    /// Answers one visitor frame; a `send` is forwarded to the paired operator first.
    async fn handle(&self, visitor: &Visitor, frame: &str) -> Vec<Message> {
        let fail = |code: &str, message: &str, message_id| {
            vec![text(&ServerFrame::Error {
                code: code.into(),
                message: message.into(),
                message_id,
            })]
        };
        if frame.len() > MAX_FRAME_BYTES {
            return fail("frame_too_large", "Frame too large.", None);
        }
        let (conversation_id, message_id, body) = match serde_json::from_str::<ClientFrame>(frame) {
            Ok(ClientFrame::Send {
                conversation_id,
                message_id,
                body,
            }) => (conversation_id, message_id, body),
            Ok(ClientFrame::Ping) => return vec![text(&ServerFrame::Pong)],
            // Presence, typing and whatever the protocol grows: not part of the measured path.
            Ok(_) => return Vec::new(),
            Err(e) => return fail("invalid_frame", &format!("Not a valid frame: {e}"), None),
        };
        let Some((conversation, operator)) =
            visitor.pair.as_ref().filter(|(c, _)| *c == conversation_id)
        else {
            return fail(
                "conversation_not_found",
                "No such conversation.",
                Some(message_id),
            );
        };
        let seq = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let now = now_ms();
        let message = MessageView {
            id: message_id,
            conversation_id: *conversation,
            seq,
            author: AuthorKind::Visitor,
            author_id: Some(visitor.id),
            author_name: "Visitor".into(),
            body,
            created_at: now,
        };
        // The same frame the server sends: the message with its conversation's inbox row.
        let row = relay_row(&message);
        let event: Utf8Bytes = serde_json::to_string(&ServerFrame::Event {
            seq,
            at: now,
            actor: ActorView::visitor(visitor.id, None),
            event: EventBody::Message {
                message,
                conversation: row,
            },
        })
        .unwrap_or_default()
        .into();
        let queue = self
            .operators
            .lock()
            .unwrap()
            .get(operator)
            .cloned()
            .flatten();
        if let Some(queue) = queue {
            // Waits when the operator's queue is full: backpressure instead of unbounded memory.
            let _ = queue.send(event.clone()).await;
        }
        // Like the server: the sender gets the ack and the message event too.
        vec![
            text(&ServerFrame::Ack {
                message_id,
                conversation_id,
                duplicate: false,
            }),
            Message::Text(event),
        ]
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A conversation row like the server's for a relayed message (nothing stored behind it).
fn relay_row(m: &MessageView) -> ConversationView {
    let operator = Uuid::nil();
    ConversationView {
        id: m.conversation_id,
        visitor_id: m.author_id.unwrap_or_default(),
        visitor_name: None,
        state: "assigned".into(),
        folder: Some(Folder::Mine),
        assignee_id: Some(operator),
        handled_by: Some(operator),
        handled_by_name: Some("Operator".into()),
        display_name: "Operator".into(),
        wait_deadline: None,
        created_at: m.created_at,
        updated_at: m.created_at,
        closed_at: None,
        message_count: m.seq,
        last_message_at: Some(m.created_at),
        preview: Some(m.body.chars().take(140).collect()),
        last_author: Some(m.author),
        qualified: None,
        playbook_id: None,
    }
}
