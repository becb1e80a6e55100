//! The test harness: a real server process, an HTTP client, WebSocket clients.

#![allow(dead_code)]

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

pub const ADMIN_EMAIL: &str = "admin@frontdesk.local";

/// The backend the suite runs on: `FRONTDESK_TEST_BACKEND=postgres` runs every test on
/// PostgreSQL (`make test` runs the suite on both); otherwise SQLite.
pub fn on_postgres() -> bool {
    match std::env::var("FRONTDESK_TEST_BACKEND").as_deref() {
        Ok("postgres") => true,
        Ok("sqlite") | Err(_) => false,
        Ok(other) => panic!("FRONTDESK_TEST_BACKEND={other}: use sqlite or postgres"),
    }
}

/// The flags that point a server (or a command) at the database of `data`: `--data` on
/// SQLite; on PostgreSQL `--database` with a fresh database, created on first use and named
/// in `data/database-url` so a restarted server finds it again.
pub fn storage_args(data: &Path) -> Vec<String> {
    if !on_postgres() {
        return vec!["--data".into(), data.display().to_string()];
    }
    let file = data.join("database-url");
    let url = match std::fs::read_to_string(&file) {
        Ok(url) => url,
        Err(_) => {
            // Kept for the restarts; the throwaway cluster goes away with the test process.
            let url = frontdesk_store::testing::TestDatabase::new().keep();
            std::fs::write(&file, &url).unwrap();
            url
        }
    };
    vec!["--database".into(), url]
}

/// The secret key every test node of a cluster shares (nodes on one database must all have
/// the same key: a token one node sealed is opened by another).
const CLUSTER_KEY: &str = "Zm9vdGVzdGtleWZvcmZyb250ZGVza2NsdXN0ZXJ0ZXM=";

/// Runs one SQL statement on the database of `data` (tests that damage a row on purpose).
pub fn execute_sql(data: &Path, sqlite: &str, postgres: &str) {
    if on_postgres() {
        let url = std::fs::read_to_string(data.join("database-url")).unwrap();
        frontdesk_store::testing::execute(&url, postgres).unwrap();
    } else {
        let db = rusqlite::Connection::open(data.join("frontdesk.sqlite3")).unwrap();
        db.busy_timeout(Duration::from_secs(5)).unwrap();
        db.pragma_update(None, "foreign_keys", false).unwrap();
        db.execute_batch(sqlite).unwrap();
    }
}

/// A running `frontdesk-server` process.
pub struct Server {
    child: Child,
    pub base: String,
    pub ws_base: String,
    /// Printed on the first run of an empty data directory.
    pub admin_password: Option<String>,
    pub data: PathBuf,
    _tmp: Option<tempfile::TempDir>,
}

impl Server {
    /// A server on a fresh, empty data directory.
    pub fn start(args: &[&str]) -> Server {
        let tmp = tempfile::tempdir().expect("tempdir");
        let mut s = Server::start_in(tmp.path(), args);
        s._tmp = Some(tmp);
        s
    }

    /// A server on `data` (which may hold an earlier server's database). On PostgreSQL the
    /// directory keeps the server's log and names its database (see [`storage_args`]).
    pub fn start_in(data: &Path, args: &[&str]) -> Server {
        let mut storage = storage_args(data);
        if on_postgres() {
            // A server on PostgreSQL names its key file (created on first start).
            storage.push("--secret-key-file".into());
            storage.push(data.join("secret.key").display().to_string());
        }
        Server::launch(data, storage, args)
    }

    /// A server on SQLite in `data`, whatever the suite's backend.
    pub fn sqlite_in(data: &Path, args: &[&str]) -> Server {
        let storage = vec!["--data".into(), data.display().to_string()];
        Server::launch(data, storage, args)
    }

    /// One node of a cluster: a server on the PostgreSQL database `url`, with a fresh
    /// directory for its log.
    pub fn node(url: &str, args: &[&str]) -> Server {
        let tmp = tempfile::tempdir().expect("tempdir");
        let key = tmp.path().join("secret.key");
        std::fs::write(&key, CLUSTER_KEY).unwrap();
        let storage = vec![
            "--database".into(),
            url.into(),
            "--secret-key-file".into(),
            key.display().to_string(),
        ];
        let mut s = Server::launch(tmp.path(), storage, args);
        s._tmp = Some(tmp);
        s
    }

    fn launch(data: &Path, storage: Vec<String>, args: &[&str]) -> Server {
        std::fs::create_dir_all(data).unwrap();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(data.join("server.log"))
            .ok();
        let mut child = Command::new(env!("CARGO_BIN_EXE_frontdesk-server"))
            .arg("--listen")
            .arg("127.0.0.1:0")
            .args(storage)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(log.map(Stdio::from).unwrap_or_else(Stdio::null))
            .spawn()
            .expect("start frontdesk-server");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let mut admin_password = None;
        let mut addr = None;
        for line in lines.by_ref() {
            let line = line.expect("read server stdout");
            if let Some(pw) = line.trim().strip_prefix("password:") {
                admin_password = Some(pw.trim().to_owned());
            }
            if let Some(a) = line.strip_prefix("frontdesk-server listening on http://") {
                addr = Some(a.trim().to_owned());
                break;
            }
        }
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let addr = addr.expect("server printed its address");
        Server {
            child,
            base: format!("http://{addr}"),
            ws_base: format!("ws://{addr}"),
            admin_password,
            data: data.to_owned(),
            _tmp: None,
        }
    }

    /// SIGKILL: no shutdown, no flush.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn api(&self) -> Api {
        Api {
            http: reqwest::Client::new(),
            base: self.base.clone(),
            ws_base: self.ws_base.clone(),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    pub ws_base: String,
}

/// A signed-in operator.
#[derive(Clone, Debug)]
pub struct Operator {
    pub id: String,
    pub name: String,
    pub email: String,
    pub token: String,
}

/// A website visitor with a session.
#[derive(Clone, Debug)]
pub struct Visitor {
    pub id: String,
    pub token: String,
}

impl Api {
    /// Any request; returns status and JSON body (Null when there is none).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
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
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call("GET", path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call("POST", path, Some(token), Some(body)).await
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
        assert_eq!(status, StatusCode::OK, "login failed: {body}");
        Operator {
            id: body["operator"]["id"].as_str().unwrap().to_owned(),
            name: body["operator"]["display_name"]
                .as_str()
                .unwrap()
                .to_owned(),
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

    /// Creates an operator account and signs it in.
    pub async fn operator(&self, admin: &Operator, name: &str) -> Operator {
        let email = format!(
            "{}-{}@example.com",
            name.to_lowercase(),
            uuid::Uuid::new_v4().simple()
        );
        let (status, body) = self
            .post("/api/operators", &admin.token, json!({"display_name": name, "email": email, "password": "correct horse", "role": "operator"}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "create operator: {body}");
        self.login(&email, "correct horse").await
    }

    pub async fn visitor(&self, name: Option<&str>) -> Visitor {
        let (status, body) = self
            .call(
                "POST",
                "/api/visitor/session",
                None,
                Some(json!({"name": name})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "visitor session: {body}");
        Visitor {
            id: body["visitor_id"].as_str().unwrap().to_owned(),
            token: body["token"].as_str().unwrap().to_owned(),
        }
    }

    /// The visitor asks for a person; returns the conversation.
    pub async fn ask_for_person(&self, v: &Visitor) -> Value {
        let (status, body) = self
            .call("POST", "/api/visitor/livechat", Some(&v.token), None)
            .await;
        assert_eq!(status, StatusCode::OK, "livechat: {body}");
        body
    }

    /// A new visitor's conversation, asked for and assigned to `op`: (visitor, conversation id).
    pub async fn assigned_chat(&self, op: &Operator) -> (Visitor, String) {
        let v = self.visitor(None).await;
        let id = self.ask_for_person(&v).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, body) = self
            .post(
                &format!("/api/conversations/{id}/assign"),
                &op.token,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "assign: {body}");
        (v, id)
    }

    /// Chooses online and opens the operator's stream; returns once the server counts them online.
    pub async fn go_online(&self, op: &Operator) -> Ws {
        let (status, body) = self
            .call(
                "PUT",
                "/api/me/presence",
                Some(&op.token),
                Some(json!({"online": true})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "presence: {body}");
        let mut ws = Ws::operator(self, &op.token, None).await;
        ws.ready().await;
        ws
    }

    pub async fn folder(&self, op: &Operator, folder: &str) -> Vec<String> {
        let (status, body) = self
            .get(
                &format!("/api/conversations?folder={folder}&limit=200"),
                &op.token,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["conversations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect()
    }

    pub async fn send_as_operator(
        &self,
        op: &Operator,
        conversation: &str,
        body: &str,
    ) -> (StatusCode, Value) {
        self.post(
            &format!("/api/conversations/{conversation}/messages"),
            &op.token,
            json!({"message_id": uuid::Uuid::now_v7(), "body": body}),
        )
        .await
    }

    pub async fn send_as_visitor(&self, v: &Visitor, body: &str) -> (StatusCode, Value) {
        self.post(
            "/api/visitor/messages",
            &v.token,
            json!({"message_id": uuid::Uuid::now_v7(), "body": body}),
        )
        .await
    }
}

type WsStream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A realtime connection.
pub struct Ws {
    pub stream: WsStream,
    /// The seq of the last event received.
    pub cursor: i64,
}

impl Ws {
    pub async fn connect(url: &str) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
        let (stream, _) = tokio_tungstenite::connect_async(url).await?;
        Ok(Ws { stream, cursor: 0 })
    }

    pub async fn operator(api: &Api, token: &str, since: Option<i64>) -> Ws {
        let since = since.map(|s| format!("&since={s}")).unwrap_or_default();
        Ws::connect(&format!(
            "{}/api/stream?access_token={token}{since}",
            api.ws_base
        ))
        .await
        .expect("operator ws")
    }

    pub async fn visitor(api: &Api, token: &str, since: Option<i64>) -> Ws {
        let since = since.map(|s| format!("&since={s}")).unwrap_or_default();
        Ws::connect(&format!(
            "{}/api/visitor/stream?access_token={token}{since}",
            api.ws_base
        ))
        .await
        .expect("visitor ws")
    }

    /// The next JSON frame, or None if nothing arrives within `wait` or the socket closed.
    pub async fn next_within(&mut self, wait: Duration) -> Option<Value> {
        loop {
            let msg = tokio::time::timeout(wait, self.stream.next())
                .await
                .ok()??
                .ok()?;
            match msg {
                Message::Text(t) => {
                    let v: Value =
                        serde_json::from_str(t.as_str()).expect("server frames are JSON");
                    if v["type"] == "event" {
                        let seq = v["seq"].as_i64().unwrap();
                        assert!(
                            seq > self.cursor,
                            "seq {seq} after {}: duplicate or out of order",
                            self.cursor
                        );
                        self.cursor = seq;
                    }
                    return Some(v);
                }
                Message::Close(_) => return None,
                _ => continue,
            }
        }
    }

    pub async fn next(&mut self) -> Value {
        self.next_within(Duration::from_secs(10))
            .await
            .expect("a frame within 10 s")
    }

    /// Waits for `ready`, returning its position.
    pub async fn ready(&mut self) -> i64 {
        loop {
            let f = self.next().await;
            if f["type"] == "ready" {
                return f["position"].as_i64().unwrap();
            }
        }
    }

    /// Frames until one matches; panics after 10 s.
    pub async fn until(&mut self, mut pred: impl FnMut(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let f = self
                .next_within(left)
                .await
                .expect("expected frame did not arrive");
            if pred(&f) {
                return f;
            }
        }
    }

    /// All frames that arrive until the stream is quiet for `quiet`.
    pub async fn drain(&mut self, quiet: Duration) -> Vec<Value> {
        let mut out = Vec::new();
        while let Some(f) = self.next_within(quiet).await {
            out.push(f);
        }
        out
    }

    pub async fn send(&mut self, frame: Value) {
        self.stream
            .send(Message::Text(frame.to_string().into()))
            .await
            .expect("ws send");
    }

    pub async fn close(mut self) {
        let _ = self.stream.close(None).await;
    }

    /// The next `presence` frame about `operator`, and how long it took to arrive.
    pub async fn presence_of(&mut self, operator: &Operator) -> (Value, Duration) {
        let started = std::time::Instant::now();
        let f = self
            .until(|f| f["type"] == "presence" && f["operator"]["operator_id"] == operator.id)
            .await;
        (f["operator"].clone(), started.elapsed())
    }
}

impl Api {
    pub async fn put(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call("PUT", path, Some(token), Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call("DELETE", path, Some(token), None).await
    }

    /// Signs in with a device name; returns the operator and the device session id.
    pub async fn login_device(
        &self,
        email: &str,
        password: &str,
        device: &str,
    ) -> (Operator, String) {
        let (status, body) = self
            .call(
                "POST",
                "/api/auth/login",
                None,
                Some(json!({"email": email, "password": password, "device": device})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "login failed: {body}");
        let op = Operator {
            id: body["operator"]["id"].as_str().unwrap().to_owned(),
            name: body["operator"]["display_name"]
                .as_str()
                .unwrap()
                .to_owned(),
            email: email.to_owned(),
            token: body["token"].as_str().unwrap().to_owned(),
        };
        (op, body["session_id"].as_str().unwrap().to_owned())
    }
}

/// Whether a frame is an event about `conversation`.
pub fn about(f: &Value, conversation: &str) -> bool {
    let e = &f["event"];
    f["type"] == "event"
        && (e["conversation"]["id"] == conversation
            || e["conversation_id"] == conversation
            || e["message"]["conversation_id"] == conversation)
}
