//! The harness: the real `frontdesk-server` binary, a TCP proxy that can cut connections,
//! visitors and operators driven over the HTTP API, and engines on fresh data directories.

#![allow(dead_code)]

use frontdesk_client::{Engine, EngineOptions, Lang};
use frontdesk_protocol::{ConversationView, Folder, MessageView};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

pub const ADMIN_EMAIL: &str = "admin@frontdesk.local";
pub const PASSWORD: &str = "correct horse";

/// Builds the server binary once per test run (into this run's target directory) and
/// returns its path. Cargo gives `CARGO_BIN_EXE_…` only for binaries of the same package.
fn server_binary() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        // Tests keep the token out of the developer's real keyring.
        std::env::set_var("FRONTDESK_TOKEN_STORE", "file");
        let exe = std::env::current_exe().expect("test executable");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target/<profile>");
        let target_dir = profile_dir.parent().expect("target dir");
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.toml");
        let mut cmd = Command::new(env!("CARGO"));
        cmd.args([
            "build",
            "--quiet",
            "-p",
            "frontdesk-server",
            "--bin",
            "frontdesk-server",
        ])
        .arg("--manifest-path")
        .arg(&manifest)
        .arg("--target-dir")
        .arg(target_dir);
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("run cargo build for frontdesk-server");
        assert!(status.success(), "building frontdesk-server failed");
        let bin = profile_dir.join(format!("frontdesk-server{}", std::env::consts::EXE_SUFFIX));
        assert!(bin.exists(), "{} missing after the build", bin.display());
        bin
    })
    .clone()
}

/// A running `frontdesk-server` process.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    pub base: String,
    pub admin_password: Option<String>,
    pub data: PathBuf,
    _tmp: Option<tempfile::TempDir>,
}

impl Server {
    pub fn start(args: &[&str]) -> Server {
        let tmp = tempfile::tempdir().expect("tempdir");
        let mut s = Server::start_in(tmp.path(), "127.0.0.1:0", args);
        s._tmp = Some(tmp);
        s
    }

    pub fn start_in(data: &Path, listen: &str, args: &[&str]) -> Server {
        std::fs::create_dir_all(data).unwrap();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(data.join("server.log"))
            .ok();
        let mut child = Command::new(server_binary())
            .args(["--listen", listen, "--data"])
            .arg(data)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(log.map(Stdio::from).unwrap_or_else(Stdio::null))
            .spawn()
            .expect("start frontdesk-server");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut admin_password = None;
        let mut addr = None;
        for line in lines.by_ref() {
            let line = line.expect("server stdout");
            if let Some(pw) = line.trim().strip_prefix("password:") {
                admin_password = Some(pw.trim().to_owned());
            }
            if let Some(a) = line.strip_prefix("frontdesk-server listening on http://") {
                addr = Some(a.trim().parse::<SocketAddr>().unwrap());
                break;
            }
        }
        std::thread::spawn(move || for _ in lines {});
        let addr = addr.expect("server printed its address");
        Server {
            child,
            addr,
            base: format!("http://{addr}"),
            admin_password,
            data: data.to_owned(),
            _tmp: None,
        }
    }

    /// SIGKILL: the server is gone at once.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Kills the server and starts it again on the same data and port.
    pub fn restart(&mut self, args: &[&str]) {
        self.kill();
        let tmp = self._tmp.take();
        let again = Server::start_in(&self.data.clone(), &self.addr.to_string(), args);
        let password = self.admin_password.take();
        *self = again;
        self._tmp = tmp;
        self.admin_password = password;
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data.join("server.log")).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A TCP proxy in front of the server whose connections can be cut (a network failure).
pub struct Proxy {
    pub addr: SocketAddr,
    blocked: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Proxy {
    pub async fn start(target: SocketAddr) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let blocked = Arc::new(AtomicBool::new(false));
        let conns: Arc<Mutex<Vec<tokio::task::AbortHandle>>> = Arc::default();
        let (b, c) = (blocked.clone(), conns.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if b.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                c.lock().unwrap().push(task.abort_handle());
            }
        });
        Proxy {
            addr,
            blocked,
            conns,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Cuts every open connection; with `block`, refuses new ones until [`Proxy::unblock`].
    pub fn cut(&self, block: bool) {
        self.blocked.store(block, Ordering::SeqCst);
        for c in self.conns.lock().unwrap().drain(..) {
            c.abort();
        }
    }

    pub fn unblock(&self) {
        self.blocked.store(false, Ordering::SeqCst);
    }
}

/// The HTTP API as a visitor, admin or second operator session uses it.
#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
}

#[derive(Clone, Debug)]
pub struct Operator {
    pub id: String,
    pub email: String,
    pub token: String,
}

#[derive(Clone, Debug)]
pub struct Visitor {
    pub token: String,
}

impl Api {
    pub fn new(server: &Server) -> Api {
        Api {
            http: reqwest::Client::new(),
            base: server.base.clone(),
        }
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method.parse().unwrap(), format!("{}{}", self.base, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn login(&self, email: &str, password: &str) -> Operator {
        let (status, body) = self
            .call(
                "POST",
                "/api/auth/login",
                None,
                Some(json!({"email": email, "password": password})),
            )
            .await;
        assert_eq!(status, 200, "login: {body}");
        Operator {
            id: body["operator"]["id"].as_str().unwrap().to_owned(),
            email: email.to_owned(),
            token: body["token"].as_str().unwrap().to_owned(),
        }
    }

    pub async fn admin(&self, server: &Server) -> Operator {
        self.login(
            ADMIN_EMAIL,
            server.admin_password.as_deref().expect("first run"),
        )
        .await
    }

    /// A new operator account (not signed in anywhere yet): its email.
    pub async fn new_operator(&self, admin: &Operator, name: &str) -> String {
        let email = format!(
            "{}-{}@example.com",
            name.to_lowercase(),
            uuid::Uuid::new_v4().simple()
        );
        let (status, body) = self
            .call("POST", "/api/operators", Some(&admin.token), Some(json!({"display_name": name, "email": email, "password": PASSWORD, "role": "operator"})))
            .await;
        assert_eq!(status, 201, "create operator: {body}");
        email
    }

    pub async fn visitor(&self, name: &str) -> Visitor {
        let (status, body) = self
            .call(
                "POST",
                "/api/visitor/session",
                None,
                Some(json!({"name": name})),
            )
            .await;
        assert_eq!(status, 201, "visitor session: {body}");
        Visitor {
            token: body["token"].as_str().unwrap().to_owned(),
        }
    }

    /// The visitor asks for a person; returns the conversation id.
    pub async fn ask_for_person(&self, v: &Visitor) -> uuid::Uuid {
        let (status, body) = self
            .call("POST", "/api/visitor/livechat", Some(&v.token), None)
            .await;
        assert_eq!(status, 200, "livechat: {body}");
        body["id"].as_str().unwrap().parse().unwrap()
    }

    pub async fn visitor_says(&self, v: &Visitor, text: &str) {
        let (status, body) = self
            .call(
                "POST",
                "/api/visitor/messages",
                Some(&v.token),
                Some(json!({"message_id": uuid::Uuid::now_v7(), "body": text})),
            )
            .await;
        assert!(
            status == 200 || status == 201,
            "visitor message: {status} {body}"
        );
    }

    /// The conversation as `op` reads it from the server (200 asserted).
    pub async fn detail(&self, op: &Operator, id: uuid::Uuid) -> Value {
        let (status, body) = self
            .call(
                "GET",
                &format!("/api/conversations/{id}"),
                Some(&op.token),
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    pub async fn post(&self, op: &Operator, path: &str, body: Value) -> (u16, Value) {
        self.call("POST", path, Some(&op.token), Some(body)).await
    }

    /// Chooses online and holds a stream open (online needs a live connection).
    pub async fn go_online(
        &self,
        op: &Operator,
    ) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>
    {
        let (status, body) = self
            .call(
                "PUT",
                "/api/me/presence",
                Some(&op.token),
                Some(json!({"online": true})),
            )
            .await;
        assert_eq!(status, 200, "presence: {body}");
        let ws = self.base.replacen("http://", "ws://", 1);
        let (stream, _) =
            tokio_tungstenite::connect_async(format!("{ws}/api/stream?access_token={}", op.token))
                .await
                .expect("operator stream");
        // Wait until the server counts the operator online.
        for _ in 0..100 {
            let (_, online) = self
                .call("GET", "/api/operators/online", Some(&op.token), None)
                .await;
            if online
                .as_array()
                .is_some_and(|a| a.iter().any(|o| o["id"] == op.id.as_str()))
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        stream
    }

    /// Everything the operator may see, loaded fresh: rows and messages, ordered by id.
    pub async fn fresh_load(&self, op: &Operator) -> Vec<(ConversationView, Vec<MessageView>)> {
        let mut out = Vec::new();
        for folder in ["unassigned", "mine", "offline", "closed"] {
            let mut cursor = String::new();
            loop {
                let (status, page) = self
                    .call(
                        "GET",
                        &format!("/api/conversations?folder={folder}&limit=200{cursor}"),
                        Some(&op.token),
                        None,
                    )
                    .await;
                assert_eq!(status, 200, "{page}");
                for c in page["conversations"].as_array().unwrap() {
                    let view: ConversationView = serde_json::from_value(c.clone()).unwrap();
                    let (status, d) = self
                        .call(
                            "GET",
                            &format!("/api/conversations/{}", view.id),
                            Some(&op.token),
                            None,
                        )
                        .await;
                    assert_eq!(status, 200, "{d}");
                    let detail: frontdesk_protocol::ConversationDetail =
                        serde_json::from_value(d).unwrap();
                    out.push((detail.conversation, detail.messages));
                }
                match page["next_cursor"].as_str() {
                    Some(c) => cursor = format!("&cursor={c}"),
                    None => break,
                }
            }
        }
        out.sort_by_key(|(c, _)| c.id);
        out
    }
}

pub fn options() -> EngineOptions {
    EngineOptions {
        notify_window: Duration::from_millis(400),
        lang: Lang::En,
        max_backoff: Duration::from_secs(1),
        ..EngineOptions::default()
    }
}

pub async fn open_engine(dir: &Path) -> Engine {
    server_binary(); // sets the token store for tests before any engine starts
    Engine::open_with(dir, options())
        .await
        .expect("open engine")
}

/// Polls `check` every 50 ms until it holds; panics with `what` after `secs`.
pub async fn eventually<F, Fut>(secs: u64, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn wait_live(engine: &Engine) {
    let e = engine.clone();
    eventually(20, "the engine to be live", move || {
        let e = e.clone();
        async move { e.sync_state().state == frontdesk_client::SyncStateName::Live }
    })
    .await;
}

pub async fn wait_offline(engine: &Engine) {
    let e = engine.clone();
    eventually(10, "the engine to be offline", move || {
        let e = e.clone();
        async move { e.sync_state().state == frontdesk_client::SyncStateName::Offline }
    })
    .await;
}

/// A visitor named `name` asks for a person; returns the conversation once the engine lists
/// it in Unassigned.
pub async fn waiting_chat(w: &World, name: &str) -> uuid::Uuid {
    let v = w.api.visitor(name).await;
    let c = w.api.ask_for_person(&v).await;
    let e = w.engine.clone();
    eventually(10, "the chat in Unassigned", move || {
        let e = e.clone();
        async move { in_folder(&e, Folder::Unassigned, c).await }
    })
    .await;
    c
}

pub async fn in_folder(engine: &Engine, folder: Folder, id: uuid::Uuid) -> bool {
    engine
        .list_folder(folder, 500, None)
        .await
        .unwrap()
        .rows
        .iter()
        .any(|r| r.id == id)
}

pub async fn bodies(engine: &Engine, id: uuid::Uuid) -> Vec<String> {
    engine
        .snapshot()
        .await
        .unwrap()
        .into_iter()
        .find(|(c, _)| c.id == id)
        .map(|(_, ms)| ms.into_iter().map(|m| m.body).collect())
        .unwrap_or_default()
}

/// A server, its admin, an operator account "Ann" and an engine signed in as her and online.
pub struct World {
    pub server: Server,
    pub api: Api,
    pub admin: Operator,
    pub ann_email: String,
    pub engine: Engine,
    pub dir: tempfile::TempDir,
}

impl World {
    /// Ann's other device hands conversation `c` to `to` (this engine is not asked).
    pub async fn reassign_elsewhere(&self, c: uuid::Uuid, to: &Operator) {
        let ann = self.api.login(&self.ann_email, PASSWORD).await;
        let (status, body) = self
            .api
            .post(
                &ann,
                &format!("/api/conversations/{c}/reassign"),
                json!({"operator_id": to.id}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
}

pub async fn world(server_url: Option<String>, server: Server) -> World {
    let api = Api::new(&server);
    let admin = api.admin(&server).await;
    let ann_email = api.new_operator(&admin, "Ann").await;
    let dir = tempfile::tempdir().unwrap();
    let engine = open_engine(dir.path()).await;
    let url = server_url.unwrap_or_else(|| server.base.clone());
    engine
        .sign_in(&url, &ann_email, PASSWORD)
        .await
        .expect("sign in");
    wait_live(&engine).await;
    engine.set_presence(true, None).await.expect("go online");
    World {
        server,
        api,
        admin,
        ann_email,
        engine,
        dir,
    }
}

pub fn server_args() -> Vec<&'static str> {
    vec!["--wait-time-secs", "600"]
}
