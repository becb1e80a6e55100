//! Several server nodes on one PostgreSQL database (always PostgreSQL, whatever
//! `FRONTDESK_TEST_BACKEND` says): events written through one node reach streams on the
//! others, cursors are valid on every node, a claim race has one winner, and a wait-time
//! deadline pending on a killed node fires once on another.

use crate::support::*;
use frontdesk_store::testing::TestDatabase;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn nodes_share_events_cursors_and_one_claim_winner() {
    let db = TestDatabase::new();
    let a = Server::node(&db.url, &[]);
    let b = Server::node(&db.url, &[]);
    assert!(b.admin_password.is_none(), "the admin is created once");
    let (api_a, api_b) = (a.api(), b.api());
    let admin = api_a.admin(&a).await;
    let ann = api_a.operator(&admin, "Ann").await;
    let mut admin_ws = api_a.go_online(&admin).await;
    // Presence is still per node: Ann is online on node B, where the visitor asks.
    let _ann_ws = api_b.go_online(&ann).await;

    let v = api_b.visitor(None).await;
    let chat = api_b.ask_for_person(&v).await;
    assert_eq!(chat["state"], "waiting");
    let id = chat["id"].as_str().unwrap().to_owned();
    // Written through node B, delivered on node A's stream.
    admin_ws
        .until(|f| f["type"] == "event" && about(f, &id))
        .await;
    let cursor = admin_ws.cursor;

    // Both claim at once, one through each node: exactly one wins.
    let assign = |api: Api, token: String| {
        let path = format!("/api/conversations/{id}/assign");
        async move { api.post(&path, &token, json!({})).await }
    };
    let (ra, rb) = tokio::join!(
        assign(api_a.clone(), admin.token.clone()),
        assign(api_b.clone(), ann.token.clone())
    );
    let mut statuses = vec![ra.0, rb.0];
    statuses.sort();
    assert_eq!(
        statuses,
        vec![StatusCode::OK, StatusCode::CONFLICT],
        "{ra:?} {rb:?}"
    );
    let loser = if ra.0 == StatusCode::CONFLICT {
        &ra.1
    } else {
        &rb.1
    };
    assert_eq!(loser["code"], "already_assigned");

    // A cursor from node A resumes on node B, with what happened since (the claim).
    let mut resumed = Ws::operator(&api_b, &admin.token, Some(cursor)).await;
    resumed.cursor = cursor;
    let frame = resumed
        .until(|f| f["type"] == "event" && about(f, &id))
        .await;
    assert!(frame["seq"].as_i64().unwrap() > cursor);
    resumed.until(|f| f["type"] == "ready").await;
}

#[tokio::test]
async fn a_deadline_pending_on_a_killed_node_fires_once_on_another() {
    let db = TestDatabase::new();
    let mut a = Server::node(&db.url, &["--wait-time-secs", "2"]);
    let b = Server::node(&db.url, &["--wait-time-secs", "2"]);
    let api_a = a.api();
    let admin = api_a.admin(&a).await;
    let _ws = api_a.go_online(&admin).await;
    let v = api_a.visitor(None).await;
    assert_eq!(api_a.ask_for_person(&v).await["state"], "waiting");
    a.kill();

    // Node B rescans stored deadlines (every 10 s) and fires this one.
    let api_b = b.api();
    let mut state = String::new();
    for _ in 0..200 {
        let (_, c) = api_b.get("/api/visitor/conversation", &v.token).await;
        state = c["conversation"]["state"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if state == "offline" {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let (_, c) = api_b.get("/api/visitor/conversation", &v.token).await;
            let offline_messages = c["messages"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| m["body"].as_str().unwrap().contains("nobody is available"))
                .count();
            assert_eq!(offline_messages, 1, "the expiry acted exactly once");
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(state, "offline", "the deadline fired on the surviving node");
}
