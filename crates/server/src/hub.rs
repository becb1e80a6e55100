//! Live fan-out of committed events to open realtime connections.
//!
//! The store calls [`Hub::publish`] after each commit, in seq order. Each connection has a
//! bounded queue; when a slow client's queue is full the event is not queued but the
//! connection is flagged `lagged` and catches up from the database, which already holds
//! everything published. So a slow client costs memory up to its queue, never a lost event.

use frontdesk_core::{OperatorAudience, OperatorId, VisitorId};
use frontdesk_store::{StoredEvent, StreamOwner};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, Notify};

/// Events queued per connection before it must catch up from the database.
const QUEUE: usize = 256;

/// Why the server ends a connection.
#[derive(Clone, Debug)]
pub struct Bye {
    pub code: &'static str,
    pub message: String,
}

/// What the hub hands a connection.
pub enum Outbound {
    /// A committed event of the client's stream.
    Event(Arc<StoredEvent>),
    /// An ephemeral frame (typing): not stored, no seq, dropped when the queue is full.
    Frame(Arc<str>),
}

/// The hub's side of one connection.
struct Handle {
    id: u64,
    token_hash: String,
    events: mpsc::Sender<Outbound>,
    signals: Arc<Signals>,
}

/// Flags a connection checks when woken.
#[derive(Default)]
pub struct Signals {
    pub lagged: AtomicBool,
    pub bye: Mutex<Option<Bye>>,
    pub wake: Notify,
}

impl Handle {
    /// Asks the connection to say goodbye and close.
    fn end(&self, bye: Bye) {
        *self.signals.bye.lock().unwrap_or_else(|p| p.into_inner()) = Some(bye);
        self.signals.wake.notify_one();
    }
}

/// What a connection task gets when it registers.
pub struct Subscription {
    pub id: u64,
    pub events: mpsc::Receiver<Outbound>,
    pub signals: Arc<Signals>,
}

#[derive(Default)]
struct Registry {
    operators: HashMap<OperatorId, Vec<Handle>>,
    visitors: HashMap<VisitorId, Vec<Handle>>,
}

#[derive(Default)]
pub struct Hub {
    next_id: AtomicU64,
    registry: Mutex<Registry>,
}

fn deliver(handle: &Handle, event: &Arc<StoredEvent>) {
    if handle
        .events
        .try_send(Outbound::Event(event.clone()))
        .is_err()
    {
        handle.signals.lagged.store(true, Ordering::Release);
        handle.signals.wake.notify_one();
    }
}

impl Hub {
    fn registry(&self) -> std::sync::MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a connection. Register before reading the backlog from the database, so that
    /// nothing committed in between is missed (duplicates are dropped by seq).
    pub fn subscribe(&self, owner: StreamOwner, token_hash: String) -> Subscription {
        let (tx, rx) = mpsc::channel(QUEUE);
        let signals = Arc::new(Signals::default());
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let handle = Handle {
            id,
            token_hash,
            events: tx,
            signals: signals.clone(),
        };
        let mut r = self.registry();
        match owner {
            StreamOwner::Operator(op) => r.operators.entry(op).or_default().push(handle),
            StreamOwner::Visitor(v) => r.visitors.entry(v).or_default().push(handle),
        }
        Subscription {
            id,
            events: rx,
            signals,
        }
    }

    pub fn unsubscribe(&self, owner: StreamOwner, id: u64) {
        let mut r = self.registry();
        match owner {
            StreamOwner::Operator(op) => remove(&mut r.operators, op, id),
            StreamOwner::Visitor(v) => remove(&mut r.visitors, v, id),
        }
    }

    pub fn publish(&self, events: &[Arc<StoredEvent>]) {
        let r = self.registry();
        for event in events {
            match event.operators {
                OperatorAudience::Nobody => {}
                OperatorAudience::All => r
                    .operators
                    .values()
                    .flatten()
                    .for_each(|h| deliver(h, event)),
                OperatorAudience::One(op) => r
                    .operators
                    .get(&op)
                    .into_iter()
                    .flatten()
                    .for_each(|h| deliver(h, event)),
            }
            if let Some(v) = event.visitor {
                r.visitors
                    .get(&v)
                    .into_iter()
                    .flatten()
                    .for_each(|h| deliver(h, event));
            }
        }
    }

    /// Sends an ephemeral frame to every connection of `owner`.
    pub fn send_frame(&self, owner: StreamOwner, frame: Arc<str>) {
        let r = self.registry();
        let handles = match owner {
            StreamOwner::Operator(op) => r.operators.get(&op),
            StreamOwner::Visitor(v) => r.visitors.get(&v),
        };
        for h in handles.into_iter().flatten() {
            let _ = h.events.try_send(Outbound::Frame(frame.clone()));
        }
    }

    /// Sends a frame that must not be lost (presence) to every operator connection. A
    /// connection whose queue is full is flagged as lagged: it catches up from storage and
    /// gets a fresh presence snapshot.
    pub fn broadcast_to_operators(&self, frame: Arc<str>) {
        let r = self.registry();
        for h in r.operators.values().flatten() {
            if h.events.try_send(Outbound::Frame(frame.clone())).is_err() {
                h.signals.lagged.store(true, Ordering::Release);
                h.signals.wake.notify_one();
            }
        }
    }

    /// Ends every connection of `op` (account disabled), or only those of one token (logout).
    pub fn kick_operator(&self, op: OperatorId, token_hash: Option<&str>, bye: Bye) {
        let r = self.registry();
        for h in r.operators.get(&op).into_iter().flatten() {
            if token_hash.is_none_or(|t| t == h.token_hash) {
                h.end(bye.clone());
            }
        }
    }

    /// Ends every connection of `op` except those of the token `keep`.
    pub fn kick_other_sessions(&self, op: OperatorId, keep: &str, bye: Bye) {
        let r = self.registry();
        for h in r
            .operators
            .get(&op)
            .into_iter()
            .flatten()
            .filter(|h| h.token_hash != keep)
        {
            h.end(bye.clone());
        }
    }

    /// Ends every connection (server shutting down).
    pub fn kick_all(&self, bye: Bye) {
        let r = self.registry();
        for h in r
            .operators
            .values()
            .flatten()
            .chain(r.visitors.values().flatten())
        {
            h.end(bye.clone());
        }
    }

    pub fn connection_count(&self) -> usize {
        let r = self.registry();
        r.operators.values().map(Vec::len).sum::<usize>()
            + r.visitors.values().map(Vec::len).sum::<usize>()
    }
}

fn remove<K: std::hash::Hash + Eq>(map: &mut HashMap<K, Vec<Handle>>, key: K, id: u64) {
    if let Some(list) = map.get_mut(&key) {
        list.retain(|h| h.id != id);
        if list.is_empty() {
            map.remove(&key);
        }
    }
}
