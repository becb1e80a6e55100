//! The SQLite side of [`WriteTx`]: statements on the writer's connection, inside the group
//! transaction (and the request's SAVEPOINT). Events get their `seq` right away from the
//! writer's counter: the single writer commits in seq order.

use super::rows::{self, MESSAGE_COLS};
use super::writer::WriteCtx;
use super::{conversations, crm, playbooks};
use crate::sequencing::crm::{
    status_str, write_list, AuditRow, NewResultRow, PersonRow, StoredSales,
};
use crate::sequencing::{NewConversation, NewEvent, NewFollowUp, WriteTx};
use crate::*;
use frontdesk_core::playbook::Playbook;
use frontdesk_core::MessageId;
use frontdesk_protocol::{CreatedResultView, FieldValue, ResultKind, SyncView};
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

impl SqliteTx<'_> {
    /// Runs a statement from the connection's cache: the same few statements run for every
    /// request, and parsing them each time showed in the writer's profile.
    fn execute(&self, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize> {
        self.conn.prepare_cached(sql)?.execute(params)
    }

    /// [`SqliteTx::execute`] for a statement that returns one row.
    fn query_row<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        f: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        self.conn.prepare_cached(sql)?.query_row(params, f)
    }
}

impl WriteTx for SqliteTx<'_> {
    fn set_actor(&mut self, actor: String) {
        self.ctx.actor = actor;
    }

    fn actor(&self) -> &str {
        &self.ctx.actor
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
        self.execute(
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
        self.execute(
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
        self.execute(
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
        self.execute(
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
        self.execute(
            "UPDATE visitors SET name = ?2 WHERE id = ?1",
            params![visitor.to_string(), name],
        )?;
        Ok(())
    }

    async fn page_url(&mut self, id: ConversationId) -> StoreResult<Option<String>> {
        Ok(self.query_row(
            "SELECT page_url FROM conversations WHERE id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )?)
    }

    async fn mark_converted(&mut self, id: ConversationId, page: Option<&str>) -> StoreResult<()> {
        self.execute(
            "UPDATE conversations SET converted_url = COALESCE(converted_url, ?2) WHERE id = ?1",
            params![id.to_string(), page],
        )?;
        Ok(())
    }

    async fn insert_follow_up(&mut self, f: &NewFollowUp) -> StoreResult<()> {
        self.execute(
            "INSERT INTO follow_ups (id, conversation_id, kind, title, fields, page_url, created_at, result_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                f.id.to_string(),
                f.conversation_id.to_string(),
                f.kind,
                f.title,
                f.fields,
                f.page_url,
                f.now,
                f.result_id.map(|r| r.to_string())
            ],
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

    async fn stored_sales(&mut self, id: ConversationId) -> StoreResult<Option<StoredSales>> {
        crm::stored_sales(self.conn, id)
    }

    async fn save_sales(&mut self, id: ConversationId, s: &StoredSales) -> StoreResult<()> {
        self.execute(
            "INSERT INTO conversation_sales (conversation_id, details, updated_at, updated_by_name) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (conversation_id) DO UPDATE SET details = excluded.details, updated_at = excluded.updated_at,
                                                         updated_by_name = excluded.updated_by_name",
            params![id.to_string(), s.details, s.updated_at, s.updated_by_name],
        )?;
        Ok(())
    }

    async fn result_by_key(
        &mut self,
        key: uuid::Uuid,
    ) -> StoreResult<Option<(uuid::Uuid, ConversationId, ResultKind)>> {
        let found: Option<(String, String, String)> = self
            .conn
            .prepare_cached(
                "SELECT id, conversation_id, kind FROM crm_results WHERE idempotency_key = ?1",
            )?
            .query_row([key.to_string()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        found
            .map(|(id, conversation, kind)| {
                Ok((
                    rows::parse_id(&id)?,
                    rows::parse_id(&conversation)?,
                    ResultKind::parse(&kind)
                        .ok_or_else(|| StoreError::Storage(format!("bad result kind {kind}")))?,
                ))
            })
            .transpose()
    }

    async fn result(&mut self, id: uuid::Uuid) -> StoreResult<CreatedResultView> {
        crm::result_view(self.conn, id)
    }

    async fn insert_result(&mut self, r: &NewResultRow) -> StoreResult<()> {
        self.execute(
            "INSERT INTO crm_results (id, idempotency_key, conversation_id, kind, title, value, currency, person_id, org_id,
                                      owner_id, owner_name, source, converted_url, stage, activity_type, created_at,
                                      sync_status, next_attempt_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
            params![
                r.id.to_string(),
                r.idempotency_key.to_string(),
                r.conversation_id.to_string(),
                r.kind.as_str(),
                r.title,
                r.value,
                r.currency,
                r.person_id.to_string(),
                r.organization_id.map(|o| o.to_string()),
                r.owner.as_ref().map(|(o, _)| o.to_string()),
                r.owner.as_ref().map(|(_, n)| n.clone()),
                r.source,
                r.converted_url,
                r.stage,
                r.activity_type,
                r.created_at,
                status_str(r.sync.status),
                r.sync.next_attempt_at
            ],
        )?;
        Ok(())
    }

    async fn set_sync(&mut self, id: uuid::Uuid, s: &SyncView) -> StoreResult<()> {
        self.execute(
            "UPDATE crm_results SET sync_status = ?2, sync_url = ?3, sync_error = ?4, attempts = ?5, next_attempt_at = ?6
             WHERE id = ?1",
            params![
                id.to_string(),
                status_str(s.status),
                s.url,
                s.error,
                s.attempts,
                s.next_attempt_at
            ],
        )?;
        Ok(())
    }

    async fn set_result_remote(
        &mut self,
        id: uuid::Uuid,
        item: Option<&str>,
        note: Option<i64>,
    ) -> StoreResult<bool> {
        let n = self.execute(
            "UPDATE crm_results SET remote_id = COALESCE(?2, remote_id), remote_note_id = COALESCE(?3, remote_note_id)
             WHERE id = ?1",
            params![id.to_string(), item, note],
        )?;
        Ok(n > 0)
    }

    async fn insert_note(
        &mut self,
        result: uuid::Uuid,
        content: &str,
        now: Millis,
    ) -> StoreResult<()> {
        self.execute(
            "INSERT INTO crm_notes (id, result_id, content, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![
                uuid::Uuid::now_v7().to_string(),
                result.to_string(),
                content,
                now
            ],
        )?;
        Ok(())
    }

    async fn messages(&mut self, id: ConversationId) -> StoreResult<Vec<MessageView>> {
        conversations::messages(self.conn, id)
    }

    async fn converted_url(&mut self, id: ConversationId) -> StoreResult<Option<String>> {
        Ok(self.query_row(
            "SELECT converted_url FROM conversations WHERE id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )?)
    }

    async fn meta(&mut self, key: &str) -> StoreResult<Option<String>> {
        playbooks::meta(self.conn, key)
    }

    async fn person_by_email(&mut self, email_key: &str) -> StoreResult<Option<uuid::Uuid>> {
        let found: Option<String> = self
            .conn
            .prepare_cached("SELECT person_id FROM crm_person_emails WHERE email = ?1")?
            .query_row([email_key], |r| r.get(0))
            .optional()?;
        found.map(|p| rows::parse_id(&p)).transpose()
    }

    async fn person_of_visitor(&mut self, visitor: VisitorId) -> StoreResult<Option<uuid::Uuid>> {
        let found: Option<String> = self
            .conn
            .prepare_cached(
                "SELECT id FROM crm_persons WHERE visitor_id = ?1 ORDER BY created_at, id LIMIT 1",
            )?
            .query_row([visitor.to_string()], |r| r.get(0))
            .optional()?;
        found.map(|p| rows::parse_id(&p)).transpose()
    }

    async fn person(&mut self, id: uuid::Uuid) -> StoreResult<PersonRow> {
        crm::person(self.conn, id).map(|(p, _)| p)
    }

    async fn insert_person(&mut self, p: &PersonRow, now: Millis) -> StoreResult<()> {
        self.execute(
            "INSERT INTO crm_persons (id, name, emails, phones, visitor_id, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
            params![
                p.id.to_string(),
                p.name,
                write_list(&p.emails)?,
                write_list(&p.phones)?,
                p.visitor_id.map(|v| v.to_string()),
                now
            ],
        )?;
        Ok(())
    }

    async fn update_person(&mut self, p: &PersonRow, now: Millis) -> StoreResult<()> {
        self.execute(
            "UPDATE crm_persons SET name = ?2, emails = ?3, phones = ?4, visitor_id = ?5, updated_at = ?6 WHERE id = ?1",
            params![
                p.id.to_string(),
                p.name,
                write_list(&p.emails)?,
                write_list(&p.phones)?,
                p.visitor_id.map(|v| v.to_string()),
                now
            ],
        )?;
        Ok(())
    }

    async fn insert_person_email(
        &mut self,
        email_key: &str,
        person: uuid::Uuid,
        keep_existing: bool,
    ) -> StoreResult<()> {
        let sql = if keep_existing {
            "INSERT INTO crm_person_emails (email, person_id) VALUES (?1, ?2) ON CONFLICT (email) DO NOTHING"
        } else {
            "INSERT INTO crm_person_emails (email, person_id) VALUES (?1, ?2)"
        };
        self.conn
            .prepare_cached(sql)?
            .execute(params![email_key, person.to_string()])?;
        Ok(())
    }

    async fn organization_by_key(&mut self, name_key: &str) -> StoreResult<Option<uuid::Uuid>> {
        let found: Option<String> = self
            .conn
            .prepare_cached("SELECT id FROM crm_organizations WHERE name_key = ?1")?
            .query_row([name_key], |r| r.get(0))
            .optional()?;
        found.map(|p| rows::parse_id(&p)).transpose()
    }

    async fn insert_organization(
        &mut self,
        id: uuid::Uuid,
        name: &str,
        name_key: &str,
        address: Option<&str>,
        now: Millis,
    ) -> StoreResult<()> {
        self.execute(
            "INSERT INTO crm_organizations (id, name, name_key, address, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id.to_string(), name, name_key, address, now],
        )?;
        Ok(())
    }

    async fn fill_organization_address(
        &mut self,
        id: uuid::Uuid,
        address: &str,
    ) -> StoreResult<()> {
        self.execute(
            "UPDATE crm_organizations SET address = COALESCE(address, ?2) WHERE id = ?1",
            params![id.to_string(), address],
        )?;
        Ok(())
    }

    async fn set_person_remote(&mut self, id: uuid::Uuid, remote_id: i64) -> StoreResult<bool> {
        let n = self.execute(
            "UPDATE crm_persons SET remote_id = ?2 WHERE id = ?1",
            params![id.to_string(), remote_id],
        )?;
        Ok(n > 0)
    }

    async fn set_organization_remote(
        &mut self,
        id: uuid::Uuid,
        remote_id: i64,
    ) -> StoreResult<bool> {
        let n = self.execute(
            "UPDATE crm_organizations SET remote_id = ?2 WHERE id = ?1",
            params![id.to_string(), remote_id],
        )?;
        Ok(n > 0)
    }

    async fn insert_audit(&mut self, a: &AuditRow<'_>) -> StoreResult<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO audit_log (conversation_id, at, actor, action, fields, result_id, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                a.conversation_id.to_string(),
                a.at,
                self.ctx.actor,
                a.action,
                a.fields,
                a.result_id.map(|r| r.to_string()),
                a.note
            ])?;
        Ok(())
    }
}
