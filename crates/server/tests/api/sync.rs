//! Catching up (B1): a client that was away brings a stale copy up to date — by replaying
//! the stream from its cursor, by the sync calls, or after `resync_required` by reloading —
//! and ends equal to a fresh load, for random histories.

use crate::client_model::{fresh, Cache};
use crate::support::*;
use crate::walk;
use rand::Rng;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

/// Opens the stream (from the cache's cursor when `resume`), applies what arrives until it
/// is quiet; false when the server asked for a resync.
async fn stream_into(api: &Api, op: &Operator, cache: &mut Cache, resume: bool) -> (bool, Ws) {
    let url = if resume {
        format!(
            "{}/api/stream?access_token={}&since={}&epoch={}",
            api.ws_base,
            op.token,
            cache.position,
            cache.epoch.clone().unwrap_or_default()
        )
    } else {
        format!("{}/api/stream?access_token={}", api.ws_base, op.token)
    };
    let mut ws = Ws::connect(&url).await.unwrap();
    while let Some(f) = ws.next_within(Duration::from_millis(300)).await {
        if !cache.apply(&f) {
            return (false, ws);
        }
    }
    (true, ws)
}

/// Reload after `resync_required`: connect without a cursor (ready gives the position),
/// load everything over REST, then apply what the stream delivered meanwhile.
async fn reload(api: &Api, op: &Operator) -> (Cache, Ws) {
    let mut ws = Ws::operator(api, &op.token, None).await;
    let mut early = Vec::new();
    let ready = loop {
        let f = ws.next().await;
        if f["type"] == "ready" {
            break f;
        }
        early.push(f);
    };
    let mut cache = Cache::load(
        api,
        op,
        ready["position"].as_i64().unwrap(),
        ready["epoch"].as_str().map(str::to_owned),
    )
    .await;
    for f in ws.drain(Duration::from_millis(300)).await {
        assert!(cache.apply(&f));
    }
    (cache, ws)
}

#[tokio::test]
async fn a_stale_copy_catches_up_to_a_fresh_load_for_random_histories() {
    let (seed, mut rng) = walk::seeded("SYNC_SEED");
    // Ann is the one who goes away; the admin and Bob stay online.
    let (server, mut world, readers) = walk::start(&["Admin", "Bob"]).await;
    let api = server.api();
    let ann = world.ops[1].clone();
    // Ann's app: starts empty, synced once, then away and back, again and again.
    let (mut cache, ws) = reload(&api, &ann).await;
    drop(ws);
    let mut modes = [0usize; 4];
    for round in 0..16 {
        let mut log = Vec::new();
        for _ in 0..rng.gen_range(5..20) {
            log.push(world.step(&mut rng).await);
        }
        // Every way back, in turn.
        let mode = round % 4;
        modes[mode] += 1;
        let ws = match mode {
            // Replay the stream from the cursor.
            0 => {
                let (ok, ws) = stream_into(&api, &ann, &mut cache, true).await;
                assert!(ok, "a valid cursor resumes");
                cache.fill(&api, &ann).await;
                ws
            }
            // The sync calls in small pages, then the stream from their position.
            1 => {
                assert!(cache.catch_up(&api, &ann, rng.gen_range(1..4)).await);
                let (ok, ws) = stream_into(&api, &ann, &mut cache, true).await;
                assert!(ok);
                cache.fill(&api, &ann).await;
                ws
            }
            // A cursor from another database: resync_required, then a reload.
            2 => {
                cache.epoch = Some("not-this-database".into());
                let (ok, _) = stream_into(&api, &ann, &mut cache, true).await;
                assert!(!ok, "a foreign epoch must not resume");
                assert!(!cache.catch_up(&api, &ann, 10).await, "nor catch up");
                let (reloaded, ws) = reload(&api, &ann).await;
                cache = reloaded;
                ws
            }
            // Stay connected while more happens, then drop.
            _ => {
                let (ok, mut ws) = stream_into(&api, &ann, &mut cache, true).await;
                assert!(ok);
                for _ in 0..rng.gen_range(1..6) {
                    log.push(world.step(&mut rng).await);
                }
                for f in ws.drain(Duration::from_millis(300)).await {
                    assert!(cache.apply(&f));
                }
                cache.fill(&api, &ann).await;
                ws
            }
        };
        let expected = fresh(&api, &ann).await;
        assert!(
            cache.content() == expected.content(),
            "round {round} (mode {mode}, seed {seed}) after {log:#?}:\ncache    {:#?}\nexpected {:#?}",
            cache.rows.keys().collect::<Vec<_>>(),
            expected.rows.keys().collect::<Vec<_>>()
        );
        drop(ws);
    }
    assert!(
        !cache.rows.is_empty(),
        "the histories gave Ann something to see"
    );
    println!("modes used: {modes:?}");
    for r in readers {
        r.abort();
    }
}

#[tokio::test]
async fn changes_name_what_changed_and_what_is_gone_and_bulk_messages_respect_visibility() {
    let server = Server::start(&["--visitor-message-rate", "0"]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let ann = api.operator(&admin, "Ann").await;
    let mut ws = api.go_online(&admin).await;
    let position = ws.ready_position_now(&api, &admin).await;
    let epoch = ws_epoch(&api, &admin).await;

    let v1 = api.visitor(None).await;
    let waiting = api.ask_for_person(&v1).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, taken) = api.assigned_chat(&ann).await;
    let (status, page) = api
        .get(
            &format!("/api/sync/changes?since={position}&epoch={epoch}"),
            &admin.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let changed: Vec<_> = page["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(changed, vec![waiting.as_str()]);
    assert_eq!(
        page["removed"],
        json!([taken]),
        "assigned to Ann: gone for the admin"
    );
    assert_eq!(page["complete"], true);
    assert!(page["position"].as_i64().unwrap() > position);

    // Bulk messages: the admin's own conversation yes, Ann's no.
    let (status, body) = api
        .post(
            "/api/sync/messages",
            &admin.token,
            json!({"conversations": [
                {"conversation_id": waiting, "after_seq": 0},
                {"conversation_id": taken, "after_seq": 0},
                {"conversation_id": uuid::Uuid::new_v4(), "after_seq": 0}
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["conversation_id"] == waiting.as_str()));
    assert_eq!(body["not_visible"].as_array().unwrap().len(), 2);

    // Positions that cannot be resumed are refused, not answered short.
    for bad in [
        format!("since={position}&epoch=another"),
        "since=999999999".to_owned(),
        "since=-1".to_owned(),
    ] {
        let (status, body) = api
            .get(&format!("/api/sync/changes?{bad}"), &admin.token)
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{bad}: {body}");
        assert_eq!(body["code"], "resync_required");
    }
    let (status, body) = api
        .get(&format!("/api/sync/changes?since={position}"), &v1.token)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "visitors cannot: {body}");
    ws.drain(Duration::from_millis(50)).await;
}

/// The epoch of this server's database, from a `ready` frame.
async fn ws_epoch(api: &Api, op: &Operator) -> String {
    let mut ws = Ws::operator(api, &op.token, None).await;
    loop {
        let f = ws.next().await;
        if f["type"] == "ready" {
            return f["epoch"].as_str().unwrap().to_owned();
        }
    }
}

impl Ws {
    /// The head of the stream now, from a fresh connection's `ready`.
    async fn ready_position_now(&mut self, api: &Api, op: &Operator) -> i64 {
        let mut ws = Ws::operator(api, &op.token, None).await;
        ws.ready().await
    }
}
