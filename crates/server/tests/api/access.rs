//! Access: every operator endpoint refuses missing, expired, foreign and visitor tokens;
//! a visitor token reaches only its own conversation.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

/// Every operator endpoint, with a body where it takes one. `{id}` is replaced.
fn operator_endpoints(id: &str, other: &str) -> Vec<(&'static str, String, Option<Value>)> {
    vec![
        ("GET", "/api/me".into(), None),
        (
            "PUT",
            "/api/me/presence".into(),
            Some(json!({"online": true})),
        ),
        (
            "POST",
            "/api/me/password".into(),
            Some(json!({"current_password": "x", "new_password": "yyyyyyyy"})),
        ),
        ("POST", "/api/auth/logout".into(), None),
        ("GET", "/api/operators/online".into(), None),
        ("GET", "/api/conversations?folder=unassigned".into(), None),
        ("GET", "/api/conversations?folder=mine".into(), None),
        ("GET", "/api/conversations?folder=closed".into(), None),
        ("GET", format!("/api/conversations/{id}"), None),
        (
            "POST",
            format!("/api/conversations/{id}/messages"),
            Some(json!({"message_id": uuid::Uuid::now_v7(), "body": "hi"})),
        ),
        ("POST", format!("/api/conversations/{id}/assign"), None),
        (
            "POST",
            format!("/api/conversations/{id}/reassign"),
            Some(json!({"operator_id": other})),
        ),
        ("POST", format!("/api/conversations/{id}/close"), None),
        ("GET", "/api/operators".into(), None),
        (
            "POST",
            "/api/operators".into(),
            Some(
                json!({"display_name": "X", "email": "x@example.com", "password": "12345678", "role": "admin"}),
            ),
        ),
        ("POST", format!("/api/operators/{other}/disable"), None),
    ]
}

fn assert_error(status: StatusCode, body: &Value, want: StatusCode, what: &str) {
    assert_eq!(status, want, "{what}: {body}");
    assert!(
        body["code"].is_string() && body["message"].is_string(),
        "{what}: not {{code, message}}: {body}"
    );
}

#[tokio::test]
async fn operator_endpoints_refuse_missing_invalid_and_visitor_tokens() {
    let server = Server::start(&[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let v = api.visitor(None).await;
    let id = api.ask_for_person(&v).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (method, path, body) in operator_endpoints(&id, &admin.id) {
        let (s, b) = api.call(method, &path, None, body.clone()).await;
        assert_error(
            s,
            &b,
            StatusCode::UNAUTHORIZED,
            &format!("{method} {path} without token"),
        );
        let (s, b) = api
            .call(method, &path, Some("not-a-token"), body.clone())
            .await;
        assert_error(
            s,
            &b,
            StatusCode::UNAUTHORIZED,
            &format!("{method} {path} with a made-up token"),
        );
        let (s, b) = api.call(method, &path, Some(&v.token), body.clone()).await;
        assert_error(
            s,
            &b,
            StatusCode::FORBIDDEN,
            &format!("{method} {path} with a visitor token"),
        );
    }
    // The streams too, before any upgrade.
    for path in ["/api/stream", "/api/stream?access_token=nope"] {
        let err = Ws::connect(&format!("{}{path}", api.ws_base))
            .await
            .err()
            .expect("refused");
        assert!(err.to_string().contains("401"), "{path}: {err}");
    }
    let err = Ws::connect(&format!(
        "{}/api/stream?access_token={}",
        api.ws_base, v.token
    ))
    .await
    .err()
    .expect("refused");
    assert!(err.to_string().contains("403"), "{err}");
    let err = Ws::connect(&format!(
        "{}/api/visitor/stream?access_token={}",
        api.ws_base, admin.token
    ))
    .await
    .err()
    .expect("refused");
    assert!(err.to_string().contains("403"), "{err}");
    // Visitor endpoints refuse operator tokens.
    for (method, path) in [
        ("POST", "/api/visitor/livechat"),
        ("GET", "/api/visitor/conversation"),
        ("POST", "/api/visitor/messages"),
    ] {
        let body =
            (method == "POST").then(|| json!({"message_id": uuid::Uuid::now_v7(), "body": "x"}));
        let (s, b) = api.call(method, path, Some(&admin.token), body).await;
        assert_error(
            s,
            &b,
            StatusCode::FORBIDDEN,
            &format!("{method} {path} with an operator token"),
        );
    }
}

#[tokio::test]
async fn expired_tokens_are_refused_everywhere() {
    let server = Server::start(&["--token-ttl-secs", "1", "--visitor-token-ttl-secs", "1"]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let v = api.visitor(None).await;
    let id = api.ask_for_person(&v).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    for (method, path, body) in operator_endpoints(&id, &admin.id) {
        let (s, b) = api.call(method, &path, Some(&admin.token), body).await;
        assert_error(
            s,
            &b,
            StatusCode::UNAUTHORIZED,
            &format!("{method} {path} with an expired token"),
        );
        assert_eq!(b["code"], "token_expired");
    }
    let (s, b) = api.get("/api/visitor/conversation", &v.token).await;
    assert_error(s, &b, StatusCode::UNAUTHORIZED, "expired visitor token");
    let err = Ws::connect(&format!(
        "{}/api/stream?access_token={}",
        api.ws_base, admin.token
    ))
    .await
    .err()
    .expect("refused");
    assert!(err.to_string().contains("401"), "{err}");
}

#[tokio::test]
async fn operators_cannot_touch_a_colleagues_conversation_nor_admin_actions() {
    let server = Server::start(&[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let a = api.operator(&admin, "Ann").await;
    let b = api.operator(&admin, "Bob").await;
    let _wa = api.go_online(&a).await;
    let _wb = api.go_online(&b).await;
    let (_v, id) = api.assigned_chat(&a).await;
    let refused = [
        (
            "GET",
            format!("/api/conversations/{id}"),
            None,
            StatusCode::NOT_FOUND,
        ),
        (
            "POST",
            format!("/api/conversations/{id}/messages"),
            Some(json!({"message_id": uuid::Uuid::now_v7(), "body": "hi"})),
            StatusCode::NOT_FOUND,
        ),
        (
            "POST",
            format!("/api/conversations/{id}/reassign"),
            Some(json!({"operator_id": b.id})),
            StatusCode::NOT_FOUND,
        ),
        (
            "POST",
            format!("/api/conversations/{id}/close"),
            None,
            StatusCode::NOT_FOUND,
        ),
        (
            "POST",
            format!("/api/conversations/{id}/assign"),
            None,
            StatusCode::CONFLICT,
        ),
    ];
    for (method, path, body, want) in refused {
        for who in [&b, &admin] {
            let (s, body_out) = api
                .call(method, &path, Some(&who.token), body.clone())
                .await;
            assert_error(s, &body_out, want, &format!("{} {method} {path}", who.name));
        }
    }
    // Admin actions by an operator.
    for (method, path, body) in [
        ("GET", "/api/operators".to_owned(), None),
        (
            "POST",
            "/api/operators".to_owned(),
            Some(
                json!({"display_name": "X", "email": "x@example.com", "password": "12345678", "role": "admin"}),
            ),
        ),
        ("POST", format!("/api/operators/{}/disable", b.id), None),
    ] {
        let (s, out) = api.call(method, &path, Some(&a.token), body).await;
        assert_error(
            s,
            &out,
            StatusCode::FORBIDDEN,
            &format!("operator {method} {path}"),
        );
        assert_eq!(out["code"], "admin_only");
    }
    // Nothing changed: B is still enabled and A still owns the conversation.
    let (_, ops) = api.get("/api/operators", &admin.token).await;
    assert!(ops
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o["disabled"] == false));
    assert_eq!(api.folder(&a, "mine").await, vec![id]);
}

#[tokio::test]
async fn a_visitor_reaches_only_their_own_conversation() {
    let server = Server::start(&[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let _ws = api.go_online(&admin).await;
    let mallory = api.visitor(Some("Mallory")).await;
    let victim = api.visitor(Some("Victor")).await;
    let victim_conv = api.ask_for_person(&victim).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    api.ask_for_person(&mallory).await;
    let mut ws = Ws::visitor(&api, &mallory.token, None).await;
    ws.ready().await;
    ws.send(json!({"type": "send", "conversation_id": victim_conv, "message_id": uuid::Uuid::now_v7(), "body": "injected"})).await;
    let err = ws.until(|f| f["type"] == "error").await;
    assert_eq!(err["code"], "conversation_not_found");
    let (_, own) = api.get("/api/visitor/conversation", &mallory.token).await;
    assert_ne!(own["conversation"]["id"], victim_conv.as_str());
    let (_, detail) = api
        .get(&format!("/api/conversations/{victim_conv}"), &admin.token)
        .await;
    assert!(detail["messages"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["body"] != "injected"));
    // Mallory's stream carries nothing of Victor's conversation.
    api.send_as_visitor(&victim, "private").await;
    let leaked: Vec<_> = ws
        .drain(Duration::from_millis(300))
        .await
        .into_iter()
        .filter(|f| about(f, &victim_conv))
        .collect();
    assert!(leaked.is_empty(), "{leaked:?}");
}

#[tokio::test]
async fn disabling_an_operator_ends_their_sessions_at_once() {
    let server = Server::start(&[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let a = api.operator(&admin, "Ann").await;
    let mut ws = api.go_online(&a).await;
    let (status, body) = api
        .post(
            &format!("/api/operators/{}/disable", a.id),
            &admin.token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["disabled"], true);
    let bye = ws.until(|f| f["type"] == "bye").await;
    assert_eq!(bye["code"], "account_disabled");
    let (s, b) = api.get("/api/me", &a.token).await;
    assert_error(s, &b, StatusCode::UNAUTHORIZED, "disabled operator's token");
    let (s, b) = api
        .call(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({"email": a.email, "password": "correct horse"})),
        )
        .await;
    assert_error(s, &b, StatusCode::FORBIDDEN, "disabled operator's login");
    assert!(api
        .get("/api/operators/online", &admin.token)
        .await
        .1
        .as_array()
        .unwrap()
        .is_empty());
    // An admin cannot lock themself out.
    let (s, b) = api
        .post(
            &format!("/api/operators/{}/disable", admin.id),
            &admin.token,
            json!({}),
        )
        .await;
    assert_error(s, &b, StatusCode::CONFLICT, "disable self");
}

#[tokio::test]
async fn logout_revokes_the_token() {
    let server = Server::start(&[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let mut ws = api.go_online(&admin).await;
    assert_eq!(
        api.call("POST", "/api/auth/logout", Some(&admin.token), None)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(ws.until(|f| f["type"] == "bye").await["code"], "signed_out");
    let (s, b) = api.get("/api/me", &admin.token).await;
    assert_error(s, &b, StatusCode::UNAUTHORIZED, "after logout");
    let (s, b) = api
        .call(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({"email": ADMIN_EMAIL, "password": "wrong password"})),
        )
        .await;
    assert_error(s, &b, StatusCode::UNAUTHORIZED, "wrong password");
    assert_eq!(b["code"], "invalid_credentials");
}

#[tokio::test]
async fn a_disabled_operators_chats_go_back_to_unassigned() {
    let server = Server::start(&[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let a = api.operator(&admin, "Ann").await;
    let b = api.operator(&admin, "Bob").await;
    let _wa = api.go_online(&a).await;
    let mut wb = api.go_online(&b).await;
    let (v, id) = api.assigned_chat(&a).await;
    let (status, _) = api
        .post(
            &format!("/api/operators/{}/disable", a.id),
            &admin.token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // Back in Unassigned for the others, announced on their stream, with the bot's name again.
    assert_eq!(api.folder(&b, "unassigned").await, vec![id.clone()]);
    // B saw it leave Unassigned when Ann took it, and now sees it come back.
    let gone = wb
        .until(|f| about(f, &id) && f["event"]["kind"] == "conversation_removed")
        .await;
    assert!(gone["seq"].as_i64().is_some());
    let f = wb
        .until(|f| about(f, &id) && f["event"]["kind"] != "message")
        .await;
    assert_eq!(f["event"]["kind"], "conversation_upsert");
    assert_eq!(f["event"]["conversation"]["state"], "waiting");
    let (_, s) = api.get("/api/visitor/conversation", &v.token).await;
    assert_eq!(s["conversation"]["display_name"], "Frontdesk Bot");
    assert!(s["messages"].as_array().unwrap().last().unwrap()["body"]
        .as_str()
        .unwrap()
        .contains("had to leave"));
    assert_eq!(
        api.post(
            &format!("/api/conversations/{id}/assign"),
            &b.token,
            json!({})
        )
        .await
        .0,
        StatusCode::OK
    );
}

/// One rule for status codes: 404 for what an operator may not see, 409 for a state conflict
/// on what they may see.
#[tokio::test]
async fn status_codes_never_reveal_or_hide_a_conversation() {
    let server = Server::start(&[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let b = api.operator(&admin, "Bob").await;

    // Still with the bot: nobody may see it, so every action answers 404 like a read.
    let playbook = crate::playbooks::demo_playbook(&api, &admin).await;
    let v = crate::playbooks::playbook_visitor(&api, &playbook).await;
    let (_, s) = api.post("/api/visitor/start", &v.token, json!({})).await;
    assert_eq!(s["conversation"]["state"], "bot");
    let id = s["conversation"]["id"].as_str().unwrap().to_owned();
    for (method, path, body) in [
        ("GET", format!("/api/conversations/{id}"), None),
        ("POST", format!("/api/conversations/{id}/assign"), None),
        (
            "POST",
            format!("/api/conversations/{id}/reassign"),
            Some(json!({"operator_id": b.id})),
        ),
        ("POST", format!("/api/conversations/{id}/close"), None),
        (
            "POST",
            format!("/api/conversations/{id}/messages"),
            Some(json!({"message_id": uuid::Uuid::now_v7(), "body": "hi"})),
        ),
    ] {
        let (status, out) = api.call(method, &path, Some(&admin.token), body).await;
        assert_error(
            status,
            &out,
            StatusCode::NOT_FOUND,
            &format!("bot: {method} {path}"),
        );
        assert_eq!(out["code"], "conversation_not_found");
    }

    // Offline mode: every operator may read it, so writing into it is a state conflict.
    let v = api.visitor(None).await;
    let offline = api.ask_for_person(&v).await;
    assert_eq!(offline["state"], "offline");
    let id = offline["id"].as_str().unwrap();
    assert_eq!(
        api.get(&format!("/api/conversations/{id}"), &admin.token)
            .await
            .0,
        StatusCode::OK
    );
    let (status, out) = api.send_as_operator(&admin, id, "hello?").await;
    assert_error(status, &out, StatusCode::CONFLICT, "offline: send");
    assert_eq!(out["code"], "offline_mode");
    let (status, out) = api
        .post(
            &format!("/api/conversations/{id}/assign"),
            &admin.token,
            json!({}),
        )
        .await;
    assert_error(status, &out, StatusCode::CONFLICT, "offline: assign");
}
