//! The single writer: one thread, one connection, group commit.
//!
//! Requests queue up while a commit is in flight; the next batch runs them all in one
//! transaction, each inside its own SAVEPOINT so that one refused request does not undo the
//! others, and commits once. Only then are the events published and the callers answered.

use super::db_err;
use crate::{EventListener, StoreError, StoreResult, StoredEvent, SystemTexts};
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
    pub texts: SystemTexts,
}

type Finish = Box<dyn FnOnce(StoreResult<()>) + Send>;
type Job = Box<dyn FnOnce(&Connection, &mut WriteCtx) -> (bool, Finish) + Send>;

pub(crate) struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    pub fn start(
        conn: Connection,
        next_seq: i64,
        head: Arc<AtomicI64>,
        texts: SystemTexts,
        listener: EventListener,
    ) -> StoreResult<Self> {
        let (jobs, rx) = mpsc::channel::<Job>();
        let ctx = WriteCtx {
            next_seq,
            events: Vec::new(),
            texts,
        };
        std::thread::Builder::new()
            .name("frontdesk-sqlite-writer".into())
            .spawn(move || run(conn, rx, ctx, head, listener))
            .map_err(db_err)?;
        Ok(Writer { jobs })
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
        let mut finishers: Vec<Finish> = Vec::with_capacity(batch.len());
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            // Dropping the jobs closes their answer channels: each caller gets a storage error.
            tracing::error!(error = %e, "sqlite writer cannot begin a transaction");
            drop(batch);
            continue;
        }
        for job in batch {
            let mark = ctx.events.len();
            let seq_mark = ctx.next_seq;
            let ok_savepoint = conn.execute_batch("SAVEPOINT request").is_ok();
            let (ok, finish) = job(&conn, &mut ctx);
            let ok = ok && ok_savepoint;
            if ok {
                if conn.execute_batch("RELEASE request").is_err() {
                    rollback_request(&conn, &mut ctx, mark, seq_mark);
                }
            } else {
                rollback_request(&conn, &mut ctx, mark, seq_mark);
            }
            finishers.push(finish);
        }
        let committed = conn.execute_batch("COMMIT").map_err(|e| {
            tracing::error!(error = %e, "sqlite commit failed");
            let _ = conn.execute_batch("ROLLBACK");
            StoreError::Storage(format!("the write was not saved: {e}"))
        });
        let events = std::mem::take(&mut ctx.events);
        if committed.is_ok() {
            if let Some(last) = events.last() {
                head.store(last.seq, Ordering::Release);
                listener(&events);
            }
        } else {
            ctx.next_seq = seq_before;
        }
        for finish in finishers {
            finish(match &committed {
                Ok(()) => Ok(()),
                Err(e) => Err(StoreError::Storage(e.to_string())),
            });
        }
    }
}

fn rollback_request(conn: &Connection, ctx: &mut WriteCtx, mark: usize, seq_mark: i64) {
    let _ = conn.execute_batch("ROLLBACK TO request; RELEASE request");
    ctx.events.truncate(mark);
    ctx.next_seq = seq_mark;
}
