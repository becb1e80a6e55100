//! Row ↔ record mapping.

use crate::{columns, ConversationRecord, OperatorRecord};
use frontdesk_core::Role;
use frontdesk_protocol::{AuthorKind, MessageView};
use rusqlite::Row;

pub const OPERATOR_COLS: &str =
    "id, email, display_name, role, disabled, password_hash, chose_online";
pub const CONVERSATION_COLS: &str = "c.id, c.visitor_id, v.name, c.state, c.assignee_id, c.wait_deadline, c.display_name, \
     c.created_at, c.updated_at, c.playbook_id, c.playbook_version, c.bot_card, c.qualified, c.language, \
     c.handled_by, c.handled_by_name, c.closed_at, c.message_count, c.last_message_at, c.preview, c.last_author";
pub const CONVERSATION_FROM: &str = "conversations c JOIN visitors v ON v.id = c.visitor_id";
pub const MESSAGE_COLS: &str =
    "id, conversation_id, author_kind, author_id, author_name, body, created_at, seq";

fn conversion(msg: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, msg.into())
}

pub fn parse_id<T: std::str::FromStr>(s: &str) -> Result<T, crate::StoreError> {
    s.parse()
        .map_err(|_| crate::StoreError::Storage(format!("bad id in database: {s}")))
}

fn id<T: std::str::FromStr>(s: String) -> rusqlite::Result<T> {
    s.parse().map_err(|_| conversion(format!("bad id {s}")))
}

pub fn operator(r: &Row) -> rusqlite::Result<OperatorRecord> {
    let role: String = r.get(3)?;
    Ok(OperatorRecord {
        id: id(r.get(0)?)?,
        email: r.get(1)?,
        display_name: r.get(2)?,
        role: Role::parse(&role).ok_or_else(|| conversion(format!("bad role {role}")))?,
        disabled: r.get(4)?,
        password_hash: r.get(5)?,
        chose_online: r.get(6)?,
    })
}

pub fn conversation(r: &Row) -> rusqlite::Result<ConversationRecord> {
    conversation_at(r, 0)
}

/// [`CONVERSATION_COLS`] starting at column `at`.
pub fn conversation_at(r: &Row, at: usize) -> rusqlite::Result<ConversationRecord> {
    let state: String = r.get(at + 3)?;
    let assignee: Option<String> = r.get(at + 4)?;
    let assignee = assignee.map(id).transpose()?;
    let state = columns::state(&state, assignee, r.get(at + 5)?).map_err(conversion)?;
    Ok(ConversationRecord {
        id: id(r.get(at)?)?,
        visitor_id: id(r.get(at + 1)?)?,
        visitor_name: r.get(at + 2)?,
        state,
        display_name: r.get(at + 6)?,
        created_at: r.get(at + 7)?,
        updated_at: r.get(at + 8)?,
        playbook: match (
            r.get::<_, Option<String>>(at + 9)?,
            r.get::<_, Option<i64>>(at + 10)?,
        ) {
            (Some(p), Some(v)) => Some((id(p)?, v)),
            _ => None,
        },
        bot_card: r.get(at + 11)?,
        qualified: r.get(at + 12)?,
        language: columns::language(&r.get::<_, String>(at + 13)?),
        handled_by: match (
            r.get::<_, Option<String>>(at + 14)?,
            r.get::<_, Option<String>>(at + 15)?,
        ) {
            (Some(op), name) => Some((id(op)?, name.unwrap_or_default())),
            _ => None,
        },
        closed_at: r.get(at + 16)?,
        message_count: r.get(at + 17)?,
        last_message_at: r.get(at + 18)?,
        preview: r.get(at + 19)?,
        last_author: r
            .get::<_, Option<String>>(at + 20)?
            .map(|k| author_kind(&k))
            .transpose()?,
    })
}

fn author_kind(kind: &str) -> rusqlite::Result<AuthorKind> {
    columns::author_kind(kind).map_err(conversion)
}

pub fn message(r: &Row) -> rusqlite::Result<MessageView> {
    let kind: String = r.get(2)?;
    let author_id: Option<String> = r.get(3)?;
    Ok(MessageView {
        id: id(r.get(0)?)?,
        conversation_id: id(r.get(1)?)?,
        seq: r.get(7)?,
        author: author_kind(&kind)?,
        author_id: author_id.map(id).transpose()?,
        author_name: r.get(4)?,
        body: r.get(5)?,
        created_at: r.get(6)?,
    })
}
