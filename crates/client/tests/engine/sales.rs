//! Sales work from the app (S12, S13, B2): details and leads made offline reach the server
//! once, a refusal is kept with its reason, and events from elsewhere land in the cache.

use crate::support::*;
use frontdesk_client::{EngineEvent, MessageStatus, SalesAction, SalesLock, SyncStateName};
use frontdesk_protocol::{ContactDetails, OrganizationDetails, ResultKind, UpdateDetailsRequest};

fn typed_details() -> UpdateDetailsRequest {
    UpdateDetailsRequest {
        value: Some(12_500),
        currency: Some("EUR".into()),
        contact: Some(ContactDetails {
            name: Some("Jonas Berg".into()),
            emails: vec!["jonas@berg.example".into()],
            phones: vec![],
        }),
        organization: Some(OrganizationDetails {
            name: Some("Berg Logistik".into()),
            address: None,
        }),
        notes: Some("Wants 40 seats".into()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn details_and_a_lead_made_offline_reach_the_server_once() {
    let server = Server::start(&server_args());
    let proxy = Proxy::start(server.addr).await;
    let w = world(Some(proxy.url()), server).await;
    let c = waiting_chat(&w, "Jonas").await;
    let e = w.engine.clone();
    // Waiting in Unassigned: nobody's to edit yet, and the engine says why.
    let d = w.engine.open_conversation(c).await.unwrap();
    assert_eq!(d.sales_lock, Some(SalesLock::NotAssigned));
    let refused = w
        .engine
        .create_result(c, ResultKind::Lead)
        .await
        .unwrap_err();
    assert_eq!(refused.code, "not_assigned");
    w.engine.assign(c).await.unwrap();
    assert_eq!(
        w.engine.open_conversation(c).await.unwrap().sales_lock,
        None
    );

    proxy.cut(true);
    wait_offline(&w.engine).await;
    // A mistake is refused at once, offline too, and nothing is queued.
    let bad = UpdateDetailsRequest {
        value: Some(5),
        currency: None,
        ..typed_details()
    };
    assert_eq!(
        w.engine.update_details(c, bad).await.unwrap_err().code,
        "invalid_details"
    );
    assert_eq!(w.engine.sync_state().sales_outbox, 0);
    w.engine.update_details(c, typed_details()).await.unwrap();
    w.engine.create_result(c, ResultKind::Lead).await.unwrap();
    assert_eq!(w.engine.sync_state().sales_outbox, 2);
    assert_eq!(w.engine.sync_state().outbox, 0, "no message waits");
    // Offline the panel shows what was typed and what waits.
    let d = w.engine.open_conversation(c).await.unwrap();
    assert_eq!(d.details.sales.value, Some(12_500));
    assert_eq!(
        d.details.sales.organization.name.as_deref(),
        Some("Berg Logistik")
    );
    let waiting: Vec<_> = d
        .unsent_sales
        .iter()
        .map(|u| (u.action, u.status))
        .collect();
    assert_eq!(
        waiting,
        [
            (SalesAction::Details, MessageStatus::Pending),
            (SalesAction::CreateLead, MessageStatus::Pending)
        ]
    );

    proxy.unblock();
    eventually(20, "the outbox drained", || {
        let e = e.clone();
        async move {
            e.sync_state().sales_outbox == 0
                && e.open_conversation(c)
                    .await
                    .is_ok_and(|d| d.unsent_sales.is_empty() && d.details.results.len() == 1)
        }
    })
    .await;
    let ann = w.api.login(&w.ann_email, PASSWORD).await;
    let d = w.api.detail(&ann, c).await;
    let sales = &d["details"]["sales"];
    assert_eq!(sales["value"], 12_500);
    assert_eq!(sales["organization"]["name"], "Berg Logistik");
    let results = d["details"]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "created once: {results:?}");
    assert_eq!(results[0]["kind"], "lead");
    assert_eq!(results[0]["title"], "Berg Logistik");
    // The lead's own result_upsert event did not add a second copy to the cache.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let mine = w.engine.open_conversation(c).await.unwrap();
    assert_eq!(mine.details.results.len(), 1);
    assert_eq!(mine.details.sales.updated_by_name.as_deref(), Some("Ann"));
    w.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_refused_after_reconnecting_is_kept_with_the_reason() {
    let server = Server::start(&server_args());
    let proxy = Proxy::start(server.addr).await;
    let w = world(Some(proxy.url()), server).await;
    let bob_email = w.api.new_operator(&w.admin, "Bob").await;
    let bob = w.api.login(&bob_email, PASSWORD).await;
    let _bob_stream = w.api.go_online(&bob).await;
    let c = waiting_chat(&w, "Nina").await;
    let e = w.engine.clone();
    w.engine.assign(c).await.unwrap();
    proxy.cut(true);
    wait_offline(&w.engine).await;
    w.engine.create_result(c, ResultKind::Deal).await.unwrap();
    // Meanwhile Ann's other device hands the chat to Bob.
    w.reassign_elsewhere(c, &bob).await;
    proxy.unblock();
    eventually(20, "the refusal", || {
        let e = e.clone();
        async move { e.sync_state().state == SyncStateName::Live && e.sync_state().sales_outbox == 0 }
    })
    .await;
    // Not the operator's any more, yet the refused deal is kept (and so is the chat, listed
    // until it is discarded).
    w.engine.shutdown().await;
    drop(proxy);
    let engine = open_engine(w.dir.path()).await;
    let d = engine.open_conversation(c).await.unwrap();
    let kept: Vec<_> = d
        .unsent_sales
        .iter()
        .map(|u| (u.action, u.status, u.error.as_ref().map(|x| x.code.clone())))
        .collect();
    assert_eq!(
        kept,
        [(
            SalesAction::CreateDeal,
            MessageStatus::Failed,
            Some("conversation_not_found".to_owned())
        )]
    );
    engine
        .discard_sales_action(d.unsent_sales[0].id)
        .await
        .unwrap();
    assert!(
        engine.open_conversation(c).await.is_err(),
        "gone once nothing unsent is left"
    );
    let on_server = w.api.detail(&bob, c).await;
    assert_eq!(on_server["details"]["results"], serde_json::json!([]));
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admins_edit_of_a_closed_chat_reaches_the_cache() {
    let mut w = world(None, Server::start(&server_args())).await;
    let c = waiting_chat(&w, "Lea").await;
    w.engine.assign(c).await.unwrap();
    w.engine.open_conversation(c).await.unwrap();
    w.engine.close(c).await.unwrap();
    // I handled it last: still mine to edit after closing (S14).
    assert_eq!(
        w.engine.open_conversation(c).await.unwrap().sales_lock,
        None
    );
    let mut events = w.engine.subscribe();
    let (s, b) = w
        .api
        .call(
            "PUT",
            &format!("/api/conversations/{c}/details"),
            Some(&w.admin.token),
            Some(serde_json::json!({"value": 900, "currency": "CHF", "notes": "Admin's note"})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = w
        .api
        .post(
            &w.admin,
            &format!("/api/conversations/{c}/results"),
            serde_json::json!({"kind": "deal", "idempotency_key": uuid::Uuid::now_v7()}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    // Both arrive as events (the UI reloads on `conversation_changed`): wait until the
    // stream has been quiet for a while after them ...
    let mut changed = 0;
    loop {
        let quiet = if changed >= 2 { 1500 } else { 10_000 };
        match tokio::time::timeout(std::time::Duration::from_millis(quiet), events.recv()).await {
            Ok(Ok(EngineEvent::ConversationChanged(r))) if r.conversation_id == c => changed += 1,
            Ok(Ok(_)) => {}
            Err(_) if changed >= 2 => break,
            other => panic!("the admin's changes were not announced: {other:?}"),
        }
    }
    // ... and are in the cache: read with the server gone.
    w.server.kill();
    wait_offline(&w.engine).await;
    let d = w.engine.open_conversation(c).await.unwrap();
    assert_eq!(d.details.sales.currency.as_deref(), Some("CHF"));
    assert_eq!(d.details.sales.notes.as_deref(), Some("Admin's note"));
    assert_eq!(d.details.results[0].kind, ResultKind::Deal);
    w.engine.shutdown().await;
}
