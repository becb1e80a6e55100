//! frontdesk-server: the HTTP API, the realtime stream and presence, over a [`Store`].
//!
//! Module map:
//! - [`config`]: command-line flags (`--listen`, `--data` or `--database`, timings).
//! - [`commands`]: the binary's other commands (`admin reset-password`, `operator online`).
//! - [`error`]: [`error::ApiError`], the one `{code, message}` error shape, and extractors
//!   that map axum's rejections onto it.
//! - [`auth`]: tokens, password hashing, the operator / admin / visitor extractors.
//! - [`presence`]: who is online (chose online and connected, with a grace period).
//! - [`hub`]: fan-out of committed events to open connections.
//! - [`realtime`]: the WebSocket session: resume from a cursor, live events, sends.
//! - [`deadlines`]: the durable wait-time timer.
//! - [`rate_limit`]: token buckets for the public visitor endpoints.
//! - [`login_throttle`]: failed sign-ins per account and per address (brute force).
//! - [`request_body`]: bodies are read before any handler answers (kept-alive connections).
//! - [`secrets`]: secrets at rest, sealed with a key kept outside the database.
//! - [`pipedrive`]: the Pipedrive connector (B8): settings and the durable push worker.
//! - [`routes`]: REST handlers, one module per resource, registered with their OpenAPI docs.
//!
//! Entry points: [`start`] builds the state and router from a [`config::Config`];
//! [`serve`] runs it on a listener until shutdown.

pub mod auth;
pub mod commands;
pub mod config;
pub mod deadlines;
pub mod error;
pub mod hub;
pub mod login_throttle;
pub mod pipedrive;
pub mod presence;
pub mod rate_limit;
pub mod realtime;
pub mod request_body;
pub mod routes;
pub mod secrets;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use config::Config;
use error::ApiError;
use frontdesk_core::{Millis, OperatorId, Role};
use frontdesk_store::{EventListener, OperatorRecord, PgStore, SqliteStore, Store};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Now, in unix milliseconds.
pub fn now_ms() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}

/// Everything a request handler needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub store: Arc<dyn Store>,
    pub hub: Arc<hub::Hub>,
    pub presence: presence::Presence,
    pub deadlines: deadlines::Deadlines,
    pub config: Config,
    /// Sessions and conversations opened per network address.
    pub address_limiter: rate_limit::RateLimiter,
    /// Messages and answers per visitor.
    pub visitor_limiter: rate_limit::RateLimiter,
    /// Failed sign-ins per account and per address.
    pub login_throttle: login_throttle::LoginThrottle,
    /// Flips to `true` when the server shuts down; realtime sessions end on it.
    pub shutdown: watch::Receiver<bool>,
    /// Seals secrets stored in the database (the Pipedrive token).
    pub secret_key: secrets::SecretKey,
    /// Wakes the Pipedrive push worker (a result was created or retried).
    pub crm_wake: tokio::sync::Notify,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// The first admin, created on the first run of an empty database.
pub struct InitialAdmin {
    pub email: String,
    pub password: String,
}

/// A started server, not yet listening.
pub struct Started {
    pub state: AppState,
    pub router: Router,
    pub initial_admin: Option<InitialAdmin>,
    shutdown_tx: watch::Sender<bool>,
}

/// Opens the store, creates the first admin if there is no operator yet, arms the wait-time
/// timers and builds the router.
pub async fn start(config: Config) -> anyhow::Result<Started> {
    let hub = Arc::new(hub::Hub::default());
    let listener: EventListener = {
        let hub = hub.clone();
        Arc::new(move |events| hub.publish(events))
    };
    let key_file = secret_key_file(&config)?;
    let store = open_store(&config, listener).await?;
    let secret_key = secrets::SecretKey::load_or_create(&key_file)?;
    let initial_admin = ensure_first_admin(store.as_ref(), &config).await?;
    routes::widget::ensure_demo_playbook(store.as_ref()).await?;
    let deadlines = deadlines::Deadlines::start(store.clone()).await?;
    let (shutdown_tx, shutdown) = watch::channel(false);
    let (presence_changes, presence_feed) = tokio::sync::mpsc::unbounded_channel();
    let presence = presence::Presence::new(
        Duration::from_millis(config.presence_grace_ms),
        presence_changes,
    );
    // The choice survives restarts; being connected does not.
    presence.restore(
        store
            .list_operators()
            .await?
            .into_iter()
            .filter(|o| o.chose_online && !o.disabled)
            .map(|o| o.id),
    );
    let state = AppState(Arc::new(Inner {
        presence,
        address_limiter: rate_limit::RateLimiter::new(
            config.visitor_rate_per_address,
            config.visitor_rate_per_address,
        ),
        visitor_limiter: rate_limit::RateLimiter::new(config.visitor_message_rate, 20),
        login_throttle: Default::default(),
        store,
        hub,
        deadlines,
        config,
        shutdown,
        secret_key,
        crm_wake: tokio::sync::Notify::new(),
    }));
    spawn_event_pruning(state.clone());
    presence::feed::spawn(state.clone(), presence_feed);
    if state.config.database.is_some() {
        // Other nodes may share the database: agree with them on who is online.
        presence::cluster::spawn(state.clone());
    }
    pipedrive::spawn(state.clone());
    let router = app(state.clone());
    Ok(Started {
        state,
        router,
        initial_admin,
        shutdown_tx,
    })
}

/// The store `config` names: PostgreSQL with `--database`, else SQLite in `--data`.
/// The key that seals secrets in the database. Nodes sharing a PostgreSQL database must all
/// have the same one (a token sealed by one node is opened by another): there it is never
/// created on the fly in a node's own directory.
fn secret_key_file(config: &Config) -> anyhow::Result<std::path::PathBuf> {
    match (&config.secret_key_file, &config.database) {
        (Some(file), _) => Ok(file.clone()),
        (None, None) => Ok(config.data.join("secret.key")),
        (None, Some(_)) => anyhow::bail!(
            "--database needs --secret-key-file (FRONTDESK_SECRET_KEY_FILE): every node sharing \
             the database must use the same key file; see docs/deployment.md"
        ),
    }
}

pub async fn open_store(
    config: &Config,
    listener: EventListener,
) -> anyhow::Result<Arc<dyn Store>> {
    Ok(match &config.database {
        Some(url) => Arc::new(PgStore::connect(url, listener).await?),
        None => {
            let data = config.data.clone();
            Arc::new(
                tokio::task::spawn_blocking(move || SqliteStore::open(&data, listener)).await??,
            )
        }
    })
}

async fn ensure_first_admin(
    store: &dyn Store,
    config: &Config,
) -> anyhow::Result<Option<InitialAdmin>> {
    if store.count_operators().await? > 0 {
        return Ok(None);
    }
    let password = auth::new_password();
    let hash = auth::hash_password(password.clone())
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    let record = OperatorRecord {
        id: OperatorId::new(),
        email: config.admin_email.clone(),
        display_name: "Admin".into(),
        role: Role::Admin,
        disabled: false,
        password_hash: hash,
        chose_online: false,
    };
    match store.create_operator(record, now_ms()).await {
        // Another node sharing the database created it first: it printed the password.
        Err(frontdesk_store::StoreError::Conflict(_)) => return Ok(None),
        other => other?,
    }
    Ok(Some(InitialAdmin {
        email: config.admin_email.clone(),
        password,
    }))
}

fn spawn_event_pruning(state: AppState) {
    tokio::spawn(async move {
        let retention = state.config.event_retention_secs as i64 * 1000;
        loop {
            match state.store.prune_events(now_ms() - retention).await {
                Ok(n) if n > 0 => tracing::info!(pruned = n, "old stream events pruned"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "event pruning failed"),
            }
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
    });
}

/// The whole HTTP surface.
pub fn app(state: AppState) -> Router {
    let (api, _openapi) = routes::router().split_for_parts();
    api.fallback(|| async {
        ApiError::not_found(
            "no_such_endpoint",
            "There is no such endpoint. See /api/openapi.json.",
        )
    })
    .method_not_allowed_fallback(|| async {
        ApiError::new(
            axum::http::StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "This endpoint does not accept this HTTP method.",
        )
    })
    .layer(axum::extract::DefaultBodyLimit::max(
        frontdesk_protocol::MAX_REQUEST_BYTES,
    ))
    .layer(axum::middleware::from_fn(request_body::read_body_first))
    .layer(axum::middleware::from_fn(visitor_cors))
    .layer(axum::middleware::from_fn(log_request))
    .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_| {
        ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Something went wrong on the server; nothing was changed.",
        )
        .into_response()
    }))
    .with_state(state)
}

/// CORS for the public visitor endpoints only: the widget runs on customers' sites and calls
/// them with a bearer token (never cookies), so any origin may; the Origin check against the
/// playbook's allowed sites happens in the handlers. Operator endpoints get no CORS headers.
pub async fn visitor_cors(req: Request, next: Next) -> Response {
    use axum::http::{header, HeaderValue, Method, StatusCode};
    let path = req.uri().path();
    let public = path.starts_with("/api/visitor/")
        || path.starts_with("/api/widget/")
        || path == "/widget.js";
    if !public {
        return next.run(req).await;
    }
    let preflight = req.method() == Method::OPTIONS;
    let mut response = if preflight {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(req).await
    };
    let h = response.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    if preflight {
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("authorization, content-type"),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("3600"),
        );
    }
    response
}

/// One structured log line per request: method, route (never the query, which may hold a
/// token), status and duration. No bodies.
async fn log_request(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let response = next.run(req).await;
    let upgraded = response.status() == axum::http::StatusCode::SWITCHING_PROTOCOLS;
    if !upgraded {
        tracing::info!(
            target: "frontdesk::http",
            method = %method,
            route = %route,
            status = response.status().as_u16(),
            ms = start.elapsed().as_secs_f64() * 1000.0,
            "request"
        );
    }
    response
}

/// Serves `started` on `listener` until `shutdown` resolves; then ends realtime sessions and
/// waits for in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    started: Started,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let Started {
        state,
        router,
        shutdown_tx,
        ..
    } = started;
    let hub = state.hub.clone();
    axum::serve(
        without_nagle(listener),
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        let _ = shutdown_tx.send(true);
        hub.kick_all(hub::Bye {
            code: "server_shutdown",
            message: "The server is restarting; reconnect shortly.".into(),
        });
    })
    .await
}

/// `listener` with Nagle's algorithm off on every accepted connection. With it on, a small
/// frame (a sender's `ack`) written while the connection's previous frame is not yet
/// acknowledged waits for the peer's next packet: one connection sending 40 or more
/// messages a second saw its acks 5–25 ms late.
fn without_nagle(
    listener: tokio::net::TcpListener,
) -> axum::serve::TapIo<tokio::net::TcpListener, fn(&mut tokio::net::TcpStream)> {
    use axum::serve::ListenerExt;
    fn set_nodelay(tcp: &mut tokio::net::TcpStream) {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "cannot set TCP_NODELAY on a connection");
        }
    }
    listener.tap_io(set_nodelay)
}

#[cfg(test)]
mod tests {
    use axum::serve::Listener;

    /// The listener `serve` runs on hands out connections with TCP_NODELAY set.
    #[tokio::test]
    async fn accepted_connections_have_nodelay() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut listener = super::without_nagle(listener);
        let client = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (accepted, peer) = listener.accept().await;
        assert_eq!(peer, client.local_addr().unwrap());
        assert!(accepted.nodelay().unwrap());
    }
}
