//! Conversation writes and reads. Every write loads the state inside the writer's
//! transaction, asks `frontdesk_core::apply`, then persists the result and its events.

use super::rows::{self, CONVERSATION_COLS, CONVERSATION_FROM, MESSAGE_COLS};
use super::writer::WriteCtx;
use crate::*;
use frontdesk_core::{apply as decide, Actor, Audience, Command, Effect, MessageId, SystemText};
use frontdesk_protocol::EventBody;
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
        "SELECT {MESSAGE_COLS} FROM messages WHERE conversation_id = ?1 ORDER BY num"
    ))?;
    let rows = st
        .query_map([id.to_string()], rows::message)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub fn folder(
    c: &Connection,
    folder: FolderQuery,
    cursor: Option<i64>,
    limit: u32,
) -> StoreResult<FolderPage> {
    let limit = limit.clamp(1, 200) as i64;
    // Unassigned is a queue (oldest first); the others show the newest first.
    let (filter, order, cmp, who) = match folder {
        FolderQuery::Unassigned => ("c.state = ?3", "ASC", ">", "waiting".to_owned()),
        FolderQuery::AssignedTo(op) => (
            "c.state = 'assigned' AND c.assignee_id = ?3",
            "DESC",
            "<",
            op.to_string(),
        ),
        FolderQuery::Closed => ("c.state = ?3", "DESC", "<", "closed".to_owned()),
    };
    let start = cursor.unwrap_or(if order == "ASC" { 0 } else { i64::MAX });
    let sql = format!(
        "SELECT c.num, {CONVERSATION_COLS} FROM {CONVERSATION_FROM}
         WHERE {filter} AND c.num {cmp} ?1 ORDER BY c.num {order} LIMIT ?2"
    );
    let mut st = c.prepare_cached(&sql)?;
    let mut nums = Vec::new();
    let mut conversations = Vec::new();
    let mut q = st.query(params![start, limit + 1, who])?;
    while let Some(r) = q.next()? {
        nums.push(r.get::<_, i64>(0)?);
        conversations.push(rows::conversation_at(r, 1)?);
    }
    let next_cursor = if conversations.len() as i64 > limit {
        conversations.truncate(limit as usize);
        Some(nums[limit as usize - 1])
    } else {
        None
    };
    Ok(FolderPage {
        conversations,
        next_cursor,
    })
}

pub fn request_live_chat(
    tx: &Connection,
    ctx: &mut WriteCtx,
    visitor: VisitorId,
    now: Millis,
    wait_ms: Millis,
    anyone_online: bool,
) -> StoreResult<ConversationRecord> {
    let existing = open_of(tx, visitor)?;
    let conversation = match existing {
        Some(c) if c.state != ConversationState::Bot => return Ok(c),
        Some(c) => c,
        None => {
            let known: bool = tx.query_row(
                "SELECT EXISTS(SELECT 1 FROM visitors WHERE id = ?1)",
                [visitor.to_string()],
                |r| r.get(0),
            )?;
            if !known {
                return Err(StoreError::NotFound);
            }
            let id = ConversationId::new();
            tx.execute(
                "INSERT INTO conversations (id, visitor_id, state, display_name, created_at, updated_at)
                 VALUES (?1, ?2, 'bot', ?3, ?4, ?4)",
                params![id.to_string(), visitor.to_string(), ctx.texts.bot_name, now],
            )?;
            load(tx, id)?
        }
    };
    let command = Command::RequestLiveChat {
        now,
        wait_ms,
        anyone_online,
    };
    apply(tx, ctx, conversation.id, &command, now)
}

pub fn apply(
    tx: &Connection,
    ctx: &mut WriteCtx,
    id: ConversationId,
    command: &Command,
    now: Millis,
) -> StoreResult<ConversationRecord> {
    let before = load(tx, id)?;
    let outcome = decide(&before.state, command)?;
    if outcome.effects.is_empty() && outcome.state == before.state {
        return Ok(before);
    }
    let display_name = outcome
        .display_name
        .clone()
        .unwrap_or_else(|| before.display_name.clone());
    let deadline = match outcome.state {
        ConversationState::Waiting { deadline } => Some(deadline),
        _ => None,
    };
    tx.execute(
        "UPDATE conversations SET state = ?2, assignee_id = ?3, wait_deadline = ?4, display_name = ?5, updated_at = ?6
         WHERE id = ?1",
        params![
            id.to_string(),
            outcome.state.name(),
            outcome.state.assignee().map(|o| o.to_string()),
            deadline,
            display_name,
            now
        ],
    )?;
    let after = ConversationRecord {
        state: outcome.state.clone(),
        display_name,
        updated_at: now,
        ..before
    };
    for effect in &outcome.effects {
        match effect {
            Effect::Upsert { to, with_messages } => {
                let messages = if *with_messages {
                    Some(messages(tx, id)?)
                } else {
                    None
                };
                let body = EventBody::ConversationUpsert {
                    conversation: after.view(),
                    messages,
                };
                emit(tx, ctx, &after, *to, &body, now)?;
            }
            Effect::Removed { to } => {
                let body = EventBody::ConversationRemoved {
                    conversation_id: id.0,
                };
                emit(tx, ctx, &after, Audience::operators(*to), &body, now)?;
            }
            Effect::SystemMessage { text, to } => {
                let body = text.render_en(&ctx.texts.online_message, &ctx.texts.offline_message);
                let author = match text {
                    SystemText::Online | SystemText::OfflineMessage => ctx.texts.bot_name.clone(),
                    _ => "Frontdesk".to_owned(),
                };
                let message = NewMessage {
                    id: MessageId::new(),
                    author: AuthorKind::System,
                    author_id: None,
                    author_name: author,
                    body,
                };
                let view = insert_message(tx, id, &message, now)?;
                emit(
                    tx,
                    ctx,
                    &after,
                    *to,
                    &EventBody::Message { message: view },
                    now,
                )?;
            }
        }
    }
    Ok(after)
}

pub fn post_message(
    tx: &Connection,
    ctx: &mut WriteCtx,
    id: ConversationId,
    actor: Actor,
    message: NewMessage,
    now: Millis,
) -> StoreResult<PostedMessage> {
    let conversation = load(tx, id)?;
    // A retry of a committed send: answer with what was stored, write nothing.
    let existing = tx
        .prepare_cached(&format!(
            "SELECT {MESSAGE_COLS} FROM messages WHERE id = ?1"
        ))?
        .query_row([message.id.to_string()], rows::message)
        .optional()?;
    if let Some(existing) = existing {
        if existing.conversation_id == id.0
            && existing.author == message.author
            && existing.author_id == message.author_id
        {
            return Ok(PostedMessage {
                message: existing,
                duplicate: true,
            });
        }
        return Err(StoreError::Conflict(
            "this message id is already used by another message",
        ));
    }
    decide(&conversation.state, &Command::PostMessage { by: actor })?;
    let view = insert_message(tx, id, &message, now)?;
    tx.execute(
        "UPDATE conversations SET updated_at = ?2 WHERE id = ?1",
        params![id.to_string(), now],
    )?;
    emit(
        tx,
        ctx,
        &conversation,
        Audience::of_messages(&conversation.state),
        &EventBody::Message {
            message: view.clone(),
        },
        now,
    )?;
    Ok(PostedMessage {
        message: view,
        duplicate: false,
    })
}

fn insert_message(
    tx: &Connection,
    conversation: ConversationId,
    m: &NewMessage,
    now: Millis,
) -> StoreResult<MessageView> {
    tx.prepare_cached(
        "INSERT INTO messages (id, conversation_id, author_kind, author_id, author_name, body, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        m.id.to_string(),
        conversation.to_string(),
        rows::author_kind_str(m.author),
        m.author_id.map(|a| a.to_string()),
        m.author_name,
        m.body,
        now
    ])?;
    Ok(MessageView {
        id: m.id.0,
        conversation_id: conversation.0,
        author: m.author,
        author_id: m.author_id,
        author_name: m.author_name.clone(),
        body: m.body.clone(),
        created_at: now,
    })
}

/// Appends one event for `to` (one row serves both its operators and its visitor).
fn emit(
    tx: &Connection,
    ctx: &mut WriteCtx,
    conversation: &ConversationRecord,
    to: Audience,
    body: &EventBody,
    now: Millis,
) -> StoreResult<()> {
    let op_audience = match to.operators {
        OperatorAudience::Nobody => None,
        OperatorAudience::All => Some("*".to_owned()),
        OperatorAudience::One(op) => Some(op.to_string()),
    };
    let visitor = to.visitor.then_some(conversation.visitor_id);
    if op_audience.is_none() && visitor.is_none() {
        return Ok(());
    }
    let payload = serde_json::to_string(body).map_err(|e| StoreError::Storage(e.to_string()))?;
    let seq = ctx.next_seq;
    tx.prepare_cached(
        "INSERT INTO events (seq, conversation_id, op_audience, visitor_id, payload, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![seq, conversation.id.to_string(), op_audience, visitor.map(|v| v.to_string()), payload, now])?;
    ctx.next_seq += 1;
    ctx.events.push(Arc::new(StoredEvent {
        seq,
        conversation_id: conversation.id,
        operators: to.operators,
        visitor,
        payload,
    }));
    Ok(())
}
