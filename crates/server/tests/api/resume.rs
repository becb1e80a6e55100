//! Gap-free resume (B1): an operator whose socket drops at random moments ends with exactly
//! the server's view — no gap, no duplicate — and a slow reader loses nothing.

use crate::support::*;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// What a client builds from its stream: per conversation, message ids by `seq`. Upserts
/// carry no transcript: like a real client, it fetches what it lacks by `seq` at the end.
#[derive(Default)]
struct View {
    conversations: HashMap<String, BTreeMap<i64, String>>,
    counts: HashMap<String, i64>,
}

impl View {
    fn apply(&mut self, f: &Value) {
        if f["type"] != "event" {
            return;
        }
        let e = &f["event"];
        match e["kind"].as_str().unwrap() {
            "conversation_upsert" => {
                let c = &e["conversation"];
                let id = c["id"].as_str().unwrap().to_owned();
                self.conversations.entry(id.clone()).or_default();
                self.counts.insert(id, c["message_count"].as_i64().unwrap());
            }
            "conversation_removed" => {
                let id = e["conversation_id"].as_str().unwrap();
                self.conversations.remove(id);
                self.counts.remove(id);
            }
            "message" => {
                let m = &e["message"];
                let id = m["conversation_id"].as_str().unwrap().to_owned();
                let seq = m["seq"].as_i64().unwrap();
                assert_eq!(e["conversation"]["message_count"].as_i64(), Some(seq));
                let list = self.conversations.entry(id.clone()).or_default();
                let mid = m["id"].as_str().unwrap().to_owned();
                assert!(
                    list.insert(seq, mid.clone()).is_none(),
                    "message {mid} delivered twice"
                );
                self.counts.insert(id, seq);
            }
            other => panic!("unknown event kind {other}"),
        }
    }

    /// Fetches the messages the events did not carry (history from before the stream).
    async fn fill_gaps(&mut self, api: &Api, op: &Operator) {
        for (id, list) in self.conversations.iter_mut() {
            let count = self.counts.get(id).copied().unwrap_or(0);
            if list.len() as i64 == count {
                continue;
            }
            let (status, page) = api
                .get(
                    &format!("/api/conversations/{id}/messages?after_seq=0&limit=1000"),
                    &op.token,
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{page}");
            for m in page["messages"].as_array().unwrap() {
                list.entry(m["seq"].as_i64().unwrap())
                    .or_insert_with(|| m["id"].as_str().unwrap().to_owned());
            }
        }
    }

    fn ids(&self, id: &str) -> Option<Vec<String>> {
        self.conversations
            .get(id)
            .map(|l| l.values().cloned().collect())
    }
}

async fn server_messages(api: &Api, op: &Operator, id: &str) -> Vec<String> {
    let (status, detail) = api
        .get(&format!("/api/conversations/{id}"), &op.token)
        .await;
    assert_eq!(status, StatusCode::OK);
    detail["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn random_disconnects_lose_and_duplicate_nothing() {
    let seed: u64 = std::env::var("RESUME_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    println!("RESUME_SEED={seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);

    let server = Server::start(&[
        "--presence-grace-ms",
        "60000",
        "--visitor-message-rate",
        "0",
    ]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let mut ws = api.go_online(&admin).await;
    let mut view = View::default();
    let start = ws.cursor;

    // Three visitors in conversations assigned to the operator, writing concurrently.
    let mut visitors = Vec::new();
    for _ in 0..3 {
        let v = api.visitor(None).await;
        let id = api.ask_for_person(&v).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, _) = api
            .post(
                &format!("/api/conversations/{id}/assign"),
                &admin.token,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        visitors.push((v, id));
    }
    let writers: Vec<_> = visitors
        .iter()
        .map(|(v, _)| {
            let (api, v) = (api.clone(), v.clone());
            tokio::spawn(async move {
                for i in 0..120 {
                    let (status, body) = api.send_as_visitor(&v, &format!("message {i}")).await;
                    assert_eq!(status, StatusCode::CREATED, "{body}");
                    if i % 10 == 0 {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                }
            })
        })
        .collect();

    // Read a random number of frames, drop the socket without a goodbye, reconnect from the cursor.
    let mut reconnects = 0;
    let _ = start;
    while !writers.iter().all(|w| w.is_finished()) {
        let n = rng.gen_range(0..40);
        for _ in 0..n {
            match ws.next_within(Duration::from_millis(200)).await {
                Some(f) => view.apply(&f),
                None => break,
            }
        }
        let cursor = ws.cursor;
        drop(ws);
        reconnects += 1;
        ws = Ws::operator(&api, &admin.token, Some(cursor)).await;
        ws.cursor = cursor;
    }
    for w in writers {
        w.await.unwrap();
    }
    for f in ws.drain(Duration::from_millis(500)).await {
        view.apply(&f);
    }
    assert!(
        reconnects > 3,
        "the test should reconnect several times ({reconnects})"
    );
    view.fill_gaps(&api, &admin).await;
    for (_, id) in &visitors {
        let expected = server_messages(&api, &admin, id).await;
        assert_eq!(
            view.ids(id),
            Some(expected.clone()),
            "conversation {id} after {reconnects} reconnects"
        );
        assert!(expected.len() >= 120);
    }
}

#[tokio::test]
async fn a_slow_reader_catches_up_from_storage() {
    let server = Server::start(&["--visitor-message-rate", "0"]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let mut ws = api.go_online(&admin).await;
    let mut view = View::default();
    let (v, id) = api.assigned_chat(&admin).await;
    // Large messages while the client reads nothing: the socket buffers fill, the server's
    // per-connection queue overflows, and the connection must fall back to the database.
    // 4-byte characters: ~16 KB per event, ~25 MB in all, more than loopback socket buffers hold.
    let big = "🙂".repeat(3900);
    let senders: Vec<_> = (0..4)
        .map(|w| {
            let (api, v, big) = (api.clone(), v.clone(), big.clone());
            tokio::spawn(async move {
                for i in 0..400 {
                    let (status, _) = api.send_as_visitor(&v, &format!("{w}/{i} {big}")).await;
                    assert_eq!(status, StatusCode::CREATED);
                }
            })
        })
        .collect();
    for s in senders {
        s.await.unwrap();
    }
    while let Some(f) = ws.next_within(Duration::from_secs(2)).await {
        view.apply(&f);
    }
    view.fill_gaps(&api, &admin).await;
    assert_eq!(
        view.ids(&id),
        Some(server_messages(&api, &admin, &id).await)
    );
    let log = std::fs::read_to_string(server.data.join("server.log")).unwrap();
    assert!(
        log.contains("connection lagged"),
        "the test did not overflow the live queue; make it push harder"
    );
}

#[tokio::test]
async fn a_cursor_older_than_the_kept_events_gets_resync_required() {
    let tmp = tempfile::tempdir().unwrap();
    let mut server = Server::start_in(tmp.path(), &[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let password = server.admin_password.clone().unwrap();
    let mut ws = api.go_online(&admin).await;
    let v = api.visitor(None).await;
    api.ask_for_person(&v).await;
    ws.until(|f| f["type"] == "event").await;
    ws.drain(Duration::from_millis(300)).await;
    let cursor = ws.cursor;
    assert!(cursor > 0);
    server.kill();
    // Restart with no retention: every stored event is pruned at start.
    let server = Server::start_in(tmp.path(), &["--event-retention-secs", "0"]);
    let api = server.api();
    let admin = api.login(ADMIN_EMAIL, &password).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut ws = Ws::operator(&api, &admin.token, Some(0)).await;
    let f = ws.next().await;
    assert_eq!(f["type"], "resync_required", "{f}");
    // A cursor from the future (another database) is refused the same way.
    let mut ws = Ws::operator(&api, &admin.token, Some(cursor + 1000)).await;
    assert_eq!(ws.next().await["type"], "resync_required");
    // The current head resumes fine.
    let mut ws = Ws::operator(&api, &admin.token, Some(cursor)).await;
    assert_eq!(ws.next().await["type"], "ready");
}
