//! How records are spelled in columns, the same on every backend: a conversation's state
//! as `state` + `assignee_id` + `wait_deadline`, author kinds and languages as text.

use frontdesk_core::{ConversationState, Language, OperatorId};
use frontdesk_protocol::AuthorKind;

/// The state from its three columns; `Err` names what is wrong.
pub(crate) fn state(
    state: &str,
    assignee: Option<OperatorId>,
    deadline: Option<i64>,
) -> Result<ConversationState, String> {
    ConversationState::from_parts(state, assignee, deadline)
        .ok_or_else(|| format!("bad conversation state {state}"))
}

/// The `wait_deadline` column of a state.
pub(crate) fn deadline(state: &ConversationState) -> Option<i64> {
    match state {
        ConversationState::Waiting { deadline } => Some(*deadline),
        _ => None,
    }
}

pub(crate) fn author_kind_str(a: AuthorKind) -> &'static str {
    match a {
        AuthorKind::Visitor => "visitor",
        AuthorKind::Operator => "operator",
        AuthorKind::Bot => "bot",
        AuthorKind::System => "system",
    }
}

pub(crate) fn author_kind(kind: &str) -> Result<AuthorKind, String> {
    Ok(match kind {
        "visitor" => AuthorKind::Visitor,
        "operator" => AuthorKind::Operator,
        "bot" => AuthorKind::Bot,
        "system" => AuthorKind::System,
        other => return Err(format!("bad author kind {other}")),
    })
}

/// A conversation's language column (anything unknown reads as English).
pub(crate) fn language(code: &str) -> Language {
    match code {
        "de" => Language::De,
        _ => Language::En,
    }
}
