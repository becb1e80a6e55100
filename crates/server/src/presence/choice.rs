//! Choosing online or offline (S7), and what happens to an operator's open conversations
//! when they stop being able to answer (B4). REST (`PUT /api/me/presence`) and the stream's
//! `set_presence` frame both go through [`choose`].
//!
//! The rule: going offline by choice keeps your conversations unless you say where they go
//! (`handover`: back to Unassigned, or to a colleague who is online) — the client asks first,
//! using `holding`. Losing the connection past the grace period, or being disabled, hands
//! them back to Unassigned (offline mode when nobody else is online): a visitor never waits
//! on someone who cannot answer.

use crate::auth::OperatorSession;
use crate::error::ApiError;
use crate::routes::conversations::reassign_to;
use crate::{now_ms, AppState};
use frontdesk_core::{ConversationState, Folder, OperatorId};
use frontdesk_protocol::{ActorView, Handover, OperatorPresence, PresenceView};
use frontdesk_store::{ConversationRecord, FolderQuery, Handoff, StoreError};

/// Sets the operator's choice (stored, then in memory), handing their open conversations
/// over first when asked to.
pub async fn choose(
    state: &AppState,
    me: &OperatorSession,
    online: bool,
    handover: Option<Handover>,
) -> Result<PresenceView, ApiError> {
    let actor = ActorView::operator(me.id.0, me.display_name.clone());
    match (online, handover) {
        (false, Some(Handover::Unassigned)) => {
            let anyone_else = state.presence.anyone_else_online(me.id);
            release_held(state, me.id, actor, anyone_else).await?;
        }
        (false, Some(Handover::Operator { operator_id })) => {
            hand_to(state, me, OperatorId(operator_id)).await?;
        }
        _ => {}
    }
    state.store.set_presence_choice(me.id, online).await?;
    state.presence.set_choice(me.id, online);
    my_presence(state, me.id).await
}

/// The operator's own presence, with the open conversations they hold.
pub async fn my_presence(state: &AppState, op: OperatorId) -> Result<PresenceView, ApiError> {
    let (chose_online, online) = state.presence.status(op);
    let holding = held(state, op).await?.iter().map(|c| c.id.0).collect();
    Ok(PresenceView {
        chose_online,
        online,
        holding,
    })
}

/// Every open conversation assigned to `op`.
async fn held(state: &AppState, op: OperatorId) -> Result<Vec<ConversationRecord>, StoreError> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = state
            .store
            .folder(FolderQuery::new(Folder::Mine, op), cursor, 200)
            .await?;
        out.extend(page.conversations);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(out),
        }
    }
}

/// Reassigns every conversation `me` holds to `to`, who must be online (S11).
async fn hand_to(state: &AppState, me: &OperatorSession, to: OperatorId) -> Result<(), ApiError> {
    let actor = ActorView::operator(me.id.0, me.display_name.clone());
    for c in held(state, me.id).await? {
        let command = reassign_to(state, me, to).await?;
        state
            .store
            .apply(c.id, command, actor.clone(), now_ms())
            .await?;
    }
    Ok(())
}

/// Hands every conversation assigned to `op` back to Unassigned, or to offline mode when
/// nobody else is online, and arms the wait-time timers of those that wait.
pub async fn release_held(
    state: &AppState,
    op: OperatorId,
    actor: ActorView,
    anyone_else_online: bool,
) -> Result<Vec<ConversationRecord>, StoreError> {
    let handoff = Handoff {
        anyone_online: anyone_else_online,
        wait_override_ms: state.config.wait_time_secs.map(|s| s as i64 * 1000),
    };
    let released = state
        .store
        .release_assigned(op, handoff, actor, now_ms())
        .await?;
    for c in &released {
        if let ConversationState::Waiting { deadline } = c.state {
            state.deadlines.schedule(c.id, deadline);
        }
    }
    Ok(released)
}

/// Every enabled operator's presence (the stream's `presence_snapshot`).
pub async fn snapshot(state: &AppState) -> Result<Vec<OperatorPresence>, StoreError> {
    let mut out: Vec<OperatorPresence> = state
        .store
        .list_operators()
        .await?
        .into_iter()
        .filter(|r| !r.disabled)
        .map(|r| {
            let (chose_online, online) = state.presence.status(r.id);
            OperatorPresence {
                operator_id: r.id.0,
                display_name: r.display_name,
                chose_online,
                online,
            }
        })
        .collect();
    out.sort_by(|a, b| a.display_name.cmp(&b.display_name));
    Ok(out)
}
