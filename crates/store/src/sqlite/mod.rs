//! SQLite backend: WAL, `synchronous=FULL`, one writer thread with group commit, a pool of
//! read-only connections for everything else.
//!
//! Why a dedicated thread and rusqlite rather than an async driver: SQLite has exactly one
//! writer at a time anyway; owning it on one thread makes `seq` assignment trivially gap-free,
//! lets many requests share one fsync, and keeps each transaction's rules in plain synchronous
//! code. Async callers wait on a oneshot that resolves after COMMIT.

mod conversations;
mod crm;
mod playbooks;
mod rows;
mod write_tx;
mod writer;

use crate::sequencing::{self, actor_json};
use crate::*;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;
use write_tx::{run_ready, SqliteTx};
use writer::Writer;

const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/sqlite/0001_init.sql"),
    include_str!("../../migrations/sqlite/0002_playbooks.sql"),
    include_str!("../../migrations/sqlite/0003_operator_protocol.sql"),
    include_str!("../../migrations/sqlite/0004_crm.sql"),
    include_str!("../../migrations/sqlite/0005_fewer_indexes.sql"),
];
const READERS: usize = 4;
/// Page cache of the writer's connection, in KiB (SQLite's default is 2,000).
const WRITER_CACHE_KIB: i64 = 32 * 1024;

/// The embedded SQLite store.
pub struct SqliteStore {
    writer: Writer,
    readers: Mutex<Vec<Connection>>,
    /// One permit per pooled read connection.
    read_slots: tokio::sync::Semaphore,
    path: PathBuf,
    /// Highest committed event seq, published by the writer after each commit.
    head: Arc<AtomicI64>,
    /// This database's identity (see [`Store::epoch`]).
    epoch: String,
}

fn db_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Storage(e.to_string())
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e {
            rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound,
            other => db_err(other),
        }
    }
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(())
}

/// The writer's connection runs one transaction per batch of up to 512
/// requests, each in a SAVEPOINT.
fn configure_writer(conn: &Connection) -> rusqlite::Result<()> {
    // A batch dirties a few thousand pages (a message touches ~6 B-trees, mostly at other
    // conversations' keys). With SQLite's default 2 MiB cache they spilled into the WAL
    // mid-transaction and were read back for the next batch.
    conn.pragma_update(None, "cache_size", -WRITER_CACHE_KIB)?;
    // Savepoint journals in memory: on disk, every page a request changed was first copied
    // into a temporary file (a quarter of the writer's time). They never need to survive a
    // crash: a transaction that did not commit is gone anyway.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // The checkpointer thread copies the WAL into the database (`writer::checkpoint`). Under
    // steady load its checkpoints never quite catch up (frames keep arriving), so the WAL
    // would only grow: past this many frames (about 40 MiB) the writer checkpoints the
    // rest itself after a commit, and the next transaction starts the WAL over.
    conn.pragma_update(None, "wal_autocheckpoint", 10_000)?;
    // Every statement on the write path is cached (rusqlite keeps 16 by default; a message
    // alone uses 9, the other requests many more).
    conn.set_prepared_statement_cache_capacity(128);
    Ok(())
}

fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

impl SqliteStore {
    /// Opens (creating and migrating if needed) `frontdesk.sqlite3` inside `dir`.
    pub fn open(dir: &Path, listener: EventListener) -> StoreResult<Self> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Storage(format!("cannot create {}: {e}", dir.display())))?;
        let path = dir.join("frontdesk.sqlite3");
        let mut conn = Connection::open(&path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        configure(&conn)?;
        migrate(&mut conn)?;
        let head_now: i64 =
            conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |r| r.get(0))?;
        let floor: i64 = conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'events_floor'",
                [],
                |r| r.get::<_, String>(0),
            )
            .optional()?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let epoch = match conn
            .query_row("SELECT value FROM meta WHERE key = 'epoch'", [], |r| {
                r.get::<_, String>(0)
            })
            .optional()?
        {
            Some(e) => e,
            None => {
                let e = uuid::Uuid::new_v4().to_string();
                conn.execute("INSERT INTO meta (key, value) VALUES ('epoch', ?1)", [&e])?;
                e
            }
        };
        // The next seq must never reuse a pruned one.
        let next_seq = head_now.max(floor) + 1;
        let head = Arc::new(AtomicI64::new(next_seq - 1));
        configure_writer(&conn)?;
        let checkpoints = Connection::open(&path)?;
        configure(&checkpoints)?;
        let writer = Writer::start(conn, checkpoints, next_seq, head.clone(), listener)?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let r = Connection::open_with_flags(
                &path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            configure(&r)?;
            readers.push(r);
        }
        Ok(SqliteStore {
            writer,
            readers: Mutex::new(readers),
            read_slots: tokio::sync::Semaphore::new(READERS),
            path,
            head,
            epoch,
        })
    }

    /// Runs `f` on a pooled read-only connection, off the async runtime. At most [`READERS`]
    /// reads run at once; the rest wait for a connection (opening a connection per read under
    /// load costs far more than waiting, and each one brings its own page cache).
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let _permit = self.read_slots.acquire().await.map_err(db_err)?;
        let conn = self.readers.lock().map_err(db_err)?.pop();
        let conn = match conn {
            Some(c) => c,
            // Only after a read's thread panicked and lost its connection.
            None => {
                let c = Connection::open_with_flags(
                    &self.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                configure(&c)?;
                c
            }
        };
        let (conn, result) = tokio::task::spawn_blocking(move || {
            let r = f(&conn);
            (conn, r)
        })
        .await
        .map_err(db_err)?;
        self.readers.lock().map_err(db_err)?.push(conn);
        result
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn count_operators(&self) -> StoreResult<u64> {
        self.read(|c| {
            Ok(c.query_row("SELECT COUNT(*) FROM operators", [], |r| r.get::<_, i64>(0))? as u64)
        })
        .await
    }

    async fn create_operator(&self, op: OperatorRecord, now: Millis) -> StoreResult<()> {
        self.writer
            .run(move |tx, _| {
                let taken: bool = tx.query_row(
                    "SELECT EXISTS(SELECT 1 FROM operators WHERE lower(email) = lower(?1))",
                    [&op.email],
                    |r| r.get(0),
                )?;
                if taken {
                    return Err(StoreError::Conflict("an operator with this email already exists"));
                }
                tx.execute(
                    "INSERT INTO operators (id, email, display_name, role, password_hash, disabled, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![op.id.to_string(), op.email, op.display_name, op.role.as_str(), op.password_hash, op.disabled, now],
                )?;
                Ok(())
            })
            .await
    }

    async fn list_operators(&self) -> StoreResult<Vec<OperatorRecord>> {
        self.read(|c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {} FROM operators ORDER BY created_at, id",
                rows::OPERATOR_COLS
            ))?;
            let rows = st
                .query_map([], rows::operator)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn operator(&self, id: OperatorId) -> StoreResult<OperatorRecord> {
        self.read(move |c| {
            Ok(c.query_row(
                &format!(
                    "SELECT {} FROM operators WHERE id = ?1",
                    rows::OPERATOR_COLS
                ),
                [id.to_string()],
                rows::operator,
            )?)
        })
        .await
    }

    async fn operator_by_email(&self, email: &str) -> StoreResult<OperatorRecord> {
        let email = email.to_owned();
        self.read(move |c| {
            Ok(c.query_row(
                &format!(
                    "SELECT {} FROM operators WHERE lower(email) = lower(?1)",
                    rows::OPERATOR_COLS
                ),
                [email],
                rows::operator,
            )?)
        })
        .await
    }

    async fn disable_operator(&self, id: OperatorId) -> StoreResult<OperatorRecord> {
        self.writer
            .run(move |tx, _| {
                let n = tx.execute(
                    "UPDATE operators SET disabled = 1 WHERE id = ?1",
                    [id.to_string()],
                )?;
                if n == 0 {
                    return Err(StoreError::NotFound);
                }
                tx.execute(
                    "DELETE FROM sessions WHERE operator_id = ?1",
                    [id.to_string()],
                )?;
                Ok(tx.query_row(
                    &format!(
                        "SELECT {} FROM operators WHERE id = ?1",
                        rows::OPERATOR_COLS
                    ),
                    [id.to_string()],
                    rows::operator,
                )?)
            })
            .await
    }

    async fn set_password_hash(&self, id: OperatorId, hash: String) -> StoreResult<()> {
        self.writer
            .run(move |tx, _| {
                let n = tx.execute(
                    "UPDATE operators SET password_hash = ?2 WHERE id = ?1",
                    params![id.to_string(), hash],
                )?;
                if n == 0 {
                    Err(StoreError::NotFound)
                } else {
                    Ok(())
                }
            })
            .await
    }

    async fn create_session(
        &self,
        token_hash: String,
        subject: Subject,
        expires_at: Millis,
        device: Option<String>,
        now: Millis,
    ) -> StoreResult<uuid::Uuid> {
        self.writer
            .run(move |tx, _| {
                let (op, visitor) = match subject {
                    Subject::Operator { id, .. } => (Some(id.to_string()), None),
                    Subject::Visitor { id } => (None, Some(id.to_string())),
                };
                let id = uuid::Uuid::new_v4();
                tx.execute(
                    "INSERT INTO sessions (token_hash, operator_id, visitor_id, expires_at, created_at, id, device, last_used_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?5)",
                    params![token_hash, op, visitor, expires_at, now, id.to_string(), device],
                )?;
                Ok(id)
            })
            .await
    }

    async fn touch_session(
        &self,
        token_hash: &str,
        now: Millis,
        expires_at: Millis,
    ) -> StoreResult<()> {
        let token_hash = token_hash.to_owned();
        self.writer
            .run(move |tx, _| {
                tx.execute(
                    "UPDATE sessions SET last_used_at = ?2, expires_at = MAX(expires_at, ?3) WHERE token_hash = ?1",
                    params![token_hash, now, expires_at],
                )?;
                Ok(())
            })
            .await
    }

    async fn operator_sessions(&self, operator: OperatorId) -> StoreResult<Vec<DeviceRecord>> {
        self.read(move |c| {
            let mut st = c.prepare_cached(
                "SELECT id, token_hash, device, created_at, COALESCE(last_used_at, created_at), expires_at
                 FROM sessions WHERE operator_id = ?1 ORDER BY COALESCE(last_used_at, created_at) DESC, id",
            )?;
            let rows = st
                .query_map([operator.to_string()], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, i64>(5)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter()
                .map(|(id, token_hash, device, created_at, last_used_at, expires_at)| {
                    Ok(DeviceRecord {
                        id: rows::parse_id(&id)?,
                        token_hash,
                        device,
                        created_at,
                        last_used_at,
                        expires_at,
                    })
                })
                .collect()
        })
        .await
    }

    async fn delete_operator_session(
        &self,
        operator: OperatorId,
        id: uuid::Uuid,
    ) -> StoreResult<String> {
        self.writer
            .run(move |tx, _| {
                let hash: String = tx.query_row(
                    "DELETE FROM sessions WHERE operator_id = ?1 AND id = ?2 RETURNING token_hash",
                    params![operator.to_string(), id.to_string()],
                    |r| r.get(0),
                )?;
                Ok(hash)
            })
            .await
    }

    async fn delete_operator_sessions(&self, operator: OperatorId) -> StoreResult<u64> {
        self.writer
            .run(move |tx, _| {
                Ok(tx.execute(
                    "DELETE FROM sessions WHERE operator_id = ?1",
                    [operator.to_string()],
                )? as u64)
            })
            .await
    }

    async fn set_presence_choice(&self, operator: OperatorId, online: bool) -> StoreResult<()> {
        self.writer
            .run(move |tx, _| {
                let n = tx.execute(
                    "UPDATE operators SET chose_online = ?2 WHERE id = ?1",
                    params![operator.to_string(), online],
                )?;
                if n == 0 {
                    return Err(StoreError::NotFound);
                }
                Ok(())
            })
            .await
    }

    async fn session(&self, token_hash: &str) -> StoreResult<Option<SessionRecord>> {
        let token_hash = token_hash.to_owned();
        self.read(move |c| {
            let row = c
                .prepare_cached(
                    "SELECT s.operator_id, o.role, o.disabled, s.visitor_id, s.expires_at, COALESCE(o.display_name, v.name),
                            s.id, COALESCE(s.last_used_at, s.created_at)
                     FROM sessions s
                     LEFT JOIN operators o ON o.id = s.operator_id
                     LEFT JOIN visitors v ON v.id = s.visitor_id
                     WHERE s.token_hash = ?1",
                )?
                .query_row([token_hash], |r| {
                    Ok((
                        r.get::<_, Option<String>>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, Option<bool>>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, Option<String>>(5)?,
                        r.get::<_, Option<String>>(6)?,
                        r.get::<_, i64>(7)?,
                    ))
                })
                .optional()?;
            let Some((op, role, disabled, visitor, expires_at, name, id, last_used_at)) = row else { return Ok(None) };
            let subject = match (op, visitor) {
                (Some(op), _) => {
                    if disabled == Some(true) {
                        return Ok(None);
                    }
                    let role = role.as_deref().and_then(Role::parse).ok_or_else(|| db_err("bad role"))?;
                    Subject::Operator { id: rows::parse_id(&op)?, role }
                }
                (None, Some(v)) => Subject::Visitor { id: rows::parse_id(&v)? },
                (None, None) => return Ok(None),
            };
            let id = id.map(|i| rows::parse_id(&i)).transpose()?.unwrap_or_default();
            Ok(Some(SessionRecord { id, subject, expires_at, last_used_at, name }))
        })
        .await
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        let token_hash = token_hash.to_owned();
        self.writer
            .run(move |tx, _| {
                tx.execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])?;
                Ok(())
            })
            .await
    }

    async fn release_assigned(
        &self,
        operator: OperatorId,
        handoff: Handoff,
        actor: ActorView,
        now: Millis,
    ) -> StoreResult<Vec<ConversationRecord>> {
        self.writer
            .run_as(actor_json(&actor), move |conn, ctx| {
                run_ready(sequencing::lifecycle::release_assigned(
                    &mut SqliteTx { conn, ctx },
                    operator,
                    handoff,
                    now,
                ))
            })
            .await
    }

    async fn delete_other_sessions(&self, operator: OperatorId, keep: &str) -> StoreResult<()> {
        let keep = keep.to_owned();
        self.writer
            .run(move |tx, _| {
                tx.execute(
                    "DELETE FROM sessions WHERE operator_id = ?1 AND token_hash <> ?2",
                    params![operator.to_string(), keep],
                )?;
                Ok(())
            })
            .await
    }

    async fn create_visitor(&self, v: VisitorRecord, now: Millis) -> StoreResult<()> {
        self.writer
            .run(move |tx, _| {
                tx.execute(
                    "INSERT INTO visitors (id, name, playbook_id, language, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![v.id.to_string(), v.name, v.playbook_id.map(|p| p.to_string()), v.language, now],
                )?;
                Ok(())
            })
            .await
    }

    async fn visitor(&self, id: VisitorId) -> StoreResult<VisitorRecord> {
        self.read(move |c| conversations::visitor(c, id)).await
    }

    async fn create_playbook(
        &self,
        id: uuid::Uuid,
        definition: frontdesk_core::playbook::Playbook,
        active: bool,
        now: Millis,
    ) -> StoreResult<PlaybookRecord> {
        self.writer
            .run(move |tx, _| playbooks::create(tx, id, &definition, active, now))
            .await
    }

    async fn update_playbook(
        &self,
        id: uuid::Uuid,
        definition: frontdesk_core::playbook::Playbook,
        base_version: Option<i64>,
        now: Millis,
    ) -> StoreResult<PlaybookRecord> {
        self.writer
            .run(move |tx, _| playbooks::update(tx, id, &definition, base_version, now))
            .await
    }

    async fn set_playbook_active(
        &self,
        id: uuid::Uuid,
        active: bool,
        now: Millis,
    ) -> StoreResult<PlaybookRecord> {
        self.writer
            .run(move |tx, _| playbooks::set_active(tx, id, active, now))
            .await
    }

    async fn set_playbook_origins(
        &self,
        id: uuid::Uuid,
        origins: Vec<String>,
        now: Millis,
    ) -> StoreResult<PlaybookRecord> {
        self.writer
            .run(move |tx, _| playbooks::set_origins(tx, id, &origins, now))
            .await
    }

    async fn playbook(&self, id: uuid::Uuid) -> StoreResult<PlaybookRecord> {
        self.read(move |c| playbooks::load(c, id)).await
    }

    async fn list_playbooks(&self) -> StoreResult<Vec<PlaybookRecord>> {
        self.read(playbooks::list).await
    }

    async fn meta(&self, key: &str) -> StoreResult<Option<String>> {
        let key = key.to_owned();
        self.read(move |c| playbooks::meta(c, &key)).await
    }

    async fn set_meta(&self, key: &str, value: String) -> StoreResult<()> {
        let key = key.to_owned();
        self.writer
            .run(move |tx, _| playbooks::set_meta(tx, &key, &value))
            .await
    }

    async fn start_playbook(
        &self,
        visitor: VisitorId,
        page_url: Option<String>,
        referrer: Option<String>,
        handoff: Handoff,
        now: Millis,
    ) -> StoreResult<ConversationRecord> {
        self.writer
            .run(move |conn, ctx| {
                run_ready(sequencing::bot::start_playbook(
                    &mut SqliteTx { conn, ctx },
                    visitor,
                    page_url,
                    referrer,
                    handoff,
                    now,
                ))
            })
            .await
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
        self.writer
            .run(move |conn, ctx| {
                run_ready(sequencing::bot::answer(
                    &mut SqliteTx { conn, ctx },
                    conversation,
                    &card_id,
                    &input,
                    page_url,
                    handoff,
                    now,
                ))
            })
            .await
    }

    async fn prompt(
        &self,
        conversation: &ConversationRecord,
    ) -> StoreResult<Option<frontdesk_protocol::Prompt>> {
        let conversation = conversation.clone();
        self.read(move |c| conversations::prompt(c, &conversation))
            .await
    }

    async fn details(
        &self,
        conversation: ConversationId,
    ) -> StoreResult<frontdesk_protocol::ConversationDetails> {
        self.read(move |c| conversations::details(c, conversation))
            .await
    }

    async fn request_live_chat(
        &self,
        visitor: VisitorId,
        handoff: Handoff,
        now: Millis,
    ) -> StoreResult<ConversationRecord> {
        self.writer
            .run(move |conn, ctx| {
                run_ready(sequencing::bot::request_live_chat(
                    &mut SqliteTx { conn, ctx },
                    visitor,
                    handoff,
                    now,
                ))
            })
            .await
    }

    async fn apply(
        &self,
        conversation: ConversationId,
        command: frontdesk_core::Command,
        actor: ActorView,
        now: Millis,
    ) -> StoreResult<ConversationRecord> {
        self.writer
            .run_as(actor_json(&actor), move |conn, ctx| {
                run_ready(sequencing::lifecycle::apply(
                    &mut SqliteTx { conn, ctx },
                    conversation,
                    command,
                    now,
                ))
            })
            .await
    }

    async fn post_message(
        &self,
        conversation: ConversationId,
        actor: frontdesk_core::Actor,
        message: NewMessage,
        now: Millis,
    ) -> StoreResult<PostedMessage> {
        self.writer
            .run(move |conn, ctx| {
                run_ready(sequencing::lifecycle::post_message(
                    &mut SqliteTx { conn, ctx },
                    conversation,
                    actor,
                    message,
                    now,
                ))
            })
            .await
    }

    async fn conversation(&self, id: ConversationId) -> StoreResult<ConversationRecord> {
        self.read(move |c| conversations::load(c, id)).await
    }

    async fn open_conversation_of(
        &self,
        visitor: VisitorId,
    ) -> StoreResult<Option<ConversationRecord>> {
        self.read(move |c| conversations::open_of(c, visitor)).await
    }

    async fn messages(&self, id: ConversationId) -> StoreResult<Vec<MessageView>> {
        self.read(move |c| conversations::messages(c, id)).await
    }

    async fn messages_after(
        &self,
        id: ConversationId,
        after_seq: i64,
        limit: u32,
    ) -> StoreResult<Vec<MessageView>> {
        self.read(move |c| conversations::messages_after(c, id, after_seq, limit))
            .await
    }

    async fn messages_after_many(
        &self,
        after: Vec<(ConversationId, i64)>,
        limit: u32,
    ) -> StoreResult<(Vec<MessageView>, bool)> {
        self.read(move |c| {
            // One snapshot: every conversation's messages as of the same moment.
            let c = c.unchecked_transaction()?;
            let mut out = Vec::new();
            for (id, after_seq) in after {
                let room = (limit as usize).saturating_sub(out.len());
                if room == 0 {
                    return Ok((out, false));
                }
                let page = conversations::messages_after(&c, id, after_seq, room as u32 + 1)?;
                if page.len() > room {
                    out.extend(page.into_iter().take(room));
                    return Ok((out, false));
                }
                out.extend(page);
            }
            Ok((out, true))
        })
        .await
    }

    async fn conversations(
        &self,
        ids: Vec<ConversationId>,
    ) -> StoreResult<Vec<ConversationRecord>> {
        self.read(move |c| conversations::by_ids(c, &ids)).await
    }

    async fn folder(
        &self,
        folder: FolderQuery,
        cursor: Option<i64>,
        limit: u32,
    ) -> StoreResult<FolderPage> {
        self.read(move |c| conversations::folder(c, folder, cursor, limit))
            .await
    }

    async fn pending_deadlines(&self) -> StoreResult<Vec<(ConversationId, Millis)>> {
        self.read(|c| {
            let mut st =
                c.prepare("SELECT id, wait_deadline FROM conversations WHERE state = 'waiting'")?;
            let rows = st
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter()
                .map(|(id, d)| Ok((rows::parse_id(&id)?, d)))
                .collect()
        })
        .await
    }

    // One node owns a SQLite database: there is nobody to tell, and nobody else connected.
    async fn publish_presence(
        &self,
        _node: uuid::Uuid,
        _connected: Vec<OperatorId>,
        _now: Millis,
    ) -> StoreResult<()> {
        Ok(())
    }

    async fn cluster_presence(
        &self,
        _node: uuid::Uuid,
        _fresh_after: Millis,
    ) -> StoreResult<Vec<OperatorId>> {
        Ok(Vec::new())
    }

    async fn lead_pushes(&self) -> StoreResult<bool> {
        Ok(true)
    }

    async fn update_sales_details(
        &self,
        conversation: ConversationId,
        editor: Editor,
        details: frontdesk_core::crm::SalesDetails,
        now: Millis,
    ) -> StoreResult<frontdesk_protocol::SalesDetailsView> {
        self.writer
            .run(move |conn, ctx| {
                run_ready(sequencing::crm::update_sales_details(
                    &mut SqliteTx { conn, ctx },
                    conversation,
                    &editor,
                    details,
                    now,
                ))
            })
            .await
    }

    async fn create_result(
        &self,
        conversation: ConversationId,
        editor: Editor,
        result: NewResult,
        now: Millis,
    ) -> StoreResult<(frontdesk_protocol::CreatedResultView, bool)> {
        self.writer
            .run(move |conn, ctx| {
                let creation = sequencing::crm::Creation {
                    kind: result.kind,
                    key: result.idempotency_key,
                    title: result.title.as_deref(),
                    creator: sequencing::crm::Creator::Operator(&editor),
                };
                run_ready(sequencing::crm::create_result(
                    &mut SqliteTx { conn, ctx },
                    conversation,
                    creation,
                    now,
                ))
            })
            .await
    }

    async fn result(&self, id: uuid::Uuid) -> StoreResult<frontdesk_protocol::CreatedResultView> {
        self.read(move |c| crm::result_view(c, id)).await
    }

    async fn audit(
        &self,
        conversation: ConversationId,
    ) -> StoreResult<Vec<frontdesk_protocol::AuditEntry>> {
        self.read(move |c| crm::audit_of(c, conversation)).await
    }

    async fn export_results(
        &self,
        kind: frontdesk_protocol::ResultKind,
    ) -> StoreResult<Vec<ExportRow>> {
        self.read(move |c| {
            let c = c.unchecked_transaction()?;
            crm::export(&c, kind)
        })
        .await
    }

    async fn due_pushes(&self, now: Millis, limit: u32) -> StoreResult<Vec<PushJob>> {
        self.read(move |c| {
            let c = c.unchecked_transaction()?;
            crm::due(&c, now, limit)
        })
        .await
    }

    async fn next_push_at(&self) -> StoreResult<Option<Millis>> {
        self.read(crm::next_due).await
    }

    async fn record_push(
        &self,
        result: uuid::Uuid,
        update: PushUpdate,
        now: Millis,
    ) -> StoreResult<()> {
        self.writer
            .run(move |conn, ctx| {
                run_ready(sequencing::crm::record_push(
                    &mut SqliteTx { conn, ctx },
                    result,
                    update,
                    now,
                ))
            })
            .await
    }

    async fn retry_push(
        &self,
        result: uuid::Uuid,
        editor: Editor,
        now: Millis,
    ) -> StoreResult<frontdesk_protocol::CreatedResultView> {
        self.writer
            .run(move |conn, ctx| {
                run_ready(sequencing::crm::retry(
                    &mut SqliteTx { conn, ctx },
                    result,
                    &editor,
                    now,
                ))
            })
            .await
    }

    fn head(&self) -> i64 {
        self.head.load(Ordering::Acquire)
    }

    async fn replay(&self, owner: StreamOwner, since: i64, limit: u32) -> StoreResult<Replay> {
        let head = self.head();
        self.read(move |c| {
            // One snapshot for the floor and the events: a prune committing in between must
            // not remove events from under a cursor that passed the floor check.
            let c = c.unchecked_transaction()?;
            let floor = conversations::events_floor(&c)?;
            if !position_is_kept(since, floor, head) {
                return Ok(Replay::ResyncRequired { head });
            }
            let (sql, who) = match owner {
                StreamOwner::Operator(op) => (
                    "SELECT seq, payload, created_at, actor FROM events
                     WHERE seq > ?1 AND (op_audience = '*' OR op_audience = ?2) ORDER BY seq LIMIT ?3",
                    op.to_string(),
                ),
                StreamOwner::Visitor(v) => (
                    "SELECT seq, payload, created_at, actor FROM events WHERE visitor_id = ?2 AND seq > ?1 ORDER BY seq LIMIT ?3",
                    v.to_string(),
                ),
            };
            let mut st = c.prepare_cached(sql)?;
            let events = st
                .query_map(params![since, who, limit as i64 + 1], |r| {
                    Ok(ReplayedEvent {
                        seq: r.get(0)?,
                        payload: r.get(1)?,
                        at: r.get(2)?,
                        actor: r.get(3)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let complete = events.len() <= limit as usize;
            let mut events = events;
            events.truncate(limit as usize);
            Ok(Replay::Events { events, complete })
        })
        .await
    }

    async fn changes(&self, operator: OperatorId, since: i64, limit: u32) -> StoreResult<Changes> {
        let head = self.head();
        self.read(move |c| {
            let c = c.unchecked_transaction()?;
            conversations::changes(&c, operator, since, head, limit)
        })
        .await
    }

    fn epoch(&self) -> &str {
        &self.epoch
    }

    async fn prune_events(&self, before: Millis) -> StoreResult<u64> {
        self.writer
            .run(move |tx, _| {
                let last: Option<i64> = tx.query_row(
                    "SELECT MAX(seq) FROM events WHERE created_at < ?1",
                    [before],
                    |r| r.get(0),
                )?;
                let Some(last) = last else { return Ok(0) };
                let n = tx.execute("DELETE FROM events WHERE seq <= ?1", [last])?;
                tx.execute(
                    "INSERT INTO meta (key, value) VALUES ('events_floor', ?1)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    [last.to_string()],
                )?;
                Ok(n as u64)
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database from before `0005_fewer_indexes` keeps its events (seqs, audiences, actors)
    /// and messages, and reads them back in the same order.
    #[tokio::test]
    async fn the_index_migration_keeps_events_and_messages() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("frontdesk.sqlite3");
        {
            let conn = Connection::open(&path).unwrap();
            conn.pragma_update(None, "journal_mode", "WAL").unwrap();
            for sql in &MIGRATIONS[..4] {
                conn.execute_batch(sql).unwrap();
            }
            conn.pragma_update(None, "user_version", 4).unwrap();
            conn.execute_batch(
                "INSERT INTO visitors (id, name, created_at) VALUES ('0190b1a2-0000-7000-8000-000000000001', 'Ann', 1);
                 INSERT INTO conversations (id, visitor_id, state, display_name, created_at, updated_at, message_count)
                     VALUES ('0190b1a2-0000-7000-8000-0000000000c1', '0190b1a2-0000-7000-8000-000000000001', 'bot', 'Bot', 1, 1, 2);
                 INSERT INTO messages (id, conversation_id, author_kind, author_name, body, created_at, seq)
                     VALUES ('0190b1a2-0000-7000-8000-0000000000a1', '0190b1a2-0000-7000-8000-0000000000c1', 'visitor', 'Ann', 'first', 2, 1),
                            ('0190b1a2-0000-7000-8000-0000000000a2', '0190b1a2-0000-7000-8000-0000000000c1', 'visitor', 'Ann', 'second', 3, 2);
                 INSERT INTO events (seq, conversation_id, op_audience, visitor_id, payload, created_at, actor)
                     VALUES (7, '0190b1a2-0000-7000-8000-0000000000c1', '*', NULL, '{\"a\":1}', 2, '{\"kind\":\"system\",\"id\":null,\"name\":null}'),
                            (9, '0190b1a2-0000-7000-8000-0000000000c1', NULL, '0190b1a2-0000-7000-8000-000000000001', '{\"b\":2}', 3, '{\"kind\":\"bot\",\"id\":null,\"name\":\"Bot\"}');",
            )
            .unwrap();
        }
        let listener: EventListener = Arc::new(|_| {});
        let store = SqliteStore::open(dir.path(), listener).unwrap();
        assert_eq!(store.head(), 9);
        let conn = Connection::open(&path).unwrap();
        type Row = (i64, Option<String>, Option<String>, String, String);
        let events: Vec<Row> = conn
            .prepare(
                "SELECT seq, op_audience, visitor_id, payload, actor FROM events ORDER BY rowid",
            )
            .unwrap()
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!((events[0].0, events[0].1.as_deref()), (7, Some("*")));
        assert_eq!(
            (events[1].0, events[1].2.as_deref(), events[1].4.as_str()),
            (
                9,
                Some("0190b1a2-0000-7000-8000-000000000001"),
                r#"{"kind":"bot","id":null,"name":"Bot"}"#
            )
        );
        // `seq` is the rowid now: no second index on it.
        let rowid_is_seq: bool = conn
            .query_row(
                "SELECT COUNT(*) = 0 FROM events WHERE rowid <> seq",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(rowid_is_seq);
        let conversation = "0190b1a2-0000-7000-8000-0000000000c1".parse().unwrap();
        let bodies: Vec<String> = store
            .messages(conversation)
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.body)
            .collect();
        assert_eq!(bodies, ["first", "second"]);
        let replay = store
            .replay(
                StreamOwner::Visitor("0190b1a2-0000-7000-8000-000000000001".parse().unwrap()),
                0,
                10,
            )
            .await
            .unwrap();
        match replay {
            Replay::Events { events, complete } => {
                assert!(complete);
                assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), [9]);
            }
            Replay::ResyncRequired { .. } => panic!("resync required"),
        }
    }

    /// Committed pages reach the database file soon after a commit, by the checkpointer
    /// thread: the writer itself checkpoints only once the WAL holds 10,000 frames.
    #[tokio::test]
    async fn commits_are_checkpointed_into_the_database_file() {
        let dir = tempfile::tempdir().unwrap();
        let listener: EventListener = Arc::new(|_| {});
        let store = SqliteStore::open(dir.path(), listener).unwrap();
        let file = dir.path().join("frontdesk.sqlite3");
        let size = || std::fs::metadata(&file).unwrap().len();
        let before = size();
        for _ in 0..50 {
            let visitor = VisitorRecord {
                id: VisitorId::new(),
                name: Some("x".repeat(2000)),
                playbook_id: None,
                language: None,
            };
            store.create_visitor(visitor, 1).await.unwrap();
        }
        for _ in 0..100 {
            if size() > before {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the database file stayed at {before} bytes: nothing was checkpointed");
    }
}
