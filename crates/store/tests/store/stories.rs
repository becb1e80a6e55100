//! Stories of the `Store` trait, each run on both backends.

use crate::harness::*;
use crate::on_both_backends;
use frontdesk_core::{Actor, Command, ConversationState, MessageId, Rejection};
use frontdesk_protocol::{ActorView, AuthorKind};
use frontdesk_store::*;

on_both_backends!(a_chat_from_request_to_close);
on_both_backends!(accounts_and_sessions);
on_both_backends!(a_playbook_save_from_a_stale_version_is_refused);

fn message(author: AuthorKind, author_id: uuid::Uuid, body: &str) -> NewMessage {
    NewMessage {
        id: MessageId::new(),
        author,
        author_id: Some(author_id),
        author_name: "someone".into(),
        body: body.into(),
    }
}

async fn a_chat_from_request_to_close(t: TestStore) {
    let store = t.store.as_ref();
    let anna = t.operator("Anna").await;
    let ben = t.operator("Ben").await;
    let visitor = t.visitor().await;

    let waiting = store
        .request_live_chat(visitor, ONLINE, now())
        .await
        .unwrap();
    assert!(matches!(waiting.state, ConversationState::Waiting { .. }));
    // Asking again returns the same conversation.
    let again = store
        .request_live_chat(visitor, ONLINE, now())
        .await
        .unwrap();
    assert_eq!(again.id, waiting.id);
    let id = waiting.id;
    assert_eq!(store.pending_deadlines().await.unwrap().len(), 1);

    let assign = |op: &OperatorRecord| Command::Assign {
        operator: op.id,
        operator_name: op.display_name.clone(),
    };
    let by = |op: &OperatorRecord| ActorView::operator(op.id.0, op.display_name.clone());
    let assigned = store
        .apply(id, assign(&anna), by(&anna), now())
        .await
        .unwrap();
    assert_eq!(assigned.state.assignee(), Some(anna.id));
    match store.apply(id, assign(&ben), by(&ben), now()).await {
        Err(StoreError::Rejected(Rejection::AlreadyAssigned)) => {}
        other => panic!("a second assign must lose: {other:?}"),
    }

    let hello = message(AuthorKind::Visitor, visitor.0, "hello");
    let posted = store
        .post_message(id, Actor::Visitor, hello.clone(), now())
        .await
        .unwrap();
    assert!(!posted.duplicate);
    let retry = store
        .post_message(id, Actor::Visitor, hello.clone(), now())
        .await
        .unwrap();
    assert!(retry.duplicate, "the same id and text is a retry");
    assert_eq!(retry.message.seq, posted.message.seq);
    let taken = NewMessage {
        body: "something else".into(),
        ..hello
    };
    assert!(matches!(
        store.post_message(id, Actor::Visitor, taken, now()).await,
        Err(StoreError::Conflict(_))
    ));
    let answer = message(AuthorKind::Operator, anna.id.0, "hi, how can I help?");
    store
        .post_message(id, Actor::Operator(anna.id), answer, now())
        .await
        .unwrap();
    let messages = store.messages(id).await.unwrap();
    let seqs: Vec<i64> = messages.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, (1..=messages.len() as i64).collect::<Vec<_>>());
    assert_eq!(messages.last().unwrap().body, "hi, how can I help?");
    let row = store.conversation(id).await.unwrap();
    assert_eq!(row.message_count, messages.len() as i64);
    assert_eq!(row.preview.as_deref(), Some("hi, how can I help?"));

    let closed = store
        .apply(
            id,
            Command::Close {
                by: Actor::Operator(anna.id),
            },
            by(&anna),
            now(),
        )
        .await
        .unwrap();
    assert_eq!(closed.state, ConversationState::Closed);
    assert_eq!(closed.handled_by.as_ref().map(|h| h.0), Some(anna.id));
    let folder = store
        .folder(
            FolderQuery::new(frontdesk_core::Folder::Closed, anna.id),
            None,
            50,
        )
        .await
        .unwrap();
    assert_eq!(folder.conversations.len(), 1);

    // The stream: gap-free seqs, published in order, replayed per audience.
    let head = database_head(store).await;
    assert_eq!(t.published_seqs(head).await, (1..=head).collect::<Vec<_>>());
    let Replay::Events { events, complete } = store
        .replay(StreamOwner::Operator(anna.id), 0, 1000)
        .await
        .unwrap()
    else {
        panic!("a cursor at 0 is kept");
    };
    assert!(complete);
    assert!(events.windows(2).all(|w| w[0].seq < w[1].seq));
    assert!(!events.is_empty());
    let Replay::Events {
        events: ben_sees, ..
    } = store
        .replay(StreamOwner::Operator(ben.id), 0, 1000)
        .await
        .unwrap()
    else {
        panic!("a cursor at 0 is kept");
    };
    assert!(
        ben_sees.len() < events.len(),
        "Ben does not see Anna's chat after she took it"
    );
    match store.changes(anna.id, 0, 100).await.unwrap() {
        Changes::Page {
            conversations,
            position,
            complete,
        } => {
            assert_eq!(conversations.len(), 1);
            assert_eq!(position, head);
            assert!(complete);
        }
        other => panic!("expected a page: {other:?}"),
    }
    assert!(matches!(
        store
            .replay(StreamOwner::Operator(anna.id), head + 1, 10)
            .await
            .unwrap(),
        Replay::ResyncRequired { .. }
    ));
    assert!(store.prune_events(now() + 1).await.unwrap() > 0);
    assert!(matches!(
        store
            .replay(StreamOwner::Operator(anna.id), 0, 10)
            .await
            .unwrap(),
        Replay::ResyncRequired { .. }
    ));
}

async fn accounts_and_sessions(t: TestStore) {
    let store = t.store.as_ref();
    let anna = t.operator("Anna").await;
    let same_email = OperatorRecord {
        id: frontdesk_core::OperatorId::new(),
        email: "ANNA@example.com".into(),
        ..anna.clone()
    };
    assert!(matches!(
        store.create_operator(same_email, now()).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store
            .operator_by_email("anna@EXAMPLE.com")
            .await
            .unwrap()
            .id,
        anna.id
    );
    let subject = Subject::Operator {
        id: anna.id,
        role: anna.role,
    };
    let laptop = store
        .create_session(
            "hash-1".into(),
            subject,
            now() + 1000,
            Some("laptop".into()),
            now(),
        )
        .await
        .unwrap();
    store
        .create_session("hash-2".into(), subject, now() + 1000, None, now())
        .await
        .unwrap();
    let session = store.session("hash-1").await.unwrap().unwrap();
    assert_eq!(session.id, laptop);
    assert_eq!(session.subject, subject);
    store
        .touch_session("hash-1", now(), now() + 5000)
        .await
        .unwrap();
    assert!(store.session("hash-1").await.unwrap().unwrap().expires_at > session.expires_at);
    assert_eq!(store.operator_sessions(anna.id).await.unwrap().len(), 2);
    store
        .delete_other_sessions(anna.id, "hash-1")
        .await
        .unwrap();
    assert!(store.session("hash-2").await.unwrap().is_none());
    assert_eq!(
        store
            .delete_operator_session(anna.id, laptop)
            .await
            .unwrap(),
        "hash-1"
    );
    store.set_presence_choice(anna.id, true).await.unwrap();
    assert!(store.operator(anna.id).await.unwrap().chose_online);
    let disabled = store.disable_operator(anna.id).await.unwrap();
    assert!(disabled.disabled);
    assert!(matches!(
        store.operator(frontdesk_core::OperatorId::new()).await,
        Err(StoreError::NotFound)
    ));
    store.set_meta("k", "v1".into()).await.unwrap();
    store.set_meta("k", "v2".into()).await.unwrap();
    assert_eq!(store.meta("k").await.unwrap().as_deref(), Some("v2"));
}

/// The newest committed seq as the database has it (on PostgreSQL the node's `head()` is
/// what its tail published so far): a catch-up page for an operator with no chats covers it.
async fn database_head(store: &dyn Store) -> i64 {
    match store
        .changes(frontdesk_core::OperatorId::new(), 0, 1)
        .await
        .unwrap()
    {
        Changes::Page { position, .. } => position,
        Changes::ResyncRequired { head } => head,
    }
}

fn editor(op: &OperatorRecord) -> Editor {
    Editor {
        operator: op.id,
        role: op.role,
        name: op.display_name.clone(),
    }
}

fn lea_details() -> frontdesk_core::crm::SalesDetails {
    frontdesk_core::crm::SalesDetails {
        value: Some(5000),
        currency: Some("EUR".into()),
        contact_name: Some("Lea Berg".into()),
        emails: vec!["Lea@Example.com".into()],
        phones: vec!["+49 30 1234".into()],
        organization_name: Some("Acme GmbH".into()),
        organization_address: None,
        notes: Some("wants 20 seats".into()),
    }
}

/// An assigned chat of a new visitor.
async fn assigned_chat(t: &TestStore, op: &OperatorRecord) -> frontdesk_core::ConversationId {
    let visitor = t.visitor().await;
    let chat = t
        .store
        .request_live_chat(visitor, ONLINE, now())
        .await
        .unwrap();
    let assign = Command::Assign {
        operator: op.id,
        operator_name: op.display_name.clone(),
    };
    let by = ActorView::operator(op.id.0, op.display_name.clone());
    t.store.apply(chat.id, assign, by, now()).await.unwrap();
    let hello = message(AuthorKind::Visitor, visitor.0, "we need 20 seats");
    t.store
        .post_message(chat.id, Actor::Visitor, hello, now())
        .await
        .unwrap();
    chat.id
}

on_both_backends!(sales_records_from_details_to_a_pushed_lead);

async fn sales_records_from_details_to_a_pushed_lead(t: TestStore) {
    use frontdesk_protocol::{ResultKind, SyncStatus};
    let store = t.store.as_ref();
    let anna = t.operator("Anna").await;
    let ben = t.operator("Ben").await;
    let id = assigned_chat(&t, &anna).await;

    // Only the assignee edits; the change is audited and streamed to her.
    assert!(matches!(
        store
            .update_sales_details(id, editor(&ben), lea_details(), now())
            .await,
        Err(StoreError::Rejected(Rejection::NotVisible))
    ));
    let saved = store
        .update_sales_details(id, editor(&anna), lea_details(), now())
        .await
        .unwrap();
    assert_eq!(saved.updated_by_name.as_deref(), Some("Anna"));
    assert_eq!(saved.contact.emails, vec!["Lea@Example.com".to_owned()]);
    let details = store.details(id).await.unwrap();
    assert_eq!(details.sales, saved);

    // A lead, queued for the push; its key creates it once.
    store.set_meta(PUSH_ENABLED_META, "1".into()).await.unwrap();
    let key = uuid::Uuid::now_v7();
    let new = |kind| NewResult {
        kind,
        idempotency_key: key,
        title: None,
    };
    let (lead, existed) = store
        .create_result(id, editor(&anna), new(ResultKind::Lead), now())
        .await
        .unwrap();
    assert!(!existed);
    assert_eq!(lead.title, "Acme GmbH");
    assert_eq!(lead.source, "Live chat");
    assert_eq!(lead.created_by, Some(anna.id.0));
    assert_eq!(lead.sync.status, SyncStatus::Pending);
    let (again, existed) = store
        .create_result(id, editor(&anna), new(ResultKind::Lead), now())
        .await
        .unwrap();
    assert!(existed);
    assert_eq!(again.id, lead.id);
    assert!(matches!(
        store
            .create_result(id, editor(&anna), new(ResultKind::Deal), now())
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.details(id).await.unwrap().results, vec![lead.clone()]);

    // The push job carries the person, the organization and the transcript.
    assert_eq!(
        store.next_push_at().await.unwrap(),
        lead.sync.next_attempt_at
    );
    let jobs = store.due_pushes(now() + 1, 10).await.unwrap();
    assert_eq!(jobs.len(), 1);
    let job = &jobs[0];
    assert_eq!(job.result.id, lead.id);
    let person = job.person.clone().unwrap();
    assert_eq!(person.name, "Lea Berg");
    assert_eq!(person.emails, vec!["Lea@Example.com".to_owned()]);
    assert_eq!(job.organization.as_ref().unwrap().name, "Acme GmbH");
    let note = job.note.clone().unwrap();
    assert!(
        note.contains("wants 20 seats") && note.contains("we need 20 seats"),
        "{note}"
    );

    // Progress is stored as it happens; a status change is streamed; a late retry-at after
    // the push finished changes nothing.
    let push = |u| store.record_push(lead.id, u, now());
    push(PushUpdate::PersonRemote {
        person: person.id,
        remote_id: 7,
    })
    .await
    .unwrap();
    push(PushUpdate::ItemRemote {
        remote_id: "lead-1".into(),
    })
    .await
    .unwrap();
    push(PushUpdate::RetryAt {
        at: now() + 60_000,
        error: "rate limited".into(),
        attempt_failed: false,
    })
    .await
    .unwrap();
    assert!(store.due_pushes(now() + 1, 10).await.unwrap().is_empty());
    push(PushUpdate::Synced {
        url: "https://acme.pipedrive.com/leads/inbox/lead-1".into(),
    })
    .await
    .unwrap();
    push(PushUpdate::RetryAt {
        at: now(),
        error: "late".into(),
        attempt_failed: true,
    })
    .await
    .unwrap();
    let synced = store.result(lead.id).await.unwrap();
    assert_eq!(synced.sync.status, SyncStatus::Synced);
    assert_eq!(synced.sync.attempts, 1);
    assert_eq!(synced.sync.error, None);
    assert_eq!(store.next_push_at().await.unwrap(), None);
    assert!(matches!(
        store
            .record_push(
                uuid::Uuid::now_v7(),
                PushUpdate::ItemRemote {
                    remote_id: "x".into()
                },
                now()
            )
            .await,
        Err(StoreError::NotFound)
    ));

    // Another chat about the same email (other case) finds the same person and organization.
    let other = assigned_chat(&t, &ben).await;
    let mut details = lea_details();
    details.emails = vec!["lea@example.COM".into()];
    store
        .update_sales_details(other, editor(&ben), details, now())
        .await
        .unwrap();
    let (deal, _) = store
        .create_result(
            other,
            editor(&ben),
            NewResult {
                kind: ResultKind::Deal,
                idempotency_key: uuid::Uuid::now_v7(),
                title: Some("20 seats".into()),
            },
            now(),
        )
        .await
        .unwrap();
    assert_eq!(deal.person_id, Some(person.id));
    assert_eq!(deal.organization_id, lead.organization_id);
    assert_eq!(deal.stage.as_deref(), Some("Qualified"));
    let leads = store.export_results(ResultKind::Lead).await.unwrap();
    assert_eq!(leads.len(), 1);
    assert_eq!(leads[0].person_name.as_deref(), Some("Lea Berg"));
    assert_eq!(leads[0].organization_name.as_deref(), Some("Acme GmbH"));

    // The audit trail says who did what, oldest first.
    let actions: Vec<String> = store
        .audit(id)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(actions, ["assigned", "details_changed", "lead_created"]);
    // The events went out in order, the sales ones among them.
    let head = match store
        .changes(frontdesk_core::OperatorId::new(), 0, 2000)
        .await
        .unwrap()
    {
        Changes::Page {
            position, complete, ..
        } if complete => position,
        other => panic!("expected one complete page: {other:?}"),
    };
    let seqs = t.published_seqs(head).await;
    assert_eq!(seqs, (1..=head).collect::<Vec<_>>());
    let payloads: Vec<String> = t
        .published
        .lock()
        .unwrap()
        .iter()
        .map(|e| e.payload.clone())
        .collect();
    for kind in ["details_changed", "result_upsert"] {
        assert!(
            payloads.iter().any(|p| p.contains(&format!("\"{kind}\""))),
            "no {kind} event"
        );
    }
}

async fn a_playbook_save_from_a_stale_version_is_refused(t: TestStore) {
    let store = t.store.as_ref();
    let lang = frontdesk_core::Language::En;
    let created = store
        .create_playbook(
            uuid::Uuid::now_v7(),
            frontdesk_core::templates::chat_with_your_leads(lang),
            false,
            now(),
        )
        .await
        .unwrap();
    let mut first = created.definition.clone();
    first.name = "First admin's edit".into();
    let saved = store
        .update_playbook(created.id, first, Some(created.version), now())
        .await
        .unwrap();
    assert_eq!(saved.version, created.version + 1);
    // A second admin who opened the same version saves after the first one.
    let mut second = created.definition.clone();
    second.name = "Second admin's edit".into();
    match store
        .update_playbook(created.id, second.clone(), Some(created.version), now())
        .await
    {
        Err(StoreError::StaleVersion(current)) => assert_eq!(current, saved.version),
        other => panic!("a save from a stale version must be refused: {other:?}"),
    }
    let kept = store.playbook(created.id).await.unwrap();
    assert_eq!(
        kept.definition.name, "First admin's edit",
        "nothing overwritten"
    );
    // Without a base version (the API's older callers) the save goes through.
    let forced = store
        .update_playbook(created.id, second, None, now())
        .await
        .unwrap();
    assert_eq!(forced.version, saved.version + 1);
    assert!(matches!(
        store
            .update_playbook(uuid::Uuid::now_v7(), kept.definition, Some(1), now())
            .await,
        Err(StoreError::NotFound)
    ));
}
