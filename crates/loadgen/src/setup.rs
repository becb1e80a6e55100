//! Unmeasured setup: accounts, conversations and connections on either target.
//!
//! Only this part differs between targets; the measured loop (visitor socket `send` →
//! operator socket `event`) is the same code for both.

use crate::relay::{OperatorToken, Pair, PairRequest};
use crate::ws::{self, Ws};
use anyhow::{bail, Context};
use frontdesk_protocol::{
    ConversationView, LoginRequest, LoginResponse, NewOperatorRequest, OperatorView,
    PresenceRequest, PresenceView, RoleView, VisitorSessionRequest, VisitorSessionResponse,
};
use futures_util::{StreamExt, TryStreamExt};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;

/// Which server is driven.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// `frontdesk-server`.
    Frontdesk,
    /// `frontdesk-loadgen relay`.
    Relay,
}

/// A REST client bound to the target's base URL.
pub struct Http {
    client: reqwest::Client,
    base: Url,
    ws_base: String,
}

impl Http {
    pub fn new(base: Url) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .build()?;
        let host = base.host_str().context("target URL has no host")?;
        let port = base
            .port_or_known_default()
            .context("target URL has no port")?;
        let ws_base = format!("ws://{host}:{port}");
        Ok(Http {
            client,
            base,
            ws_base,
        })
    }

    pub async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> anyhow::Result<T> {
        let mut req = self.client.request(method.clone(), self.base.join(path)?);
        if let Some(token) = bearer {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = req
            .send()
            .await
            .with_context(|| format!("{method} {path}"))?;
        let status = resp.status();
        if !status.is_success() {
            let text = resp.text().await.unwrap_or_default();
            bail!("{method} {path}: {status}: {text}");
        }
        resp.json()
            .await
            .with_context(|| format!("{method} {path}: response body"))
    }

    /// Signs an operator in.
    pub async fn login(&self, email: &str, password: &str) -> anyhow::Result<LoginResponse> {
        let req = LoginRequest {
            email: email.into(),
            password: password.into(),
            device: None,
        };
        self.call(Method::POST, "/api/auth/login", None, Some(&req))
            .await
            .with_context(|| format!("sign in as {email}"))
    }

    /// Opens a stream (`/api/stream` or `/api/visitor/stream`) with `token`.
    pub async fn stream(&self, path: &str, token: &str) -> anyhow::Result<Ws> {
        ws::connect(&format!("{}{path}?access_token={token}", self.ws_base)).await
    }
}

/// The connections the measured loop runs on.
pub struct Active {
    pub operators: Vec<Ws>,
    pub visitors: Vec<ActiveVisitor>,
}

pub struct ActiveVisitor {
    pub conversation_id: Uuid,
    pub ws: Ws,
}

/// The real server: M operators (created, signed in, online, connected), then N visitors who
/// each ask for live chat; operators take the waiting conversations round-robin.
pub async fn frontdesk(
    nodes: &[Http],
    admin_email: &str,
    admin_password: &str,
    visitors: usize,
    operators: usize,
    concurrency: usize,
) -> anyhow::Result<Active> {
    // Requests go to the first node; streams are spread over all of them.
    let http = &nodes[0];
    let node = |i: usize| &nodes[i % nodes.len()];
    let admin = http.login(admin_email, admin_password).await?;
    // Emails must be unique across runs against the same server.
    let run = Uuid::new_v4().simple().to_string()[..8].to_owned();
    // Argon2 runs on the server's blocking pool: a few at a time is as fast as it gets on 2 cores.
    let ops: Vec<(String, Ws)> = futures_util::stream::iter(0..operators)
        .map(|i| {
            let (admin, run) = (&admin.token, &run);
            async move {
                let email = format!("loadgen-{run}-{i}@bench.local");
                let password = "loadgen-password".to_owned();
                let new = NewOperatorRequest {
                    display_name: format!("Loadgen {i}"),
                    email: email.clone(),
                    password: password.clone(),
                    role: RoleView::Operator,
                };
                let _: OperatorView = http
                    .call(Method::POST, "/api/operators", Some(admin), Some(&new))
                    .await
                    .context("create operator")?;
                let login = http.login(&email, &password).await?;
                let _: PresenceView = http
                    .call(
                        Method::PUT,
                        "/api/me/presence",
                        Some(&login.token),
                        Some(&PresenceRequest {
                            online: true,
                            handover: None,
                        }),
                    )
                    .await
                    .context("presence")?;
                let ws = node(i).stream("/api/stream", &login.token).await?;
                anyhow::Ok((login.token, ws))
            }
        })
        .buffer_unordered(4)
        .try_collect()
        .await?;
    let (op_tokens, op_sockets): (Vec<String>, Vec<Ws>) = ops.into_iter().unzip();

    let active: Vec<ActiveVisitor> = futures_util::stream::iter(0..visitors)
        .map(|i| {
            let op_token = &op_tokens[i % op_tokens.len()];
            async move {
                let session: VisitorSessionResponse = http
                    .call(
                        Method::POST,
                        "/api/visitor/session",
                        None,
                        Some(&VisitorSessionRequest::default()),
                    )
                    .await
                    .context("visitor session")?;
                let c: ConversationView = http
                    .call(
                        Method::POST,
                        "/api/visitor/livechat",
                        Some(&session.token),
                        None::<&()>,
                    )
                    .await
                    .context("ask for live chat")?;
                if c.state != "waiting" {
                    bail!(
                        "conversation {} is `{}`, not `waiting`: is an operator online?",
                        c.id,
                        c.state
                    );
                }
                let _: ConversationView = http
                    .call(
                        Method::POST,
                        &format!("/api/conversations/{}/assign", c.id),
                        Some(op_token),
                        None::<&()>,
                    )
                    .await
                    .context("assign")?;
                let ws = node(i)
                    .stream("/api/visitor/stream", &session.token)
                    .await?;
                anyhow::Ok(ActiveVisitor {
                    conversation_id: c.id,
                    ws,
                })
            }
        })
        .buffer_unordered(concurrency)
        .try_collect()
        .await?;
    Ok(Active {
        operators: op_sockets,
        visitors: active,
    })
}

/// The bare relay: the same shape of population, paired in memory.
pub async fn relay(
    http: &Http,
    visitors: usize,
    operators: usize,
    concurrency: usize,
) -> anyhow::Result<Active> {
    let mut op_tokens = Vec::with_capacity(operators);
    let mut op_sockets = Vec::with_capacity(operators);
    for _ in 0..operators {
        let op: OperatorToken = http
            .call(Method::POST, "/relay/operators", None, None::<&()>)
            .await?;
        op_sockets.push(http.stream("/api/stream", &op.token).await?);
        op_tokens.push(op.token);
    }
    let active: Vec<ActiveVisitor> = futures_util::stream::iter(0..visitors)
        .map(|i| {
            let operator_token = op_tokens[i % op_tokens.len()].clone();
            async move {
                let pair: Pair = http
                    .call(
                        Method::POST,
                        "/relay/conversations",
                        None,
                        Some(&PairRequest { operator_token }),
                    )
                    .await?;
                let ws = http
                    .stream("/api/visitor/stream", &pair.visitor_token)
                    .await?;
                anyhow::Ok(ActiveVisitor {
                    conversation_id: pair.conversation_id,
                    ws,
                })
            }
        })
        .buffer_unordered(concurrency)
        .try_collect()
        .await?;
    Ok(Active {
        operators: op_sockets,
        visitors: active,
    })
}

/// Creates `count` visitor sessions (same endpoint on both targets); no conversation.
pub async fn visitor_sessions(
    http: &Http,
    count: usize,
    concurrency: usize,
) -> anyhow::Result<Vec<String>> {
    futures_util::stream::iter(0..count)
        .map(|_| async move {
            let s: VisitorSessionResponse = http
                .call(
                    Method::POST,
                    "/api/visitor/session",
                    None,
                    Some(&VisitorSessionRequest::default()),
                )
                .await?;
            anyhow::Ok(s.token)
        })
        .buffer_unordered(concurrency)
        .try_collect()
        .await
}

/// Opens one idle visitor stream per token, `concurrency` handshakes at a time.
pub async fn idle_streams(
    http: &Http,
    tokens: &[String],
    concurrency: usize,
) -> anyhow::Result<Vec<Ws>> {
    futures_util::stream::iter(tokens)
        .map(|token| http.stream("/api/visitor/stream", token))
        .buffer_unordered(concurrency)
        .try_collect()
        .await
}
