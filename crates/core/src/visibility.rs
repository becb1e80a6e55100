//! Who may see a conversation (S10, S14). Every read path of the server — REST, the realtime
//! stream, folder listings — goes through these functions or through an audience computed by
//! [`crate::conversation`] from the same rule, so the rule cannot differ between them.
//!
//! Admins follow the operator rule: an assigned conversation is private to its assignee for
//! everybody, admins included. Admin rights are about accounts and playbooks, not about
//! reading colleagues' chats.

use crate::{ConversationState, OperatorId, VisitorId};
use serde::{Deserialize, Serialize};

/// Someone who reads conversations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Viewer {
    Operator(OperatorId),
    Visitor(VisitorId),
}

/// The operators who may see a conversation in a given state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OperatorAudience {
    /// No operator (the visitor is still with the bot).
    Nobody,
    /// Every operator.
    All,
    /// Exactly this operator.
    One(OperatorId),
}

impl OperatorAudience {
    pub fn includes(self, operator: OperatorId) -> bool {
        match self {
            OperatorAudience::Nobody => false,
            OperatorAudience::All => true,
            OperatorAudience::One(o) => o == operator,
        }
    }
}

/// The operators who see a conversation in `state`: unassigned, offline and closed
/// conversations are everybody's; an assigned one is its assignee's alone; a conversation
/// still with the bot is nobody's yet.
pub fn operator_audience(state: &ConversationState) -> OperatorAudience {
    match state {
        ConversationState::Bot => OperatorAudience::Nobody,
        ConversationState::Waiting { .. }
        | ConversationState::Offline
        | ConversationState::Closed => OperatorAudience::All,
        ConversationState::Assigned { operator } => OperatorAudience::One(*operator),
    }
}

/// Whether `viewer` may see a conversation of `visitor` in `state`.
pub fn can_see(viewer: Viewer, visitor: VisitorId, state: &ConversationState) -> bool {
    match viewer {
        Viewer::Operator(op) => operator_audience(state).includes(op),
        Viewer::Visitor(v) => v == visitor,
    }
}
