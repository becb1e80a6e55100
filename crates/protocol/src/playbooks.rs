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

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, TS)]
pub struct OriginsBody {
    /// e.g. `["https://www.example.com"]`
    pub origins: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, TS)]
pub struct SnippetView {
    pub snippet: String,
}
