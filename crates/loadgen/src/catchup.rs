//! `catchup`: how long an operator's app takes to bring its copy of the inbox up to date
//! after a day away, with many changed conversations.
//!
//! Setup: an operator ("away") records a stream position and leaves; a colleague who stays
//! online handles N conversations meanwhile (a visitor asks, writes twice, the colleague
//! takes it, answers and closes it — every conversation ends in Closed, visible to the away
//! operator again). Then three ways back, each from the same position, each ending with the
//! whole copy (every row and every message) up to date:
//! - `replay`: the stream from the cursor (every event), then the messages the events did
//!   not carry (those written while a colleague held the chat), fetched in bulk;
//! - `sync`: `GET /api/sync/changes` pages, then `POST /api/sync/messages` in bulk, then the
//!   stream from the returned position;
//! - `per-conversation`: the rows of the Closed folder, then one `GET /api/conversations/{id}`
//!   each (what a client without the sync calls does).
//!
//! Each prints wall time, requests, bytes received and the server's CPU time.

use crate::setup::Http;
use crate::stats::cpu_secs;
use anyhow::bail;
use clap::Args;
use frontdesk_protocol::*;
use futures_util::{StreamExt, TryStreamExt};
use reqwest::{Method, Url};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

#[derive(Args, Debug)]
pub struct CatchupArgs {
    /// The server's base URL, e.g. `http://127.0.0.1:8080`.
    #[arg(long)]
    target: Url,
    #[arg(long, default_value = "admin@frontdesk.local")]
    admin_email: String,
    #[arg(long)]
    admin_password: String,
    /// Conversations that change while the operator is away.
    #[arg(long, default_value_t = 10_000)]
    conversations: usize,
    /// Requests in flight while building the history.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// The server's process id, for its CPU time.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Build the history and stop: another client measures its own way back
    /// (bench/desktop-catchup.sh does so with the desktop app's engine).
    #[arg(long)]
    history_only: bool,
}

/// What one way back cost.
#[derive(Debug, serde::Serialize)]
struct Outcome {
    method: &'static str,
    seconds: f64,
    requests: u64,
    bytes: u64,
    server_cpu_seconds: Option<f64>,
    conversations: usize,
    messages: usize,
}

/// The away operator's copy: rows by id, message ids by seq.
#[derive(Default)]
struct Copy {
    rows: HashMap<Uuid, ConversationView>,
    messages: HashMap<Uuid, BTreeMap<i64, Uuid>>,
}

impl Copy {
    fn upsert(&mut self, row: ConversationView) {
        self.messages.entry(row.id).or_default();
        self.rows.insert(row.id, row);
    }
    fn message(&mut self, m: &MessageView) {
        self.messages
            .entry(m.conversation_id)
            .or_default()
            .insert(m.seq, m.id);
    }
    fn remove(&mut self, id: Uuid) {
        self.rows.remove(&id);
        self.messages.remove(&id);
    }
    /// `(conversation, last contiguous seq held)` for every row that lacks messages.
    fn missing(&self) -> Vec<MessagesAfter> {
        self.rows
            .values()
            .filter_map(|row| {
                let held = self.messages.get(&row.id);
                let mut have = 0;
                while held.is_some_and(|h| h.contains_key(&(have + 1))) {
                    have += 1;
                }
                (row.message_count > have).then_some(MessagesAfter {
                    conversation_id: row.id,
                    after_seq: have,
                })
            })
            .collect()
    }
    fn message_total(&self) -> usize {
        self.messages.values().map(BTreeMap::len).sum()
    }
}

/// Counts requests and bytes of one way back.
struct Meter {
    http: reqwest::Client,
    base: Url,
    token: String,
    requests: u64,
    bytes: u64,
}

impl Meter {
    async fn json<T: serde::de::DeserializeOwned>(
        &mut self,
        method: Method,
        path: &str,
        body: Option<&impl serde::Serialize>,
    ) -> anyhow::Result<T> {
        let mut req = self
            .http
            .request(method, self.base.join(path)?)
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await?;
        let status = resp.status();
        let bytes = resp.bytes().await?;
        self.requests += 1;
        self.bytes += bytes.len() as u64;
        if !status.is_success() {
            bail!("{path}: {status}: {}", String::from_utf8_lossy(&bytes));
        }
        Ok(serde_json::from_slice(&bytes)?)
    }

    /// The stream from `since` until `ready`: every frame parsed and applied.
    async fn replay(&mut self, since: i64, epoch: &str, copy: &mut Copy) -> anyhow::Result<i64> {
        let ws_url = format!(
            "ws://{}:{}/api/stream?access_token={}&since={since}&epoch={epoch}",
            self.base.host_str().unwrap_or("127.0.0.1"),
            self.base.port_or_known_default().unwrap_or(80),
            self.token
        );
        let (mut ws, _) = tokio_tungstenite::connect_async(&ws_url).await?;
        self.requests += 1;
        while let Some(msg) = ws.next().await {
            let Message::Text(text) = msg? else { continue };
            self.bytes += text.len() as u64;
            match serde_json::from_str::<ServerFrame>(text.as_str())? {
                ServerFrame::Event { event, .. } => match event {
                    EventBody::ConversationUpsert { conversation } => copy.upsert(conversation),
                    EventBody::ConversationRemoved { conversation_id } => {
                        copy.remove(conversation_id)
                    }
                    EventBody::Message {
                        message,
                        conversation,
                    } => {
                        copy.upsert(conversation);
                        copy.message(&message);
                    }
                    // Sales records are not part of the inbox copy this benchmark keeps.
                    EventBody::BotPrompt { .. }
                    | EventBody::DetailsChanged { .. }
                    | EventBody::ResultUpsert { .. } => {}
                },
                ServerFrame::Ready { position, .. } => return Ok(position),
                ServerFrame::ResyncRequired { .. } => bail!("resync required"),
                _ => {}
            }
        }
        bail!("the stream closed before ready")
    }

    /// Fetches every message the copy lacks, in bulk.
    async fn fill(&mut self, copy: &mut Copy) -> anyhow::Result<()> {
        loop {
            let missing = copy.missing();
            if missing.is_empty() {
                return Ok(());
            }
            for chunk in missing.chunks(500) {
                let body = BulkMessagesRequest {
                    conversations: chunk.to_vec(),
                    limit: Some(20_000),
                };
                let page: BulkMessagesResponse = self
                    .json(Method::POST, "/api/sync/messages", Some(&body))
                    .await?;
                page.messages.iter().for_each(|m| copy.message(m));
                page.not_visible.iter().for_each(|id| copy.remove(*id));
            }
        }
    }
}

pub async fn run(args: CatchupArgs) -> anyhow::Result<()> {
    let http = Http::new(args.target.clone())?;
    let admin = http.login(&args.admin_email, &args.admin_password).await?;

    // The colleague who stays online and handles everything.
    let email = format!("colleague-{}@bench.local", Uuid::new_v4().simple());
    let _: OperatorView = http
        .call(
            Method::POST,
            "/api/operators",
            Some(&admin.token),
            Some(&NewOperatorRequest {
                display_name: "Colleague".into(),
                email: email.clone(),
                password: "colleague-password".into(),
                role: RoleView::Operator,
            }),
        )
        .await?;
    let colleague = http.login(&email, "colleague-password").await?;
    let _: PresenceView = http
        .call(
            Method::PUT,
            "/api/me/presence",
            Some(&colleague.token),
            Some(&PresenceRequest {
                online: true,
                handover: None,
            }),
        )
        .await?;
    let mut colleague_ws = http.stream("/api/stream", &colleague.token).await?;
    // Read and drop the colleague's frames, so the server never sees a stalled client.
    let reader = tokio::spawn(async move { while colleague_ws.next().await.is_some() {} });

    // The away operator's position, then a day of work.
    let (position, epoch) = {
        let url = format!(
            "ws://{}:{}/api/stream?access_token={}",
            args.target.host_str().unwrap_or("127.0.0.1"),
            args.target.port_or_known_default().unwrap_or(80),
            admin.token
        );
        let (mut ws, _) = tokio_tungstenite::connect_async(&url).await?;
        loop {
            let Some(msg) = ws.next().await else {
                bail!("no ready")
            };
            if let Message::Text(t) = msg? {
                if let ServerFrame::Ready {
                    position, epoch, ..
                } = serde_json::from_str(t.as_str())?
                {
                    break (position, epoch);
                }
            }
        }
    };
    let started = Instant::now();
    futures_util::stream::iter(0..args.conversations)
        .map(|i| handle_one(&http, &colleague.token, i))
        .buffer_unordered(args.concurrency)
        .try_collect::<Vec<()>>()
        .await?;
    eprintln!(
        "history: {} conversations in {:.1} s",
        args.conversations,
        started.elapsed().as_secs_f64()
    );
    reader.abort();
    if args.history_only {
        return Ok(());
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    let mut outcomes = Vec::new();
    for method in ["replay", "sync", "per-conversation"] {
        let mut meter = Meter {
            http: reqwest::Client::new(),
            base: args.target.clone(),
            token: admin.token.clone(),
            requests: 0,
            bytes: 0,
        };
        let mut copy = Copy::default();
        let cpu_before = cpu_secs(args.server_pid);
        let t = Instant::now();
        match method {
            "replay" => {
                meter.replay(position, &epoch, &mut copy).await?;
                meter.fill(&mut copy).await?;
            }
            "sync" => {
                let mut since = position;
                loop {
                    let page: ChangesPage = meter
                        .json(
                            Method::GET,
                            &format!("/api/sync/changes?since={since}&epoch={epoch}&limit=2000"),
                            None::<&()>,
                        )
                        .await?;
                    page.conversations.into_iter().for_each(|c| copy.upsert(c));
                    page.removed.iter().for_each(|id| copy.remove(*id));
                    since = page.position;
                    if page.complete {
                        break;
                    }
                }
                meter.fill(&mut copy).await?;
                meter.replay(since, &epoch, &mut copy).await?;
            }
            _ => {
                let mut cursor = String::new();
                loop {
                    let page: ConversationPage = meter
                        .json(
                            Method::GET,
                            &format!("/api/conversations?folder=closed&limit=200&cursor={cursor}"),
                            None::<&()>,
                        )
                        .await?;
                    page.conversations.into_iter().for_each(|c| copy.upsert(c));
                    match page.next_cursor {
                        Some(c) => cursor = c,
                        None => break,
                    }
                }
                let ids: Vec<Uuid> = copy.rows.keys().copied().collect();
                for id in ids {
                    let d: ConversationDetail = meter
                        .json(
                            Method::GET,
                            &format!("/api/conversations/{id}"),
                            None::<&()>,
                        )
                        .await?;
                    d.messages.iter().for_each(|m| copy.message(m));
                    copy.upsert(d.conversation);
                }
            }
        }
        let seconds = t.elapsed().as_secs_f64();
        let server_cpu_seconds = cpu_before
            .zip(cpu_secs(args.server_pid))
            .map(|(a, b)| b - a);
        if !copy.missing().is_empty() {
            bail!("{method}: the copy is incomplete");
        }
        outcomes.push(Outcome {
            method,
            seconds,
            requests: meter.requests,
            bytes: meter.bytes,
            server_cpu_seconds,
            conversations: copy.rows.len(),
            messages: copy.message_total(),
        });
    }

    println!(
        "catch-up after {} changed conversations (same position, same data):",
        args.conversations
    );
    println!(
        "{:<18} {:>8} {:>9} {:>10} {:>11} {:>14} {:>9}",
        "method", "wall s", "requests", "MB recv", "server CPU", "conversations", "messages"
    );
    for o in &outcomes {
        println!(
            "{:<18} {:>8.2} {:>9} {:>10.1} {:>11} {:>14} {:>9}",
            o.method,
            o.seconds,
            o.requests,
            o.bytes as f64 / 1e6,
            o.server_cpu_seconds
                .map(|s| format!("{s:.2} s"))
                .unwrap_or_else(|| "-".into()),
            o.conversations,
            o.messages
        );
    }
    println!("RESULT {}", serde_json::to_string(&outcomes)?);
    Ok(())
}

/// One conversation of the day: asked for, two visitor messages, taken, answered, closed.
async fn handle_one(http: &Http, colleague: &str, i: usize) -> anyhow::Result<()> {
    let session: VisitorSessionResponse = http
        .call(
            Method::POST,
            "/api/visitor/session",
            None,
            Some(&VisitorSessionRequest {
                name: Some(format!("Visitor {i}")),
            }),
        )
        .await?;
    let c: ConversationView = http
        .call(
            Method::POST,
            "/api/visitor/livechat",
            Some(&session.token),
            None::<&()>,
        )
        .await?;
    for text in [
        "Hello, I would like to know more about your pricing for a team of twelve.",
        "Do you offer a discount for annual billing?",
    ] {
        let _: Value = http
            .call(
                Method::POST,
                "/api/visitor/messages",
                Some(&session.token),
                Some(&SendMessageRequest {
                    message_id: Uuid::now_v7(),
                    body: text.into(),
                }),
            )
            .await?;
    }
    let path = format!("/api/conversations/{}", c.id);
    let _: ConversationView = http
        .call(
            Method::POST,
            &format!("{path}/assign"),
            Some(colleague),
            None::<&()>,
        )
        .await?;
    let _: Value = http
        .call(
            Method::POST,
            &format!("{path}/messages"),
            Some(colleague),
            Some(&SendMessageRequest {
                message_id: Uuid::now_v7(),
                body: "Yes: two months free on annual plans. I'll send you the details.".into(),
            }),
        )
        .await?;
    let _: ConversationView = http
        .call(
            Method::POST,
            &format!("{path}/close"),
            Some(colleague),
            None::<&()>,
        )
        .await?;
    Ok(())
}
