//! The whole conversation lifecycle through the real server (S4, S8–S11, S14).

use crate::support::*;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn visitor_to_unassigned_to_assigned_reassigned_and_closed() {
    let server = Server::start(&[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let a = api.operator(&admin, "Ann").await;
    let b = api.operator(&admin, "Bob").await;
    let c = api.operator(&admin, "Cid").await; // never online
    let mut ws_a = api.go_online(&a).await;
    let mut ws_b = api.go_online(&b).await;

    // The visitor asks for a person while operators are online: Unassigned for everyone.
    let v = api.visitor(Some("Vera")).await;
    let mut ws_v = Ws::visitor(&api, &v.token, None).await;
    ws_v.ready().await;
    let conv = api.ask_for_person(&v).await;
    assert_eq!(conv["state"], "waiting");
    assert!(conv["wait_deadline"].as_i64().unwrap() > conv["created_at"].as_i64().unwrap());
    let id = conv["id"].as_str().unwrap().to_owned();
    let online = ws_v.until(|f| f["event"]["kind"] == "message").await;
    assert_eq!(online["event"]["message"]["author"], "bot");
    for (op, ws) in [(&a, &mut ws_a), (&b, &mut ws_b)] {
        assert_eq!(api.folder(op, "unassigned").await, vec![id.clone()]);
        let f = ws.until(|f| about(f, &id)).await;
        assert_eq!(f["event"]["kind"], "conversation_upsert");
        assert_eq!(f["event"]["conversation"]["state"], "waiting");
    }

    // A assigns: the visitor sees that Ann joined, and the bot's name becomes Ann's (S9).
    let (status, body) = api
        .post(
            &format!("/api/conversations/{id}/assign"),
            &a.token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["assignee_id"], a.id.as_str());
    let joined = ws_v.until(|f| f["event"]["kind"] == "message").await;
    assert_eq!(joined["event"]["message"]["body"], "Ann joined the chat");
    let (_, vc) = api.get("/api/visitor/conversation", &v.token).await;
    assert_eq!(vc["conversation"]["display_name"], "Ann");
    assert_eq!(api.folder(&a, "mine").await, vec![id.clone()]);
    let got = ws_a
        .until(|f| about(f, &id) && f["event"]["kind"] == "conversation_upsert")
        .await;
    assert_eq!(got["event"]["conversation"]["assignee_id"], a.id.as_str());
    // The upsert carries the row, not the transcript: the assignee fetches it by seq.
    let count = got["event"]["conversation"]["message_count"]
        .as_i64()
        .unwrap();
    assert!(count > 0, "{got}");
    let (status, page) = api
        .get(
            &format!("/api/conversations/{id}/messages?after_seq=0"),
            &a.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let seqs: Vec<i64> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect();
    // ("Ann joined" was added after the upsert: the history has grown since.)
    assert!(seqs.len() as i64 >= count);
    assert_eq!(
        seqs,
        (1..=seqs.len() as i64).collect::<Vec<_>>(),
        "numbered without gaps"
    );

    // B no longer sees it anywhere: list, read, send, socket (S10).
    let next = ws_b
        .until(|f| about(f, &id) && f["event"]["kind"] != "message")
        .await;
    assert_eq!(next["event"]["kind"], "conversation_removed");
    assert!(api.folder(&b, "unassigned").await.is_empty());
    assert!(api.folder(&b, "mine").await.is_empty());
    assert_eq!(
        api.get(&format!("/api/conversations/{id}"), &b.token)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.send_as_operator(&b, &id, "let me help").await.0,
        StatusCode::NOT_FOUND
    );
    let (status, body) = api
        .post(
            &format!("/api/conversations/{id}/assign"),
            &b.token,
            json!({}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("already_assigned"))
    );

    // Messages both ways.
    let (status, _) = api
        .send_as_visitor(&v, "Hello, is the Pro plan available yearly?")
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let m = ws_a
        .until(|f| f["event"]["kind"] == "message" && f["event"]["message"]["author"] == "visitor")
        .await;
    assert_eq!(
        m["event"]["message"]["body"],
        "Hello, is the Pro plan available yearly?"
    );
    assert_eq!(m["event"]["message"]["author"], "visitor");
    let (status, _) = api
        .send_as_operator(&a, &id, "Yes, with two months free.")
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let m = ws_v
        .until(|f| f["event"]["kind"] == "message" && f["event"]["message"]["author"] == "operator")
        .await;
    assert_eq!(m["event"]["message"]["body"], "Yes, with two months free.");
    assert_eq!(m["event"]["message"]["author_name"], "Ann");
    // B's socket heard nothing of it.
    let leaked: Vec<_> = ws_b
        .drain(Duration::from_millis(300))
        .await
        .into_iter()
        .filter(|f| about(f, &id))
        .collect();
    assert!(
        leaked.is_empty(),
        "B received events of A's conversation: {leaked:?}"
    );

    // Reassign: to an offline operator refused; to online B accepted (S11).
    let (status, body) = api
        .post(
            &format!("/api/conversations/{id}/reassign"),
            &a.token,
            json!({"operator_id": c.id}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("operator_offline"))
    );
    let (status, body) = api
        .post(
            &format!("/api/conversations/{id}/reassign"),
            &a.token,
            json!({"operator_id": b.id}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let next = ws_a
        .until(|f| about(f, &id) && f["event"]["kind"] != "message")
        .await;
    assert_eq!(next["event"]["kind"], "conversation_removed");
    let whole = ws_b.until(|f| about(f, &id)).await;
    assert_eq!(whole["event"]["kind"], "conversation_upsert");
    assert!(whole["event"]["conversation"]["message_count"].as_i64() >= Some(3));
    let (_, page) = api
        .get(&format!("/api/conversations/{id}/messages"), &b.token)
        .await;
    let history: Vec<_> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].clone())
        .collect();
    assert!(
        history.contains(&json!("Yes, with two months free.")),
        "B gets the whole conversation: {history:?}"
    );
    assert!(api.folder(&a, "mine").await.is_empty());
    assert_eq!(api.folder(&b, "mine").await, vec![id.clone()]);
    assert_eq!(
        api.get(&format!("/api/conversations/{id}"), &a.token)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let joined = ws_v
        .until(|f| f["event"]["kind"] == "message" && f["event"]["message"]["author"] == "system")
        .await;
    assert_eq!(joined["event"]["message"]["body"], "Bob joined the chat");

    // Close (S14): both see it in Closed; it cannot be reassigned, reopened or written to.
    let (status, body) = api
        .post(
            &format!("/api/conversations/{id}/close"),
            &b.token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "closed");
    for op in [&a, &b, &c] {
        assert_eq!(api.folder(op, "closed").await, vec![id.clone()]);
        let (status, detail) = api
            .get(&format!("/api/conversations/{id}"), &op.token)
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(detail["conversation"]["state"], "closed");
    }
    let refused = [
        api.post(
            &format!("/api/conversations/{id}/reassign"),
            &b.token,
            json!({"operator_id": a.id}),
        )
        .await,
        api.post(
            &format!("/api/conversations/{id}/assign"),
            &a.token,
            json!({}),
        )
        .await,
        api.post(
            &format!("/api/conversations/{id}/assign"),
            &b.token,
            json!({}),
        )
        .await,
        api.post(
            &format!("/api/conversations/{id}/close"),
            &b.token,
            json!({}),
        )
        .await,
        api.send_as_operator(&b, &id, "one more thing").await,
        api.send_as_operator(&a, &id, "one more thing").await,
    ];
    for (status, body) in refused {
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::CONFLICT, Some("conversation_closed")),
            "{body}"
        );
    }
    // The visitor cannot write into it either; asking again starts a new conversation.
    ws_v.send(json!({"type": "send", "conversation_id": id, "message_id": uuid::Uuid::now_v7(), "body": "hello?"})).await;
    let err = ws_v.until(|f| f["type"] == "error").await;
    assert_eq!(err["code"], "conversation_closed");
    let again = api.ask_for_person(&v).await;
    assert_ne!(again["id"], id.as_str());
    let (_, detail) = api.get(&format!("/api/conversations/{id}"), &a.token).await;
    assert_eq!(
        detail["messages"].as_array().unwrap().last().unwrap()["body"],
        "The chat has ended."
    );
}

#[tokio::test]
async fn nobody_online_goes_straight_to_offline_mode() {
    let server = Server::start(&[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    // Chose online but holds no connection: not online (B4).
    let (status, _) = api
        .call(
            "PUT",
            "/api/me/presence",
            Some(&admin.token),
            Some(json!({"online": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let v = api.visitor(None).await;
    let conv = api.ask_for_person(&v).await;
    assert_eq!(conv["state"], "offline");
    let (_, detail) = api.get("/api/visitor/conversation", &v.token).await;
    let last = detail["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert!(
        last["body"]
            .as_str()
            .unwrap()
            .contains("nobody is available"),
        "{last}"
    );
    assert!(api.folder(&admin, "unassigned").await.is_empty());
}

#[tokio::test]
async fn wait_time_expiry_moves_to_offline_mode_once() {
    let server = Server::start(&["--wait-time-secs", "1"]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let _ws = api.go_online(&admin).await;
    let v = api.visitor(None).await;
    let mut ws_v = Ws::visitor(&api, &v.token, None).await;
    ws_v.ready().await;
    assert_eq!(api.ask_for_person(&v).await["state"], "waiting");
    let f = ws_v
        .until(|f| f["event"]["conversation"]["state"] == "offline")
        .await;
    assert_eq!(f["event"]["kind"], "conversation_upsert");
    let offline = ws_v.until(|f| f["event"]["kind"] == "message").await;
    assert!(offline["event"]["message"]["body"]
        .as_str()
        .unwrap()
        .contains("nobody is available"));
    assert!(api.folder(&admin, "unassigned").await.is_empty());
    // Once: the timer's rescans and a restart-style re-arm must not add a second expiry.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (_, detail) = api.get("/api/visitor/conversation", &v.token).await;
    let expiries = detail["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["body"].as_str().unwrap().contains("nobody is available"))
        .count();
    assert_eq!(expiries, 1);
}

#[tokio::test]
async fn presence_lapses_after_the_grace_period() {
    let server = Server::start(&["--presence-grace-ms", "300"]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let ws = api.go_online(&admin).await;
    let (_, online) = api.get("/api/operators/online", &admin.token).await;
    assert_eq!(online.as_array().unwrap().len(), 1);
    ws.close().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        api.get("/api/operators/online", &admin.token)
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        1,
        "within grace"
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(api
        .get("/api/operators/online", &admin.token)
        .await
        .1
        .as_array()
        .unwrap()
        .is_empty());
    let v = api.visitor(None).await;
    assert_eq!(
        api.ask_for_person(&v).await["state"],
        "offline",
        "no chat is routed to a dropped operator"
    );
}

#[tokio::test]
async fn folders_paginate_with_cursors() {
    let server = Server::start(&[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let _ws = api.go_online(&admin).await;
    let mut ids = Vec::new();
    for _ in 0..7 {
        let v = api.visitor(None).await;
        ids.push(
            api.ask_for_person(&v).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, page) = api
            .get(
                &format!("/api/conversations?folder=unassigned&limit=3&cursor={cursor}"),
                &admin.token,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        seen.extend(
            page["conversations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, ids, "oldest first, each once");
}
