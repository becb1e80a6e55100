//! Conversation reads on SQLite connections (the writes are the backend-neutral
//! `crate::sequencing`, run on the writer through `write_tx::SqliteTx`).

use super::playbooks;
use super::rows::{self, CONVERSATION_COLS, CONVERSATION_FROM, MESSAGE_COLS};
use crate::*;
use frontdesk_protocol::{ConversationDetails, FieldValue, FollowUpView, Prompt};
use rusqlite::{params, Connection, OptionalExtension};

pub fn load(c: &Connection, id: ConversationId) -> StoreResult<ConversationRecord> {
    Ok(c.prepare_cached(&format!(
        "SELECT {CONVERSATION_COLS} FROM {CONVERSATION_FROM} WHERE c.id = ?1"
    ))?
    .query_row([id.to_string()], rows::conversation)?)
}

pub fn open_of(c: &Connection, visitor: VisitorId) -> StoreResult<Option<ConversationRecord>> {
    Ok(c.prepare_cached(&format!(
        "SELECT {CONVERSATION_COLS} FROM {CONVERSATION_FROM} WHERE c.visitor_id = ?1 AND c.state <> 'closed'"
    ))?
    .query_row([visitor.to_string()], rows::conversation)
    .optional()?)
}

pub fn messages(c: &Connection, id: ConversationId) -> StoreResult<Vec<MessageView>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {MESSAGE_COLS} FROM messages WHERE conversation_id = ?1 ORDER BY seq"
    ))?;
    let rows = st
        .query_map([id.to_string()], rows::message)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub fn folder(
    c: &Connection,
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
    } = FolderSql::new(q.folder, "?3", cursor);
    let sql = format!(
        "SELECT c.num, {CONVERSATION_COLS} FROM {CONVERSATION_FROM}
         WHERE {filter} AND c.num {cmp} ?1
           AND (?4 IS NULL OR c.handled_by = ?4)
           AND (?5 IS NULL OR c.visitor_id = ?5)
           AND (?6 IS NULL OR c.updated_at >= ?6)
           AND (?7 IS NULL OR c.updated_at < ?7)
         ORDER BY c.num {order} LIMIT ?2"
    );
    let mut st = c.prepare_cached(&sql)?;
    let mut found = Vec::new();
    let mut rows = st.query(params![
        start,
        limit + 1,
        q.viewer.to_string(),
        q.handled_by.map(|o| o.to_string()),
        q.visitor.map(|v| v.to_string()),
        q.updated_after,
        q.updated_before
    ])?;
    while let Some(r) = rows.next()? {
        found.push((r.get::<_, i64>(0)?, rows::conversation_at(r, 1)?));
    }
    Ok(folder_page(found, limit))
}

/// Messages of one conversation with `seq > after_seq`, oldest first.
pub fn messages_after(
    c: &Connection,
    id: ConversationId,
    after_seq: i64,
    limit: u32,
) -> StoreResult<Vec<MessageView>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {MESSAGE_COLS} FROM messages WHERE conversation_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3"
    ))?;
    let rows = st
        .query_map(
            params![id.to_string(), after_seq, limit as i64],
            rows::message,
        )?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Conversations by id (those that exist).
pub fn by_ids(c: &Connection, ids: &[ConversationId]) -> StoreResult<Vec<ConversationRecord>> {
    let json = serde_json::to_string(&ids.iter().map(|i| i.to_string()).collect::<Vec<_>>())
        .map_err(|e| StoreError::Storage(e.to_string()))?;
    let mut st = c.prepare_cached(&format!(
        "SELECT {CONVERSATION_COLS} FROM {CONVERSATION_FROM} WHERE c.id IN (SELECT value FROM json_each(?1))"
    ))?;
    let rows = st
        .query_map([json], rows::conversation)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// The conversations with events for `operator` in `(since, head]`, as they are now. Pages
/// go by each conversation's newest event: a page that stops at position P holds every
/// conversation whose events all lie at or before P, so the next page starts after P.
pub fn changes(
    c: &Connection,
    operator: OperatorId,
    since: i64,
    head: i64,
    limit: u32,
) -> StoreResult<Changes> {
    let floor = events_floor(c)?;
    if !position_is_kept(since, floor, head) {
        return Ok(Changes::ResyncRequired { head });
    }
    let limit = limit.clamp(1, 2000) as usize;
    let mut st = c.prepare_cached(
        "SELECT conversation_id, MAX(seq) AS last FROM events
         WHERE seq > ?1 AND seq <= ?2 AND (op_audience = '*' OR op_audience = ?3)
         GROUP BY conversation_id ORDER BY last LIMIT ?4",
    )?;
    let found = st
        .query_map(
            params![since, head, operator.to_string(), limit as i64 + 1],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
        )?
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .map(|(id, last)| Ok((rows::parse_id(&id)?, last)))
        .collect::<StoreResult<Vec<(ConversationId, i64)>>>()?;
    let (ids, position, complete) = changes_page(&found, limit, head);
    Ok(Changes::Page {
        conversations: by_ids(c, &ids)?,
        position,
        complete,
    })
}

/// The oldest kept position: events at or before it were pruned.
pub fn events_floor(c: &Connection) -> StoreResult<i64> {
    Ok(c.query_row(
        "SELECT value FROM meta WHERE key = 'events_floor'",
        [],
        |r| r.get::<_, String>(0),
    )
    .optional()?
    .and_then(|v| v.parse().ok())
    .unwrap_or(0))
}

/// The bot's open question in this conversation, if any.
pub fn prompt(c: &Connection, conversation: &ConversationRecord) -> StoreResult<Option<Prompt>> {
    let Some((id, version)) = conversation.playbook else {
        return Ok(None);
    };
    if !crate::sequencing::waits_for_answer(conversation) {
        return Ok(None);
    }
    let pb = playbooks::definition(c, id, version)?;
    Ok(crate::sequencing::prompt(conversation, &pb))
}

pub fn fields(c: &Connection, id: ConversationId) -> StoreResult<Vec<FieldValue>> {
    let mut st = c.prepare_cached(
        "SELECT key, value FROM conversation_fields WHERE conversation_id = ?1 ORDER BY key",
    )?;
    let rows = st
        .query_map([id.to_string()], |r| {
            Ok(FieldValue {
                key: r.get(0)?,
                value: r.get(1)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub fn details(c: &Connection, id: ConversationId) -> StoreResult<ConversationDetails> {
    let (page_url, referrer, converted_url, language) = c
        .prepare_cached(
            "SELECT page_url, referrer, converted_url, language FROM conversations WHERE id = ?1",
        )?
        .query_row([id.to_string()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
    // A follow-up's status is its result's push status.
    let mut st = c.prepare_cached(
        "SELECT f.id, f.kind, f.title, f.fields, f.page_url, COALESCE(r.sync_status, f.status), f.created_at, f.result_id
         FROM follow_ups f LEFT JOIN crm_results r ON r.id = f.result_id
         WHERE f.conversation_id = ?1 ORDER BY f.created_at, f.id",
    )?;
    let raw = st
        .query_map([id.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, i64>(6)?,
                r.get::<_, Option<String>>(7)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let follow_ups = raw
        .into_iter()
        .map(
            |(fid, kind, title, fields, page_url, status, created_at, result)| {
                Ok(FollowUpView {
                    id: rows::parse_id(&fid)?,
                    kind,
                    title,
                    fields: serde_json::from_str(&fields)
                        .map_err(|e| StoreError::Storage(e.to_string()))?,
                    page_url,
                    status,
                    created_at,
                    result_id: result.map(|r| rows::parse_id(&r)).transpose()?,
                })
            },
        )
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(ConversationDetails {
        page_url,
        referrer,
        converted_url,
        language,
        fields: fields(c, id)?,
        follow_ups,
        sales: super::crm::sales(c, id)?,
        results: super::crm::results_of(c, id)?,
    })
}

pub fn visitor(c: &Connection, id: VisitorId) -> StoreResult<VisitorRecord> {
    let (name, playbook_id, language) = c
        .prepare_cached("SELECT name, playbook_id, language FROM visitors WHERE id = ?1")?
        .query_row([id.to_string()], |r| {
            Ok((
                r.get::<_, Option<String>>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })?;
    Ok(VisitorRecord {
        id,
        name,
        playbook_id: playbook_id.map(|p| rows::parse_id(&p)).transpose()?,
        language,
    })
}
