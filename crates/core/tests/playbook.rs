//! Playbook validation (every error) and the engine (every card kind).

use frontdesk_core::playbook::*;
use frontdesk_core::templates::{self, template, TEMPLATES};
use frontdesk_core::Language;

fn base() -> Playbook {
    templates::chat_with_your_leads(Language::En)
}

fn errors(p: &Playbook) -> Vec<String> {
    p.validate()
        .err()
        .unwrap_or_default()
        .into_iter()
        .map(|e| e.message)
        .collect()
}

fn has(errors: &[String], needle: &str) -> bool {
    errors.iter().any(|e| e.contains(needle))
}

#[test]
fn every_template_in_every_language_is_valid() {
    for (key, _) in TEMPLATES {
        for lang in [Language::En, Language::De] {
            let p = template(key, lang).unwrap();
            assert_eq!(p.validate(), Ok(()), "{key} {lang:?}");
            assert!(p.has_livechat());
        }
    }
    assert!(template("nope", Language::En).is_none());
}

#[test]
fn templates_are_really_translated() {
    let en = templates::qualify_and_chat(Language::En);
    let de = templates::qualify_and_chat(Language::De);
    for (id, card) in &en.cards {
        if let (Card::Question { text: a, .. }, Card::Question { text: b, .. }) =
            (card, &de.cards[id])
        {
            assert_ne!(a, b, "card {id} untranslated");
        }
    }
}

#[test]
fn two_livechat_cards_on_one_path_are_refused_with_the_path() {
    let mut p = base();
    p.cards.insert(
        "offline-email".into(),
        Card::LiveChat {
            online_message: "again".into(),
            wait_secs: 60,
            offline_message: "no".into(),
            offline_next: "offline-lead".into(),
        },
    );
    let e = errors(&p);
    assert!(
        has(
            &e,
            "holds two livechat cards (`livechat` and `offline-email`)"
        ),
        "{e:?}"
    );
    assert!(has(&e, "livechat → offline-name → offline-email"), "{e:?}");
}

#[test]
fn livechat_cards_on_separate_paths_are_fine() {
    let mut p = base();
    p.cards.insert(
        "browsing".into(),
        Card::LiveChat {
            online_message: "hi".into(),
            wait_secs: 60,
            offline_message: "bye".into(),
            offline_next: "offline-name".into(),
        },
    );
    // `browsing` and `livechat` sit on different answers; their offline paths share cards
    // without another livechat card on them.
    assert_eq!(p.validate(), Ok(()));
}

#[test]
fn dangling_edges_are_named() {
    let mut p = base();
    if let Some(Card::Question { answers, .. }) = p.cards.get_mut("start") {
        answers[1].next = "ghost".into();
    }
    p.cards.insert(
        "offline-name".into(),
        Card::Capture {
            text: "Name?".into(),
            field: Field::Name,
            placeholder: None,
            next: "nowhere".into(),
        },
    );
    if let Some(Card::LiveChat { offline_next, .. }) = p.cards.get_mut("livechat") {
        *offline_next = "void".into();
    }
    let e = errors(&p);
    assert!(
        has(&e, "answer 2 leads to `ghost`, which does not exist"),
        "{e:?}"
    );
    assert!(has(&e, "`next` leads to `nowhere`"), "{e:?}");
    assert!(has(&e, "its offline path leads to `void`"), "{e:?}");
    let mut p = base();
    p.start = "missing".into();
    assert!(has(&errors(&p), "the start card `missing` does not exist"));
}

#[test]
fn cycles_are_refused_because_every_path_must_end() {
    let mut p = base();
    p.cards.insert(
        "offline-lead".into(),
        Card::Message {
            text: "loop".into(),
            next: "offline-name".into(),
        },
    );
    let e = errors(&p);
    assert!(has(&e, "goes round in a circle"), "{e:?}");
    assert!(
        has(
            &e,
            "offline-name → offline-email → offline-lead → offline-name"
        ),
        "{e:?}"
    );
}

#[test]
fn unreachable_cards_are_reported() {
    let mut p = base();
    p.cards
        .insert("orphan".into(), Card::Qualified { text: None });
    assert!(has(
        &errors(&p),
        "card `orphan` cannot be reached from the start card `start`"
    ));
}

#[test]
fn field_level_errors_are_precise() {
    let mut p = base();
    p.name = " ".into();
    p.appearance.primary_color = "blue".into();
    p.appearance.text_color = "#12345".into();
    p.appearance.bot_name = "x".repeat(61);
    p.appearance.icon = String::new();
    p.greeting = Some(Greeting {
        text: String::new(),
        delay_ms: 700_000,
    });
    p.cards.insert(
        "start".into(),
        Card::Question {
            text: "Q".into(),
            answers: vec![],
        },
    );
    p.cards.insert(
        "bad id!".into(),
        Card::Qualified {
            text: Some(String::new()),
        },
    );
    p.cards.insert(
        "livechat".into(),
        Card::LiveChat {
            online_message: "".into(),
            wait_secs: 5,
            offline_message: "o".into(),
            offline_next: "offline-name".into(),
        },
    );
    p.cards.insert(
        "offline-name".into(),
        Card::Capture {
            text: "?".into(),
            field: Field::Custom("no spaces".into()),
            placeholder: None,
            next: "offline-email".into(),
        },
    );
    p.cards.insert(
        "offline-lead".into(),
        Card::FollowUp {
            create: FollowUpKind::Lead,
            title: "".into(),
            next: "offline-done".into(),
        },
    );
    p.cards.insert(
        "offline-done".into(),
        Card::Message {
            text: "".into(),
            next: "browsing".into(),
        },
    );
    let e = errors(&p);
    for needle in [
        "the playbook name must not be empty",
        "primary_color must look like #1a2b3c",
        "text_color must look like #1a2b3c",
        "the bot name is longer than 60 characters",
        "the icon must be one of chat, headset, sparkles, question or one or two letters",
        "the greeting must not be empty",
        "the greeting delay must be at most 10 minutes",
        "a question needs at least one answer",
        "card id `bad id!` must be",
        "the closing message must not be empty",
        "the online message must not be empty",
        "the wait time must be 10–3600 seconds, not 5",
        "custom field key `no spaces`",
        "the follow-up title must not be empty",
        "the message must not be empty",
    ] {
        assert!(has(&e, needle), "missing {needle:?} in {e:#?}");
    }
    let mut p = base();
    p.cards.clear();
    assert!(has(&errors(&p), "the playbook has no cards"));
    // Emoji show as a box without an emoji font: only built-in icons or initials.
    for (icon, ok) in [("💬", false), ("chat", true), ("AB", true), ("ABC", false)] {
        let mut p = base();
        p.appearance.icon = icon.into();
        assert_eq!(!has(&errors(&p), "the icon must be"), ok, "{icon}");
    }
    let mut p = base();
    if let Some(Card::Question { answers, .. }) = p.cards.get_mut("start") {
        answers[0].label = "  ".into();
        for i in 0..10 {
            answers.push(Answer {
                label: format!("a{i}"),
                next: "browsing".into(),
            });
        }
    }
    let e = errors(&p);
    assert!(
        has(&e, "answer 1 must not be empty") && has(&e, "at most 10 answers"),
        "{e:?}"
    );
}

#[test]
fn the_engine_walks_every_card_kind() {
    let p = templates::qualify_and_chat(Language::En);
    // Question: the bot asks and waits.
    let s = p.run_from("start");
    assert_eq!(s.stop, Some(Stop::Await("start".into())));
    assert_eq!(s.say, vec!["Hi! 👋 What brings you here?".to_owned()]);
    assert!(
        matches!(p.prompt("start"), Some(PromptSpec::Choice { answers, .. }) if answers[0] == "Talk to a person")
    );
    // An answer leads down its own path; message cards are said and passed.
    let s = p.answer("start", &Input::Choice(2)).unwrap();
    assert_eq!(
        s.say,
        vec!["No problem! Plans start at €15 per user and month.".to_owned()]
    );
    assert_eq!(s.stop, Some(Stop::End { qualified: false }));
    // Livechat: the engine stops and lets the server decide (S4).
    assert_eq!(
        p.answer("start", &Input::Choice(0)).unwrap().stop,
        Some(Stop::LiveChat("livechat".into()))
    );
    let (online, wait, offline, next) = p.livechat("livechat").unwrap();
    assert!(!online.is_empty() && wait == 120 && !offline.is_empty() && next == "offline-name");
    // Capture: validated, stored, then on to follow-ups and a qualified end.
    let s = p.answer("team-size", &Input::Choice(1)).unwrap();
    assert_eq!(s.stop, Some(Stop::Await("demo-name".into())));
    assert!(matches!(
        p.prompt("demo-name"),
        Some(PromptSpec::Text { field: "name", .. })
    ));
    let s = p
        .answer("demo-name", &Input::Text("  Ada Lovelace ".into()))
        .unwrap();
    assert_eq!(
        s.captured,
        vec![("name".to_owned(), "Ada Lovelace".to_owned())]
    );
    assert_eq!(
        p.answer("demo-email", &Input::Text("ada@".into())),
        Err(AnswerError::Invalid(
            "Please enter a valid email address, like name@example.com.".into()
        ))
    );
    p.answer("demo-email", &Input::Text("ada@example.com".into()))
        .unwrap();
    let s = p
        .answer(
            "demo-company",
            &Input::Text("Analytical Engines Ltd".into()),
        )
        .unwrap();
    assert_eq!(
        s.captured,
        vec![(
            "organization".to_owned(),
            "Analytical Engines Ltd".to_owned()
        )]
    );
    assert_eq!(
        s.follow_ups,
        vec![
            FollowUpSpec {
                kind: FollowUpKind::Deal,
                title: "Demo request".into()
            },
            FollowUpSpec {
                kind: FollowUpKind::Activity,
                title: "Schedule the demo call".into()
            },
        ]
    );
    assert_eq!(s.stop, Some(Stop::End { qualified: true }));
    assert_eq!(
        s.say,
        vec!["Thanks! We will email you to book a time.".to_owned()]
    );
    // Disqualified end with a text.
    let s = p.answer("team-size", &Input::Choice(0)).unwrap();
    assert_eq!(s.stop, Some(Stop::End { qualified: false }));
    assert_eq!(s.say.len(), 1);
}

#[test]
fn wrong_answers_are_refused_in_the_playbook_language() {
    let p = templates::qualify_and_chat(Language::De);
    assert_eq!(
        p.answer("start", &Input::Choice(9)),
        Err(AnswerError::Invalid(
            "Bitte wähle eine der Antworten.".into()
        ))
    );
    assert_eq!(
        p.answer("start", &Input::Text("hi".into())),
        Err(AnswerError::Invalid(
            "Bitte wähle eine der Antworten.".into()
        ))
    );
    assert_eq!(
        p.answer("demo-name", &Input::Choice(0)),
        Err(AnswerError::Invalid("Bitte gib eine Antwort ein.".into()))
    );
    assert_eq!(
        p.answer("demo-name", &Input::Text("   ".into())),
        Err(AnswerError::Invalid("Bitte gib eine Antwort ein.".into()))
    );
    assert_eq!(
        p.answer("livechat", &Input::Choice(0)),
        Err(AnswerError::NotAwaiting)
    );
    assert_eq!(
        p.answer("nonexistent", &Input::Choice(0)),
        Err(AnswerError::NotAwaiting)
    );
}

#[test]
fn field_validation() {
    let en = Language::En;
    assert!(validate_field(&Field::Email, "a@b.co", en).is_ok());
    for bad in ["a@b", "@b.co", "a b@c.de", "a@.de", "a@b.", "a@@b.de"] {
        assert!(validate_field(&Field::Email, bad, en).is_err(), "{bad}");
    }
    assert!(validate_field(&Field::Phone, "+49 (30) 123-4567", en).is_ok());
    for bad in [
        "123",
        "call me",
        "+1 555 123 4567 ext 9",
        "1234567890123456789012",
    ] {
        assert!(validate_field(&Field::Phone, bad, en).is_err(), "{bad}");
    }
    assert!(validate_field(&Field::Name, "x".repeat(201).as_str(), en).is_err());
    assert!(validate_field(&Field::Name, "a\u{7}b", en).is_err());
    assert_eq!(
        validate_field(&Field::Custom("budget".into()), " 10k ", en),
        Ok("10k".into())
    );
}

#[test]
fn playbooks_round_trip_through_json() {
    let p = templates::qualify_and_chat(Language::En);
    let json = serde_json::to_string(&p).unwrap();
    assert!(json.contains(r#""kind":"live_chat""#));
    let back: Playbook = serde_json::from_str(&json).unwrap();
    assert_eq!(back, p);
    let custom = r#"{"kind":"capture","text":"Budget?","field":{"custom":"budget"},"next":"x"}"#;
    let card: Card = serde_json::from_str(custom).unwrap();
    assert!(matches!(card, Card::Capture { field: Field::Custom(k), .. } if k == "budget"));
}
