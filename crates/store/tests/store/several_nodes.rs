//! Several PostgreSQL pools on one database, standing in for several server nodes: event
//! order under concurrent writers, a claim race with exactly one winner, and sales records
//! created at once on several nodes existing once.

use crate::harness::*;
use frontdesk_core::{Command, ConversationId, Rejection, VisitorId};
use frontdesk_protocol::{ActorView, AuthorKind};
use frontdesk_store::testing::TestDatabase;
use frontdesk_store::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

const NODES: usize = 3;
const WRITERS_PER_NODE: usize = 4;
const CHATS_PER_WRITER: usize = 8;

struct Node {
    store: Arc<PgStore>,
    published: Published,
}

async fn nodes(db: &TestDatabase) -> Vec<Node> {
    let mut nodes = Vec::new();
    for _ in 0..NODES {
        let (listener, published) = collector();
        let store = Arc::new(PgStore::connect(&db.url, listener).await.unwrap());
        nodes.push(Node { store, published });
    }
    nodes
}

async fn last_seq(pool: &sqlx::PgPool) -> i64 {
    sqlx::query_scalar("SELECT last_seq FROM event_counter")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Reads the events table after `cursor` until told to stop and caught up; every read must
/// continue exactly where the previous one ended. Returns how many reads saw new events.
async fn read_gap_free(pool: sqlx::PgPool, writers_done: Arc<AtomicBool>) -> usize {
    let mut cursor = 0i64;
    let mut reads = 0;
    loop {
        let done = writers_done.load(Ordering::Acquire);
        let seqs: Vec<i64> =
            sqlx::query_scalar("SELECT seq FROM events WHERE seq > $1 ORDER BY seq LIMIT 500")
                .bind(cursor)
                .fetch_all(&pool)
                .await
                .unwrap();
        for seq in &seqs {
            assert_eq!(
                *seq,
                cursor + 1,
                "a reader at {cursor} saw {seq}: an event before it was not yet visible"
            );
            cursor = *seq;
        }
        if !seqs.is_empty() {
            reads += 1;
        } else if done && cursor == last_seq(&pool).await {
            return reads;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_on_several_nodes_never_let_a_reader_skip_an_event() {
    let db = tokio::task::spawn_blocking(TestDatabase::new)
        .await
        .unwrap();
    let nodes = nodes(&db).await;
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    let writers_done = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| tokio::spawn(read_gap_free(pool.clone(), writers_done.clone())))
        .collect();

    let mut writers = Vec::new();
    for node in &nodes {
        for _ in 0..WRITERS_PER_NODE {
            let store = node.store.clone();
            writers.push(tokio::spawn(async move {
                for _ in 0..CHATS_PER_WRITER {
                    let visitor = VisitorId::new();
                    let record = VisitorRecord {
                        id: visitor,
                        name: None,
                        playbook_id: None,
                        language: None,
                    };
                    store.create_visitor(record, now()).await.unwrap();
                    let chat = store
                        .request_live_chat(visitor, ONLINE, now())
                        .await
                        .unwrap();
                    for text in ["hello", "anyone there?"] {
                        let m = NewMessage {
                            id: frontdesk_core::MessageId::new(),
                            author: AuthorKind::Visitor,
                            author_id: Some(visitor.0),
                            author_name: "Visitor".into(),
                            body: text.into(),
                        };
                        store
                            .post_message(chat.id, frontdesk_core::Actor::Visitor, m, now())
                            .await
                            .unwrap();
                    }
                }
            }));
        }
    }
    for w in writers {
        w.await.unwrap();
    }
    writers_done.store(true, Ordering::Release);
    let mut reads = 0;
    for r in readers {
        reads += tokio::time::timeout(Duration::from_secs(60), r)
            .await
            .expect("the readers caught up")
            .unwrap();
    }

    // Gap-free: as many events as the counter handed out, numbered 1..=last.
    let last = last_seq(&pool).await;
    let (count, max): (i64, Option<i64>) = sqlx::query_as("SELECT COUNT(*), MAX(seq) FROM events")
        .fetch_one(&pool)
        .await
        .unwrap();
    let chats = (NODES * WRITERS_PER_NODE * CHATS_PER_WRITER) as i64;
    assert!(last >= chats * 3, "every chat emitted events ({last})");
    assert_eq!((count, max), (last, Some(last)));
    assert!(
        reads > 1,
        "the readers read while the writers wrote ({reads} reads)"
    );
    // Every node published every event once, in seq order, whichever node wrote it.
    for (i, node) in nodes.iter().enumerate() {
        let mut seqs = Vec::new();
        for _ in 0..400 {
            seqs = node
                .published
                .lock()
                .unwrap()
                .iter()
                .map(|e| e.seq)
                .collect();
            if seqs.len() as i64 >= last {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert_eq!(seqs, (1..=last).collect::<Vec<_>>(), "node {i} published");
        assert_eq!(node.store.head(), last);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_claim_race_across_nodes_has_exactly_one_winner() {
    let db = tokio::task::spawn_blocking(TestDatabase::new)
        .await
        .unwrap();
    let nodes = nodes(&db).await;
    let first = nodes[0].store.clone();
    let mut operators = Vec::new();
    for i in 0..NODES {
        operators.push(operator(first.as_ref(), &format!("Op{i}")).await);
    }
    for round in 0..5 {
        let visitor = VisitorId::new();
        let record = VisitorRecord {
            id: visitor,
            name: None,
            playbook_id: None,
            language: None,
        };
        first.create_visitor(record, now()).await.unwrap();
        let chat = first
            .request_live_chat(visitor, ONLINE, now())
            .await
            .unwrap();
        let claims: Vec<_> = nodes
            .iter()
            .zip(&operators)
            .map(|(node, op)| {
                let (store, op) = (node.store.clone(), op.clone());
                tokio::spawn(async move {
                    let command = Command::Assign {
                        operator: op.id,
                        operator_name: op.display_name.clone(),
                    };
                    let actor = ActorView::operator(op.id.0, op.display_name.clone());
                    (op.id, store.apply(chat.id, command, actor, now()).await)
                })
            })
            .collect();
        let mut winners = Vec::new();
        for claim in claims {
            match claim.await.unwrap() {
                (op, Ok(c)) => {
                    assert_eq!(c.state.assignee(), Some(op));
                    winners.push(op);
                }
                (_, Err(StoreError::Rejected(Rejection::AlreadyAssigned))) => {}
                (_, Err(e)) => panic!("round {round}: a lost claim must say so: {e}"),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: exactly one winner");
        let stored = nodes[NODES - 1].store.conversation(chat.id).await.unwrap();
        assert_eq!(stored.state.assignee(), Some(winners[0]));
    }
}

/// A chat of a new visitor, assigned to `op`, with sales details naming `email` and `org`.
async fn chat_about(
    store: &dyn Store,
    op: &OperatorRecord,
    email: &str,
    org: &str,
) -> ConversationId {
    let visitor = VisitorId::new();
    let record = VisitorRecord {
        id: visitor,
        name: None,
        playbook_id: None,
        language: None,
    };
    store.create_visitor(record, now()).await.unwrap();
    let chat = store
        .request_live_chat(visitor, ONLINE, now())
        .await
        .unwrap();
    let assign = Command::Assign {
        operator: op.id,
        operator_name: op.display_name.clone(),
    };
    let actor = ActorView::operator(op.id.0, op.display_name.clone());
    store.apply(chat.id, assign, actor, now()).await.unwrap();
    let details = frontdesk_core::crm::SalesDetails {
        contact_name: Some("Lea".into()),
        emails: vec![email.into()],
        organization_name: Some(org.into()),
        ..Default::default()
    };
    store
        .update_sales_details(chat.id, editor(op), details, now())
        .await
        .unwrap();
    chat.id
}

fn editor(op: &OperatorRecord) -> Editor {
    Editor {
        operator: op.id,
        role: op.role,
        name: op.display_name.clone(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sales_records_created_at_once_on_several_nodes_exist_once() {
    use frontdesk_protocol::ResultKind;
    let db = tokio::task::spawn_blocking(TestDatabase::new)
        .await
        .unwrap();
    let nodes = nodes(&db).await;
    let first = nodes[0].store.clone();
    let op = operator(first.as_ref(), "Op").await;
    for round in 0..5 {
        // The same idempotency key on every node: one lead, the others find it.
        let chat = chat_about(
            first.as_ref(),
            &op,
            &format!("key{round}@example.com"),
            "Key",
        )
        .await;
        let key = uuid::Uuid::now_v7();
        let start = Arc::new(tokio::sync::Barrier::new(NODES));
        let tasks: Vec<_> = nodes
            .iter()
            .map(|node| {
                let (store, op, start) = (node.store.clone(), op.clone(), start.clone());
                tokio::spawn(async move {
                    start.wait().await;
                    let new = NewResult {
                        kind: ResultKind::Lead,
                        idempotency_key: key,
                        title: None,
                    };
                    store.create_result(chat, editor(&op), new, now()).await
                })
            })
            .collect();
        let mut ids = Vec::new();
        let mut created = 0;
        for t in tasks {
            let (result, existed) = t.await.unwrap().unwrap();
            ids.push(result.id);
            created += usize::from(!existed);
        }
        ids.dedup();
        assert_eq!(ids.len(), 1, "round {round}: one lead for one key");
        assert_eq!(created, 1, "round {round}: created once");

        // One new email in three chats, a lead from each on its own node: one person, one
        // organization.
        let email = format!("race{round}@example.com");
        let org = format!("Race {round} GmbH");
        let mut chats = Vec::new();
        for _ in 0..NODES {
            chats.push(chat_about(first.as_ref(), &op, &email, &org).await);
        }
        let start = Arc::new(tokio::sync::Barrier::new(NODES));
        let tasks: Vec<_> = nodes
            .iter()
            .zip(chats)
            .map(|(node, chat)| {
                let (store, op, start) = (node.store.clone(), op.clone(), start.clone());
                tokio::spawn(async move {
                    start.wait().await;
                    let new = NewResult {
                        kind: ResultKind::Lead,
                        idempotency_key: uuid::Uuid::now_v7(),
                        title: None,
                    };
                    store.create_result(chat, editor(&op), new, now()).await
                })
            })
            .collect();
        let mut parties = Vec::new();
        for t in tasks {
            let (lead, existed) = t.await.unwrap().unwrap();
            assert!(!existed);
            parties.push((lead.person_id.unwrap(), lead.organization_id.unwrap()));
        }
        parties.dedup();
        assert_eq!(
            parties.len(),
            1,
            "round {round}: one person and one organization"
        );
    }
}
