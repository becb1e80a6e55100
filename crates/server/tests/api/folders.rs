//! Every conversation an operator may see is in exactly one folder (unassigned, mine,
//! offline, closed), across random lifecycle histories; closed conversations keep who
//! handled them and when; the history filters.

use crate::client_model::folders;
use crate::support::*;
use crate::walk;
use reqwest::StatusCode;
use serde_json::json;
use std::collections::BTreeSet;

/// The walk's length at most; reaching every folder before it is part of the test.
const MAX_STEPS: usize = 400;

#[tokio::test]
async fn every_visible_conversation_is_in_exactly_one_folder() {
    let (seed, mut rng) = walk::seeded("FOLDER_WALK_SEED");
    let (server, mut world, readers) = walk::start(&["Admin", "Ann", "Bob"]).await;
    let api = server.api();
    let mut seen_folders = BTreeSet::new();
    // At least 80 steps, and on until every folder was reached: a random walk may take longer
    // to assign a chat to somebody (seed 8226739882261054501 needs more than 80 steps).
    for step in 0..MAX_STEPS {
        if step >= 80 && seen_folders.len() == 4 {
            break;
        }
        let did = world.step(&mut rng).await;
        for op in &world.ops {
            let listed = folders(&api, op).await;
            let mut union = BTreeSet::new();
            for (folder, ids) in &listed {
                if !ids.is_empty() {
                    seen_folders.insert(folder.clone());
                }
                for id in ids {
                    assert!(
                        union.insert(id.clone()),
                        "step {step} ({did}): {id} listed twice for {} (seed {seed})",
                        op.name
                    );
                }
            }
            let mut visible = BTreeSet::new();
            for (id, _) in &world.conversations {
                let (status, _) = api
                    .get(&format!("/api/conversations/{id}"), &op.token)
                    .await;
                if status == StatusCode::OK {
                    visible.insert(id.clone());
                } else {
                    assert_eq!(status, StatusCode::NOT_FOUND);
                }
            }
            assert_eq!(
                union, visible,
                "step {step} ({did}): {}'s folders are not what they may see (seed {seed})",
                op.name
            );
        }
    }
    // The walk must have reached every folder, or it proved little.
    assert!(
        seen_folders.len() == 4,
        "folders reached: {seen_folders:?} (seed {seed})"
    );
    for r in readers {
        r.abort();
    }
}

#[tokio::test]
async fn closed_conversations_keep_their_handler_and_time_and_history_filters_find_them() {
    let server = Server::start(&["--visitor-rate-per-address", "0"]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let ann = api.operator(&admin, "Ann").await;
    let _ws = api.go_online(&admin).await;
    let (visitor, mine) = api.assigned_chat(&ann).await;
    let (_, other) = api.assigned_chat(&admin).await;
    let before_close = now_ms();
    for (op, id) in [(&ann, &mine), (&admin, &other)] {
        let (status, body) = api
            .post(
                &format!("/api/conversations/{id}/close"),
                &op.token,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["folder"], "closed");
        assert_eq!(body["assignee_id"], json!(null));
        assert_eq!(body["handled_by"], op.id.as_str());
        assert_eq!(body["handled_by_name"], op.name.as_str());
        let closed_at = body["closed_at"].as_i64().unwrap();
        assert!(closed_at >= before_close && closed_at <= now_ms());
    }
    let closed_by_ann = api
        .get(
            &format!("/api/conversations?folder=closed&handled_by={}", ann.id),
            &admin.token,
        )
        .await
        .1;
    let ids: Vec<_> = closed_by_ann["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![mine.as_str()], "closed by Ann");
    // A returning visitor: their earlier conversation is found by their id (B7).
    let (_, again) = api
        .call("POST", "/api/visitor/livechat", Some(&visitor.token), None)
        .await;
    assert_ne!(again["id"], mine.as_str(), "a new conversation");
    let (_, history) = api
        .get(
            &format!("/api/conversations?folder=closed&visitor_id={}", visitor.id),
            &ann.token,
        )
        .await;
    assert_eq!(history["conversations"][0]["id"], mine.as_str());
    assert_eq!(history["conversations"].as_array().unwrap().len(), 1);
    // A time range of the last change.
    let (_, none) = api
        .get(
            &format!("/api/conversations?folder=closed&updated_before={before_close}"),
            &ann.token,
        )
        .await;
    assert_eq!(none["conversations"], json!([]));
    let (_, both) = api
        .get(
            &format!("/api/conversations?folder=closed&updated_after={before_close}"),
            &ann.token,
        )
        .await;
    assert_eq!(both["conversations"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn inbox_rows_carry_the_last_message_and_a_gapless_seq() {
    let server = Server::start(&["--visitor-message-rate", "0"]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let mut ws = api.go_online(&admin).await;
    let (v, id) = api.assigned_chat(&admin).await;
    let long = format!("Hello,\n\n  I would like {} a quote", "very ".repeat(40));
    let (status, _) = api.send_as_visitor(&v, &long).await;
    assert_eq!(status, StatusCode::CREATED);
    let event = ws
        .until(|f| about(f, &id) && f["event"]["message"]["author"] == "visitor")
        .await;
    let row = &event["event"]["conversation"];
    let seq = event["event"]["message"]["seq"].as_i64().unwrap();
    assert_eq!(row["message_count"].as_i64(), Some(seq));
    assert_eq!(row["last_author"], "visitor");
    assert_eq!(
        row["last_message_at"],
        event["event"]["message"]["created_at"]
    );
    let preview = row["preview"].as_str().unwrap();
    assert!(
        preview.starts_with("Hello, I would like very very"),
        "{preview}"
    );
    assert!(
        preview.chars().count() <= 140 && preview.ends_with('…'),
        "{preview}"
    );
    let (_, detail) = api
        .get(&format!("/api/conversations/{id}"), &admin.token)
        .await;
    let seqs: Vec<i64> = detail["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, (1..=seq).collect::<Vec<_>>());
    assert_eq!(
        &detail["conversation"], row,
        "the listing shows the same row"
    );
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}
