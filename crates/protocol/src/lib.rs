//! frontdesk-protocol: everything that crosses a wire between the server and its clients.
//!
//! - [`accounts`]: sign-in, device sessions, operators, presence;
//! - [`conversations`]: inbox rows, messages, details, folder listings;
//! - [`sync`]: the catch-up calls a client with a local cache uses after being away;
//! - [`visitors`]: the website widget's bodies; [`playbooks`]: the admin playbook API;
//! - [`realtime`]: the frames of a realtime connection ([`ServerFrame`], [`ClientFrame`]) and
//!   the event envelope with its stream position (`seq`), actor and commit time;
//! - the one error shape [`ErrorBody`] and the limits a client must respect.
//!
//! Times are unix milliseconds; ids are UUIDs. Every type here derives `ts_rs::TS`: the
//! TypeScript bindings in `bindings/` are generated from it (see `tests/bindings.rs`).

pub mod accounts;
pub mod conversations;
pub mod playbooks;
pub mod realtime;
pub mod sync;
pub mod visitors;

pub use accounts::*;
pub use conversations::*;
pub use playbooks::*;
pub use realtime::*;
pub use sync::*;
pub use visitors::*;

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

/// Longest message body accepted, in characters (Unicode scalar values).
pub const MAX_MESSAGE_CHARS: usize = 4000;
/// Largest REST request body accepted, in bytes.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;
/// Largest realtime frame a client may send, in bytes.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Longest display name, email or visitor name, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// The one error shape of every HTTP error response and every realtime error frame.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
pub struct ErrorBody {
    /// Stable, machine-readable code, e.g. `already_assigned`.
    pub code: String,
    /// What went wrong and what to do, for people.
    pub message: String,
}

/// Renders the TypeScript declarations of every wire type, in one module. The committed
/// `bindings/frontdesk-protocol.ts` must equal this (checked by `tests/bindings.rs`).
pub fn typescript_bindings() -> String {
    macro_rules! decls {
        ($cfg:expr; $($t:ty),* $(,)?) => {{
            let mut out = String::from(
                "// Generated from crates/protocol by `UPDATE_BINDINGS=1 cargo test -p frontdesk-protocol --test bindings`.\n\
                 // Do not edit: change the Rust types and regenerate.\n",
            );
            $(
                out.push('\n');
                if let Some(docs) = <$t as ts_rs::TS>::docs() {
                    out.push_str(&docs);
                }
                out.push_str("export ");
                out.push_str(&<$t as ts_rs::TS>::decl($cfg));
                out.push('\n');
            )*
            out
        }};
    }
    let cfg = ts_rs::Config::new().with_large_int("number");
    decls!(&cfg;
        ErrorBody,
        // accounts
        LoginRequest, LoginResponse, RoleView, OperatorView, NewOperatorRequest,
        ChangePasswordRequest, PresenceRequest, Handover, PresenceView, OperatorPresence,
        OnlineOperator, DeviceSession,
        // conversations
        Folder, ConversationView, AuthorKind, MessageView, ConversationPage, ConversationDetail,
        ConversationDetails, FieldValue, FollowUpView, SendMessageRequest, ReassignRequest,
        MessagePage, ListQuery, MessagesQuery,
        // sync
        ChangesQuery, ChangesPage, MessagesAfter, BulkMessagesRequest, BulkMessagesResponse,
        // visitors
        VisitorSessionRequest, NewVisitorSession, VisitorSessionResponse, Prompt, VisitorState,
        StartRequest, AnswerRequest, WidgetConfig, WidgetAppearance, WidgetGreeting,
        // playbooks
        PlaybookView, ValidationReport, ValidationProblem, TemplateView, NewPlaybook,
        DefinitionBody, OriginsBody, SnippetView,
        // realtime
        ActorKind, ActorView, EventBody, ServerFrame, ClientFrame, StreamQuery,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn event_frames_have_a_stable_shape() {
        let id = Uuid::nil();
        let f = ServerFrame::Event {
            seq: 7,
            at: 1000,
            actor: ActorView::system(),
            event: EventBody::ConversationRemoved {
                conversation_id: id,
            },
        };
        assert_eq!(
            serde_json::to_value(&f).unwrap(),
            serde_json::json!({"type": "event", "seq": 7, "at": 1000,
                "actor": {"kind": "system", "id": null, "name": null},
                "event": {"kind": "conversation_removed", "conversation_id": id}})
        );
        let c: ClientFrame =
            serde_json::from_str(r#"{"type":"set_presence","online":true}"#).unwrap();
        assert_eq!(
            c,
            ClientFrame::SetPresence {
                online: true,
                handover: None
            }
        );
    }

    #[test]
    fn errors_are_code_and_message() {
        let e = ErrorBody {
            code: "not_found".into(),
            message: "no such thing".into(),
        };
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({"code": "not_found", "message": "no such thing"})
        );
    }

    #[test]
    fn handover_reads_both_forms() {
        let h: Handover = serde_json::from_str(r#"{"to":"unassigned"}"#).unwrap();
        assert_eq!(h, Handover::Unassigned);
        let id = Uuid::nil();
        let h: Handover =
            serde_json::from_value(serde_json::json!({"to": "operator", "operator_id": id}))
                .unwrap();
        assert_eq!(h, Handover::Operator { operator_id: id });
    }
}
