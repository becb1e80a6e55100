//! The conversation lifecycle (S3, S4, S8, S9, S11, S14) as a pure state machine.
//!
//! ```text
//!  bot ──ask for a person, someone online──▶ waiting(deadline) ──assign──▶ assigned(op) ──close──▶ closed
//!   │                                          │                           │  ▲ reassign to an
//!   └──ask for a person, nobody online──▶ offline ◀──wait time expired──┘  └──┘ online operator
//! ```
//! `closed` is final: nothing leaves it and nothing is added to it.
//!
//! [`apply`] never mutates: it returns the new state and the [`Effect`]s the transition emits,
//! each with its audience, or a [`Rejection`] that leaves everything as it was.

use crate::visibility::{operator_audience, OperatorAudience};
use crate::{Millis, OperatorId};
use serde::{Deserialize, Serialize};

/// Where a conversation is in its life.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ConversationState {
    /// The visitor talks to the playbook's bot; no operator sees it yet.
    Bot,
    /// In Unassigned, waiting for an operator to take it before `deadline`.
    Waiting { deadline: Millis },
    /// Taken by `operator`; only they see it (S10).
    Assigned { operator: OperatorId },
    /// Nobody took it (or nobody was online): the visitor continues in the offline flow.
    Offline,
    /// Ended; read-only for everybody (S14).
    Closed,
}

impl ConversationState {
    /// The state's name as stored and sent on the wire.
    pub fn name(&self) -> &'static str {
        match self {
            ConversationState::Bot => "bot",
            ConversationState::Waiting { .. } => "waiting",
            ConversationState::Assigned { .. } => "assigned",
            ConversationState::Offline => "offline",
            ConversationState::Closed => "closed",
        }
    }

    pub fn assignee(&self) -> Option<OperatorId> {
        match self {
            ConversationState::Assigned { operator } => Some(*operator),
            _ => None,
        }
    }

    pub fn is_closed(&self) -> bool {
        matches!(self, ConversationState::Closed)
    }

    /// The state from its name (see [`ConversationState::name`]), assignee and wait deadline
    /// as they travel apart in rows and on the wire; `None` when they do not fit together.
    pub fn from_parts(
        name: &str,
        assignee: Option<OperatorId>,
        deadline: Option<Millis>,
    ) -> Option<ConversationState> {
        Some(match (name, assignee, deadline) {
            ("bot", _, _) => ConversationState::Bot,
            ("waiting", _, Some(deadline)) => ConversationState::Waiting { deadline },
            ("assigned", Some(operator), _) => ConversationState::Assigned { operator },
            ("offline", _, _) => ConversationState::Offline,
            ("closed", _, _) => ConversationState::Closed,
            _ => return None,
        })
    }
}

/// Who does something to a conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    /// The conversation's own visitor.
    Visitor,
    Operator(OperatorId),
    /// The server itself (timers, the playbook engine).
    System,
}

/// Something that may happen to a conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// The visitor reached the livechat card (S4): online → Unassigned, else offline mode.
    RequestLiveChat {
        now: Millis,
        wait_ms: Millis,
        anyone_online: bool,
    },
    /// The wait-time timer fired (S3). Only acts once the deadline has passed.
    ExpireWait { now: Millis },
    /// "Assign to me" (S9).
    Assign {
        operator: OperatorId,
        operator_name: String,
    },
    /// Hand an assigned conversation to another operator who is online (S11).
    Reassign {
        by: OperatorId,
        to: OperatorId,
        to_name: String,
        to_online: bool,
    },
    /// End the conversation (S14).
    Close { by: Actor },
    /// Check that `by` may add a message now.
    PostMessage { by: Actor },
    /// The assignee can no longer answer (their account was disabled): the conversation goes
    /// back to Unassigned, or to offline mode when nobody is online.
    Release {
        now: Millis,
        wait_ms: Millis,
        anyone_online: bool,
    },
}

/// Who receives an emitted event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Audience {
    pub operators: OperatorAudience,
    /// Whether the conversation's visitor receives it.
    pub visitor: bool,
}

impl Audience {
    /// Everyone who sees messages of a conversation in `state`: its visitor, and the operators
    /// of [`operator_audience`].
    pub fn of_messages(state: &ConversationState) -> Self {
        Audience {
            operators: operator_audience(state),
            visitor: true,
        }
    }
    pub fn operators(operators: OperatorAudience) -> Self {
        Audience {
            operators,
            visitor: false,
        }
    }
    pub fn visitor() -> Self {
        Audience {
            operators: OperatorAudience::Nobody,
            visitor: true,
        }
    }
}

/// The author name of Frontdesk's own messages ("The chat has ended.").
pub const SYSTEM_AUTHOR_NAME: &str = "Frontdesk";

/// A text the system writes into a conversation. Rendered in the playbook's language by the
/// store; the livechat texts come from configuration (later: the livechat card).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SystemText {
    /// The livechat card's online message.
    Online,
    /// The livechat card's offline message.
    OfflineMessage,
    /// "<name> joined the chat" (S9).
    OperatorJoined { name: String },
    /// "The chat has ended."
    Ended,
    /// The assignee left; someone else will take over.
    OperatorLeft,
}

impl SystemText {
    /// The livechat card's texts speak in the bot's voice (its name); the rest are
    /// Frontdesk's own ("… joined the chat", "The chat has ended.").
    pub fn is_bots_voice(&self) -> bool {
        matches!(self, SystemText::Online | SystemText::OfflineMessage)
    }

    /// The text in `lang`; `online` and `offline` are the livechat card's own messages.
    pub fn render(&self, lang: crate::Language, online: &str, offline: &str) -> String {
        match self {
            SystemText::Online => online.to_owned(),
            SystemText::OfflineMessage => offline.to_owned(),
            SystemText::OperatorJoined { name } => lang.operator_joined(name),
            SystemText::Ended => lang.chat_ended().to_owned(),
            SystemText::OperatorLeft => lang.operator_left().to_owned(),
        }
    }
}

/// What a transition emits, in order. Each becomes one event in the stream of every client in
/// its audience.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// The conversation (as it is after the transition) appears or changes for `to`. Its
    /// messages are not part of it: a client that lacks some fetches them by sequence number.
    Upsert { to: Audience },
    /// The conversation is no longer visible to these operators.
    Removed { to: OperatorAudience },
    /// The system adds a message, seen by `to`.
    SystemMessage { text: SystemText, to: Audience },
}

/// The result of an accepted command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub state: ConversationState,
    /// The name the visitor now sees for the other side, when it changes (S9).
    pub display_name: Option<String>,
    pub effects: Vec<Effect>,
}

/// Why a command was refused. Nothing changed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("the conversation is closed; closed conversations cannot be changed")]
    Closed,
    #[error("the conversation is not visible to you")]
    NotVisible,
    #[error("the conversation was already assigned to another operator")]
    AlreadyAssigned,
    #[error("the conversation is not waiting in Unassigned")]
    NotWaiting,
    #[error("only the operator the conversation is assigned to can do this")]
    NotAssignee,
    #[error("the target operator is not online")]
    TargetOffline,
    #[error("the conversation is already assigned to that operator")]
    SameOperator,
    #[error("the visitor already asked for a person")]
    AlreadyRequested,
    #[error("the wait time has not expired yet")]
    NotExpired,
    #[error("assign the conversation to yourself before writing")]
    NotAssigned,
    #[error("the conversation is in offline mode: the visitor continues with the playbook's offline flow, so nobody can write into it")]
    OfflineMode,
}

/// The handoff rule (S4): with someone online the conversation waits in Unassigned until
/// `now + wait_ms` and the visitor reads `online_text`; otherwise it goes to offline mode.
fn queue_or_offline(
    now: Millis,
    wait_ms: Millis,
    anyone_online: bool,
    online_text: SystemText,
) -> (ConversationState, SystemText) {
    if anyone_online {
        (
            ConversationState::Waiting {
                deadline: now.saturating_add(wait_ms.max(0)),
            },
            online_text,
        )
    } else {
        (ConversationState::Offline, SystemText::OfflineMessage)
    }
}

fn outcome(state: ConversationState, effects: Vec<Effect>) -> Outcome {
    Outcome {
        state,
        display_name: None,
        effects,
    }
}

/// Apply `command` to a conversation in `state`.
pub fn apply(state: &ConversationState, command: &Command) -> Result<Outcome, Rejection> {
    use ConversationState as S;
    if state.is_closed() {
        return Err(Rejection::Closed);
    }
    let all = OperatorAudience::All;
    match command {
        Command::RequestLiveChat {
            now,
            wait_ms,
            anyone_online,
        } => {
            if *state != S::Bot {
                return Err(Rejection::AlreadyRequested);
            }
            let (next, text) = queue_or_offline(*now, *wait_ms, *anyone_online, SystemText::Online);
            let to = Audience::of_messages(&next);
            Ok(outcome(
                next,
                vec![
                    Effect::Upsert {
                        to: Audience::operators(all),
                    },
                    Effect::Upsert {
                        to: Audience::visitor(),
                    },
                    Effect::SystemMessage { text, to },
                ],
            ))
        }
        Command::ExpireWait { now } => match state {
            S::Waiting { deadline } if deadline <= now => {
                let next = S::Offline;
                let to = Audience::of_messages(&next);
                Ok(outcome(
                    next,
                    vec![
                        Effect::Upsert {
                            to: Audience {
                                operators: all,
                                visitor: true,
                            },
                        },
                        Effect::SystemMessage {
                            text: SystemText::OfflineMessage,
                            to,
                        },
                    ],
                ))
            }
            S::Waiting { .. } => Err(Rejection::NotExpired),
            _ => Err(Rejection::NotWaiting),
        },
        Command::Assign {
            operator,
            operator_name,
        } => match state {
            S::Waiting { .. } => {
                let next = S::Assigned {
                    operator: *operator,
                };
                let mine = OperatorAudience::One(*operator);
                Ok(Outcome {
                    display_name: Some(operator_name.clone()),
                    effects: vec![
                        Effect::Removed { to: all },
                        Effect::Upsert {
                            to: Audience::operators(mine),
                        },
                        Effect::Upsert {
                            to: Audience::visitor(),
                        },
                        Effect::SystemMessage {
                            text: SystemText::OperatorJoined {
                                name: operator_name.clone(),
                            },
                            to: Audience::of_messages(&next),
                        },
                    ],
                    state: next,
                })
            }
            // Pressing "Assign to me" twice is not an error; nothing changes.
            S::Assigned { operator: current } if current == operator => {
                Ok(outcome(state.clone(), vec![]))
            }
            S::Assigned { .. } => Err(Rejection::AlreadyAssigned),
            // Still with the bot: no operator may see it (404 like a read, not a conflict).
            S::Bot => Err(Rejection::NotVisible),
            _ => Err(Rejection::NotWaiting),
        },
        Command::Reassign {
            by,
            to,
            to_name,
            to_online,
        } => match state {
            S::Assigned { operator } if operator == by => {
                if to == by {
                    return Err(Rejection::SameOperator);
                }
                if !to_online {
                    return Err(Rejection::TargetOffline);
                }
                let next = S::Assigned { operator: *to };
                Ok(Outcome {
                    display_name: Some(to_name.clone()),
                    effects: vec![
                        Effect::Removed {
                            to: OperatorAudience::One(*by),
                        },
                        Effect::Upsert {
                            to: Audience::operators(OperatorAudience::One(*to)),
                        },
                        Effect::Upsert {
                            to: Audience::visitor(),
                        },
                        Effect::SystemMessage {
                            text: SystemText::OperatorJoined {
                                name: to_name.clone(),
                            },
                            to: Audience::of_messages(&next),
                        },
                    ],
                    state: next,
                })
            }
            S::Assigned { .. } | S::Bot => Err(Rejection::NotVisible),
            _ => Err(Rejection::NotAssigned),
        },
        Command::Close { by } => {
            let allowed = match (by, state) {
                (Actor::System, _) => true,
                (Actor::Operator(op), S::Assigned { operator }) => op == operator,
                (Actor::Operator(_), S::Waiting { .. } | S::Offline) => true,
                _ => false,
            };
            if !allowed {
                return Err(match (by, state) {
                    (Actor::Operator(_), S::Assigned { .. }) => Rejection::NotVisible,
                    (Actor::Operator(_), S::Bot) => Rejection::NotVisible,
                    _ => Rejection::NotAssignee,
                });
            }
            let mut effects = vec![Effect::SystemMessage {
                text: SystemText::Ended,
                to: Audience::of_messages(state),
            }];
            // Closed conversations are everybody's (S14): those who did not see it get it whole.
            effects.push(Effect::Upsert {
                to: Audience::operators(all),
            });
            effects.push(Effect::Upsert {
                to: Audience::visitor(),
            });
            Ok(outcome(S::Closed, effects))
        }
        Command::Release {
            now,
            wait_ms,
            anyone_online,
        } => match state {
            S::Assigned { operator } => {
                let (next, text) =
                    queue_or_offline(*now, *wait_ms, *anyone_online, SystemText::OperatorLeft);
                let to = Audience::of_messages(&next);
                Ok(outcome(
                    next,
                    vec![
                        Effect::Removed {
                            to: OperatorAudience::One(*operator),
                        },
                        Effect::Upsert {
                            to: Audience::operators(all),
                        },
                        Effect::Upsert {
                            to: Audience::visitor(),
                        },
                        Effect::SystemMessage { text, to },
                    ],
                ))
            }
            _ => Err(Rejection::NotAssigned),
        },
        Command::PostMessage { by } => match (by, state) {
            (Actor::Visitor | Actor::System, _) => Ok(outcome(state.clone(), vec![])),
            (Actor::Operator(op), S::Assigned { operator }) if op == operator => {
                Ok(outcome(state.clone(), vec![]))
            }
            (Actor::Operator(_), S::Waiting { .. }) => Err(Rejection::NotAssigned),
            // Every operator sees it, but the playbook's offline flow has the visitor.
            (Actor::Operator(_), S::Offline) => Err(Rejection::OfflineMode),
            (Actor::Operator(_), _) => Err(Rejection::NotVisible),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op() -> OperatorId {
        OperatorId::new()
    }

    #[test]
    fn a_state_survives_being_split_into_parts() {
        let a = op();
        for state in [
            ConversationState::Bot,
            ConversationState::Waiting { deadline: 42 },
            ConversationState::Assigned { operator: a },
            ConversationState::Offline,
            ConversationState::Closed,
        ] {
            let deadline = match state {
                ConversationState::Waiting { deadline } => Some(deadline),
                _ => None,
            };
            let back = ConversationState::from_parts(state.name(), state.assignee(), deadline);
            assert_eq!(back, Some(state));
        }
        assert_eq!(ConversationState::from_parts("waiting", None, None), None);
        assert_eq!(ConversationState::from_parts("assigned", None, None), None);
        assert_eq!(
            ConversationState::from_parts("gone", Some(a), Some(1)),
            None
        );
    }

    #[test]
    fn handoff_goes_live_only_when_someone_is_online() {
        let live = apply(
            &ConversationState::Bot,
            &Command::RequestLiveChat {
                now: 10,
                wait_ms: 5,
                anyone_online: true,
            },
        )
        .unwrap();
        assert_eq!(live.state, ConversationState::Waiting { deadline: 15 });
        let off = apply(
            &ConversationState::Bot,
            &Command::RequestLiveChat {
                now: 10,
                wait_ms: 5,
                anyone_online: false,
            },
        )
        .unwrap();
        assert_eq!(off.state, ConversationState::Offline);
    }

    #[test]
    fn wait_expires_only_after_the_deadline() {
        let s = ConversationState::Waiting { deadline: 100 };
        assert_eq!(
            apply(&s, &Command::ExpireWait { now: 99 }),
            Err(Rejection::NotExpired)
        );
        assert_eq!(
            apply(&s, &Command::ExpireWait { now: 100 }).unwrap().state,
            ConversationState::Offline
        );
        let a = ConversationState::Assigned { operator: op() };
        assert_eq!(
            apply(&a, &Command::ExpireWait { now: 1000 }),
            Err(Rejection::NotWaiting)
        );
    }

    #[test]
    fn assign_has_one_winner_and_names_the_operator() {
        let (a, b) = (op(), op());
        let s = ConversationState::Waiting { deadline: 100 };
        let won = apply(
            &s,
            &Command::Assign {
                operator: a,
                operator_name: "Ann".into(),
            },
        )
        .unwrap();
        assert_eq!(won.display_name.as_deref(), Some("Ann"));
        assert!(won.effects.iter().any(|e| matches!(e,
            Effect::SystemMessage { text: SystemText::OperatorJoined { name }, .. } if name == "Ann")));
        assert_eq!(
            apply(
                &won.state,
                &Command::Assign {
                    operator: b,
                    operator_name: "Bob".into()
                }
            ),
            Err(Rejection::AlreadyAssigned)
        );
        assert!(apply(
            &won.state,
            &Command::Assign {
                operator: a,
                operator_name: "Ann".into()
            }
        )
        .unwrap()
        .effects
        .is_empty());
    }

    #[test]
    fn reassign_needs_the_assignee_and_an_online_target() {
        let (a, b, c) = (op(), op(), op());
        let s = ConversationState::Assigned { operator: a };
        let offline = Command::Reassign {
            by: a,
            to: b,
            to_name: "B".into(),
            to_online: false,
        };
        assert_eq!(apply(&s, &offline), Err(Rejection::TargetOffline));
        let by_other = Command::Reassign {
            by: c,
            to: b,
            to_name: "B".into(),
            to_online: true,
        };
        assert_eq!(apply(&s, &by_other), Err(Rejection::NotVisible));
        let to_self = Command::Reassign {
            by: a,
            to: a,
            to_name: "A".into(),
            to_online: true,
        };
        assert_eq!(apply(&s, &to_self), Err(Rejection::SameOperator));
        let ok = Command::Reassign {
            by: a,
            to: b,
            to_name: "B".into(),
            to_online: true,
        };
        let out = apply(&s, &ok).unwrap();
        assert_eq!(out.state, ConversationState::Assigned { operator: b });
        assert_eq!(
            out.effects[0],
            Effect::Removed {
                to: OperatorAudience::One(a)
            }
        );
    }

    #[test]
    fn closed_is_final() {
        let a = op();
        let s = ConversationState::Closed;
        for c in [
            Command::Assign {
                operator: a,
                operator_name: "A".into(),
            },
            Command::Reassign {
                by: a,
                to: op(),
                to_name: "B".into(),
                to_online: true,
            },
            Command::Close {
                by: Actor::Operator(a),
            },
            Command::PostMessage { by: Actor::Visitor },
            Command::PostMessage {
                by: Actor::Operator(a),
            },
            Command::RequestLiveChat {
                now: 0,
                wait_ms: 0,
                anyone_online: true,
            },
            Command::ExpireWait { now: i64::MAX },
        ] {
            assert_eq!(apply(&s, &c), Err(Rejection::Closed), "{c:?}");
        }
    }

    #[test]
    fn operators_write_only_in_their_own_conversations() {
        let (a, b) = (op(), op());
        let s = ConversationState::Assigned { operator: a };
        assert!(apply(
            &s,
            &Command::PostMessage {
                by: Actor::Operator(a)
            }
        )
        .is_ok());
        assert_eq!(
            apply(
                &s,
                &Command::PostMessage {
                    by: Actor::Operator(b)
                }
            ),
            Err(Rejection::NotVisible)
        );
        let w = ConversationState::Waiting { deadline: 1 };
        assert_eq!(
            apply(
                &w,
                &Command::PostMessage {
                    by: Actor::Operator(a)
                }
            ),
            Err(Rejection::NotAssigned)
        );
        assert!(apply(&w, &Command::PostMessage { by: Actor::Visitor }).is_ok());
    }
}
