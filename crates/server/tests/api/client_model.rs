//! A minimal operator client, as docs/operator-protocol.md describes one: it applies stream
//! events to a local copy, fetches the messages it lacks by `seq`, catches up with the sync
//! calls, and reloads everything after `resync_required`. Tests compare it with a fresh load.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

/// The local copy: conversation rows and their messages by `seq`, plus the stream cursor.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cache {
    pub rows: BTreeMap<String, Value>,
    pub messages: BTreeMap<String, BTreeMap<i64, Value>>,
    pub position: i64,
    pub epoch: Option<String>,
}

impl Cache {
    /// Applies one frame; returns false on `resync_required`.
    pub fn apply(&mut self, f: &Value) -> bool {
        match f["type"].as_str() {
            Some("event") => {
                let e = &f["event"];
                match e["kind"].as_str().unwrap() {
                    "conversation_upsert" => self.upsert(&e["conversation"]),
                    "conversation_removed" => self.remove(e["conversation_id"].as_str().unwrap()),
                    "message" => {
                        self.upsert(&e["conversation"]);
                        let m = &e["message"];
                        self.messages
                            .entry(m["conversation_id"].as_str().unwrap().to_owned())
                            .or_default()
                            .insert(m["seq"].as_i64().unwrap(), m.clone());
                    }
                    other => panic!("unexpected event kind for an operator: {other}"),
                }
                self.position = f["seq"].as_i64().unwrap();
            }
            Some("ready") => {
                self.position = f["position"].as_i64().unwrap();
                self.epoch = f["epoch"].as_str().map(str::to_owned);
            }
            Some("resync_required") => return false,
            _ => {}
        }
        true
    }

    fn upsert(&mut self, row: &Value) {
        let id = row["id"].as_str().unwrap().to_owned();
        self.messages.entry(id.clone()).or_default();
        self.rows.insert(id, row.clone());
    }

    fn remove(&mut self, id: &str) {
        self.rows.remove(id);
        self.messages.remove(id);
    }

    /// Fetches, in bulk, the messages the copy lacks (a row's `message_count` above the last
    /// contiguous `seq` held).
    pub async fn fill(&mut self, api: &Api, op: &Operator) {
        for _ in 0..1000 {
            let wanted: Vec<Value> = self
                .rows
                .iter()
                .filter_map(|(id, row)| {
                    let have = self.messages.get(id).map(contiguous).unwrap_or(0);
                    (row["message_count"].as_i64().unwrap() > have)
                        .then(|| json!({"conversation_id": id, "after_seq": have}))
                })
                .collect();
            if wanted.is_empty() {
                return;
            }
            let (status, body) = api
                .post(
                    "/api/sync/messages",
                    &op.token,
                    json!({"conversations": wanted, "limit": 500}),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            for m in body["messages"].as_array().unwrap() {
                self.messages
                    .entry(m["conversation_id"].as_str().unwrap().to_owned())
                    .or_default()
                    .insert(m["seq"].as_i64().unwrap(), m.clone());
            }
            for id in body["not_visible"].as_array().unwrap() {
                self.remove(id.as_str().unwrap());
            }
            if body["complete"] == true && body["messages"].as_array().unwrap().is_empty() {
                return;
            }
        }
        panic!("the messages never completed");
    }

    /// Catches up with `GET /api/sync/changes` from the cursor; false if a resync is needed.
    pub async fn catch_up(&mut self, api: &Api, op: &Operator, page: u32) -> bool {
        loop {
            let epoch = self.epoch.clone().unwrap_or_default();
            let (status, body) = api
                .get(
                    &format!(
                        "/api/sync/changes?since={}&epoch={epoch}&limit={page}",
                        self.position
                    ),
                    &op.token,
                )
                .await;
            if status == StatusCode::CONFLICT {
                assert_eq!(body["code"], "resync_required");
                return false;
            }
            assert_eq!(status, StatusCode::OK, "{body}");
            for row in body["conversations"].as_array().unwrap() {
                self.upsert(row);
            }
            for id in body["removed"].as_array().unwrap() {
                self.remove(id.as_str().unwrap());
            }
            self.position = body["position"].as_i64().unwrap();
            self.epoch = body["epoch"].as_str().map(str::to_owned);
            if body["complete"] == true {
                self.fill(api, op).await;
                return true;
            }
        }
    }

    /// Everything the operator may see, loaded from scratch (folders, then messages). The
    /// position must come from a `ready` read before the listing.
    pub async fn load(api: &Api, op: &Operator, position: i64, epoch: Option<String>) -> Cache {
        let mut cache = Cache {
            position,
            epoch,
            ..Cache::default()
        };
        for folder in ["unassigned", "mine", "offline", "closed"] {
            for row in list_folder(api, op, folder).await {
                cache.upsert(&row);
            }
        }
        cache.fill(api, op).await;
        cache
    }

    /// The copy without the stream position, for comparing with a fresh load.
    pub fn content(
        &self,
    ) -> (
        BTreeMap<String, Value>,
        BTreeMap<String, BTreeMap<i64, Value>>,
    ) {
        (self.rows.clone(), self.messages.clone())
    }
}

/// The highest `seq` up to which every message is held.
fn contiguous(m: &BTreeMap<i64, Value>) -> i64 {
    let mut n = 0;
    while m.contains_key(&(n + 1)) {
        n += 1;
    }
    n
}

/// Every row of one folder, following the cursors.
pub async fn list_folder(api: &Api, op: &Operator, folder: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, body) = api
            .get(
                &format!("/api/conversations?folder={folder}&limit=50&cursor={cursor}"),
                &op.token,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        out.extend(body["conversations"].as_array().unwrap().iter().cloned());
        match body["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => return out,
        }
    }
}

/// What the server shows `op` now: a fresh load at the current head.
pub async fn fresh(api: &Api, op: &Operator) -> Cache {
    Cache::load(api, op, 0, None).await
}

/// Ids per folder, for the "exactly one folder" checks.
pub async fn folders(api: &Api, op: &Operator) -> HashMap<String, Vec<String>> {
    let mut out = HashMap::new();
    for folder in ["unassigned", "mine", "offline", "closed"] {
        let rows = list_folder(api, op, folder).await;
        for r in &rows {
            assert_eq!(r["folder"], folder, "a row says which folder it is in: {r}");
        }
        out.insert(
            folder.to_owned(),
            rows.iter()
                .map(|r| r["id"].as_str().unwrap().to_owned())
                .collect(),
        );
    }
    out
}
