//! frontdesk-store: the server's persistence, behind the [`Store`] trait.
//!
//! - [`sqlite`]: the embedded default. One writer thread owns the only write connection and
//!   commits in groups (many requests, one fsync); readers use a small pool of read-only
//!   connections (WAL lets them run beside the writer).
//! - [`postgres`]: for several server nodes on one database. Each request is one
//!   transaction; events are numbered at commit from a counter row (commit order = seq
//!   order) and published by a tail that reads them back in seq order on every node.
//! - `sequencing` (crate-private): what each conversation write does — the lifecycle, the
//!   bot's steps, the handoff and the events — written once over the `WriteTx` transaction
//!   trait that each backend implements. A backend owns its SQL and its transactions, never
//!   the product's order of writes.
//!
//! Invariants every backend keeps:
//! - A write is acknowledged (its future resolves `Ok`) only after its transaction committed.
//! - The conversation rules come from `frontdesk-core`; the store only persists what
//!   [`frontdesk_core::apply`] decided, inside the same transaction that read the state.
//! - Events get gap-free, strictly increasing `seq` in commit order, and are handed to the
//!   [`EventListener`] after commit, in `seq` order.
//! - Nothing here panics on bad input: unknown ids are `NotFound`, rule violations `Rejected`.

use async_trait::async_trait;
use frontdesk_core::{
    ConversationId, ConversationState, Millis, OperatorAudience, OperatorId, Rejection, Role,
    VisitorId,
};
use frontdesk_protocol::{ActorView, AuthorKind, ConversationView, MessageView};
use std::sync::Arc;

mod columns;
pub mod postgres;
mod sequencing;
pub mod sqlite;
#[cfg(feature = "test-support")]
pub mod testing;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// Errors of every store operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// A unique value is taken (an email, a message id used for another message).
    #[error("{0}")]
    Conflict(&'static str),
    /// The database failed; the operation did not happen.
    #[error("storage error: {0}")]
    Storage(String),
    /// The caller sees the conversation but may not do this (e.g. edit a closed conversation
    /// someone else handled).
    #[error("{0}")]
    Forbidden(&'static str),
    /// The visitor's answer is not valid; the message says why, in the playbook's language.
    #[error("{0}")]
    InvalidAnswer(String),
    /// The answer is for a card the bot is no longer waiting at.
    #[error("the bot is not waiting for an answer to this card")]
    StaleCard,
    /// The record changed since the caller read it: this is its current version.
    #[error("changed meanwhile: now at version {0}")]
    StaleVersion(i64),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The optimistic version check of a save (both backends): the caller's base version must
/// still be the current one.
pub(crate) fn check_base_version(current: i64, base: Option<i64>) -> StoreResult<()> {
    match base {
        Some(base) if base != current => Err(StoreError::StaleVersion(current)),
        _ => Ok(()),
    }
}

/// An operator account as stored.
#[derive(Clone, Debug)]
pub struct OperatorRecord {
    pub id: OperatorId,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub disabled: bool,
    pub password_hash: String,
    /// The operator's presence choice (per operator, kept across restarts).
    pub chose_online: bool,
}

/// Who a bearer token belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    Operator { id: OperatorId, role: Role },
    Visitor { id: VisitorId },
}

/// A bearer token's session, as found by its hash.
#[derive(Clone, Debug)]
pub struct SessionRecord {
    /// The session's public id (devices list).
    pub id: uuid::Uuid,
    pub subject: Subject,
    pub expires_at: Millis,
    pub last_used_at: Millis,
    /// The operator's display name, or the visitor's name if they gave one.
    pub name: Option<String>,
}

/// A conversation as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConversationRecord {
    pub id: ConversationId,
    pub visitor_id: VisitorId,
    pub visitor_name: Option<String>,
    pub state: ConversationState,
    pub display_name: String,
    pub created_at: Millis,
    pub updated_at: Millis,
    /// The playbook and version the conversation runs, if any.
    pub playbook: Option<(uuid::Uuid, i64)>,
    /// The card the bot waits at, or the livechat card it handed over at.
    pub bot_card: Option<String>,
    pub qualified: Option<bool>,
    pub language: frontdesk_core::Language,
    /// The operator who handled it last, and their name then.
    pub handled_by: Option<(OperatorId, String)>,
    pub closed_at: Option<Millis>,
    pub message_count: i64,
    pub last_message_at: Option<Millis>,
    pub preview: Option<String>,
    pub last_author: Option<AuthorKind>,
}

impl ConversationRecord {
    pub fn view(&self) -> ConversationView {
        ConversationView {
            id: self.id.0,
            visitor_id: self.visitor_id.0,
            visitor_name: self.visitor_name.clone(),
            state: self.state.name().to_owned(),
            folder: frontdesk_core::folder_of(&self.state).map(Into::into),
            assignee_id: self.state.assignee().map(|o| o.0),
            handled_by: self.handled_by.as_ref().map(|(o, _)| o.0),
            handled_by_name: self.handled_by.as_ref().map(|(_, n)| n.clone()),
            display_name: self.display_name.clone(),
            wait_deadline: match self.state {
                ConversationState::Waiting { deadline } => Some(deadline),
                _ => None,
            },
            created_at: self.created_at,
            updated_at: self.updated_at,
            closed_at: self.closed_at,
            message_count: self.message_count,
            last_message_at: self.last_message_at,
            preview: self.preview.clone(),
            last_author: self.last_author,
            qualified: self.qualified,
            playbook_id: self.playbook.map(|p| p.0),
        }
    }
}

/// A playbook's current version.
#[derive(Clone, Debug)]
pub struct PlaybookRecord {
    pub id: uuid::Uuid,
    pub version: i64,
    pub active: bool,
    pub allowed_origins: Vec<String>,
    pub definition: frontdesk_core::playbook::Playbook,
    pub updated_at: Millis,
}

/// A visitor as stored.
#[derive(Clone, Debug)]
pub struct VisitorRecord {
    pub id: VisitorId,
    pub name: Option<String>,
    pub playbook_id: Option<uuid::Uuid>,
    pub language: Option<String>,
}

/// How long a chat waits in Unassigned when neither a livechat card nor the server says (S3).
pub const DEFAULT_WAIT_MS: Millis = 120_000;

/// The presence facts a bot step needs if it reaches a livechat card (S4).
#[derive(Clone, Copy, Debug)]
pub struct Handoff {
    pub anyone_online: bool,
    /// Overrides the livechat card's wait time (server flag), in ms.
    pub wait_override_ms: Option<Millis>,
}

/// One event of the realtime stream, as committed.
#[derive(Clone, Debug)]
pub struct StoredEvent {
    pub seq: i64,
    pub conversation_id: ConversationId,
    /// Which operators receive it.
    pub operators: OperatorAudience,
    /// The visitor who receives it, if any.
    pub visitor: Option<VisitorId>,
    /// Commit time (unix ms).
    pub at: Millis,
    /// The serialized [`ActorView`] of who caused it.
    pub actor: String,
    /// The serialized [`frontdesk_protocol::EventBody`].
    pub payload: String,
}

impl StoredEvent {
    /// The event as a `ServerFrame::Event` JSON text, built from the stored JSON parts
    /// without parsing them again.
    pub fn frame_json(&self) -> String {
        event_frame_json(self.seq, self.at, &self.actor, &self.payload)
    }
}

/// `{"type":"event","seq":…,"at":…,"actor":…,"event":…}` from already-serialized parts.
pub fn event_frame_json(seq: i64, at: Millis, actor: &str, payload: &str) -> String {
    format!(r#"{{"type":"event","seq":{seq},"at":{at},"actor":{actor},"event":{payload}}}"#)
}

/// An event read back for a replay.
#[derive(Clone, Debug)]
pub struct ReplayedEvent {
    pub seq: i64,
    pub at: Millis,
    pub actor: String,
    pub payload: String,
}

/// Whose stream to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamOwner {
    Operator(OperatorId),
    Visitor(VisitorId),
}

impl StoredEvent {
    pub fn is_for(&self, owner: StreamOwner) -> bool {
        match owner {
            StreamOwner::Operator(op) => self.operators.includes(op),
            StreamOwner::Visitor(v) => self.visitor == Some(v),
        }
    }
}

/// The events after a cursor, or the news that they are no longer all there.
#[derive(Clone, Debug)]
pub enum Replay {
    /// Events with `seq > since`, oldest first, at most the limit asked for.
    /// `complete` when no more events for this owner existed at the time of reading.
    Events {
        events: Vec<ReplayedEvent>,
        complete: bool,
    },
    /// The cursor is older than the oldest kept event, or newer than the newest.
    ResyncRequired { head: i64 },
}

/// Called by the store after each commit with the events it committed, in `seq` order.
pub type EventListener = Arc<dyn Fn(&[Arc<StoredEvent>]) + Send + Sync>;

/// The bot's name in conversations without a playbook.
pub const DEFAULT_BOT_NAME: &str = "Frontdesk Bot";

/// A message someone asks to add.
#[derive(Clone, Debug)]
pub struct NewMessage {
    pub id: frontdesk_core::MessageId,
    pub author: AuthorKind,
    pub author_id: Option<uuid::Uuid>,
    pub author_name: String,
    pub body: String,
}

impl NewMessage {
    /// Whether `stored` (found under this message's id) is this very message sent before: same
    /// conversation, author and text. Then a send is a retry; otherwise the id is taken.
    pub fn is_retry_of(&self, conversation: ConversationId, stored: &MessageView) -> bool {
        stored.conversation_id == conversation.0
            && stored.author == self.author
            && stored.author_id == self.author_id
            && stored.body == self.body
    }
}

/// The result of adding a message.
#[derive(Clone, Debug)]
pub struct PostedMessage {
    pub message: MessageView,
    /// The id was already stored for this sender and conversation: nothing new was written.
    pub duplicate: bool,
}

/// A page of a folder.
#[derive(Clone, Debug)]
pub struct FolderPage {
    pub conversations: Vec<ConversationRecord>,
    pub next_cursor: Option<i64>,
}

/// How a folder is read, the same on every backend: the folder rule of
/// `frontdesk_core::folder_of` as an SQL condition on `c` (with the viewer bound as the
/// placeholder given), and keyset paging on `c.num`. Unassigned is a queue (oldest first);
/// the others show the newest first.
pub(crate) struct FolderSql {
    pub filter: String,
    /// `ASC` or `DESC`.
    pub order: &'static str,
    /// How `c.num` compares with the cursor.
    pub cmp: &'static str,
    /// The cursor of the first page.
    pub start: i64,
}

impl FolderSql {
    pub(crate) fn new(folder: frontdesk_core::Folder, viewer: &str, cursor: Option<i64>) -> Self {
        use frontdesk_core::Folder;
        let (filter, ascending) = match folder {
            Folder::Unassigned => ("c.state = 'waiting'".to_owned(), true),
            Folder::Mine => (
                format!("c.state = 'assigned' AND c.assignee_id = {viewer}"),
                false,
            ),
            Folder::Offline => ("c.state = 'offline'".to_owned(), false),
            Folder::Closed => ("c.state = 'closed'".to_owned(), false),
        };
        let (order, cmp, first) = if ascending {
            ("ASC", ">", 0)
        } else {
            ("DESC", "<", i64::MAX)
        };
        FolderSql {
            filter,
            order,
            cmp,
            start: cursor.unwrap_or(first),
        }
    }
}

/// A folder page from at most `limit + 1` rows, each with its `c.num`.
pub(crate) fn folder_page(mut found: Vec<(i64, ConversationRecord)>, limit: i64) -> FolderPage {
    let next_cursor = if found.len() as i64 > limit {
        found.truncate(limit as usize);
        found.last().map(|(num, _)| *num)
    } else {
        None
    };
    FolderPage {
        conversations: found.into_iter().map(|(_, c)| c).collect(),
        next_cursor,
    }
}

/// Which conversations to list: one folder as `viewer` sees it (S8–S10, S14, offline
/// mode), optionally narrowed. The folder embeds the visibility rule for its viewer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FolderQuery {
    pub folder: frontdesk_core::Folder,
    pub viewer: OperatorId,
    pub handled_by: Option<OperatorId>,
    pub visitor: Option<VisitorId>,
    pub updated_after: Option<Millis>,
    pub updated_before: Option<Millis>,
}

impl FolderQuery {
    pub fn new(folder: frontdesk_core::Folder, viewer: OperatorId) -> Self {
        FolderQuery {
            folder,
            viewer,
            handled_by: None,
            visitor: None,
            updated_after: None,
            updated_before: None,
        }
    }
}

/// A device session of an operator, for the devices list.
#[derive(Clone, Debug)]
pub struct DeviceRecord {
    pub id: uuid::Uuid,
    pub token_hash: String,
    pub device: Option<String>,
    pub created_at: Millis,
    pub last_used_at: Millis,
    pub expires_at: Millis,
}

/// Conversations of an operator's stream that changed after a position.
#[derive(Clone, Debug)]
pub enum Changes {
    Page {
        /// Their current state (the caller filters by visibility).
        conversations: Vec<ConversationRecord>,
        /// Every change up to here is covered by `conversations`.
        position: i64,
        complete: bool,
    },
    /// The position is older than the events kept, or newer than the head.
    ResyncRequired { head: i64 },
}

/// Whether a stream position can be resumed: not older than the oldest kept event
/// (`floor`), not newer than the newest committed one (`head`).
pub(crate) fn position_is_kept(since: i64, floor: i64, head: i64) -> bool {
    since >= 0 && since >= floor && since <= head
}

/// One page of [`Changes`] from the conversations with events after a position and the
/// newest such event of each, ordered by it, at most `limit + 1` rows: the conversations of
/// the page, the position it covers, and whether it is the last page.
pub(crate) fn changes_page(
    found: &[(ConversationId, i64)],
    limit: usize,
    head: i64,
) -> (Vec<ConversationId>, i64, bool) {
    let complete = found.len() <= limit;
    let page = &found[..found.len().min(limit)];
    let position = if complete {
        head
    } else {
        page.last().map(|(_, last)| *last).unwrap_or(head)
    };
    (page.iter().map(|(id, _)| *id).collect(), position, complete)
}

/// Who edits a conversation's sales details or creates a result: an operator, or the bot
/// (a playbook's follow-up card).
#[derive(Clone, Debug)]
pub struct Editor {
    pub operator: OperatorId,
    pub role: Role,
    pub name: String,
}

/// A lead or deal an operator asks to create (S13).
#[derive(Clone, Debug)]
pub struct NewResult {
    pub kind: frontdesk_protocol::ResultKind,
    pub idempotency_key: uuid::Uuid,
    pub title: Option<String>,
}

/// When the store queues created results for a push to Pipedrive: the server sets this meta
/// key to `1` while a connection is configured (see [`Store::set_meta`]).
pub const PUSH_ENABLED_META: &str = "crm.push_enabled";

/// A person or organization as the push needs it, with its remote id once it has one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushParty {
    pub id: uuid::Uuid,
    pub name: String,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub address: Option<String>,
    pub remote_id: Option<i64>,
}

/// A created result due for a push, with everything the connector sends.
#[derive(Clone, Debug)]
pub struct PushJob {
    pub result: frontdesk_protocol::CreatedResultView,
    pub person: Option<PushParty>,
    pub organization: Option<PushParty>,
    /// The lead's UUID or the deal's / activity's number in Pipedrive, once created.
    pub remote_id: Option<String>,
    pub remote_note_id: Option<i64>,
    /// The note's text (the operator's notes and the transcript), for leads and deals.
    pub note: Option<String>,
    pub activity_type: Option<String>,
    pub due_date: Option<String>,
    pub due_time: Option<String>,
}

/// Progress of a push, stored as soon as it happens.
#[derive(Clone, Debug)]
pub enum PushUpdate {
    /// The remote person / organization exists (found or created).
    PersonRemote {
        person: uuid::Uuid,
        remote_id: i64,
    },
    OrganizationRemote {
        organization: uuid::Uuid,
        remote_id: i64,
    },
    /// The lead, deal or activity exists remotely.
    ItemRemote {
        remote_id: String,
    },
    NoteRemote {
        remote_id: i64,
    },
    /// Done: the record is in the CRM at `url`.
    Synced {
        url: String,
    },
    /// Try again at `at` (rate limit, server error, network); `attempt_failed` counts it.
    RetryAt {
        at: Millis,
        error: String,
        attempt_failed: bool,
    },
    /// Given up.
    Failed {
        error: String,
    },
}

/// One row of the CSV export of leads or deals.
#[derive(Clone, Debug)]
pub struct ExportRow {
    pub result: frontdesk_protocol::CreatedResultView,
    pub person_name: Option<String>,
    pub person_emails: Vec<String>,
    pub person_phones: Vec<String>,
    pub organization_name: Option<String>,
}

/// The server's persistence. One implementation per database; one conformance suite.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    // Operators and sessions.
    async fn count_operators(&self) -> StoreResult<u64>;
    async fn create_operator(&self, op: OperatorRecord, now: Millis) -> StoreResult<()>;
    async fn list_operators(&self) -> StoreResult<Vec<OperatorRecord>>;
    async fn operator(&self, id: OperatorId) -> StoreResult<OperatorRecord>;
    async fn operator_by_email(&self, email: &str) -> StoreResult<OperatorRecord>;
    /// Hands every conversation assigned to `operator` back to Unassigned (or offline mode
    /// when nobody is online), e.g. after their account was disabled.
    async fn release_assigned(
        &self,
        operator: OperatorId,
        handoff: Handoff,
        actor: ActorView,
        now: Millis,
    ) -> StoreResult<Vec<ConversationRecord>>;
    /// Stores the operator's presence choice.
    async fn set_presence_choice(&self, operator: OperatorId, online: bool) -> StoreResult<()>;
    /// Disables the account and deletes all of its sessions.
    async fn disable_operator(&self, id: OperatorId) -> StoreResult<OperatorRecord>;
    async fn set_password_hash(&self, id: OperatorId, hash: String) -> StoreResult<()>;
    /// Creates a session and returns its public id.
    async fn create_session(
        &self,
        token_hash: String,
        subject: Subject,
        expires_at: Millis,
        device: Option<String>,
        now: Millis,
    ) -> StoreResult<uuid::Uuid>;
    /// Records a use of the session and moves its expiry (sliding expiry).
    async fn touch_session(
        &self,
        token_hash: &str,
        now: Millis,
        expires_at: Millis,
    ) -> StoreResult<()>;
    /// The operator's device sessions, newest use first.
    async fn operator_sessions(&self, operator: OperatorId) -> StoreResult<Vec<DeviceRecord>>;
    /// Deletes one of the operator's sessions by its public id; returns its token hash.
    async fn delete_operator_session(
        &self,
        operator: OperatorId,
        id: uuid::Uuid,
    ) -> StoreResult<String>;
    /// Deletes every session of the operator; returns how many there were.
    async fn delete_operator_sessions(&self, operator: OperatorId) -> StoreResult<u64>;
    /// The session of a token hash, if it exists and its account is not disabled.
    async fn session(&self, token_hash: &str) -> StoreResult<Option<SessionRecord>>;
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;
    /// Ends every session of `operator` except the one with `keep` (after a password change).
    async fn delete_other_sessions(&self, operator: OperatorId, keep: &str) -> StoreResult<()>;
    async fn create_visitor(&self, visitor: VisitorRecord, now: Millis) -> StoreResult<()>;
    async fn visitor(&self, id: VisitorId) -> StoreResult<VisitorRecord>;

    // Playbooks.
    async fn create_playbook(
        &self,
        id: uuid::Uuid,
        definition: frontdesk_core::playbook::Playbook,
        active: bool,
        now: Millis,
    ) -> StoreResult<PlaybookRecord>;
    /// Saves a new version; running conversations keep theirs. With `base_version`, only if that is still the current one
    /// (`StaleVersion` otherwise): two admins editing one playbook never overwrite each other
    /// unknowingly.
    async fn update_playbook(
        &self,
        id: uuid::Uuid,
        definition: frontdesk_core::playbook::Playbook,
        base_version: Option<i64>,
        now: Millis,
    ) -> StoreResult<PlaybookRecord>;
    async fn set_playbook_active(
        &self,
        id: uuid::Uuid,
        active: bool,
        now: Millis,
    ) -> StoreResult<PlaybookRecord>;
    async fn set_playbook_origins(
        &self,
        id: uuid::Uuid,
        origins: Vec<String>,
        now: Millis,
    ) -> StoreResult<PlaybookRecord>;
    async fn playbook(&self, id: uuid::Uuid) -> StoreResult<PlaybookRecord>;
    async fn list_playbooks(&self) -> StoreResult<Vec<PlaybookRecord>>;
    /// A small key/value table for server settings (e.g. the demo playbook's id).
    async fn meta(&self, key: &str) -> StoreResult<Option<String>>;
    async fn set_meta(&self, key: &str, value: String) -> StoreResult<()>;

    // Conversations.
    /// The visitor asks for a person: their open conversation (created if none) gets
    /// [`frontdesk_core::Command::RequestLiveChat`], through the playbook's livechat card when
    /// a playbook runs (`Conflict` when it has none). Asking again returns the conversation as it is.
    async fn request_live_chat(
        &self,
        visitor: VisitorId,
        handoff: Handoff,
        now: Millis,
    ) -> StoreResult<ConversationRecord>;
    /// Starts the visitor's playbook (their open conversation is returned if they have one).
    async fn start_playbook(
        &self,
        visitor: VisitorId,
        page_url: Option<String>,
        referrer: Option<String>,
        handoff: Handoff,
        now: Millis,
    ) -> StoreResult<ConversationRecord>;
    /// The visitor answers the card the bot waits at; the bot runs on.
    async fn answer(
        &self,
        conversation: ConversationId,
        card_id: String,
        input: frontdesk_core::playbook::Input,
        page_url: Option<String>,
        handoff: Handoff,
        now: Millis,
    ) -> StoreResult<ConversationRecord>;
    /// The bot's open question in this conversation, if any.
    async fn prompt(
        &self,
        conversation: &ConversationRecord,
    ) -> StoreResult<Option<frontdesk_protocol::Prompt>>;
    /// Captured fields, follow-ups and page context.
    async fn details(
        &self,
        conversation: ConversationId,
    ) -> StoreResult<frontdesk_protocol::ConversationDetails>;
    /// Apply a lifecycle command (everything but messages) in one transaction.
    async fn apply(
        &self,
        conversation: ConversationId,
        command: frontdesk_core::Command,
        actor: ActorView,
        now: Millis,
    ) -> StoreResult<ConversationRecord>;
    /// Add a message by `actor` (checked with [`frontdesk_core::Command::PostMessage`]).
    async fn post_message(
        &self,
        conversation: ConversationId,
        actor: frontdesk_core::Actor,
        message: NewMessage,
        now: Millis,
    ) -> StoreResult<PostedMessage>;
    async fn conversation(&self, id: ConversationId) -> StoreResult<ConversationRecord>;
    async fn open_conversation_of(
        &self,
        visitor: VisitorId,
    ) -> StoreResult<Option<ConversationRecord>>;
    async fn messages(&self, id: ConversationId) -> StoreResult<Vec<MessageView>>;
    /// Messages with `seq > after_seq`, oldest first, at most `limit`.
    async fn messages_after(
        &self,
        id: ConversationId,
        after_seq: i64,
        limit: u32,
    ) -> StoreResult<Vec<MessageView>>;
    /// Messages after a `seq` in each of several conversations, at most `limit` in all;
    /// `true` when nothing was cut.
    async fn messages_after_many(
        &self,
        after: Vec<(ConversationId, i64)>,
        limit: u32,
    ) -> StoreResult<(Vec<MessageView>, bool)>;
    /// The conversations with these ids that exist, in no particular order.
    async fn conversations(&self, ids: Vec<ConversationId>)
        -> StoreResult<Vec<ConversationRecord>>;
    async fn folder(
        &self,
        folder: FolderQuery,
        cursor: Option<i64>,
        limit: u32,
    ) -> StoreResult<FolderPage>;
    /// Conversations waiting in Unassigned, with their deadlines (to re-arm timers at start).
    async fn pending_deadlines(&self) -> StoreResult<Vec<(ConversationId, Millis)>>;

    // Presence across server nodes (a no-op on SQLite, which one node owns).
    /// Records that `node` is alive at `now` and which operators hold a live connection on
    /// it (or are within their grace period), replacing what it published before.
    async fn publish_presence(
        &self,
        node: uuid::Uuid,
        connected: Vec<OperatorId>,
        now: Millis,
    ) -> StoreResult<()>;
    /// The operators connected on other nodes that published at or after `fresh_after`.
    async fn cluster_presence(
        &self,
        node: uuid::Uuid,
        fresh_after: Millis,
    ) -> StoreResult<Vec<OperatorId>>;
    /// Whether this node runs the Pipedrive push now. One node at a time does, so no result
    /// is pushed by two nodes at once: always this node on SQLite; on PostgreSQL the node
    /// holding the push lock (a session advisory lock: when its node dies, its connection
    /// ends and the next node that asks takes over).
    async fn lead_pushes(&self) -> StoreResult<bool>;

    // Sales records (S12–S14, B7, B8, B10). `details` includes the editable details and the
    // created results.
    /// Replaces the conversation's editable details if `editor` may
    /// ([`frontdesk_core::crm::may_edit_details`]); emits `details_changed` to the
    /// conversation's operators and writes the audit trail, in one transaction. Returns the
    /// details as stored; `Rejected`/`NotFound` as for lifecycle commands, `Forbidden` for a
    /// closed conversation someone else handled.
    async fn update_sales_details(
        &self,
        conversation: ConversationId,
        editor: Editor,
        details: frontdesk_core::crm::SalesDetails,
        now: Millis,
    ) -> StoreResult<frontdesk_protocol::SalesDetailsView>;
    /// Creates a lead or deal from the conversation's details (find-or-create the person by
    /// email or visitor, the organization by name; the transcript as a note), lists it under
    /// the conversation's results, emits `result_upsert`, audits, and queues the push when
    /// [`PUSH_ENABLED_META`] is set. The same idempotency key returns the first result
    /// (`true`: it existed); the key on another conversation or kind is `Conflict`.
    async fn create_result(
        &self,
        conversation: ConversationId,
        editor: Editor,
        result: NewResult,
        now: Millis,
    ) -> StoreResult<(frontdesk_protocol::CreatedResultView, bool)>;
    /// One created result.
    async fn result(&self, id: uuid::Uuid) -> StoreResult<frontdesk_protocol::CreatedResultView>;
    /// The conversation's audit trail, oldest first.
    async fn audit(
        &self,
        conversation: ConversationId,
    ) -> StoreResult<Vec<frontdesk_protocol::AuditEntry>>;
    /// Every lead or deal, oldest first, for the CSV export.
    async fn export_results(
        &self,
        kind: frontdesk_protocol::ResultKind,
    ) -> StoreResult<Vec<ExportRow>>;
    /// Pending pushes due at `now`, oldest first.
    async fn due_pushes(&self, now: Millis, limit: u32) -> StoreResult<Vec<PushJob>>;
    /// The earliest `next_attempt_at` of a pending push.
    async fn next_push_at(&self) -> StoreResult<Option<Millis>>;
    /// Records a push's progress; status changes emit `result_upsert`.
    async fn record_push(
        &self,
        result: uuid::Uuid,
        update: PushUpdate,
        now: Millis,
    ) -> StoreResult<()>;
    /// Queues a failed or local result again (if `editor` may act on its conversation).
    async fn retry_push(
        &self,
        result: uuid::Uuid,
        editor: Editor,
        now: Millis,
    ) -> StoreResult<frontdesk_protocol::CreatedResultView>;

    // The realtime stream.
    /// The newest committed `seq` (0 when there is none).
    fn head(&self) -> i64;
    async fn replay(&self, owner: StreamOwner, since: i64, limit: u32) -> StoreResult<Replay>;
    /// The conversations with events for `operator` after `since`, in their current state,
    /// at most `limit` per page.
    async fn changes(&self, operator: OperatorId, since: i64, limit: u32) -> StoreResult<Changes>;
    /// This database's identity: stream positions from another database are not valid here
    /// (e.g. after a restore from a backup).
    fn epoch(&self) -> &str;
    /// Forget events older than `before` (unix ms); cursors older than what is kept get
    /// `ResyncRequired`.
    async fn prune_events(&self, before: Millis) -> StoreResult<u64>;
}
