//! Sales records: a conversation's editable details, the leads, deals and activities created
//! from it (persons and organizations found or created, the transcript as a note), the push
//! queue's rows, and the audit trail. Writes run in the writer's transaction and emit their
//! events with the conversation's operator audience, like every other conversation write.

use super::conversations::{self, emit};
use super::rows;
use super::writer::WriteCtx;
use crate::*;
use frontdesk_core::crm::{self as rules, SalesDetails};
use frontdesk_core::{operator_audience, Audience};
use frontdesk_protocol::{
    AuditEntry, CreatedResultView, EventBody, ResultKind, SalesDetailsView, SyncStatus, SyncView,
};
use rusqlite::{params, Connection, OptionalExtension};

fn json_err(e: serde_json::Error) -> StoreError {
    StoreError::Storage(e.to_string())
}

/// The editable details: as last edited, or what the playbook captured.
pub fn sales_view(c: &Connection, id: ConversationId) -> StoreResult<SalesDetailsView> {
    let row = c
        .prepare_cached(
            "SELECT details, updated_at, updated_by_name FROM conversation_sales WHERE conversation_id = ?1",
        )?
        .query_row([id.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })
        .optional()?;
    if let Some((json, at, by)) = row {
        let mut v: SalesDetailsView = serde_json::from_str(&json).map_err(json_err)?;
        v.updated_at = Some(at);
        v.updated_by_name = by;
        return Ok(v);
    }
    let fields = conversations::fields(c, id)?;
    Ok(SalesDetailsView::from(&rules::captured_details(
        fields.iter().map(|f| (f.key.as_str(), f.value.as_str())),
    )))
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
    conversations::actor_json(&ActorView::operator(e.operator.0, e.name.clone()))
}

/// The operators who see the conversation now (sales events never go to the visitor).
fn operators_of(conversation: &ConversationRecord) -> Audience {
    Audience::operators(operator_audience(&conversation.state))
}

/// Appends a line to the audit trail, with the request's actor.
#[allow(clippy::too_many_arguments)]
pub fn audit(
    tx: &Connection,
    ctx: &WriteCtx,
    conversation: ConversationId,
    action: &str,
    fields: &[&str],
    result: Option<uuid::Uuid>,
    note: Option<&str>,
    now: Millis,
) -> StoreResult<()> {
    tx.prepare_cached(
        "INSERT INTO audit_log (conversation_id, at, actor, action, fields, result_id, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        conversation.to_string(),
        now,
        ctx.actor,
        action,
        serde_json::to_string(fields).map_err(json_err)?,
        result.map(|r| r.to_string()),
        note
    ])?;
    Ok(())
}

pub fn update_sales_details(
    tx: &Connection,
    ctx: &mut WriteCtx,
    id: ConversationId,
    editor: &Editor,
    details: SalesDetails,
    now: Millis,
) -> StoreResult<SalesDetailsView> {
    let conversation = conversations::load(tx, id)?;
    may_edit(&conversation, editor)?;
    let before = SalesDetails::from(sales_view(tx, id)?);
    let changed = rules::changed_fields(&before, &details);
    if changed.is_empty() {
        return sales_view(tx, id);
    }
    ctx.actor = editor_actor(editor);
    let json = serde_json::to_string(&SalesDetailsView::from(&details)).map_err(json_err)?;
    tx.execute(
        "INSERT INTO conversation_sales (conversation_id, details, updated_at, updated_by_name) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (conversation_id) DO UPDATE SET details = excluded.details, updated_at = excluded.updated_at,
                                                     updated_by_name = excluded.updated_by_name",
        params![id.to_string(), json, now, editor.name],
    )?;
    let view = sales_view(tx, id)?;
    emit(
        tx,
        ctx,
        &conversation,
        operators_of(&conversation),
        &EventBody::DetailsChanged {
            conversation_id: id.0,
            details: view.clone(),
        },
        now,
    )?;
    audit(tx, ctx, id, "details_changed", &changed, None, None, now)?;
    Ok(view)
}

/// Who creates a result.
pub enum Creator<'a> {
    Operator(&'a Editor),
    /// A playbook's follow-up card.
    Bot,
}

/// What a follow-up card or an operator asks to create.
pub struct Creation<'a> {
    pub kind: ResultKind,
    pub key: uuid::Uuid,
    pub title: Option<&'a str>,
    pub creator: Creator<'a>,
}

/// Creates a lead, deal or activity (the one code path for operators and follow-up cards).
pub fn create_result(
    tx: &Connection,
    ctx: &mut WriteCtx,
    id: ConversationId,
    new: Creation<'_>,
    now: Millis,
) -> StoreResult<(CreatedResultView, bool)> {
    let existing: Option<(String, String, String)> = tx
        .prepare_cached(
            "SELECT id, conversation_id, kind FROM crm_results WHERE idempotency_key = ?1",
        )?
        .query_row([new.key.to_string()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    if let Some((rid, conv, kind)) = existing {
        if conv == id.to_string() && kind == new.kind.as_str() {
            return Ok((result_view(tx, rows::parse_id(&rid)?)?, true));
        }
        return Err(StoreError::Conflict(
            "This idempotency key was used for another result; use a new key.",
        ));
    }
    let conversation = conversations::load(tx, id)?;
    let (owner, source) = match &new.creator {
        Creator::Operator(e) => {
            may_edit(&conversation, e)?;
            ctx.actor = editor_actor(e);
            (Some((e.operator, e.name.clone())), "Live chat")
        }
        Creator::Bot => (None, "Chatbot"),
    };
    let sales = SalesDetails::from(sales_view(tx, id)?);
    let person = find_or_create_person(tx, &sales, &conversation, now)?;
    let org = match &sales.organization_name {
        Some(name) => Some(find_or_create_organization(
            tx,
            name,
            sales.organization_address.as_deref(),
            now,
        )?),
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
    let (page_url, converted_url): (Option<String>, Option<String>) = tx.query_row(
        "SELECT page_url, converted_url FROM conversations WHERE id = ?1",
        [id.to_string()],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let push = playbooks_meta_enabled(tx)?;
    let rid = uuid::Uuid::now_v7();
    let stage = (new.kind == ResultKind::Deal).then_some(rules::DEFAULT_STAGES[0]);
    let activity_type = (new.kind == ResultKind::Activity).then_some("call");
    tx.execute(
        "INSERT INTO crm_results (id, idempotency_key, conversation_id, kind, title, value, currency, person_id, org_id,
                                  owner_id, owner_name, source, converted_url, stage, activity_type, created_at,
                                  sync_status, next_attempt_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
        params![
            rid.to_string(),
            new.key.to_string(),
            id.to_string(),
            new.kind.as_str(),
            title,
            sales.value,
            sales.currency,
            person.to_string(),
            org.map(|o| o.to_string()),
            owner.as_ref().map(|(o, _)| o.to_string()),
            owner.as_ref().map(|(_, n)| n.clone()),
            source,
            converted_url.or(page_url),
            stage,
            activity_type,
            now,
            if push { "pending" } else { "local" },
            push.then_some(now)
        ],
    )?;
    if new.kind != ResultKind::Activity {
        let note = note_text(tx, id, sales.notes.as_deref())?;
        tx.execute(
            "INSERT INTO crm_notes (id, result_id, content, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![uuid::Uuid::now_v7().to_string(), rid.to_string(), note, now],
        )?;
    }
    let view = result_view(tx, rid)?;
    emit(
        tx,
        ctx,
        &conversation,
        operators_of(&conversation),
        &EventBody::ResultUpsert {
            result: view.clone(),
        },
        now,
    )?;
    let action = format!("{}_created", new.kind.as_str());
    audit(tx, ctx, id, &action, &[], Some(rid), Some(&title), now)?;
    Ok((view, false))
}

fn playbooks_meta_enabled(tx: &Connection) -> StoreResult<bool> {
    Ok(super::playbooks::meta(tx, PUSH_ENABLED_META)?.as_deref() == Some("1"))
}

/// The operator's notes and the transcript, as plain text.
fn note_text(c: &Connection, id: ConversationId, notes: Option<&str>) -> StoreResult<String> {
    let mut out = String::new();
    if let Some(n) = notes {
        out.push_str("Notes:\n");
        out.push_str(n);
        out.push_str("\n\n");
    }
    out.push_str("Chat transcript (Frontdesk):\n");
    for m in conversations::messages(c, id)? {
        out.push_str(&format!("{}: {}\n", m.author_name, m.body));
    }
    Ok(out)
}

fn read_list(s: &str) -> StoreResult<Vec<String>> {
    serde_json::from_str(s).map_err(json_err)
}

/// The person with one of the emails, else the visitor's person, else a new one. Adds new
/// emails and phones to a found person.
fn find_or_create_person(
    tx: &Connection,
    sales: &SalesDetails,
    conversation: &ConversationRecord,
    now: Millis,
) -> StoreResult<uuid::Uuid> {
    let mut found: Option<String> = None;
    for e in &sales.emails {
        found = tx
            .prepare_cached("SELECT person_id FROM crm_person_emails WHERE email = ?1")?
            .query_row([rules::email_key(e)], |r| r.get(0))
            .optional()?;
        if found.is_some() {
            break;
        }
    }
    if found.is_none() {
        found = tx
            .prepare_cached(
                "SELECT id FROM crm_persons WHERE visitor_id = ?1 ORDER BY created_at LIMIT 1",
            )?
            .query_row([conversation.visitor_id.to_string()], |r| r.get(0))
            .optional()?;
    }
    let name = sales
        .contact_name
        .clone()
        .or_else(|| conversation.visitor_name.clone())
        .unwrap_or_else(|| "Website visitor".to_owned());
    let id = match found {
        Some(id) => {
            let (emails, phones): (String, String) = tx.query_row(
                "SELECT emails, phones FROM crm_persons WHERE id = ?1",
                [&id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let mut emails = read_list(&emails)?;
            let mut phones = read_list(&phones)?;
            for e in &sales.emails {
                if !emails
                    .iter()
                    .any(|x| rules::email_key(x) == rules::email_key(e))
                {
                    emails.push(e.clone());
                }
            }
            for p in &sales.phones {
                if !phones.contains(p) {
                    phones.push(p.clone());
                }
            }
            tx.execute(
                "UPDATE crm_persons SET emails = ?2, phones = ?3, updated_at = ?4,
                        name = CASE WHEN ?5 IS NOT NULL THEN ?5 ELSE name END,
                        visitor_id = COALESCE(visitor_id, ?6)
                 WHERE id = ?1",
                params![
                    id,
                    serde_json::to_string(&emails).map_err(json_err)?,
                    serde_json::to_string(&phones).map_err(json_err)?,
                    now,
                    sales.contact_name,
                    conversation.visitor_id.to_string()
                ],
            )?;
            rows::parse_id(&id)?
        }
        None => {
            let id = uuid::Uuid::now_v7();
            tx.execute(
                "INSERT INTO crm_persons (id, name, emails, phones, visitor_id, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                params![
                    id.to_string(),
                    name,
                    serde_json::to_string(&sales.emails).map_err(json_err)?,
                    serde_json::to_string(&sales.phones).map_err(json_err)?,
                    conversation.visitor_id.to_string(),
                    now
                ],
            )?;
            id
        }
    };
    for e in &sales.emails {
        tx.execute(
            "INSERT INTO crm_person_emails (email, person_id) VALUES (?1, ?2) ON CONFLICT (email) DO NOTHING",
            params![rules::email_key(e), id.to_string()],
        )?;
    }
    Ok(id)
}

fn find_or_create_organization(
    tx: &Connection,
    name: &str,
    address: Option<&str>,
    now: Millis,
) -> StoreResult<uuid::Uuid> {
    let key = rules::organization_key(name);
    let found: Option<String> = tx
        .prepare_cached("SELECT id FROM crm_organizations WHERE name_key = ?1")?
        .query_row([&key], |r| r.get(0))
        .optional()?;
    if let Some(id) = found {
        if address.is_some() {
            tx.execute(
                "UPDATE crm_organizations SET address = COALESCE(address, ?2) WHERE id = ?1",
                params![id, address],
            )?;
        }
        return rows::parse_id(&id);
    }
    let id = uuid::Uuid::now_v7();
    tx.execute(
        "INSERT INTO crm_organizations (id, name, name_key, address, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id.to_string(), name, key, address, now],
    )?;
    Ok(id)
}

const RESULT_COLS: &str = "id, conversation_id, kind, title, value, currency, person_id, org_id, source, converted_url,
     stage, created_at, owner_id, owner_name, sync_status, sync_url, sync_error, attempts, next_attempt_at";

fn result_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CreatedResultView> {
    fn id(s: String) -> rusqlite::Result<uuid::Uuid> {
        uuid::Uuid::parse_str(&s).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        })
    }
    let opt_id = |i: usize| -> rusqlite::Result<Option<uuid::Uuid>> {
        r.get::<_, Option<String>>(i)?.map(id).transpose()
    };
    let kind: String = r.get(2)?;
    let status: String = r.get(14)?;
    Ok(CreatedResultView {
        id: id(r.get(0)?)?,
        conversation_id: id(r.get(1)?)?,
        kind: ResultKind::parse(&kind).unwrap_or(ResultKind::Lead),
        title: r.get(3)?,
        value: r.get(4)?,
        currency: r.get(5)?,
        person_id: opt_id(6)?,
        organization_id: opt_id(7)?,
        source: r.get(8)?,
        converted_url: r.get(9)?,
        stage: r.get(10)?,
        created_at: r.get(11)?,
        created_by: opt_id(12)?,
        created_by_name: r.get(13)?,
        sync: SyncView {
            status: match status.as_str() {
                "pending" => SyncStatus::Pending,
                "synced" => SyncStatus::Synced,
                "failed" => SyncStatus::Failed,
                _ => SyncStatus::Local,
            },
            url: r.get(15)?,
            error: r.get(16)?,
            attempts: r.get(17)?,
            next_attempt_at: r.get(18)?,
        },
    })
}

pub fn result_view(c: &Connection, id: uuid::Uuid) -> StoreResult<CreatedResultView> {
    Ok(c.prepare_cached(&format!(
        "SELECT {RESULT_COLS} FROM crm_results WHERE id = ?1"
    ))?
    .query_row([id.to_string()], result_row)?)
}

pub fn results_of(c: &Connection, id: ConversationId) -> StoreResult<Vec<CreatedResultView>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {RESULT_COLS} FROM crm_results WHERE conversation_id = ?1 ORDER BY num"
    ))?;
    let rows = st
        .query_map([id.to_string()], result_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub fn audit_of(c: &Connection, id: ConversationId) -> StoreResult<Vec<AuditEntry>> {
    let mut st = c.prepare_cached(
        "SELECT at, actor, action, fields, result_id, note FROM audit_log WHERE conversation_id = ?1 ORDER BY num",
    )?;
    let raw = st
        .query_map([id.to_string()], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<String>>(5)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    raw.into_iter()
        .map(|(at, actor, action, fields, result, note)| {
            Ok(AuditEntry {
                at,
                actor: serde_json::from_str(&actor).map_err(json_err)?,
                action,
                fields: read_list(&fields)?,
                result_id: result.map(|r| rows::parse_id(&r)).transpose()?,
                note,
            })
        })
        .collect()
}

fn party(
    c: &Connection,
    person: Option<uuid::Uuid>,
    org: Option<uuid::Uuid>,
) -> StoreResult<(Option<PushParty>, Option<PushParty>)> {
    let person = match person {
        Some(p) => Some(c.query_row(
            "SELECT name, emails, phones, remote_id FROM crm_persons WHERE id = ?1",
            [p.to_string()],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<i64>>(3)?,
                ))
            },
        )?)
        .map(
            |(name, emails, phones, remote_id)| -> StoreResult<PushParty> {
                Ok(PushParty {
                    id: p,
                    name,
                    emails: read_list(&emails)?,
                    phones: read_list(&phones)?,
                    address: None,
                    remote_id,
                })
            },
        )
        .transpose()?,
        None => None,
    };
    let org = match org {
        Some(o) => Some(c.query_row(
            "SELECT name, address, remote_id FROM crm_organizations WHERE id = ?1",
            [o.to_string()],
            |r| {
                Ok(PushParty {
                    id: o,
                    name: r.get(0)?,
                    emails: vec![],
                    phones: vec![],
                    address: r.get(1)?,
                    remote_id: r.get(2)?,
                })
            },
        )?),
        None => None,
    };
    Ok((person, org))
}

pub fn export(c: &Connection, kind: ResultKind) -> StoreResult<Vec<ExportRow>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {RESULT_COLS} FROM crm_results WHERE kind = ?1 ORDER BY num"
    ))?;
    let results = st
        .query_map([kind.as_str()], result_row)?
        .collect::<Result<Vec<_>, _>>()?;
    results
        .into_iter()
        .map(|result| {
            let (person, org) = party(c, result.person_id, result.organization_id)?;
            Ok(ExportRow {
                person_name: person.as_ref().map(|p| p.name.clone()),
                person_emails: person
                    .as_ref()
                    .map(|p| p.emails.clone())
                    .unwrap_or_default(),
                person_phones: person.map(|p| p.phones).unwrap_or_default(),
                organization_name: org.map(|o| o.name),
                result,
            })
        })
        .collect()
}

/// remote_id, remote_note_id, activity_type, due_date, due_time.
type PushColumns = (
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
);

pub fn due(c: &Connection, now: Millis, limit: u32) -> StoreResult<Vec<PushJob>> {
    let ids: Vec<String> = c
        .prepare_cached(
            "SELECT id FROM crm_results WHERE sync_status = 'pending' AND next_attempt_at <= ?1 ORDER BY next_attempt_at, num LIMIT ?2",
        )?
        .query_map(params![now, limit as i64], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    ids.into_iter()
        .map(|id| {
            let rid = rows::parse_id(&id)?;
            let result = result_view(c, rid)?;
            let (remote_id, remote_note_id, activity_type, due_date, due_time): PushColumns = c.query_row(
                "SELECT remote_id, remote_note_id, activity_type, due_date, due_time FROM crm_results WHERE id = ?1",
                [&id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )?;
            let note: Option<String> = c
                .query_row(
                    "SELECT content FROM crm_notes WHERE result_id = ?1 ORDER BY created_at LIMIT 1",
                    [&id],
                    |r| r.get(0),
                )
                .optional()?;
            let (person, organization) = party(c, result.person_id, result.organization_id)?;
            Ok(PushJob {
                result,
                person,
                organization,
                remote_id,
                remote_note_id,
                note,
                activity_type,
                due_date,
                due_time,
            })
        })
        .collect()
}

pub fn next_due(c: &Connection) -> StoreResult<Option<Millis>> {
    Ok(c.query_row(
        "SELECT MIN(next_attempt_at) FROM crm_results WHERE sync_status = 'pending'",
        [],
        |r| r.get(0),
    )?)
}

/// Emits the result as it is now to its conversation's operators.
fn announce(
    tx: &Connection,
    ctx: &mut WriteCtx,
    rid: uuid::Uuid,
    now: Millis,
) -> StoreResult<CreatedResultView> {
    let view = result_view(tx, rid)?;
    let conversation = conversations::load(tx, ConversationId(view.conversation_id))?;
    emit(
        tx,
        ctx,
        &conversation,
        operators_of(&conversation),
        &EventBody::ResultUpsert {
            result: view.clone(),
        },
        now,
    )?;
    Ok(view)
}

pub fn record_push(
    tx: &Connection,
    ctx: &mut WriteCtx,
    rid: uuid::Uuid,
    update: PushUpdate,
    now: Millis,
) -> StoreResult<()> {
    let id = rid.to_string();
    let n = match update {
        PushUpdate::PersonRemote { person, remote_id } => tx.execute(
            "UPDATE crm_persons SET remote_id = ?2 WHERE id = ?1",
            params![person.to_string(), remote_id],
        )?,
        PushUpdate::OrganizationRemote {
            organization,
            remote_id,
        } => tx.execute(
            "UPDATE crm_organizations SET remote_id = ?2 WHERE id = ?1",
            params![organization.to_string(), remote_id],
        )?,
        PushUpdate::ItemRemote { remote_id } => tx.execute(
            "UPDATE crm_results SET remote_id = ?2 WHERE id = ?1",
            params![id, remote_id],
        )?,
        PushUpdate::NoteRemote { remote_id } => tx.execute(
            "UPDATE crm_results SET remote_note_id = ?2 WHERE id = ?1",
            params![id, remote_id],
        )?,
        PushUpdate::Synced { url } => {
            let n = tx.execute(
                "UPDATE crm_results SET sync_status = 'synced', sync_url = ?2, sync_error = NULL, next_attempt_at = NULL,
                        attempts = attempts + 1
                 WHERE id = ?1 AND sync_status = 'pending'",
                params![id, url],
            )?;
            if n > 0 {
                announce(tx, ctx, rid, now)?;
            }
            n.max(1)
        }
        PushUpdate::RetryAt {
            at,
            error,
            attempt_failed,
        } => tx.execute(
            "UPDATE crm_results SET next_attempt_at = ?2, sync_error = ?3, attempts = attempts + ?4
             WHERE id = ?1 AND sync_status = 'pending'",
            params![id, at, error, attempt_failed as i64],
        )?.max(1),
        PushUpdate::Failed { error } => {
            let n = tx.execute(
                "UPDATE crm_results SET sync_status = 'failed', sync_error = ?2, next_attempt_at = NULL, attempts = attempts + 1
                 WHERE id = ?1 AND sync_status = 'pending'",
                params![id, error],
            )?;
            if n > 0 {
                announce(tx, ctx, rid, now)?;
            }
            n.max(1)
        }
    };
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub fn retry(
    tx: &Connection,
    ctx: &mut WriteCtx,
    rid: uuid::Uuid,
    editor: &Editor,
    now: Millis,
) -> StoreResult<CreatedResultView> {
    let view = result_view(tx, rid)?;
    let conversation = conversations::load(tx, ConversationId(view.conversation_id))?;
    may_edit(&conversation, editor)?;
    if view.sync.status == SyncStatus::Synced || view.sync.status == SyncStatus::Pending {
        return Ok(view);
    }
    ctx.actor = editor_actor(editor);
    tx.execute(
        "UPDATE crm_results SET sync_status = 'pending', next_attempt_at = ?2, attempts = 0, sync_error = NULL WHERE id = ?1",
        params![rid.to_string(), now],
    )?;
    audit(
        tx,
        ctx,
        conversation.id,
        "push_retried",
        &[],
        Some(rid),
        Some(&view.title),
        now,
    )?;
    announce(tx, ctx, rid, now)
}
