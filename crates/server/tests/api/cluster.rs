//! Several server nodes on one PostgreSQL database (always PostgreSQL, whatever
//! `FRONTDESK_TEST_BACKEND` says): events written through one node reach streams on the
//! others, cursors are valid on every node, a claim race has one winner, presence is the
//! same on every node (also after a node died), a wait-time deadline pending on a killed
//! node fires once on another, a node SIGKILLed during a burst loses no acknowledged
//! message and none is delivered twice, a node rides out a PostgreSQL restart under load
//! (503s while it is away, then everything acknowledged is there and streamed once); and an
//! installation moves from SQLite to PostgreSQL. Nodes must share one secret key file; one
//! node at a time pushes to Pipedrive, and another takes over when it dies.

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
    // Ann is online through node B, where the visitor asks.
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

/// Waits until `op` is (or is not) in node `api`'s list of online operators.
async fn until_listed(api: &Api, viewer: &Operator, op: &Operator, online: bool, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let (_, list) = api.get("/api/operators/online", &viewer.token).await;
        let listed = list
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["id"] == op.id.as_str());
        if listed == online {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} never became {} on this node",
            op.name,
            if online { "online" } else { "offline" }
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn presence_is_shared_and_a_dead_nodes_operators_go_offline_after_the_grace_period() {
    let db = TestDatabase::new();
    let args = ["--presence-grace-ms", "1000"];
    let mut a = Server::node(&db.url, &args);
    let b = Server::node(&db.url, &args);
    let (api_a, api_b) = (a.api(), b.api());
    let admin = api_a.admin(&a).await;
    let ann = api_a.operator(&admin, "Ann").await;
    // Ann is connected to node A only; node B counts her online.
    let _ann_ws = api_a.go_online(&ann).await;
    until_listed(&api_b, &admin, &ann, true, Duration::from_secs(5)).await;
    // So a visitor on node B waits in Unassigned rather than going to offline mode.
    let v = api_b.visitor(None).await;
    let chat = api_b.ask_for_person(&v).await;
    assert_eq!(chat["state"], "waiting", "{chat}");
    let id = chat["id"].as_str().unwrap().to_owned();
    let (status, body) = api_b
        .post(
            &format!("/api/conversations/{id}/assign"),
            &ann.token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Node A dies with Ann's connection: after the grace period she is offline on node B,
    // and the chat she held goes back (offline mode: nobody else is online).
    a.kill();
    until_listed(&api_b, &admin, &ann, false, Duration::from_secs(15)).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (_, c) = api_b
            .get(&format!("/api/conversations/{id}"), &admin.token)
            .await;
        if c["conversation"]["state"] == "offline" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the chat of an operator who is gone was not handed back: {}",
            c["conversation"]
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_sqlite_installation_moves_to_postgres_with_the_shipped_command() {
    let data = tempfile::tempdir().unwrap();
    let mut old = Server::sqlite_in(data.path(), &[]);
    let api = old.api();
    let admin = api.admin(&old).await;
    let password = old.admin_password.clone().unwrap();
    let _ws = api.go_online(&admin).await;
    let (v, id) = api.assigned_chat(&admin).await;
    assert_eq!(
        api.send_as_visitor(&v, "hello from before the move")
            .await
            .0,
        StatusCode::CREATED
    );
    old.kill();

    let db = TestDatabase::new();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_frontdesk-server"))
        .args(["admin", "copy-to-postgres", "--data"])
        .arg(data.path())
        .args(["--database", &db.url])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("messages: "), "{stdout}");

    let new = Server::node(&db.url, &[]);
    assert!(new.admin_password.is_none(), "the accounts came along");
    let api = new.api();
    let admin = api.login(ADMIN_EMAIL, &password).await;
    let (status, detail) = api
        .get(&format!("/api/conversations/{id}"), &admin.token)
        .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert!(detail["messages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["body"] == "hello from before the move"));
    // The visitor's session came along too.
    assert_eq!(
        api.send_as_visitor(&v, "and after it").await.0,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn three_nodes_deliver_every_acknowledged_message_once_when_one_dies_mid_burst() {
    use std::collections::HashSet;
    use std::sync::{Arc, Mutex};
    let db = TestDatabase::new();
    let args = ["--visitor-message-rate", "0"];
    let mut a = Server::node(&db.url, &args);
    let b = Server::node(&db.url, &args);
    let c = Server::node(&db.url, &args);
    let (api_a, api_b, api_c) = (a.api(), b.api(), c.api());
    let admin = api_a.admin(&a).await;
    // The admin watches from node C; the chat is theirs.
    let mut watcher = api_c.go_online(&admin).await;
    let (v, id) = api_c.assigned_chat(&admin).await;

    // Writers through nodes A and B, the visitor and the operator alternating.
    let acked = Arc::new(Mutex::new(HashSet::<String>::new()));
    let mut writers = Vec::new();
    for w in 0..6 {
        let api = if w % 2 == 0 {
            api_a.clone()
        } else {
            api_b.clone()
        };
        let (acked, v, admin, id) = (acked.clone(), v.clone(), admin.clone(), id.clone());
        writers.push(tokio::spawn(async move {
            for i in 0..60 {
                let message_id = uuid::Uuid::now_v7();
                let body = json!({"message_id": message_id, "body": format!("w{w} m{i}")});
                let req = if w % 3 == 0 {
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
                    // Node A died: not acknowledged, this writer stops.
                    _ => break,
                }
            }
        }));
    }
    for _ in 0..200 {
        if acked.lock().unwrap().len() >= 60 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    a.kill();
    for w in writers {
        w.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 60,
        "the burst was acknowledged ({})",
        acked.len()
    );

    // Every acknowledged message reaches the stream on node C once (`Ws` fails on a
    // repeated or out-of-order seq), whichever node took it.
    let mut delivered = HashSet::new();
    while !acked.is_subset(&delivered) {
        let f = watcher
            .next_within(Duration::from_secs(10))
            .await
            .unwrap_or_else(|| {
                panic!(
                    "{} acknowledged messages never arrived",
                    acked.difference(&delivered).count()
                )
            });
        if f["type"] == "event" && f["event"]["kind"] == "message" {
            let m = f["event"]["message"]["id"].as_str().unwrap().to_owned();
            assert!(delivered.insert(m), "a message delivered twice");
        }
    }
    let (_, detail) = api_b
        .get(&format!("/api/conversations/{id}"), &admin.token)
        .await;
    let stored: Vec<_> = detail["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    let unique: HashSet<_> = stored.iter().cloned().collect();
    assert_eq!(unique.len(), stored.len(), "no message stored twice");
    assert!(
        acked.is_subset(&unique),
        "every acknowledged message is stored"
    );
}

#[tokio::test]
async fn a_node_rides_out_a_postgres_restart_under_load() {
    use std::collections::HashSet;
    use std::sync::{Arc, Mutex};
    // A cluster of this test's own: restarting the shared one would break the other tests.
    let cluster = tokio::task::spawn_blocking(frontdesk_store::testing::Cluster::start)
        .await
        .unwrap()
        .unwrap();
    let cluster = Arc::new(cluster);
    let node = Server::node(&cluster.url, &["--visitor-message-rate", "0"]);
    let api = node.api();
    let admin = api.admin(&node).await;
    let mut watcher = api.go_online(&admin).await;
    let (v, id) = api.assigned_chat(&admin).await;

    let acked = Arc::new(Mutex::new(HashSet::<String>::new()));
    let refused = Arc::new(Mutex::new(Vec::<(StatusCode, serde_json::Value)>::new()));
    let restarted = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..4 {
        let (api, v, acked, refused, restarted) = (
            api.clone(),
            v.clone(),
            acked.clone(),
            refused.clone(),
            restarted.clone(),
        );
        writers.push(tokio::spawn(async move {
            let mut after_restart = 0;
            for i in 0..2000 {
                let message_id = uuid::Uuid::now_v7();
                let body = json!({"message_id": message_id, "body": format!("w{w} m{i}")});
                let (status, answer) = api
                    .call("POST", "/api/visitor/messages", Some(&v.token), Some(body))
                    .await;
                let was_restarted = restarted.load(std::sync::atomic::Ordering::Acquire);
                if status == StatusCode::CREATED {
                    acked.lock().unwrap().insert(message_id.to_string());
                    if was_restarted {
                        after_restart += 1;
                    }
                } else {
                    refused.lock().unwrap().push((status, answer));
                }
                if after_restart >= 10 {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            panic!("writer {w} never got through after the restart");
        }));
    }
    for _ in 0..400 {
        if acked.lock().unwrap().len() >= 40 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let c = cluster.clone();
    let restart = tokio::task::spawn_blocking(move || c.restart());
    tokio::time::timeout(Duration::from_secs(90), restart)
        .await
        .expect("PostgreSQL restarted within 90 s")
        .unwrap()
        .unwrap();
    restarted.store(true, std::sync::atomic::Ordering::Release);
    for w in writers {
        w.await.unwrap();
    }

    // While the database was away the node refused with 503 and the error shape, and only
    // then.
    let refused = refused.lock().unwrap().clone();
    assert!(!refused.is_empty(), "no request met the restart");
    for (status, body) in &refused {
        assert_eq!(*status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(body["code"], "storage_unavailable", "{body}");
        assert!(body["message"].is_string(), "{body}");
    }
    // Every acknowledged message is stored, and reaches the open stream once.
    let acked = acked.lock().unwrap().clone();
    let (_, detail) = api
        .get(&format!("/api/conversations/{id}"), &admin.token)
        .await;
    let stored: HashSet<_> = detail["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(acked.is_subset(&stored), "acknowledged messages were lost");
    let mut delivered = HashSet::new();
    while !acked.is_subset(&delivered) {
        let f = watcher
            .next_within(Duration::from_secs(10))
            .await
            .unwrap_or_else(|| {
                panic!(
                    "{} acknowledged messages never arrived",
                    acked.difference(&delivered).count()
                )
            });
        if f["type"] == "event" && f["event"]["kind"] == "message" {
            let m = f["event"]["message"]["id"].as_str().unwrap().to_owned();
            assert!(delivered.insert(m), "a message delivered twice");
        }
    }
}

#[tokio::test]
async fn a_node_on_postgres_needs_the_shared_secret_key_file() {
    // A key made up in the node's own directory would seal the Pipedrive token so that no
    // other node could open it: a node on PostgreSQL must be told which key file to use.
    let db = TestDatabase::new();
    let data = tempfile::tempdir().unwrap();
    let mut node = std::process::Command::new(env!("CARGO_BIN_EXE_frontdesk-server"))
        .args(["--listen", "127.0.0.1:0", "--database", &db.url, "--data"])
        .arg(data.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut exited = None;
    for _ in 0..200 {
        exited = node.try_wait().unwrap();
        if exited.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let Some(status) = exited else {
        node.kill().unwrap();
        panic!("a node without --secret-key-file started");
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut node.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!status.success(), "{stderr}");
    assert!(stderr.contains("--secret-key-file"), "{stderr}");
    assert!(!data.path().join("secret.key").exists());
}

#[tokio::test]
async fn one_node_at_a_time_pushes_to_pipedrive() {
    use crate::pipedrive_fake::{Fake, Fault};
    const TOKEN: &str = "pd-cluster-token-3b7e91";
    let fake = Fake::start(TOKEN).await;
    let db = TestDatabase::new();
    let args = [
        "--pipedrive-base-url",
        &fake.base,
        "--crm-retry-base-ms",
        "100",
    ];
    let mut nodes = [
        Server::node(&db.url, &args),
        Server::node(&db.url, &args),
        Server::node(&db.url, &args),
    ];
    let (api_a, api_b) = (nodes[0].api(), nodes[1].api());
    let admin = api_a.admin(&nodes[0]).await;
    let (s, view) = api_a
        .put(
            "/api/admin/crm/pipedrive",
            &admin.token,
            json!({"company_domain": "acme", "api_token": TOKEN}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{view}");
    let ann = api_b.operator(&admin, "Ann").await;
    let _online = api_b.go_online(&ann).await;
    let (_, id) = api_b.assigned_chat(&ann).await;
    let (s, _) = api_b
        .put(
            &format!("/api/conversations/{id}/details"),
            &ann.token,
            crate::sales::details_body(),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    // The lead's creation in Pipedrive is slow: every node's worker comes round meanwhile,
    // and each would push it again if it could.
    let hold = Fault::Hold(Duration::from_millis(2500));
    fake.inject("POST", "/api/v1/leads", hold, 1);
    let key = uuid::Uuid::now_v7().to_string();
    let (s, lead) = crate::sales::create(&api_b, &ann, &id, "lead", &key).await;
    assert_eq!(s, StatusCode::CREATED, "{lead}");
    wait_synced(&api_b, &ann, &id, 0).await;
    // Two more rounds of every node: nothing else goes out.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let leads = fake.seen("POST", "/api/v1/leads").len();
    assert_eq!(leads, 1, "the lead was pushed once");
    assert_eq!(fake.with(|i| i.persons.len()), 1);
    assert_eq!(fake.with(|i| i.organizations.len()), 1);

    // The node that pushed dies with the others; a new node takes the role over.
    for node in &mut nodes {
        node.kill();
    }
    let d = Server::node(&db.url, &args);
    let api_d = d.api();
    let key = uuid::Uuid::now_v7().to_string();
    let (s, deal) = crate::sales::create(&api_d, &ann, &id, "deal", &key).await;
    assert_eq!(s, StatusCode::CREATED, "{deal}");
    wait_synced(&api_d, &ann, &id, 1).await;
    assert_eq!(fake.seen("POST", "/api/v2/deals").len(), 1);
    fake.assert_no_violations();
}

/// Waits until the conversation's result number `n` is synced (20 s at most).
async fn wait_synced(api: &Api, op: &Operator, id: &str, n: usize) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (_, d) = api
            .get(&format!("/api/conversations/{id}"), &op.token)
            .await;
        if d["details"]["results"][n]["sync"]["status"] == "synced" {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "not pushed: {d}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
