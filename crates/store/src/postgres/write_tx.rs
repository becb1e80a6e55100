//! The PostgreSQL side of [`WriteTx`], and how a write transaction commits.
//!
//! Event order with several writers (several pools, several nodes): events are buffered
//! while the transaction runs and get their `seq`s only at its end, from the one row of
//! `event_counter` (`UPDATE … SET last_seq = last_seq + n`). That row's lock is held until
//! COMMIT, so the writers that emit events commit one after the other in seq order, and
//! PostgreSQL makes a transaction visible before it releases its locks. Hence a snapshot
//! that sees seq n+1 sees seq n (the argument in full: ARCHITECTURE.md, "Event order").

use super::crm::RESULT_COLS;
use super::rows::{self, CONVERSATION_COLS, CONVERSATION_FROM, MESSAGE_COLS};
use crate::sequencing::crm::{
    status_str, write_list, AuditRow, NewResultRow, PersonRow, StoredSales,
};
use crate::sequencing::{NewConversation, NewEvent, NewFollowUp, WriteTx, SYSTEM_ACTOR};
use crate::*;
use frontdesk_core::playbook::Playbook;
use frontdesk_core::MessageId;
use frontdesk_protocol::{CreatedResultView, FieldValue, ResultKind, SyncView};
use sqlx::{AssertSqlSafe, PgPool, Postgres, Row, Transaction};

/// The NOTIFY channel that wakes every node's event tail after a commit with events.
pub(crate) const EVENTS_CHANNEL: &str = "frontdesk_events";

/// SQLSTATEs after which the whole transaction is run again: a serialization failure, a
/// deadlock, or a unique key another writer took meanwhile (the next run reads its row).
const RETRY_STATES: &[&str] = &["40001", "40P01", "23505"];

/// One write transaction on a pooled connection.
pub(crate) struct PgTx {
    tx: Transaction<'static, Postgres>,
    actor: String,
    /// Events appended so far, with the actor each was caused by; numbered at commit.
    events: Vec<(NewEvent, String)>,
    /// A statement failed in a way that running the transaction again may fix.
    pub retry: bool,
}

impl PgTx {
    /// READ COMMITTED: a writer that waited for a row lock reads the row as committed by the
    /// writer before it (REPEATABLE READ would fail instead), and the sequencing re-reads
    /// what it decides on under that lock.
    pub async fn begin(pool: &PgPool) -> StoreResult<Self> {
        let tx = pool
            .begin_with("BEGIN ISOLATION LEVEL READ COMMITTED")
            .await?;
        Ok(PgTx {
            tx,
            actor: SYSTEM_ACTOR.to_owned(),
            events: Vec::new(),
            retry: false,
        })
    }

    /// The connection, for statements of the store's plain writes.
    pub fn conn(&mut self) -> &mut sqlx::PgConnection {
        &mut self.tx
    }

    /// Maps a statement's error, noting whether a second run may succeed.
    pub fn check<T>(&mut self, r: Result<T, sqlx::Error>) -> StoreResult<T> {
        r.map_err(|e| {
            if let sqlx::Error::Database(db) = &e {
                if db
                    .code()
                    .is_some_and(|c| RETRY_STATES.contains(&c.as_ref()))
                {
                    self.retry = true;
                }
            }
            StoreError::from(e)
        })
    }

    /// Numbers the buffered events, stores them and commits. `Ok(true)` when events were
    /// committed; on failure, whether running the transaction again may succeed.
    pub async fn commit(mut self) -> Result<bool, (StoreError, bool)> {
        let had_events = !self.events.is_empty();
        let numbered = self.number_events().await;
        let done = match numbered {
            Ok(()) => {
                let r = self.tx.commit().await;
                r.map_err(StoreError::from)
            }
            Err(e) => Err(e),
        };
        match done {
            Ok(()) => Ok(had_events),
            Err(e) => Err((e, self.retry)),
        }
    }

    async fn number_events(&mut self) -> StoreResult<()> {
        if self.events.is_empty() {
            return Ok(());
        }
        let n = self.events.len() as i64;
        // The wake-up is queued first: it goes out only if this transaction commits.
        let notify = sqlx::query("SELECT pg_notify($1, '')")
            .bind(EVENTS_CHANNEL)
            .execute(&mut *self.tx)
            .await;
        self.check(notify)?;
        let (mut ids, mut ops, mut visitors, mut payloads, mut ats, mut actors) =
            (vec![], vec![], vec![], vec![], vec![], vec![]);
        for (e, actor) in std::mem::take(&mut self.events) {
            ids.push(e.conversation_id.to_string());
            ops.push(e.op_audience());
            visitors.push(e.visitor.map(|v| v.to_string()));
            payloads.push(e.payload);
            ats.push(e.at);
            actors.push(actor);
        }
        // From here to COMMIT this transaction holds the counter row: one statement.
        let stored = sqlx::query(
            "WITH counter AS (
                 UPDATE event_counter SET last_seq = last_seq + $1 RETURNING last_seq
             )
             INSERT INTO events (seq, conversation_id, op_audience, visitor_id, payload, created_at, actor)
             SELECT counter.last_seq - $1 + e.n, e.conversation_id, e.op_audience, e.visitor_id,
                    e.payload, e.created_at, e.actor
             FROM counter, UNNEST($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[])
                  WITH ORDINALITY AS e(conversation_id, op_audience, visitor_id, payload, created_at, actor, n)",
        )
        .bind(n)
        .bind(&ids)
        .bind(&ops)
        .bind(&visitors)
        .bind(&payloads)
        .bind(&ats)
        .bind(&actors)
        .execute(&mut *self.tx)
        .await;
        self.check(stored).map(drop)
    }

    pub async fn rollback(self) {
        // A failed rollback leaves nothing behind: the connection's transaction ends with it.
        let _ = self.tx.rollback().await;
    }
}

impl WriteTx for PgTx {
    fn set_actor(&mut self, actor: String) {
        self.actor = actor;
    }

    fn actor(&self) -> &str {
        &self.actor
    }

    async fn conversation(&mut self, id: ConversationId) -> StoreResult<ConversationRecord> {
        let r = sqlx::query(AssertSqlSafe(format!(
            "SELECT {CONVERSATION_COLS} FROM {CONVERSATION_FROM} WHERE c.id = $1 FOR UPDATE OF c"
        )))
        .bind(id.to_string())
        .fetch_one(&mut *self.tx)
        .await;
        rows::conversation(&self.check(r)?)
    }

    async fn open_conversation_of(
        &mut self,
        visitor: VisitorId,
    ) -> StoreResult<Option<ConversationRecord>> {
        let r = sqlx::query(AssertSqlSafe(format!(
            "SELECT {CONVERSATION_COLS} FROM {CONVERSATION_FROM}
             WHERE c.visitor_id = $1 AND c.state <> 'closed' FOR UPDATE OF c"
        )))
        .bind(visitor.to_string())
        .fetch_optional(&mut *self.tx)
        .await;
        self.check(r)?.as_ref().map(rows::conversation).transpose()
    }

    async fn visitor(&mut self, id: VisitorId) -> StoreResult<VisitorRecord> {
        super::accounts::visitor(&mut self.tx, id).await
    }

    async fn playbook(&mut self, id: uuid::Uuid) -> StoreResult<PlaybookRecord> {
        super::playbooks::load(&mut self.tx, id).await
    }

    async fn playbook_version(&mut self, id: uuid::Uuid, version: i64) -> StoreResult<Playbook> {
        super::playbooks::definition(&mut self.tx, id, version).await
    }

    async fn insert_conversation(&mut self, c: &NewConversation) -> StoreResult<()> {
        let r = sqlx::query(
            "INSERT INTO conversations (id, visitor_id, state, display_name, created_at, updated_at,
                                        playbook_id, playbook_version, language, page_url, referrer)
             VALUES ($1, $2, 'bot', $3, $4, $4, $5, $6, $7, $8, $9)",
        )
        .bind(c.id.to_string())
        .bind(c.visitor_id.to_string())
        .bind(&c.display_name)
        .bind(c.now)
        .bind(c.playbook.map(|p| p.0.to_string()))
        .bind(c.playbook.map(|p| p.1))
        .bind(c.language.code())
        .bind(&c.page_url)
        .bind(&c.referrer)
        .execute(&mut *self.tx)
        .await;
        self.check(r).map(drop)
    }

    async fn update_lifecycle(&mut self, c: &ConversationRecord) -> StoreResult<()> {
        let r = sqlx::query(
            "UPDATE conversations SET state = $2, assignee_id = $3, wait_deadline = $4, display_name = $5,
                    updated_at = $6, handled_by = $7, handled_by_name = $8, closed_at = $9
             WHERE id = $1",
        )
        .bind(c.id.to_string())
        .bind(c.state.name())
        .bind(c.state.assignee().map(|o| o.to_string()))
        .bind(crate::columns::deadline(&c.state))
        .bind(&c.display_name)
        .bind(c.updated_at)
        .bind(c.handled_by.as_ref().map(|(o, _)| o.to_string()))
        .bind(c.handled_by.as_ref().map(|(_, n)| n.clone()))
        .bind(c.closed_at)
        .execute(&mut *self.tx)
        .await;
        self.check(r).map(drop)
    }

    async fn update_bot_progress(
        &mut self,
        id: ConversationId,
        bot_card: Option<&str>,
        qualified: Option<bool>,
        now: Millis,
    ) -> StoreResult<()> {
        let r = sqlx::query(
            "UPDATE conversations SET bot_card = $2, qualified = COALESCE($3, qualified), updated_at = $4 WHERE id = $1",
        )
        .bind(id.to_string())
        .bind(bot_card)
        .bind(qualified)
        .bind(now)
        .execute(&mut *self.tx)
        .await;
        self.check(r).map(drop)
    }

    async fn message(&mut self, id: MessageId) -> StoreResult<Option<MessageView>> {
        let r = sqlx::query(AssertSqlSafe(format!(
            "SELECT {MESSAGE_COLS} FROM messages WHERE id = $1"
        )))
        .bind(id.to_string())
        .fetch_optional(&mut *self.tx)
        .await;
        self.check(r)?.as_ref().map(rows::message).transpose()
    }

    async fn insert_message(
        &mut self,
        m: &MessageView,
        conversation: &ConversationRecord,
    ) -> StoreResult<()> {
        let r = sqlx::query(
            "WITH added AS (
                 INSERT INTO messages (id, conversation_id, author_kind, author_id, author_name, body, created_at, seq)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             )
             UPDATE conversations SET message_count = $8, last_message_at = $9, preview = $10,
                    last_author = $11, updated_at = $12
             WHERE id = $2",
        )
        .bind(m.id.to_string())
        .bind(m.conversation_id.to_string())
        .bind(crate::columns::author_kind_str(m.author))
        .bind(m.author_id.map(|a| a.to_string()))
        .bind(&m.author_name)
        .bind(&m.body)
        .bind(m.created_at)
        .bind(m.seq)
        .bind(conversation.last_message_at)
        .bind(&conversation.preview)
        .bind(conversation.last_author.map(crate::columns::author_kind_str))
        .bind(conversation.updated_at)
        .execute(&mut *self.tx)
        .await;
        self.check(r).map(drop)
    }

    async fn upsert_field(
        &mut self,
        id: ConversationId,
        key: &str,
        value: &str,
        now: Millis,
    ) -> StoreResult<()> {
        let r = sqlx::query(
            "INSERT INTO conversation_fields (conversation_id, key, value, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (conversation_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(id.to_string())
        .bind(key)
        .bind(value)
        .bind(now)
        .execute(&mut *self.tx)
        .await;
        self.check(r).map(drop)
    }

    async fn fields(&mut self, id: ConversationId) -> StoreResult<Vec<FieldValue>> {
        super::conversations::fields(&mut self.tx, id).await
    }

    async fn set_visitor_name(&mut self, visitor: VisitorId, name: &str) -> StoreResult<()> {
        let r = sqlx::query("UPDATE visitors SET name = $2 WHERE id = $1")
            .bind(visitor.to_string())
            .bind(name)
            .execute(&mut *self.tx)
            .await;
        self.check(r).map(drop)
    }

    async fn page_url(&mut self, id: ConversationId) -> StoreResult<Option<String>> {
        let r = sqlx::query_scalar("SELECT page_url FROM conversations WHERE id = $1")
            .bind(id.to_string())
            .fetch_one(&mut *self.tx)
            .await;
        self.check(r)
    }

    async fn mark_converted(&mut self, id: ConversationId, page: Option<&str>) -> StoreResult<()> {
        let r = sqlx::query(
            "UPDATE conversations SET converted_url = COALESCE(converted_url, $2) WHERE id = $1",
        )
        .bind(id.to_string())
        .bind(page)
        .execute(&mut *self.tx)
        .await;
        self.check(r).map(drop)
    }

    async fn insert_follow_up(&mut self, f: &NewFollowUp) -> StoreResult<()> {
        let r = sqlx::query(
            "INSERT INTO follow_ups (id, conversation_id, kind, title, fields, page_url, created_at, result_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(f.id.to_string())
        .bind(f.conversation_id.to_string())
        .bind(f.kind)
        .bind(&f.title)
        .bind(&f.fields)
        .bind(&f.page_url)
        .bind(f.now)
        .bind(f.result_id.map(|r| r.to_string()))
        .execute(&mut *self.tx)
        .await;
        self.check(r).map(drop)
    }

    async fn assigned_to(&mut self, operator: OperatorId) -> StoreResult<Vec<ConversationId>> {
        let r = sqlx::query(
            "SELECT id FROM conversations WHERE state = 'assigned' AND assignee_id = $1 ORDER BY num",
        )
        .bind(operator.to_string())
        .fetch_all(&mut *self.tx)
        .await;
        self.check(r)?
            .iter()
            .map(|row| rows::parse_id(&row.try_get::<String, _>(0)?))
            .collect()
    }

    async fn append_event(&mut self, e: NewEvent) -> StoreResult<()> {
        self.events.push((e, self.actor.clone()));
        Ok(())
    }

    async fn stored_sales(&mut self, id: ConversationId) -> StoreResult<Option<StoredSales>> {
        super::crm::stored_sales(&mut self.tx, id).await
    }

    async fn save_sales(&mut self, id: ConversationId, s: &StoredSales) -> StoreResult<()> {
        let r = sqlx::query(
            "INSERT INTO conversation_sales (conversation_id, details, updated_at, updated_by_name) VALUES ($1, $2, $3, $4)
             ON CONFLICT (conversation_id) DO UPDATE SET details = excluded.details, updated_at = excluded.updated_at,
                                                         updated_by_name = excluded.updated_by_name",
        )
        .bind(id.to_string())
        .bind(&s.details)
        .bind(s.updated_at)
        .bind(&s.updated_by_name)
        .execute(&mut *self.tx)
        .await;
        self.check(r).map(drop)
    }

    async fn result_by_key(
        &mut self,
        key: uuid::Uuid,
    ) -> StoreResult<Option<(uuid::Uuid, ConversationId, ResultKind)>> {
        let r = sqlx::query(
            "SELECT id, conversation_id, kind FROM crm_results WHERE idempotency_key = $1",
        )
        .bind(key.to_string())
        .fetch_optional(&mut *self.tx)
        .await;
        self.check(r)?
            .map(|row| {
                let kind: String = row.try_get(2)?;
                Ok((
                    rows::parse_id(&row.try_get::<String, _>(0)?)?,
                    rows::parse_id(&row.try_get::<String, _>(1)?)?,
                    ResultKind::parse(&kind)
                        .ok_or_else(|| StoreError::Storage(format!("bad result kind {kind}")))?,
                ))
            })
            .transpose()
    }

    async fn result(&mut self, id: uuid::Uuid) -> StoreResult<CreatedResultView> {
        let r = sqlx::query(AssertSqlSafe(format!(
            "SELECT {RESULT_COLS} FROM crm_results WHERE id = $1 FOR UPDATE"
        )))
        .bind(id.to_string())
        .fetch_one(&mut *self.tx)
        .await;
        super::crm::result_row(&self.check(r)?)
    }

    async fn insert_result(&mut self, n: &NewResultRow) -> StoreResult<()> {
        let r = sqlx::query(
            "INSERT INTO crm_results (id, idempotency_key, conversation_id, kind, title, value, currency, person_id, org_id,
                                      owner_id, owner_name, source, converted_url, stage, activity_type, created_at,
                                      sync_status, next_attempt_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
        )
        .bind(n.id.to_string())
        .bind(n.idempotency_key.to_string())
        .bind(n.conversation_id.to_string())
        .bind(n.kind.as_str())
        .bind(&n.title)
        .bind(n.value)
        .bind(&n.currency)
        .bind(n.person_id.to_string())
        .bind(n.organization_id.map(|o| o.to_string()))
        .bind(n.owner.as_ref().map(|(o, _)| o.to_string()))
        .bind(n.owner.as_ref().map(|(_, name)| name.clone()))
        .bind(n.source)
        .bind(&n.converted_url)
        .bind(n.stage)
        .bind(n.activity_type)
        .bind(n.created_at)
        .bind(status_str(n.sync.status))
        .bind(n.sync.next_attempt_at)
        .execute(&mut *self.tx)
        .await;
        self.check(r).map(drop)
    }

    async fn set_sync(&mut self, id: uuid::Uuid, s: &SyncView) -> StoreResult<()> {
        let r = sqlx::query(
            "UPDATE crm_results SET sync_status = $2, sync_url = $3, sync_error = $4, attempts = $5,
                    next_attempt_at = $6
             WHERE id = $1",
        )
        .bind(id.to_string())
        .bind(status_str(s.status))
        .bind(&s.url)
        .bind(&s.error)
        .bind(s.attempts)
        .bind(s.next_attempt_at)
        .execute(&mut *self.tx)
        .await;
        self.check(r).map(drop)
    }

    async fn set_result_remote(
        &mut self,
        id: uuid::Uuid,
        item: Option<&str>,
        note: Option<i64>,
    ) -> StoreResult<bool> {
        let r = sqlx::query(
            "UPDATE crm_results SET remote_id = COALESCE($2, remote_id),
                    remote_note_id = COALESCE($3, remote_note_id)
             WHERE id = $1",
        )
        .bind(id.to_string())
        .bind(item)
        .bind(note)
        .execute(&mut *self.tx)
        .await;
        Ok(self.check(r)?.rows_affected() > 0)
    }

    async fn insert_note(
        &mut self,
        result: uuid::Uuid,
        content: &str,
        now: Millis,
    ) -> StoreResult<()> {
        let r = sqlx::query(
            "INSERT INTO crm_notes (id, result_id, content, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(result.to_string())
        .bind(content)
        .bind(now)
        .execute(&mut *self.tx)
        .await;
        self.check(r).map(drop)
    }

    async fn messages(&mut self, id: ConversationId) -> StoreResult<Vec<MessageView>> {
        super::conversations::messages_after(&mut self.tx, id, 0, i64::MAX).await
    }

    async fn converted_url(&mut self, id: ConversationId) -> StoreResult<Option<String>> {
        let r = sqlx::query_scalar("SELECT converted_url FROM conversations WHERE id = $1")
            .bind(id.to_string())
            .fetch_one(&mut *self.tx)
            .await;
        self.check(r)
    }

    async fn meta(&mut self, key: &str) -> StoreResult<Option<String>> {
        super::playbooks::meta(&mut self.tx, key).await
    }

    async fn person_by_email(&mut self, email_key: &str) -> StoreResult<Option<uuid::Uuid>> {
        let r = sqlx::query_scalar::<_, String>(
            "SELECT person_id FROM crm_person_emails WHERE email = $1",
        )
        .bind(email_key)
        .fetch_optional(&mut *self.tx)
        .await;
        self.check(r)?.as_deref().map(rows::parse_id).transpose()
    }

    async fn person_of_visitor(&mut self, visitor: VisitorId) -> StoreResult<Option<uuid::Uuid>> {
        let r = sqlx::query_scalar::<_, String>(
            "SELECT id FROM crm_persons WHERE visitor_id = $1 ORDER BY created_at, id LIMIT 1",
        )
        .bind(visitor.to_string())
        .fetch_optional(&mut *self.tx)
        .await;
        self.check(r)?.as_deref().map(rows::parse_id).transpose()
    }

    async fn person(&mut self, id: uuid::Uuid) -> StoreResult<PersonRow> {
        // Held, like a conversation: two nodes adding emails to one person take turns.
        let r = sqlx::query("SELECT 1 FROM crm_persons WHERE id = $1 FOR UPDATE")
            .bind(id.to_string())
            .execute(&mut *self.tx)
            .await;
        self.check(r)?;
        super::crm::person(&mut self.tx, id).await.map(|(p, _)| p)
    }

    async fn insert_person(&mut self, p: &PersonRow, now: Millis) -> StoreResult<()> {
        let r = sqlx::query(
            "INSERT INTO crm_persons (id, name, emails, phones, visitor_id, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(p.id.to_string())
        .bind(&p.name)
        .bind(write_list(&p.emails)?)
        .bind(write_list(&p.phones)?)
        .bind(p.visitor_id.map(|v| v.to_string()))
        .bind(now)
        .execute(&mut *self.tx)
        .await;
        self.check(r).map(drop)
    }

    async fn update_person(&mut self, p: &PersonRow, now: Millis) -> StoreResult<()> {
        let r = sqlx::query(
            "UPDATE crm_persons SET name = $2, emails = $3, phones = $4, visitor_id = $5, updated_at = $6
             WHERE id = $1",
        )
        .bind(p.id.to_string())
        .bind(&p.name)
        .bind(write_list(&p.emails)?)
        .bind(write_list(&p.phones)?)
        .bind(p.visitor_id.map(|v| v.to_string()))
        .bind(now)
        .execute(&mut *self.tx)
        .await;
        self.check(r).map(drop)
    }

    async fn insert_person_email(
        &mut self,
        email_key: &str,
        person: uuid::Uuid,
        keep_existing: bool,
    ) -> StoreResult<()> {
        let sql = if keep_existing {
            "INSERT INTO crm_person_emails (email, person_id) VALUES ($1, $2) ON CONFLICT (email) DO NOTHING"
        } else {
            "INSERT INTO crm_person_emails (email, person_id) VALUES ($1, $2)"
        };
        let r = sqlx::query(sql)
            .bind(email_key)
            .bind(person.to_string())
            .execute(&mut *self.tx)
            .await;
        self.check(r).map(drop)
    }

    async fn organization_by_key(&mut self, name_key: &str) -> StoreResult<Option<uuid::Uuid>> {
        let r =
            sqlx::query_scalar::<_, String>("SELECT id FROM crm_organizations WHERE name_key = $1")
                .bind(name_key)
                .fetch_optional(&mut *self.tx)
                .await;
        self.check(r)?.as_deref().map(rows::parse_id).transpose()
    }

    async fn insert_organization(
        &mut self,
        id: uuid::Uuid,
        name: &str,
        name_key: &str,
        address: Option<&str>,
        now: Millis,
    ) -> StoreResult<()> {
        let r = sqlx::query(
            "INSERT INTO crm_organizations (id, name, name_key, address, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id.to_string())
        .bind(name)
        .bind(name_key)
        .bind(address)
        .bind(now)
        .execute(&mut *self.tx)
        .await;
        self.check(r).map(drop)
    }

    async fn fill_organization_address(
        &mut self,
        id: uuid::Uuid,
        address: &str,
    ) -> StoreResult<()> {
        let r = sqlx::query(
            "UPDATE crm_organizations SET address = COALESCE(address, $2) WHERE id = $1",
        )
        .bind(id.to_string())
        .bind(address)
        .execute(&mut *self.tx)
        .await;
        self.check(r).map(drop)
    }

    async fn set_person_remote(&mut self, id: uuid::Uuid, remote_id: i64) -> StoreResult<bool> {
        let r = sqlx::query("UPDATE crm_persons SET remote_id = $2 WHERE id = $1")
            .bind(id.to_string())
            .bind(remote_id)
            .execute(&mut *self.tx)
            .await;
        Ok(self.check(r)?.rows_affected() > 0)
    }

    async fn set_organization_remote(
        &mut self,
        id: uuid::Uuid,
        remote_id: i64,
    ) -> StoreResult<bool> {
        let r = sqlx::query("UPDATE crm_organizations SET remote_id = $2 WHERE id = $1")
            .bind(id.to_string())
            .bind(remote_id)
            .execute(&mut *self.tx)
            .await;
        Ok(self.check(r)?.rows_affected() > 0)
    }

    async fn insert_audit(&mut self, a: &AuditRow<'_>) -> StoreResult<()> {
        let r = sqlx::query(
            "INSERT INTO audit_log (conversation_id, at, actor, action, fields, result_id, note)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(a.conversation_id.to_string())
        .bind(a.at)
        .bind(&self.actor)
        .bind(a.action)
        .bind(&a.fields)
        .bind(a.result_id.map(|r| r.to_string()))
        .bind(a.note)
        .execute(&mut *self.tx)
        .await;
        self.check(r).map(drop)
    }
}
