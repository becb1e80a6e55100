//! Sales work on this device (S12, S13, B2): the cached details follow `details_changed` and
//! `result_upsert` events, and edits and leads or deals made here wait in the sales outbox
//! until the server confirms them. A lead's or deal's queue id is its idempotency key, so a
//! retry after a lost answer (or a restart) never creates a second one. An edit replaces the
//! whole details, so an edit queued right after another unsent edit takes its place; one
//! queued after a lead or deal waits behind it (the lead is made from the details before).

use crate::api::Api;
use crate::cache::Cache;
use crate::engine::Inner;
use crate::error::{EngineError, Result};
use crate::types::{MessageStatus, SalesAction, SalesLock, UnsentSales};
use frontdesk_protocol::{
    ConversationDetails, CreateResultRequest, CreatedResultView, ResultKind, SalesDetailsView,
    UpdateDetailsRequest,
};
use sqlx::{Row, Sqlite, Transaction};
use uuid::Uuid;

/// A queued action as the outbox sends it.
#[derive(Clone, Debug)]
pub(crate) struct Queued {
    pub id: Uuid,
    pub conversation_id: Uuid,
    pub request: Request,
}

#[derive(Clone, Debug)]
pub(crate) enum Request {
    Details(UpdateDetailsRequest),
    Result(CreateResultRequest),
}

/// What the server answered to a queued action.
pub(crate) enum Confirmed {
    Details(SalesDetailsView),
    Result(CreatedResultView),
}

fn parse_uuid(s: &str) -> Result<Uuid> {
    Uuid::parse_str(s).map_err(|e| EngineError::cache(format!("bad id {s}: {e}")))
}

/// A cached conversation's details changed in place; nothing when they were never fetched
/// (they are read in full when the conversation is opened).
pub(crate) async fn edit_details(
    tx: &mut Transaction<'_, Sqlite>,
    conversation: Uuid,
    edit: impl FnOnce(&mut ConversationDetails),
) -> Result<()> {
    let stored: Option<(Option<String>,)> =
        sqlx::query_as("SELECT details FROM conversations WHERE id = ?1")
            .bind(conversation.to_string())
            .fetch_optional(&mut **tx)
            .await?;
    let Some((Some(json),)) = stored else {
        return Ok(());
    };
    let mut details: ConversationDetails = serde_json::from_str(&json)?;
    edit(&mut details);
    sqlx::query("UPDATE conversations SET details = ?2 WHERE id = ?1")
        .bind(conversation.to_string())
        .bind(serde_json::to_string(&details)?)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Replaces the result with the same id, or appends it (results are listed oldest first):
/// for `result_upsert` events, which arrive in order.
pub(crate) fn upsert_result(details: &mut ConversationDetails, result: &CreatedResultView) {
    match details.results.iter_mut().find(|r| r.id == result.id) {
        Some(r) => *r = result.clone(),
        None => details.results.push(result.clone()),
    }
}

/// Appends a result a REST answer reported, unless the stream has listed it already (its
/// state there is as new or newer).
fn add_result(details: &mut ConversationDetails, result: &CreatedResultView) {
    if !details.results.iter().any(|r| r.id == result.id) {
        details.results.push(result.clone());
    }
}

impl Cache {
    /// Queues an edit of the details. When the conversation's last queued action is an
    /// unsent edit, this one takes its place (an edit replaces all the details).
    pub async fn queue_details_edit(
        &self,
        conversation: Uuid,
        request: &UpdateDetailsRequest,
        now: i64,
    ) -> Result<Uuid> {
        // A fresh id on every edit: an older edit in flight is then confirmed without
        // deleting this one (see `sales_confirmed`).
        let id = Uuid::now_v7();
        let payload = serde_json::to_string(request)?;
        let mut tx = self.writer.begin().await?;
        let last: Option<(i64, String)> = sqlx::query_as(
            "SELECT pk, action FROM sales_outbox WHERE conversation_id = ?1
             ORDER BY pk DESC LIMIT 1",
        )
        .bind(conversation.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        match last {
            Some((pk, action)) if action == SalesAction::Details.as_str() => {
                sqlx::query(
                    "UPDATE sales_outbox SET id = ?2, payload = ?3, status = 'pending',
                       error_code = NULL, error_message = NULL, queued_at = ?4
                     WHERE pk = ?1",
                )
                .bind(pk)
                .bind(id.to_string())
                .bind(&payload)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            _ => {
                sqlx::query(
                    "INSERT INTO sales_outbox (id, conversation_id, action, payload, queued_at)
                     VALUES (?1, ?2, 'details', ?3, ?4)",
                )
                .bind(id.to_string())
                .bind(conversation.to_string())
                .bind(&payload)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(id)
    }

    /// Queues a lead or deal to create; `request.idempotency_key` is its queue id.
    pub async fn queue_result(
        &self,
        conversation: Uuid,
        request: &CreateResultRequest,
        now: i64,
    ) -> Result<()> {
        let action = match request.kind {
            ResultKind::Lead => SalesAction::CreateLead,
            ResultKind::Deal => SalesAction::CreateDeal,
            ResultKind::Activity => {
                return Err(EngineError::new(
                    "invalid_kind",
                    "Only a lead or a deal can be created from a conversation.",
                ))
            }
        };
        sqlx::query(
            "INSERT INTO sales_outbox (id, conversation_id, action, payload, queued_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .bind(request.idempotency_key.to_string())
        .bind(conversation.to_string())
        .bind(action.as_str())
        .bind(serde_json::to_string(request)?)
        .bind(now)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Sales actions waiting to be sent.
    pub async fn sales_outbox_len(&self) -> Result<i64> {
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM sales_outbox WHERE status = 'pending'")
                .fetch_one(&self.reader)
                .await?;
        Ok(n)
    }

    /// The oldest pending sales action.
    pub(crate) async fn next_sales(&self) -> Result<Option<Queued>> {
        let r = sqlx::query(
            "SELECT id, conversation_id, action, payload FROM sales_outbox
             WHERE status = 'pending' ORDER BY pk LIMIT 1",
        )
        .fetch_optional(&self.reader)
        .await?;
        let Some(r) = r else { return Ok(None) };
        let payload: &str = r.get("payload");
        let request = match SalesAction::parse(r.get("action")) {
            Some(SalesAction::Details) => Request::Details(serde_json::from_str(payload)?),
            Some(_) => Request::Result(serde_json::from_str(payload)?),
            None => return Err(EngineError::cache("unknown sales action")),
        };
        Ok(Some(Queued {
            id: parse_uuid(r.get("id"))?,
            conversation_id: parse_uuid(r.get("conversation_id"))?,
            request,
        }))
    }

    /// The server confirmed action `id`: it leaves the outbox and its answer goes into the
    /// cached details, in one transaction.
    pub(crate) async fn sales_confirmed(
        &self,
        id: Uuid,
        conversation: Uuid,
        answer: &Confirmed,
    ) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("DELETE FROM sales_outbox WHERE id = ?1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        // The stream may have brought a newer state first (a colleague's edit after mine,
        // the result's push status): a late answer never goes back behind it.
        edit_details(&mut tx, conversation, |d| match answer {
            Confirmed::Details(v) => {
                if d.sales.updated_at <= v.updated_at {
                    d.sales = v.clone()
                }
            }
            Confirmed::Result(r) => add_result(d, r),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A created result as a REST answer reported it (after a retried push): listed if it
    /// was not; its status is the stream's to update.
    pub(crate) async fn put_result(&self, result: &CreatedResultView) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        edit_details(&mut tx, result.conversation_id, |d| add_result(d, result)).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn sales_failed(&self, id: Uuid, error: &EngineError) -> Result<()> {
        sqlx::query(
            "UPDATE sales_outbox SET status = 'failed', error_code = ?2, error_message = ?3
             WHERE id = ?1 AND status = 'pending'",
        )
        .bind(id.to_string())
        .bind(&error.code)
        .bind(&error.message)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// A failed action back to pending; its conversation, or `None` when there is no such
    /// failed action.
    pub async fn retry_sales(&self, id: Uuid) -> Result<Option<Uuid>> {
        let r: Option<(String,)> = sqlx::query_as(
            "UPDATE sales_outbox SET status = 'pending', error_code = NULL, error_message = NULL
             WHERE id = ?1 AND status = 'failed' RETURNING conversation_id",
        )
        .bind(id.to_string())
        .fetch_optional(&self.writer)
        .await?;
        r.map(|(c,)| parse_uuid(&c)).transpose()
    }

    /// Removes an unsent action (the operator's choice); its conversation, or `None`.
    pub async fn discard_sales(&self, id: Uuid) -> Result<Option<Uuid>> {
        let r: Option<(String,)> =
            sqlx::query_as("DELETE FROM sales_outbox WHERE id = ?1 RETURNING conversation_id")
                .bind(id.to_string())
                .fetch_optional(&self.writer)
                .await?;
        let conversation = r.map(|(c,)| parse_uuid(&c)).transpose()?;
        if conversation.is_some() {
            self.purge_gone().await?;
        }
        Ok(conversation)
    }

    /// A conversation's unsent sales actions, and its unsent edit of the details if any.
    pub async fn unsent_sales(
        &self,
        conversation: Uuid,
    ) -> Result<(Vec<UnsentSales>, Option<UpdateDetailsRequest>)> {
        let rows = sqlx::query(
            "SELECT id, action, payload, status, error_code, error_message, queued_at
             FROM sales_outbox WHERE conversation_id = ?1 ORDER BY pk",
        )
        .bind(conversation.to_string())
        .fetch_all(&self.reader)
        .await?;
        let mut unsent = Vec::with_capacity(rows.len());
        let mut edit = None;
        for r in rows {
            let action = SalesAction::parse(r.get("action"))
                .ok_or_else(|| EngineError::cache("unknown sales action"))?;
            if action == SalesAction::Details {
                edit = Some(serde_json::from_str(r.get("payload"))?);
            }
            let code: Option<String> = r.get("error_code");
            unsent.push(UnsentSales {
                id: parse_uuid(r.get("id"))?,
                conversation_id: conversation,
                action,
                status: MessageStatus::parse(r.get("status")),
                error: code.map(|c| EngineError::new(c, r.get::<String, _>("error_message"))),
                queued_at: r.get("queued_at"),
            });
        }
        Ok((unsent, edit))
    }
}

/// Sends pending sales actions oldest first until none is left or the server is unreachable.
pub(crate) async fn drain(inner: &Inner, api: &Api) {
    loop {
        let next = match inner.cache.next_sales().await {
            Ok(Some(n)) => n,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "sales outbox unreadable");
                return;
            }
        };
        let c = next.conversation_id;
        let answer = match &next.request {
            Request::Details(r) => api.update_details(c, r).await.map(Confirmed::Details),
            Request::Result(r) => api.create_result(c, r).await.map(Confirmed::Result),
        };
        let stored = match answer {
            Ok(a) => inner.cache.sales_confirmed(next.id, c, &a).await,
            Err(e) if e.is_transient() || e.is_unauthorized() => return,
            Err(e) => inner.cache.sales_failed(next.id, &e.error).await,
        };
        if let Err(e) = stored {
            tracing::warn!(error = %e, "sales outbox state not saved");
            return;
        }
        inner.conversation_changed(c);
        inner.refresh_sync_state().await;
    }
}

/// Why `me` may not edit the sales details of the conversation in `row`, by the one rule
/// (`frontdesk_core::crm::may_edit_details`); `None`: they may.
pub fn lock(
    row: &frontdesk_protocol::ConversationView,
    me: &frontdesk_protocol::OperatorView,
) -> Option<SalesLock> {
    use frontdesk_core::crm::{may_edit_details, Denied};
    use frontdesk_core::{ConversationState, OperatorId, Rejection, Role};
    let Some(state) = ConversationState::from_parts(
        &row.state,
        row.assignee_id.map(OperatorId),
        row.wait_deadline,
    ) else {
        // A row this version cannot read: nothing is editable rather than everything.
        return Some(SalesLock::NotVisible);
    };
    let role = match me.role {
        frontdesk_protocol::RoleView::Admin => Role::Admin,
        frontdesk_protocol::RoleView::Operator => Role::Operator,
    };
    match may_edit_details(
        &state,
        row.handled_by.map(OperatorId),
        OperatorId(me.id),
        role,
    ) {
        Ok(()) => None,
        Err(Denied::NotHandler) => Some(SalesLock::NotHandler),
        Err(Denied::Rejected(Rejection::NotAssigned)) => Some(SalesLock::NotAssigned),
        Err(Denied::Rejected(_)) => Some(SalesLock::NotVisible),
    }
}

/// The error for an action a lock forbids, with the server's codes and words.
pub fn lock_error(lock: SalesLock) -> EngineError {
    use frontdesk_core::crm::{NOT_ASSIGNED_MESSAGE, NOT_HANDLER_MESSAGE};
    match lock {
        SalesLock::NotAssigned => EngineError::new("not_assigned", NOT_ASSIGNED_MESSAGE),
        SalesLock::NotHandler => EngineError::new("not_handler", NOT_HANDLER_MESSAGE),
        SalesLock::NotVisible => EngineError::conversation_not_found(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(value: i64) -> UpdateDetailsRequest {
        UpdateDetailsRequest {
            value: Some(value),
            currency: Some("EUR".into()),
            ..Default::default()
        }
    }

    fn queued_actions(unsent: &[UnsentSales]) -> Vec<SalesAction> {
        unsent.iter().map(|u| u.action).collect()
    }

    #[tokio::test]
    async fn an_edit_replaces_the_edit_before_it_but_never_overtakes_a_lead() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(&dir.path().join("cache.sqlite")).await.unwrap();
        let c = Uuid::now_v7();
        cache.queue_details_edit(c, &edit(1), 1).await.unwrap();
        let second = cache.queue_details_edit(c, &edit(2), 2).await.unwrap();
        let (unsent, shown) = cache.unsent_sales(c).await.unwrap();
        assert_eq!(queued_actions(&unsent), [SalesAction::Details]);
        assert_eq!(unsent[0].id, second);
        assert_eq!(shown.unwrap().value, Some(2));

        // A lead made now is made from value 2; an edit after it waits behind it.
        let lead = CreateResultRequest {
            kind: ResultKind::Lead,
            idempotency_key: Uuid::now_v7(),
            title: None,
        };
        cache.queue_result(c, &lead, 3).await.unwrap();
        cache.queue_details_edit(c, &edit(3), 4).await.unwrap();
        let (unsent, shown) = cache.unsent_sales(c).await.unwrap();
        assert_eq!(
            queued_actions(&unsent),
            [
                SalesAction::Details,
                SalesAction::CreateLead,
                SalesAction::Details
            ]
        );
        assert_eq!(shown.unwrap().value, Some(3), "the panel shows the latest");
        let first = cache.next_sales().await.unwrap().unwrap();
        assert!(matches!(first.request, Request::Details(ref r) if r.value == Some(2)));
        assert_eq!(cache.sales_outbox_len().await.unwrap(), 3);
        // An activity is never queued from the app.
        let activity = CreateResultRequest {
            kind: ResultKind::Activity,
            ..lead
        };
        assert!(cache.queue_result(c, &activity, 5).await.is_err());
    }
}
