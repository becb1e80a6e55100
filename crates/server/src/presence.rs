//! Truthful presence (S7, B4): an operator is online when they chose online **and** hold a
//! live realtime connection. When their last connection drops they stay online for a grace
//! period (a Wi-Fi blip or a reconnect must not bounce chats), then count as offline.
//! Computed on demand from the clock: no timers to get wrong.

use frontdesk_core::OperatorId;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Default)]
struct Entry {
    chose_online: bool,
    connections: u32,
    /// Set when the last connection closed: online until then.
    grace_until: Option<Instant>,
}

impl Entry {
    fn online(&self, now: Instant) -> bool {
        self.chose_online && (self.connections > 0 || self.grace_until.is_some_and(|t| now < t))
    }
}

pub struct Presence {
    grace: Duration,
    entries: Mutex<HashMap<OperatorId, Entry>>,
}

impl Presence {
    pub fn new(grace: Duration) -> Self {
        Presence {
            grace,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<OperatorId, Entry>) -> T) -> T {
        let mut guard = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    pub fn connected(&self, op: OperatorId) {
        self.with(|m| {
            let e = m.entry(op).or_default();
            e.connections += 1;
            e.grace_until = None;
        })
    }

    pub fn disconnected(&self, op: OperatorId) {
        let grace = self.grace;
        self.with(|m| {
            if let Some(e) = m.get_mut(&op) {
                e.connections = e.connections.saturating_sub(1);
                if e.connections == 0 {
                    e.grace_until = Some(Instant::now() + grace);
                }
            }
        })
    }

    pub fn set_choice(&self, op: OperatorId, online: bool) {
        self.with(|m| m.entry(op).or_default().chose_online = online)
    }

    /// What the operator chose, and whether they count as online now.
    pub fn status(&self, op: OperatorId) -> (bool, bool) {
        let now = Instant::now();
        self.with(|m| {
            m.get(&op)
                .map(|e| (e.chose_online, e.online(now)))
                .unwrap_or((false, false))
        })
    }

    pub fn is_online(&self, op: OperatorId) -> bool {
        self.status(op).1
    }

    pub fn anyone_online(&self) -> bool {
        let now = Instant::now();
        self.with(|m| m.values().any(|e| e.online(now)))
    }

    pub fn online_operators(&self) -> Vec<OperatorId> {
        let now = Instant::now();
        self.with(|m| {
            m.iter()
                .filter(|(_, e)| e.online(now))
                .map(|(id, _)| *id)
                .collect()
        })
    }

    /// A disabled operator is offline at once, whatever they chose.
    pub fn forget(&self, op: OperatorId) {
        self.with(|m| {
            m.remove(&op);
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn online_needs_choice_and_connection_then_lapses_after_grace() {
        let p = Presence::new(Duration::from_millis(30));
        let a = OperatorId::new();
        p.set_choice(a, true);
        assert!(!p.is_online(a), "chose online but never connected");
        p.connected(a);
        assert!(p.is_online(a));
        p.disconnected(a);
        assert!(p.is_online(a), "within the grace period");
        std::thread::sleep(Duration::from_millis(40));
        assert!(!p.is_online(a), "grace period over");
        p.connected(a);
        p.set_choice(a, false);
        assert!(!p.is_online(a), "chose offline");
        assert!(!p.anyone_online());
    }
}
