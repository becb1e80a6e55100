//! Ready-made playbooks (S1), in English and German.

use crate::i18n::Language;
use crate::playbook::*;

/// The templates an admin can start from: (key, name).
pub const TEMPLATES: &[(&str, &str)] = &[
    ("chat_with_your_leads", "Chat with your leads"),
    ("qualify_and_chat", "Qualify leads, then chat"),
];

/// Builds the template `key` in `lang`.
pub fn template(key: &str, lang: Language) -> Option<Playbook> {
    match key {
        "chat_with_your_leads" => Some(chat_with_your_leads(lang)),
        "qualify_and_chat" => Some(qualify_and_chat(lang)),
        _ => None,
    }
}

fn appearance(lang: Language) -> Appearance {
    Appearance {
        bot_name: match lang {
            Language::En => "Frontdesk Bot".into(),
            Language::De => "Frontdesk-Bot".into(),
        },
        primary_color: "#2f5bea".into(),
        text_color: "#ffffff".into(),
        icon: "chat".into(),
        language: lang,
    }
}

fn t(lang: Language, en: &str, de: &str) -> String {
    match lang {
        Language::En => en.to_owned(),
        Language::De => de.to_owned(),
    }
}

fn message(text: String, next: &str) -> Card {
    Card::Message {
        text,
        next: next.into(),
    }
}

fn capture(text: String, field: Field, next: &str) -> Card {
    Card::Capture {
        text,
        field,
        placeholder: None,
        next: next.into(),
    }
}

fn answer(label: String, next: &str) -> Answer {
    Answer {
        label,
        next: next.into(),
    }
}

/// The offline flow under a livechat card: name, email, a lead, qualified.
fn offline_flow(lang: Language, cards: &mut Vec<(&'static str, Card)>, follow_up_title: String) {
    cards.push((
        "offline-name",
        capture(
            t(lang, "What is your name?", "Wie heißt du?"),
            Field::Name,
            "offline-email",
        ),
    ));
    cards.push((
        "offline-email",
        capture(
            t(
                lang,
                "And your email address, so we can get back to you?",
                "Und deine E-Mail-Adresse, damit wir uns melden können?",
            ),
            Field::Email,
            "offline-lead",
        ),
    ));
    cards.push((
        "offline-lead",
        Card::FollowUp {
            create: FollowUpKind::Lead,
            title: follow_up_title,
            next: "offline-done".into(),
        },
    ));
    cards.push((
        "offline-done",
        Card::Qualified {
            text: Some(t(
                lang,
                "Thank you! We will get back to you soon.",
                "Danke! Wir melden uns bald bei dir.",
            )),
        },
    ));
}

fn livechat(lang: Language) -> Card {
    Card::LiveChat {
        online_message: lang.default_online_message().into(),
        wait_secs: 120,
        offline_message: lang.default_offline_message().into(),
        offline_next: "offline-name".into(),
    }
}

/// "Chat with your leads": a ready livechat playbook.
pub fn chat_with_your_leads(lang: Language) -> Playbook {
    let mut cards = vec![
        (
            "start",
            Card::Question {
                text: t(
                    lang,
                    "Hi there! How can we help you today?",
                    "Hallo! Wie können wir dir heute helfen?",
                ),
                answers: vec![
                    answer(
                        t(lang, "Talk to a person", "Mit einer Person sprechen"),
                        "livechat",
                    ),
                    answer(
                        t(lang, "Just browsing", "Ich schaue mich nur um"),
                        "browsing",
                    ),
                ],
            },
        ),
        ("livechat", livechat(lang)),
        (
            "browsing",
            Card::Disqualified {
                text: Some(t(
                    lang,
                    "Enjoy! We are here if you need us.",
                    "Viel Spaß! Wir sind da, wenn du uns brauchst.",
                )),
            },
        ),
    ];
    offline_flow(
        lang,
        &mut cards,
        t(
            lang,
            "Callback request from the website chat",
            "Rückrufbitte aus dem Website-Chat",
        ),
    );
    Playbook {
        name: t(lang, "Chat with your leads", "Chatte mit deinen Leads"),
        appearance: appearance(lang),
        greeting: Some(Greeting {
            text: t(
                lang,
                "Questions? We are online.",
                "Fragen? Wir sind online.",
            ),
            delay_ms: 3000,
        }),
        start: "start".into(),
        cards: cards.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
    }
}

/// Qualification with a livechat path: the demo site's playbook.
pub fn qualify_and_chat(lang: Language) -> Playbook {
    let mut cards = vec![
        (
            "start",
            Card::Question {
                text: t(
                    lang,
                    "Hi! 👋 What brings you here?",
                    "Hallo! 👋 Was führt dich her?",
                ),
                answers: vec![
                    answer(
                        t(lang, "Talk to a person", "Mit einer Person sprechen"),
                        "livechat",
                    ),
                    answer(
                        t(lang, "I want a demo", "Ich möchte eine Demo"),
                        "team-size",
                    ),
                    answer(t(lang, "Just looking", "Ich schaue mich nur um"), "looking"),
                ],
            },
        ),
        ("livechat", livechat(lang)),
        (
            "team-size",
            Card::Question {
                text: t(
                    lang,
                    "How big is your sales team?",
                    "Wie groß ist dein Vertriebsteam?",
                ),
                answers: vec![
                    answer(t(lang, "Just me", "Nur ich"), "solo"),
                    answer(t(lang, "2–50 people", "2–50 Personen"), "demo-name"),
                    answer(t(lang, "More than 50", "Mehr als 50"), "demo-name"),
                ],
            },
        ),
        (
            "solo",
            Card::Disqualified {
                text: Some(t(
                    lang,
                    "Our free plan is perfect for you — sign up any time!",
                    "Unser kostenloser Tarif passt perfekt — melde dich jederzeit an!",
                )),
            },
        ),
        (
            "demo-name",
            capture(
                t(lang, "Great! What is your name?", "Super! Wie heißt du?"),
                Field::Name,
                "demo-email",
            ),
        ),
        (
            "demo-email",
            capture(
                t(
                    lang,
                    "Your work email?",
                    "Deine geschäftliche E-Mail-Adresse?",
                ),
                Field::Email,
                "demo-company",
            ),
        ),
        (
            "demo-company",
            capture(
                t(
                    lang,
                    "Which company are you with?",
                    "Für welches Unternehmen arbeitest du?",
                ),
                Field::Organization,
                "demo-deal",
            ),
        ),
        (
            "demo-deal",
            Card::FollowUp {
                create: FollowUpKind::Deal,
                title: t(lang, "Demo request", "Demo-Anfrage"),
                next: "demo-activity".into(),
            },
        ),
        (
            "demo-activity",
            Card::FollowUp {
                create: FollowUpKind::Activity,
                title: t(lang, "Schedule the demo call", "Demo-Termin vereinbaren"),
                next: "demo-done".into(),
            },
        ),
        (
            "demo-done",
            Card::Qualified {
                text: Some(t(
                    lang,
                    "Thanks! We will email you to book a time.",
                    "Danke! Wir schicken dir eine E-Mail für einen Termin.",
                )),
            },
        ),
        (
            "looking",
            message(
                t(
                    lang,
                    "No problem! Plans start at €15 per user and month.",
                    "Kein Problem! Tarife gibt es ab 15 € pro Person und Monat.",
                ),
                "looking-end",
            ),
        ),
        ("looking-end", Card::Disqualified { text: None }),
    ];
    offline_flow(
        lang,
        &mut cards,
        t(
            lang,
            "Callback request from the website chat",
            "Rückrufbitte aus dem Website-Chat",
        ),
    );
    Playbook {
        name: t(
            lang,
            "Qualify leads, then chat",
            "Leads qualifizieren, dann chatten",
        ),
        appearance: appearance(lang),
        greeting: Some(Greeting {
            text: t(
                lang,
                "Hi! Looking for a CRM? Ask us anything.",
                "Hallo! Auf der Suche nach einem CRM? Frag uns.",
            ),
            delay_ms: 1500,
        }),
        start: "start".into(),
        cards: cards.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
    }
}
