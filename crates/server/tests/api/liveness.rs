//! Regressions from review: a stalled reader goes offline, a password change ends other
//! sessions, a cancelled "talk to a person" request still gets its wait-time expiry.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn an_operator_whose_app_stops_reading_goes_offline() {
    let server = Server::start(&[
        "--ping-interval-secs",
        "1",
        "--presence-grace-ms",
        "100",
        "--visitor-message-rate",
        "0",
    ]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let _ws = api.go_online(&admin).await; // never read from again
    let (v, _id) = api.assigned_chat(&admin).await;
    let big = "🙂".repeat(3900);
    let start = Instant::now();
    let mut offline_after = None;
    for i in 0..2000 {
        api.send_as_visitor(&v, &format!("{i} {big}")).await;
        if i % 50 == 0
            && api
                .get("/api/operators/online", &admin.token)
                .await
                .1
                .as_array()
                .unwrap()
                .is_empty()
        {
            offline_after = Some(start.elapsed());
            break;
        }
    }
    if offline_after.is_none() {
        for _ in 0..100 {
            if api
                .get("/api/operators/online", &admin.token)
                .await
                .1
                .as_array()
                .unwrap()
                .is_empty()
            {
                offline_after = Some(start.elapsed());
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let after = offline_after.expect("a stalled connection must not keep the operator online");
    assert!(after < Duration::from_secs(20), "took {after:?}");
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions() {
    let server = Server::start(&[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let other = api.admin(&server).await; // a second device
    let mut other_ws = api.go_online(&other).await;
    let (status, body) = api
        .post("/api/me/password", &admin.token, json!({"current_password": server.admin_password, "new_password": "a much better password"}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(
        other_ws.until(|f| f["type"] == "bye").await["code"],
        "password_changed"
    );
    assert_eq!(
        api.get("/api/me", &other.token).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        api.get("/api/me", &admin.token).await.0,
        StatusCode::OK,
        "the session that changed it stays"
    );
    api.login(ADMIN_EMAIL, "a much better password").await;
}

#[tokio::test]
async fn a_cancelled_request_for_a_person_still_expires() {
    let server = Server::start(&["--wait-time-secs", "1"]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let _ws = api.go_online(&admin).await;
    let mut visitors = Vec::new();
    for _ in 0..10 {
        let v = api.visitor(None).await;
        // Give up on the answer almost at once: the handler may be dropped after the commit.
        let req = api
            .http
            .post(format!("{}/api/visitor/livechat", api.base))
            .bearer_auth(&v.token)
            .timeout(Duration::from_millis(1));
        let _ = req.send().await;
        visitors.push(v);
    }
    // Whatever was committed as waiting must leave Unassigned after its deadline.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let waiting = api.folder(&admin, "unassigned").await;
        if waiting.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} conversations never expired",
            waiting.len()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Every send has a timeout, the last ones too: a session whose client stopped reading ends
/// (and logs its end) instead of waiting for TCP to give up on the final Close frame.
#[tokio::test]
async fn a_stalled_session_ends_completely_including_its_last_frames() {
    let server = Server::start(&[
        "--ping-interval-secs",
        "1",
        "--presence-grace-ms",
        "100",
        "--visitor-message-rate",
        "0",
    ]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let _ws = api.go_online(&admin).await; // never read from again
    let (v, _id) = api.assigned_chat(&admin).await;
    let ended = || {
        std::fs::read_to_string(server.data.join("server.log"))
            .unwrap_or_default()
            .lines()
            .any(|l| l.contains("socket session") && l.contains("\"role\":\"operator\""))
    };
    let big = "🙂".repeat(3900);
    let start = Instant::now();
    for i in 0..3000 {
        api.send_as_visitor(&v, &format!("{i} {big}")).await;
        if i % 50 == 0
            && api
                .get("/api/operators/online", &admin.token)
                .await
                .1
                .as_array()
                .unwrap()
                .is_empty()
        {
            break;
        }
    }
    // The event send timed out (2 s); the final Close frame gets the same bound.
    let deadline = Instant::now() + Duration::from_secs(15);
    while !ended() {
        assert!(
            Instant::now() < deadline,
            "the stalled session never ended (after {:?})",
            start.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let log = std::fs::read_to_string(server.data.join("server.log")).unwrap();
    let line = log
        .lines()
        .find(|l| l.contains("socket session") && l.contains("\"role\":\"operator\""))
        .unwrap();
    assert!(line.contains("\"end\":\"timeout\""), "{line}");
}
