//! Conversation reads.

use super::rows::{self, parse_id, CONVERSATION_COLS, CONVERSATION_FROM, MESSAGE_COLS};
use crate::*;
use frontdesk_protocol::{ConversationDetails, FieldValue, FollowUpView};
use sqlx::{AssertSqlSafe, PgConnection, Row};

pub async fn load(c: &mut PgConnection, id: ConversationId) -> StoreResult<ConversationRecord> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {CONVERSATION_COLS} FROM {CONVERSATION_FROM} WHERE c.id = $1"
    )))
    .bind(id.to_string())
    .fetch_one(c)
    .await?;
    rows::conversation(&row)
}

pub async fn open_of(
    c: &mut PgConnection,
    visitor: VisitorId,
) -> StoreResult<Option<ConversationRecord>> {
    sqlx::query(AssertSqlSafe(format!(
        "SELECT {CONVERSATION_COLS} FROM {CONVERSATION_FROM} WHERE c.visitor_id = $1 AND c.state <> 'closed'"
    )))
    .bind(visitor.to_string())
    .fetch_optional(c)
    .await?
    .as_ref()
    .map(rows::conversation)
    .transpose()
}

/// Messages of one conversation with `seq > after_seq`, oldest first.
pub async fn messages_after(
    c: &mut PgConnection,
    id: ConversationId,
    after_seq: i64,
    limit: i64,
) -> StoreResult<Vec<MessageView>> {
    sqlx::query(AssertSqlSafe(format!(
        "SELECT {MESSAGE_COLS} FROM messages WHERE conversation_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
    )))
    .bind(id.to_string())
    .bind(after_seq)
    .bind(limit)
    .fetch_all(c)
    .await?
    .iter()
    .map(rows::message)
    .collect()
}

/// Conversations by id (those that exist).
pub async fn by_ids(
    c: &mut PgConnection,
    ids: &[ConversationId],
) -> StoreResult<Vec<ConversationRecord>> {
    let ids: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
    sqlx::query(AssertSqlSafe(format!(
        "SELECT {CONVERSATION_COLS} FROM {CONVERSATION_FROM} WHERE c.id = ANY($1)"
    )))
    .bind(&ids)
    .fetch_all(c)
    .await?
    .iter()
    .map(rows::conversation)
    .collect()
}

pub async fn folder(
    c: &mut PgConnection,
    q: FolderQuery,
    cursor: Option<i64>,
    limit: u32,
) -> StoreResult<FolderPage> {
    let limit = limit.clamp(1, 200) as i64;
    let FolderSql {
        filter,
        order,
        cmp,
        start,
    } = FolderSql::new(q.folder, "$3", cursor);
    let sql = format!(
        "SELECT c.num, {CONVERSATION_COLS} FROM {CONVERSATION_FROM}
         WHERE {filter} AND c.num {cmp} $1 AND $3::text IS NOT NULL
           AND ($4::text IS NULL OR c.handled_by = $4)
           AND ($5::text IS NULL OR c.visitor_id = $5)
           AND ($6::bigint IS NULL OR c.updated_at >= $6)
           AND ($7::bigint IS NULL OR c.updated_at < $7)
         ORDER BY c.num {order} LIMIT $2"
    );
    let found = sqlx::query(AssertSqlSafe(sql))
        .bind(start)
        .bind(limit + 1)
        .bind(q.viewer.to_string())
        .bind(q.handled_by.map(|o| o.to_string()))
        .bind(q.visitor.map(|v| v.to_string()))
        .bind(q.updated_after)
        .bind(q.updated_before)
        .fetch_all(c)
        .await?;
    let found = found
        .iter()
        .map(|r| Ok((r.try_get::<i64, _>(0)?, rows::conversation_at(r, 1)?)))
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(folder_page(found, limit))
}

pub async fn fields(c: &mut PgConnection, id: ConversationId) -> StoreResult<Vec<FieldValue>> {
    sqlx::query(
        "SELECT key, value FROM conversation_fields WHERE conversation_id = $1 ORDER BY key",
    )
    .bind(id.to_string())
    .fetch_all(c)
    .await?
    .iter()
    .map(|r| {
        Ok(FieldValue {
            key: r.try_get(0)?,
            value: r.try_get(1)?,
        })
    })
    .collect()
}

pub async fn details(c: &mut PgConnection, id: ConversationId) -> StoreResult<ConversationDetails> {
    let r = sqlx::query(
        "SELECT page_url, referrer, converted_url, language FROM conversations WHERE id = $1",
    )
    .bind(id.to_string())
    .fetch_one(&mut *c)
    .await?;
    let (page_url, referrer, converted_url, language) =
        (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?);
    // A follow-up's status is its result's push status.
    let follow_ups = sqlx::query(
        "SELECT f.id, f.kind, f.title, f.fields, f.page_url, COALESCE(r.sync_status, f.status), f.created_at,
                f.result_id
         FROM follow_ups f LEFT JOIN crm_results r ON r.id = f.result_id
         WHERE f.conversation_id = $1 ORDER BY f.created_at, f.id",
    )
    .bind(id.to_string())
    .fetch_all(&mut *c)
    .await?
    .iter()
    .map(|r| {
        Ok(FollowUpView {
            id: parse_id(&r.try_get::<String, _>(0)?)?,
            kind: r.try_get(1)?,
            title: r.try_get(2)?,
            fields: serde_json::from_str(&r.try_get::<String, _>(3)?)
                .map_err(|e| StoreError::Storage(e.to_string()))?,
            page_url: r.try_get(4)?,
            status: r.try_get(5)?,
            created_at: r.try_get(6)?,
            result_id: r
                .try_get::<Option<String>, _>(7)?
                .as_deref()
                .map(parse_id)
                .transpose()?,
        })
    })
    .collect::<StoreResult<Vec<_>>>()?;
    Ok(ConversationDetails {
        page_url,
        referrer,
        converted_url,
        language,
        fields: fields(&mut *c, id).await?,
        follow_ups,
        sales: super::crm::sales(&mut *c, id).await?,
        results: super::crm::results_of(c, id).await?,
    })
}

/// Conversations waiting in Unassigned, with their deadlines.
pub async fn pending_deadlines(c: &mut PgConnection) -> StoreResult<Vec<(ConversationId, Millis)>> {
    sqlx::query("SELECT id, wait_deadline FROM conversations WHERE state = 'waiting'")
        .fetch_all(c)
        .await?
        .iter()
        .map(|r| Ok((parse_id(&r.try_get::<String, _>(0)?)?, r.try_get(1)?)))
        .collect()
}
