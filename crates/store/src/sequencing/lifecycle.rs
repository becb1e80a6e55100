//! Lifecycle commands, messages and events, and the loop that runs a chain of steps.

use super::bot;
use super::{actor_json, WriteTx};
use crate::*;
use frontdesk_core::playbook::{BotStep, Playbook};
use frontdesk_core::{apply as decide, Actor, Audience, Command, Effect, MessageId};
use frontdesk_protocol::EventBody;

/// What a step leads to. (One value per step, moved a few times: its size does not matter.)
#[allow(clippy::large_enum_variant)]
pub(crate) enum Next {
    /// Nothing more: the conversation as it is now.
    Done(ConversationRecord),
    /// A lifecycle command for the conversation (the bot handing over, or ending).
    Apply(ConversationId, Command),
    /// The bot goes on from `step` (a new playbook, an answer, or offline mode).
    Bot(Box<BotRun>),
}

/// A bot step to persist, with what it needs to act on where it stopped.
pub(crate) struct BotRun {
    pub conversation: ConversationRecord,
    pub playbook: Playbook,
    pub step: BotStep,
    pub handoff: Handoff,
    pub page_url: Option<String>,
}

/// Runs `next` and every step it leads to, in one transaction.
pub(crate) async fn settle(
    tx: &mut impl WriteTx,
    mut next: Next,
    now: Millis,
) -> StoreResult<ConversationRecord> {
    loop {
        next = match next {
            Next::Done(c) => return Ok(c),
            Next::Apply(id, command) => apply_command(tx, id, &command, now).await?,
            Next::Bot(run) => bot::persist_step(tx, *run, now).await?,
        };
    }
}

/// Applies a lifecycle command (everything but messages) and what follows from it.
pub(crate) async fn apply(
    tx: &mut impl WriteTx,
    id: ConversationId,
    command: Command,
    now: Millis,
) -> StoreResult<ConversationRecord> {
    settle(tx, Next::Apply(id, command), now).await
}

/// The definition of the playbook version a conversation runs.
pub(crate) async fn playbook_of(
    tx: &mut impl WriteTx,
    conversation: &ConversationRecord,
) -> StoreResult<Option<Playbook>> {
    match conversation.playbook {
        Some((id, version)) => tx.playbook_version(id, version).await.map(Some),
        None => Ok(None),
    }
}

async fn apply_command(
    tx: &mut impl WriteTx,
    id: ConversationId,
    command: &Command,
    now: Millis,
) -> StoreResult<Next> {
    // Who handles it now: kept after it is released or closed ("closed by me", history).
    let handler = match command {
        Command::Assign {
            operator,
            operator_name,
        } => Some((*operator, operator_name.clone())),
        Command::Reassign { to, to_name, .. } => Some((*to, to_name.clone())),
        _ => None,
    };
    let before = tx.conversation(id).await?;
    let outcome = decide(&before.state, command)?;
    if outcome.effects.is_empty() && outcome.state == before.state {
        return Ok(Next::Done(before));
    }
    let pb = playbook_of(tx, &before).await?;
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
    let offline_path = livechat.map(|(_, _, _, next)| next.to_owned());
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
    let handled_by = match (&outcome.state, handler) {
        (ConversationState::Assigned { .. }, Some(h)) => Some(h),
        _ => before.handled_by.clone(),
    };
    let closed_at = match outcome.state {
        ConversationState::Closed => Some(now),
        _ => None,
    };
    let mut after = ConversationRecord {
        state: outcome.state.clone(),
        display_name,
        updated_at: now,
        handled_by,
        closed_at,
        ..before.clone()
    };
    tx.update_lifecycle(&after).await?;
    // The audit trail (B10): who assigned, reassigned, closed or released it.
    let audited = match command {
        Command::Assign { .. } => Some((
            "assigned",
            after.handled_by.as_ref().map(|(_, n)| n.clone()),
        )),
        Command::Reassign { to_name, .. } => Some(("reassigned", Some(to_name.clone()))),
        Command::Close { .. } => Some(("closed", None)),
        Command::Release { .. } => Some(("released", None)),
        _ => None,
    };
    if let Some((action, note)) = audited {
        super::crm::audit(tx, id, action, &[], None, note.as_deref(), now).await?;
    }
    for effect in &outcome.effects {
        match effect {
            Effect::Upsert { to } => {
                let body = EventBody::ConversationUpsert {
                    conversation: after.view(),
                };
                emit(tx, &after, *to, &body, now).await?;
            }
            Effect::Removed { to } => {
                let body = EventBody::ConversationRemoved {
                    conversation_id: id.0,
                };
                emit(tx, &after, Audience::operators(*to), &body, now).await?;
            }
            Effect::SystemMessage { text, to } => {
                let (author, author_name) = if text.is_bots_voice() {
                    (AuthorKind::Bot, bot_name.clone())
                } else {
                    (
                        AuthorKind::System,
                        frontdesk_core::SYSTEM_AUTHOR_NAME.to_owned(),
                    )
                };
                let body = text.render(lang, &online, &offline);
                let message = NewMessage {
                    id: MessageId::new(),
                    author,
                    author_id: None,
                    author_name,
                    body,
                };
                add_message(tx, &mut after, &message, *to, now).await?;
            }
        }
    }
    // Offline mode (S4, S3): the bot continues on the path under the livechat card.
    if after.state == ConversationState::Offline && before.state != ConversationState::Offline {
        if let (Some(pb), Some(next)) = (pb, offline_path) {
            let step = pb.run_from(&next);
            return Ok(Next::Bot(Box::new(BotRun {
                conversation: after,
                playbook: pb,
                step,
                handoff: Handoff {
                    anyone_online: false,
                    wait_override_ms: None,
                },
                page_url: None,
            })));
        }
    }
    Ok(Next::Done(after))
}

/// Adds a message by `actor` (checked with [`Command::PostMessage`]); a retry of a committed
/// send answers what was stored and writes nothing.
pub(crate) async fn post_message(
    tx: &mut impl WriteTx,
    id: ConversationId,
    actor: Actor,
    message: NewMessage,
    now: Millis,
) -> StoreResult<PostedMessage> {
    let conversation = tx.conversation(id).await?;
    // A visitor writes only into their own conversation; for anyone else it does not exist.
    if actor == Actor::Visitor && message.author_id != Some(conversation.visitor_id.0) {
        return Err(StoreError::NotFound);
    }
    if let Some(existing) = tx.message(message.id).await? {
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
    tx.set_actor(actor_json(&ActorView {
        kind: match message.author {
            AuthorKind::Visitor => frontdesk_protocol::ActorKind::Visitor,
            AuthorKind::Operator => frontdesk_protocol::ActorKind::Operator,
            AuthorKind::Bot => frontdesk_protocol::ActorKind::Bot,
            AuthorKind::System => frontdesk_protocol::ActorKind::System,
        },
        id: message.author_id,
        name: Some(message.author_name.clone()),
    }));
    let mut conversation = conversation;
    let to = Audience::of_messages(&conversation.state);
    let view = add_message(tx, &mut conversation, &message, to, now).await?;
    Ok(PostedMessage {
        message: view,
        duplicate: false,
    })
}

/// Adds a message as the conversation's next `seq`, updates its inbox row (count, time,
/// preview) in `conversation` and in storage, and emits the message with the new row.
pub(crate) async fn add_message(
    tx: &mut impl WriteTx,
    conversation: &mut ConversationRecord,
    m: &NewMessage,
    to: Audience,
    now: Millis,
) -> StoreResult<MessageView> {
    let seq = conversation.message_count + 1;
    conversation.message_count = seq;
    conversation.last_message_at = Some(now);
    conversation.preview = Some(frontdesk_core::inbox::preview(&m.body));
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
    tx.insert_message(&view, conversation).await?;
    let body = EventBody::Message {
        message: view.clone(),
        conversation: conversation.view(),
    };
    emit(tx, conversation, to, &body, now).await?;
    Ok(view)
}

/// Appends one event for `to` (one row serves both its operators and its visitor).
pub(crate) async fn emit(
    tx: &mut impl WriteTx,
    conversation: &ConversationRecord,
    to: Audience,
    body: &EventBody,
    now: Millis,
) -> StoreResult<()> {
    let visitor = to.visitor.then_some(conversation.visitor_id);
    if to.operators == OperatorAudience::Nobody && visitor.is_none() {
        return Ok(());
    }
    let payload = serde_json::to_string(body).map_err(|e| StoreError::Storage(e.to_string()))?;
    tx.append_event(super::NewEvent {
        conversation_id: conversation.id,
        operators: to.operators,
        visitor,
        at: now,
        payload,
    })
    .await
}

/// Hands every conversation assigned to `operator` back (their account was disabled).
pub(crate) async fn release_assigned(
    tx: &mut impl WriteTx,
    operator: OperatorId,
    handoff: Handoff,
    now: Millis,
) -> StoreResult<Vec<ConversationRecord>> {
    let ids = tx.assigned_to(operator).await?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let c = tx.conversation(id).await?;
        let card_wait = playbook_of(tx, &c)
            .await?
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
        out.push(apply(tx, id, command, now).await?);
    }
    Ok(out)
}
