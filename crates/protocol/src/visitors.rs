//! The website widget's bodies: visitor sessions, the playbook's prompts, the widget config.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{ConversationView, MessageView};

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema, TS)]
pub struct VisitorSessionRequest {
    /// The visitor's name, if known.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub name: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema, TS)]
pub struct NewVisitorSession {
    /// The playbook whose widget the visitor uses.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub playbook_id: Option<Uuid>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub name: Option<String>,
    /// The browser's language tag (e.g. `de-AT`).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub language: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, TS)]
pub struct VisitorSessionResponse {
    pub token: String,
    pub visitor_id: Uuid,
    pub expires_at: i64,
}

/// What the bot waits for: answer buttons or a text field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Prompt {
    Choice {
        card_id: String,
        text: String,
        answers: Vec<String>,
    },
    Text {
        card_id: String,
        text: String,
        field: String,
        placeholder: String,
    },
}

impl Prompt {
    /// The widget's prompt for the card `card` waiting for an answer.
    pub fn from_spec(card: &str, spec: frontdesk_core::playbook::PromptSpec) -> Prompt {
        use frontdesk_core::playbook::PromptSpec;
        match spec {
            PromptSpec::Choice { text, answers } => Prompt::Choice {
                card_id: card.to_owned(),
                text,
                answers,
            },
            PromptSpec::Text {
                text,
                field,
                placeholder,
            } => Prompt::Text {
                card_id: card.to_owned(),
                text,
                field: field.to_owned(),
                placeholder,
            },
        }
    }
}

/// The visitor's view of their conversation.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, TS)]
pub struct VisitorState {
    pub conversation: ConversationView,
    /// Oldest first.
    pub messages: Vec<MessageView>,
    /// The bot's open question, if it waits for an answer.
    pub prompt: Option<Prompt>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema, TS)]
pub struct StartRequest {
    #[serde(default)]
    #[ts(optional = nullable)]
    pub page_url: Option<String>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub referrer: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, TS)]
pub struct AnswerRequest {
    /// The card being answered (the prompt's `card_id`).
    pub card_id: String,
    /// For answer buttons: the index of the answer.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub choice: Option<usize>,
    /// For text questions.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub text: Option<String>,
    /// The page the visitor is on now.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub page_url: Option<String>,
}

/// What the widget needs to look right before the visitor opens it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, TS)]
pub struct WidgetConfig {
    pub playbook_id: Uuid,
    pub language: String,
    pub appearance: WidgetAppearance,
    pub greeting: Option<WidgetGreeting>,
    /// UI strings in the playbook's language.
    pub texts: std::collections::BTreeMap<String, String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, TS)]
pub struct WidgetAppearance {
    pub bot_name: String,
    pub primary_color: String,
    pub text_color: String,
    pub icon: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, TS)]
pub struct WidgetGreeting {
    pub text: String,
    pub delay_ms: u32,
}
