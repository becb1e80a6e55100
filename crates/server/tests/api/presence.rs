//! Presence on the stream (B4, S7): every change of any operator reaches every operator
//! within a second; a dropped connection is pushed once the grace period is over and hands
//! the operator's chats back; going offline can hand them over first; the choice survives a
//! restart.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn a_change_of_choice_reaches_every_operator_within_a_second() {
    let server = Server::start(&[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let bob = api.operator(&admin, "Bob").await;
    let mut watcher = api.go_online(&admin).await;
    let mut bob_ws = api.go_online(&bob).await;
    let snapshot = bob_ws.until(|f| f["type"] == "presence_snapshot").await;
    let listed: Vec<_> = snapshot["operators"].as_array().unwrap().clone();
    assert!(
        listed
            .iter()
            .any(|o| o["operator_id"] == admin.id && o["online"] == true),
        "the snapshot after ready shows the admin online: {snapshot}"
    );
    // Choosing online, then connecting: two changes, both pushed.
    let (p, _) = watcher.presence_of(&bob).await;
    assert_eq!(
        (p["chose_online"].clone(), p["online"].clone()),
        (json!(true), json!(false))
    );
    let (p, _) = watcher.presence_of(&bob).await;
    assert_eq!(
        (p["chose_online"].clone(), p["online"].clone()),
        (json!(true), json!(true))
    );

    // Offline by REST: the admin's stream hears it at once.
    let (status, body) = api
        .put("/api/me/presence", &bob.token, json!({"online": false}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["online"], false);
    let (p, took) = watcher.presence_of(&bob).await;
    assert_eq!(p["online"], false);
    assert_eq!(p["display_name"], "Bob");
    assert!(took < Duration::from_secs(1), "took {took:?}");

    // Online by frame: the frame is answered, and the change is pushed.
    bob_ws
        .send(json!({"type": "set_presence", "online": true}))
        .await;
    let answer = bob_ws.until(|f| f["type"] == "my_presence").await;
    assert_eq!(answer["presence"]["chose_online"], true);
    assert_eq!(answer["presence"]["online"], true);
    let (p, took) = watcher.presence_of(&bob).await;
    assert_eq!(p["online"], true);
    assert!(took < Duration::from_secs(1), "took {took:?}");

    let (status, mine) = api.get("/api/me/presence", &bob.token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        mine,
        json!({"chose_online": true, "online": true, "holding": []})
    );
}

#[tokio::test]
async fn a_lost_connection_is_pushed_after_the_grace_period_and_hands_chats_back() {
    let server = Server::start(&["--presence-grace-ms", "400"]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let ann = api.operator(&admin, "Ann").await;
    let mut watcher = api.go_online(&admin).await;
    let ann_ws = api.go_online(&ann).await;
    let (_, id) = api.assigned_chat(&ann).await;
    watcher.drain(Duration::from_millis(200)).await;

    // The app vanishes without a goodbye (Wi-Fi gone, laptop closed).
    let started = std::time::Instant::now();
    drop(ann_ws);
    let (p, _) = watcher.presence_of(&ann).await;
    let took = started.elapsed();
    assert_eq!(p["online"], false);
    assert_eq!(
        p["chose_online"], true,
        "her choice stays; she is just not reachable"
    );
    assert!(
        took >= Duration::from_millis(400) && took < Duration::from_millis(1400),
        "pushed after the grace period, within a second of its end: {took:?}"
    );
    // Her chat must not wait on someone who is gone: back to Unassigned, by the system.
    let back = watcher
        .until(|f| about(f, &id) && f["event"]["kind"] == "conversation_upsert")
        .await;
    assert_eq!(back["event"]["conversation"]["folder"], "unassigned");
    assert_eq!(back["event"]["conversation"]["handled_by"], ann.id.as_str());
    assert_eq!(back["actor"]["kind"], "system");
    assert_eq!(api.folder(&admin, "unassigned").await, vec![id]);
}

#[tokio::test]
async fn going_offline_lists_held_chats_and_hands_them_over_when_asked() {
    let server = Server::start(&[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let ann = api.operator(&admin, "Ann").await;
    let _admin_ws = api.go_online(&admin).await;
    let mut ann_ws = api.go_online(&ann).await;
    let (_, first) = api.assigned_chat(&ann).await;
    let (_, second) = api.assigned_chat(&ann).await;

    // Without a handover the chats stay, and the answer says which she still holds.
    let (status, body) = api
        .put("/api/me/presence", &ann.token, json!({"online": false}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut holding: Vec<String> = body["holding"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    holding.sort();
    let mut expected = vec![first.clone(), second.clone()];
    expected.sort();
    assert_eq!(holding, expected);

    // Handing to an operator who is offline is refused and changes nothing.
    let carl = api.operator(&admin, "Carl").await;
    let (status, body) = api
        .put(
            "/api/me/presence",
            &ann.token,
            json!({"online": false, "handover": {"to": "operator", "operator_id": carl.id}}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(api.folder(&ann, "mine").await.len(), 2);

    // To a colleague who is online: both move, with Ann as the actor.
    let (status, body) = api
        .put(
            "/api/me/presence",
            &ann.token,
            json!({"online": false, "handover": {"to": "operator", "operator_id": admin.id}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["holding"], json!([]));
    let removed = ann_ws
        .until(|f| about(f, &first) && f["event"]["kind"] == "conversation_removed")
        .await;
    assert_eq!(removed["actor"]["id"], ann.id.as_str());
    let mut mine = api.folder(&admin, "mine").await;
    mine.sort();
    assert_eq!(mine, expected);

    // Back to Unassigned: the admin hands them back when going offline (nobody else is
    // online, so they go to offline mode — the handoff rule, S4).
    let (status, _) = api
        .put(
            "/api/me/presence",
            &admin.token,
            json!({"online": false, "handover": {"to": "unassigned"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut offline = api.folder(&admin, "offline").await;
    offline.sort();
    assert_eq!(offline, expected);
}

#[tokio::test]
async fn the_choice_survives_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let mut server = Server::start_in(data.path(), &[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let (status, _) = api
        .put("/api/me/presence", &admin.token, json!({"online": true}))
        .await;
    assert_eq!(status, StatusCode::OK);
    server.kill();

    let server = Server::start_in(data.path(), &[]);
    let api = server.api();
    let (status, body) = api.get("/api/me/presence", &admin.token).await;
    assert_eq!(status, StatusCode::OK, "the session survives too: {body}");
    assert_eq!(body["chose_online"], true);
    assert_eq!(body["online"], false, "not connected yet");
    let _ws = {
        let mut ws = Ws::operator(&api, &admin.token, None).await;
        ws.ready().await;
        ws
    };
    let (_, body) = api.get("/api/me/presence", &admin.token).await;
    assert_eq!(
        body["online"], true,
        "online again as soon as the app reconnects"
    );
}
