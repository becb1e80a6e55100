//! Conversation writes and reads. Every write loads the state inside the writer's
//! transaction, asks `frontdesk_core` (the lifecycle, and the playbook engine for the bot's
//! part), then persists the result and its events.

use super::playbooks;
use super::rows::{self, CONVERSATION_COLS, CONVERSATION_FROM, MESSAGE_COLS};
use super::writer::WriteCtx;
use crate::*;
use frontdesk_core::playbook::{Input, Playbook, PromptSpec, Stop};
use frontdesk_core::{
    apply as decide, Actor, Audience, Command, Effect, Language, MessageId, SystemText,
};
use frontdesk_protocol::{
    ConversationDetails, EventBody, FieldValue, FollowUpView, Prompt, ResultKind,
};
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
    q: FolderQuery,
    cursor: Option<i64>,
    limit: u32,
) -> StoreResult<FolderPage> {
    use frontdesk_core::Folder;
    let limit = limit.clamp(1, 200) as i64;
    // The folder rule of `frontdesk_core::folder_of`, as SQL. Unassigned is a queue (oldest
    // first); the others show the newest first.
    let (filter, ascending) = match q.folder {
        Folder::Unassigned => ("c.state = 'waiting'", true),
        Folder::Mine => ("c.state = 'assigned' AND c.assignee_id = ?3", false),
        Folder::Offline => ("c.state = 'offline'", false),
        Folder::Closed => ("c.state = 'closed'", false),
    };
    let (order, cmp) = if ascending {
        ("ASC", ">")
    } else {
        ("DESC", "<")
    };
    let start = cursor.unwrap_or(if ascending { 0 } else { i64::MAX });
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
    let mut nums = Vec::new();
    let mut conversations = Vec::new();
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
    if since < floor || since > head || since < 0 {
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
        .collect::<Result<Vec<_>, _>>()?;
    let complete = found.len() <= limit;
    let page = &found[..found.len().min(limit)];
    let position = if complete {
        head
    } else {
        page.last().map(|(_, last)| *last).unwrap_or(head)
    };
    let ids = page
        .iter()
        .map(|(id, _)| rows::parse_id(id))
        .collect::<StoreResult<Vec<ConversationId>>>()?;
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

/// The definition of the playbook version a conversation runs.
fn playbook_of(c: &Connection, conversation: &ConversationRecord) -> StoreResult<Option<Playbook>> {
    match conversation.playbook {
        Some((id, version)) => playbooks::definition(c, id, version).map(Some),
        None => Ok(None),
    }
}

pub fn prompt(c: &Connection, conversation: &ConversationRecord) -> StoreResult<Option<Prompt>> {
    if !matches!(
        conversation.state,
        ConversationState::Bot | ConversationState::Offline
    ) {
        return Ok(None);
    }
    let (Some(pb), Some(card)) = (
        playbook_of(c, conversation)?,
        conversation.bot_card.as_deref(),
    ) else {
        return Ok(None);
    };
    Ok(pb.prompt(card).map(|p| prompt_view(card, p)))
}

fn prompt_view(card: &str, p: PromptSpec) -> Prompt {
    match p {
        PromptSpec::Choice { text, answers } => Prompt::Choice {
            card_id: card.to_owned(),
            text,
            answers,
        },
        PromptSpec::Text {
            text,
            field,
            placeholder,
        } => Prompt::Text {
            card_id: card.to_owned(),
            text,
            field: field.to_owned(),
            placeholder,
        },
    }
}

pub(crate) fn fields(c: &Connection, id: ConversationId) -> StoreResult<Vec<FieldValue>> {
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
        sales: super::crm::sales_view(c, id)?,
        results: super::crm::results_of(c, id)?,
    })
}

/// Creates a conversation in the bot state.
fn create(
    tx: &Connection,
    visitor: &VisitorRecord,
    playbook: Option<&PlaybookRecord>,
    page_url: Option<String>,
    referrer: Option<String>,
    now: Millis,
) -> StoreResult<ConversationRecord> {
    let id = ConversationId::new();
    let (bot_name, language) = match playbook {
        Some(p) => (
            p.definition.appearance.bot_name.clone(),
            p.definition.appearance.language,
        ),
        None => (
            DEFAULT_BOT_NAME.to_owned(),
            visitor
                .language
                .as_deref()
                .and_then(Language::from_tag)
                .unwrap_or_default(),
        ),
    };
    tx.execute(
        "INSERT INTO conversations (id, visitor_id, state, display_name, created_at, updated_at,
                                    playbook_id, playbook_version, language, page_url, referrer)
         VALUES (?1, ?2, 'bot', ?3, ?4, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            id.to_string(),
            visitor.id.to_string(),
            bot_name,
            now,
            playbook.map(|p| p.id.to_string()),
            playbook.map(|p| p.version),
            language.code(),
            page_url,
            referrer
        ],
    )?;
    load(tx, id)
}

fn load_visitor(c: &Connection, id: VisitorId) -> StoreResult<VisitorRecord> {
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

pub fn visitor(c: &Connection, id: VisitorId) -> StoreResult<VisitorRecord> {
    load_visitor(c, id)
}

/// "Talk to a person": the visitor's open conversation (created if none) gets
/// `RequestLiveChat`. When a playbook runs (or the visitor came with one), the handoff goes
/// through its livechat card — its texts, wait time and offline flow — so there is one path.
pub fn request_live_chat(
    tx: &Connection,
    ctx: &mut WriteCtx,
    visitor: VisitorId,
    handoff: Handoff,
    now: Millis,
) -> StoreResult<ConversationRecord> {
    let v = load_visitor(tx, visitor)?;
    ctx.actor = visitor_actor(&v);
    let conversation = match open_of(tx, visitor)? {
        Some(c) if c.state != ConversationState::Bot => return Ok(c),
        Some(c) => c,
        None => {
            let playbook = match v.playbook_id {
                Some(id) => Some(playbooks::load(tx, id)?).filter(|p| p.active),
                None => None,
            };
            if v.playbook_id.is_some() && playbook.is_none() {
                return Err(StoreError::NotFound);
            }
            if let Some(p) = &playbook {
                livechat_card(&p.definition)?;
            }
            let c = create(tx, &v, playbook.as_ref(), None, None, now)?;
            let body = EventBody::ConversationUpsert {
                conversation: c.view(),
            };
            emit(tx, ctx, &c, Audience::visitor(), &body, now)?;
            c
        }
    };
    if let Some(pb) = playbook_of(tx, &conversation)? {
        let card = livechat_card(&pb)?;
        let step = pb.run_from(&card);
        return run_bot(tx, ctx, conversation, &pb, step, handoff, None, now);
    }
    apply(
        tx,
        ctx,
        conversation.id,
        &Command::RequestLiveChat {
            now,
            wait_ms: handoff.wait_override_ms.unwrap_or(DEFAULT_WAIT_MS),
            anyone_online: handoff.anyone_online,
        },
        now,
    )
}

/// The card a direct request for a person goes through.
fn livechat_card(pb: &Playbook) -> StoreResult<String> {
    pb.first_livechat().ok_or(StoreError::Conflict(
        "This chat's playbook offers no conversation with a person; answer the bot's question instead.",
    ))
}

/// Starts the visitor's playbook, or returns their open conversation.
pub fn start_playbook(
    tx: &Connection,
    ctx: &mut WriteCtx,
    visitor: VisitorId,
    page_url: Option<String>,
    referrer: Option<String>,
    handoff: Handoff,
    now: Millis,
) -> StoreResult<ConversationRecord> {
    if let Some(open) = open_of(tx, visitor)? {
        return Ok(open);
    }
    let v = load_visitor(tx, visitor)?;
    ctx.actor = visitor_actor(&v);
    let playbook_id = v.playbook_id.ok_or(StoreError::NotFound)?;
    let playbook = playbooks::load(tx, playbook_id)?;
    if !playbook.active {
        return Err(StoreError::NotFound);
    }
    let conversation = create(tx, &v, Some(&playbook), page_url, referrer, now)?;
    let body = EventBody::ConversationUpsert {
        conversation: conversation.view(),
    };
    emit(tx, ctx, &conversation, Audience::visitor(), &body, now)?;
    let step = playbook.definition.run_from(&playbook.definition.start);
    run_bot(
        tx,
        ctx,
        conversation,
        &playbook.definition,
        step,
        handoff,
        None,
        now,
    )
}

/// The visitor answers the card the bot waits at.
#[allow(clippy::too_many_arguments)]
pub fn answer(
    tx: &Connection,
    ctx: &mut WriteCtx,
    id: ConversationId,
    card_id: &str,
    input: &Input,
    page_url: Option<String>,
    handoff: Handoff,
    now: Millis,
) -> StoreResult<ConversationRecord> {
    let conversation = load(tx, id)?;
    if !matches!(
        conversation.state,
        ConversationState::Bot | ConversationState::Offline
    ) || conversation.bot_card.as_deref() != Some(card_id)
    {
        return Err(StoreError::StaleCard);
    }
    let pb = playbook_of(tx, &conversation)?.ok_or(StoreError::StaleCard)?;
    let step = pb.answer(card_id, input).map_err(|e| match e {
        frontdesk_core::playbook::AnswerError::Invalid(m) => StoreError::InvalidAnswer(m),
        frontdesk_core::playbook::AnswerError::NotAwaiting => StoreError::StaleCard,
    })?;
    // The transcript shows what the visitor chose or typed.
    let said = match (input, pb.prompt(card_id)) {
        (Input::Choice(i), Some(PromptSpec::Choice { answers, .. })) => {
            answers.get(*i).cloned().unwrap_or_default()
        }
        (Input::Text(t), _) => t.trim().to_owned(),
        _ => String::new(),
    };
    let v = load_visitor(tx, conversation.visitor_id)?;
    ctx.actor = visitor_actor(&v);
    let name = v.name.unwrap_or_else(|| "Visitor".into());
    let m = NewMessage {
        id: MessageId::new(),
        author: AuthorKind::Visitor,
        author_id: Some(conversation.visitor_id.0),
        author_name: name,
        body: said,
    };
    let mut conversation = conversation;
    let to = Audience::of_messages(&conversation.state);
    add_message(tx, ctx, &mut conversation, &m, to, now)?;
    run_bot(tx, ctx, conversation, &pb, step, handoff, page_url, now)
}

/// Persists what the bot said, captured and created, then acts on where it stopped.
#[allow(clippy::too_many_arguments)]
fn run_bot(
    tx: &Connection,
    ctx: &mut WriteCtx,
    mut conversation: ConversationRecord,
    pb: &Playbook,
    step: frontdesk_core::playbook::BotStep,
    handoff: Handoff,
    page_url: Option<String>,
    now: Millis,
) -> StoreResult<ConversationRecord> {
    let id = conversation.id;
    let to = Audience::of_messages(&conversation.state);
    for text in &step.say {
        let m = NewMessage {
            id: MessageId::new(),
            author: AuthorKind::Bot,
            author_id: None,
            author_name: pb.appearance.bot_name.clone(),
            body: text.clone(),
        };
        add_message(tx, ctx, &mut conversation, &m, to, now)?;
    }
    for (key, value) in &step.captured {
        tx.execute(
            "INSERT INTO conversation_fields (conversation_id, key, value, updated_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (conversation_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            params![id.to_string(), key, value, now],
        )?;
        if key == "name" {
            tx.execute(
                "UPDATE visitors SET name = ?2 WHERE id = ?1",
                params![conversation.visitor_id.to_string(), value],
            )?;
        }
    }
    let page = match page_url {
        Some(p) => Some(p),
        None => tx.query_row(
            "SELECT page_url FROM conversations WHERE id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )?,
    };
    let converted =
        !step.follow_ups.is_empty() || matches!(step.stop, Some(Stop::End { qualified: true }));
    if converted {
        // Where the visitor converted (B7): the first such page is kept.
        tx.execute(
            "UPDATE conversations SET converted_url = COALESCE(converted_url, ?2) WHERE id = ?1",
            params![id.to_string(), page],
        )?;
    }
    if !step.follow_ups.is_empty() {
        let snapshot = serde_json::to_string(&fields(tx, id)?)
            .map_err(|e| StoreError::Storage(e.to_string()))?;
        // Follow-up cards (S5) create real results through the operators' code path, as the
        // bot; the follow-up's id is the idempotency key.
        let visitor_actor = std::mem::replace(
            &mut ctx.actor,
            actor_json(&ActorView {
                kind: frontdesk_protocol::ActorKind::Bot,
                id: None,
                name: Some(pb.appearance.bot_name.clone()),
            }),
        );
        for f in &step.follow_ups {
            let fid = uuid::Uuid::now_v7();
            let kind = match f.kind {
                frontdesk_core::playbook::FollowUpKind::Activity => ResultKind::Activity,
                frontdesk_core::playbook::FollowUpKind::Lead => ResultKind::Lead,
                frontdesk_core::playbook::FollowUpKind::Deal => ResultKind::Deal,
            };
            let creation = super::crm::Creation {
                kind,
                key: fid,
                title: Some(&f.title),
                creator: super::crm::Creator::Bot,
            };
            let (result, _) = super::crm::create_result(tx, ctx, id, creation, now)?;
            tx.execute(
                "INSERT INTO follow_ups (id, conversation_id, kind, title, fields, page_url, created_at, result_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![fid.to_string(), id.to_string(), f.kind.as_str(), f.title, snapshot, page, now, result.id.to_string()],
            )?;
        }
        ctx.actor = visitor_actor;
    }
    let (bot_card, qualified) = match &step.stop {
        Some(Stop::Await(card)) | Some(Stop::LiveChat(card)) => (Some(card.clone()), None),
        Some(Stop::End { qualified }) => (None, Some(*qualified)),
        None => (None, Some(false)),
    };
    tx.execute(
        "UPDATE conversations SET bot_card = ?2, qualified = COALESCE(?3, qualified), updated_at = ?4 WHERE id = ?1",
        params![id.to_string(), bot_card, qualified, now],
    )?;
    let prompt = match &step.stop {
        Some(Stop::Await(card)) => pb.prompt(card).map(|p| prompt_view(card, p)),
        _ => None,
    };
    emit(
        tx,
        ctx,
        &conversation,
        Audience::visitor(),
        &EventBody::BotPrompt {
            conversation_id: id.0,
            prompt,
        },
        now,
    )?;
    match step.stop {
        Some(Stop::LiveChat(card)) if conversation.state == ConversationState::Bot => {
            let wait_ms = handoff.wait_override_ms.unwrap_or_else(|| {
                pb.livechat(&card)
                    .map(|(_, secs, _, _)| secs as i64 * 1000)
                    .unwrap_or(DEFAULT_WAIT_MS)
            });
            apply(
                tx,
                ctx,
                id,
                &Command::RequestLiveChat {
                    now,
                    wait_ms,
                    anyone_online: handoff.anyone_online,
                },
                now,
            )
        }
        Some(Stop::Await(_)) => load(tx, id),
        // An end, or (refused by validation) a second livechat card on an offline path.
        _ => apply(tx, ctx, id, &Command::Close { by: Actor::System }, now),
    }
}

pub fn apply(
    tx: &Connection,
    ctx: &mut WriteCtx,
    id: ConversationId,
    command: &Command,
    now: Millis,
) -> StoreResult<ConversationRecord> {
    // Who handles it now: kept after it is released or closed ("closed by me", history).
    let handler = match command {
        Command::Assign {
            operator,
            operator_name,
        } => Some((*operator, operator_name.clone())),
        Command::Reassign { to, to_name, .. } => Some((*to, to_name.clone())),
        _ => None,
    };
    let before = load(tx, id)?;
    let outcome = decide(&before.state, command)?;
    if outcome.effects.is_empty() && outcome.state == before.state {
        return Ok(before);
    }
    let pb = playbook_of(tx, &before)?;
    let livechat = pb
        .as_ref()
        .zip(before.bot_card.as_deref())
        .and_then(|(p, card)| p.livechat(card));
    let lang = before.language;
    let (online, offline) = match livechat {
        Some((on, _, off, _)) => (on.to_owned(), off.to_owned()),
        None => (
            lang.default_online_message().to_owned(),
            lang.default_offline_message().to_owned(),
        ),
    };
    let bot_name = pb
        .as_ref()
        .map(|p| p.appearance.bot_name.clone())
        .unwrap_or_else(|| DEFAULT_BOT_NAME.to_owned());
    let display_name = match command {
        // Nobody is answering any more: the visitor sees the bot's name again.
        Command::Release { .. } => bot_name.clone(),
        _ => outcome
            .display_name
            .clone()
            .unwrap_or_else(|| before.display_name.clone()),
    };
    let deadline = match outcome.state {
        ConversationState::Waiting { deadline } => Some(deadline),
        _ => None,
    };
    let handled_by = match (&outcome.state, handler) {
        (ConversationState::Assigned { .. }, Some(h)) => Some(h),
        _ => before.handled_by.clone(),
    };
    let closed_at = match outcome.state {
        ConversationState::Closed => Some(now),
        _ => None,
    };
    tx.execute(
        "UPDATE conversations SET state = ?2, assignee_id = ?3, wait_deadline = ?4, display_name = ?5, updated_at = ?6,
                handled_by = ?7, handled_by_name = ?8, closed_at = ?9
         WHERE id = ?1",
        params![
            id.to_string(),
            outcome.state.name(),
            outcome.state.assignee().map(|o| o.to_string()),
            deadline,
            display_name,
            now,
            handled_by.as_ref().map(|(o, _)| o.to_string()),
            handled_by.as_ref().map(|(_, n)| n.clone()),
            closed_at
        ],
    )?;
    // The audit trail (B10): who assigned, reassigned, closed or released it.
    let action = match command {
        Command::Assign { .. } => Some(("assigned", handled_by.as_ref().map(|(_, n)| n.clone()))),
        Command::Reassign { to_name, .. } => Some(("reassigned", Some(to_name.clone()))),
        Command::Close { .. } => Some(("closed", None)),
        Command::Release { .. } => Some(("released", None)),
        _ => None,
    };
    if let Some((action, note)) = action {
        super::crm::audit(tx, ctx, id, action, &[], None, note.as_deref(), now)?;
    }
    let mut after = ConversationRecord {
        state: outcome.state.clone(),
        display_name,
        updated_at: now,
        handled_by,
        closed_at,
        ..before.clone()
    };
    for effect in &outcome.effects {
        match effect {
            Effect::Upsert { to } => {
                let body = EventBody::ConversationUpsert {
                    conversation: after.view(),
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
                let (author, author_name) = match text {
                    SystemText::Online | SystemText::OfflineMessage => {
                        (AuthorKind::Bot, bot_name.clone())
                    }
                    _ => (AuthorKind::System, "Frontdesk".to_owned()),
                };
                let body = text.render(lang, &online, &offline);
                let message = NewMessage {
                    id: MessageId::new(),
                    author,
                    author_id: None,
                    author_name,
                    body,
                };
                add_message(tx, ctx, &mut after, &message, *to, now)?;
            }
        }
    }
    // Offline mode (S4, S3): the bot continues on the path under the livechat card.
    if after.state == ConversationState::Offline && before.state != ConversationState::Offline {
        if let (Some(pb), Some((_, _, _, next))) = (pb.as_ref(), livechat) {
            let step = pb.run_from(next);
            let handoff = Handoff {
                anyone_online: false,
                wait_override_ms: None,
            };
            return run_bot(tx, ctx, after, pb, step, handoff, None, now);
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
    // A visitor writes only into their own conversation; for anyone else it does not exist.
    if actor == Actor::Visitor && message.author_id != Some(conversation.visitor_id.0) {
        return Err(StoreError::NotFound);
    }
    // A retry of a committed send: answer with what was stored, write nothing.
    let existing = tx
        .prepare_cached(&format!(
            "SELECT {MESSAGE_COLS} FROM messages WHERE id = ?1"
        ))?
        .query_row([message.id.to_string()], rows::message)
        .optional()?;
    if let Some(existing) = existing {
        if message.is_retry_of(id, &existing) {
            return Ok(PostedMessage {
                message: existing,
                duplicate: true,
            });
        }
        return Err(StoreError::Conflict(
            "This message id is already used by another message; send a new message with a new id.",
        ));
    }
    decide(&conversation.state, &Command::PostMessage { by: actor })?;
    ctx.actor = actor_json(&ActorView {
        kind: match message.author {
            AuthorKind::Visitor => frontdesk_protocol::ActorKind::Visitor,
            AuthorKind::Operator => frontdesk_protocol::ActorKind::Operator,
            AuthorKind::Bot => frontdesk_protocol::ActorKind::Bot,
            AuthorKind::System => frontdesk_protocol::ActorKind::System,
        },
        id: message.author_id,
        name: Some(message.author_name.clone()),
    });
    let mut conversation = conversation;
    let to = Audience::of_messages(&conversation.state);
    let view = add_message(tx, ctx, &mut conversation, &message, to, now)?;
    Ok(PostedMessage {
        message: view,
        duplicate: false,
    })
}

/// Adds a message as the conversation's next `seq`, updates its inbox row (count, time,
/// preview) in `conversation` and in storage, and emits the message with the new row.
fn add_message(
    tx: &Connection,
    ctx: &mut WriteCtx,
    conversation: &mut ConversationRecord,
    m: &NewMessage,
    to: Audience,
    now: Millis,
) -> StoreResult<MessageView> {
    let seq = conversation.message_count + 1;
    let preview = frontdesk_core::inbox::preview(&m.body);
    tx.prepare_cached(
        "INSERT INTO messages (id, conversation_id, author_kind, author_id, author_name, body, created_at, seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        m.id.to_string(),
        conversation.id.to_string(),
        rows::author_kind_str(m.author),
        m.author_id.map(|a| a.to_string()),
        m.author_name,
        m.body,
        now,
        seq
    ])?;
    tx.prepare_cached(
        "UPDATE conversations SET message_count = ?2, last_message_at = ?3, preview = ?4, last_author = ?5, updated_at = ?3
         WHERE id = ?1",
    )?
    .execute(params![
        conversation.id.to_string(),
        seq,
        now,
        preview,
        rows::author_kind_str(m.author)
    ])?;
    conversation.message_count = seq;
    conversation.last_message_at = Some(now);
    conversation.preview = Some(preview);
    conversation.last_author = Some(m.author);
    conversation.updated_at = now;
    let view = MessageView {
        id: m.id.0,
        conversation_id: conversation.id.0,
        seq,
        author: m.author,
        author_id: m.author_id,
        author_name: m.author_name.clone(),
        body: m.body.clone(),
        created_at: now,
    };
    let body = EventBody::Message {
        message: view.clone(),
        conversation: conversation.view(),
    };
    emit(tx, ctx, conversation, to, &body, now)?;
    Ok(view)
}

/// The actor of a visitor's own actions.
fn visitor_actor(v: &VisitorRecord) -> String {
    actor_json(&ActorView::visitor(v.id.0, v.name.clone()))
}

pub(crate) fn actor_json(a: &ActorView) -> String {
    serde_json::to_string(a).unwrap_or_else(|_| super::writer::SYSTEM_ACTOR.to_owned())
}

/// Appends one event for `to` (one row serves both its operators and its visitor).
pub(crate) fn emit(
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
        "INSERT INTO events (seq, conversation_id, op_audience, visitor_id, payload, created_at, actor) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![seq, conversation.id.to_string(), op_audience, visitor.map(|v| v.to_string()), payload, now, ctx.actor])?;
    ctx.next_seq += 1;
    ctx.events.push(Arc::new(StoredEvent {
        seq,
        conversation_id: conversation.id,
        operators: to.operators,
        visitor,
        at: now,
        actor: ctx.actor.clone(),
        payload,
    }));
    Ok(())
}

/// Hands every conversation assigned to `operator` back (their account was disabled).
pub fn release_assigned(
    tx: &Connection,
    ctx: &mut WriteCtx,
    operator: OperatorId,
    handoff: Handoff,
    now: Millis,
) -> StoreResult<Vec<ConversationRecord>> {
    let ids: Vec<String> = tx
        .prepare_cached("SELECT id FROM conversations WHERE state = 'assigned' AND assignee_id = ?1 ORDER BY num")?
        .query_map([operator.to_string()], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let id: ConversationId = rows::parse_id(&id)?;
        let c = load(tx, id)?;
        let card_wait = playbook_of(tx, &c)?
            .zip(c.bot_card.clone())
            .and_then(|(pb, card)| pb.livechat(&card).map(|(_, secs, _, _)| secs as i64 * 1000));
        let wait_ms = handoff
            .wait_override_ms
            .or(card_wait)
            .unwrap_or(DEFAULT_WAIT_MS);
        let command = Command::Release {
            now,
            wait_ms,
            anyone_online: handoff.anyone_online,
        };
        out.push(apply(tx, ctx, id, &command, now)?);
    }
    Ok(out)
}
