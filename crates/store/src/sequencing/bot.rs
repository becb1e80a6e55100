//! The visitor's playbook: starting it, answering its cards, asking for a person, and
//! persisting each of the bot's steps. The engine (`frontdesk_core::playbook`) decides the
//! path; this writes what it decided.

use super::lifecycle::{self, add_message, emit, playbook_of, BotRun, Next};
use super::{actor_json, crm, waits_for_answer, NewConversation, NewFollowUp, WriteTx};
use crate::*;
use frontdesk_core::playbook::{BotStep, FollowUpKind, Input, Playbook, PromptSpec, Stop};
use frontdesk_core::{Actor, Audience, Command, Language, MessageId};
use frontdesk_protocol::{EventBody, ResultKind};

/// "Talk to a person": the visitor's open conversation (created if none) gets
/// `RequestLiveChat`. When a playbook runs (or the visitor came with one), the handoff goes
/// through its livechat card — its texts, wait time and offline flow — so there is one path.
pub(crate) async fn request_live_chat(
    tx: &mut impl WriteTx,
    visitor: VisitorId,
    handoff: Handoff,
    now: Millis,
) -> StoreResult<ConversationRecord> {
    let v = tx.visitor(visitor).await?;
    tx.set_actor(visitor_actor(&v));
    let conversation = match tx.open_conversation_of(visitor).await? {
        Some(c) if c.state != ConversationState::Bot => return Ok(c),
        Some(c) => c,
        None => {
            let playbook = match v.playbook_id {
                Some(id) => Some(tx.playbook(id).await?).filter(|p| p.active),
                None => None,
            };
            if v.playbook_id.is_some() && playbook.is_none() {
                return Err(StoreError::NotFound);
            }
            if let Some(p) = &playbook {
                livechat_card(&p.definition)?;
            }
            create(tx, &v, playbook.as_ref(), None, None, now).await?
        }
    };
    let next = match playbook_of(tx, &conversation).await? {
        Some(pb) => {
            let card = livechat_card(&pb)?;
            let step = pb.run_from(&card);
            Next::Bot(Box::new(BotRun {
                conversation,
                playbook: pb,
                step,
                handoff,
                page_url: None,
            }))
        }
        None => Next::Apply(
            conversation.id,
            Command::RequestLiveChat {
                now,
                wait_ms: handoff.wait_override_ms.unwrap_or(DEFAULT_WAIT_MS),
                anyone_online: handoff.anyone_online,
            },
        ),
    };
    lifecycle::settle(tx, next, now).await
}

/// The card a direct request for a person goes through.
fn livechat_card(pb: &Playbook) -> StoreResult<String> {
    pb.first_livechat().ok_or(StoreError::Conflict(
        "This chat's playbook offers no conversation with a person; answer the bot's question instead.",
    ))
}

/// Starts the visitor's playbook, or returns their open conversation.
pub(crate) async fn start_playbook(
    tx: &mut impl WriteTx,
    visitor: VisitorId,
    page_url: Option<String>,
    referrer: Option<String>,
    handoff: Handoff,
    now: Millis,
) -> StoreResult<ConversationRecord> {
    if let Some(open) = tx.open_conversation_of(visitor).await? {
        return Ok(open);
    }
    let v = tx.visitor(visitor).await?;
    tx.set_actor(visitor_actor(&v));
    let playbook_id = v.playbook_id.ok_or(StoreError::NotFound)?;
    let playbook = tx.playbook(playbook_id).await?;
    if !playbook.active {
        return Err(StoreError::NotFound);
    }
    let conversation = create(tx, &v, Some(&playbook), page_url, referrer, now).await?;
    let step = playbook.definition.run_from(&playbook.definition.start);
    let run = BotRun {
        conversation,
        playbook: playbook.definition,
        step,
        handoff,
        page_url: None,
    };
    lifecycle::settle(tx, Next::Bot(Box::new(run)), now).await
}

/// The visitor answers the card the bot waits at.
pub(crate) async fn answer(
    tx: &mut impl WriteTx,
    id: ConversationId,
    card_id: &str,
    input: &Input,
    page_url: Option<String>,
    handoff: Handoff,
    now: Millis,
) -> StoreResult<ConversationRecord> {
    let conversation = tx.conversation(id).await?;
    if !waits_for_answer(&conversation) || conversation.bot_card.as_deref() != Some(card_id) {
        return Err(StoreError::StaleCard);
    }
    let pb = playbook_of(tx, &conversation)
        .await?
        .ok_or(StoreError::StaleCard)?;
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
    let v = tx.visitor(conversation.visitor_id).await?;
    tx.set_actor(visitor_actor(&v));
    let m = NewMessage {
        id: MessageId::new(),
        author: AuthorKind::Visitor,
        author_id: Some(conversation.visitor_id.0),
        author_name: v.name.unwrap_or_else(|| "Visitor".into()),
        body: said,
    };
    let mut conversation = conversation;
    let to = Audience::of_messages(&conversation.state);
    add_message(tx, &mut conversation, &m, to, now).await?;
    let run = BotRun {
        conversation,
        playbook: pb,
        step,
        handoff,
        page_url,
    };
    lifecycle::settle(tx, Next::Bot(Box::new(run)), now).await
}

/// Persists what the bot said, captured and created in one step, then says what follows
/// from where it stopped.
pub(crate) async fn persist_step(
    tx: &mut impl WriteTx,
    run: BotRun,
    now: Millis,
) -> StoreResult<Next> {
    let BotRun {
        mut conversation,
        playbook: pb,
        step,
        handoff,
        page_url,
    } = run;
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
        add_message(tx, &mut conversation, &m, to, now).await?;
    }
    for (key, value) in &step.captured {
        tx.upsert_field(id, key, value, now).await?;
        if key == "name" {
            tx.set_visitor_name(conversation.visitor_id, value).await?;
        }
    }
    store_conversion(tx, id, &pb, &step, page_url, now).await?;
    let (bot_card, qualified) = match &step.stop {
        Some(Stop::Await(card)) | Some(Stop::LiveChat(card)) => (Some(card.clone()), None),
        Some(Stop::End { qualified }) => (None, Some(*qualified)),
        None => (None, Some(false)),
    };
    tx.update_bot_progress(id, bot_card.as_deref(), qualified, now)
        .await?;
    let prompt = match &step.stop {
        Some(Stop::Await(card)) => pb
            .prompt(card)
            .map(|p| frontdesk_protocol::Prompt::from_spec(card, p)),
        _ => None,
    };
    emit(
        tx,
        &conversation,
        Audience::visitor(),
        &EventBody::BotPrompt {
            conversation_id: id.0,
            prompt,
        },
        now,
    )
    .await?;
    Ok(match step.stop {
        Some(Stop::LiveChat(card)) if conversation.state == ConversationState::Bot => {
            let wait_ms = handoff.wait_override_ms.unwrap_or_else(|| {
                pb.livechat(&card)
                    .map(|(_, secs, _, _)| secs as i64 * 1000)
                    .unwrap_or(DEFAULT_WAIT_MS)
            });
            Next::Apply(
                id,
                Command::RequestLiveChat {
                    now,
                    wait_ms,
                    anyone_online: handoff.anyone_online,
                },
            )
        }
        Some(Stop::Await(_)) => Next::Done(tx.conversation(id).await?),
        // An end, or (refused by validation) a second livechat card on an offline path.
        _ => Next::Apply(id, Command::Close { by: Actor::System }),
    })
}

/// The converted page and the follow-ups of a step that converted (B7).
async fn store_conversion(
    tx: &mut impl WriteTx,
    id: ConversationId,
    pb: &Playbook,
    step: &BotStep,
    page_url: Option<String>,
    now: Millis,
) -> StoreResult<()> {
    let converted =
        !step.follow_ups.is_empty() || matches!(step.stop, Some(Stop::End { qualified: true }));
    if !converted {
        return Ok(());
    }
    let page = match page_url {
        Some(p) => Some(p),
        None => tx.page_url(id).await?,
    };
    tx.mark_converted(id, page.as_deref()).await?;
    if !step.follow_ups.is_empty() {
        let fields = serde_json::to_string(&tx.fields(id).await?)
            .map_err(|e| StoreError::Storage(e.to_string()))?;
        // Follow-up cards (S5) create real results through the operators' code path, as the
        // bot; the follow-up's id is the idempotency key.
        let visitor = tx.actor().to_owned();
        tx.set_actor(actor_json(&ActorView {
            kind: frontdesk_protocol::ActorKind::Bot,
            id: None,
            name: Some(pb.appearance.bot_name.clone()),
        }));
        for f in &step.follow_ups {
            let follow_up = uuid::Uuid::now_v7();
            let kind = match f.kind {
                FollowUpKind::Activity => ResultKind::Activity,
                FollowUpKind::Lead => ResultKind::Lead,
                FollowUpKind::Deal => ResultKind::Deal,
            };
            let creation = crm::Creation {
                kind,
                key: follow_up,
                title: Some(&f.title),
                creator: crm::Creator::Bot,
            };
            let (result, _) = crm::create_result(tx, id, creation, now).await?;
            tx.insert_follow_up(&NewFollowUp {
                id: follow_up,
                conversation_id: id,
                kind: f.kind.as_str(),
                title: f.title.clone(),
                fields: fields.clone(),
                page_url: page.clone(),
                now,
                result_id: Some(result.id),
            })
            .await?;
        }
        tx.set_actor(visitor);
    }
    Ok(())
}

/// Creates a conversation in the bot state and tells the visitor's stream.
async fn create(
    tx: &mut impl WriteTx,
    visitor: &VisitorRecord,
    playbook: Option<&PlaybookRecord>,
    page_url: Option<String>,
    referrer: Option<String>,
    now: Millis,
) -> StoreResult<ConversationRecord> {
    let (display_name, language) = match playbook {
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
    let id = ConversationId::new();
    tx.insert_conversation(&NewConversation {
        id,
        visitor_id: visitor.id,
        display_name,
        playbook: playbook.map(|p| (p.id, p.version)),
        language,
        page_url,
        referrer,
        now,
    })
    .await?;
    let conversation = tx.conversation(id).await?;
    let body = EventBody::ConversationUpsert {
        conversation: conversation.view(),
    };
    emit(tx, &conversation, Audience::visitor(), &body, now).await?;
    Ok(conversation)
}

/// The actor of a visitor's own actions.
fn visitor_actor(v: &VisitorRecord) -> String {
    actor_json(&ActorView::visitor(v.id.0, v.name.clone()))
}
