//! Which events become OS notifications (S15), and coalescing of bursts.
//!
//! Exactly three cases: (a) a conversation enters Unassigned, (b) the visitor writes in a
//! conversation assigned to me, (c) someone else assigns a conversation to me. Never for my
//! own actions, and never for what is replayed while catching up (the caller only asks
//! after `ready`). Events for one conversation within the window become one notification.

use crate::types::{Notification, NotificationKind};
use frontdesk_protocol::{ActorKind, ActorView, AuthorKind, ConversationView, EventBody, Folder};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The language of notification texts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    De,
}

impl Lang {
    /// From a tag like `de-AT` or a POSIX locale like `de_DE.UTF-8`; English otherwise.
    pub fn from_tag(tag: &str) -> Lang {
        if tag.to_ascii_lowercase().starts_with("de") {
            Lang::De
        } else {
            Lang::En
        }
    }

    /// The user's language from the environment (`LC_ALL`, `LC_MESSAGES`, `LANG`).
    pub fn from_env() -> Lang {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
            .map(|v| Lang::from_tag(&v))
            .unwrap_or(Lang::En)
    }
}

/// One reason to notify, before coalescing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub conversation_id: Uuid,
    pub kind: NotificationKind,
    pub visitor_name: Option<String>,
    /// The visitor's message, for (b).
    pub text: Option<String>,
}

/// Decides whether a live event is one of the three cases. `previous` is the cached row
/// before the event was applied.
pub fn decide(
    event: &EventBody,
    actor: &ActorView,
    previous: Option<&ConversationView>,
    me: Uuid,
) -> Option<Candidate> {
    if actor.kind == ActorKind::Operator && actor.id == Some(me) {
        return None;
    }
    let (conversation, message) = match event {
        EventBody::ConversationUpsert { conversation } => (conversation, None),
        EventBody::Message {
            message,
            conversation,
        } => (conversation, Some(message)),
        // S15 names no notification for details or created results.
        EventBody::ConversationRemoved { .. }
        | EventBody::BotPrompt { .. }
        | EventBody::DetailsChanged { .. }
        | EventBody::ResultUpsert { .. } => return None,
    };
    let candidate = |kind, text| {
        Some(Candidate {
            conversation_id: conversation.id,
            kind,
            visitor_name: conversation.visitor_name.clone(),
            text,
        })
    };
    let was = |f: &dyn Fn(&ConversationView) -> bool| previous.is_some_and(f);
    if conversation.folder == Some(Folder::Unassigned)
        && !was(&|p| p.folder == Some(Folder::Unassigned))
    {
        return candidate(NotificationKind::NewConversation, None);
    }
    if conversation.assignee_id == Some(me) && !was(&|p| p.assignee_id == Some(me)) {
        return candidate(NotificationKind::Assigned, None);
    }
    match message {
        Some(m) if m.author == AuthorKind::Visitor && conversation.assignee_id == Some(me) => {
            candidate(NotificationKind::NewMessage, Some(m.body.clone()))
        }
        _ => None,
    }
}

struct Pending {
    due: Instant,
    kind: NotificationKind,
    count: u32,
    visitor_name: Option<String>,
    last_text: Option<String>,
}

/// Collects candidates per conversation for a window after the first one, then yields one
/// notification for them.
pub struct Coalescer {
    window: Duration,
    lang: Lang,
    pending: HashMap<Uuid, Pending>,
}

/// Which kind a burst shows: being handed a conversation beats a new one beats a message.
fn rank(k: NotificationKind) -> u8 {
    match k {
        NotificationKind::Assigned => 3,
        NotificationKind::NewConversation => 2,
        NotificationKind::NewMessage => 1,
    }
}

impl Coalescer {
    pub fn new(window: Duration, lang: Lang) -> Coalescer {
        Coalescer {
            window,
            lang,
            pending: HashMap::new(),
        }
    }

    /// Texts rendered from now on are in `lang` (the operator chose another in the app).
    pub fn set_lang(&mut self, lang: Lang) {
        self.lang = lang;
    }

    pub fn push(&mut self, now: Instant, c: Candidate) {
        let window = self.window;
        let p = self
            .pending
            .entry(c.conversation_id)
            .or_insert_with(|| Pending {
                due: now + window,
                kind: c.kind,
                count: 0,
                visitor_name: None,
                last_text: None,
            });
        p.count += 1;
        if rank(c.kind) > rank(p.kind) {
            p.kind = c.kind;
        }
        if c.visitor_name.is_some() {
            p.visitor_name = c.visitor_name;
        }
        if c.text.is_some() {
            p.last_text = c.text;
        }
    }

    /// When the next notification is due.
    pub fn next_due(&self) -> Option<Instant> {
        self.pending.values().map(|p| p.due).min()
    }

    /// The notifications whose window has passed.
    pub fn take_due(&mut self, now: Instant) -> Vec<Notification> {
        let due: Vec<Uuid> = self
            .pending
            .iter()
            .filter(|(_, p)| p.due <= now)
            .map(|(id, _)| *id)
            .collect();
        let mut out: Vec<(Instant, Notification)> = due
            .into_iter()
            .filter_map(|id| {
                self.pending
                    .remove(&id)
                    .map(|p| (p.due, render(self.lang, id, &p)))
            })
            .collect();
        out.sort_by_key(|(due, _)| *due);
        out.into_iter().map(|(_, n)| n).collect()
    }
}

fn shorten(s: &str, max: usize) -> String {
    let line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= max {
        line
    } else {
        let mut t: String = line.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

fn render(lang: Lang, id: Uuid, p: &Pending) -> Notification {
    let name = p.visitor_name.clone().unwrap_or_else(|| match lang {
        Lang::En => "A visitor".into(),
        Lang::De => "Ein Besucher".into(),
    });
    let text = p.last_text.as_deref().map(|t| shorten(t, 200));
    let (title, body) = match (p.kind, lang) {
        (NotificationKind::NewConversation, Lang::En) => (
            "New conversation".to_owned(),
            format!("{name} is waiting in Unassigned."),
        ),
        (NotificationKind::NewConversation, Lang::De) => (
            "Neue Unterhaltung".to_owned(),
            format!("{name} wartet in „Nicht zugewiesen“."),
        ),
        (NotificationKind::Assigned, Lang::En) => (
            "Assigned to you".to_owned(),
            match &p.visitor_name {
                Some(n) => format!("The conversation with {n} is yours now."),
                None => "A conversation is yours now.".to_owned(),
            },
        ),
        (NotificationKind::Assigned, Lang::De) => (
            "Ihnen zugewiesen".to_owned(),
            match &p.visitor_name {
                Some(n) => format!("Die Unterhaltung mit {n} gehört jetzt Ihnen."),
                None => "Eine Unterhaltung gehört jetzt Ihnen.".to_owned(),
            },
        ),
        (NotificationKind::NewMessage, lang) => {
            let text = text.unwrap_or_default();
            let body = match (p.count, lang) {
                (1, _) => text,
                (n, Lang::En) => format!("{n} new messages: {text}"),
                (n, Lang::De) => format!("{n} neue Nachrichten: {text}"),
            };
            (name.clone(), body)
        }
    };
    Notification {
        conversation_id: id,
        kind: p.kind,
        title,
        body,
        count: p.count,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use frontdesk_protocol::MessageView;

    fn row(id: Uuid, folder: Option<Folder>, assignee: Option<Uuid>) -> ConversationView {
        ConversationView {
            id,
            visitor_id: Uuid::nil(),
            visitor_name: Some("Lena".into()),
            state: "waiting".into(),
            folder,
            assignee_id: assignee,
            handled_by: assignee,
            handled_by_name: None,
            display_name: "Bot".into(),
            wait_deadline: None,
            created_at: 0,
            updated_at: 0,
            closed_at: None,
            message_count: 1,
            last_message_at: None,
            preview: None,
            last_author: None,
            qualified: None,
            playbook_id: None,
        }
    }

    fn message(conv: Uuid, author: AuthorKind) -> MessageView {
        MessageView {
            id: Uuid::now_v7(),
            conversation_id: conv,
            seq: 2,
            author,
            author_id: None,
            author_name: "Lena".into(),
            body: "Hallo, gibt es ein Angebot?".into(),
            created_at: 0,
        }
    }

    #[test]
    fn the_three_cases_and_nothing_else() {
        let me = Uuid::now_v7();
        let other = ActorView::operator(Uuid::now_v7(), "Bob");
        let visitor = ActorView::visitor(Uuid::now_v7(), None);
        let id = Uuid::now_v7();
        let upsert = |c| EventBody::ConversationUpsert { conversation: c };

        // (a) enters Unassigned — once, not again while it stays there.
        let unassigned = row(id, Some(Folder::Unassigned), None);
        let a = decide(&upsert(unassigned.clone()), &visitor, None, me).unwrap();
        assert_eq!(a.kind, NotificationKind::NewConversation);
        assert!(decide(&upsert(unassigned.clone()), &visitor, Some(&unassigned), me).is_none());

        // (c) assigned to me by someone else, but not by me.
        let mine = row(id, Some(Folder::Mine), Some(me));
        let c = decide(&upsert(mine.clone()), &other, Some(&unassigned), me).unwrap();
        assert_eq!(c.kind, NotificationKind::Assigned);
        let by_me = ActorView::operator(me, "Ann");
        assert!(decide(&upsert(mine.clone()), &by_me, Some(&unassigned), me).is_none());

        // (b) the visitor writes in my conversation; my own messages and others' chats do not count.
        let msg = |author| EventBody::Message {
            message: message(id, author),
            conversation: mine.clone(),
        };
        let b = decide(&msg(AuthorKind::Visitor), &visitor, Some(&mine), me).unwrap();
        assert_eq!(b.kind, NotificationKind::NewMessage);
        assert_eq!(b.text.as_deref(), Some("Hallo, gibt es ein Angebot?"));
        assert!(decide(&msg(AuthorKind::Operator), &by_me, Some(&mine), me).is_none());
        let theirs = row(id, Some(Folder::Mine), Some(Uuid::now_v7()));
        let their_msg = EventBody::Message {
            message: message(id, AuthorKind::Visitor),
            conversation: theirs.clone(),
        };
        assert!(decide(&their_msg, &visitor, Some(&theirs), me).is_none());
        assert!(decide(
            &EventBody::ConversationRemoved {
                conversation_id: id
            },
            &other,
            Some(&mine),
            me
        )
        .is_none());
    }

    #[test]
    fn bursts_per_conversation_become_one_notification() {
        let t0 = Instant::now();
        let window = Duration::from_millis(1500);
        let mut co = Coalescer::new(window, Lang::En);
        let (x, y) = (Uuid::now_v7(), Uuid::now_v7());
        let msg = |id, text: &str| Candidate {
            conversation_id: id,
            kind: NotificationKind::NewMessage,
            visitor_name: Some("Lena".into()),
            text: Some(text.into()),
        };
        co.push(t0, msg(x, "one"));
        co.push(t0 + Duration::from_millis(500), msg(x, "two"));
        co.push(t0 + Duration::from_millis(900), msg(y, "other"));
        co.push(t0 + Duration::from_millis(1000), msg(x, "three"));
        assert!(co.take_due(t0 + Duration::from_millis(1499)).is_empty());
        assert_eq!(co.next_due(), Some(t0 + window));
        let due = co.take_due(t0 + window);
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].conversation_id, x);
        assert_eq!(due[0].count, 3);
        assert_eq!(due[0].title, "Lena");
        assert_eq!(due[0].body, "3 new messages: three");
        let due = co.take_due(t0 + Duration::from_millis(2400));
        assert_eq!(due.len(), 1);
        assert_eq!((due[0].conversation_id, due[0].count), (y, 1));
        assert_eq!(due[0].body, "other");
        assert!(co.next_due().is_none());
    }

    #[test]
    fn texts_in_german_and_the_strongest_kind_wins() {
        let t0 = Instant::now();
        let mut co = Coalescer::new(Duration::from_secs(1), Lang::De);
        let id = Uuid::now_v7();
        co.push(
            t0,
            Candidate {
                conversation_id: id,
                kind: NotificationKind::NewConversation,
                visitor_name: None,
                text: None,
            },
        );
        co.push(
            t0,
            Candidate {
                conversation_id: id,
                kind: NotificationKind::Assigned,
                visitor_name: None,
                text: None,
            },
        );
        let n = co.take_due(t0 + Duration::from_secs(1)).remove(0);
        assert_eq!(n.kind, NotificationKind::Assigned);
        assert_eq!(n.title, "Ihnen zugewiesen");
        assert_eq!(n.body, "Eine Unterhaltung gehört jetzt Ihnen.");
        assert_eq!(Lang::from_tag("de_AT.UTF-8"), Lang::De);
        assert_eq!(Lang::from_tag("en-GB"), Lang::En);
    }
}
