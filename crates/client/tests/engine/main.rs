//! The engine against the real server: resume, outbox, cache equality and resync, refusals,
//! notifications, search. One test binary; each test starts its own server process.

mod admin;
mod sales;
mod support;

use frontdesk_client::{
    EngineEvent, MessageStatus, Notification, NotificationKind, SyncStateName, HIGHLIGHT_END,
    HIGHLIGHT_START,
};
use frontdesk_protocol::Folder;
use std::time::Duration;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_after_a_dropped_socket_delivers_each_message_once() {
    let server = Server::start(&server_args());
    let proxy = Proxy::start(server.addr).await;
    let w = world(Some(proxy.url()), server).await;
    let v = w.api.visitor("Lena").await;
    let c = w.api.ask_for_person(&v).await;
    let e = w.engine.clone();
    eventually(10, "the chat in Unassigned", || {
        let e = e.clone();
        async move { in_folder(&e, Folder::Unassigned, c).await }
    })
    .await;
    w.engine.assign(c).await.expect("assign");
    w.api.visitor_says(&v, "one").await;
    eventually(10, "message one", || {
        let e = e.clone();
        async move { bodies(&e, c).await.contains(&"one".to_owned()) }
    })
    .await;

    proxy.cut(true);
    eventually(10, "the engine to notice", || {
        let e = e.clone();
        async move { e.sync_state().state != SyncStateName::Live }
    })
    .await;
    w.api.visitor_says(&v, "two").await;
    w.api.visitor_says(&v, "three").await;
    proxy.unblock();
    wait_live(&w.engine).await;
    eventually(10, "the messages sent meanwhile", || {
        let e = e.clone();
        async move { bodies(&e, c).await.contains(&"three".to_owned()) }
    })
    .await;

    let snap = w.engine.snapshot().await.unwrap();
    let (_, messages) = snap.iter().find(|(r, _)| r.id == c).unwrap();
    for body in ["one", "two", "three"] {
        assert_eq!(
            messages.iter().filter(|m| m.body == body).count(),
            1,
            "{body} once"
        );
    }
    let seqs: Vec<i64> = messages.iter().map(|m| m.seq).collect();
    assert_eq!(
        seqs,
        (1..=messages.len() as i64).collect::<Vec<_>>(),
        "no gaps, no repeats"
    );

    let ann = w.api.login(&w.ann_email, PASSWORD).await;
    assert_eq!(
        snap,
        w.api.fresh_load(&ann).await,
        "cache equals the server"
    );
    w.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outbox_drains_once_after_the_server_returns() {
    let mut w = world(None, Server::start(&server_args())).await;
    let c = waiting_chat(&w, "Jonas").await;
    let e = w.engine.clone();
    w.engine.assign(c).await.unwrap();
    w.engine.set_presence(true, None).await.unwrap();
    eventually(10, "online", || {
        let e = e.clone();
        async move { e.presence().await.is_ok_and(|p| p.online) }
    })
    .await;

    w.server.kill();
    eventually(10, "offline", || {
        let e = e.clone();
        async move { e.sync_state().state == SyncStateName::Offline }
    })
    .await;
    // Without a connection no chat can reach me: presence must not say otherwise.
    let p = w.engine.presence().await.unwrap();
    assert!(p.chose_online && !p.online, "{p:?}");
    let m = w
        .engine
        .send_message(c, "Written while the server was away")
        .await
        .unwrap();
    assert_eq!(m.status, MessageStatus::Pending);
    assert_eq!(w.engine.sync_state().outbox, 1);
    // Offline review still works, with the pending message in place.
    let d = w.engine.open_conversation(c).await.unwrap();
    assert_eq!(
        d.messages.last().map(|x| (x.id, x.status)),
        Some((m.id, MessageStatus::Pending))
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        w.engine.sync_state().outbox,
        1,
        "nothing is sent while offline"
    );

    w.server.restart(&server_args());
    eventually(20, "the message sent", || {
        let e = e.clone();
        async move {
            let d = e.open_conversation(c).await.unwrap();
            d.messages
                .iter()
                .any(|x| x.id == m.id && x.status == MessageStatus::Sent)
        }
    })
    .await;
    let ann = w.api.login(&w.ann_email, PASSWORD).await;
    let (status, d) = w
        .api
        .call(
            "GET",
            &format!("/api/conversations/{c}"),
            Some(&ann.token),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let on_server: Vec<&serde_json::Value> = d["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["body"] == "Written while the server was away")
        .collect();
    assert_eq!(on_server.len(), 1, "delivered exactly once");
    assert_eq!(on_server[0]["id"], m.id.to_string());
    assert_eq!(w.engine.sync_state().outbox, 0);
    w.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_equals_the_server_after_sync_and_after_a_resync() {
    let mut w = world(None, Server::start(&server_args())).await;
    let bob_email = w.api.new_operator(&w.admin, "Bob").await;
    let bob = w.api.login(&bob_email, PASSWORD).await;
    let _bob_stream = w.api.go_online(&bob).await;
    let e = w.engine.clone();

    let v1 = w.api.visitor("Visitor One").await;
    let c1 = w.api.ask_for_person(&v1).await; // stays unassigned
    let v2 = w.api.visitor("Visitor Two").await;
    let c2 = w.api.ask_for_person(&v2).await; // Ann's
    let v3 = w.api.visitor("Visitor Three").await;
    let c3 = w.api.ask_for_person(&v3).await; // Ann's, then closed
    let v4 = w.api.visitor("Visitor Four").await;
    let c4 = w.api.ask_for_person(&v4).await; // Bob's: not Ann's to see
    eventually(10, "all four", || {
        let e = e.clone();
        async move { e.snapshot().await.unwrap().len() == 4 }
    })
    .await;
    w.engine.assign(c2).await.unwrap();
    w.engine.assign(c3).await.unwrap();
    let (status, body) = w
        .api
        .post(
            &bob,
            &format!("/api/conversations/{c4}/assign"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    w.api.visitor_says(&v2, "Hello from two").await;
    w.engine.send_message(c3, "Thanks, bye").await.unwrap();
    let c3_sent = || {
        let e = e.clone();
        async move { bodies(&e, c3).await.contains(&"Thanks, bye".to_owned()) }
    };
    eventually(10, "the reply sent", c3_sent).await;
    w.engine.close(c3).await.unwrap();

    let ann = w.api.login(&w.ann_email, PASSWORD).await;
    let api = w.api.clone();
    let (e2, ann2) = (e.clone(), ann.clone());
    eventually(10, "cache equals a fresh load", move || {
        let (e, api, ann) = (e2.clone(), api.clone(), ann2.clone());
        async move { e.snapshot().await.unwrap() == api.fresh_load(&ann).await }
    })
    .await;
    let ids: Vec<_> = e
        .snapshot()
        .await
        .unwrap()
        .into_iter()
        .map(|(c, _)| c.id)
        .collect();
    assert!(ids.contains(&c1) && ids.contains(&c2) && ids.contains(&c3));
    assert!(!ids.contains(&c4), "Bob's chat left the cache");

    // Away: the engine stops; things change; the server forgets old events.
    w.engine.shutdown().await;
    w.api.visitor_says(&v1, "Anyone there?").await;
    let (status, body) = w
        .api
        .post(
            &ann,
            &format!("/api/conversations/{c2}/reassign"),
            serde_json::json!({"operator_id": bob.id}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let v5 = w.api.visitor("Visitor Five").await;
    let c5 = w.api.ask_for_person(&v5).await;
    w.server
        .restart(&["--wait-time-secs", "600", "--event-retention-secs", "0"]);
    let ann = w.api.login(&w.ann_email, PASSWORD).await;
    let api = w.api.clone();
    let ann2 = ann.clone();
    eventually(10, "the server to prune its events", move || {
        let (api, ann) = (api.clone(), ann2.clone());
        async move {
            api.call("GET", "/api/sync/changes?since=1", Some(&ann.token), None)
                .await
                .0
                == 409
        }
    })
    .await;

    let engine = open_engine(w.dir.path()).await;
    wait_live(&engine).await;
    let snap = engine.snapshot().await.unwrap();
    assert_eq!(
        snap,
        w.api.fresh_load(&ann).await,
        "cache equals the server after the resync"
    );
    let ids: Vec<_> = snap.iter().map(|(c, _)| c.id).collect();
    assert!(ids.contains(&c5), "the new chat arrived");
    assert!(!ids.contains(&c2), "the chat reassigned away was dropped");
    assert!(
        w.server
            .log()
            .lines()
            .any(|l| l.contains("/api/sync/changes") && l.contains("409")),
        "the engine's catch-up was refused with resync_required (the path under test)"
    );
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_message_is_kept_as_failed_with_the_reason() {
    let w = world(None, Server::start(&server_args())).await;
    let c = waiting_chat(&w, "Mara").await;
    let e = w.engine.clone();
    w.engine.assign(c).await.unwrap();
    w.engine.close(c).await.unwrap();

    let m = w.engine.send_message(c, "One more thing").await.unwrap();
    let failed = || {
        let e = e.clone();
        async move {
            let d = e.open_conversation(c).await.unwrap();
            d.messages
                .iter()
                .any(|x| x.id == m.id && x.status == MessageStatus::Failed)
        }
    };
    eventually(10, "the refusal", failed).await;
    let d = w.engine.open_conversation(c).await.unwrap();
    let kept = d.messages.iter().find(|x| x.id == m.id).unwrap();
    assert_eq!(kept.body, "One more thing");
    assert_eq!(kept.error.as_ref().unwrap().code, "conversation_closed");
    assert!(!kept.error.as_ref().unwrap().message.is_empty());

    w.engine.retry_message(m.id).await.unwrap();
    eventually(10, "refused again", failed).await;
    w.engine.discard_message(m.id).await.unwrap();
    let d = w.engine.open_conversation(c).await.unwrap();
    assert!(d.messages.iter().all(|x| x.id != m.id));
    assert_eq!(
        w.engine.discard_message(m.id).await.unwrap_err().code,
        "message_not_found"
    );
    // Bad input is refused up front and loses nothing.
    assert_eq!(
        w.engine.send_message(c, "   ").await.unwrap_err().code,
        "empty_message"
    );
    let long = "x".repeat(frontdesk_protocol::MAX_MESSAGE_CHARS + 1);
    assert_eq!(
        w.engine.send_message(c, &long).await.unwrap_err().code,
        "message_too_long"
    );
    w.engine.shutdown().await;
}

/// Notifications received until the engine has been quiet for `quiet`.
async fn notifications(
    rx: &mut tokio::sync::broadcast::Receiver<EngineEvent>,
    quiet: Duration,
) -> Vec<Notification> {
    let mut out = Vec::new();
    while let Ok(Ok(e)) = tokio::time::timeout(quiet, rx.recv()).await {
        if let EngineEvent::Notification(n) = e {
            out.push(n);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_for_the_three_cases_only() {
    let mut w = world(None, Server::start(&server_args())).await;
    let bob_email = w.api.new_operator(&w.admin, "Bob").await;
    let bob = w.api.login(&bob_email, PASSWORD).await;
    let _bob_stream = w.api.go_online(&bob).await;
    let mut rx = w.engine.subscribe();
    let quiet = Duration::from_millis(1500);
    let kinds = |ns: &[Notification]| {
        ns.iter()
            .map(|n| (n.kind, n.conversation_id))
            .collect::<Vec<_>>()
    };

    // (a) a new chat in Unassigned.
    let v1 = w.api.visitor("Lena").await;
    let c1 = w.api.ask_for_person(&v1).await;
    let ns = notifications(&mut rx, quiet).await;
    assert_eq!(kinds(&ns), vec![(NotificationKind::NewConversation, c1)]);
    assert_eq!(ns[0].title, "New conversation");
    assert!(ns[0].body.contains("Lena"));

    // My own assign and my own message: nothing.
    w.engine.assign(c1).await.unwrap();
    w.engine
        .send_message(c1, "Hi Lena, how can I help?")
        .await
        .unwrap();
    assert_eq!(kinds(&notifications(&mut rx, quiet).await), vec![]);

    // (b) the visitor writes, three times quickly: one notification.
    for text in ["Hello", "I need a quote", "for 50 seats"] {
        w.api.visitor_says(&v1, text).await;
    }
    let ns = notifications(&mut rx, quiet).await;
    assert_eq!(kinds(&ns), vec![(NotificationKind::NewMessage, c1)]);
    assert_eq!(ns[0].count, 3);
    assert_eq!(ns[0].body, "3 new messages: for 50 seats");

    // (c) Bob takes a new chat and hands it to me.
    let v2 = w.api.visitor("Tom").await;
    let c2 = w.api.ask_for_person(&v2).await;
    assert_eq!(
        kinds(&notifications(&mut rx, quiet).await),
        vec![(NotificationKind::NewConversation, c2)]
    );
    let (s, b) = w
        .api
        .post(
            &bob,
            &format!("/api/conversations/{c2}/assign"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let me = w.engine.session().await.unwrap().operator.unwrap().id;
    let (s, b) = w
        .api
        .post(
            &bob,
            &format!("/api/conversations/{c2}/reassign"),
            serde_json::json!({"operator_id": me}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let ns = notifications(&mut rx, quiet).await;
    assert_eq!(kinds(&ns), vec![(NotificationKind::Assigned, c2)]);
    assert_eq!(ns[0].title, "Assigned to you");

    // Away and back: what happened meanwhile is caught up silently.
    w.engine.shutdown().await;
    let v3 = w.api.visitor("Eva").await;
    let c3 = w.api.ask_for_person(&v3).await;
    w.api.visitor_says(&v1, "Are you still there?").await;
    let engine = open_engine(w.dir.path()).await;
    let mut rx = engine.subscribe();
    wait_live(&engine).await;
    let e = engine.clone();
    eventually(10, "caught up", || {
        let e = e.clone();
        async move { in_folder(&e, Folder::Unassigned, c3).await }
    })
    .await;
    assert_eq!(
        kinds(&notifications(&mut rx, quiet).await),
        vec![],
        "no notifications for catch-up"
    );
    // Live again: notifications come back.
    w.api.visitor_says(&v1, "Hello?").await;
    assert_eq!(
        kinds(&notifications(&mut rx, quiet).await),
        vec![(NotificationKind::NewMessage, c1)]
    );
    engine.shutdown().await;
    w.server.kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_text_search_finds_german_and_english_offline() {
    let mut w = world(None, Server::start(&server_args())).await;
    let v = w.api.visitor("Jürgen Müller").await;
    let c = w.api.ask_for_person(&v).await;
    w.api
        .visitor_says(&v, "Wir brauchen ein Angebot für die Größe XL.")
        .await;
    w.api
        .visitor_says(&v, "We need a quote for 50 seats, please.")
        .await;
    let e = w.engine.clone();
    eventually(10, "the messages", || {
        let e = e.clone();
        async move { bodies(&e, c).await.len() >= 2 }
    })
    .await;

    // The token is in the 0600 file (no keyring here), never in the cache database.
    let token = std::fs::read_to_string(w.dir.path().join("session-token")).unwrap();
    assert!(token.len() > 20);
    for f in ["cache.sqlite", "cache.sqlite-wal"] {
        if let Ok(bytes) = std::fs::read(w.dir.path().join(f)) {
            assert!(
                !bytes.windows(token.len()).any(|x| x == token.as_bytes()),
                "token found in {f}"
            );
        }
    }

    w.server.kill();
    let hit = |q: &'static str| {
        let e = e.clone();
        async move { e.search(q, 10).await.unwrap().hits }
    };
    let h = hit("angebot").await;
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].conversation_id, c);
    assert!(
        h[0].snippet
            .contains(&format!("{HIGHLIGHT_START}Angebot{HIGHLIGHT_END}")),
        "{}",
        h[0].snippet
    );
    assert_eq!(h[0].visitor_name.as_deref(), Some("Jürgen Müller"));
    let h = hit("fur grosse").await; // diacritics folded: "für"; "Größe" is not "grosse"
    assert!(h.is_empty());
    let h = hit("fur").await;
    assert_eq!(h.len(), 1);
    assert!(
        h[0].snippet
            .contains(&format!("{HIGHLIGHT_START}für{HIGHLIGHT_END}")),
        "{}",
        h[0].snippet
    );
    let h = hit("quote seats").await;
    assert_eq!(h.len(), 1);
    assert!(h[0]
        .snippet
        .contains(&format!("{HIGHLIGHT_START}quote{HIGHLIGHT_END}")));
    assert!(
        hit("\"(AND").await.is_empty(),
        "search syntax in the input is harmless"
    );
    assert!(hit("Bestellung").await.is_empty());
    // The visitor's name is found too (diacritics folded), as a hit without a message.
    let h = hit("mull").await;
    assert_eq!(h.len(), 1, "{h:?}");
    assert_eq!(h[0].conversation_id, c);
    assert_eq!(h[0].message_id, None);
    assert_eq!(
        h[0].snippet,
        format!("Jürgen {HIGHLIGHT_START}Müller{HIGHLIGHT_END}")
    );
    w.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_signs_in_lists_sends_and_searches() {
    let server = Server::start(&server_args());
    let api = Api::new(&server);
    let admin = api.admin(&server).await;
    let email = api.new_operator(&admin, "Cleo").await;
    let cleo = api.login(&email, PASSWORD).await;
    let _online = api.go_online(&cleo).await;
    let v = api.visitor("Paul").await;
    let c = api.ask_for_person(&v).await;
    api.visitor_says(&v, "Gibt es einen Rabatt?").await;
    let dir = tempfile::tempdir().unwrap();
    let cli = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_frontdesk-client"))
            .arg("--data")
            .arg(dir.path())
            .arg("--server")
            .arg(&server.base)
            .args(args)
            .env("FRONTDESK_PASSWORD", PASSWORD)
            .env("FRONTDESK_TOKEN_STORE", "file")
            .output()
            .expect("run frontdesk-client");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{args:?}: {stdout} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    };
    assert!(cli(&["sign-in", &email]).contains("\"signed_in\": true"));
    let inbox = cli(&["inbox", "unassigned"]);
    assert!(
        inbox.contains(&c.to_string()) && inbox.contains("\"live\""),
        "{inbox}"
    );
    assert!(cli(&["search", "rabatt"]).contains("\u{E000}Rabatt\u{E001}"));
    let (s, b) = api
        .post(
            &cleo,
            &format!("/api/conversations/{c}/assign"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert!(cli(&["send", &c.to_string(), "Ja, 10 %"]).contains("\"status\": \"sent\""));
    // A wrong password is a clear error, not a crash.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_frontdesk-client"))
        .arg("--data")
        .arg(dir.path())
        .args(["--server", &server.base, "sign-in", &email])
        .env("FRONTDESK_PASSWORD", "wrong password")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid_credentials"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_reassigned_from_the_app_leaves_my_inbox() {
    let w = world(None, Server::start(&server_args())).await;
    let bob_email = w.api.new_operator(&w.admin, "Bob").await;
    let bob = w.api.login(&bob_email, PASSWORD).await;
    let _bob_stream = w.api.go_online(&bob).await;
    let c = waiting_chat(&w, "Nina").await;
    w.engine.assign(c).await.unwrap();
    assert!(in_folder(&w.engine, Folder::Mine, c).await);
    let bob_id: uuid::Uuid = bob.id.parse().unwrap();
    w.engine.reassign(c, bob_id).await.unwrap();
    // At once, and still once the stream has caught up: not mine any more.
    assert!(!in_folder(&w.engine, Folder::Mine, c).await);
    let ann = w.api.login(&w.ann_email, PASSWORD).await;
    let expected = w.api.fresh_load(&ann).await;
    let e = w.engine.clone();
    eventually(10, "the cache equal to the server", || {
        let (e, expected) = (e.clone(), expected.clone());
        async move { e.snapshot().await.unwrap() == expected }
    })
    .await;
    assert!(!in_folder(&w.engine, Folder::Mine, c).await);
    assert_eq!(
        w.engine.folder_counts().await.unwrap().mine.total,
        0,
        "the count agrees"
    );
    w.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_to_a_chat_reassigned_away_fails_and_stays_visible() {
    let w = world(None, Server::start(&server_args())).await;
    let bob_email = w.api.new_operator(&w.admin, "Bob").await;
    let bob = w.api.login(&bob_email, PASSWORD).await;
    let _bob_stream = w.api.go_online(&bob).await;
    let c = waiting_chat(&w, "Nina").await;
    let e = w.engine.clone();
    w.engine.assign(c).await.unwrap();
    // Ann's other device hands the chat to Bob.
    w.reassign_elsewhere(c, &bob).await;
    let m = w.engine.send_message(c, "Still here?").await.unwrap();
    eventually(10, "the refusal", || {
        let e = e.clone();
        async move {
            e.list_folder(Folder::Mine, 50, None)
                .await
                .unwrap()
                .rows
                .iter()
                .any(|r| r.id == c)
                && e.search("still", 5).await.is_ok()
                && matches!(
                    e.open_conversation(c).await,
                    Err(err) if err.code == "conversation_not_found"
                )
        }
    })
    .await;
    // Offline the cache answers: the failed message is there with the reason.
    w.engine.shutdown().await;
    let engine = open_engine(w.dir.path()).await;
    drop(w.server);
    let e = engine.clone();
    eventually(10, "offline", || {
        let e = e.clone();
        async move { e.sync_state().state == SyncStateName::Offline }
    })
    .await;
    let d = engine.open_conversation(c).await.unwrap();
    let kept = d.messages.iter().find(|x| x.id == m.id).unwrap();
    assert_eq!(kept.status, MessageStatus::Failed);
    assert_eq!(kept.error.as_ref().unwrap().code, "conversation_not_found");
    assert!(
        engine
            .snapshot()
            .await
            .unwrap()
            .iter()
            .all(|(r, _)| r.id != c),
        "not the server's any more"
    );
    engine.discard_message(m.id).await.unwrap();
    assert!(
        !in_folder(&engine, Folder::Mine, c).await,
        "gone once nothing unsent is left"
    );
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn going_offline_while_holding_chats_asks_first() {
    let w = world(None, Server::start(&server_args())).await;
    let e = w.engine.clone();
    let me = w.engine.session().await.unwrap().operator.unwrap().id;
    eventually(10, "online as the stream reports it", || {
        let e = e.clone();
        async move {
            let p = e.presence().await.unwrap();
            p.chose_online && p.online && p.operators_online.iter().any(|o| o.id == me)
        }
    })
    .await;
    assert!(
        w.engine.server_time_offset().abs() < 5_000,
        "same machine, same clock"
    );
    let v = w.api.visitor("Ida").await;
    let c = w.api.ask_for_person(&v).await;
    eventually(10, "the chat", || {
        let e = e.clone();
        async move { in_folder(&e, Folder::Unassigned, c).await }
    })
    .await;
    w.engine.assign(c).await.unwrap();

    let mut rx = w.engine.subscribe();
    let p = w.engine.set_presence(false, None).await.unwrap();
    assert!(p.chose_online, "nothing changed");
    let asked = loop {
        match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
            Ok(Ok(EngineEvent::OfflineWithOpenChats(ids))) => break ids.conversation_ids,
            Ok(Ok(_)) => continue,
            other => panic!("no offline_with_open_chats: {other:?}"),
        }
    };
    assert_eq!(asked, vec![c]);

    let p = w
        .engine
        .set_presence(false, Some(frontdesk_client::OpenChatsChoice::Release))
        .await
        .unwrap();
    assert!(!p.chose_online);
    eventually(10, "the chat handed back", || {
        let e = e.clone();
        async move {
            !in_folder(&e, Folder::Mine, c).await
                && (in_folder(&e, Folder::Unassigned, c).await
                    || in_folder(&e, Folder::Offline, c).await)
        }
    })
    .await;
    w.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_device_ends_the_session_and_keeps_the_cache() {
    let w = world(None, Server::start(&server_args())).await;
    let c = waiting_chat(&w, "Olga").await;
    let mut rx = w.engine.subscribe();
    let ann = w.api.login(&w.ann_email, PASSWORD).await;
    let (s, sessions) = w
        .api
        .call("GET", "/api/me/sessions", Some(&ann.token), None)
        .await;
    assert_eq!(s, 200);
    let desktop = sessions
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["current"] == false)
        .expect("the engine's session");
    assert!(desktop["device"].as_str().unwrap().starts_with("Desktop"));
    let (s, _) = w
        .api
        .call(
            "DELETE",
            &format!("/api/me/sessions/{}", desktop["id"].as_str().unwrap()),
            Some(&ann.token),
            None,
        )
        .await;
    assert_eq!(s, 204);
    let ended = loop {
        match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
            Ok(Ok(EngineEvent::SessionEnded(err))) => break err,
            Ok(Ok(_)) => continue,
            other => panic!("no session_ended: {other:?}"),
        }
    };
    assert_eq!(ended.code, "session_revoked");
    assert!(!w.engine.session().await.unwrap().signed_in);
    assert!(
        !w.dir.path().join("session-token").exists(),
        "the token is forgotten"
    );
    assert!(
        in_folder(&w.engine, Folder::Unassigned, c).await,
        "the cache stays readable"
    );
    assert_eq!(
        w.engine.send_message(c, "hi").await.unwrap_err().code,
        "not_signed_in"
    );
    w.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_is_announced_as_not_receiving_chats() {
    let mut w = world(None, Server::start(&server_args())).await;
    let e = w.engine.clone();
    eventually(10, "online as the stream reports it", || {
        let e = e.clone();
        async move { e.presence().await.is_ok_and(|p| p.online) }
    })
    .await;
    // The window and the tray show presence from events: the drop must produce one.
    let mut events = w.engine.subscribe();
    w.server.kill();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Ok(EngineEvent::Presence(p))) if !p.online => {
                assert!(
                    p.chose_online,
                    "the choice is kept for when the server is back"
                );
                break;
            }
            Ok(Ok(_)) => {}
            other => panic!("no presence event saying offline: {other:?}"),
        }
    }
    w.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_speak_the_language_chosen_in_the_app() {
    let w = world(None, Server::start(&server_args())).await;
    let mut rx = w.engine.subscribe();
    // The system says English (the test options); the operator picked German in the window.
    w.engine.set_language("de");
    let v = w.api.visitor("Jana").await;
    w.api.ask_for_person(&v).await;
    let ns = notifications(&mut rx, Duration::from_millis(2500)).await;
    let n = ns
        .iter()
        .find(|n| n.kind == NotificationKind::NewConversation)
        .expect("a notification for the new chat");
    assert!(
        n.title == "Neue Unterhaltung" && n.body.contains("Jana wartet"),
        "in German: {n:?}"
    );
    w.engine.shutdown().await;
}
