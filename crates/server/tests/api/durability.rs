//! Durability: SIGKILL during a burst loses no acknowledged message, and wait-time deadlines
//! survive a restart and fire exactly once.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::json;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[tokio::test]
async fn sigkill_loses_no_acknowledged_message_and_deadlines_still_fire() {
    let tmp = tempfile::tempdir().unwrap();
    let mut server = Server::start_in(
        tmp.path(),
        &["--wait-time-secs", "3", "--visitor-message-rate", "0"],
    );
    let api = server.api();
    let admin = api.admin(&server).await;
    let password = server.admin_password.clone().unwrap();
    let _ws = api.go_online(&admin).await;

    // One conversation keeps waiting (its deadline must fire after the restart)…
    let waiting_visitor = api.visitor(None).await;
    let waiting = api.ask_for_person(&waiting_visitor).await;
    assert_eq!(waiting["state"], "waiting");
    // …and one is assigned, with a burst of messages from both sides.
    let (v, id) = api.assigned_chat(&admin).await;

    let acked = Arc::new(Mutex::new(HashSet::<String>::new()));
    let mut tasks = Vec::new();
    for w in 0..8 {
        let (api, acked, v, admin, id) = (
            api.clone(),
            acked.clone(),
            v.clone(),
            admin.clone(),
            id.clone(),
        );
        tasks.push(tokio::spawn(async move {
            for i in 0.. {
                let message_id = uuid::Uuid::now_v7();
                let body = json!({"message_id": message_id, "body": format!("w{w} m{i}")});
                let req = if w % 2 == 0 {
                    api.http
                        .post(format!("{}/api/visitor/messages", api.base))
                        .bearer_auth(&v.token)
                } else {
                    api.http
                        .post(format!("{}/api/conversations/{id}/messages", api.base))
                        .bearer_auth(&admin.token)
                };
                match req.json(&body).send().await {
                    Ok(r) if r.status() == StatusCode::CREATED => {
                        acked.lock().unwrap().insert(message_id.to_string());
                    }
                    _ => break, // the server died mid-request: not acknowledged
                }
            }
        }));
    }
    // Kill mid-burst, once enough messages were acknowledged (the machine may be busy).
    for _ in 0..200 {
        if acked.lock().unwrap().len() >= 150 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.kill();
    for t in tasks {
        let _ = t.await;
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > 20,
        "the burst should have produced acknowledged messages ({})",
        acked.len()
    );

    let server = Server::start_in(
        tmp.path(),
        &["--wait-time-secs", "3", "--visitor-message-rate", "0"],
    );
    let api = server.api();
    let admin = api.login(ADMIN_EMAIL, &password).await;
    let (status, detail) = api
        .get(&format!("/api/conversations/{id}"), &admin.token)
        .await;
    assert_eq!(status, StatusCode::OK);
    let stored: HashSet<String> = detail["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    let lost: Vec<_> = acked.difference(&stored).collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged messages lost after SIGKILL: {lost:?}",
        lost.len()
    );

    // The deadline set before the crash fires after the restart, once.
    let mut state = String::new();
    for _ in 0..100 {
        let (_, c) = api
            .get("/api/visitor/conversation", &waiting_visitor.token)
            .await;
        state = c["conversation"]["state"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if state == "offline" {
            let offline_messages = c["messages"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| m["body"].as_str().unwrap().contains("nobody is available"))
                .count();
            assert_eq!(
                offline_messages, 1,
                "the wait-time expiry acted exactly once"
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        state, "offline",
        "the durable deadline fired after the restart"
    );
}
