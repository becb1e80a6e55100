//! The single writer: one thread, one connection, group commit.
//!
//! Requests queue up while a commit is in flight; the next batch runs them all in one
//! transaction, each inside its own SAVEPOINT so that one refused request does not undo the
//! others, and commits once. Only then are the events published and the callers answered.

use super::db_err;
use crate::sequencing::SYSTEM_ACTOR;
use crate::{EventListener, StoreError, StoreResult, StoredEvent};
use rusqlite::Connection;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{mpsc, Arc};

/// At most this many requests share one transaction.
const MAX_BATCH: usize = 512;

/// State a write request may use besides the connection.
pub(crate) struct WriteCtx {
    /// The seq the next event gets.
    pub next_seq: i64,
    /// Events written by the current batch, in seq order.
    pub events: Vec<Arc<StoredEvent>>,
    /// Who caused the current request's events (serialized `ActorView`); reset to the system
    /// before each request.
    pub actor: String,
}

type Finish = Box<dyn FnOnce(StoreResult<()>) + Send>;
type Job = Box<dyn FnOnce(&Connection, &mut WriteCtx) -> (bool, Finish) + Send>;

pub(crate) struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer on `conn`, and the checkpointer on `checkpoints` (a second
    /// read-write connection to the same database).
    pub fn start(
        conn: Connection,
        checkpoints: Connection,
        next_seq: i64,
        head: Arc<AtomicI64>,
        listener: EventListener,
    ) -> StoreResult<Self> {
        let (jobs, rx) = mpsc::channel::<Job>();
        let ctx = WriteCtx {
            next_seq,
            events: Vec::new(),
            actor: SYSTEM_ACTOR.to_owned(),
        };
        let (checkpoint_due, commits) = mpsc::sync_channel::<()>(1);
        std::thread::Builder::new()
            .name("frontdesk-wal".into())
            .spawn(move || checkpoint(checkpoints, commits))
            .map_err(db_err)?;
        std::thread::Builder::new()
            .name("frontdesk-sqlite-writer".into())
            .spawn(move || run(conn, rx, ctx, head, listener, checkpoint_due))
            .map_err(db_err)?;
        Ok(Writer { jobs })
    }

    /// Runs `f` as `actor` (the serialized `ActorView` its events carry).
    pub async fn run_as<T: Send + 'static>(
        &self,
        actor: String,
        f: impl FnOnce(&Connection, &mut WriteCtx) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        self.run(move |tx, ctx| {
            ctx.actor = actor;
            f(tx, ctx)
        })
        .await
    }

    /// Runs `f` inside the next group transaction; resolves after COMMIT.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection, &mut WriteCtx) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |conn, ctx| {
            // A bug in one request must not take the writer thread (and every later write) down.
            let result = std::panic::catch_unwind(AssertUnwindSafe(|| f(conn, ctx)))
                .unwrap_or_else(|_| {
                    Err(StoreError::Storage("internal error while writing".into()))
                });
            match result {
                Ok(value) => (
                    true,
                    Box::new(move |committed: StoreResult<()>| {
                        let _ = tx.send(committed.map(|()| value));
                    }) as Finish,
                ),
                Err(e) => (
                    false,
                    Box::new(move |_| {
                        let _ = tx.send(Err(e));
                    }) as Finish,
                ),
            }
        });
        self.jobs
            .send(job)
            .map_err(|_| StoreError::Storage("the database writer has stopped".into()))?;
        rx.await
            .map_err(|_| StoreError::Storage("the database writer has stopped".into()))?
    }
}

fn run(
    conn: Connection,
    rx: mpsc::Receiver<Job>,
    mut ctx: WriteCtx,
    head: Arc<AtomicI64>,
    listener: EventListener,
    checkpoint_due: mpsc::SyncSender<()>,
) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let seq_before = ctx.next_seq;
        let mut finishers: Vec<(Finish, Option<StoreError>)> = Vec::with_capacity(batch.len());
        if let Err(e) = run_cached(&conn, "BEGIN IMMEDIATE") {
            // Dropping the jobs closes their answer channels: each caller gets a storage error.
            tracing::error!(error = %e, "sqlite writer cannot begin a transaction");
            drop(batch);
            continue;
        }
        let mut lost_transaction = false;
        for job in batch {
            // SQLite may roll the whole transaction back on its own (I/O error, out of memory).
            // Then nothing of this batch is saved, and running on would commit each request
            // by itself: stop and fail the batch.
            if lost_transaction || conn.is_autocommit() {
                lost_transaction = true;
                drop(job);
                continue;
            }
            let mark = ctx.events.len();
            let seq_mark = ctx.next_seq;
            if run_cached(&conn, "SAVEPOINT request").is_err() {
                drop(job);
                continue;
            }
            SYSTEM_ACTOR.clone_into(&mut ctx.actor);
            let (ok, finish) = job(&conn, &mut ctx);
            if !ok {
                rollback_request(&conn, &mut ctx, mark, seq_mark);
                finishers.push((finish, None));
            } else if run_cached(&conn, "RELEASE request").is_err() {
                rollback_request(&conn, &mut ctx, mark, seq_mark);
                let failed = StoreError::Storage("the write could not be completed".into());
                finishers.push((finish, Some(failed)));
            } else {
                finishers.push((finish, None));
            }
        }
        let committed = if lost_transaction {
            Err(StoreError::Storage(
                "the database rolled the transaction back".into(),
            ))
        } else {
            run_cached(&conn, "COMMIT").map_err(|e| {
                tracing::error!(error = %e, "sqlite commit failed");
                StoreError::Storage(format!("the write was not saved: {e}"))
            })
        };
        let events = std::mem::take(&mut ctx.events);
        match &committed {
            Ok(()) => {
                if let Some(last) = events.last() {
                    head.store(last.seq, Ordering::Release);
                    listener(&events);
                }
                // Full: a checkpoint is already due.
                let _ = checkpoint_due.try_send(());
            }
            Err(_) => {
                if !conn.is_autocommit() {
                    let _ = conn.execute_batch("ROLLBACK");
                }
                // Re-read what is really stored rather than trusting the bookkeeping.
                ctx.next_seq = conn
                    .query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |r| {
                        r.get::<_, i64>(0)
                    })
                    .map(|max| max.max(seq_before - 1) + 1)
                    .unwrap_or(seq_before);
            }
        }
        for (finish, failed) in finishers {
            finish(match (&committed, failed) {
                (_, Some(e)) => Err(e),
                (Ok(()), None) => Ok(()),
                (Err(e), None) => Err(StoreError::Storage(e.to_string())),
            });
        }
    }
}

/// How long the checkpointer lets commits gather before it copies them into the database.
const CHECKPOINT_DELAY: std::time::Duration = std::time::Duration::from_millis(200);

/// Copies committed WAL frames into the database file, off the writer thread: done by the
/// writer's own COMMIT (SQLite's automatic checkpoint) it took a quarter of the writer's
/// time. A PASSIVE checkpoint never blocks the writer or the readers; frames written
/// meanwhile wait for the next one. Ends when the writer does.
fn checkpoint(conn: Connection, commits: mpsc::Receiver<()>) {
    while commits.recv().is_ok() {
        std::thread::sleep(CHECKPOINT_DELAY);
        while commits.try_recv().is_ok() {}
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "sqlite checkpoint failed");
        }
    }
}

/// Runs a statement without parameters from the connection's statement cache: the
/// transaction control runs for every batch and request, parsing it each time showed up.
fn run_cached(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

fn rollback_request(conn: &Connection, ctx: &mut WriteCtx, mark: usize, seq_mark: i64) {
    let _ = conn.execute_batch("ROLLBACK TO request; RELEASE request");
    ctx.events.truncate(mark);
    ctx.next_seq = seq_mark;
}
