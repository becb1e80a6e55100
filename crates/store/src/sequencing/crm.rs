//! Sales records: a conversation's editable details, the leads, deals and activities created
//! from it (persons and organizations found or created, the transcript as a note), the push
//! queue's progress, and the audit trail. One code path for operators and the bot's
//! follow-up cards; events go to the conversation's operators, like every conversation write.

use super::lifecycle::emit;
use super::{actor_json, WriteTx};
use crate::*;
use frontdesk_core::crm::{self as rules, SalesDetails};
use frontdesk_core::{operator_audience, Audience};
use frontdesk_protocol::{
    CreatedResultView, EventBody, FieldValue, ResultKind, SalesDetailsView, SyncStatus, SyncView,
};

/// A conversation's details as last edited (the JSON of a [`SalesDetailsView`]).
#[derive(Clone, Debug)]
pub(crate) struct StoredSales {
    pub details: String,
    pub updated_at: Millis,
    pub updated_by_name: Option<String>,
}

/// A created result's row as first stored.
#[derive(Clone, Debug)]
pub(crate) struct NewResultRow {
    pub id: uuid::Uuid,
    pub idempotency_key: uuid::Uuid,
    pub conversation_id: ConversationId,
    pub kind: ResultKind,
    pub title: String,
    pub value: Option<i64>,
    pub currency: Option<String>,
    pub person_id: uuid::Uuid,
    pub organization_id: Option<uuid::Uuid>,
    pub owner: Option<(OperatorId, String)>,
    pub source: &'static str,
    pub converted_url: Option<String>,
    pub stage: Option<&'static str>,
    pub activity_type: Option<&'static str>,
    pub created_at: Millis,
    pub sync: SyncView,
}

/// A person as the find-or-create reads and writes it.
#[derive(Clone, Debug)]
pub(crate) struct PersonRow {
    pub id: uuid::Uuid,
    pub name: String,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub visitor_id: Option<VisitorId>,
}

/// A line of the audit trail; its actor is the transaction's current actor.
#[derive(Clone, Debug)]
pub(crate) struct AuditRow<'a> {
    pub conversation_id: ConversationId,
    pub at: Millis,
    pub action: &'a str,
    /// JSON array of field names.
    pub fields: String,
    pub result_id: Option<uuid::Uuid>,
    pub note: Option<&'a str>,
}

fn json_err(e: serde_json::Error) -> StoreError {
    StoreError::Storage(e.to_string())
}

/// How a sync status is stored.
pub(crate) fn status_str(s: SyncStatus) -> &'static str {
    match s {
        SyncStatus::Local => "local",
        SyncStatus::Pending => "pending",
        SyncStatus::Synced => "synced",
        SyncStatus::Failed => "failed",
    }
}

/// A stored sync status.
pub(crate) fn parse_status(s: &str) -> SyncStatus {
    match s {
        "pending" => SyncStatus::Pending,
        "synced" => SyncStatus::Synced,
        "failed" => SyncStatus::Failed,
        _ => SyncStatus::Local,
    }
}

/// A stored JSON list of strings (emails, phones, audited field names).
pub(crate) fn read_list(s: &str) -> StoreResult<Vec<String>> {
    serde_json::from_str(s).map_err(json_err)
}

pub(crate) fn write_list<S: AsRef<str>>(list: &[S]) -> StoreResult<String> {
    let list: Vec<&str> = list.iter().map(AsRef::as_ref).collect();
    serde_json::to_string(&list).map_err(json_err)
}

/// The editable details: as last edited, or what the playbook captured. Both backends'
/// reads build the Details panel with this.
pub(crate) fn sales_view(
    stored: Option<StoredSales>,
    fields: &[FieldValue],
) -> StoreResult<SalesDetailsView> {
    if let Some(s) = stored {
        let mut v: SalesDetailsView = serde_json::from_str(&s.details).map_err(json_err)?;
        v.updated_at = Some(s.updated_at);
        v.updated_by_name = s.updated_by_name;
        return Ok(v);
    }
    Ok(SalesDetailsView::from(&rules::captured_details(
        fields.iter().map(|f| (f.key.as_str(), f.value.as_str())),
    )))
}

/// A person as the push sends it (persons have no address).
pub(crate) fn person_party(p: PersonRow, remote_id: Option<i64>) -> PushParty {
    PushParty {
        id: p.id,
        name: p.name,
        emails: p.emails,
        phones: p.phones,
        address: None,
        remote_id,
    }
}

/// One line of the CSV export: a result with its person and organization.
pub(crate) fn export_row(
    result: CreatedResultView,
    person: Option<PushParty>,
    organization: Option<PushParty>,
) -> ExportRow {
    let (person_name, person_emails, person_phones) = match person {
        Some(p) => (Some(p.name), p.emails, p.phones),
        None => (None, Vec::new(), Vec::new()),
    };
    ExportRow {
        result,
        person_name,
        person_emails,
        person_phones,
        organization_name: organization.map(|o| o.name),
    }
}

async fn current_sales(tx: &mut impl WriteTx, id: ConversationId) -> StoreResult<SalesDetailsView> {
    let stored = tx.stored_sales(id).await?;
    let fields = match stored {
        Some(_) => Vec::new(),
        None => tx.fields(id).await?,
    };
    sales_view(stored, &fields)
}

fn may_edit(conversation: &ConversationRecord, editor: &Editor) -> StoreResult<()> {
    rules::may_edit_details(
        &conversation.state,
        conversation.handled_by.as_ref().map(|(o, _)| *o),
        editor.operator,
        editor.role,
    )
    .map_err(|d| match d {
        rules::Denied::Rejected(r) => StoreError::Rejected(r),
        rules::Denied::NotHandler => StoreError::Forbidden(rules::NOT_HANDLER_MESSAGE),
    })
}

fn editor_actor(e: &Editor) -> String {
    actor_json(&ActorView::operator(e.operator.0, e.name.clone()))
}

/// The operators who see the conversation now (sales events never go to the visitor).
fn operators_of(conversation: &ConversationRecord) -> Audience {
    Audience::operators(operator_audience(&conversation.state))
}

/// Appends a line to the audit trail, with the current actor.
pub(crate) async fn audit(
    tx: &mut impl WriteTx,
    conversation: ConversationId,
    action: &str,
    fields: &[&str],
    result: Option<uuid::Uuid>,
    note: Option<&str>,
    now: Millis,
) -> StoreResult<()> {
    tx.insert_audit(&AuditRow {
        conversation_id: conversation,
        at: now,
        action,
        fields: write_list(fields)?,
        result_id: result,
        note,
    })
    .await
}

/// Replaces the editable details (see [`Store::update_sales_details`]).
pub(crate) async fn update_sales_details(
    tx: &mut impl WriteTx,
    id: ConversationId,
    editor: &Editor,
    details: SalesDetails,
    now: Millis,
) -> StoreResult<SalesDetailsView> {
    let conversation = tx.conversation(id).await?;
    may_edit(&conversation, editor)?;
    let before = SalesDetails::from(current_sales(tx, id).await?);
    let changed = rules::changed_fields(&before, &details);
    if changed.is_empty() {
        return current_sales(tx, id).await;
    }
    tx.set_actor(editor_actor(editor));
    tx.save_sales(
        id,
        &StoredSales {
            details: serde_json::to_string(&SalesDetailsView::from(&details)).map_err(json_err)?,
            updated_at: now,
            updated_by_name: Some(editor.name.clone()),
        },
    )
    .await?;
    let view = current_sales(tx, id).await?;
    let body = EventBody::DetailsChanged {
        conversation_id: id.0,
        details: view.clone(),
    };
    emit(tx, &conversation, operators_of(&conversation), &body, now).await?;
    audit(tx, id, "details_changed", &changed, None, None, now).await?;
    Ok(view)
}

/// Who creates a result.
pub(crate) enum Creator<'a> {
    Operator(&'a Editor),
    /// A playbook's follow-up card.
    Bot,
}

/// What a follow-up card or an operator asks to create.
pub(crate) struct Creation<'a> {
    pub kind: ResultKind,
    pub key: uuid::Uuid,
    pub title: Option<&'a str>,
    pub creator: Creator<'a>,
}

/// Creates a lead, deal or activity (the one code path for operators and follow-up cards);
/// `true` when the idempotency key had already created it.
pub(crate) async fn create_result(
    tx: &mut impl WriteTx,
    id: ConversationId,
    new: Creation<'_>,
    now: Millis,
) -> StoreResult<(CreatedResultView, bool)> {
    if let Some((rid, conversation, kind)) = tx.result_by_key(new.key).await? {
        if conversation == id && kind == new.kind {
            return Ok((tx.result(rid).await?, true));
        }
        return Err(StoreError::Conflict(
            "This idempotency key was used for another result; use a new key.",
        ));
    }
    let conversation = tx.conversation(id).await?;
    let (owner, source) = match &new.creator {
        Creator::Operator(e) => {
            may_edit(&conversation, e)?;
            tx.set_actor(editor_actor(e));
            (Some((e.operator, e.name.clone())), "Live chat")
        }
        Creator::Bot => (None, "Chatbot"),
    };
    let sales = SalesDetails::from(current_sales(tx, id).await?);
    let person = find_or_create_person(tx, &sales, &conversation, now).await?;
    let organization = match &sales.organization_name {
        Some(name) => Some(
            find_or_create_organization(tx, name, sales.organization_address.as_deref(), now)
                .await?,
        ),
        None => None,
    };
    let title = new
        .title
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .or_else(|| sales.organization_name.clone())
        .or_else(|| sales.contact_name.clone())
        .unwrap_or_else(|| "Live chat lead".to_owned());
    let converted_url = match tx.converted_url(id).await? {
        Some(url) => Some(url),
        None => tx.page_url(id).await?,
    };
    let push = tx.meta(PUSH_ENABLED_META).await?.as_deref() == Some("1");
    let rid = uuid::Uuid::now_v7();
    tx.insert_result(&NewResultRow {
        id: rid,
        idempotency_key: new.key,
        conversation_id: id,
        kind: new.kind,
        title: title.clone(),
        value: sales.value,
        currency: sales.currency.clone(),
        person_id: person,
        organization_id: organization,
        owner,
        source,
        converted_url,
        stage: (new.kind == ResultKind::Deal).then_some(rules::DEFAULT_STAGES[0]),
        activity_type: (new.kind == ResultKind::Activity).then_some("call"),
        created_at: now,
        sync: SyncView {
            status: if push {
                SyncStatus::Pending
            } else {
                SyncStatus::Local
            },
            url: None,
            error: None,
            attempts: 0,
            next_attempt_at: push.then_some(now),
        },
    })
    .await?;
    if new.kind != ResultKind::Activity {
        let note = note_text(tx, id, sales.notes.as_deref()).await?;
        tx.insert_note(rid, &note, now).await?;
    }
    let view = tx.result(rid).await?;
    let body = EventBody::ResultUpsert {
        result: view.clone(),
    };
    emit(tx, &conversation, operators_of(&conversation), &body, now).await?;
    let action = format!("{}_created", new.kind.as_str());
    audit(tx, id, &action, &[], Some(rid), Some(&title), now).await?;
    Ok((view, false))
}

/// The operator's notes and the transcript, as plain text.
async fn note_text(
    tx: &mut impl WriteTx,
    id: ConversationId,
    notes: Option<&str>,
) -> StoreResult<String> {
    let mut out = String::new();
    if let Some(n) = notes {
        out.push_str("Notes:\n");
        out.push_str(n);
        out.push_str("\n\n");
    }
    out.push_str("Chat transcript (Frontdesk):\n");
    for m in tx.messages(id).await? {
        out.push_str(&format!("{}: {}\n", m.author_name, m.body));
    }
    Ok(out)
}

/// The person with one of the emails, else the visitor's person, else a new one. Adds new
/// emails and phones to a found person.
async fn find_or_create_person(
    tx: &mut impl WriteTx,
    sales: &SalesDetails,
    conversation: &ConversationRecord,
    now: Millis,
) -> StoreResult<uuid::Uuid> {
    let mut keys: Vec<String> = Vec::new();
    for e in &sales.emails {
        let key = rules::email_key(e);
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    let mut found = None;
    for key in &keys {
        found = tx.person_by_email(key).await?;
        if found.is_some() {
            break;
        }
    }
    if found.is_none() {
        found = tx.person_of_visitor(conversation.visitor_id).await?;
    }
    match found {
        Some(id) => {
            let mut p = tx.person(id).await?;
            for e in &sales.emails {
                if !p
                    .emails
                    .iter()
                    .any(|x| rules::email_key(x) == rules::email_key(e))
                {
                    p.emails.push(e.clone());
                }
            }
            for phone in &sales.phones {
                if !p.phones.contains(phone) {
                    p.phones.push(phone.clone());
                }
            }
            if let Some(name) = &sales.contact_name {
                p.name = name.clone();
            }
            p.visitor_id = p.visitor_id.or(Some(conversation.visitor_id));
            tx.update_person(&p, now).await?;
            // An email another person has already stays theirs.
            for key in &keys {
                tx.insert_person_email(key, id, true).await?;
            }
            Ok(id)
        }
        None => {
            let p = PersonRow {
                id: uuid::Uuid::now_v7(),
                name: sales
                    .contact_name
                    .clone()
                    .or_else(|| conversation.visitor_name.clone())
                    .unwrap_or_else(|| "Website visitor".to_owned()),
                emails: sales.emails.clone(),
                phones: sales.phones.clone(),
                visitor_id: Some(conversation.visitor_id),
            };
            tx.insert_person(&p, now).await?;
            // None of the emails had a person when we looked: if one has now, another
            // writer created it meanwhile, and this transaction runs again to find it.
            for key in &keys {
                tx.insert_person_email(key, p.id, false).await?;
            }
            Ok(p.id)
        }
    }
}

async fn find_or_create_organization(
    tx: &mut impl WriteTx,
    name: &str,
    address: Option<&str>,
    now: Millis,
) -> StoreResult<uuid::Uuid> {
    let key = rules::organization_key(name);
    if let Some(id) = tx.organization_by_key(&key).await? {
        if let Some(address) = address {
            tx.fill_organization_address(id, address).await?;
        }
        return Ok(id);
    }
    let id = uuid::Uuid::now_v7();
    tx.insert_organization(id, name, &key, address, now).await?;
    Ok(id)
}

/// Emits the result as it is now to its conversation's operators.
async fn announce(tx: &mut impl WriteTx, view: &CreatedResultView, now: Millis) -> StoreResult<()> {
    let conversation = tx
        .conversation(ConversationId(view.conversation_id))
        .await?;
    let body = EventBody::ResultUpsert {
        result: view.clone(),
    };
    emit(tx, &conversation, operators_of(&conversation), &body, now).await
}

/// Records a push's progress (see [`Store::record_push`]). Status changes apply only to a
/// pending result (an operator's retry or a second node's answer may have come first) and
/// are announced.
pub(crate) async fn record_push(
    tx: &mut impl WriteTx,
    rid: uuid::Uuid,
    update: PushUpdate,
    now: Millis,
) -> StoreResult<()> {
    let found = match update {
        PushUpdate::PersonRemote { person, remote_id } => {
            tx.set_person_remote(person, remote_id).await?
        }
        PushUpdate::OrganizationRemote {
            organization,
            remote_id,
        } => tx.set_organization_remote(organization, remote_id).await?,
        PushUpdate::ItemRemote { remote_id } => {
            tx.set_result_remote(rid, Some(&remote_id), None).await?
        }
        PushUpdate::NoteRemote { remote_id } => {
            tx.set_result_remote(rid, None, Some(remote_id)).await?
        }
        PushUpdate::Synced { url } => {
            set_status(tx, rid, now, |s| SyncView {
                status: SyncStatus::Synced,
                url: Some(url),
                error: None,
                attempts: s.attempts + 1,
                next_attempt_at: None,
            })
            .await?
        }
        PushUpdate::RetryAt {
            at,
            error,
            attempt_failed,
        } => {
            set_status(tx, rid, now, |s| SyncView {
                error: Some(error),
                attempts: s.attempts + attempt_failed as i64,
                next_attempt_at: Some(at),
                ..s
            })
            .await?
        }
        PushUpdate::Failed { error } => {
            set_status(tx, rid, now, |s| SyncView {
                status: SyncStatus::Failed,
                error: Some(error),
                attempts: s.attempts + 1,
                next_attempt_at: None,
                ..s
            })
            .await?
        }
    };
    if !found {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Changes a pending result's sync with `change`; announces a change of status. Whether the
/// result exists.
async fn set_status(
    tx: &mut impl WriteTx,
    rid: uuid::Uuid,
    now: Millis,
    change: impl FnOnce(SyncView) -> SyncView,
) -> StoreResult<bool> {
    let view = match tx.result(rid).await {
        Ok(v) => v,
        Err(StoreError::NotFound) => return Ok(false),
        Err(e) => return Err(e),
    };
    if view.sync.status != SyncStatus::Pending {
        return Ok(true);
    }
    let sync = change(view.sync.clone());
    let announced = sync.status != view.sync.status;
    tx.set_sync(rid, &sync).await?;
    if announced {
        let view = tx.result(rid).await?;
        announce(tx, &view, now).await?;
    }
    Ok(true)
}

/// Queues a failed or local result again (see [`Store::retry_push`]).
pub(crate) async fn retry(
    tx: &mut impl WriteTx,
    rid: uuid::Uuid,
    editor: &Editor,
    now: Millis,
) -> StoreResult<CreatedResultView> {
    let view = tx.result(rid).await?;
    let conversation = tx
        .conversation(ConversationId(view.conversation_id))
        .await?;
    may_edit(&conversation, editor)?;
    if matches!(view.sync.status, SyncStatus::Synced | SyncStatus::Pending) {
        return Ok(view);
    }
    tx.set_actor(editor_actor(editor));
    let sync = SyncView {
        status: SyncStatus::Pending,
        url: view.sync.url.clone(),
        error: None,
        attempts: 0,
        next_attempt_at: Some(now),
    };
    tx.set_sync(rid, &sync).await?;
    audit(
        tx,
        conversation.id,
        "push_retried",
        &[],
        Some(rid),
        Some(&view.title),
        now,
    )
    .await?;
    let view = tx.result(rid).await?;
    announce(tx, &view, now).await?;
    Ok(view)
}
