//! Moving an installation from SQLite to PostgreSQL keeps everything, cursors and sales
//! records included.

use crate::harness::*;
use frontdesk_core::{Actor, Command, MessageId};
use frontdesk_protocol::{ActorView, AuthorKind};
use frontdesk_store::testing::TestDatabase;
use frontdesk_store::*;

fn replayed(r: Replay) -> Vec<(i64, String, String)> {
    match r {
        Replay::Events { events, .. } => events
            .into_iter()
            .map(|e| (e.seq, e.actor, e.payload))
            .collect(),
        Replay::ResyncRequired { head } => panic!("resync required (head {head})"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_database_moves_to_postgres_with_cursors_intact() {
    let old = TestStore::sqlite().await;
    let anna = old.operator("Anna").await;
    let visitor = old.visitor().await;
    let store = old.store.clone();
    let chat = store
        .request_live_chat(visitor, ONLINE, now())
        .await
        .unwrap();
    let assign = Command::Assign {
        operator: anna.id,
        operator_name: anna.display_name.clone(),
    };
    let by_anna = ActorView::operator(anna.id.0, "Anna");
    store.apply(chat.id, assign, by_anna, now()).await.unwrap();
    for (actor, author, id, text) in [
        (Actor::Visitor, AuthorKind::Visitor, visitor.0, "hello"),
        (
            Actor::Operator(anna.id),
            AuthorKind::Operator,
            anna.id.0,
            "hi!",
        ),
    ] {
        let m = NewMessage {
            id: MessageId::new(),
            author,
            author_id: Some(id),
            author_name: "someone".into(),
            body: text.into(),
        };
        store.post_message(chat.id, actor, m, now()).await.unwrap();
    }
    let subject = Subject::Operator {
        id: anna.id,
        role: anna.role,
    };
    store
        .create_session("token-hash".into(), subject, now() + 60_000, None, now())
        .await
        .unwrap();
    let playbook = frontdesk_core::templates::chat_with_your_leads(frontdesk_core::Language::En);
    store
        .create_playbook(uuid::Uuid::now_v7(), playbook, true, now())
        .await
        .unwrap();
    // Sales records: details, a lead queued for the push, the audit trail.
    let editor = Editor {
        operator: anna.id,
        role: anna.role,
        name: "Anna".into(),
    };
    let details = frontdesk_core::crm::SalesDetails {
        contact_name: Some("Lea".into()),
        emails: vec!["lea@example.com".into()],
        organization_name: Some("Acme".into()),
        ..Default::default()
    };
    store
        .update_sales_details(chat.id, editor.clone(), details, now())
        .await
        .unwrap();
    store.set_meta(PUSH_ENABLED_META, "1".into()).await.unwrap();
    let lead = NewResult {
        kind: frontdesk_protocol::ResultKind::Lead,
        idempotency_key: uuid::Uuid::now_v7(),
        title: None,
    };
    store
        .create_result(chat.id, editor.clone(), lead, now())
        .await
        .unwrap();
    let details = store.details(chat.id).await.unwrap();
    let audit = store.audit(chat.id).await.unwrap();
    let jobs = store.due_pushes(now() + 1, 10).await.unwrap();
    let owner = StreamOwner::Operator(anna.id);
    let events = replayed(store.replay(owner, 0, 1000).await.unwrap());
    let (conversation, messages) = (
        store.conversation(chat.id).await.unwrap(),
        store.messages(chat.id).await.unwrap(),
    );
    let (epoch, head) = (store.epoch().to_owned(), store.head());
    drop(store);

    let db = tokio::task::spawn_blocking(TestDatabase::new)
        .await
        .unwrap();
    let copied = postgres::copy_from_sqlite(old.sqlite_dir(), &db.url)
        .await
        .unwrap();
    let rows = |table: &str| copied.iter().find(|(t, _)| *t == table).unwrap().1;
    assert_eq!(rows("operators"), 1);
    assert_eq!(rows("messages"), messages.len() as u64);
    assert_eq!(rows("events"), head as u64);

    let (listener, _published) = collector();
    let new = PgStore::connect(&db.url, listener).await.unwrap();
    assert_eq!(new.epoch(), epoch, "cursors stay valid: same epoch");
    assert_eq!(new.head(), head);
    assert_eq!(replayed(new.replay(owner, 0, 1000).await.unwrap()), events);
    assert_eq!(new.conversation(chat.id).await.unwrap(), conversation);
    assert_eq!(new.messages(chat.id).await.unwrap(), messages);
    assert_eq!(
        new.operator_by_email("anna@example.com").await.unwrap().id,
        anna.id
    );
    assert!(new.session("token-hash").await.unwrap().is_some());
    assert_eq!(new.list_playbooks().await.unwrap().len(), 1);
    assert_eq!(new.details(chat.id).await.unwrap(), details);
    assert_eq!(new.audit(chat.id).await.unwrap(), audit);
    let moved_jobs = new.due_pushes(now() + 1, 10).await.unwrap();
    assert_eq!(moved_jobs.len(), 1);
    assert_eq!(moved_jobs[0].result, jobs[0].result);
    assert_eq!(moved_jobs[0].person, jobs[0].person);
    assert_eq!(moved_jobs[0].note, jobs[0].note);
    // Writing goes on after the copied seqs and row numbers.
    let more = NewMessage {
        id: MessageId::new(),
        author: AuthorKind::Visitor,
        author_id: Some(visitor.0),
        author_name: "someone".into(),
        body: "still there?".into(),
    };
    let posted = new
        .post_message(chat.id, Actor::Visitor, more, now())
        .await
        .unwrap();
    assert_eq!(posted.message.seq, messages.len() as i64 + 1);
    let after = replayed(new.replay(owner, head, 10).await.unwrap());
    assert_eq!(after.first().map(|e| e.0), Some(head + 1));
    let other = frontdesk_core::VisitorId::new();
    let record = VisitorRecord {
        id: other,
        name: None,
        playbook_id: None,
        language: None,
    };
    new.create_visitor(record, now()).await.unwrap();
    new.request_live_chat(other, ONLINE, now()).await.unwrap();

    // A database that already holds data is refused.
    assert!(matches!(
        postgres::copy_from_sqlite(old.sqlite_dir(), &db.url).await,
        Err(StoreError::Conflict(_))
    ));
}
