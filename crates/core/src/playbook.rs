//! Chatbot playbooks (S1–S5): a graph of cards along paths, its validation, and the engine
//! that walks it. The engine is pure: it says what the bot writes, what it captured, which
//! follow-ups to create and where it stops; the server persists and routes.

use crate::i18n::Language;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};

/// A card's id, chosen by the admin (e.g. `ask-email`).
pub type CardId = String;

/// Longest card id, text, label.
pub const MAX_CARD_ID: usize = 64;
pub const MAX_CARD_TEXT: usize = 1000;
pub const MAX_CARDS: usize = 200;
pub const MAX_ANSWERS: usize = 10;
/// The bot's built-in icons (SVG in the widget).
pub const ICONS: &[&str] = &["chat", "headset", "sparkles", "question"];

/// Whether `icon` is a built-in icon's name or one or two letters or digits.
pub fn is_icon(icon: &str) -> bool {
    let n = icon.chars().count();
    ICONS.contains(&icon) || ((1..=2).contains(&n) && icon.chars().all(char::is_alphanumeric))
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Playbook {
    pub name: String,
    pub appearance: Appearance,
    /// An optional proactive greeting shown near the launcher after a delay.
    #[serde(default)]
    pub greeting: Option<Greeting>,
    /// The first card.
    pub start: CardId,
    pub cards: BTreeMap<CardId, Card>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appearance {
    /// The bot's display name, replaced by the operator's once one joins (S9).
    pub bot_name: String,
    /// `#rrggbb`
    pub primary_color: String,
    /// `#rrggbb`, readable on `primary_color`.
    pub text_color: String,
    /// One of [`ICONS`] (drawn as SVG by the widget), or one or two letters or digits
    /// (initials). Emoji are not accepted: without an emoji font they show as a box.
    pub icon: String,
    pub language: Language,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Greeting {
    pub text: String,
    pub delay_ms: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub label: String,
    pub next: CardId,
}

/// What a free-text question captures.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Name,
    Email,
    Phone,
    Organization,
    /// A field of the admin's own, by key.
    Custom(String),
}

impl Field {
    /// The key under which the value is stored in the conversation's details.
    pub fn key(&self) -> String {
        match self {
            Field::Name => "name".into(),
            Field::Email => "email".into(),
            Field::Phone => "phone".into(),
            Field::Organization => "organization".into(),
            Field::Custom(k) => format!("custom.{k}"),
        }
    }

    /// The widget's input kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Email => "email",
            Field::Phone => "phone",
            Field::Organization => "organization",
            Field::Custom(_) => "custom",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpKind {
    Activity,
    Lead,
    Deal,
}

impl FollowUpKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FollowUpKind::Activity => "activity",
            FollowUpKind::Lead => "lead",
            FollowUpKind::Deal => "deal",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Card {
    /// The bot says something and goes on.
    Message { text: String, next: CardId },
    /// The bot asks; each answer leads down its own path (S2).
    Question { text: String, answers: Vec<Answer> },
    /// The bot asks for a value and stores it in the conversation's details.
    Capture {
        text: String,
        field: Field,
        #[serde(default)]
        placeholder: Option<String>,
        next: CardId,
    },
    /// Hand over to a person (S3, S4). With someone online the chat goes live and the bot
    /// stops; otherwise, or when nobody takes it within `wait_secs`, `offline_next` runs.
    LiveChat {
        online_message: String,
        wait_secs: u32,
        offline_message: String,
        offline_next: CardId,
    },
    /// Create an activity, lead or deal from what was captured (S5), and go on.
    FollowUp {
        create: FollowUpKind,
        title: String,
        next: CardId,
    },
    /// End: the visitor is qualified.
    Qualified {
        #[serde(default)]
        text: Option<String>,
    },
    /// End: the visitor is not a fit.
    Disqualified {
        #[serde(default)]
        text: Option<String>,
    },
}

impl Card {
    /// The cards this one leads to.
    pub fn successors(&self) -> Vec<&CardId> {
        match self {
            Card::Message { next, .. }
            | Card::Capture { next, .. }
            | Card::FollowUp { next, .. } => vec![next],
            Card::Question { answers, .. } => answers.iter().map(|a| &a.next).collect(),
            Card::LiveChat { offline_next, .. } => vec![offline_next],
            Card::Qualified { .. } | Card::Disqualified { .. } => vec![],
        }
    }
}

/// One validation problem, precise enough to fix without guessing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationError {
    /// The card at fault, if one is.
    pub card: Option<CardId>,
    pub message: String,
}

fn err(card: Option<&str>, message: String) -> ValidationError {
    ValidationError {
        card: card.map(str::to_owned),
        message,
    }
}

fn is_hex_color(s: &str) -> bool {
    s.len() == 7 && s.starts_with('#') && s[1..].chars().all(|c| c.is_ascii_hexdigit())
}

fn check_text(
    out: &mut Vec<ValidationError>,
    card: Option<&str>,
    what: &str,
    text: &str,
    max: usize,
) {
    if text.trim().is_empty() {
        out.push(err(card, format!("{what} must not be empty")));
    } else if text.chars().count() > max {
        out.push(err(card, format!("{what} is longer than {max} characters")));
    }
}

impl Playbook {
    /// Every problem at once, or `Ok` when the playbook can run.
    pub fn validate(&self) -> Result<(), Vec<ValidationError>> {
        let mut out = Vec::new();
        check_text(&mut out, None, "the playbook name", &self.name, 200);
        let a = &self.appearance;
        check_text(&mut out, None, "the bot name", &a.bot_name, 60);
        if !is_icon(&a.icon) {
            out.push(err(
                None,
                format!(
                    "the icon must be one of {} or one or two letters or digits, not {:?}",
                    ICONS.join(", "),
                    a.icon
                ),
            ));
        }
        for (what, c) in [
            ("primary_color", &a.primary_color),
            ("text_color", &a.text_color),
        ] {
            if !is_hex_color(c) {
                out.push(err(
                    None,
                    format!("{what} must look like #1a2b3c, not {c:?}"),
                ));
            }
        }
        if let Some(g) = &self.greeting {
            check_text(&mut out, None, "the greeting", &g.text, 300);
            if g.delay_ms > 600_000 {
                out.push(err(
                    None,
                    "the greeting delay must be at most 10 minutes".into(),
                ));
            }
        }
        if self.cards.is_empty() {
            out.push(err(None, "the playbook has no cards".into()));
            return Err(out);
        }
        if self.cards.len() > MAX_CARDS {
            out.push(err(
                None,
                format!("a playbook holds at most {MAX_CARDS} cards"),
            ));
        }
        if !self.cards.contains_key(&self.start) {
            out.push(err(
                None,
                format!("the start card `{}` does not exist", self.start),
            ));
        }
        for (id, card) in &self.cards {
            let c = Some(id.as_str());
            if id.is_empty()
                || id.len() > MAX_CARD_ID
                || !id
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
            {
                out.push(err(
                    c,
                    format!("card id `{id}` must be 1–{MAX_CARD_ID} letters, digits, - or _"),
                ));
            }
            match card {
                Card::Message { text, .. } => {
                    check_text(&mut out, c, "the message", text, MAX_CARD_TEXT)
                }
                Card::Question { text, answers } => {
                    check_text(&mut out, c, "the question", text, MAX_CARD_TEXT);
                    if answers.is_empty() {
                        out.push(err(c, "a question needs at least one answer".into()));
                    }
                    if answers.len() > MAX_ANSWERS {
                        out.push(err(
                            c,
                            format!("a question has at most {MAX_ANSWERS} answers"),
                        ));
                    }
                    for (i, ans) in answers.iter().enumerate() {
                        check_text(&mut out, c, &format!("answer {}", i + 1), &ans.label, 100);
                    }
                }
                Card::Capture {
                    text,
                    field,
                    placeholder,
                    ..
                } => {
                    check_text(&mut out, c, "the question", text, MAX_CARD_TEXT);
                    if let Field::Custom(k) = field {
                        if k.is_empty()
                            || k.len() > 40
                            || !k.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
                        {
                            out.push(err(
                                c,
                                format!("custom field key `{k}` must be 1–40 letters, digits or _"),
                            ));
                        }
                    }
                    if let Some(p) = placeholder {
                        check_text(&mut out, c, "the placeholder", p, 100);
                    }
                }
                Card::LiveChat {
                    online_message,
                    wait_secs,
                    offline_message,
                    ..
                } => {
                    check_text(
                        &mut out,
                        c,
                        "the online message",
                        online_message,
                        MAX_CARD_TEXT,
                    );
                    check_text(
                        &mut out,
                        c,
                        "the offline message",
                        offline_message,
                        MAX_CARD_TEXT,
                    );
                    if !(10..=3600).contains(wait_secs) {
                        out.push(err(
                            c,
                            format!("the wait time must be 10–3600 seconds, not {wait_secs}"),
                        ));
                    }
                }
                Card::FollowUp { title, .. } => {
                    check_text(&mut out, c, "the follow-up title", title, 200)
                }
                Card::Qualified { text } | Card::Disqualified { text } => {
                    if let Some(t) = text {
                        check_text(&mut out, c, "the closing message", t, MAX_CARD_TEXT);
                    }
                }
            }
            for (i, next) in card.successors().into_iter().enumerate() {
                if !self.cards.contains_key(next) {
                    let edge = match card {
                        Card::Question { .. } => format!("answer {}", i + 1),
                        Card::LiveChat { .. } => "its offline path".to_owned(),
                        _ => "`next`".to_owned(),
                    };
                    out.push(err(
                        c,
                        format!("{edge} leads to `{next}`, which does not exist"),
                    ));
                }
            }
        }
        if out.is_empty() {
            self.check_paths(&mut out);
        }
        if out.is_empty() {
            Ok(())
        } else {
            Err(out)
        }
    }

    /// Reachability, cycles (every path must end) and at most one livechat card per path (S3).
    fn check_paths(&self, out: &mut Vec<ValidationError>) {
        // Iterative DFS with colours: 1 = on the current path, 2 = done.
        let mut colour: HashMap<&str, u8> = HashMap::new();
        let mut stack: Vec<(&str, usize)> = vec![(self.start.as_str(), 0)];
        let mut path: Vec<&str> = vec![self.start.as_str()];
        colour.insert(&self.start, 1);
        while let Some((id, i)) = stack.last_mut() {
            let succ = self.cards[*id].successors();
            if *i < succ.len() {
                let next = succ[*i].as_str();
                *i += 1;
                match colour.get(next) {
                    Some(1) => {
                        let from = path.iter().position(|p| *p == next).unwrap_or(0);
                        let mut cycle: Vec<&str> = path[from..].to_vec();
                        cycle.push(next);
                        out.push(err(
                            Some(next),
                            format!(
                                "the path {} goes round in a circle: every path must end",
                                cycle.join(" → ")
                            ),
                        ));
                        return;
                    }
                    Some(_) => {}
                    None => {
                        colour.insert(next, 1);
                        stack.push((next, 0));
                        path.push(next);
                    }
                }
            } else {
                colour.insert(id, 2);
                stack.pop();
                path.pop();
            }
        }
        for id in self.cards.keys() {
            if !colour.contains_key(id.as_str()) {
                out.push(err(
                    Some(id),
                    format!(
                        "card `{id}` cannot be reached from the start card `{}`",
                        self.start
                    ),
                ));
            }
        }
        // A second livechat card on a path means one is reachable from another's offline path.
        for (id, card) in &self.cards {
            if let Card::LiveChat { offline_next, .. } = card {
                if let Some(route) = self.route_to_livechat(offline_next) {
                    let second = route.last().cloned().unwrap_or_default();
                    out.push(err(
                        Some(id),
                        format!(
                            "the path {id} → {} holds two livechat cards (`{id}` and `{second}`); a path holds at most one",
                            route.join(" → ")
                        ),
                    ));
                }
            }
        }
    }

    /// The shortest route from `from` to a livechat card, if any (BFS).
    fn route_to_livechat(&self, from: &str) -> Option<Vec<String>> {
        let mut prev: HashMap<&str, &str> = HashMap::new();
        let mut seen: HashSet<&str> = HashSet::from([from]);
        let mut queue = std::collections::VecDeque::from([from]);
        while let Some(id) = queue.pop_front() {
            let card = self.cards.get(id)?;
            if matches!(card, Card::LiveChat { .. }) {
                let mut route = vec![id.to_owned()];
                let mut at = id;
                while let Some(p) = prev.get(at) {
                    route.push((*p).to_owned());
                    at = p;
                }
                route.reverse();
                return Some(route);
            }
            for next in card.successors() {
                if seen.insert(next) {
                    prev.insert(next, id);
                    queue.push_back(next);
                }
            }
        }
        None
    }

    /// The livechat card nearest to the start: where a visitor who asks for a person directly
    /// is handed over.
    pub fn first_livechat(&self) -> Option<CardId> {
        self.route_to_livechat(&self.start)?.pop()
    }

    /// Whether the playbook has a livechat card at all.
    pub fn has_livechat(&self) -> bool {
        self.cards
            .values()
            .any(|c| matches!(c, Card::LiveChat { .. }))
    }
}

// ---------------------------------------------------------------------------------------------
// The engine

/// What the visitor gives at an input card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    Choice(usize),
    Text(String),
}

/// A follow-up to create (S5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FollowUpSpec {
    pub kind: FollowUpKind,
    pub title: String,
}

/// Where the bot stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// Waiting for the visitor's answer at this question or capture card.
    Await(CardId),
    /// Reached this livechat card: the server applies the handoff rule (S4).
    LiveChat(CardId),
    /// The path ended.
    End { qualified: bool },
}

/// The bot's part of one step.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct BotStep {
    /// What the bot writes, in order.
    pub say: Vec<String>,
    /// Values captured at this step: (field key, value).
    pub captured: Vec<(String, String)>,
    pub follow_ups: Vec<FollowUpSpec>,
    pub stop: Option<Stop>,
}

/// Why an answer was refused; the message is in the playbook's language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnswerError {
    /// The card is not waiting for an answer (the widget is behind).
    NotAwaiting,
    Invalid(String),
}

/// The prompt the widget shows for an input card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PromptSpec {
    Choice {
        text: String,
        answers: Vec<String>,
    },
    Text {
        text: String,
        field: &'static str,
        placeholder: String,
    },
}

impl Playbook {
    /// Runs from `card` (inclusive) until an input card, a livechat card or an end.
    pub fn run_from(&self, card: &str) -> BotStep {
        let mut step = BotStep::default();
        self.walk(card, &mut step);
        step
    }

    fn walk(&self, start: &str, step: &mut BotStep) {
        let mut at = start.to_owned();
        // Validation forbids cycles; the bound keeps a bad stored playbook from spinning.
        for _ in 0..=MAX_CARDS {
            let Some(card) = self.cards.get(&at) else {
                step.stop = Some(Stop::End { qualified: false });
                return;
            };
            match card {
                Card::Message { text, next } => {
                    step.say.push(text.clone());
                    at = next.clone();
                }
                Card::Question { text, .. } | Card::Capture { text, .. } => {
                    step.say.push(text.clone());
                    step.stop = Some(Stop::Await(at));
                    return;
                }
                Card::LiveChat { .. } => {
                    step.stop = Some(Stop::LiveChat(at));
                    return;
                }
                Card::FollowUp {
                    create,
                    title,
                    next,
                } => {
                    step.follow_ups.push(FollowUpSpec {
                        kind: *create,
                        title: title.clone(),
                    });
                    at = next.clone();
                }
                Card::Qualified { text } | Card::Disqualified { text } => {
                    if let Some(t) = text {
                        step.say.push(t.clone());
                    }
                    step.stop = Some(Stop::End {
                        qualified: matches!(card, Card::Qualified { .. }),
                    });
                    return;
                }
            }
        }
        step.stop = Some(Stop::End { qualified: false });
    }

    /// The visitor answers the input card `current`; on success the bot runs on.
    pub fn answer(&self, current: &str, input: &Input) -> Result<BotStep, AnswerError> {
        let lang = self.appearance.language;
        let mut step = BotStep::default();
        match (self.cards.get(current), input) {
            (Some(Card::Question { answers, .. }), Input::Choice(i)) => {
                let ans = answers
                    .get(*i)
                    .ok_or_else(|| AnswerError::Invalid(texts::no_such_answer(lang).into()))?;
                self.walk(&ans.next.clone(), &mut step);
            }
            (Some(Card::Capture { field, next, .. }), Input::Text(value)) => {
                let value = validate_field(field, value, lang).map_err(AnswerError::Invalid)?;
                step.captured.push((field.key(), value));
                self.walk(&next.clone(), &mut step);
            }
            (Some(Card::Question { .. }), Input::Text(_)) => {
                return Err(AnswerError::Invalid(texts::pick_an_answer(lang).into()))
            }
            (Some(Card::Capture { .. }), Input::Choice(_)) => {
                return Err(AnswerError::Invalid(texts::type_an_answer(lang).into()))
            }
            _ => return Err(AnswerError::NotAwaiting),
        }
        Ok(step)
    }

    /// The prompt of an input card.
    pub fn prompt(&self, card: &str) -> Option<PromptSpec> {
        match self.cards.get(card)? {
            Card::Question { text, answers } => Some(PromptSpec::Choice {
                text: text.clone(),
                answers: answers.iter().map(|a| a.label.clone()).collect(),
            }),
            Card::Capture {
                text,
                field,
                placeholder,
                ..
            } => Some(PromptSpec::Text {
                text: text.clone(),
                field: field.kind(),
                placeholder: placeholder
                    .clone()
                    .unwrap_or_else(|| texts::placeholder(field, self.appearance.language).into()),
            }),
            _ => None,
        }
    }

    /// The livechat card's settings.
    pub fn livechat(&self, card: &str) -> Option<(&str, u32, &str, &str)> {
        match self.cards.get(card)? {
            Card::LiveChat {
                online_message,
                wait_secs,
                offline_message,
                offline_next,
            } => Some((online_message, *wait_secs, offline_message, offline_next)),
            _ => None,
        }
    }
}

/// Checks and normalises a captured value.
pub fn validate_field(field: &Field, value: &str, lang: Language) -> Result<String, String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(texts::required(lang).into());
    }
    if v.chars().count() > 200 {
        return Err(texts::too_long(lang).into());
    }
    if v.chars().any(char::is_control) {
        return Err(texts::invalid_characters(lang).into());
    }
    match field {
        Field::Email => {
            let ok = v.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
                    && !v.contains(char::is_whitespace)
            });
            if !ok {
                return Err(texts::invalid_email(lang).into());
            }
        }
        Field::Phone => {
            let digits = v.chars().filter(char::is_ascii_digit).count();
            let allowed = v
                .chars()
                .all(|c| c.is_ascii_digit() || " +-()/.".contains(c));
            if !allowed || !(6..=20).contains(&digits) {
                return Err(texts::invalid_phone(lang).into());
            }
        }
        _ => {}
    }
    Ok(v.to_owned())
}

/// Bot-side texts of the engine, English and German.
mod texts {
    use super::Field;
    use crate::i18n::Language::{self, *};

    pub fn required(l: Language) -> &'static str {
        match l {
            En => "Please enter an answer.",
            De => "Bitte gib eine Antwort ein.",
        }
    }
    pub fn too_long(l: Language) -> &'static str {
        match l {
            En => "That is too long; please keep it under 200 characters.",
            De => "Das ist zu lang; bitte höchstens 200 Zeichen.",
        }
    }
    pub fn invalid_characters(l: Language) -> &'static str {
        match l {
            En => "Please use only ordinary characters.",
            De => "Bitte verwende nur normale Zeichen.",
        }
    }
    pub fn invalid_email(l: Language) -> &'static str {
        match l {
            En => "Please enter a valid email address, like name@example.com.",
            De => "Bitte gib eine gültige E-Mail-Adresse ein, z. B. name@example.com.",
        }
    }
    pub fn invalid_phone(l: Language) -> &'static str {
        match l {
            En => "Please enter a valid phone number, like +1 555 123 4567.",
            De => "Bitte gib eine gültige Telefonnummer ein, z. B. +49 30 1234567.",
        }
    }
    pub fn no_such_answer(l: Language) -> &'static str {
        match l {
            En => "Please pick one of the answers.",
            De => "Bitte wähle eine der Antworten.",
        }
    }
    pub fn pick_an_answer(l: Language) -> &'static str {
        no_such_answer(l)
    }
    pub fn type_an_answer(l: Language) -> &'static str {
        required(l)
    }
    pub fn placeholder(f: &Field, l: Language) -> &'static str {
        match (f, l) {
            (Field::Name, En) => "Your name",
            (Field::Name, De) => "Dein Name",
            (Field::Email, En) => "name@example.com",
            (Field::Email, De) => "name@beispiel.de",
            (Field::Phone, En) => "+1 555 123 4567",
            (Field::Phone, De) => "+49 30 1234567",
            (Field::Organization, En) => "Your company",
            (Field::Organization, De) => "Dein Unternehmen",
            (Field::Custom(_), En) => "Your answer",
            (Field::Custom(_), De) => "Deine Antwort",
        }
    }
}
