//! The SQLite writer alone, in process (`make bench-store`): many senders, each posting
//! visitor messages into its own assigned conversation as fast as the store acknowledges
//! them (closed loop), every message committed with `synchronous=FULL` on a fresh database
//! file. No sockets, no server: what the durable message path costs in the store.
//!
//! ```sh
//! cargo bench -p frontdesk-store --bench store -- [--senders N] [--secs S] [--dir DIR]
//! ```
//!
//! Prints one line per second and ends with `store: N msg/s` (messages acknowledged in the
//! measured window, after one second of warm-up). `--dir` puts the database on another
//! disk (default: a temporary directory).

use frontdesk_core::{Actor, Command, ConversationId, MessageId, OperatorId, Role, VisitorId};
use frontdesk_protocol::{ActorView, AuthorKind};
use frontdesk_store::*;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Args {
    senders: usize,
    secs: u64,
    dir: Option<std::path::PathBuf>,
}

fn args() -> Args {
    let mut a = Args {
        senders: 1000,
        secs: 10,
        dir: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--senders" => a.senders = value().parse().expect("--senders N"),
            "--secs" => a.secs = value().parse().expect("--secs S"),
            "--dir" => a.dir = Some(value().into()),
            // `cargo bench` passes this to every bench target.
            "--bench" => {}
            other => panic!("unknown argument {other} (--senders N, --secs S, --dir DIR)"),
        }
    }
    assert!(
        a.senders > 0 && a.secs > 0,
        "--senders and --secs must be positive"
    );
    a
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// One operator per 50 conversations, as in `bench/run.sh`'s population.
async fn setup(store: &dyn Store, senders: usize) -> Vec<(ConversationId, VisitorId)> {
    let operators: Vec<OperatorRecord> = (0..senders.div_ceil(50))
        .map(|i| OperatorRecord {
            id: OperatorId::new(),
            email: format!("op{i}@example.com"),
            display_name: format!("Operator {i}"),
            role: Role::Operator,
            disabled: false,
            password_hash: "not a hash".into(),
            chose_online: true,
        })
        .collect();
    for op in &operators {
        store.create_operator(op.clone(), now()).await.unwrap();
    }
    let handoff = Handoff {
        anyone_online: true,
        wait_override_ms: Some(60_000),
    };
    let mut chats = Vec::with_capacity(senders);
    for i in 0..senders {
        let visitor = VisitorId::new();
        let record = VisitorRecord {
            id: visitor,
            name: Some(format!("Visitor {i}")),
            playbook_id: None,
            language: None,
        };
        store.create_visitor(record, now()).await.unwrap();
        let chat = store
            .request_live_chat(visitor, handoff, now())
            .await
            .unwrap();
        let op = &operators[i % operators.len()];
        let assign = Command::Assign {
            operator: op.id,
            operator_name: op.display_name.clone(),
        };
        let by = ActorView::operator(op.id.0, op.display_name.clone());
        store.apply(chat.id, assign, by, now()).await.unwrap();
        chats.push((chat.id, visitor));
    }
    chats
}

/// CPU seconds used so far by this process and by its SQLite writer thread (Linux; zeros
/// elsewhere). On a shared machine the rate depends on what else runs; CPU per message
/// does much less.
fn cpu_secs() -> (f64, f64) {
    // utime + stime, fields 14 and 15 of `stat`, in clock ticks (100 per second).
    fn ticks(stat: &str) -> Option<f64> {
        let after_name = &stat[stat.rfind(')')? + 2..];
        let f: Vec<&str> = after_name.split(' ').collect();
        Some((f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?) / 100.0)
    }
    let read = |p: &std::path::Path| std::fs::read_to_string(p).ok();
    let process = read("/proc/self/stat".as_ref()).and_then(|s| ticks(&s));
    let writer = std::fs::read_dir("/proc/self/task").ok().and_then(|tasks| {
        tasks.flatten().find_map(|t| {
            let comm = read(&t.path().join("comm"))?;
            // Thread names are cut to 15 bytes: "frontdesk-sqlite-writer".
            (comm.trim_end() == "frontdesk-sqlit")
                .then(|| read(&t.path().join("stat")).and_then(|s| ticks(&s)))?
        })
    });
    (process.unwrap_or(0.0), writer.unwrap_or(0.0))
}

fn main() {
    let args = args();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = args.dir.clone().unwrap_or_else(|| tmp.path().to_owned());
    // The events a server would fan out: counted, so the listener is not free either.
    let published = Arc::new(AtomicU64::new(0));
    let counter = published.clone();
    let listener: EventListener = Arc::new(move |events| {
        counter.fetch_add(events.len() as u64, Ordering::Relaxed);
    });
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir, listener).unwrap());
    runtime.block_on(async move {
        let chats = setup(store.as_ref(), args.senders).await;
        println!(
            "store: {} senders, one conversation each, database in {}",
            args.senders,
            dir.display()
        );
        let acked = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let mut tasks = Vec::new();
        for (conversation, visitor) in chats {
            let (store, acked, stop) = (store.clone(), acked.clone(), stop.clone());
            tasks.push(tokio::spawn(async move {
                let mut k = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    k += 1;
                    let message = NewMessage {
                        id: MessageId::new(),
                        author: AuthorKind::Visitor,
                        author_id: Some(visitor.0),
                        author_name: "Visitor".into(),
                        body: format!("message {k} from a visitor who asks about the price"),
                    };
                    store
                        .post_message(conversation, Actor::Visitor, message, now())
                        .await
                        .unwrap();
                    acked.fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
        let second = |acked: &AtomicU64| {
            let before = acked.load(Ordering::Relaxed);
            let start = Instant::now();
            std::thread::sleep(Duration::from_secs(1));
            (acked.load(Ordering::Relaxed) - before) as f64 / start.elapsed().as_secs_f64()
        };
        let acked_sampler = acked.clone();
        let (warmup, window, cpu) = tokio::task::spawn_blocking(move || {
            let warmup = second(&acked_sampler);
            let start_count = acked_sampler.load(Ordering::Relaxed);
            let start = Instant::now();
            let cpu_start = cpu_secs();
            for s in 1..=args.secs {
                println!("  second {s}: {:.0} msg/s", second(&acked_sampler));
            }
            let cpu_end = cpu_secs();
            let n = (acked_sampler.load(Ordering::Relaxed) - start_count) as f64;
            let per_message = |end: f64, start: f64| (end - start) / n.max(1.0) * 1e6;
            (
                warmup,
                n / start.elapsed().as_secs_f64(),
                (
                    per_message(cpu_end.0, cpu_start.0),
                    per_message(cpu_end.1, cpu_start.1),
                ),
            )
        })
        .await
        .unwrap();
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            t.await.unwrap();
        }
        println!("  warm-up second: {warmup:.0} msg/s");
        println!(
            "  acknowledged {} messages, {} events published, head {}",
            acked.load(Ordering::Relaxed),
            published.load(Ordering::Relaxed),
            store.head()
        );
        println!(
            "  CPU per message: {:.1} µs in the process, {:.1} µs on the writer thread",
            cpu.0, cpu.1
        );
        println!("store: {window:.0} msg/s");
    });
}
