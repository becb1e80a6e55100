//! Pushes every presence change to every operator's stream (a `presence` frame), and hands
//! the conversations of an operator whose connection was lost back (B4, see [`super::choice`]).

use super::{Cause, Change};
use crate::AppState;
use frontdesk_protocol::{ActorView, OperatorPresence, ServerFrame};
use tokio::sync::mpsc;

pub fn spawn(state: AppState, mut changes: mpsc::UnboundedReceiver<Change>) {
    tokio::spawn(async move {
        while let Some(change) = changes.recv().await {
            let name = match state.store.operator(change.operator).await {
                Ok(r) => r.display_name,
                Err(e) => {
                    tracing::warn!(error = %e, operator = %change.operator, "presence change of an unknown operator");
                    continue;
                }
            };
            let frame = ServerFrame::Presence {
                operator: OperatorPresence {
                    operator_id: change.operator.0,
                    display_name: name,
                    chose_online: change.chose_online,
                    online: change.online,
                },
            };
            if let Ok(text) = serde_json::to_string(&frame) {
                state.hub.broadcast_to_operators(text.into());
            }
            tracing::info!(target: "frontdesk::presence", operator = %change.operator,
                chose_online = change.chose_online, online = change.online, cause = ?change.cause, "presence");
            if change.cause == Cause::ConnectionLost && !change.online {
                let anyone_else = state.presence.anyone_else_online(change.operator);
                match super::choice::release_held(
                    &state,
                    change.operator,
                    ActorView::system(),
                    anyone_else,
                )
                .await
                {
                    Ok(released) if !released.is_empty() => tracing::info!(
                        target: "frontdesk::presence",
                        operator = %change.operator,
                        released = released.len(),
                        "connection lost: conversations handed back"
                    ),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "handing back conversations failed"),
                }
            }
        }
    });
}
