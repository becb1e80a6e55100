//! Desktop sessions: a device in use stays signed in (sliding expiry), an operator lists and
//! revokes their devices, an admin ends all sessions of an operator; revoked streams end.

use crate::support::*;
use reqwest::StatusCode;
use std::time::Duration;

#[tokio::test]
async fn a_session_in_use_stays_alive_and_one_left_alone_expires() {
    let server = Server::start(&["--token-ttl-secs", "4"]);
    let api = server.api();
    let password = server.admin_password.clone().unwrap();
    let (admin, _) = api.login_device(ADMIN_EMAIL, &password, "Laptop").await;
    // Used every second for twice its lifetime: still signed in.
    for _ in 0..8 {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let (status, body) = api.get("/api/me", &admin.token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (_, devices) = api.get("/api/me/sessions", &admin.token).await;
    let d = &devices[0];
    assert_eq!(d["device"], "Laptop");
    assert_eq!(d["current"], true);
    assert!(d["expires_at"].as_i64() > d["created_at"].as_i64().map(|c| c + 4000));
    // Left alone for longer than its lifetime: gone.
    tokio::time::sleep(Duration::from_millis(4500)).await;
    let (status, body) = api.get("/api/me", &admin.token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "token_expired");
}

#[tokio::test]
async fn an_open_stream_keeps_its_session_alive() {
    let server = Server::start(&["--token-ttl-secs", "3", "--ping-interval-secs", "1"]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let mut ws = Ws::operator(&api, &admin.token, None).await;
    ws.ready().await;
    // No REST call for twice the lifetime; the connection alone keeps it alive. (Pings
    // arrive every second, so read until a deadline rather than until quiet.)
    let end = tokio::time::Instant::now() + Duration::from_millis(6500);
    while tokio::time::Instant::now() < end {
        if let Some(f) = ws.next_within(Duration::from_millis(500)).await {
            assert_ne!(f["type"], "bye", "the stream was ended: {f}");
        }
    }
    let (status, body) = api.get("/api/me", &admin.token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn an_operator_revokes_a_device_and_its_stream_ends() {
    let server = Server::start(&[]);
    let api = server.api();
    let password = server.admin_password.clone().unwrap();
    let (laptop, _) = api.login_device(ADMIN_EMAIL, &password, "Laptop").await;
    let (phone, phone_id) = api.login_device(ADMIN_EMAIL, &password, "Phone").await;
    let mut phone_ws = Ws::operator(&api, &phone.token, None).await;
    phone_ws.ready().await;
    let (status, devices) = api.get("/api/me/sessions", &laptop.token).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<_> = devices
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["device"].as_str().unwrap(),
                d["current"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(names.len(), 2);
    assert!(names.contains(&("Laptop", true)) && names.contains(&("Phone", false)));
    assert!(
        devices.to_string().find(&phone.token).is_none(),
        "tokens are never shown"
    );

    let (status, _) = api
        .delete(&format!("/api/me/sessions/{phone_id}"), &laptop.token)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let bye = phone_ws.until(|f| f["type"] == "bye").await;
    assert_eq!(bye["code"], "session_revoked");
    assert!(phone_ws.next_within(Duration::from_secs(2)).await.is_none());
    let (status, _) = api.get("/api/me", &phone.token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = api.get("/api/me", &laptop.token).await;
    assert_eq!(status, StatusCode::OK, "the other device stays signed in");
    // Someone else's session, or one that is gone: 404.
    let (status, body) = api
        .delete(&format!("/api/me/sessions/{phone_id}"), &laptop.token)
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("session_not_found"))
    );
}

#[tokio::test]
async fn an_admin_ends_every_session_of_an_operator() {
    let server = Server::start(&[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let ann = api.operator(&admin, "Ann").await;
    let ann2 = api.login(&ann.email, "correct horse").await;
    let mut ws = Ws::operator(&api, &ann.token, None).await;
    ws.ready().await;
    // Ann may not do it to others.
    let (status, _) = api
        .delete(&format!("/api/operators/{}/sessions", admin.id), &ann.token)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = api
        .delete(&format!("/api/operators/{}/sessions", ann.id), &admin.token)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        ws.until(|f| f["type"] == "bye").await["code"],
        "session_revoked"
    );
    for t in [&ann.token, &ann2.token] {
        assert_eq!(api.get("/api/me", t).await.0, StatusCode::UNAUTHORIZED);
    }
    let (status, _) = api
        .delete(
            &format!("/api/operators/{}/sessions", uuid::Uuid::new_v4()),
            &admin.token,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
