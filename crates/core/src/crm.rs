//! Sales records (S12–S14, B7, B10): who may edit a conversation's details and create leads
//! and deals from it, the details a conversation starts with, checks on what an operator
//! types, the default pipeline, and spreadsheet-safe cells for exports. Pure, like the rest
//! of core.
//!
//! Who may act on a conversation's sales details (edit them, create a lead or deal, retry a
//! push):
//! - assigned: its assignee (for everyone else it is invisible);
//! - waiting in Unassigned: nobody until someone assigns it to themself;
//! - offline mode: any operator (nobody can be assigned; it is everybody's);
//! - closed (S14): the operator who handled it last, and admins. Leads and deals can still be
//!   created; the chat itself stays final;
//! - still with the bot: nobody (it is not visible).

use crate::{ConversationState, OperatorId, Rejection, Role};

/// The stages of the default pipeline; a new deal enters the first.
pub const DEFAULT_PIPELINE: &str = "Default";
pub const DEFAULT_STAGES: [&str; 4] = [
    "Qualified",
    "Contact made",
    "Proposal made",
    "Negotiations started",
];

/// Longest operator notes, in characters.
pub const MAX_NOTES_CHARS: usize = 10_000;
/// Longest name, title, address or email, in characters.
pub const MAX_TEXT_CHARS: usize = 200;
/// At most this many emails or phones per contact.
pub const MAX_CONTACT_VALUES: usize = 10;

/// What to tell an operator who may not act on a closed conversation's sales details.
pub const NOT_HANDLER_MESSAGE: &str = "This conversation is closed; only the operator who handled it last, or an admin, can change its details or create results from it.";
/// What to tell an operator who tries before assigning the conversation to themself.
pub const NOT_ASSIGNED_MESSAGE: &str =
    "Assign the conversation to yourself before editing its details or creating results.";

/// Why an operator may not act on a conversation's sales details.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Denied {
    /// A lifecycle rule says no (not visible, not assigned yet).
    Rejected(Rejection),
    /// Closed, and the operator neither handled it last nor is an admin.
    NotHandler,
}

/// Whether `operator` (with `role`) may edit the details of a conversation in `state` that
/// `handled_by` handled last, or create results from it.
pub fn may_edit_details(
    state: &ConversationState,
    handled_by: Option<OperatorId>,
    operator: OperatorId,
    role: Role,
) -> Result<(), Denied> {
    match state {
        ConversationState::Bot => Err(Denied::Rejected(Rejection::NotVisible)),
        ConversationState::Assigned { operator: a } if *a == operator => Ok(()),
        ConversationState::Assigned { .. } => Err(Denied::Rejected(Rejection::NotVisible)),
        ConversationState::Waiting { .. } => Err(Denied::Rejected(Rejection::NotAssigned)),
        ConversationState::Offline => Ok(()),
        ConversationState::Closed => {
            if handled_by == Some(operator) || role == Role::Admin {
                Ok(())
            } else {
                Err(Denied::NotHandler)
            }
        }
    }
}

/// The details an operator edits (S12). Until the first edit they are what the playbook
/// captured ([`captured_details`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SalesDetails {
    /// Deal value in whole units of `currency`.
    pub value: Option<i64>,
    /// ISO 4217 code, upper case.
    pub currency: Option<String>,
    pub contact_name: Option<String>,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub organization_name: Option<String>,
    pub organization_address: Option<String>,
    pub notes: Option<String>,
}

/// The details a conversation starts with, from the captured fields (`name`, `email`,
/// `phone`, `organization`).
pub fn captured_details<'a>(fields: impl IntoIterator<Item = (&'a str, &'a str)>) -> SalesDetails {
    let mut d = SalesDetails::default();
    for (key, value) in fields {
        let v = value.trim();
        if v.is_empty() {
            continue;
        }
        match key {
            "name" => d.contact_name = Some(v.to_owned()),
            "email" => d.emails = vec![v.to_owned()],
            "phone" => d.phones = vec![v.to_owned()],
            "organization" => d.organization_name = Some(v.to_owned()),
            _ => {}
        }
    }
    d
}

/// A problem with what an operator typed: the field and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    pub field: &'static str,
    pub message: String,
    /// Too long (rather than malformed).
    pub too_long: bool,
}

impl Invalid {
    /// The error code clients see: `text_too_long` or `invalid_details`.
    pub fn code(&self) -> &'static str {
        if self.too_long {
            "text_too_long"
        } else {
            "invalid_details"
        }
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> Invalid {
    Invalid {
        field,
        message: message.into(),
        too_long: false,
    }
}

fn check_text(field: &'static str, v: &str, max: usize) -> Result<(), Invalid> {
    let n = v.chars().count();
    if n > max {
        return Err(Invalid {
            field,
            message: format!("{field} has {n} characters; the limit is {max}."),
            too_long: true,
        });
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(invalid(
            field,
            format!("{field} contains control characters."),
        ));
    }
    Ok(())
}

/// Trims every text, drops empty ones, and checks lengths, the currency code, emails and the
/// value. The result is what is stored.
pub fn normalize(mut d: SalesDetails) -> Result<SalesDetails, Invalid> {
    fn opt(v: Option<String>) -> Option<String> {
        v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
    }
    d.currency = opt(d.currency).map(|c| c.to_ascii_uppercase());
    d.contact_name = opt(d.contact_name);
    d.organization_name = opt(d.organization_name);
    d.organization_address = opt(d.organization_address);
    d.notes = d.notes.filter(|n| !n.trim().is_empty());
    d.emails = d
        .emails
        .into_iter()
        .map(|e| e.trim().to_owned())
        .filter(|e| !e.is_empty())
        .collect();
    d.phones = d
        .phones
        .into_iter()
        .map(|e| e.trim().to_owned())
        .filter(|e| !e.is_empty())
        .collect();
    if let Some(v) = d.value {
        if !(0..=1_000_000_000_000).contains(&v) {
            return Err(invalid(
                "value",
                "value must be between 0 and 1,000,000,000,000.",
            ));
        }
    }
    if let Some(c) = &d.currency {
        if c.len() != 3 || !c.chars().all(|ch| ch.is_ascii_uppercase()) {
            return Err(invalid(
                "currency",
                "currency must be a three-letter ISO 4217 code such as EUR or USD.",
            ));
        }
    }
    if d.value.is_some() && d.currency.is_none() {
        return Err(invalid("currency", "a value needs a currency."));
    }
    for (field, v) in [
        ("contact.name", &d.contact_name),
        ("organization.name", &d.organization_name),
        ("organization.address", &d.organization_address),
    ] {
        if let Some(v) = v {
            check_text(field, v, MAX_TEXT_CHARS)?;
        }
    }
    if let Some(n) = &d.notes {
        check_text("notes", n, MAX_NOTES_CHARS)?;
    }
    if d.emails.len() > MAX_CONTACT_VALUES || d.phones.len() > MAX_CONTACT_VALUES {
        return Err(invalid(
            "contact",
            format!("at most {MAX_CONTACT_VALUES} emails and {MAX_CONTACT_VALUES} phones."),
        ));
    }
    for e in &d.emails {
        check_text("contact.emails", e, MAX_TEXT_CHARS)?;
        let ok = e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        }) && !e.contains(char::is_whitespace);
        if !ok {
            return Err(invalid(
                "contact.emails",
                format!("{e:?} is not an email address."),
            ));
        }
    }
    for p in &d.phones {
        check_text("contact.phones", p, 40)?;
    }
    Ok(d)
}

/// The names of the fields that differ between two versions (for the audit trail).
pub fn changed_fields(before: &SalesDetails, after: &SalesDetails) -> Vec<&'static str> {
    let mut out = Vec::new();
    if before.value != after.value {
        out.push("value");
    }
    if before.currency != after.currency {
        out.push("currency");
    }
    if before.contact_name != after.contact_name
        || before.emails != after.emails
        || before.phones != after.phones
    {
        out.push("contact");
    }
    if before.organization_name != after.organization_name
        || before.organization_address != after.organization_address
    {
        out.push("organization");
    }
    if before.notes != after.notes {
        out.push("notes");
    }
    out
}

/// The key under which an email finds its person (returning visitors, B7).
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// The key under which an organization's name finds it.
pub fn organization_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// A CSV cell that a spreadsheet shows as text: quoted, quotes doubled, and a value that a
/// spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab, carriage return) prefixed with
/// an apostrophe (OWASP "CSV injection").
pub fn csv_cell(value: &str) -> String {
    let guarded = match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_owned(),
    };
    format!("\"{}\"", guarded.replace('"', "\"\""))
}

/// One CSV line (CRLF-terminated, RFC 4180) of spreadsheet-safe cells.
pub fn csv_line<S: AsRef<str>>(cells: impl IntoIterator<Item = S>) -> String {
    let mut line = cells
        .into_iter()
        .map(|c| csv_cell(c.as_ref()))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

/// Escapes text for an HTML document (Pipedrive notes are HTML): visitor text stays text.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op() -> OperatorId {
        OperatorId::new()
    }

    #[test]
    fn only_the_assignee_edits_an_open_chat_and_the_handler_or_an_admin_a_closed_one() {
        let (ann, bob) = (op(), op());
        let assigned = ConversationState::Assigned { operator: ann };
        assert_eq!(
            may_edit_details(&assigned, Some(ann), ann, Role::Operator),
            Ok(())
        );
        assert_eq!(
            may_edit_details(&assigned, Some(ann), bob, Role::Admin),
            Err(Denied::Rejected(Rejection::NotVisible))
        );
        let waiting = ConversationState::Waiting { deadline: 1 };
        assert_eq!(
            may_edit_details(&waiting, None, ann, Role::Operator),
            Err(Denied::Rejected(Rejection::NotAssigned))
        );
        assert_eq!(
            may_edit_details(&ConversationState::Offline, None, bob, Role::Operator),
            Ok(())
        );
        let closed = ConversationState::Closed;
        assert_eq!(
            may_edit_details(&closed, Some(ann), ann, Role::Operator),
            Ok(())
        );
        assert_eq!(
            may_edit_details(&closed, Some(ann), bob, Role::Operator),
            Err(Denied::NotHandler)
        );
        assert_eq!(
            may_edit_details(&closed, Some(ann), bob, Role::Admin),
            Ok(())
        );
        assert_eq!(
            may_edit_details(&ConversationState::Bot, None, ann, Role::Admin),
            Err(Denied::Rejected(Rejection::NotVisible))
        );
    }

    #[test]
    fn details_start_from_the_captured_fields() {
        let d = captured_details([
            ("name", "Ada"),
            ("email", "ada@example.com"),
            ("organization", " Engines "),
            ("custom.size", "50"),
        ]);
        assert_eq!(d.contact_name.as_deref(), Some("Ada"));
        assert_eq!(d.emails, vec!["ada@example.com"]);
        assert_eq!(d.organization_name.as_deref(), Some("Engines"));
        assert!(d.phones.is_empty() && d.value.is_none());
    }

    #[test]
    fn normalize_checks_currency_value_emails_and_lengths() {
        let ok = normalize(SalesDetails {
            value: Some(5000),
            currency: Some(" eur ".into()),
            emails: vec![" a@b.io ".into(), "".into()],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(ok.currency.as_deref(), Some("EUR"));
        assert_eq!(ok.emails, vec!["a@b.io"]);
        for bad in [
            SalesDetails {
                value: Some(1),
                ..Default::default()
            },
            SalesDetails {
                currency: Some("EURO".into()),
                ..Default::default()
            },
            SalesDetails {
                value: Some(-1),
                currency: Some("EUR".into()),
                ..Default::default()
            },
            SalesDetails {
                emails: vec!["nope".into()],
                ..Default::default()
            },
        ] {
            assert!(normalize(bad.clone()).is_err(), "{bad:?}");
        }
        let long = normalize(SalesDetails {
            notes: Some("x".repeat(MAX_NOTES_CHARS + 1)),
            ..Default::default()
        })
        .unwrap_err();
        assert!(long.too_long);
    }

    #[test]
    fn changed_fields_name_what_changed() {
        let a = SalesDetails::default();
        let b = SalesDetails {
            notes: Some("n".into()),
            emails: vec!["a@b.io".into()],
            ..Default::default()
        };
        assert_eq!(changed_fields(&a, &b), vec!["contact", "notes"]);
        assert!(changed_fields(&b, &b).is_empty());
    }

    #[test]
    fn csv_cells_cannot_become_formulas() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("+1 555"), "\"'+1 555\"");
        assert_eq!(csv_cell("-2"), "\"'-2\"");
        assert_eq!(csv_cell("@SUM(A1)"), "\"'@SUM(A1)\"");
        assert_eq!(csv_cell("\tx"), "\"'\tx\"");
        assert_eq!(csv_cell("Ada, \"the\" first"), "\"Ada, \"\"the\"\" first\"");
        assert_eq!(csv_line(["a", "b"]), "\"a\",\"b\"\r\n");
    }

    #[test]
    fn keys_and_html() {
        assert_eq!(email_key(" Ada@Example.COM "), "ada@example.com");
        assert_eq!(
            organization_key("  Analytical   Engines "),
            "analytical engines"
        );
        assert_eq!(
            html_escape("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
    }
}
