//! Every bot-side text in English and German. The playbook's language picks one.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    #[default]
    En,
    De,
}

impl Language {
    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::De => "de",
        }
    }

    /// Picks a supported language from a browser language tag like `de-AT`.
    pub fn from_tag(tag: &str) -> Option<Self> {
        match tag.get(..2).map(|s| s.to_ascii_lowercase()).as_deref() {
            Some("en") => Some(Language::En),
            Some("de") => Some(Language::De),
            _ => None,
        }
    }

    /// "<name> joined the chat" (S9).
    pub fn operator_joined(self, name: &str) -> String {
        match self {
            Language::En => format!("{name} joined the chat"),
            Language::De => format!("{name} ist dem Chat beigetreten"),
        }
    }

    pub fn chat_ended(self) -> &'static str {
        match self {
            Language::En => "The chat has ended.",
            Language::De => "Der Chat wurde beendet.",
        }
    }

    pub fn operator_left(self) -> &'static str {
        match self {
            Language::En => "Your operator had to leave; someone else will be with you shortly.",
            Language::De => {
                "Die Person musste den Chat verlassen; gleich ist jemand anderes für dich da."
            }
        }
    }

    pub fn default_online_message(self) -> &'static str {
        match self {
            Language::En => "Thanks! An operator will be with you shortly.",
            Language::De => "Danke! Gleich ist jemand aus unserem Team für dich da.",
        }
    }

    pub fn default_offline_message(self) -> &'static str {
        match self {
            Language::En => "Sorry, nobody is available right now. Leave your details and we will get back to you.",
            Language::De => "Leider ist gerade niemand erreichbar. Hinterlass uns deine Kontaktdaten, wir melden uns.",
        }
    }

    /// Strings the widget shows around the conversation.
    pub fn widget_texts(self) -> Vec<(&'static str, &'static str)> {
        match self {
            Language::En => vec![
                ("open_chat", "Open chat"),
                ("close_chat", "Close chat"),
                ("type_message", "Type a message…"),
                ("send", "Send"),
                ("typing", "is typing…"),
                ("chat_ended", "The chat has ended."),
                ("start_again", "Start a new chat"),
                ("reconnecting", "Reconnecting…"),
                ("offline_banner", "You are offline. Messages will be sent when the connection is back."),
                ("your_answer", "Your answer"),
                ("error_generic", "Something went wrong. Please try again."),
            ],
            Language::De => vec![
                ("open_chat", "Chat öffnen"),
                ("close_chat", "Chat schließen"),
                ("type_message", "Nachricht schreiben…"),
                ("send", "Senden"),
                ("typing", "schreibt…"),
                ("chat_ended", "Der Chat wurde beendet."),
                ("start_again", "Neuen Chat starten"),
                ("reconnecting", "Verbindung wird wiederhergestellt…"),
                ("offline_banner", "Du bist offline. Nachrichten werden gesendet, sobald die Verbindung zurück ist."),
                ("your_answer", "Deine Antwort"),
                ("error_generic", "Etwas ist schiefgelaufen. Bitte versuch es noch einmal."),
            ],
        }
    }
}
