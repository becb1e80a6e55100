//! Message ids are the client's idempotency keys: a retry is answered as a duplicate, a
//! different text under a used id is refused, on REST and on both streams.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

async fn bodies_with_id(api: &Api, op: &Operator, conversation: &str, id: Uuid) -> Vec<Value> {
    let (_, detail) = api
        .get(&format!("/api/conversations/{conversation}"), &op.token)
        .await;
    detail["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["id"] == id.to_string())
        .map(|m| m["body"].clone())
        .collect()
}

/// Sends `body` under `id` on a stream; returns the answer frame (ack or error).
async fn send_frame(ws: &mut Ws, conversation: &str, id: Uuid, body: &str) -> Value {
    ws.send(
        json!({"type": "send", "conversation_id": conversation, "message_id": id, "body": body}),
    )
    .await;
    ws.until(|f| (f["type"] == "ack" || f["type"] == "error") && f["message_id"] == id.to_string())
        .await
}

#[tokio::test]
async fn a_reused_message_id_with_another_text_is_refused_on_rest_and_both_streams() {
    let server = Server::start(&[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let mut op_ws = api.go_online(&admin).await;
    let (v, conversation) = api.assigned_chat(&admin).await;

    // REST (visitor): 201, a retry 200, another text 409 — the stored text stays.
    let id = Uuid::now_v7();
    let send = |body: &'static str| {
        let api = api.clone();
        let token = v.token.clone();
        async move {
            api.post(
                "/api/visitor/messages",
                &token,
                json!({"message_id": id, "body": body}),
            )
            .await
        }
    };
    assert_eq!(send("original").await.0, StatusCode::CREATED);
    let (s, retry) = send("original").await;
    assert_eq!(
        (s, retry["body"].as_str()),
        (StatusCode::OK, Some("original"))
    );
    let (s, err) = send("changed").await;
    assert_eq!(
        (s, err["code"].as_str()),
        (StatusCode::CONFLICT, Some("message_id_taken")),
        "{err}"
    );
    assert_eq!(
        bodies_with_id(&api, &admin, &conversation, id).await,
        vec![json!("original")]
    );

    // REST (operator): the same rule.
    let id = Uuid::now_v7();
    let path = format!("/api/conversations/{conversation}/messages");
    let (s, _) = api
        .post(
            &path,
            &admin.token,
            json!({"message_id": id, "body": "hello"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, err) = api
        .post(
            &path,
            &admin.token,
            json!({"message_id": id, "body": "hello?"}),
        )
        .await;
    assert_eq!(
        (s, err["code"].as_str()),
        (StatusCode::CONFLICT, Some("message_id_taken"))
    );

    // The visitor's stream: ack, ack marked duplicate, then an error naming the send.
    let mut v_ws = Ws::visitor(&api, &v.token, None).await;
    v_ws.ready().await;
    let id = Uuid::now_v7();
    let first = send_frame(&mut v_ws, &conversation, id, "original").await;
    assert_eq!(
        (first["type"].as_str(), &first["duplicate"]),
        (Some("ack"), &json!(false)),
        "{first}"
    );
    let again = send_frame(&mut v_ws, &conversation, id, "original").await;
    assert_eq!(
        (again["type"].as_str(), &again["duplicate"]),
        (Some("ack"), &json!(true)),
        "{again}"
    );
    let changed = send_frame(&mut v_ws, &conversation, id, "changed").await;
    assert_eq!(
        (changed["type"].as_str(), changed["code"].as_str()),
        (Some("error"), Some("message_id_taken")),
        "{changed}"
    );
    assert_eq!(
        bodies_with_id(&api, &admin, &conversation, id).await,
        vec![json!("original")]
    );

    // The operator's stream: the same.
    let id = Uuid::now_v7();
    let first = send_frame(&mut op_ws, &conversation, id, "on it").await;
    assert_eq!(first["duplicate"], json!(false), "{first}");
    let again = send_frame(&mut op_ws, &conversation, id, "on it").await;
    assert_eq!(again["duplicate"], json!(true), "{again}");
    let changed = send_frame(&mut op_ws, &conversation, id, "on it!").await;
    assert_eq!(changed["code"], "message_id_taken", "{changed}");
    assert_eq!(
        bodies_with_id(&api, &admin, &conversation, id).await,
        vec![json!("on it")]
    );
}

#[tokio::test]
async fn a_retry_of_a_stored_message_is_answered_even_when_the_visitor_is_rate_limited() {
    let server = Server::start(&["--visitor-message-rate", "1"]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let _ws = api.go_online(&admin).await;
    let (v, _) = api.assigned_chat(&admin).await;
    let stored = json!({"message_id": Uuid::now_v7(), "body": "first"});
    assert_eq!(
        api.post("/api/visitor/messages", &v.token, stored.clone())
            .await
            .0,
        StatusCode::CREATED
    );
    // Use up the burst.
    let mut limited = None;
    for i in 0..40 {
        let (s, b) = api.send_as_visitor(&v, &format!("more {i}")).await;
        if s == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(b);
            break;
        }
    }
    let limited = limited.expect("the visitor hit the message rate limit");
    assert_eq!(limited["code"], "rate_limited");
    // The widget retries the first message (it never saw the answer): it gets the stored one.
    let (s, b) = api
        .post("/api/visitor/messages", &v.token, stored.clone())
        .await;
    assert_eq!(
        (s, b["body"].as_str()),
        (StatusCode::OK, Some("first")),
        "{b}"
    );
    // Anything that is not that retry is still limited.
    let (s, b) = api
        .post(
            "/api/visitor/messages",
            &v.token,
            json!({"message_id": stored["message_id"], "body": "other"}),
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited"))
    );
    assert_eq!(
        api.send_as_visitor(&v, "new").await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
}
