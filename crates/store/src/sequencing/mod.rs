//! The product's write sequencing, shared by every backend: what a visitor's request, an
//! operator's command or the bot's step writes, in which order, and which events it emits.
//!
//! Each function runs inside one open transaction of a backend, reached through [`WriteTx`]:
//! it loads the state, asks `frontdesk_core` what happens (the lifecycle, and the playbook
//! engine for the bot's part), and persists the result and its events. A backend only says
//! *how* a row is read or written; *what* is written, and the order of the events, is here.
//!
//! - [`lifecycle`]: lifecycle commands, messages, events, handing chats back.
//! - [`bot`]: the visitor's playbook: start, answers, "talk to a person", the bot's steps.
//! - [`crm`]: sales records: editable details, created results (also the bot's follow-up
//!   cards'), the push queue's progress, the audit trail.
//!
//! A step may lead to another (a bot reaching its livechat card requests a person; a chat
//! entering offline mode runs the bot on under that card): [`lifecycle::settle`] runs such
//! chains as a loop rather than by recursion, so the futures stay plain (and `Send` where
//! the backend's are).

pub(crate) mod bot;
pub(crate) mod crm;
pub(crate) mod lifecycle;

use crate::*;
use crm::{AuditRow, NewResultRow, PersonRow, StoredSales};
use frontdesk_core::playbook::Playbook;
use frontdesk_core::MessageId;
use frontdesk_protocol::{CreatedResultView, FieldValue, Prompt, ResultKind, SyncView};

/// The actor of events whose request names none: the server itself.
pub(crate) const SYSTEM_ACTOR: &str = r#"{"kind":"system","id":null,"name":null}"#;

/// One backend's open write transaction, as the sequencing uses it. Every method acts inside
/// that transaction; nothing is visible to others before it commits.
pub(crate) trait WriteTx {
    /// Who causes the events appended from now on (a serialized [`ActorView`]).
    fn set_actor(&mut self, actor: String);
    /// The current actor (to restore it after acting as someone else, e.g. the bot).
    fn actor(&self) -> &str;

    /// The conversation, held against other writers until the transaction ends (two nodes
    /// assigning the same chat: the second one reads the first one's result).
    async fn conversation(&mut self, id: ConversationId) -> StoreResult<ConversationRecord>;
    /// The visitor's conversation that is not closed, held like [`WriteTx::conversation`].
    async fn open_conversation_of(
        &mut self,
        visitor: VisitorId,
    ) -> StoreResult<Option<ConversationRecord>>;
    async fn visitor(&mut self, id: VisitorId) -> StoreResult<VisitorRecord>;
    /// A playbook's current version.
    async fn playbook(&mut self, id: uuid::Uuid) -> StoreResult<PlaybookRecord>;
    /// The definition of one saved version (what a running conversation uses).
    async fn playbook_version(&mut self, id: uuid::Uuid, version: i64) -> StoreResult<Playbook>;

    /// Inserts a conversation in the bot state.
    async fn insert_conversation(&mut self, c: &NewConversation) -> StoreResult<()>;
    /// Stores `c`'s lifecycle columns: state, assignee, wait deadline, display name,
    /// `updated_at`, who handled it and when it closed.
    async fn update_lifecycle(&mut self, c: &ConversationRecord) -> StoreResult<()>;
    /// Where the bot stands: the card it waits at (or handed over at), and the verdict once
    /// it has one (`None` keeps the stored one).
    async fn update_bot_progress(
        &mut self,
        id: ConversationId,
        bot_card: Option<&str>,
        qualified: Option<bool>,
        now: Millis,
    ) -> StoreResult<()>;

    /// A stored message by its id (ids are the senders' idempotency keys).
    async fn message(&mut self, id: MessageId) -> StoreResult<Option<MessageView>>;
    /// Inserts `m` and stores the inbox row of `conversation` (count, last message's time,
    /// preview and author, `updated_at`) as it is after `m`.
    async fn insert_message(
        &mut self,
        m: &MessageView,
        conversation: &ConversationRecord,
    ) -> StoreResult<()>;

    /// Sets a captured field (the last value wins).
    async fn upsert_field(
        &mut self,
        id: ConversationId,
        key: &str,
        value: &str,
        now: Millis,
    ) -> StoreResult<()>;
    async fn fields(&mut self, id: ConversationId) -> StoreResult<Vec<FieldValue>>;
    async fn set_visitor_name(&mut self, visitor: VisitorId, name: &str) -> StoreResult<()>;
    /// The page the conversation started on.
    async fn page_url(&mut self, id: ConversationId) -> StoreResult<Option<String>>;
    /// Where the visitor converted (B7): only the first such page is kept.
    async fn mark_converted(&mut self, id: ConversationId, page: Option<&str>) -> StoreResult<()>;
    async fn insert_follow_up(&mut self, f: &NewFollowUp) -> StoreResult<()>;

    /// The conversations assigned to `operator`, oldest first.
    async fn assigned_to(&mut self, operator: OperatorId) -> StoreResult<Vec<ConversationId>>;

    /// Appends an event to the stream, caused by the current actor. The backend gives it its
    /// `seq` so that seq order is commit order (see `ARCHITECTURE.md`, "Event order").
    async fn append_event(&mut self, e: NewEvent) -> StoreResult<()>;

    // Sales records (`crm`).
    /// The conversation's details as last edited, if someone edited them.
    async fn stored_sales(&mut self, id: ConversationId) -> StoreResult<Option<StoredSales>>;
    async fn save_sales(&mut self, id: ConversationId, sales: &StoredSales) -> StoreResult<()>;
    /// The result an idempotency key created: its id, conversation and kind.
    async fn result_by_key(
        &mut self,
        key: uuid::Uuid,
    ) -> StoreResult<Option<(uuid::Uuid, ConversationId, ResultKind)>>;
    /// A created result, held against other writers like [`WriteTx::conversation`].
    async fn result(&mut self, id: uuid::Uuid) -> StoreResult<CreatedResultView>;
    async fn insert_result(&mut self, r: &NewResultRow) -> StoreResult<()>;
    /// Stores a result's sync columns (status, url, error, attempts, next attempt).
    async fn set_sync(&mut self, id: uuid::Uuid, sync: &SyncView) -> StoreResult<()>;
    /// Stores the remote item's and / or note's id; whether the result exists.
    async fn set_result_remote(
        &mut self,
        id: uuid::Uuid,
        item: Option<&str>,
        note: Option<i64>,
    ) -> StoreResult<bool>;
    async fn insert_note(
        &mut self,
        result: uuid::Uuid,
        content: &str,
        now: Millis,
    ) -> StoreResult<()>;
    /// The conversation's transcript, oldest first.
    async fn messages(&mut self, id: ConversationId) -> StoreResult<Vec<MessageView>>;
    /// The page where the conversation converted (B7), if it did.
    async fn converted_url(&mut self, id: ConversationId) -> StoreResult<Option<String>>;
    async fn meta(&mut self, key: &str) -> StoreResult<Option<String>>;
    /// The person an email (its [`frontdesk_core::crm::email_key`]) belongs to.
    async fn person_by_email(&mut self, email_key: &str) -> StoreResult<Option<uuid::Uuid>>;
    /// The first person created for a visitor.
    async fn person_of_visitor(&mut self, visitor: VisitorId) -> StoreResult<Option<uuid::Uuid>>;
    async fn person(&mut self, id: uuid::Uuid) -> StoreResult<PersonRow>;
    async fn insert_person(&mut self, p: &PersonRow, now: Millis) -> StoreResult<()>;
    async fn update_person(&mut self, p: &PersonRow, now: Millis) -> StoreResult<()>;
    /// Gives the email to `person`. When another person has it: with `keep_existing` nothing
    /// happens, without it the statement fails (on PostgreSQL the transaction runs again).
    async fn insert_person_email(
        &mut self,
        email_key: &str,
        person: uuid::Uuid,
        keep_existing: bool,
    ) -> StoreResult<()>;
    async fn organization_by_key(&mut self, name_key: &str) -> StoreResult<Option<uuid::Uuid>>;
    async fn insert_organization(
        &mut self,
        id: uuid::Uuid,
        name: &str,
        name_key: &str,
        address: Option<&str>,
        now: Millis,
    ) -> StoreResult<()>;
    /// Sets the organization's address if it has none.
    async fn fill_organization_address(&mut self, id: uuid::Uuid, address: &str)
        -> StoreResult<()>;
    /// Whether the person exists.
    async fn set_person_remote(&mut self, id: uuid::Uuid, remote_id: i64) -> StoreResult<bool>;
    /// Whether the organization exists.
    async fn set_organization_remote(
        &mut self,
        id: uuid::Uuid,
        remote_id: i64,
    ) -> StoreResult<bool>;
    /// Appends a line to the conversation's audit trail, by the current actor.
    async fn insert_audit(&mut self, a: &AuditRow<'_>) -> StoreResult<()>;
}

/// A conversation to create, in the bot state.
#[derive(Clone, Debug)]
pub(crate) struct NewConversation {
    pub id: ConversationId,
    pub visitor_id: VisitorId,
    pub display_name: String,
    pub playbook: Option<(uuid::Uuid, i64)>,
    pub language: frontdesk_core::Language,
    pub page_url: Option<String>,
    pub referrer: Option<String>,
    pub now: Millis,
}

/// A follow-up the bot created (a CRM activity, lead or deal to push later).
#[derive(Clone, Debug)]
pub(crate) struct NewFollowUp {
    pub id: uuid::Uuid,
    pub conversation_id: ConversationId,
    pub kind: &'static str,
    pub title: String,
    /// JSON array of the captured fields when it was created.
    pub fields: String,
    pub page_url: Option<String>,
    pub now: Millis,
    /// The lead, deal or activity it created.
    pub result_id: Option<uuid::Uuid>,
}

/// An event before it has its `seq`.
#[derive(Clone, Debug)]
pub(crate) struct NewEvent {
    pub conversation_id: ConversationId,
    pub operators: OperatorAudience,
    pub visitor: Option<VisitorId>,
    pub at: Millis,
    /// The serialized [`frontdesk_protocol::EventBody`].
    pub payload: String,
}

impl NewEvent {
    /// `op_audience` as stored: `'*'` (every operator), an operator id, or NULL.
    pub fn op_audience(&self) -> Option<String> {
        match self.operators {
            OperatorAudience::Nobody => None,
            OperatorAudience::All => Some("*".to_owned()),
            OperatorAudience::One(op) => Some(op.to_string()),
        }
    }

    /// The committed event, with its `seq` and actor.
    pub fn stored(self, seq: i64, actor: String) -> StoredEvent {
        StoredEvent {
            seq,
            conversation_id: self.conversation_id,
            operators: self.operators,
            visitor: self.visitor,
            at: self.at,
            actor,
            payload: self.payload,
        }
    }
}

/// The serialized form of an actor, as event rows store it.
pub(crate) fn actor_json(a: &ActorView) -> String {
    serde_json::to_string(a).unwrap_or_else(|_| SYSTEM_ACTOR.to_owned())
}

/// The bot's open question in `conversation`, if it waits for an answer.
pub(crate) fn prompt(conversation: &ConversationRecord, pb: &Playbook) -> Option<Prompt> {
    if !waits_for_answer(conversation) {
        return None;
    }
    let card = conversation.bot_card.as_deref()?;
    pb.prompt(card).map(|p| Prompt::from_spec(card, p))
}

/// Whether the bot may be waiting at a card (with the bot, or in offline mode).
pub(crate) fn waits_for_answer(conversation: &ConversationRecord) -> bool {
    matches!(
        conversation.state,
        ConversationState::Bot | ConversationState::Offline
    )
}
