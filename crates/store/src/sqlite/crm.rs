//! Sales records on SQLite: the reads, and the statements `write_tx::SqliteTx` runs for the
//! backend-neutral `crate::sequencing::crm`.

use super::conversations;
use super::rows;
use crate::sequencing::crm::{
    export_row, parse_status, person_party, read_list, sales_view, PersonRow, StoredSales,
};
use crate::*;
use frontdesk_protocol::{AuditEntry, CreatedResultView, ResultKind, SalesDetailsView, SyncView};
use rusqlite::{params, Connection, OptionalExtension};

fn json_err(e: serde_json::Error) -> StoreError {
    StoreError::Storage(e.to_string())
}

pub fn stored_sales(c: &Connection, id: ConversationId) -> StoreResult<Option<StoredSales>> {
    Ok(c
        .prepare_cached(
            "SELECT details, updated_at, updated_by_name FROM conversation_sales WHERE conversation_id = ?1",
        )?
        .query_row([id.to_string()], |r| {
            Ok(StoredSales {
                details: r.get(0)?,
                updated_at: r.get(1)?,
                updated_by_name: r.get(2)?,
            })
        })
        .optional()?)
}

/// The editable details: as last edited, or what the playbook captured.
pub fn sales(c: &Connection, id: ConversationId) -> StoreResult<SalesDetailsView> {
    let stored = stored_sales(c, id)?;
    let fields = match stored {
        Some(_) => Vec::new(),
        None => conversations::fields(c, id)?,
    };
    sales_view(stored, &fields)
}

pub const RESULT_COLS: &str = "id, conversation_id, kind, title, value, currency, person_id, org_id, source, converted_url,
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
            status: parse_status(&status),
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

pub fn person(c: &Connection, id: uuid::Uuid) -> StoreResult<(PersonRow, Option<i64>)> {
    let (name, emails, phones, visitor, remote_id) = c
        .prepare_cached(
            "SELECT name, emails, phones, visitor_id, remote_id FROM crm_persons WHERE id = ?1",
        )?
        .query_row([id.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<i64>>(4)?,
            ))
        })?;
    Ok((
        PersonRow {
            id,
            name,
            emails: read_list(&emails)?,
            phones: read_list(&phones)?,
            visitor_id: visitor.map(|v| rows::parse_id(&v)).transpose()?,
        },
        remote_id,
    ))
}

fn party(
    c: &Connection,
    person_id: Option<uuid::Uuid>,
    org: Option<uuid::Uuid>,
) -> StoreResult<(Option<PushParty>, Option<PushParty>)> {
    let person = match person_id {
        Some(p) => {
            let (row, remote_id) = person(c, p)?;
            Some(person_party(row, remote_id))
        }
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
            Ok(export_row(result, person, org))
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
