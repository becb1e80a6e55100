//! Where a conversation shows up in an operator's inbox, and how its row previews the last
//! message. One rule for the store's folder queries, the API's listings and the clients.
//!
//! Every conversation an operator may see (see [`crate::visibility`]) is in exactly one
//! folder; a conversation still with the bot is in none (nobody sees it yet).

use crate::ConversationState;
use serde::{Deserialize, Serialize};

/// An inbox folder (S8–S10, S14, and offline mode, S4–S5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Folder {
    /// Waiting for an operator to take it (S8).
    Unassigned,
    /// Assigned to the operator who looks (only they see it, S10).
    Mine,
    /// Nobody took it or nobody was online: the bot's offline flow handles the visitor (S4).
    Offline,
    /// Ended; visible to every operator (S14).
    Closed,
}

impl Folder {
    pub const ALL: [Folder; 4] = [
        Folder::Unassigned,
        Folder::Mine,
        Folder::Offline,
        Folder::Closed,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Folder::Unassigned => "unassigned",
            Folder::Mine => "mine",
            Folder::Offline => "offline",
            Folder::Closed => "closed",
        }
    }
}

/// The folder of a conversation in `state`, for an operator who may see it.
pub fn folder_of(state: &ConversationState) -> Option<Folder> {
    match state {
        ConversationState::Bot => None,
        ConversationState::Waiting { .. } => Some(Folder::Unassigned),
        ConversationState::Assigned { .. } => Some(Folder::Mine),
        ConversationState::Offline => Some(Folder::Offline),
        ConversationState::Closed => Some(Folder::Closed),
    }
}

/// Longest inbox-row preview, in characters.
pub const PREVIEW_CHARS: usize = 140;

/// A message body shortened for an inbox row: whitespace collapsed, at most
/// [`PREVIEW_CHARS`] characters, an ellipsis when cut.
pub fn preview(body: &str) -> String {
    let mut out = String::new();
    let mut count = 0;
    for word in body.split_whitespace() {
        let sep = usize::from(!out.is_empty());
        let len = word.chars().count();
        if count + sep + len > PREVIEW_CHARS {
            let room = PREVIEW_CHARS.saturating_sub(count + sep + 1);
            if room > 0 {
                if sep == 1 {
                    out.push(' ');
                }
                out.extend(word.chars().take(room));
            }
            out.push('…');
            return out;
        }
        if sep == 1 {
            out.push(' ');
        }
        out.push_str(word);
        count += sep + len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{operator_audience, OperatorAudience, OperatorId};

    #[test]
    fn every_visible_state_has_exactly_one_folder() {
        let op = OperatorId::new();
        for state in [
            ConversationState::Bot,
            ConversationState::Waiting { deadline: 5 },
            ConversationState::Assigned { operator: op },
            ConversationState::Offline,
            ConversationState::Closed,
        ] {
            let visible = operator_audience(&state) != OperatorAudience::Nobody;
            assert_eq!(folder_of(&state).is_some(), visible, "{state:?}");
        }
    }

    #[test]
    fn previews_are_short_single_line_and_marked_when_cut() {
        assert_eq!(preview("  Hello\n\n  there  "), "Hello there");
        let long = "word ".repeat(100);
        let p = preview(&long);
        assert!(p.chars().count() <= PREVIEW_CHARS, "{}", p.chars().count());
        assert!(p.ends_with('…'));
        let one = "x".repeat(500);
        assert_eq!(preview(&one).chars().count(), PREVIEW_CHARS);
        assert_eq!(preview(""), "");
    }
}
