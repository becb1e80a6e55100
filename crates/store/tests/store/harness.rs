//! One store per test, on either backend, with the events it publishes collected.

use frontdesk_core::{OperatorId, Role, VisitorId};
use frontdesk_store::testing::TestDatabase;
use frontdesk_store::*;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Runs a story (an `async fn(TestStore)`) once per backend, as two tests.
#[macro_export]
macro_rules! on_both_backends {
    ($story:ident) => {
        mod $story {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$story($crate::harness::TestStore::sqlite().await).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$story($crate::harness::TestStore::postgres().await).await
            }
        }
    };
}

/// What a store handed to its listener, in order.
pub type Published = Arc<Mutex<Vec<Arc<StoredEvent>>>>;

pub struct TestStore {
    pub store: Arc<dyn Store>,
    pub published: Published,
    _sqlite_dir: Option<tempfile::TempDir>,
    _database: Option<TestDatabase>,
}

pub fn collector() -> (EventListener, Published) {
    let published: Published = Arc::default();
    let sink = published.clone();
    let listener: EventListener =
        Arc::new(move |events| sink.lock().unwrap().extend(events.iter().cloned()));
    (listener, published)
}

impl TestStore {
    pub async fn sqlite() -> TestStore {
        let dir = tempfile::tempdir().unwrap();
        let (listener, published) = collector();
        let path = dir.path().to_owned();
        let store = tokio::task::spawn_blocking(move || SqliteStore::open(&path, listener))
            .await
            .unwrap()
            .unwrap();
        TestStore {
            store: Arc::new(store),
            published,
            _sqlite_dir: Some(dir),
            _database: None,
        }
    }

    pub async fn postgres() -> TestStore {
        let db = tokio::task::spawn_blocking(TestDatabase::new)
            .await
            .unwrap();
        let (listener, published) = collector();
        let store = PgStore::connect(&db.url, listener).await.unwrap();
        TestStore {
            store: Arc::new(store),
            published,
            _sqlite_dir: None,
            _database: Some(db),
        }
    }

    /// The SQLite store's directory (SQLite stores only).
    pub fn sqlite_dir(&self) -> &std::path::Path {
        self._sqlite_dir.as_ref().expect("a SQLite store").path()
    }

    /// Waits until the store published every event up to its head, and returns their seqs.
    pub async fn published_seqs(&self, head: i64) -> Vec<i64> {
        for _ in 0..200 {
            let seqs: Vec<i64> = self
                .published
                .lock()
                .unwrap()
                .iter()
                .map(|e| e.seq)
                .collect();
            if seqs.last().copied().unwrap_or(0) >= head {
                return seqs;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the store did not publish its events up to {head}");
    }

    pub async fn operator(&self, name: &str) -> OperatorRecord {
        operator(self.store.as_ref(), name).await
    }

    pub async fn visitor(&self) -> VisitorId {
        let id = VisitorId::new();
        let v = VisitorRecord {
            id,
            name: None,
            playbook_id: None,
            language: None,
        };
        self.store.create_visitor(v, now()).await.unwrap();
        id
    }
}

pub async fn operator(store: &dyn Store, name: &str) -> OperatorRecord {
    let op = OperatorRecord {
        id: OperatorId::new(),
        email: format!("{}@example.com", name.to_lowercase()),
        display_name: name.to_owned(),
        role: Role::Operator,
        disabled: false,
        password_hash: "not a hash".into(),
        chose_online: false,
    };
    store.create_operator(op.clone(), now()).await.unwrap();
    op
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

pub const ONLINE: Handoff = Handoff {
    anyone_online: true,
    wait_override_ms: Some(60_000),
};
