//! The event stream on PostgreSQL: the tail that publishes committed events in seq order,
//! resuming reads, catch-up pages and pruning.
//!
//! Why a tail rather than publishing after each commit: with many writers (tasks of this
//! node, other nodes) the order in which commits *return* is not seq order, and a stream
//! that forwarded seq n+1 before n would drop n as already sent. The tail reads the events
//! table after its last published seq; since a snapshot that sees n+1 sees n, every read
//! extends the published sequence without a gap.

use super::rows::parse_id;
use super::write_tx::{PgTx, EVENTS_CHANNEL};
use crate::*;
use sqlx::postgres::PgListener;
use sqlx::{PgConnection, PgPool, Row};
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// Events read per round of the tail.
const TAIL_BATCH: i64 = 1000;
/// How often the tail looks without a wake-up (a lost NOTIFY connection, a missed signal).
const TAIL_POLL: Duration = Duration::from_millis(500);

/// Publishes every event after `head` to `listener`, in seq order, until the store is
/// dropped. Woken by this node's commits (`wake`), other nodes' NOTIFY, or the poll.
pub async fn run(
    pool: PgPool,
    head: Arc<AtomicI64>,
    wake: Arc<tokio::sync::Notify>,
    listener: EventListener,
) {
    let mut notifications = connect_listener(&pool).await;
    loop {
        if let Err(e) = publish_new(&pool, &head, &listener).await {
            tracing::warn!(error = %e, "reading new stream events failed; retrying");
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(TAIL_POLL) => {}
            received = next_notification(&mut notifications) => {
                if received.is_err() {
                    // Reconnect on the next round; the poll covers the gap.
                    notifications = None;
                }
            }
        }
        if notifications.is_none() {
            notifications = connect_listener(&pool).await;
        }
    }
}

async fn connect_listener(pool: &PgPool) -> Option<PgListener> {
    let attempt = async {
        let mut l = PgListener::connect_with(pool).await?;
        l.listen(EVENTS_CHANNEL).await?;
        Ok::<_, sqlx::Error>(l)
    };
    match attempt.await {
        Ok(l) => Some(l),
        Err(e) => {
            tracing::warn!(error = %e, "cannot LISTEN for other nodes' events; polling");
            None
        }
    }
}

/// The next notification, or never when there is no listener (the poll takes over).
async fn next_notification(listener: &mut Option<PgListener>) -> Result<(), sqlx::Error> {
    match listener {
        Some(l) => l.recv().await.map(drop),
        None => std::future::pending().await,
    }
}

async fn publish_new(pool: &PgPool, head: &AtomicI64, listener: &EventListener) -> StoreResult<()> {
    loop {
        let after = head.load(Ordering::Acquire);
        let rows = sqlx::query(
            "SELECT seq, conversation_id, op_audience, visitor_id, payload, created_at, actor
             FROM events WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(TAIL_BATCH)
        .fetch_all(pool)
        .await?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        let last: i64 = last.try_get(0)?;
        let events = rows
            .iter()
            .map(|r| {
                let op: Option<String> = r.try_get(2)?;
                let visitor: Option<String> = r.try_get(3)?;
                Ok(Arc::new(StoredEvent {
                    seq: r.try_get(0)?,
                    conversation_id: parse_id(&r.try_get::<String, _>(1)?)?,
                    operators: match op.as_deref() {
                        None => OperatorAudience::Nobody,
                        Some("*") => OperatorAudience::All,
                        Some(id) => OperatorAudience::One(parse_id(id)?),
                    },
                    visitor: visitor.as_deref().map(parse_id).transpose()?,
                    at: r.try_get(5)?,
                    actor: r.try_get(6)?,
                    payload: r.try_get(4)?,
                }))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        head.store(last, Ordering::Release);
        listener(&events);
        if (rows.len() as i64) < TAIL_BATCH {
            return Ok(());
        }
    }
}

/// The newest committed seq and the oldest kept position, in the caller's snapshot.
async fn head_and_floor(c: &mut PgConnection) -> StoreResult<(i64, i64)> {
    let r = sqlx::query(
        "SELECT (SELECT last_seq FROM event_counter),
                COALESCE((SELECT value FROM meta WHERE key = 'events_floor'), '0')",
    )
    .fetch_one(c)
    .await?;
    let floor: String = r.try_get(1)?;
    Ok((r.try_get(0)?, floor.parse().unwrap_or(0)))
}

/// Events for `owner` after `since`, read in one snapshot with the head and floor (the head
/// is the database's, not this node's: a cursor from another node is valid here).
pub async fn replay(
    c: &mut PgConnection,
    owner: StreamOwner,
    since: i64,
    limit: u32,
) -> StoreResult<Replay> {
    let (head, floor) = head_and_floor(c).await?;
    if !position_is_kept(since, floor, head) {
        return Ok(Replay::ResyncRequired { head });
    }
    let (sql, who) = match owner {
        StreamOwner::Operator(op) => (
            "SELECT seq, payload, created_at, actor FROM events
             WHERE seq > $1 AND (op_audience = '*' OR op_audience = $2) ORDER BY seq LIMIT $3",
            op.to_string(),
        ),
        StreamOwner::Visitor(v) => (
            "SELECT seq, payload, created_at, actor FROM events
             WHERE visitor_id = $2 AND seq > $1 ORDER BY seq LIMIT $3",
            v.to_string(),
        ),
    };
    let mut events = sqlx::query(sql)
        .bind(since)
        .bind(who)
        .bind(limit as i64 + 1)
        .fetch_all(c)
        .await?
        .iter()
        .map(|r| {
            Ok(ReplayedEvent {
                seq: r.try_get(0)?,
                payload: r.try_get(1)?,
                at: r.try_get(2)?,
                actor: r.try_get(3)?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let complete = events.len() <= limit as usize;
    events.truncate(limit as usize);
    Ok(Replay::Events { events, complete })
}

/// The conversations with events for `operator` after `since`, in one snapshot.
pub async fn changes(
    c: &mut PgConnection,
    operator: OperatorId,
    since: i64,
    limit: u32,
) -> StoreResult<Changes> {
    let (head, floor) = head_and_floor(c).await?;
    if !position_is_kept(since, floor, head) {
        return Ok(Changes::ResyncRequired { head });
    }
    let limit = limit.clamp(1, 2000) as usize;
    let found = sqlx::query(
        "SELECT conversation_id, MAX(seq) AS last FROM events
         WHERE seq > $1 AND seq <= $2 AND (op_audience = '*' OR op_audience = $3)
         GROUP BY conversation_id ORDER BY last LIMIT $4",
    )
    .bind(since)
    .bind(head)
    .bind(operator.to_string())
    .bind(limit as i64 + 1)
    .fetch_all(&mut *c)
    .await?
    .iter()
    .map(|r| Ok((parse_id(&r.try_get::<String, _>(0)?)?, r.try_get(1)?)))
    .collect::<StoreResult<Vec<(ConversationId, i64)>>>()?;
    let (ids, position, complete) = changes_page(&found, limit, head);
    Ok(Changes::Page {
        conversations: super::conversations::by_ids(c, &ids).await?,
        position,
        complete,
    })
}

/// Forgets events older than `before`; the floor moves to the last one removed.
pub async fn prune(tx: &mut PgTx, before: Millis) -> StoreResult<u64> {
    let r =
        sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(seq) FROM events WHERE created_at < $1")
            .bind(before)
            .fetch_one(tx.conn())
            .await;
    let Some(last) = tx.check(r)? else {
        return Ok(0);
    };
    let r = sqlx::query("DELETE FROM events WHERE seq <= $1")
        .bind(last)
        .execute(tx.conn())
        .await;
    let n = tx.check(r)?.rows_affected();
    let r = sqlx::query(
        "INSERT INTO meta (key, value) VALUES ('events_floor', $1)
         ON CONFLICT (key) DO UPDATE SET value = GREATEST(meta.value::bigint, excluded.value::bigint)::text",
    )
    .bind(last.to_string())
    .execute(tx.conn())
    .await;
    tx.check(r)?;
    Ok(n)
}
