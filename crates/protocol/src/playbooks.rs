//! The admin playbook API's bodies (S1–S6).

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;
use uuid::Uuid;

/// A playbook as the admin API shows it. `definition` is the card graph (see
/// `frontdesk_core::playbook::Playbook`).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, TS)]
pub struct PlaybookView {
    pub id: Uuid,
    pub version: i64,
    pub active: bool,
    /// Sites (`https://www.example.com`) where the widget may run, besides this server itself.
    pub allowed_origins: Vec<String>,
    #[schema(value_type = Object)]
    #[ts(type = "unknown")]
    pub definition: serde_json::Value,
    pub updated_at: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, TS)]
pub struct ValidationReport {
    pub valid: bool,
    pub errors: Vec<ValidationProblem>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, TS)]
pub struct ValidationProblem {
    pub card: Option<String>,
    pub message: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, TS)]
pub struct TemplateView {
    pub key: String,
    pub name: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, TS)]
pub struct NewPlaybook {
    /// A full definition…
    #[schema(value_type = Option<Object>)]
    #[serde(default)]
    #[ts(optional = nullable, type = "unknown")]
    pub definition: Option<serde_json::Value>,
    /// …or a template key (`chat_with_your_leads`, …) with a language (`en`, `de`).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub template: Option<String>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub language: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, TS)]
pub struct DefinitionBody {
    #[schema(value_type = Object)]
    #[ts(type = "unknown")]
    pub definition: serde_json::Value,
}

/// Saves a new version of a playbook.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, TS)]
pub struct UpdatePlaybookRequest {
    #[schema(value_type = Object)]
    #[ts(type = "unknown")]
    pub definition: serde_json::Value,
    /// The version the editor started from: when someone saved another version since, the
    /// save is refused with 409 `version_conflict` instead of overwriting theirs.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub base_version: Option<i64>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, TS)]
pub struct OriginsBody {
    /// e.g. `["https://www.example.com"]`
    pub origins: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, TS)]
pub struct SnippetView {
    pub snippet: String,
}

/// One step of the admin's live preview: nothing is stored, no conversation is created.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, TS)]
pub struct PreviewRequest {
    /// The definition being edited (need not be saved).
    #[schema(value_type = Object)]
    #[ts(type = "unknown")]
    pub definition: serde_json::Value,
    pub action: PreviewActionBody,
    /// Preview as if an operator were online (the livechat card queues the chat) or not
    /// (it goes straight to the offline path).
    #[serde(default)]
    pub anyone_online: bool,
    /// The previewed chat is already in offline mode (from the previous step's `state`).
    #[serde(default)]
    pub offline_mode: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PreviewActionBody {
    /// The visitor opens the widget.
    Start,
    /// The visitor answers the prompt of `card_id`: `choice` for buttons, `text` for a field.
    Answer {
        card_id: String,
        #[serde(default)]
        #[ts(optional = nullable)]
        choice: Option<usize>,
        #[serde(default)]
        #[ts(optional = nullable)]
        text: Option<String>,
    },
    /// Nobody picked the chat up at livechat card `card_id` in time.
    WaitExpired { card_id: String },
}

/// What the visitor would see after a preview step.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, TS)]
pub struct PlaybookPreview {
    /// The widget's configuration for this definition (as `GET /api/widget/{id}` gives it).
    pub widget: crate::WidgetConfig,
    /// New messages of this step, oldest first.
    pub messages: Vec<PreviewMessage>,
    pub prompt: Option<crate::Prompt>,
    /// `bot`, `waiting`, `offline` or `closed`.
    pub state: String,
    /// While `waiting`: how long the visitor would wait, and at which livechat card.
    pub wait_secs: Option<u32>,
    pub livechat_card: Option<String>,
    /// Once closed by the end of a path: qualified or not.
    pub qualified: Option<bool>,
    /// Values this step captured.
    pub captured: Vec<crate::FieldValue>,
    /// Follow-ups a real chat would create at this step (S5).
    pub follow_ups: Vec<PreviewFollowUp>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, TS)]
pub struct PreviewMessage {
    pub author: crate::AuthorKind,
    pub author_name: String,
    pub body: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, TS)]
pub struct PreviewFollowUp {
    /// `activity`, `lead` or `deal`.
    pub kind: String,
    pub title: String,
}
