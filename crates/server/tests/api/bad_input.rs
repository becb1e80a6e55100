//! Bad input gets a clear 4xx `{code, message}` and changes nothing.

use crate::support::*;
use futures_util::SinkExt;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

async fn raw(
    api: &Api,
    method: &str,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, Value, String) {
    let mut req = api
        .http
        .request(method.parse().unwrap(), format!("{}{path}", api.base))
        .body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|h| h.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = resp.text().await.unwrap();
    let v = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("{method} {path}: body is not JSON: {text:?}"));
    (status, v, ct)
}

/// method, path, token, content type, body, expected status, expected code
type Case<'a> = (
    &'a str,
    String,
    Option<&'a str>,
    Option<&'a str>,
    Vec<u8>,
    StatusCode,
    &'a str,
);

fn is_error_shape(v: &Value) -> bool {
    v.as_object()
        .is_some_and(|o| o.len() == 2 && o["code"].is_string() && o["message"].is_string())
}

#[tokio::test]
async fn malformed_bodies_wrong_types_oversized_and_unknown_ids_are_4xx_json() {
    let server = Server::start(&[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let _ws = api.go_online(&admin).await;
    let (_v, id) = api.assigned_chat(&admin).await;
    let json_ct = Some("application/json");
    let send_path = format!("/api/conversations/{id}/messages");
    let t = Some(admin.token.as_str());
    let oversized = format!(
        r#"{{"message_id":"{}","body":"{}"}}"#,
        uuid::Uuid::now_v7(),
        "a".repeat(70 * 1024)
    );
    let cases: Vec<Case> = vec![
        ("POST", "/api/auth/login".into(), None, json_ct, b"{not json".to_vec(), StatusCode::BAD_REQUEST, "invalid_json"),
        ("POST", "/api/auth/login".into(), None, json_ct, br#"{"email": 5, "password": []}"#.to_vec(), StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
        ("POST", "/api/auth/login".into(), None, None, br#"{"email":"a","password":"b"}"#.to_vec(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
        ("POST", send_path.clone(), t, json_ct, b"[]".to_vec(), StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
        ("POST", send_path.clone(), t, json_ct, br#"{"message_id":"nope","body":"x"}"#.to_vec(), StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
        ("POST", send_path.clone(), t, json_ct, oversized.into_bytes(), StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
        ("POST", send_path.clone(), t, json_ct, json!({"message_id": uuid::Uuid::now_v7(), "body": "é".repeat(4001)}).to_string().into_bytes(), StatusCode::PAYLOAD_TOO_LARGE, "message_too_long"),
        ("POST", send_path.clone(), t, json_ct, json!({"message_id": uuid::Uuid::now_v7(), "body": "   "}).to_string().into_bytes(), StatusCode::UNPROCESSABLE_ENTITY, "empty_message"),
        ("GET", format!("/api/conversations/{}", uuid::Uuid::now_v7()), t, None, vec![], StatusCode::NOT_FOUND, "conversation_not_found"),
        ("POST", format!("/api/conversations/{}/assign", uuid::Uuid::now_v7()), t, None, vec![], StatusCode::NOT_FOUND, "conversation_not_found"),
        ("GET", "/api/conversations/not-a-uuid".into(), t, None, vec![], StatusCode::BAD_REQUEST, "invalid_id"),
        ("GET", "/api/conversations?folder=everything".into(), t, None, vec![], StatusCode::BAD_REQUEST, "invalid_query"),
        ("GET", "/api/conversations?folder=mine&cursor=abc".into(), t, None, vec![], StatusCode::BAD_REQUEST, "invalid_cursor"),
        ("POST", format!("/api/conversations/{id}/reassign"), t, json_ct, json!({"operator_id": uuid::Uuid::now_v7()}).to_string().into_bytes(), StatusCode::NOT_FOUND, "operator_not_found"),
        ("POST", format!("/api/operators/{}/disable", uuid::Uuid::now_v7()), t, None, vec![], StatusCode::NOT_FOUND, "operator_not_found"),
        ("POST", "/api/operators".into(), t, json_ct, json!({"display_name": "", "email": "x@example.com", "password": "12345678", "role": "operator"}).to_string().into_bytes(), StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
        ("POST", "/api/operators".into(), t, json_ct, json!({"display_name": "X", "email": "x@example.com", "password": "short", "role": "operator"}).to_string().into_bytes(), StatusCode::UNPROCESSABLE_ENTITY, "weak_password"),
        ("POST", "/api/operators".into(), t, json_ct, json!({"display_name": "X", "email": "x@example.com", "password": "12345678", "role": "god"}).to_string().into_bytes(), StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
        ("POST", "/api/operators".into(), t, json_ct, json!({"display_name": "X", "email": ADMIN_EMAIL.to_uppercase(), "password": "12345678", "role": "operator"}).to_string().into_bytes(), StatusCode::CONFLICT, "email_taken"),
        ("GET", "/api/nothing-here".into(), None, None, vec![], StatusCode::NOT_FOUND, "no_such_endpoint"),
        ("DELETE", "/api/me".into(), t, None, vec![], StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
        ("GET", "/api/stream".into(), t, None, vec![], StatusCode::UPGRADE_REQUIRED, "websocket_required"),
        ("POST", "/api/visitor/session".into(), None, json_ct, json!({"name": "x".repeat(500)}).to_string().into_bytes(), StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
    ];
    for (method, path, token, ct, body, want, code) in cases {
        let (status, v, content_type) = raw(&api, method, &path, token, ct, body).await;
        assert_eq!(
            (status, v["code"].as_str()),
            (want, Some(code)),
            "{method} {path}: {v}"
        );
        assert!(is_error_shape(&v), "{method} {path}: {v}");
        assert!(
            content_type.starts_with("application/json"),
            "{method} {path}: {content_type}"
        );
    }
    // Nothing was half-written: the conversation holds only the system messages.
    let (_, detail) = api
        .get(&format!("/api/conversations/{id}"), &admin.token)
        .await;
    assert!(
        detail["messages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["author"] == "system" || m["author"] == "bot"),
        "{detail}"
    );
    let (_, ops) = api.get("/api/operators", &admin.token).await;
    assert_eq!(ops.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_same_message_id_stores_one_message() {
    let server = Server::start(&[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let _ws = api.go_online(&admin).await;
    let (v, id) = api.assigned_chat(&admin).await;
    let body = json!({"message_id": uuid::Uuid::now_v7(), "body": "once"});
    let first = api
        .post("/api/visitor/messages", &v.token, body.clone())
        .await;
    let again = api
        .post("/api/visitor/messages", &v.token, body.clone())
        .await;
    assert_eq!(first.0, StatusCode::CREATED);
    assert_eq!(
        again.0,
        StatusCode::OK,
        "a retry is answered with the stored message"
    );
    assert_eq!(first.1, again.1);
    // The same id from someone else is a conflict, not a second message.
    let (s, b) = api
        .post(
            &format!("/api/conversations/{id}/messages"),
            &admin.token,
            body,
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::CONFLICT, Some("message_id_taken"))
    );
    let (_, detail) = api
        .get(&format!("/api/conversations/{id}"), &admin.token)
        .await;
    assert_eq!(
        detail["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["body"] == "once")
            .count(),
        1
    );
}

#[tokio::test]
async fn hostile_text_is_stored_and_returned_verbatim_as_data() {
    let server = Server::start(&[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let _ws = api.go_online(&admin).await;
    let name = "<img src=x onerror=alert(1)>\u{202e}";
    let v = api.visitor(Some(name)).await;
    let id = api.ask_for_person(&v).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    api.post(
        &format!("/api/conversations/{id}/assign"),
        &admin.token,
        json!({}),
    )
    .await;
    let hostile = "<script>alert('x')</script>\u{7}'; DROP TABLE messages; -- 🙂 \"quoted\"";
    assert_eq!(
        api.send_as_visitor(&v, hostile).await.0,
        StatusCode::CREATED
    );
    // NUL is the one character a message may not hold (no backend stores it alike).
    let (status, body) = api.send_as_visitor(&v, "before\u{0}after").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["code"], "invalid_message");
    let (_, detail) = api
        .get(&format!("/api/conversations/{id}"), &admin.token)
        .await;
    assert_eq!(detail["conversation"]["visitor_name"], name.trim());
    assert!(detail["messages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["body"] == hostile));
}

#[tokio::test]
async fn bad_realtime_frames_get_error_frames_and_huge_ones_close_the_socket() {
    let server = Server::start(&[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let mut ws = api.go_online(&admin).await;
    for (frame, code) in [
        ("{oops".to_owned(), "invalid_frame"),
        (json!({"type": "teleport"}).to_string(), "invalid_frame"),
        (json!({"type": "send", "conversation_id": 5}).to_string(), "invalid_frame"),
        (json!({"type": "send", "conversation_id": uuid::Uuid::now_v7(), "message_id": uuid::Uuid::now_v7(), "body": "x"}).to_string(), "conversation_not_found"),
        (format!(r#"{{"type":"ping","pad":"{}"}}"#, "p".repeat(100 * 1024)), "frame_too_large"),
    ] {
        ws.stream.send(Message::Text(frame.into())).await.unwrap();
        let f = ws.until(|f| f["type"] == "error").await;
        assert_eq!(f["code"], code, "{f}");
    }
    ws.stream
        .send(Message::Binary(vec![1, 2, 3].into()))
        .await
        .unwrap();
    assert_eq!(
        ws.until(|f| f["type"] == "error").await["code"],
        "unsupported_frame"
    );
    // Still usable.
    ws.send(json!({"type": "ping"})).await;
    assert_eq!(ws.until(|f| f["type"] == "pong").await["type"], "pong");
    // Above the hard limit the WebSocket layer closes the connection.
    let _ = ws
        .stream
        .send(Message::Text("z".repeat(2 * 1024 * 1024).into()))
        .await;
    assert!(
        ws.next_within(Duration::from_secs(5)).await.is_none(),
        "the socket should close"
    );
    // The server is fine.
    assert_eq!(
        api.call("GET", "/healthz", None, None).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_openapi_document_describes_the_api() {
    let server = Server::start(&[]);
    let api = server.api();
    let (status, doc) = api.call("GET", "/api/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert!(doc["paths"]["/api/auth/login"]["post"].is_object());
    for path in [
        "/api/conversations",
        "/api/conversations/{id}/assign",
        "/api/visitor/livechat",
        "/api/stream",
        "/healthz",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
}

/// Reads one HTTP/1.1 response (headers and a `Content-Length` body) from `sock`.
async fn read_response(sock: &mut tokio::net::TcpStream) -> Option<(String, String)> {
    use tokio::io::AsyncReadExt;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map(|v| v.trim().parse().unwrap())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                let body = String::from_utf8_lossy(&buf[end + 4..end + 4 + len]).into_owned();
                buf.drain(..end + 4 + len);
                return Some((head, body));
            }
        }
        let n = tokio::time::timeout(Duration::from_secs(3), sock.read(&mut chunk))
            .await
            .ok()?
            .ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// A refused request must not leave a kept-alive connection silently dead: a pooled client
/// that sends its next request on it has to get an answer (or be told the connection closes).
#[tokio::test]
async fn a_refused_request_with_a_late_body_keeps_the_connection_usable() {
    use tokio::io::AsyncWriteExt;
    let server = Server::start(&[]);
    let addr = server.base.trim_start_matches("http://").to_owned();
    let mut sock = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let body = r#"{"message_id":"0190a6b8-0000-7000-8000-000000000000","body":"hi"}"#;
    // The headers first, no token; the body a moment later (as a client under load sends it).
    sock.write_all(
        format!(
            "POST /api/visitor/messages HTTP/1.1\r\nHost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    sock.write_all(body.as_bytes()).await.unwrap();
    let (head, answer) = read_response(&mut sock).await.expect("an answer");
    assert!(head.starts_with("http/1.1 401"), "{head}");
    assert!(answer.contains("\"code\""), "{answer}");
    // The next request on the same connection is answered.
    // (The write itself may fail if the server closed the connection.)
    let _ = sock
        .write_all(format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
        .await;
    let next = read_response(&mut sock).await;
    let announced_close = head.contains("connection: close");
    assert!(
        announced_close
            || next
                .as_ref()
                .is_some_and(|(h, _)| h.starts_with("http/1.1 200")),
        "the connection died without saying so: {head}"
    );

    // A body larger than the limit is refused at once, and the close is announced.
    let mut sock = tokio::net::TcpStream::connect(&addr).await.unwrap();
    sock.write_all(
        format!(
            "POST /api/visitor/messages HTTP/1.1\r\nHost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            10 * 1024 * 1024
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let (head, answer) = read_response(&mut sock).await.expect("an answer");
    assert!(head.starts_with("http/1.1 413"), "{head}");
    assert!(head.contains("connection: close"), "{head}");
    assert!(answer.contains("payload_too_large"), "{answer}");
}
