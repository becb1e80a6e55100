//! Truthful presence (S7, B4): an operator is online when they chose online **and** hold a
//! live realtime connection. When their last connection drops they stay online for a grace
//! period (a Wi-Fi blip or a reconnect must not bounce chats), then count as offline.
//!
//! The choice is per operator, not per device (every device shows the same), and is stored,
//! so it survives a server restart; being connected is per node and in memory. With several
//! nodes on one database, [`cluster`] tells each node who is connected on the others and
//! which choices were made there, so every node agrees (within about a second). Every change
//! of an operator's effective presence or choice is reported once on the channel given to
//! [`Presence::new`]; [`feed`] turns reports into stream frames and applies the B4 rule.
//! [`choice`] is the one way to change the choice (REST and the stream use it).

pub mod choice;
pub mod cluster;
pub mod feed;

use frontdesk_core::OperatorId;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Why an operator's presence changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    /// They chose online or offline.
    Choice,
    /// A connection came up.
    Connected,
    /// A connection dropped (reported only when no grace period keeps them online).
    Disconnected,
    /// Their last connection dropped and the grace period ran out.
    ConnectionLost,
    /// Their account was disabled.
    Disabled,
}

/// One reported change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Change {
    pub operator: OperatorId,
    pub chose_online: bool,
    pub online: bool,
    pub cause: Cause,
}

#[derive(Default)]
struct Entry {
    chose_online: bool,
    connections: u32,
    /// Set when the last connection closed: online until then.
    grace_until: Option<Instant>,
    /// The effective state last reported, so each change is reported once.
    reported_online: bool,
    /// Connected on another node (or within its grace period there).
    remote: bool,
    /// When this node last set the choice: a stored choice read before then is older.
    choice_set_at: Option<Instant>,
}

impl Entry {
    /// Connected on this node, or within the grace period after the last connection.
    fn here(&self, now: Instant) -> bool {
        self.connections > 0 || self.grace_until.is_some_and(|t| now < t)
    }

    fn online(&self, now: Instant) -> bool {
        self.chose_online && (self.here(now) || self.remote)
    }
}

struct Shared {
    grace: Duration,
    entries: Mutex<HashMap<OperatorId, Entry>>,
    changes: mpsc::UnboundedSender<Change>,
}

#[derive(Clone)]
pub struct Presence(Arc<Shared>);

impl Presence {
    /// A presence table that reports changes on `changes`.
    pub fn new(grace: Duration, changes: mpsc::UnboundedSender<Change>) -> Self {
        Presence(Arc::new(Shared {
            grace,
            entries: Mutex::new(HashMap::new()),
            changes,
        }))
    }

    /// Runs `f` on the operator's entry and reports the change it made, if any.
    fn update(&self, op: OperatorId, cause: Cause, f: impl FnOnce(&mut Entry)) {
        let now = Instant::now();
        let change = {
            let mut m = self.0.entries.lock().unwrap_or_else(|p| p.into_inner());
            let e = m.entry(op).or_default();
            let chose_before = e.chose_online;
            f(e);
            let online = e.online(now);
            let changed = online != e.reported_online || chose_before != e.chose_online;
            e.reported_online = online;
            changed.then_some(Change {
                operator: op,
                chose_online: e.chose_online,
                online,
                cause,
            })
        };
        if let Some(change) = change {
            let _ = self.0.changes.send(change);
        }
    }

    /// Restores stored choices at start (nobody is connected yet, so nothing is reported).
    pub fn restore(&self, chose_online: impl IntoIterator<Item = OperatorId>) {
        let mut m = self.0.entries.lock().unwrap_or_else(|p| p.into_inner());
        for op in chose_online {
            m.entry(op).or_default().chose_online = true;
        }
    }

    pub fn connected(&self, op: OperatorId) {
        self.update(op, Cause::Connected, |e| {
            e.connections += 1;
            e.grace_until = None;
        })
    }

    /// A connection closed. When it was the last, the operator stays online for the grace
    /// period; a timer then reports the loss if no connection came back.
    pub fn disconnected(&self, op: OperatorId) {
        let grace = self.0.grace;
        let mut last = false;
        self.update(op, Cause::Disconnected, |e| {
            e.connections = e.connections.saturating_sub(1);
            if e.connections == 0 {
                e.grace_until = Some(Instant::now() + grace);
                last = true;
            }
        });
        if last {
            let me = self.clone();
            tokio::spawn(async move {
                tokio::time::sleep(grace + Duration::from_millis(5)).await;
                me.lapse(op);
            });
        }
    }

    /// The grace period after the last connection ended is over: if no connection came
    /// back, report the loss — also for an operator who had chosen offline, since the
    /// conversations they still hold must not wait on someone who is gone (B4).
    fn lapse(&self, op: OperatorId) {
        let change = {
            let mut m = self.0.entries.lock().unwrap_or_else(|p| p.into_inner());
            let Some(e) = m.get_mut(&op) else { return };
            if e.connections > 0 || e.remote {
                return;
            }
            e.reported_online = false;
            Change {
                operator: op,
                chose_online: e.chose_online,
                online: false,
                cause: Cause::ConnectionLost,
            }
        };
        let _ = self.0.changes.send(change);
    }

    pub fn set_choice(&self, op: OperatorId, online: bool) {
        self.update(op, Cause::Choice, |e| {
            e.chose_online = online;
            e.choice_set_at = Some(Instant::now());
        })
    }

    /// The operators connected on this node (or within their grace period), for the others.
    pub fn here(&self) -> Vec<OperatorId> {
        let now = Instant::now();
        let m = self.0.entries.lock().unwrap_or_else(|p| p.into_inner());
        m.iter()
            .filter(|(_, e)| e.here(now))
            .map(|(id, _)| *id)
            .collect()
    }

    /// Takes in what the other nodes know: who is connected on them (`remote`) and every
    /// operator's stored choice (`choices`, read at `read_at`; a choice made here since is
    /// newer and kept). Reports each resulting change once; an operator whose last remote
    /// connection is gone, with none here, is reported as `ConnectionLost` (B4 applies).
    pub fn sync(
        &self,
        remote: &HashSet<OperatorId>,
        choices: &HashMap<OperatorId, bool>,
        read_at: Instant,
    ) {
        let now = Instant::now();
        let mut changes = Vec::new();
        {
            let mut m = self.0.entries.lock().unwrap_or_else(|p| p.into_inner());
            let ops: HashSet<OperatorId> = m
                .keys()
                .chain(remote)
                .chain(choices.keys())
                .copied()
                .collect();
            for op in ops {
                let e = m.entry(op).or_default();
                let chose_before = e.chose_online;
                let remote_before = e.remote;
                if e.choice_set_at.is_none_or(|t| t < read_at) {
                    e.chose_online = choices.get(&op).copied().unwrap_or(false);
                }
                e.remote = remote.contains(&op);
                let online = e.online(now);
                let lost = remote_before && !e.remote && !e.here(now);
                let cause = if chose_before != e.chose_online {
                    Cause::Choice
                } else if lost {
                    Cause::ConnectionLost
                } else {
                    Cause::Connected
                };
                if online != e.reported_online || chose_before != e.chose_online || lost {
                    e.reported_online = online;
                    changes.push(Change {
                        operator: op,
                        chose_online: e.chose_online,
                        online,
                        cause,
                    });
                }
            }
        }
        for change in changes {
            let _ = self.0.changes.send(change);
        }
    }

    /// What the operator chose, and whether they count as online now.
    pub fn status(&self, op: OperatorId) -> (bool, bool) {
        let now = Instant::now();
        let m = self.0.entries.lock().unwrap_or_else(|p| p.into_inner());
        m.get(&op)
            .map(|e| (e.chose_online, e.online(now)))
            .unwrap_or((false, false))
    }

    pub fn is_online(&self, op: OperatorId) -> bool {
        self.status(op).1
    }

    pub fn anyone_online(&self) -> bool {
        !self.online_operators().is_empty()
    }

    /// Whether someone other than `op` is online (for handing `op`'s chats over).
    pub fn anyone_else_online(&self, op: OperatorId) -> bool {
        self.online_operators().iter().any(|o| *o != op)
    }

    pub fn online_operators(&self) -> Vec<OperatorId> {
        let now = Instant::now();
        let m = self.0.entries.lock().unwrap_or_else(|p| p.into_inner());
        m.iter()
            .filter(|(_, e)| e.online(now))
            .map(|(id, _)| *id)
            .collect()
    }

    /// A disabled operator is offline at once, whatever they chose.
    pub fn forget(&self, op: OperatorId) {
        self.update(op, Cause::Disabled, |e| {
            e.chose_online = false;
            e.connections = 0;
            e.grace_until = None;
        });
        let mut m = self.0.entries.lock().unwrap_or_else(|p| p.into_inner());
        m.remove(&op);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn online_needs_choice_and_connection_then_lapses_after_grace() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let p = Presence::new(Duration::from_millis(30), tx);
        let a = OperatorId::new();
        p.set_choice(a, true);
        assert!(!p.is_online(a), "chose online but never connected");
        p.connected(a);
        assert!(p.is_online(a));
        p.disconnected(a);
        assert!(p.is_online(a), "within the grace period");
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(!p.is_online(a), "grace period over");
        let reported: Vec<_> = std::iter::from_fn(|| rx.try_recv().ok())
            .map(|c| (c.chose_online, c.online, c.cause))
            .collect();
        assert_eq!(
            reported,
            vec![
                (true, false, Cause::Choice),
                (true, true, Cause::Connected),
                (true, false, Cause::ConnectionLost),
            ],
            "each change reported once, the lapse by the grace timer"
        );
        p.connected(a);
        p.set_choice(a, false);
        assert!(!p.is_online(a), "chose offline");
        assert!(!p.anyone_online());
    }

    #[tokio::test]
    async fn other_nodes_connections_and_choices_count_here() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let p = Presence::new(Duration::from_millis(30), tx);
        let a = OperatorId::new();
        let stored = HashMap::from([(a, true)]);
        let before_read = Instant::now();
        p.sync(&HashSet::from([a]), &stored, before_read);
        assert!(
            p.is_online(a),
            "chose online (stored) and connected on another node"
        );
        assert!(p.here().is_empty(), "not connected on this node");
        // A choice made here after the stored ones were read is newer: it stays.
        p.set_choice(a, false);
        p.sync(&HashSet::from([a]), &stored, before_read);
        assert!(!p.is_online(a));
        p.set_choice(a, true);
        // The other node stops counting them: the connection is lost.
        p.sync(&HashSet::new(), &stored, Instant::now());
        assert!(!p.is_online(a));
        let reported: Vec<_> = std::iter::from_fn(|| rx.try_recv().ok())
            .map(|c| (c.chose_online, c.online, c.cause))
            .collect();
        assert_eq!(
            reported,
            vec![
                (true, true, Cause::Choice),
                (false, false, Cause::Choice),
                (true, true, Cause::Choice),
                (true, false, Cause::ConnectionLost),
            ]
        );
    }

    #[tokio::test]
    async fn a_reconnect_within_the_grace_period_reports_nothing() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let p = Presence::new(Duration::from_millis(30), tx);
        let a = OperatorId::new();
        p.restore([a]);
        p.connected(a);
        assert_eq!(rx.try_recv().map(|c| c.online), Ok(true));
        p.disconnected(a);
        p.connected(a);
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(rx.try_recv().is_err(), "a blip is not a change");
        assert!(p.is_online(a));
    }
}
