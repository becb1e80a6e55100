//! What the shell itself keeps: the server preselected on the command line, which
//! conversation each shown notification belongs to (so a click opens it), and when the app
//! started (for the one startup line on stderr).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::Mutex;
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use uuid::Uuid;

pub struct Shell {
    /// `--server URL` or `FRONTDESK_SERVER`.
    pub preselected_server: Option<String>,
    next_notification: AtomicI32,
    notifications: Mutex<HashMap<i32, Uuid>>,
    notifications_available: AtomicBool,
    started: Instant,
    inbox_listed: AtomicBool,
}

impl Shell {
    pub fn new(preselected_server: Option<String>, notifications_available: bool) -> Self {
        Shell {
            preselected_server,
            next_notification: AtomicI32::new(1),
            notifications: Mutex::new(HashMap::new()),
            notifications_available: AtomicBool::new(notifications_available),
            started: Instant::now(),
            inbox_listed: AtomicBool::new(false),
        }
    }

    /// Says once, on stderr, when the window first got a folder page: the app is usable from
    /// here on. The wall-clock time lets a benchmark include the process start before `main`.
    pub fn inbox_listed(&self) {
        if !self.inbox_listed.swap(true, Ordering::Relaxed) {
            let unix_ms = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or_default();
            eprintln!(
                "frontdesk-desktop: inbox listed {} ms after start (unix time {unix_ms} ms)",
                self.started.elapsed().as_millis()
            );
        }
    }

    /// A new notification id for `conversation`.
    pub fn remember(&self, conversation: Uuid) -> i32 {
        let id = self.next_notification.fetch_add(1, Ordering::Relaxed);
        let mut map = self.notifications.lock().unwrap_or_else(|p| p.into_inner());
        // Only recent notifications can still be clicked; keep the map small.
        if map.len() > 500 {
            map.retain(|n, _| *n > id - 250);
        }
        map.insert(id, conversation);
        id
    }

    /// The conversation of a clicked notification.
    pub fn conversation_of(&self, notification: i32) -> Option<Uuid> {
        let map = self.notifications.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&notification).copied()
    }

    pub fn notifications_available(&self) -> bool {
        self.notifications_available.load(Ordering::Relaxed)
    }
}

/// The command line: `--server URL` (or `FRONTDESK_SERVER`) and `--hidden` (start in the tray).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Args {
    pub server: Option<String>,
    pub hidden: bool,
}

impl Args {
    pub fn parse(argv: impl IntoIterator<Item = String>, env_server: Option<String>) -> Self {
        let mut out = Args {
            server: env_server.filter(|s| !s.trim().is_empty()),
            hidden: false,
        };
        let mut argv = argv.into_iter().skip(1);
        while let Some(a) = argv.next() {
            if a == "--hidden" {
                out.hidden = true;
            } else if a == "--server" {
                out.server = argv.next().or(out.server);
            } else if let Some(url) = a.strip_prefix("--server=") {
                out.server = Some(url.to_owned());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(a: &[&str]) -> Vec<String> {
        std::iter::once("frontdesk-desktop")
            .chain(a.iter().copied())
            .map(String::from)
            .collect()
    }

    #[test]
    fn the_command_line_wins_over_the_environment() {
        let env = Some("http://env:8080".to_owned());
        assert_eq!(
            Args::parse(argv(&["--server", "http://a:1"]), env.clone())
                .server
                .as_deref(),
            Some("http://a:1")
        );
        assert_eq!(
            Args::parse(argv(&["--server=http://b:2", "--hidden"]), None),
            Args {
                server: Some("http://b:2".into()),
                hidden: true
            }
        );
        assert_eq!(
            Args::parse(argv(&[]), env).server.as_deref(),
            Some("http://env:8080")
        );
        assert_eq!(Args::parse(argv(&[]), Some(" ".into())).server, None);
    }

    #[test]
    fn a_click_finds_its_conversation() {
        let shell = Shell::new(None, true);
        let c = Uuid::new_v4();
        let n = shell.remember(c);
        assert_eq!(shell.conversation_of(n), Some(c));
        assert_eq!(shell.conversation_of(n + 1), None);
    }
}
