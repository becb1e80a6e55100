//! Events say who and when (B10): the actor and the commit time on every event, the
//! server's clock and the database's epoch in `ready`.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[tokio::test]
async fn every_event_carries_its_actor_and_commit_time() {
    let server = Server::start(&["--wait-time-secs", "1"]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let ann = api.operator(&admin, "Ann").await;
    let mut ws = Ws::operator(&api, &admin.token, None).await;
    let ready = ws.until(|f| f["type"] == "ready").await;
    let skew = (ready["server_time"].as_i64().unwrap() - now_ms()).abs();
    assert!(skew < 2000, "server_time is the server's clock: {ready}");
    assert!(
        ready["epoch"].as_str().is_some_and(|e| e.len() >= 32),
        "{ready}"
    );
    let (status, _) = api
        .put("/api/me/presence", &admin.token, json!({"online": true}))
        .await;
    assert_eq!(status, StatusCode::OK);

    // The visitor asks: actor visitor, with their name.
    let before = now_ms();
    let v = api.visitor(Some("Vera")).await;
    let id = api.ask_for_person(&v).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let asked = ws.until(|f| about(f, &id)).await;
    assert_eq!(
        asked["actor"],
        json!({"kind": "visitor", "id": v.id, "name": "Vera"})
    );
    let at = asked["at"].as_i64().unwrap();
    assert!(at >= before && at <= now_ms(), "commit time {at}");

    // Ann assigns: the admin learns it was Ann (a notification can say so).
    let (status, _) = api
        .post(
            &format!("/api/conversations/{id}/assign"),
            &ann.token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let removed = ws
        .until(|f| about(f, &id) && f["event"]["kind"] == "conversation_removed")
        .await;
    assert_eq!(
        removed["actor"],
        json!({"kind": "operator", "id": ann.id, "name": "Ann"})
    );

    // A wait time that expires: the system did it.
    let v2 = api.visitor(None).await;
    let id2 = api.ask_for_person(&v2).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let expired = ws
        .until(|f| {
            about(f, &id2)
                && f["event"]["kind"] == "conversation_upsert"
                && f["event"]["conversation"]["state"] == "offline"
        })
        .await;
    assert_eq!(expired["actor"]["kind"], "system");
    assert_eq!(expired["event"]["conversation"]["folder"], "offline");

    // A replay gives the same actors and times as the live stream did.
    let mut again = Ws::operator(&api, &admin.token, Some(0)).await;
    let replayed = again
        .until(|f| about(f, &id) && f["event"]["kind"] == "conversation_removed")
        .await;
    assert_eq!(replayed, removed);
}

#[tokio::test]
async fn a_cursor_from_another_database_gets_resync_required() {
    let server = Server::start(&[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let mut ws = Ws::operator(&api, &admin.token, None).await;
    let ready = ws.until(|f| f["type"] == "ready").await;
    let epoch = ready["epoch"].as_str().unwrap().to_owned();
    // The same position with this database's epoch resumes …
    let mut same = Ws::connect(&format!(
        "{}/api/stream?access_token={}&since=0&epoch={epoch}",
        api.ws_base, admin.token
    ))
    .await
    .unwrap();
    assert_eq!(same.until(|f| f["type"] != "event").await["type"], "ready");
    // … but a restored or replaced database's cursor does not, however plausible its number.
    let mut other = Ws::connect(&format!(
        "{}/api/stream?access_token={}&since=0&epoch=11111111-2222-3333-4444-555555555555",
        api.ws_base, admin.token
    ))
    .await
    .unwrap();
    let f = other.next().await;
    assert_eq!(f["type"], "resync_required", "{f}");
    assert_eq!(f["epoch"], epoch.as_str());
    assert!(
        other.next_within(Duration::from_secs(2)).await.is_none(),
        "then it closes"
    );
}
