//! PostgreSQL backend, for several server nodes on one database (sqlx, async).
//!
//! - Writes run the backend-neutral `crate::sequencing` inside a READ COMMITTED transaction
//!   ([`write_tx::PgTx`]); a conversation is locked (`FOR UPDATE`) when loaded, so two nodes
//!   deciding on the same chat take turns. A transaction that lost a race on a unique key,
//!   or a deadlock, is run again from the start (the next run reads the winner's row).
//! - Events are numbered at commit from the `event_counter` row (seq order = commit order)
//!   and announced with NOTIFY; each node's [`tail`] reads them back in seq order and hands
//!   them to the [`EventListener`], so every node publishes the same gap-free sequence.
//! - Migrations in `migrations/postgres/`, applied under an advisory lock (nodes may start
//!   together), versions recorded in `schema_migrations`.

mod accounts;
mod conversations;
mod crm;
mod import;
mod nodes;
mod playbooks;
mod rows;
mod tail;
mod write_tx;

use crate::sequencing::{self, actor_json, WriteTx};
use crate::*;
pub use import::{copy_from_sqlite, Copied};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::str::FromStr;
use std::sync::atomic::{AtomicI64, Ordering};
use write_tx::PgTx;

const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/postgres/0001_init.sql"),
    include_str!("../../migrations/postgres/0002_presence.sql"),
    include_str!("../../migrations/postgres/0003_crm.sql"),
];
/// Any constant: the advisory lock that serializes migrations of nodes starting together.
const MIGRATION_LOCK: i64 = 0x6672_6f6e_7464_6b31;
/// Any constant: the session advisory lock of the node that runs the Pipedrive push.
const PUSH_LOCK: i64 = 0x6672_6f6e_7470_7368;
/// Connections per node.
const POOL_SIZE: u32 = 16;
/// Runs of one write before a lost race is reported as a storage error.
const MAX_ATTEMPTS: u32 = 8;

/// The PostgreSQL store of one server node.
pub struct PgStore {
    pool: PgPool,
    /// The highest seq this node's tail has published (see [`Store::head`]).
    head: Arc<AtomicI64>,
    /// Wakes the tail after this node committed events (other nodes' commits wake it by NOTIFY).
    wake: Arc<tokio::sync::Notify>,
    tail: tokio::task::JoinHandle<()>,
    epoch: String,
    /// The connection holding the push lock, while this node runs the Pipedrive push.
    push_lock: tokio::sync::Mutex<Option<sqlx::PgConnection>>,
}

impl Drop for PgStore {
    fn drop(&mut self) {
        self.tail.abort();
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            other => StoreError::Storage(other.to_string()),
        }
    }
}

/// Runs `$body` (which uses `$tx: PgTx`) in a write transaction and commits it; runs it again
/// when it lost a race (see [`PgStore::finish`]). The body is inline, so it may borrow.
macro_rules! in_write_tx {
    ($store:expr, |$tx:ident| $body:expr) => {{
        let mut attempt = 1;
        loop {
            #[allow(unused_mut)]
            let mut $tx = PgTx::begin(&$store.pool).await?;
            let result = async { $body }.await;
            if let Some(done) = $store.finish($tx, result, &mut attempt).await {
                break done;
            }
        }
    }};
}

impl PgStore {
    /// Connects to `url` (`postgres://…`), migrates, and starts the event tail that hands
    /// every committed event, from this node or another, to `listener` in seq order.
    pub async fn connect(url: &str, listener: EventListener) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Storage(format!("bad database URL: {e}")))?;
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .acquire_timeout(std::time::Duration::from_secs(10))
            .connect_with(options)
            .await?;
        migrate(&pool).await?;
        let epoch = ensure_epoch(&pool).await?;
        let head_now: i64 = sqlx::query_scalar("SELECT last_seq FROM event_counter")
            .fetch_one(&pool)
            .await?;
        let head = Arc::new(AtomicI64::new(head_now));
        let wake = Arc::new(tokio::sync::Notify::new());
        let tail = tokio::spawn(tail::run(
            pool.clone(),
            head.clone(),
            wake.clone(),
            listener,
        ));
        Ok(PgStore {
            pool,
            head,
            wake,
            tail,
            epoch,
            push_lock: tokio::sync::Mutex::new(None),
        })
    }

    /// Commits a write (or rolls it back) and answers it; `None` asks for another run.
    async fn finish<T>(
        &self,
        tx: PgTx,
        result: StoreResult<T>,
        attempt: &mut u32,
    ) -> Option<StoreResult<T>> {
        let (error, retry) = match result {
            Ok(value) => match tx.commit().await {
                Ok(had_events) => {
                    if had_events {
                        self.wake.notify_one();
                    }
                    return Some(Ok(value));
                }
                Err(failed) => failed,
            },
            Err(e) => {
                let retry = tx.retry;
                tx.rollback().await;
                (e, retry)
            }
        };
        if retry && *attempt < MAX_ATTEMPTS {
            *attempt += 1;
            return None;
        }
        Some(Err(error))
    }

    /// A pooled connection for reads.
    async fn read(&self) -> StoreResult<sqlx::pool::PoolConnection<sqlx::Postgres>> {
        Ok(self.pool.acquire().await?)
    }

    /// A read-only transaction on one snapshot (several statements that must agree).
    async fn snapshot(&self) -> StoreResult<sqlx::Transaction<'static, sqlx::Postgres>> {
        Ok(self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await?)
    }
}

async fn migrate(pool: &PgPool) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *tx)
        .await?;
    sqlx::query("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)")
        .execute(&mut *tx)
        .await?;
    let done: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
        .fetch_one(&mut *tx)
        .await?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(done as usize) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(*sql))
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
            .bind(i as i64 + 1)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// This database's identity, created once (nodes starting together agree on one).
async fn ensure_epoch(pool: &PgPool) -> StoreResult<String> {
    sqlx::query("INSERT INTO meta (key, value) VALUES ('epoch', $1) ON CONFLICT (key) DO NOTHING")
        .bind(uuid::Uuid::new_v4().to_string())
        .execute(pool)
        .await?;
    Ok(
        sqlx::query_scalar("SELECT value FROM meta WHERE key = 'epoch'")
            .fetch_one(pool)
            .await?,
    )
}

fn now_ms() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}

#[async_trait]
impl Store for PgStore {
    async fn count_operators(&self) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM operators")
            .fetch_one(&self.pool)
            .await?;
        Ok(n as u64)
    }

    async fn create_operator(&self, op: OperatorRecord, now: Millis) -> StoreResult<()> {
        in_write_tx!(self, |tx| accounts::create_operator(&mut tx, &op, now)
            .await)
    }

    async fn list_operators(&self) -> StoreResult<Vec<OperatorRecord>> {
        accounts::list_operators(&mut *self.read().await?).await
    }

    async fn operator(&self, id: OperatorId) -> StoreResult<OperatorRecord> {
        accounts::operator(&mut *self.read().await?, id).await
    }

    async fn operator_by_email(&self, email: &str) -> StoreResult<OperatorRecord> {
        accounts::operator_by_email(&mut *self.read().await?, email).await
    }

    async fn release_assigned(
        &self,
        operator: OperatorId,
        handoff: Handoff,
        actor: ActorView,
        now: Millis,
    ) -> StoreResult<Vec<ConversationRecord>> {
        let actor = actor_json(&actor);
        in_write_tx!(self, |tx| {
            tx.set_actor(actor.clone());
            sequencing::lifecycle::release_assigned(&mut tx, operator, handoff, now).await
        })
    }

    async fn set_presence_choice(&self, operator: OperatorId, online: bool) -> StoreResult<()> {
        in_write_tx!(self, |tx| accounts::set_presence_choice(
            &mut tx, operator, online
        )
        .await)
    }

    async fn disable_operator(&self, id: OperatorId) -> StoreResult<OperatorRecord> {
        in_write_tx!(self, |tx| accounts::disable_operator(&mut tx, id).await)
    }

    async fn set_password_hash(&self, id: OperatorId, hash: String) -> StoreResult<()> {
        in_write_tx!(self, |tx| accounts::set_password_hash(&mut tx, id, &hash)
            .await)
    }

    async fn create_session(
        &self,
        token_hash: String,
        subject: Subject,
        expires_at: Millis,
        device: Option<String>,
        now: Millis,
    ) -> StoreResult<uuid::Uuid> {
        let id = uuid::Uuid::new_v4();
        in_write_tx!(self, |tx| {
            accounts::create_session(&mut tx, id, &token_hash, subject, expires_at, &device, now)
                .await
        })?;
        Ok(id)
    }

    async fn touch_session(
        &self,
        token_hash: &str,
        now: Millis,
        expires_at: Millis,
    ) -> StoreResult<()> {
        in_write_tx!(self, |tx| accounts::touch_session(
            &mut tx, token_hash, now, expires_at
        )
        .await)
    }

    async fn operator_sessions(&self, operator: OperatorId) -> StoreResult<Vec<DeviceRecord>> {
        accounts::operator_sessions(&mut *self.read().await?, operator).await
    }

    async fn delete_operator_session(
        &self,
        operator: OperatorId,
        id: uuid::Uuid,
    ) -> StoreResult<String> {
        in_write_tx!(self, |tx| accounts::delete_operator_session(
            &mut tx, operator, id
        )
        .await)
    }

    async fn delete_operator_sessions(&self, operator: OperatorId) -> StoreResult<u64> {
        in_write_tx!(self, |tx| accounts::delete_operator_sessions(
            &mut tx, operator, None
        )
        .await)
    }

    async fn session(&self, token_hash: &str) -> StoreResult<Option<SessionRecord>> {
        accounts::session(&mut *self.read().await?, token_hash).await
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        in_write_tx!(self, |tx| accounts::delete_session(&mut tx, token_hash)
            .await)
    }

    async fn delete_other_sessions(&self, operator: OperatorId, keep: &str) -> StoreResult<()> {
        in_write_tx!(self, |tx| {
            accounts::delete_operator_sessions(&mut tx, operator, Some(keep)).await
        })
        .map(drop)
    }

    async fn create_visitor(&self, visitor: VisitorRecord, now: Millis) -> StoreResult<()> {
        in_write_tx!(self, |tx| accounts::create_visitor(&mut tx, &visitor, now)
            .await)
    }

    async fn visitor(&self, id: VisitorId) -> StoreResult<VisitorRecord> {
        accounts::visitor(&mut *self.read().await?, id).await
    }

    async fn create_playbook(
        &self,
        id: uuid::Uuid,
        definition: frontdesk_core::playbook::Playbook,
        active: bool,
        now: Millis,
    ) -> StoreResult<PlaybookRecord> {
        in_write_tx!(self, |tx| playbooks::create(
            &mut tx,
            id,
            &definition,
            active,
            now
        )
        .await)
    }

    async fn update_playbook(
        &self,
        id: uuid::Uuid,
        definition: frontdesk_core::playbook::Playbook,
        base_version: Option<i64>,
        now: Millis,
    ) -> StoreResult<PlaybookRecord> {
        in_write_tx!(self, |tx| playbooks::update(
            &mut tx,
            id,
            &definition,
            base_version,
            now
        )
        .await)
    }

    async fn set_playbook_active(
        &self,
        id: uuid::Uuid,
        active: bool,
        now: Millis,
    ) -> StoreResult<PlaybookRecord> {
        in_write_tx!(self, |tx| playbooks::set_active(&mut tx, id, active, now)
            .await)
    }

    async fn set_playbook_origins(
        &self,
        id: uuid::Uuid,
        origins: Vec<String>,
        now: Millis,
    ) -> StoreResult<PlaybookRecord> {
        in_write_tx!(self, |tx| playbooks::set_origins(
            &mut tx, id, &origins, now
        )
        .await)
    }

    async fn playbook(&self, id: uuid::Uuid) -> StoreResult<PlaybookRecord> {
        playbooks::load(&mut *self.read().await?, id).await
    }

    async fn list_playbooks(&self) -> StoreResult<Vec<PlaybookRecord>> {
        playbooks::list(&mut *self.read().await?).await
    }

    async fn meta(&self, key: &str) -> StoreResult<Option<String>> {
        playbooks::meta(&mut *self.read().await?, key).await
    }

    async fn set_meta(&self, key: &str, value: String) -> StoreResult<()> {
        in_write_tx!(self, |tx| playbooks::set_meta(&mut tx, key, &value).await)
    }

    async fn request_live_chat(
        &self,
        visitor: VisitorId,
        handoff: Handoff,
        now: Millis,
    ) -> StoreResult<ConversationRecord> {
        in_write_tx!(self, |tx| {
            sequencing::bot::request_live_chat(&mut tx, visitor, handoff, now).await
        })
    }

    async fn start_playbook(
        &self,
        visitor: VisitorId,
        page_url: Option<String>,
        referrer: Option<String>,
        handoff: Handoff,
        now: Millis,
    ) -> StoreResult<ConversationRecord> {
        in_write_tx!(self, |tx| {
            sequencing::bot::start_playbook(
                &mut tx,
                visitor,
                page_url.clone(),
                referrer.clone(),
                handoff,
                now,
            )
            .await
        })
    }

    async fn answer(
        &self,
        conversation: ConversationId,
        card_id: String,
        input: frontdesk_core::playbook::Input,
        page_url: Option<String>,
        handoff: Handoff,
        now: Millis,
    ) -> StoreResult<ConversationRecord> {
        in_write_tx!(self, |tx| {
            sequencing::bot::answer(
                &mut tx,
                conversation,
                &card_id,
                &input,
                page_url.clone(),
                handoff,
                now,
            )
            .await
        })
    }

    async fn prompt(
        &self,
        conversation: &ConversationRecord,
    ) -> StoreResult<Option<frontdesk_protocol::Prompt>> {
        let Some((id, version)) = conversation.playbook else {
            return Ok(None);
        };
        if !sequencing::waits_for_answer(conversation) {
            return Ok(None);
        }
        let pb = playbooks::definition(&mut *self.read().await?, id, version).await?;
        Ok(sequencing::prompt(conversation, &pb))
    }

    async fn details(
        &self,
        conversation: ConversationId,
    ) -> StoreResult<frontdesk_protocol::ConversationDetails> {
        conversations::details(&mut *self.read().await?, conversation).await
    }

    async fn apply(
        &self,
        conversation: ConversationId,
        command: frontdesk_core::Command,
        actor: ActorView,
        now: Millis,
    ) -> StoreResult<ConversationRecord> {
        let actor = actor_json(&actor);
        in_write_tx!(self, |tx| {
            tx.set_actor(actor.clone());
            sequencing::lifecycle::apply(&mut tx, conversation, command.clone(), now).await
        })
    }

    async fn post_message(
        &self,
        conversation: ConversationId,
        actor: frontdesk_core::Actor,
        message: NewMessage,
        now: Millis,
    ) -> StoreResult<PostedMessage> {
        in_write_tx!(self, |tx| {
            sequencing::lifecycle::post_message(&mut tx, conversation, actor, message.clone(), now)
                .await
        })
    }

    async fn conversation(&self, id: ConversationId) -> StoreResult<ConversationRecord> {
        conversations::load(&mut *self.read().await?, id).await
    }

    async fn open_conversation_of(
        &self,
        visitor: VisitorId,
    ) -> StoreResult<Option<ConversationRecord>> {
        conversations::open_of(&mut *self.read().await?, visitor).await
    }

    async fn messages(&self, id: ConversationId) -> StoreResult<Vec<MessageView>> {
        conversations::messages_after(&mut *self.read().await?, id, 0, i64::MAX).await
    }

    async fn messages_after(
        &self,
        id: ConversationId,
        after_seq: i64,
        limit: u32,
    ) -> StoreResult<Vec<MessageView>> {
        conversations::messages_after(&mut *self.read().await?, id, after_seq, limit as i64).await
    }

    async fn messages_after_many(
        &self,
        after: Vec<(ConversationId, i64)>,
        limit: u32,
    ) -> StoreResult<(Vec<MessageView>, bool)> {
        // One snapshot: every conversation's messages as of the same moment.
        let mut tx = self.snapshot().await?;
        let mut out = Vec::new();
        for (id, after_seq) in after {
            let room = (limit as usize).saturating_sub(out.len());
            if room == 0 {
                return Ok((out, false));
            }
            let page =
                conversations::messages_after(&mut tx, id, after_seq, room as i64 + 1).await?;
            if page.len() > room {
                out.extend(page.into_iter().take(room));
                return Ok((out, false));
            }
            out.extend(page);
        }
        Ok((out, true))
    }

    async fn conversations(
        &self,
        ids: Vec<ConversationId>,
    ) -> StoreResult<Vec<ConversationRecord>> {
        conversations::by_ids(&mut *self.read().await?, &ids).await
    }

    async fn folder(
        &self,
        folder: FolderQuery,
        cursor: Option<i64>,
        limit: u32,
    ) -> StoreResult<FolderPage> {
        conversations::folder(&mut *self.read().await?, folder, cursor, limit).await
    }

    async fn pending_deadlines(&self) -> StoreResult<Vec<(ConversationId, Millis)>> {
        conversations::pending_deadlines(&mut *self.read().await?).await
    }

    async fn publish_presence(
        &self,
        node: uuid::Uuid,
        connected: Vec<OperatorId>,
        now: Millis,
    ) -> StoreResult<()> {
        in_write_tx!(self, |tx| nodes::publish(&mut tx, node, &connected, now)
            .await)
    }

    async fn cluster_presence(
        &self,
        node: uuid::Uuid,
        fresh_after: Millis,
    ) -> StoreResult<Vec<OperatorId>> {
        nodes::connected_elsewhere(&mut *self.read().await?, node, fresh_after).await
    }

    async fn lead_pushes(&self) -> StoreResult<bool> {
        let mut held = self.push_lock.lock().await;
        if let Some(c) = held.as_mut() {
            // The lock lives as long as this connection: if it broke, the lock is gone.
            if sqlx::query("SELECT 1").execute(&mut *c).await.is_ok() {
                return Ok(true);
            }
            *held = None;
        }
        // Kept out of the pool once it holds the lock: the lock must not go to other work
        // with a pooled connection.
        let mut c = self.pool.acquire().await?;
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(PUSH_LOCK)
            .fetch_one(&mut *c)
            .await?;
        if got {
            *held = Some(c.detach());
        }
        Ok(got)
    }

    async fn update_sales_details(
        &self,
        conversation: ConversationId,
        editor: Editor,
        details: frontdesk_core::crm::SalesDetails,
        now: Millis,
    ) -> StoreResult<frontdesk_protocol::SalesDetailsView> {
        in_write_tx!(self, |tx| {
            sequencing::crm::update_sales_details(
                &mut tx,
                conversation,
                &editor,
                details.clone(),
                now,
            )
            .await
        })
    }

    async fn create_result(
        &self,
        conversation: ConversationId,
        editor: Editor,
        result: NewResult,
        now: Millis,
    ) -> StoreResult<(frontdesk_protocol::CreatedResultView, bool)> {
        in_write_tx!(self, |tx| {
            let creation = sequencing::crm::Creation {
                kind: result.kind,
                key: result.idempotency_key,
                title: result.title.as_deref(),
                creator: sequencing::crm::Creator::Operator(&editor),
            };
            sequencing::crm::create_result(&mut tx, conversation, creation, now).await
        })
    }

    async fn result(&self, id: uuid::Uuid) -> StoreResult<frontdesk_protocol::CreatedResultView> {
        crm::result_view(&mut *self.read().await?, id).await
    }

    async fn audit(
        &self,
        conversation: ConversationId,
    ) -> StoreResult<Vec<frontdesk_protocol::AuditEntry>> {
        crm::audit_of(&mut *self.read().await?, conversation).await
    }

    async fn export_results(
        &self,
        kind: frontdesk_protocol::ResultKind,
    ) -> StoreResult<Vec<ExportRow>> {
        let mut snapshot = self.snapshot().await?;
        crm::export(&mut snapshot, kind).await
    }

    async fn due_pushes(&self, now: Millis, limit: u32) -> StoreResult<Vec<PushJob>> {
        let mut snapshot = self.snapshot().await?;
        crm::due(&mut snapshot, now, limit).await
    }

    async fn next_push_at(&self) -> StoreResult<Option<Millis>> {
        crm::next_due(&mut *self.read().await?).await
    }

    async fn record_push(
        &self,
        result: uuid::Uuid,
        update: PushUpdate,
        now: Millis,
    ) -> StoreResult<()> {
        in_write_tx!(self, |tx| {
            sequencing::crm::record_push(&mut tx, result, update.clone(), now).await
        })
    }

    async fn retry_push(
        &self,
        result: uuid::Uuid,
        editor: Editor,
        now: Millis,
    ) -> StoreResult<frontdesk_protocol::CreatedResultView> {
        in_write_tx!(self, |tx| {
            sequencing::crm::retry(&mut tx, result, &editor, now).await
        })
    }

    fn head(&self) -> i64 {
        self.head.load(Ordering::Acquire)
    }

    async fn replay(&self, owner: StreamOwner, since: i64, limit: u32) -> StoreResult<Replay> {
        let mut snapshot = self.snapshot().await?;
        tail::replay(&mut snapshot, owner, since, limit).await
    }

    async fn changes(&self, operator: OperatorId, since: i64, limit: u32) -> StoreResult<Changes> {
        let mut snapshot = self.snapshot().await?;
        tail::changes(&mut snapshot, operator, since, limit).await
    }

    fn epoch(&self) -> &str {
        &self.epoch
    }

    async fn prune_events(&self, before: Millis) -> StoreResult<u64> {
        in_write_tx!(self, |tx| tail::prune(&mut tx, before).await)
    }
}
