//! Sales records on PostgreSQL: the reads (the writes are `crate::sequencing::crm`, through
//! `write_tx::PgTx`).

use super::rows::parse_id;
use crate::sequencing::crm::{
    export_row, parse_status, person_party, read_list, sales_view, PersonRow, StoredSales,
};
use crate::*;
use frontdesk_protocol::{AuditEntry, CreatedResultView, ResultKind, SalesDetailsView, SyncView};
use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, PgConnection, Row};

pub const RESULT_COLS: &str = "id, conversation_id, kind, title, value, currency, person_id, org_id, source, converted_url,
     stage, created_at, owner_id, owner_name, sync_status, sync_url, sync_error, attempts, next_attempt_at";

fn opt_id(s: Option<String>) -> StoreResult<Option<uuid::Uuid>> {
    s.as_deref().map(parse_id).transpose()
}

pub fn result_row(r: &PgRow) -> StoreResult<CreatedResultView> {
    let kind: String = r.try_get(2)?;
    let status: String = r.try_get(14)?;
    Ok(CreatedResultView {
        id: parse_id(&r.try_get::<String, _>(0)?)?,
        conversation_id: parse_id(&r.try_get::<String, _>(1)?)?,
        kind: ResultKind::parse(&kind).unwrap_or(ResultKind::Lead),
        title: r.try_get(3)?,
        value: r.try_get(4)?,
        currency: r.try_get(5)?,
        person_id: opt_id(r.try_get(6)?)?,
        organization_id: opt_id(r.try_get(7)?)?,
        source: r.try_get(8)?,
        converted_url: r.try_get(9)?,
        stage: r.try_get(10)?,
        created_at: r.try_get(11)?,
        created_by: opt_id(r.try_get(12)?)?,
        created_by_name: r.try_get(13)?,
        sync: SyncView {
            status: parse_status(&status),
            url: r.try_get(15)?,
            error: r.try_get(16)?,
            attempts: r.try_get(17)?,
            next_attempt_at: r.try_get(18)?,
        },
    })
}

pub async fn stored_sales(
    c: &mut PgConnection,
    id: ConversationId,
) -> StoreResult<Option<StoredSales>> {
    sqlx::query(
        "SELECT details, updated_at, updated_by_name FROM conversation_sales WHERE conversation_id = $1",
    )
    .bind(id.to_string())
    .fetch_optional(c)
    .await?
    .map(|r| {
        Ok(StoredSales {
            details: r.try_get(0)?,
            updated_at: r.try_get(1)?,
            updated_by_name: r.try_get(2)?,
        })
    })
    .transpose()
}

/// The editable details: as last edited, or what the playbook captured.
pub async fn sales(c: &mut PgConnection, id: ConversationId) -> StoreResult<SalesDetailsView> {
    let stored = stored_sales(&mut *c, id).await?;
    let fields = match stored {
        Some(_) => Vec::new(),
        None => super::conversations::fields(c, id).await?,
    };
    sales_view(stored, &fields)
}

pub async fn result_view(c: &mut PgConnection, id: uuid::Uuid) -> StoreResult<CreatedResultView> {
    let r = sqlx::query(AssertSqlSafe(format!(
        "SELECT {RESULT_COLS} FROM crm_results WHERE id = $1"
    )))
    .bind(id.to_string())
    .fetch_one(c)
    .await?;
    result_row(&r)
}

pub async fn results_of(
    c: &mut PgConnection,
    id: ConversationId,
) -> StoreResult<Vec<CreatedResultView>> {
    sqlx::query(AssertSqlSafe(format!(
        "SELECT {RESULT_COLS} FROM crm_results WHERE conversation_id = $1 ORDER BY num"
    )))
    .bind(id.to_string())
    .fetch_all(c)
    .await?
    .iter()
    .map(result_row)
    .collect()
}

pub async fn audit_of(c: &mut PgConnection, id: ConversationId) -> StoreResult<Vec<AuditEntry>> {
    sqlx::query(
        "SELECT at, actor, action, fields, result_id, note FROM audit_log WHERE conversation_id = $1 ORDER BY num",
    )
    .bind(id.to_string())
    .fetch_all(c)
    .await?
    .iter()
    .map(|r| {
        Ok(AuditEntry {
            at: r.try_get(0)?,
            actor: serde_json::from_str(&r.try_get::<String, _>(1)?)
                .map_err(|e| StoreError::Storage(e.to_string()))?,
            action: r.try_get(2)?,
            fields: read_list(&r.try_get::<String, _>(3)?)?,
            result_id: opt_id(r.try_get(4)?)?,
            note: r.try_get(5)?,
        })
    })
    .collect()
}

pub async fn person(c: &mut PgConnection, id: uuid::Uuid) -> StoreResult<(PersonRow, Option<i64>)> {
    let r = sqlx::query(
        "SELECT name, emails, phones, visitor_id, remote_id FROM crm_persons WHERE id = $1",
    )
    .bind(id.to_string())
    .fetch_one(c)
    .await?;
    Ok((
        PersonRow {
            id,
            name: r.try_get(0)?,
            emails: read_list(&r.try_get::<String, _>(1)?)?,
            phones: read_list(&r.try_get::<String, _>(2)?)?,
            visitor_id: r
                .try_get::<Option<String>, _>(3)?
                .as_deref()
                .map(parse_id)
                .transpose()?,
        },
        r.try_get(4)?,
    ))
}

async fn party(
    c: &mut PgConnection,
    person_id: Option<uuid::Uuid>,
    org: Option<uuid::Uuid>,
) -> StoreResult<(Option<PushParty>, Option<PushParty>)> {
    let person = match person_id {
        Some(p) => {
            let (row, remote_id) = person(&mut *c, p).await?;
            Some(person_party(row, remote_id))
        }
        None => None,
    };
    let org = match org {
        Some(o) => {
            let r =
                sqlx::query("SELECT name, address, remote_id FROM crm_organizations WHERE id = $1")
                    .bind(o.to_string())
                    .fetch_one(&mut *c)
                    .await?;
            Some(PushParty {
                id: o,
                name: r.try_get(0)?,
                emails: vec![],
                phones: vec![],
                address: r.try_get(1)?,
                remote_id: r.try_get(2)?,
            })
        }
        None => None,
    };
    Ok((person, org))
}

pub async fn export(c: &mut PgConnection, kind: ResultKind) -> StoreResult<Vec<ExportRow>> {
    let results = sqlx::query(AssertSqlSafe(format!(
        "SELECT {RESULT_COLS} FROM crm_results WHERE kind = $1 ORDER BY num"
    )))
    .bind(kind.as_str())
    .fetch_all(&mut *c)
    .await?
    .iter()
    .map(result_row)
    .collect::<StoreResult<Vec<_>>>()?;
    let mut out = Vec::with_capacity(results.len());
    for result in results {
        let (person, org) = party(&mut *c, result.person_id, result.organization_id).await?;
        out.push(export_row(result, person, org));
    }
    Ok(out)
}

pub async fn due(c: &mut PgConnection, now: Millis, limit: u32) -> StoreResult<Vec<PushJob>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {RESULT_COLS}, remote_id, remote_note_id, activity_type, due_date, due_time,
                (SELECT content FROM crm_notes n WHERE n.result_id = crm_results.id
                 ORDER BY created_at LIMIT 1)
         FROM crm_results WHERE sync_status = 'pending' AND next_attempt_at <= $1
         ORDER BY next_attempt_at, num LIMIT $2"
    )))
    .bind(now)
    .bind(limit as i64)
    .fetch_all(&mut *c)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let result = result_row(r)?;
        let (person, organization) =
            party(&mut *c, result.person_id, result.organization_id).await?;
        out.push(PushJob {
            result,
            person,
            organization,
            remote_id: r.try_get(19)?,
            remote_note_id: r.try_get(20)?,
            activity_type: r.try_get(21)?,
            due_date: r.try_get(22)?,
            due_time: r.try_get(23)?,
            note: r.try_get(24)?,
        });
    }
    Ok(out)
}

pub async fn next_due(c: &mut PgConnection) -> StoreResult<Option<Millis>> {
    Ok(sqlx::query_scalar(
        "SELECT MIN(next_attempt_at) FROM crm_results WHERE sync_status = 'pending'",
    )
    .fetch_one(c)
    .await?)
}
