//! The SQLite side of [`WriteTx`]: statements on the writer's connection, inside the group
//! transaction (and the request's SAVEPOINT). Events get their `seq` right away from the
//! writer's counter: the single writer commits in seq order.

use super::rows::{self, MESSAGE_COLS};
use super::writer::WriteCtx;
use super::{conversations, playbooks};
use crate::sequencing::{NewConversation, NewEvent, NewFollowUp, WriteTx};
use crate::*;
use frontdesk_core::playbook::Playbook;
use frontdesk_core::MessageId;
use frontdesk_protocol::FieldValue;
use rusqlite::{params, Connection, OptionalExtension};
use std::future::Future;
use std::task::{Context, Poll, Waker};

/// The writer's connection and bookkeeping, for one request.
pub(crate) struct SqliteTx<'a> {
    pub conn: &'a Connection,
    pub ctx: &'a mut WriteCtx,
}

/// Runs the sequencing on the writer thread. Every [`SqliteTx`] method is synchronous
/// underneath, so the future finishes in one poll; no async runtime is involved.
pub(crate) fn run_ready<T>(f: impl Future<Output = StoreResult<T>>) -> StoreResult<T> {
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(result) => result,
        Poll::Pending => Err(StoreError::Storage(
            "internal error: a SQLite write waited".into(),
        )),
    }
}

impl WriteTx for SqliteTx<'_> {
    fn set_actor(&mut self, actor: String) {
        self.ctx.actor = actor;
    }

    // The single writer needs no row locks: nobody else writes.
    async fn conversation(&mut self, id: ConversationId) -> StoreResult<ConversationRecord> {
        conversations::load(self.conn, id)
    }

    async fn open_conversation_of(
        &mut self,
        visitor: VisitorId,
    ) -> StoreResult<Option<ConversationRecord>> {
        conversations::open_of(self.conn, visitor)
    }

    async fn visitor(&mut self, id: VisitorId) -> StoreResult<VisitorRecord> {
        conversations::visitor(self.conn, id)
    }

    async fn playbook(&mut self, id: uuid::Uuid) -> StoreResult<PlaybookRecord> {
        playbooks::load(self.conn, id)
    }

    async fn playbook_version(&mut self, id: uuid::Uuid, version: i64) -> StoreResult<Playbook> {
        playbooks::definition(self.conn, id, version)
    }

    async fn insert_conversation(&mut self, c: &NewConversation) -> StoreResult<()> {
        self.conn.execute(
            "INSERT INTO conversations (id, visitor_id, state, display_name, created_at, updated_at,
                                        playbook_id, playbook_version, language, page_url, referrer)
             VALUES (?1, ?2, 'bot', ?3, ?4, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                c.id.to_string(),
                c.visitor_id.to_string(),
                c.display_name,
                c.now,
                c.playbook.map(|p| p.0.to_string()),
                c.playbook.map(|p| p.1),
                c.language.code(),
                c.page_url,
                c.referrer
            ],
        )?;
        Ok(())
    }

    async fn update_lifecycle(&mut self, c: &ConversationRecord) -> StoreResult<()> {
        let deadline = crate::columns::deadline(&c.state);
        self.conn.execute(
            "UPDATE conversations SET state = ?2, assignee_id = ?3, wait_deadline = ?4, display_name = ?5, updated_at = ?6,
                    handled_by = ?7, handled_by_name = ?8, closed_at = ?9
             WHERE id = ?1",
            params![
                c.id.to_string(),
                c.state.name(),
                c.state.assignee().map(|o| o.to_string()),
                deadline,
                c.display_name,
                c.updated_at,
                c.handled_by.as_ref().map(|(o, _)| o.to_string()),
                c.handled_by.as_ref().map(|(_, n)| n.clone()),
                c.closed_at
            ],
        )?;
        Ok(())
    }

    async fn update_bot_progress(
        &mut self,
        id: ConversationId,
        bot_card: Option<&str>,
        qualified: Option<bool>,
        now: Millis,
    ) -> StoreResult<()> {
        self.conn.execute(
            "UPDATE conversations SET bot_card = ?2, qualified = COALESCE(?3, qualified), updated_at = ?4 WHERE id = ?1",
            params![id.to_string(), bot_card, qualified, now],
        )?;
        Ok(())
    }

    async fn message(&mut self, id: MessageId) -> StoreResult<Option<MessageView>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {MESSAGE_COLS} FROM messages WHERE id = ?1"
            ))?
            .query_row([id.to_string()], rows::message)
            .optional()?)
    }

    async fn insert_message(
        &mut self,
        m: &MessageView,
        conversation: &ConversationRecord,
    ) -> StoreResult<()> {
        let author = crate::columns::author_kind_str(m.author);
        self.conn
            .prepare_cached(
                "INSERT INTO messages (id, conversation_id, author_kind, author_id, author_name, body, created_at, seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                m.id.to_string(),
                m.conversation_id.to_string(),
                author,
                m.author_id.map(|a| a.to_string()),
                m.author_name,
                m.body,
                m.created_at,
                m.seq
            ])?;
        self.conn
            .prepare_cached(
                "UPDATE conversations SET message_count = ?2, last_message_at = ?3, preview = ?4, last_author = ?5, updated_at = ?6
                 WHERE id = ?1",
            )?
            .execute(params![
                conversation.id.to_string(),
                conversation.message_count,
                conversation.last_message_at,
                conversation.preview,
                conversation.last_author.map(crate::columns::author_kind_str),
                conversation.updated_at
            ])?;
        Ok(())
    }

    async fn upsert_field(
        &mut self,
        id: ConversationId,
        key: &str,
        value: &str,
        now: Millis,
    ) -> StoreResult<()> {
        self.conn.execute(
            "INSERT INTO conversation_fields (conversation_id, key, value, updated_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (conversation_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            params![id.to_string(), key, value, now],
        )?;
        Ok(())
    }

    async fn fields(&mut self, id: ConversationId) -> StoreResult<Vec<FieldValue>> {
        conversations::fields(self.conn, id)
    }

    async fn set_visitor_name(&mut self, visitor: VisitorId, name: &str) -> StoreResult<()> {
        self.conn.execute(
            "UPDATE visitors SET name = ?2 WHERE id = ?1",
            params![visitor.to_string(), name],
        )?;
        Ok(())
    }

    async fn page_url(&mut self, id: ConversationId) -> StoreResult<Option<String>> {
        Ok(self.conn.query_row(
            "SELECT page_url FROM conversations WHERE id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )?)
    }

    async fn mark_converted(&mut self, id: ConversationId, page: Option<&str>) -> StoreResult<()> {
        self.conn.execute(
            "UPDATE conversations SET converted_url = COALESCE(converted_url, ?2) WHERE id = ?1",
            params![id.to_string(), page],
        )?;
        Ok(())
    }

    async fn insert_follow_up(&mut self, f: &NewFollowUp) -> StoreResult<()> {
        self.conn.execute(
            "INSERT INTO follow_ups (id, conversation_id, kind, title, fields, page_url, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![f.id.to_string(), f.conversation_id.to_string(), f.kind, f.title, f.fields, f.page_url, f.now],
        )?;
        Ok(())
    }

    async fn assigned_to(&mut self, operator: OperatorId) -> StoreResult<Vec<ConversationId>> {
        let ids: Vec<String> = self
            .conn
            .prepare_cached(
                "SELECT id FROM conversations WHERE state = 'assigned' AND assignee_id = ?1 ORDER BY num",
            )?
            .query_map([operator.to_string()], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        ids.iter().map(|id| rows::parse_id(id)).collect()
    }

    async fn append_event(&mut self, e: NewEvent) -> StoreResult<()> {
        let seq = self.ctx.next_seq;
        self.conn
            .prepare_cached(
                "INSERT INTO events (seq, conversation_id, op_audience, visitor_id, payload, created_at, actor) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                seq,
                e.conversation_id.to_string(),
                e.op_audience(),
                e.visitor.map(|v| v.to_string()),
                e.payload,
                e.at,
                self.ctx.actor
            ])?;
        self.ctx.next_seq += 1;
        let actor = self.ctx.actor.clone();
        self.ctx.events.push(Arc::new(e.stored(seq, actor)));
        Ok(())
    }
}
