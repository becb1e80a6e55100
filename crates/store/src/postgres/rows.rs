//! Row ↔ record mapping for PostgreSQL (the column lists match SQLite's `rows`).

use crate::{columns, ConversationRecord, OperatorRecord, StoreError, StoreResult};
use frontdesk_core::Role;
use frontdesk_protocol::MessageView;
use sqlx::postgres::PgRow;
use sqlx::Row;

pub const OPERATOR_COLS: &str =
    "id, email, display_name, role, disabled, password_hash, chose_online";
pub const CONVERSATION_COLS: &str = "c.id, c.visitor_id, v.name, c.state, c.assignee_id, c.wait_deadline, c.display_name, \
     c.created_at, c.updated_at, c.playbook_id, c.playbook_version, c.bot_card, c.qualified, c.language, \
     c.handled_by, c.handled_by_name, c.closed_at, c.message_count, c.last_message_at, c.preview, c.last_author";
pub const CONVERSATION_FROM: &str = "conversations c JOIN visitors v ON v.id = c.visitor_id";
pub const MESSAGE_COLS: &str =
    "id, conversation_id, author_kind, author_id, author_name, body, created_at, seq";

pub fn parse_id<T: std::str::FromStr>(s: &str) -> StoreResult<T> {
    s.parse()
        .map_err(|_| StoreError::Storage(format!("bad id in database: {s}")))
}

fn opt_id<T: std::str::FromStr>(s: Option<String>) -> StoreResult<Option<T>> {
    s.as_deref().map(parse_id).transpose()
}

pub fn operator(r: &PgRow) -> StoreResult<OperatorRecord> {
    let role: String = r.try_get(3)?;
    Ok(OperatorRecord {
        id: parse_id(&r.try_get::<String, _>(0)?)?,
        email: r.try_get(1)?,
        display_name: r.try_get(2)?,
        role: Role::parse(&role).ok_or_else(|| StoreError::Storage(format!("bad role {role}")))?,
        disabled: r.try_get(4)?,
        password_hash: r.try_get(5)?,
        chose_online: r.try_get(6)?,
    })
}

pub fn conversation(r: &PgRow) -> StoreResult<ConversationRecord> {
    conversation_at(r, 0)
}

/// [`CONVERSATION_COLS`] starting at column `at`.
pub fn conversation_at(r: &PgRow, at: usize) -> StoreResult<ConversationRecord> {
    let state: String = r.try_get(at + 3)?;
    let assignee = opt_id(r.try_get(at + 4)?)?;
    let state =
        columns::state(&state, assignee, r.try_get(at + 5)?).map_err(StoreError::Storage)?;
    let playbook: Option<String> = r.try_get(at + 9)?;
    let version: Option<i64> = r.try_get(at + 10)?;
    let handled_by: Option<String> = r.try_get(at + 14)?;
    let handled_by_name: Option<String> = r.try_get(at + 15)?;
    let last_author: Option<String> = r.try_get(at + 20)?;
    Ok(ConversationRecord {
        id: parse_id(&r.try_get::<String, _>(at)?)?,
        visitor_id: parse_id(&r.try_get::<String, _>(at + 1)?)?,
        visitor_name: r.try_get(at + 2)?,
        state,
        display_name: r.try_get(at + 6)?,
        created_at: r.try_get(at + 7)?,
        updated_at: r.try_get(at + 8)?,
        playbook: match (playbook, version) {
            (Some(p), Some(v)) => Some((parse_id(&p)?, v)),
            _ => None,
        },
        bot_card: r.try_get(at + 11)?,
        qualified: r.try_get(at + 12)?,
        language: columns::language(&r.try_get::<String, _>(at + 13)?),
        handled_by: match handled_by {
            Some(op) => Some((parse_id(&op)?, handled_by_name.unwrap_or_default())),
            None => None,
        },
        closed_at: r.try_get(at + 16)?,
        message_count: r.try_get(at + 17)?,
        last_message_at: r.try_get(at + 18)?,
        preview: r.try_get(at + 19)?,
        last_author: last_author
            .map(|k| columns::author_kind(&k))
            .transpose()
            .map_err(StoreError::Storage)?,
    })
}

pub fn message(r: &PgRow) -> StoreResult<MessageView> {
    let kind: String = r.try_get(2)?;
    Ok(MessageView {
        id: parse_id(&r.try_get::<String, _>(0)?)?,
        conversation_id: parse_id(&r.try_get::<String, _>(1)?)?,
        seq: r.try_get(7)?,
        author: columns::author_kind(&kind).map_err(StoreError::Storage)?,
        author_id: opt_id(r.try_get(3)?)?,
        author_name: r.try_get(4)?,
        body: r.try_get(5)?,
        created_at: r.try_get(6)?,
    })
}
