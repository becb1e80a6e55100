//! The local SQLite cache (sqlx, WAL): a replica of what the signed-in operator may see, plus
//! what only this device knows — read marks, drafts, the outbox — and the stream cursor.
//!
//! Applying server data is idempotent: rows are upserted by id (never replaced by an older
//! row), messages by id with their per-conversation `seq`, so replays and overlapping
//! catch-ups change nothing. Writes go through one connection (no lock upgrades between
//! writers); reads use a small read-only pool.

use crate::error::{EngineError, Result};
use crate::token::TokenBackend;
use crate::types::*;
use frontdesk_protocol::{
    AuthorKind, ConversationDetails, ConversationView, Folder, MessageView, OperatorPresence,
    OperatorView, SalesDetailsView,
};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, Row, Sqlite, Transaction};
use std::path::Path;
use std::time::Duration;
use uuid::Uuid;

/// SQL: a conversation `c` holds work not confirmed by the server (an outbox message or sales
/// action): it is never deleted, whatever retention or visibility says.
/// (A macro, so the queries stay static strings.)
macro_rules! holds_unsent {
    () => {
        "(EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.status <> 'sent')
          OR EXISTS (SELECT 1 FROM sales_outbox s WHERE s.conversation_id = c.id))"
    };
}

/// Longest preview in a row (characters).
const PREVIEW_CHARS: usize = 200;

/// SQLite's page cache per connection (`PRAGMA cache_size`, negative = KiB). Its default,
/// 2 MiB kept for the connection's life, made five connections hold ~9 MiB of an idle app.
/// Reads and live writes touch a few B-tree paths whose pages the OS caches anyway; only a
/// catch-up, which writes thousands of rows in a row, is faster with a bigger cache.
const PAGE_CACHE_KIB: i64 = 256;
const CATCH_UP_PAGE_CACHE_KIB: i64 = 4096;

#[derive(Clone)]
pub struct Cache {
    pub(crate) writer: SqlitePool,
    pub(crate) reader: SqlitePool,
}

/// What the cache remembers about the sign-in.
#[derive(Clone, Debug, Default)]
pub struct StoredSession {
    pub server_url: Option<String>,
    pub operator: Option<OperatorView>,
    pub token_store: Option<TokenBackend>,
    pub cursor: Option<(i64, String)>,
}

/// What applying one change did.
#[derive(Debug, Default)]
pub struct Applied {
    /// The row before the change (for deciding notifications).
    pub previous: Option<ConversationView>,
    /// The message was not in the cache before.
    pub new_message: bool,
}

fn folder_str(f: Folder) -> &'static str {
    match f {
        Folder::Unassigned => "unassigned",
        Folder::Mine => "mine",
        Folder::Offline => "offline",
        Folder::Closed => "closed",
    }
}

fn author_str(a: AuthorKind) -> &'static str {
    match a {
        AuthorKind::Visitor => "visitor",
        AuthorKind::Operator => "operator",
        AuthorKind::Bot => "bot",
        AuthorKind::System => "system",
    }
}

fn parse_author(s: &str) -> AuthorKind {
    match s {
        "visitor" => AuthorKind::Visitor,
        "operator" => AuthorKind::Operator,
        "bot" => AuthorKind::Bot,
        _ => AuthorKind::System,
    }
}

fn parse_uuid(s: &str) -> Result<Uuid> {
    Uuid::parse_str(s).map_err(|e| EngineError::cache(format!("bad id {s:?}: {e}")))
}

/// The order of a row within its folder (ascending): unassigned by wait deadline (most urgent
/// first), mine and offline by last message (newest first), closed by closing time (newest
/// first).
pub fn sort_key(c: &ConversationView) -> i64 {
    match c.folder {
        Some(Folder::Unassigned) => c.wait_deadline.unwrap_or(i64::MAX / 2),
        Some(Folder::Mine) | Some(Folder::Offline) => -c.last_message_at.unwrap_or(c.updated_at),
        Some(Folder::Closed) => -c.closed_at.unwrap_or(c.updated_at),
        None => 0,
    }
}

/// A row as the UI shows it.
pub fn row_for_ui(c: &ConversationView, unread: i64, has_draft: bool) -> ConversationRow {
    let assignee_name = match (c.assignee_id, c.handled_by) {
        (Some(a), Some(h)) if a == h => c.handled_by_name.clone(),
        _ => None,
    };
    ConversationRow {
        id: c.id,
        visitor_name: c.visitor_name.clone(),
        state: ConversationState::parse(&c.state),
        assignee_id: c.assignee_id,
        assignee_name,
        wait_deadline: c.wait_deadline,
        created_at: c.created_at,
        last_message_at: c.last_message_at.unwrap_or(c.created_at),
        preview: c
            .preview
            .as_deref()
            .unwrap_or_default()
            .chars()
            .take(PREVIEW_CHARS)
            .collect(),
        preview_author: c.last_author,
        message_count: c.message_count,
        unread,
        closed_at: c.closed_at,
        has_draft,
    }
}

/// Returns the allocator's free pages to the OS (glibc keeps them in each thread's arena).
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists, under its locks.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Turns what a person typed into an FTS5 query that cannot be a syntax error: every word
/// becomes a quoted prefix term, all of them required.
pub fn fts_query(text: &str) -> Option<String> {
    let terms: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(16)
        .map(|w| format!("\"{w}\"*"))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

impl Cache {
    pub async fn open(path: &Path) -> Result<Cache> {
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .pragma("cache_size", format!("-{PAGE_CACHE_KIB}"));
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts.clone())
            .await?;
        sqlx::migrate!("./migrations").run(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts.read_only(true))
            .await?;
        Ok(Cache { writer, reader })
    }

    /// Gives the writer a bigger page cache while a catch-up writes (`true`) and returns it to
    /// the small one afterwards: SQLite frees the pages beyond the new size at once, and the
    /// allocator is asked to hand them back to the OS (they sit between live allocations, so
    /// it would keep them otherwise). Only speed depends on it: a failure is logged, never
    /// returned.
    pub async fn catching_up(&self, on: bool) {
        let kib = if on {
            CATCH_UP_PAGE_CACHE_KIB
        } else {
            PAGE_CACHE_KIB
        };
        // Both sizes are constants: nothing from outside reaches this statement.
        let pragma = AssertSqlSafe(format!("PRAGMA cache_size = -{kib}"));
        if let Err(e) = sqlx::query(pragma).execute(&self.writer).await {
            tracing::warn!(error = %e, "resizing the cache's page cache failed");
        }
        if !on {
            release_freed_memory();
        }
    }

    // ---- session and cursor ----

    pub async fn session(&self) -> Result<StoredSession> {
        let r = sqlx::query(
            "SELECT server_url, operator, token_store, position, epoch FROM session WHERE id = 1",
        )
        .fetch_one(&self.reader)
        .await?;
        let operator: Option<String> = r.get("operator");
        let position: Option<i64> = r.get("position");
        let epoch: Option<String> = r.get("epoch");
        let token_store: Option<String> = r.get("token_store");
        Ok(StoredSession {
            server_url: r.get("server_url"),
            operator: operator.map(|o| serde_json::from_str(&o)).transpose()?,
            token_store: token_store.as_deref().and_then(TokenBackend::parse),
            cursor: position.zip(epoch),
        })
    }

    /// Refuses to switch to another operator or server while the outbox holds unsent messages
    /// of the previous one: switching empties the cache, and the outbox never drops anything.
    pub async fn check_switch(&self, server_url: &str, operator: Uuid) -> Result<()> {
        let before = self.session().await?;
        let same = before.server_url.as_deref() == Some(server_url)
            && before.operator.as_ref().map(|o| o.id) == Some(operator);
        if same {
            return Ok(());
        }
        let (unsent,): (i64,) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM messages WHERE status <> 'sent')
                  + (SELECT COUNT(*) FROM sales_outbox)",
        )
        .fetch_one(&self.reader)
        .await?;
        match (unsent, before.operator) {
            (0, _) | (_, None) => Ok(()),
            (n, Some(prev)) => Err(EngineError::new(
                "unsent_messages",
                format!(
                    "{n} message(s) or sales change(s) made as {} ({}) are not sent yet. Sign in as {} to send them, or discard them first.",
                    prev.display_name, prev.email, prev.email
                ),
            )),
        }
    }

    /// Records a sign-in. A different operator or server starts from an empty cache (their
    /// conversations must not mix); the same one keeps cache, cursor and outbox.
    pub async fn set_signed_in(
        &self,
        server_url: &str,
        operator: &OperatorView,
        token_store: TokenBackend,
    ) -> Result<()> {
        let before = self.session().await?;
        let same = before.server_url.as_deref() == Some(server_url)
            && before.operator.as_ref().map(|o| o.id) == Some(operator.id);
        let mut tx = self.writer.begin().await?;
        if !same {
            for sql in [
                "DELETE FROM sales_outbox",
                "DELETE FROM messages",
                "DELETE FROM conversations",
                "DELETE FROM presence",
                "UPDATE session SET position = NULL, epoch = NULL, full_load_at = NULL",
            ] {
                sqlx::query(sql).execute(&mut *tx).await?;
            }
        }
        sqlx::query(
            "UPDATE session SET server_url = ?1, operator = ?2, token_store = ?3 WHERE id = 1",
        )
        .bind(server_url)
        .bind(serde_json::to_string(operator)?)
        .bind(token_store.as_str())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Signed out: the cache stays readable offline only while signed in, so the operator is
    /// forgotten; conversations stay until the next sign-in decides (same account keeps them).
    pub async fn set_signed_out(&self) -> Result<()> {
        sqlx::query("UPDATE session SET token_store = NULL WHERE id = 1")
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    pub async fn clear_cursor(&self) -> Result<()> {
        sqlx::query("UPDATE session SET position = NULL, epoch = NULL WHERE id = 1")
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn set_cursor(
        tx: &mut Transaction<'_, Sqlite>,
        position: i64,
        epoch: &str,
    ) -> Result<()> {
        // Never move backwards: a replayed older position must not undo progress.
        sqlx::query(
            "UPDATE session SET position = ?1, epoch = ?2
             WHERE id = 1 AND (epoch IS NULL OR epoch <> ?2 OR position IS NULL OR position <= ?1)",
        )
        .bind(position)
        .bind(epoch)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    // ---- applying server data ----

    async fn previous(
        tx: &mut Transaction<'_, Sqlite>,
        id: Uuid,
    ) -> Result<Option<ConversationView>> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT row FROM conversations WHERE id = ?1 AND gone = 0")
                .bind(id.to_string())
                .fetch_optional(&mut **tx)
                .await?;
        Ok(row.map(|(r,)| serde_json::from_str(&r)).transpose()?)
    }

    /// Upserts a row; unless `force`, an older row never replaces a newer one.
    async fn upsert(
        tx: &mut Transaction<'_, Sqlite>,
        c: &ConversationView,
        force: bool,
    ) -> Result<()> {
        let read_seq = if c.state == "closed" {
            c.message_count
        } else {
            0
        };
        sqlx::query(
            "INSERT INTO conversations (id, row, folder, sort_key, state, assignee_id, visitor_name,
                 message_count, updated_at, closed_at, read_seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT (id) DO UPDATE SET row = excluded.row, folder = excluded.folder,
                 sort_key = excluded.sort_key, state = excluded.state,
                 assignee_id = excluded.assignee_id, visitor_name = excluded.visitor_name,
                 message_count = excluded.message_count, updated_at = excluded.updated_at,
                 closed_at = excluded.closed_at, gone = 0
             WHERE ?12 OR excluded.updated_at >= conversations.updated_at",
        )
        .bind(c.id.to_string())
        .bind(serde_json::to_string(c)?)
        .bind(c.folder.map(folder_str))
        .bind(sort_key(c))
        .bind(&c.state)
        .bind(c.assignee_id.map(|a| a.to_string()))
        .bind(&c.visitor_name)
        .bind(c.message_count)
        .bind(c.updated_at)
        .bind(c.closed_at)
        .bind(read_seq)
        .bind(force)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Stores a message the server has (idempotent by id); returns whether it is new here.
    async fn put_message(tx: &mut Transaction<'_, Sqlite>, m: &MessageView) -> Result<bool> {
        let id = m.id.to_string();
        let conv = m.conversation_id.to_string();
        let exists: Option<(i64,)> = sqlx::query_as("SELECT pk FROM messages WHERE id = ?1")
            .bind(&id)
            .fetch_optional(&mut **tx)
            .await?;
        if exists.is_some() {
            // Ours from the outbox (now confirmed), or a replay: take the server's numbering.
            sqlx::query(
                "UPDATE messages SET seq = ?2, created_at = ?3, author_name = ?4, status = 'sent',
                     error_code = NULL, error_message = NULL, queued_at = NULL WHERE id = ?1",
            )
            .bind(&id)
            .bind(m.seq)
            .bind(m.created_at)
            .bind(&m.author_name)
            .execute(&mut **tx)
            .await?;
            return Ok(false);
        }
        // A different message at this seq can only come from another server database
        // (a restore): the server's numbering wins.
        sqlx::query("DELETE FROM messages WHERE conversation_id = ?1 AND seq = ?2 AND id <> ?3")
            .bind(&conv)
            .bind(m.seq)
            .bind(&id)
            .execute(&mut **tx)
            .await?;
        sqlx::query(
            "INSERT INTO messages (id, conversation_id, seq, author, author_id, author_name, body, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .bind(&id)
        .bind(&conv)
        .bind(m.seq)
        .bind(author_str(m.author))
        .bind(m.author_id.map(|a| a.to_string()))
        .bind(&m.author_name)
        .bind(&m.body)
        .bind(m.created_at)
        .execute(&mut **tx)
        .await?;
        if m.author == AuthorKind::Visitor {
            sqlx::query(
                "UPDATE conversations SET unread = unread + 1 WHERE id = ?1 AND read_seq < ?2",
            )
            .bind(&conv)
            .bind(m.seq)
            .execute(&mut **tx)
            .await?;
        }
        Ok(true)
    }

    /// Marks a conversation the server no longer shows as gone: hidden, but kept until the
    /// next purge. The server follows an assign's `conversation_removed` (sent to every
    /// operator, the new assignee included) with an upsert for the assignee; hiding instead of
    /// deleting keeps that conversation's messages across the pair.
    async fn remove(tx: &mut Transaction<'_, Sqlite>, id: Uuid) -> Result<()> {
        sqlx::query("UPDATE conversations SET gone = 1 WHERE id = ?1")
            .bind(id.to_string())
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Deletes gone conversations with their messages, except those with unsent outbox
    /// messages (nothing typed is lost; they stay listed until sent or discarded).
    async fn purge_gone_in(tx: &mut Transaction<'_, Sqlite>) -> Result<()> {
        let doomed = concat!(
            "SELECT c.id FROM conversations c WHERE c.gone = 1 AND NOT ",
            holds_unsent!()
        );
        let ids: Vec<(String,)> = sqlx::query_as(doomed).fetch_all(&mut **tx).await?;
        for (id,) in ids {
            sqlx::query("DELETE FROM messages WHERE conversation_id = ?1")
                .bind(&id)
                .execute(&mut **tx)
                .await?;
            sqlx::query("DELETE FROM conversations WHERE id = ?1")
                .bind(&id)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Hides a conversation that is no longer visible to me (kept while it holds unsent
    /// outbox messages, like a removal from the stream).
    pub async fn hide(&self, id: Uuid) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        Self::remove(&mut tx, id).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn purge_gone(&self) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        Self::purge_gone_in(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Applies one stream event and moves the cursor to its seq, atomically.
    pub async fn apply_event(
        &self,
        seq: i64,
        epoch: &str,
        event: &frontdesk_protocol::EventBody,
    ) -> Result<Applied> {
        use frontdesk_protocol::EventBody;
        let mut tx = self.writer.begin().await?;
        let mut applied = Applied::default();
        match event {
            EventBody::ConversationUpsert { conversation } => {
                applied.previous = Self::previous(&mut tx, conversation.id).await?;
                Self::upsert(&mut tx, conversation, false).await?;
            }
            EventBody::Message {
                message,
                conversation,
            } => {
                applied.previous = Self::previous(&mut tx, conversation.id).await?;
                Self::upsert(&mut tx, conversation, false).await?;
                applied.new_message = Self::put_message(&mut tx, message).await?;
            }
            EventBody::ConversationRemoved { conversation_id } => {
                applied.previous = Self::previous(&mut tx, *conversation_id).await?;
                Self::remove(&mut tx, *conversation_id).await?;
            }
            EventBody::DetailsChanged {
                conversation_id,
                details,
            } => {
                crate::sales::edit_details(&mut tx, *conversation_id, |d| {
                    d.sales = details.clone()
                })
                .await?;
            }
            EventBody::ResultUpsert { result } => {
                crate::sales::edit_details(&mut tx, result.conversation_id, |d| {
                    crate::sales::upsert_result(d, result)
                })
                .await?;
            }
            EventBody::BotPrompt { .. } => {}
        }
        Self::set_cursor(&mut tx, seq, epoch).await?;
        tx.commit().await?;
        Ok(applied)
    }

    /// Applies a page of `GET /api/sync/changes` and its position, atomically.
    pub async fn apply_changes(&self, page: &frontdesk_protocol::ChangesPage) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        for c in &page.conversations {
            Self::upsert(&mut tx, c, false).await?;
        }
        for id in &page.removed {
            Self::remove(&mut tx, *id).await?;
        }
        Self::purge_gone_in(&mut tx).await?;
        Self::set_cursor(&mut tx, page.position, &page.epoch).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Rows from a server answer (an action's result, a detail).
    pub async fn put_rows(&self, rows: &[ConversationView]) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        for c in rows {
            Self::upsert(&mut tx, c, false).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Stores messages the server has, in bulk (a gap fill, a page, an answer): the same rules
    /// as one event's message (idempotent by id, the server's numbering wins, unread counts
    /// follow), in three statements per chunk however many messages it holds. One statement
    /// per message made a catch-up of 10k conversations take seconds: sqlx hands every
    /// statement to the connection's thread and back.
    pub async fn put_messages(&self, messages: &[MessageView]) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        for chunk in messages.chunks(1000) {
            let batch = serde_json::to_string(chunk)?;
            // A different message at a taken seq can only come from another server database
            // (a restore).
            sqlx::query(
                "DELETE FROM messages WHERE pk IN (
                     SELECT m.pk FROM json_each(?1) j JOIN messages m
                     ON m.conversation_id = j.value ->> 'conversation_id'
                        AND m.seq = j.value ->> 'seq' AND m.id <> j.value ->> 'id')",
            )
            .bind(&batch)
            .execute(&mut *tx)
            .await?;
            // Ours from the outbox (now confirmed) or a replay: the server's numbering.
            sqlx::query(
                "INSERT INTO messages (id, conversation_id, seq, author, author_id, author_name, body, created_at)
                 SELECT j.value ->> 'id', j.value ->> 'conversation_id', j.value ->> 'seq',
                        j.value ->> 'author', j.value ->> 'author_id', j.value ->> 'author_name',
                        j.value ->> 'body', j.value ->> 'created_at'
                 FROM json_each(?1) j WHERE true
                 ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, created_at = excluded.created_at,
                     author_name = excluded.author_name, status = 'sent', error_code = NULL,
                     error_message = NULL, queued_at = NULL",
            )
            .bind(&batch)
            .execute(&mut *tx)
            .await?;
            // Unread = the visitor's messages after the read mark (what `put_message` keeps
            // up one message at a time).
            sqlx::query(
                "UPDATE conversations SET unread = (
                     SELECT COUNT(*) FROM messages m WHERE m.conversation_id = conversations.id
                       AND m.author = 'visitor' AND m.seq > conversations.read_seq)
                 WHERE id IN (SELECT DISTINCT j.value ->> 'conversation_id' FROM json_each(?1) j)",
            )
            .bind(&batch)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A full reload: the cache becomes exactly `rows` (what the server shows now), with the
    /// cursor at `position` (read before the rows were listed, so nothing falls between).
    pub async fn replace_all(
        &self,
        rows: &[ConversationView],
        position: i64,
        epoch: &str,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("CREATE TEMP TABLE IF NOT EXISTS seen (id TEXT PRIMARY KEY)")
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM temp.seen")
            .execute(&mut *tx)
            .await?;
        for c in rows {
            Self::upsert(&mut tx, c, true).await?;
            sqlx::query("INSERT OR IGNORE INTO temp.seen (id) VALUES (?1)")
                .bind(c.id.to_string())
                .execute(&mut *tx)
                .await?;
            // Messages beyond the server's count belong to another database's history.
            sqlx::query("DELETE FROM messages WHERE conversation_id = ?1 AND seq > ?2")
                .bind(c.id.to_string())
                .bind(c.message_count)
                .execute(&mut *tx)
                .await?;
        }
        let stale: Vec<(String,)> = sqlx::query_as(
            "SELECT id FROM conversations WHERE id NOT IN (SELECT id FROM temp.seen)",
        )
        .fetch_all(&mut *tx)
        .await?;
        for (id,) in stale {
            Self::remove(&mut tx, parse_uuid(&id)?).await?;
        }
        Self::purge_gone_in(&mut tx).await?;
        sqlx::query("DELETE FROM temp.seen")
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE session SET position = ?1, epoch = ?2, full_load_at = ?3 WHERE id = 1")
            .bind(position)
            .bind(epoch)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Conversations whose server `message_count` is above the last `seq` held: (id, last seq).
    pub async fn message_gaps(&self) -> Result<Vec<(Uuid, i64)>> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT c.id, COALESCE((SELECT MAX(seq) FROM messages m WHERE m.conversation_id = c.id), 0) AS have
             FROM conversations c WHERE c.gone = 0 AND c.message_count >
                 COALESCE((SELECT MAX(seq) FROM messages m WHERE m.conversation_id = c.id), 0)",
        )
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(|(id, have)| Ok((parse_uuid(&id)?, have)))
            .collect()
    }

    pub async fn last_seq(&self, conversation: Uuid) -> Result<i64> {
        let (n,): (i64,) =
            sqlx::query_as("SELECT COALESCE(MAX(seq), 0) FROM messages WHERE conversation_id = ?1")
                .bind(conversation.to_string())
                .fetch_one(&self.reader)
                .await?;
        Ok(n)
    }

    pub async fn set_details(&self, id: Uuid, details: &ConversationDetails) -> Result<()> {
        sqlx::query("UPDATE conversations SET details = ?2 WHERE id = ?1")
            .bind(id.to_string())
            .bind(serde_json::to_string(details)?)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    // ---- what the UI reads ----

    pub async fn row(&self, id: Uuid) -> Result<Option<ConversationView>> {
        let row: Option<(String,)> = sqlx::query_as("SELECT row FROM conversations WHERE id = ?1")
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await?;
        Ok(row.map(|(r,)| serde_json::from_str(&r)).transpose()?)
    }

    pub async fn list_folder(
        &self,
        folder: Folder,
        limit: u32,
        before: Option<&str>,
    ) -> Result<FolderPage> {
        let limit = limit.clamp(1, 500);
        let (key, id) = match before {
            None | Some("") => (None, String::new()),
            Some(b) => {
                let bad = || {
                    EngineError::new(
                        "invalid_cursor",
                        "This page cursor is not valid; list the folder again from the start.",
                    )
                };
                let (k, id) = b.split_once(':').ok_or_else(bad)?;
                (Some(k.parse::<i64>().map_err(|_| bad())?), id.to_owned())
            }
        };
        let rows = sqlx::query(
            "SELECT row, sort_key, id, unread, draft <> '' AS has_draft FROM conversations
             WHERE folder = ?1 AND (?2 IS NULL OR (sort_key, id) > (?2, ?3))
               AND (gone = 0 OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = conversations.id AND m.status <> 'sent'))
             ORDER BY sort_key, id LIMIT ?4",
        )
        .bind(folder_str(folder))
        .bind(key)
        .bind(id)
        .bind(limit as i64 + 1)
        .fetch_all(&self.reader)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        let mut next_before = None;
        for (i, r) in rows.iter().enumerate() {
            if i == limit as usize {
                let last = &rows[i - 1];
                next_before = Some(format!(
                    "{}:{}",
                    last.get::<i64, _>("sort_key"),
                    last.get::<String, _>("id")
                ));
                break;
            }
            let view: ConversationView = serde_json::from_str(r.get::<&str, _>("row"))?;
            out.push(row_for_ui(&view, r.get("unread"), r.get("has_draft")));
        }
        Ok(FolderPage {
            rows: out,
            next_before,
        })
    }

    pub async fn folder_counts(&self) -> Result<FolderCounts> {
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT folder, COUNT(*), COALESCE(SUM(unread > 0), 0) FROM conversations
             WHERE folder IS NOT NULL AND (gone = 0 OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = conversations.id AND m.status <> 'sent'))
             GROUP BY folder",
        )
        .fetch_all(&self.reader)
        .await?;
        let mut counts = FolderCounts::default();
        for (folder, total, unread) in rows {
            let c = FolderCount { total, unread };
            match folder.as_str() {
                "unassigned" => counts.unassigned = c,
                "mine" => counts.mine = c,
                "offline" => counts.offline = c,
                "closed" => counts.closed = c,
                _ => {}
            }
        }
        Ok(counts)
    }

    pub async fn detail(&self, id: Uuid) -> Result<Option<ConversationDetail>> {
        let Some(r) =
            sqlx::query("SELECT row, unread, draft, details FROM conversations WHERE id = ?1")
                .bind(id.to_string())
                .fetch_optional(&self.reader)
                .await?
        else {
            return Ok(None);
        };
        let view: ConversationView = serde_json::from_str(r.get::<&str, _>("row"))?;
        let draft: String = r.get("draft");
        let details: Option<String> = r.get("details");
        let mut details: ConversationDetails = details
            .map(|d| serde_json::from_str(&d))
            .transpose()?
            .unwrap_or_default();
        let messages = self.messages(id).await?;
        let (unsent_sales, edit) = self.unsent_sales(id).await?;
        if let Some(edit) = edit {
            // What the operator typed is what they see until the server has it.
            details.sales = frontdesk_core::crm::normalize(edit.into())
                .map(|d| SalesDetailsView::from(&d))
                .unwrap_or(details.sales);
        }
        Ok(Some(ConversationDetail {
            conversation: row_for_ui(&view, r.get("unread"), !draft.is_empty()),
            messages,
            details,
            draft,
            // Decided by the engine, which knows who is signed in.
            sales_lock: Some(SalesLock::NotVisible),
            unsent_sales,
        }))
    }

    /// Oldest first; outbox messages (no seq yet) after the stored ones, in queue order.
    pub async fn messages(&self, conversation: Uuid) -> Result<Vec<Message>> {
        let rows = sqlx::query(
            "SELECT id, author, author_name, body, created_at, status, error_code, error_message
             FROM messages WHERE conversation_id = ?1
             ORDER BY seq IS NULL, seq, queued_at, pk",
        )
        .bind(conversation.to_string())
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(message_from_row).collect()
    }

    pub async fn message(&self, id: Uuid) -> Result<Option<(Uuid, Message)>> {
        let r = sqlx::query(
            "SELECT id, conversation_id, author, author_name, body, created_at, status, error_code, error_message
             FROM messages WHERE id = ?1",
        )
        .bind(id.to_string())
        .fetch_optional(&self.reader)
        .await?;
        r.map(|r| Ok((parse_uuid(r.get("conversation_id"))?, message_from_row(&r)?)))
            .transpose()
    }

    pub async fn mark_read(&self, id: Uuid) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE conversations SET unread = 0,
                 read_seq = MAX(read_seq, message_count,
                     COALESCE((SELECT MAX(seq) FROM messages WHERE conversation_id = ?1), 0))
             WHERE id = ?1",
        )
        .bind(id.to_string())
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn save_draft(&self, id: Uuid, body: &str) -> Result<bool> {
        let done = sqlx::query("UPDATE conversations SET draft = ?2 WHERE id = ?1")
            .bind(id.to_string())
            .bind(body)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Conversations whose visitor's name matches come first (best match first), then
    /// messages, the latest to reach the cache first. Not by relevance: ranking every match
    /// of a common word costs ~0.4 s with a million messages, walking the index backwards
    /// stops after `limit` (docs/performance.md). Hits are text with markers, never markup.
    pub async fn search(&self, text: &str, limit: u32) -> Result<SearchResult> {
        let Some(q) = fts_query(text) else {
            return Ok(SearchResult { hits: vec![] });
        };
        let limit = limit.clamp(1, 200) as i64;
        let names = sqlx::query(
            "SELECT c.id AS conversation_id, NULL AS id,
                    highlight(conversations_fts, 0, char(57344), char(57345)) AS snippet,
                    c.visitor_name, c.state, c.updated_at AS created_at
             FROM conversations_fts
             JOIN conversations c ON c.rowid = conversations_fts.rowid
             WHERE conversations_fts MATCH ?1 AND c.gone = 0
             ORDER BY rank LIMIT ?2",
        )
        .bind(&q)
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        let messages = sqlx::query(
            "SELECT m.conversation_id, m.id,
                    snippet(messages_fts, 0, char(57344), char(57345), '…', 16) AS snippet,
                    c.visitor_name, c.state, m.created_at
             FROM messages_fts
             JOIN messages m ON m.pk = messages_fts.rowid
             JOIN conversations c ON c.id = m.conversation_id
             WHERE messages_fts MATCH ?1 AND c.gone = 0
             ORDER BY messages_fts.rowid DESC LIMIT ?2",
        )
        .bind(&q)
        .bind(limit - names.len() as i64)
        .fetch_all(&self.reader)
        .await?;
        let hits = names
            .iter()
            .chain(messages.iter())
            .map(|r| {
                let message: Option<&str> = r.get("id");
                Ok(SearchHit {
                    conversation_id: parse_uuid(r.get("conversation_id"))?,
                    message_id: message.map(parse_uuid).transpose()?,
                    snippet: r.get("snippet"),
                    visitor_name: r.get("visitor_name"),
                    conversation_state: ConversationState::parse(r.get("state")),
                    created_at: r.get("created_at"),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(SearchResult { hits })
    }

    // ---- the outbox ----

    /// Stores a message to send; it is durable once this returns.
    pub async fn queue_message(
        &self,
        conversation: Uuid,
        id: Uuid,
        me: &OperatorView,
        body: &str,
        now: i64,
    ) -> Result<Message> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO messages (id, conversation_id, seq, author, author_id, author_name, body,
                 created_at, status, queued_at)
             VALUES (?1, ?2, NULL, 'operator', ?3, ?4, ?5, ?6, 'pending', ?6)",
        )
        .bind(id.to_string())
        .bind(conversation.to_string())
        .bind(me.id.to_string())
        .bind(&me.display_name)
        .bind(body)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE conversations SET draft = '' WHERE id = ?1")
            .bind(conversation.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Message {
            id,
            author: AuthorKind::Operator,
            author_name: me.display_name.clone(),
            body: body.to_owned(),
            created_at: now,
            status: MessageStatus::Pending,
            error: None,
        })
    }

    /// The oldest pending message: (message id, conversation id, body).
    pub async fn next_pending(&self) -> Result<Option<(Uuid, Uuid, String)>> {
        let r: Option<(String, String, String)> = sqlx::query_as(
            "SELECT id, conversation_id, body FROM messages WHERE status = 'pending'
             ORDER BY queued_at, pk LIMIT 1",
        )
        .fetch_optional(&self.reader)
        .await?;
        r.map(|(id, c, b)| Ok((parse_uuid(&id)?, parse_uuid(&c)?, b)))
            .transpose()
    }

    pub async fn mark_failed(&self, id: Uuid, error: &EngineError) -> Result<()> {
        sqlx::query(
            "UPDATE messages SET status = 'failed', error_code = ?2, error_message = ?3
             WHERE id = ?1 AND status = 'pending'",
        )
        .bind(id.to_string())
        .bind(&error.code)
        .bind(&error.message)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// A failed message back to pending; false when there is no such unsent message.
    pub async fn retry(&self, id: Uuid) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE messages SET status = 'pending', error_code = NULL, error_message = NULL
             WHERE id = ?1 AND status = 'failed'",
        )
        .bind(id.to_string())
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Removes an unsent message; a conversation kept only for it goes too.
    pub async fn discard(&self, id: Uuid) -> Result<Option<Uuid>> {
        let mut tx = self.writer.begin().await?;
        let conv: Option<(String,)> = sqlx::query_as(
            "DELETE FROM messages WHERE id = ?1 AND status <> 'sent' RETURNING conversation_id",
        )
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((c,)) = &conv {
            sqlx::query(concat!(
                "DELETE FROM conversations AS c WHERE c.id = ?1 AND c.gone = 1 AND NOT ",
                holds_unsent!()
            ))
            .bind(c)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        conv.map(|(c,)| parse_uuid(&c)).transpose()
    }

    pub async fn outbox_len(&self) -> Result<i64> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM messages WHERE status = 'pending'")
            .fetch_one(&self.reader)
            .await?;
        Ok(n)
    }

    // ---- presence ----

    pub async fn replace_presence(&self, operators: &[OperatorPresence]) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("DELETE FROM presence")
            .execute(&mut *tx)
            .await?;
        for p in operators {
            Self::put_presence(&mut tx, p).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn update_presence(&self, p: &OperatorPresence) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        Self::put_presence(&mut tx, p).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn put_presence(tx: &mut Transaction<'_, Sqlite>, p: &OperatorPresence) -> Result<()> {
        sqlx::query(
            "INSERT INTO presence (operator_id, display_name, chose_online, online) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (operator_id) DO UPDATE SET display_name = excluded.display_name,
                 chose_online = excluded.chose_online, online = excluded.online",
        )
        .bind(p.operator_id.to_string())
        .bind(&p.display_name)
        .bind(p.chose_online)
        .bind(p.online)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// My presence and everyone online, as last reported.
    pub async fn presence(&self, me: Uuid) -> Result<Presence> {
        let rows: Vec<(String, String, bool, bool)> = sqlx::query_as(
            "SELECT operator_id, display_name, chose_online, online FROM presence ORDER BY display_name",
        )
        .fetch_all(&self.reader)
        .await?;
        let mut p = Presence::default();
        for (id, name, chose, online) in rows {
            let id = parse_uuid(&id)?;
            if id == me {
                p.chose_online = chose;
                p.online = online;
            }
            if online {
                p.operators_online.push(OnlineOperator {
                    id,
                    display_name: name,
                });
            }
        }
        Ok(p)
    }

    // ---- retention ----

    /// Prunes closed conversations closed before `cutoff` (unix ms), except those with unsent
    /// outbox messages or a draft. Returns how many went.
    pub async fn prune_closed(&self, cutoff: i64) -> Result<u64> {
        let mut tx = self.writer.begin().await?;
        let doomed = concat!(
            "SELECT c.id FROM conversations c
             WHERE c.state = 'closed' AND c.closed_at < ?1 AND c.draft = '' AND NOT ",
            holds_unsent!()
        );
        let ids: Vec<(String,)> = sqlx::query_as(doomed)
            .bind(cutoff)
            .fetch_all(&mut *tx)
            .await?;
        for (id,) in &ids {
            sqlx::query("DELETE FROM messages WHERE conversation_id = ?1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM conversations WHERE id = ?1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(ids.len() as u64)
    }

    // ---- for comparing with the server ----

    /// Every visible row with its stored messages, ordered by id (gone rows and unsent
    /// messages left out): what a fresh load from the server must equal.
    pub async fn snapshot(&self) -> Result<Vec<(ConversationView, Vec<MessageView>)>> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT row FROM conversations WHERE gone = 0 ORDER BY id")
                .fetch_all(&self.reader)
                .await?;
        let mut out = Vec::new();
        for (r,) in rows {
            let view: ConversationView = serde_json::from_str(&r)?;
            let ms = sqlx::query(
                "SELECT id, conversation_id, seq, author, author_id, author_name, body, created_at
                 FROM messages WHERE conversation_id = ?1 AND status = 'sent' ORDER BY seq",
            )
            .bind(view.id.to_string())
            .fetch_all(&self.reader)
            .await?;
            let messages = ms
                .iter()
                .map(|m| {
                    let author_id: Option<String> = m.get("author_id");
                    Ok(MessageView {
                        id: parse_uuid(m.get("id"))?,
                        conversation_id: parse_uuid(m.get("conversation_id"))?,
                        seq: m.get("seq"),
                        author: parse_author(m.get("author")),
                        author_id: author_id.as_deref().map(parse_uuid).transpose()?,
                        author_name: m.get("author_name"),
                        body: m.get("body"),
                        created_at: m.get("created_at"),
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            out.push((view, messages));
        }
        Ok(out)
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }
}

fn message_from_row(r: &sqlx::sqlite::SqliteRow) -> Result<Message> {
    let code: Option<String> = r.get("error_code");
    let message: Option<String> = r.get("error_message");
    Ok(Message {
        id: parse_uuid(r.get("id"))?,
        author: parse_author(r.get("author")),
        author_name: r.get("author_name"),
        body: r.get("body"),
        created_at: r.get("created_at"),
        status: MessageStatus::parse(r.get("status")),
        error: code.map(|c| EngineError::new(c, message.unwrap_or_default())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use frontdesk_protocol::{EventBody, RoleView};

    fn view(
        id: Uuid,
        state: &str,
        folder: Option<Folder>,
        closed_at: Option<i64>,
    ) -> ConversationView {
        ConversationView {
            id,
            visitor_id: Uuid::nil(),
            visitor_name: Some("Lena".into()),
            state: state.into(),
            folder,
            assignee_id: None,
            handled_by: None,
            handled_by_name: None,
            display_name: "Bot".into(),
            wait_deadline: None,
            created_at: 1,
            updated_at: closed_at.unwrap_or(1),
            closed_at,
            message_count: 1,
            last_message_at: Some(1),
            preview: Some("hi".into()),
            last_author: Some(AuthorKind::Visitor),
            qualified: None,
            playbook_id: None,
        }
    }

    fn message(conversation: Uuid, seq: i64) -> MessageView {
        MessageView {
            id: Uuid::now_v7(),
            conversation_id: conversation,
            seq,
            author: AuthorKind::Visitor,
            author_id: None,
            author_name: "Lena".into(),
            body: format!("message {seq}"),
            created_at: seq,
        }
    }

    async fn cache() -> (tempfile::TempDir, Cache) {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(&dir.path().join("cache.sqlite")).await.unwrap();
        (dir, cache)
    }

    fn me() -> OperatorView {
        OperatorView {
            id: Uuid::now_v7(),
            display_name: "Ann".into(),
            email: "ann@example.com".into(),
            role: RoleView::Operator,
            disabled: false,
        }
    }

    async fn page_cache_kib(conn: &mut sqlx::SqliteConnection) -> i64 {
        let (size,): (i64,) = sqlx::query_as("PRAGMA cache_size")
            .fetch_one(conn)
            .await
            .unwrap();
        -size
    }

    async fn writer_page_cache_kib(cache: &Cache) -> i64 {
        page_cache_kib(&mut cache.writer.acquire().await.unwrap()).await
    }

    #[tokio::test]
    async fn page_caches_stay_small_except_while_catching_up() {
        let (_dir, cache) = cache().await;
        // Every reader the pool opens, not just the first: hold four at once.
        let mut readers = Vec::new();
        for _ in 0..4 {
            readers.push(cache.reader.acquire().await.unwrap());
        }
        for conn in &mut readers {
            assert_eq!(page_cache_kib(conn).await, PAGE_CACHE_KIB);
        }
        assert_eq!(writer_page_cache_kib(&cache).await, PAGE_CACHE_KIB);
        cache.catching_up(true).await;
        assert_eq!(writer_page_cache_kib(&cache).await, CATCH_UP_PAGE_CACHE_KIB);
        cache.catching_up(false).await;
        assert_eq!(writer_page_cache_kib(&cache).await, PAGE_CACHE_KIB);
    }

    #[tokio::test]
    async fn retention_prunes_old_closed_chats_but_keeps_unsent_work() {
        let (_dir, cache) = cache().await;
        let day = 24 * 3600 * 1000;
        let now = 1000 * day;
        let (old, old_with_failed, old_with_draft, recent, open) = (
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
        );
        let rows = [
            view(old, "closed", Some(Folder::Closed), Some(now - 100 * day)),
            view(
                old_with_failed,
                "closed",
                Some(Folder::Closed),
                Some(now - 100 * day),
            ),
            view(
                old_with_draft,
                "closed",
                Some(Folder::Closed),
                Some(now - 100 * day),
            ),
            view(recent, "closed", Some(Folder::Closed), Some(now - 10 * day)),
            view(open, "waiting", Some(Folder::Unassigned), None),
        ];
        cache.put_rows(&rows).await.unwrap();
        cache
            .put_messages(&[message(old, 1), message(recent, 1)])
            .await
            .unwrap();
        let m = cache
            .queue_message(old_with_failed, Uuid::now_v7(), &me(), "too late", now)
            .await
            .unwrap();
        cache
            .mark_failed(m.id, &EngineError::new("conversation_closed", "closed"))
            .await
            .unwrap();
        assert!(cache
            .save_draft(old_with_draft, "unsent thought")
            .await
            .unwrap());

        assert_eq!(cache.prune_closed(now - 90 * day).await.unwrap(), 1);
        let left: Vec<Uuid> = cache
            .snapshot()
            .await
            .unwrap()
            .into_iter()
            .map(|(c, _)| c.id)
            .collect();
        assert!(!left.contains(&old));
        for kept in [old_with_failed, old_with_draft, recent, open] {
            assert!(left.contains(&kept));
        }
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM messages WHERE conversation_id = ?1")
                .bind(old.to_string())
                .fetch_one(&cache.reader)
                .await
                .unwrap();
        assert_eq!(n, 0, "its messages went too");
    }

    #[tokio::test]
    async fn bulk_messages_are_idempotent_confirm_the_outbox_and_count_unread() {
        let (_dir, cache) = cache().await;
        let c = Uuid::now_v7();
        cache
            .put_rows(&[view(c, "assigned", Some(Folder::Mine), None)])
            .await
            .unwrap();
        let mine = cache
            .queue_message(c, Uuid::now_v7(), &me(), "typed offline", 5)
            .await
            .unwrap();
        let mut page = vec![message(c, 1), message(c, 2)];
        let mut confirmed = message(c, 3);
        confirmed.id = mine.id;
        confirmed.author = AuthorKind::Operator;
        confirmed.body = "typed offline".into();
        page.push(confirmed);
        page.push(message(c, 4));
        cache.put_messages(&page).await.unwrap();
        cache.put_messages(&page).await.unwrap(); // a replay changes nothing

        let held = cache.messages(c).await.unwrap();
        assert_eq!(held.len(), 4, "{held:?}");
        let sent = held.iter().find(|m| m.id == mine.id).unwrap();
        assert_eq!(sent.status, MessageStatus::Sent);
        assert_eq!(cache.last_seq(c).await.unwrap(), 4);
        assert_eq!(cache.outbox_len().await.unwrap(), 0);
        let unread = |cache: Cache| async move {
            cache.detail(c).await.unwrap().unwrap().conversation.unread
        };
        assert_eq!(unread(cache.clone()).await, 3, "the visitor's three");
        assert!(cache.mark_read(c).await.unwrap());
        cache.put_messages(&[message(c, 5)]).await.unwrap();
        assert_eq!(
            unread(cache.clone()).await,
            1,
            "only the one after the mark"
        );

        // Another server database's message at a taken seq: the server's numbering wins.
        let other = message(c, 2);
        cache
            .put_messages(std::slice::from_ref(&other))
            .await
            .unwrap();
        let held = cache.messages(c).await.unwrap();
        assert_eq!(held.len(), 5);
        assert!(held.iter().any(|m| m.id == other.id));
        assert!(!held.iter().any(|m| m.id == page[1].id));
        // The full-text index followed every insert and delete.
        let hits = cache.search("message", 50).await.unwrap().hits;
        assert_eq!(hits.len(), 4, "{hits:?}");
    }

    #[tokio::test]
    async fn switching_accounts_never_drops_unsent_messages() {
        let (_dir, cache) = cache().await;
        let ann = me();
        cache
            .set_signed_in("http://a", &ann, TokenBackend::File)
            .await
            .unwrap();
        let id = Uuid::now_v7();
        cache
            .put_rows(&[view(id, "assigned", Some(Folder::Mine), None)])
            .await
            .unwrap();
        let m = cache
            .queue_message(id, Uuid::now_v7(), &ann, "pending", 1)
            .await
            .unwrap();
        cache.check_switch("http://a", ann.id).await.unwrap();
        let e = cache
            .check_switch("http://a", Uuid::now_v7())
            .await
            .unwrap_err();
        assert_eq!(e.code, "unsent_messages");
        assert!(e.message.contains("ann@example.com"), "{}", e.message);
        assert_eq!(
            cache
                .check_switch("http://b", ann.id)
                .await
                .unwrap_err()
                .code,
            "unsent_messages"
        );
        cache.discard(m.id).await.unwrap();
        cache
            .check_switch("http://b", Uuid::now_v7())
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn replays_change_nothing_and_a_removal_then_upsert_keeps_the_messages() {
        let (_dir, cache) = cache().await;
        let id = Uuid::now_v7();
        let row = view(id, "waiting", Some(Folder::Unassigned), None);
        let m = message(id, 1);
        let event = EventBody::Message {
            message: m.clone(),
            conversation: row.clone(),
        };
        let first = cache.apply_event(1, "e", &event).await.unwrap();
        assert!(first.new_message && first.previous.is_none());
        let replay = cache.apply_event(1, "e", &event).await.unwrap();
        assert!(!replay.new_message);
        let before = cache.snapshot().await.unwrap();
        assert_eq!(before.len(), 1);
        assert_eq!(before[0].1, vec![m]);
        assert_eq!(
            cache.folder_counts().await.unwrap().unassigned,
            FolderCount {
                total: 1,
                unread: 1
            }
        );

        // What an assign sends the new assignee: removed, then the row as it is now.
        cache
            .apply_event(
                2,
                "e",
                &EventBody::ConversationRemoved {
                    conversation_id: id,
                },
            )
            .await
            .unwrap();
        assert!(
            cache.snapshot().await.unwrap().is_empty(),
            "hidden while removed"
        );
        let mut mine = row.clone();
        mine.folder = Some(Folder::Mine);
        mine.updated_at = 2;
        let applied = cache
            .apply_event(
                3,
                "e",
                &EventBody::ConversationUpsert {
                    conversation: mine.clone(),
                },
            )
            .await
            .unwrap();
        assert!(
            applied.previous.is_none(),
            "a gone row is no previous row for notifications"
        );
        let after = cache.snapshot().await.unwrap();
        assert_eq!(after[0].0, mine);
        assert_eq!(after[0].1, before[0].1, "messages kept");
        // An older row never overwrites a newer one.
        cache.put_rows(&[row]).await.unwrap();
        assert_eq!(cache.snapshot().await.unwrap()[0].0, mine);
        assert_eq!(
            cache.session().await.unwrap().cursor,
            Some((3, "e".to_owned()))
        );
    }

    #[test]
    fn search_text_becomes_safe_prefix_terms() {
        assert_eq!(
            fts_query("Angebot Größe").as_deref(),
            Some("\"Angebot\"* \"Größe\"*")
        );
        assert_eq!(
            fts_query("\"AND (OR* -").as_deref(),
            Some("\"AND\"* \"OR\"*")
        );
        assert_eq!(fts_query("  ** ").as_deref(), None);
    }
}
