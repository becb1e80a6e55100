//! A dry run of a playbook for the admin's live preview: what a visitor would see at each
//! step, with nothing stored and no conversation created. It walks the same engine as a real
//! chat (`Playbook::run_from` / `answer`) and asks the same lifecycle rule
//! (`conversation::apply`) what the livechat handoff, an expired wait and the end look like,
//! so the preview cannot drift from what visitors get.

use crate::conversation::{apply, Actor, Command, ConversationState, Effect};
use crate::playbook::{AnswerError, CardId, FollowUpSpec, Input, Playbook, PromptSpec, Stop};

/// What the previewing admin did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PreviewAction {
    /// Opened the widget: the bot starts at the playbook's first card.
    Start,
    /// Answered the prompt of `card`.
    Answer { card: CardId, input: Input },
    /// Let the wait at livechat card `card` run out (nobody picked the chat up, S3).
    WaitExpired { card: CardId },
}

/// Who wrote a line of the preview.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PreviewAuthor {
    Bot,
    /// Frontdesk itself ("The chat has ended.").
    System,
}

/// The situation the admin previews.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Situation {
    /// An operator is online: the livechat card queues the chat (else offline mode at once).
    pub anyone_online: bool,
    /// The chat already went offline (the previous step's state).
    pub offline_mode: bool,
    /// The server's wait time, when it overrides the livechat cards' (as for real chats).
    pub wait_override_secs: Option<u32>,
}

/// Where the previewed chat stands after a step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PreviewState {
    /// With the bot (its open question, if any, is the step's `prompt`).
    Bot,
    /// Waiting for an operator at this livechat card (someone is online).
    Waiting { card: CardId, wait_secs: u32 },
    /// In offline mode (nobody online, or the wait ran out).
    Offline,
    /// The path ended; the chat is closed.
    Closed { qualified: Option<bool> },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreviewStep {
    pub lines: Vec<(PreviewAuthor, String)>,
    /// The card waiting for an answer and what the widget shows for it.
    pub prompt: Option<(CardId, PromptSpec)>,
    pub state: PreviewState,
    /// Values the step captured: (field key, value).
    pub captured: Vec<(String, String)>,
    /// Follow-ups a real chat would create at this step.
    pub follow_ups: Vec<FollowUpSpec>,
}

/// Runs one step of a preview in `situation`.
pub fn preview(
    pb: &Playbook,
    action: &PreviewAction,
    situation: Situation,
) -> Result<PreviewStep, AnswerError> {
    let mut out = PreviewStep {
        lines: Vec::new(),
        prompt: None,
        state: if situation.offline_mode {
            PreviewState::Offline
        } else {
            PreviewState::Bot
        },
        captured: Vec::new(),
        follow_ups: Vec::new(),
    };
    let mut step = match action {
        PreviewAction::Start => pb.run_from(&pb.start),
        PreviewAction::Answer { card, input } => pb.answer(card, input)?,
        PreviewAction::WaitExpired { card } => {
            let (_, _, _, offline_next) = pb.livechat(card).ok_or(AnswerError::NotAwaiting)?;
            let waiting = ConversationState::Waiting { deadline: 0 };
            let next = transition(
                pb,
                card,
                &waiting,
                &Command::ExpireWait { now: 0 },
                &mut out,
            );
            if next != ConversationState::Offline {
                return Err(AnswerError::NotAwaiting);
            }
            out.state = PreviewState::Offline;
            pb.run_from(offline_next)
        }
    };
    // The path to a livechat card, then at most its offline path: the handoff below only
    // happens with the bot, and it leaves the chat offline (a second livechat card, which
    // validation forbids on one path, ends the chat like a real one).
    loop {
        out.lines
            .extend(step.say.drain(..).map(|t| (PreviewAuthor::Bot, t)));
        out.captured.append(&mut step.captured);
        out.follow_ups.append(&mut step.follow_ups);
        match step.stop.take() {
            Some(Stop::Await(card)) => {
                out.prompt = pb.prompt(&card).map(|p| (card, p));
                return Ok(out);
            }
            Some(Stop::LiveChat(card)) if out.state == PreviewState::Bot => {
                let (_, card_secs, _, offline_next) =
                    pb.livechat(&card).ok_or(AnswerError::NotAwaiting)?;
                let wait_secs = situation.wait_override_secs.unwrap_or(card_secs);
                let command = Command::RequestLiveChat {
                    now: 0,
                    wait_ms: i64::from(wait_secs) * 1000,
                    anyone_online: situation.anyone_online,
                };
                let next = transition(pb, &card, &ConversationState::Bot, &command, &mut out);
                if next != ConversationState::Offline {
                    out.state = PreviewState::Waiting { card, wait_secs };
                    return Ok(out);
                }
                out.state = PreviewState::Offline;
                step = pb.run_from(offline_next);
            }
            Some(Stop::End { qualified }) => {
                end(pb, &mut out, Some(qualified));
                return Ok(out);
            }
            // A livechat card on an offline path: the chat ends, undecided.
            Some(Stop::LiveChat(_)) => {
                end(pb, &mut out, None);
                return Ok(out);
            }
            // A walk that stopped nowhere counts as not qualified (as the store records it).
            None => {
                end(pb, &mut out, Some(false));
                return Ok(out);
            }
        }
    }
}

/// Applies a lifecycle command and adds the messages it emits; returns the new state (the
/// old one when the rule refuses, which for the commands used here means the preview asked
/// for something a real chat would not do: nothing is added then).
fn transition(
    pb: &Playbook,
    livechat_card: &str,
    from: &ConversationState,
    command: &Command,
    out: &mut PreviewStep,
) -> ConversationState {
    let (online, offline) = pb
        .livechat(livechat_card)
        .map(|(on, _, off, _)| (on.to_owned(), off.to_owned()))
        .unwrap_or_default();
    let Ok(outcome) = apply(from, command) else {
        return from.clone();
    };
    for effect in &outcome.effects {
        if let Effect::SystemMessage { text, .. } = effect {
            let author = if text.is_bots_voice() {
                PreviewAuthor::Bot
            } else {
                PreviewAuthor::System
            };
            out.lines.push((
                author,
                text.render(pb.appearance.language, &online, &offline),
            ));
        }
    }
    outcome.state
}

fn end(pb: &Playbook, out: &mut PreviewStep, qualified: Option<bool>) {
    let from = match &out.state {
        PreviewState::Offline => ConversationState::Offline,
        _ => ConversationState::Bot,
    };
    let close = Command::Close { by: Actor::System };
    transition(pb, "", &from, &close, out);
    out.prompt = None;
    out.state = PreviewState::Closed { qualified };
}
