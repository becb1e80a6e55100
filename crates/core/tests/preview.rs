//! The admin's preview walks a playbook like a real chat, with nothing stored.

use frontdesk_core::playbook::{AnswerError, Input, PromptSpec};
use frontdesk_core::preview::{preview, PreviewAction, PreviewAuthor, PreviewState, Situation};
use frontdesk_core::templates::chat_with_your_leads;
use frontdesk_core::Language;

fn answer(card: &str, input: Input) -> PreviewAction {
    PreviewAction::Answer {
        card: card.into(),
        input,
    }
}

fn at(anyone_online: bool, offline_mode: bool) -> Situation {
    Situation {
        anyone_online,
        offline_mode,
        wait_override_secs: None,
    }
}

fn texts(lines: &[(PreviewAuthor, String)]) -> Vec<&str> {
    lines.iter().map(|(_, t)| t.as_str()).collect()
}

#[test]
fn start_shows_the_first_question() {
    let pb = chat_with_your_leads(Language::En);
    let step = preview(&pb, &PreviewAction::Start, at(true, false)).unwrap();
    assert_eq!(texts(&step.lines), ["Hi there! How can we help you today?"]);
    let (card, prompt) = step.prompt.unwrap();
    assert_eq!(card, "start");
    assert!(
        matches!(prompt, PromptSpec::Choice { answers, .. } if answers[0] == "Talk to a person")
    );
    assert_eq!(step.state, PreviewState::Bot);
}

#[test]
fn with_someone_online_the_chat_waits_with_the_online_message() {
    let mut pb = chat_with_your_leads(Language::En);
    if let Some(frontdesk_core::playbook::Card::LiveChat { online_message, .. }) =
        pb.cards.get_mut("livechat")
    {
        *online_message = "Hold on, a colleague is coming.".into();
    }
    let step = preview(&pb, &answer("start", Input::Choice(0)), at(true, false)).unwrap();
    assert_eq!(texts(&step.lines), ["Hold on, a colleague is coming."]);
    assert_eq!(step.lines[0].0, PreviewAuthor::Bot);
    assert_eq!(
        step.state,
        PreviewState::Waiting {
            card: "livechat".into(),
            wait_secs: 120
        }
    );
    assert!(step.prompt.is_none());
    // The wait runs out: the offline message, then the offline path's first question.
    let expired = PreviewAction::WaitExpired {
        card: "livechat".into(),
    };
    let step = preview(&pb, &expired, at(true, false)).unwrap();
    assert_eq!(step.state, PreviewState::Offline);
    assert_eq!(step.lines.len(), 2, "{:?}", step.lines);
    assert_eq!(step.lines[1].1, "What is your name?");
    assert_eq!(step.prompt.unwrap().0, "offline-name");
}

#[test]
fn with_nobody_online_the_offline_path_runs_to_its_end_with_its_follow_ups() {
    let pb = chat_with_your_leads(Language::En);
    let step = preview(&pb, &answer("start", Input::Choice(0)), at(false, false)).unwrap();
    assert_eq!(step.state, PreviewState::Offline);
    assert_eq!(
        step.lines[0].1,
        Language::En.default_offline_message(),
        "the offline message first"
    );
    assert_eq!(step.prompt.as_ref().unwrap().0, "offline-name");

    let step = preview(
        &pb,
        &answer("offline-name", Input::Text("Ada".into())),
        at(false, true),
    )
    .unwrap();
    assert_eq!(step.captured, [("name".to_owned(), "Ada".to_owned())]);
    assert_eq!(step.state, PreviewState::Offline);

    // A bad email is refused in the playbook's language, like in a real chat.
    let bad = preview(
        &pb,
        &answer("offline-email", Input::Text("nope".into())),
        at(false, true),
    );
    assert!(matches!(bad, Err(AnswerError::Invalid(_))));

    let step = preview(
        &pb,
        &answer("offline-email", Input::Text("ada@example.com".into())),
        at(false, true),
    )
    .unwrap();
    assert_eq!(
        step.follow_ups.len(),
        1,
        "the lead a real chat would create"
    );
    assert_eq!(
        step.state,
        PreviewState::Closed {
            qualified: Some(true)
        }
    );
    let last = step.lines.last().unwrap();
    assert_eq!(
        last.0,
        PreviewAuthor::System,
        "the chat ends like a real one"
    );
    assert!(step.prompt.is_none());
}

#[test]
fn a_german_playbook_previews_in_german_and_unknown_cards_are_refused() {
    let pb = chat_with_your_leads(Language::De);
    let step = preview(&pb, &PreviewAction::Start, at(true, false)).unwrap();
    assert_eq!(
        texts(&step.lines),
        ["Hallo! Wie können wir dir heute helfen?"]
    );
    assert_eq!(
        preview(
            &pb,
            &answer("no-such-card", Input::Choice(0)),
            at(true, false)
        ),
        Err(AnswerError::NotAwaiting)
    );
    let not_livechat = PreviewAction::WaitExpired {
        card: "start".into(),
    };
    assert_eq!(
        preview(&pb, &not_livechat, at(true, false)),
        Err(AnswerError::NotAwaiting)
    );
}

#[test]
fn the_servers_wait_time_wins_over_the_cards_as_in_a_real_chat() {
    let pb = chat_with_your_leads(Language::En);
    let situation = Situation {
        anyone_online: true,
        offline_mode: false,
        wait_override_secs: Some(30),
    };
    let step = preview(&pb, &answer("start", Input::Choice(0)), situation).unwrap();
    assert_eq!(
        step.state,
        PreviewState::Waiting {
            card: "livechat".into(),
            wait_secs: 30
        }
    );
}
