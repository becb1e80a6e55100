//! The load driver: setup, optional idle connections, then the measured open-loop phase.
//!
//! Open loop: message `k` is due at `k / rate` seconds after the start, whatever happened to
//! earlier messages. Visitor `v` of `N` owns messages `v, v + N, v + 2N, …` and sends each at
//! its due time. Latency is counted from the due time, so a sender stuck behind a slow server
//! (or a full socket) shows up in the figures instead of silently sending less
//! (coordinated omission).
//!
//! Each body is `"<message_id> <k> <due µs> <sent µs>"`: the operator side needs no shared
//! map to match a message, only a bitmap to drop duplicates and count what arrived.

use crate::setup::{self, Active, Http, Mode};
use crate::stats::{
    cpu_secs, histogram, machine_ticks, merge, other_processes, others_between, rss_kib,
    MachineCpu, Percentiles, RunResult,
};
use crate::ws::Ws;
use anyhow::{bail, Context};
use frontdesk_protocol::{AuthorKind, ClientFrame, EventBody, ServerFrame};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use reqwest::Url;
use std::collections::{BTreeMap, VecDeque};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

#[derive(clap::Args)]
pub struct RunArgs {
    /// Base URL of the target; loopback addresses only.
    #[arg(long)]
    target: Url,
    /// Further nodes of the same server (frontdesk mode, a shared PostgreSQL database): the
    /// operators' and visitors' streams are spread round-robin over `--target` and these;
    /// the setup's requests go to `--target`.
    #[arg(long)]
    also_target: Vec<Url>,
    #[arg(long, value_enum)]
    mode: Mode,
    /// The admin's password (frontdesk mode).
    #[arg(long, env = "FRONTDESK_ADMIN_PASSWORD", default_value = "")]
    admin_password: String,
    #[arg(long, default_value = "admin@frontdesk.local")]
    admin_email: String,
    /// Visitors, each with one conversation assigned to an operator.
    #[arg(long, default_value_t = 1000)]
    visitors: usize,
    /// Operators (keep small on the real server: each costs two Argon2 hashes).
    #[arg(long, default_value_t = 20)]
    operators: usize,
    /// Aggregate offered rate, messages per second, spread over all visitors.
    #[arg(long, default_value_t = 2000.0)]
    rate: f64,
    /// Length of the measured window.
    #[arg(long, default_value_t = 20.0)]
    duration_secs: f64,
    /// Load before the measured window, excluded from the figures.
    #[arg(long, default_value_t = 2.0)]
    warmup_secs: f64,
    /// How long to wait for stragglers after the last send before counting them as lost.
    #[arg(long, default_value_t = 10.0)]
    drain_secs: f64,
    /// Unanswered messages a visitor may have before it skips its due sends (bounds the
    /// backlog a saturated server is left with).
    #[arg(long, default_value_t = 20)]
    max_in_flight: u64,
    /// Extra idle visitor WebSockets held open during the measured phase.
    #[arg(long, default_value_t = 0)]
    idle_connections: usize,
    /// The server's process id: memory per idle connection, RSS and CPU figures. Repeat it
    /// for several nodes and for the database (each process counts with its descendants:
    /// PostgreSQL's backends are children of its postmaster).
    #[arg(long)]
    server_pid: Vec<u32>,
    /// Also wait for these processes to go idle before starting (e.g. the other target).
    #[arg(long)]
    wait_idle_pid: Vec<u32>,
    /// Quiet time before each memory reading around opening the idle connections.
    #[arg(long, default_value_t = 12.0)]
    settle_secs: f64,
    /// Concurrent requests while setting up conversations.
    #[arg(long, default_value_t = 64)]
    setup_concurrency: usize,
    /// Concurrent handshakes while opening idle connections.
    #[arg(long, default_value_t = 200)]
    idle_concurrency: usize,
    /// A name for this run in the `RESULT` line (scenarios are paired by label).
    #[arg(long, default_value = "run")]
    label: String,
}

/// Only this machine may be a target.
fn check_loopback(url: &Url) -> anyhow::Result<()> {
    if url.scheme() != "http" {
        bail!("--target must be an http:// URL");
    }
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let loopback = host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if !loopback {
        bail!("--target must be a loopback address (127.0.0.0/8, ::1 or localhost), not {host}");
    }
    Ok(())
}

pub async fn run(args: RunArgs) -> anyhow::Result<()> {
    check_loopback(&args.target)?;
    for t in &args.also_target {
        check_loopback(t)?;
    }
    if args.mode == Mode::Relay && !args.also_target.is_empty() {
        bail!("--also-target is for several frontdesk nodes");
    }
    if args.visitors == 0 || args.operators == 0 || args.rate <= 0.0 || args.duration_secs <= 0.0 {
        bail!("--visitors, --operators, --rate and --duration-secs must be positive");
    }
    if args.mode == Mode::Frontdesk && args.admin_password.is_empty() {
        bail!("--admin-password (or FRONTDESK_ADMIN_PASSWORD) is required in frontdesk mode");
    }
    let mut nodes = vec![Http::new(args.target.clone())?];
    for t in &args.also_target {
        nodes.push(Http::new(t.clone())?);
    }
    let http = &nodes[0];
    for pid in args.server_pid.iter().chain(&args.wait_idle_pid) {
        quiesce(*pid).await;
    }

    let setup_started = Instant::now();
    // Idle connections first, with the server's memory before and after opening them: on a
    // fresh server nothing has hashed a password yet, and the heap holds no freed Argon2
    // buffers that new connections could reuse without growing RSS (docs/performance.md).
    let (idle_stop, idle_stop_rx) = watch::channel(false);
    let mut idle_before = None;
    let mut idle_after = None;
    if args.idle_connections > 0 {
        let t = Instant::now();
        let tokens =
            setup::visitor_sessions(http, args.idle_connections, args.idle_concurrency).await?;
        eprintln!(
            "idle: {} visitor sessions in {:.1} s",
            tokens.len(),
            t.elapsed().as_secs_f64()
        );
        // Settle before each reading: tokio's blocking threads (which the server's SQLite
        // reads run on) live 10 s after their last job, and their exit moves RSS by megabytes.
        let settle = Duration::from_secs_f64(args.settle_secs);
        tokio::time::sleep(settle).await;
        idle_before = tree_rss_kib(&args.server_pid);
        let t = Instant::now();
        let sockets = setup::idle_streams(http, &tokens, args.idle_concurrency).await?;
        eprintln!(
            "idle: {} WebSockets open in {:.1} s",
            sockets.len(),
            t.elapsed().as_secs_f64()
        );
        for ws in sockets {
            tokio::spawn(hold_idle(ws, idle_stop_rx.clone()));
        }
        tokio::time::sleep(settle).await;
        idle_after = tree_rss_kib(&args.server_pid);
    }
    let active = match args.mode {
        Mode::Frontdesk => setup::frontdesk(
            &nodes,
            &args.admin_email,
            &args.admin_password,
            args.visitors,
            args.operators,
            args.setup_concurrency,
        )
        .await
        .context("setup")?,
        Mode::Relay => setup::relay(http, args.visitors, args.operators, args.setup_concurrency)
            .await
            .context("setup")?,
    };
    eprintln!(
        "setup: {} operators and {} conversations in {:.1} s",
        active.operators.len(),
        active.visitors.len(),
        setup_started.elapsed().as_secs_f64()
    );

    let setup_secs = setup_started.elapsed().as_secs_f64();
    // Let the setup's fan-out (conversation upserts to every operator) drain first.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let connections = active.operators.len() + active.visitors.len() + args.idle_connections;
    let measured = measure(active, &args).await?;
    let _ = idle_stop.send(true);

    let idle_kib_per_connection = match (idle_before, idle_after) {
        (Some(b), Some(a)) if args.idle_connections > 0 => {
            Some((a as f64 - b as f64) / args.idle_connections as f64)
        }
        _ => None,
    };
    let Measured {
        due,
        tally,
        server_cpu_pct,
        loadgen_cpu_pct,
        machine,
    } = measured;
    let c = tally.counts;
    let result = RunResult {
        label: args.label.clone(),
        mode: args.mode,
        operators: args.operators,
        visitors: args.visitors,
        idle_connections: args.idle_connections,
        connections,
        offered_rate: args.rate,
        warmup_secs: args.warmup_secs,
        duration_secs: args.duration_secs,
        sent: c.sent,
        measured_due: due,
        measured_sent: c.measured_sent,
        skipped: c.skipped,
        max_in_flight: args.max_in_flight,
        measured_received: c.measured_received,
        not_received: due.saturating_sub(c.measured_received),
        duplicates: c.duplicates,
        acks: c.acks,
        errors: c.errors,
        error_codes: c.error_codes,
        achieved_msgs_per_s: c.in_window as f64 / args.duration_secs,
        latency_ms: Percentiles::of(&tally.latency),
        latency_from_send_ms: Percentiles::of(&tally.from_send),
        ack_latency_ms: Percentiles::of(&tally.ack),
        send_lag_ms: Percentiles::of(&tally.lag),
        setup_secs,
        server_cpu_pct,
        loadgen_cpu_pct,
        machine,
        server_rss_kib: tree_rss_kib(&args.server_pid),
        idle_rss_before_kib: idle_before,
        idle_rss_after_kib: idle_after,
        idle_kib_per_connection,
    };
    print_summary(&result);
    println!("RESULT {}", serde_json::to_string(&result)?);
    Ok(())
}

/// `roots` and every process descending from them.
fn process_tree(roots: &[u32]) -> Vec<u32> {
    let mut parent = Vec::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for entry in dir.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                continue;
            };
            // After the command's closing parenthesis: state, then the parent's pid.
            let ppid = stat
                .rfind(')')
                .and_then(|c| stat[c + 2..].split_whitespace().nth(1)?.parse::<u32>().ok());
            if let Some(ppid) = ppid {
                parent.push((pid, ppid));
            }
        }
    }
    let mut tree: Vec<u32> = roots.to_vec();
    let mut grew = true;
    while grew {
        grew = false;
        for (pid, ppid) in &parent {
            if tree.contains(ppid) && !tree.contains(pid) {
                tree.push(*pid);
                grew = true;
            }
        }
    }
    tree
}

/// Resident memory of the processes of `roots` and their descendants together.
fn tree_rss_kib(roots: &[u32]) -> Option<u64> {
    if roots.is_empty() {
        return None;
    }
    process_tree(roots).into_iter().map(rss_kib).sum()
}

/// Waits (up to a minute) until `pid` is nearly idle, so that a backlog left by the previous
/// run does not load this one.
async fn quiesce(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let Some(before) = cpu_secs(Some(pid)) else {
            return;
        };
        tokio::time::sleep(Duration::from_secs(1)).await;
        let Some(after) = cpu_secs(Some(pid)) else {
            return;
        };
        if after - before < 0.05 {
            return;
        }
        eprintln!(
            "waiting for process {pid} to go idle ({:.0}% CPU)",
            (after - before) * 100.0
        );
    }
}

/// Keeps an idle connection read (so pings are answered) until the run ends.
async fn hold_idle(mut ws: Ws, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            msg = ws.next() => if !matches!(msg, Some(Ok(_))) { return },
            _ = stop.changed() => return,
        }
    }
}

/// The schedule and the counters every task shares.
struct Plan {
    t0: Instant,
    rate: f64,
    warmup_us: u64,
    end_us: u64,
    /// Messages in the schedule: `k` in `0..total`.
    total: u64,
    /// One bit per `k`: received by an operator.
    seen: Vec<AtomicU64>,
    /// Unique messages received by operators (drain check).
    received: AtomicU64,
    /// Sends answered by `ack` or `error` (drain check).
    answered: AtomicU64,
    /// Unanswered sends allowed per visitor.
    max_in_flight: u64,
}

impl Plan {
    fn due_us(&self, k: u64) -> u64 {
        (k as f64 * 1e6 / self.rate) as u64
    }
    fn now_us(&self) -> u64 {
        Instant::now()
            .saturating_duration_since(self.t0)
            .as_micros() as u64
    }
    fn measured(&self, due_us: u64) -> bool {
        due_us >= self.warmup_us
    }
    /// Marks `k` received; false if it already was.
    fn mark(&self, k: u64) -> bool {
        let bit = 1u64 << (k % 64);
        self.seen[(k / 64) as usize].fetch_or(bit, Ordering::Relaxed) & bit == 0
    }
}

#[derive(Default)]
struct Counts {
    sent: u64,
    measured_sent: u64,
    /// Measured messages not sent because the visitor had too many unanswered.
    skipped: u64,
    measured_received: u64,
    in_window: u64,
    duplicates: u64,
    acks: u64,
    errors: u64,
    error_codes: BTreeMap<String, u64>,
}

impl Counts {
    fn error(&mut self, code: &str) {
        self.errors += 1;
        *self.error_codes.entry(code.to_owned()).or_default() += 1;
    }
    fn add(&mut self, o: Counts) {
        self.sent += o.sent;
        self.measured_sent += o.measured_sent;
        self.skipped += o.skipped;
        self.measured_received += o.measured_received;
        self.in_window += o.in_window;
        self.duplicates += o.duplicates;
        self.acks += o.acks;
        self.errors += o.errors;
        for (code, n) in o.error_codes {
            *self.error_codes.entry(code).or_default() += n;
        }
    }
}

/// What one task measured; merged at the end (no shared histogram, no lock on the hot path).
struct Tally {
    counts: Counts,
    latency: Histogram<u64>,
    from_send: Histogram<u64>,
    ack: Histogram<u64>,
    lag: Histogram<u64>,
}

impl Tally {
    fn new() -> Self {
        Tally {
            counts: Counts::default(),
            latency: histogram(),
            from_send: histogram(),
            ack: histogram(),
            lag: histogram(),
        }
    }
    fn add(&mut self, o: Tally) {
        self.counts.add(o.counts);
        merge(&mut self.latency, &o.latency);
        merge(&mut self.from_send, &o.from_send);
        merge(&mut self.ack, &o.ack);
        merge(&mut self.lag, &o.lag);
    }
}

struct Pending {
    id: Uuid,
    due_us: u64,
}

/// The measured phase's raw figures.
struct Measured {
    /// Messages due in the measured window.
    due: u64,
    tally: Tally,
    server_cpu_pct: Option<f64>,
    loadgen_cpu_pct: Option<f64>,
    machine: Option<MachineCpu>,
}

async fn measure(active: Active, args: &RunArgs) -> anyhow::Result<Measured> {
    let end_secs = args.warmup_secs + args.duration_secs;
    let total = (args.rate * end_secs).ceil() as u64;
    let plan = Arc::new(Plan {
        // A short lead so that every task is waiting before the first message is due.
        t0: Instant::now() + Duration::from_millis(200),
        rate: args.rate,
        warmup_us: (args.warmup_secs * 1e6) as u64,
        end_us: (end_secs * 1e6) as u64,
        total,
        seen: (0..total.div_ceil(64)).map(|_| AtomicU64::new(0)).collect(),
        received: AtomicU64::new(0),
        answered: AtomicU64::new(0),
        max_in_flight: args.max_in_flight,
    });
    let (stop, stop_rx) = watch::channel(false);

    let readers: Vec<_> = active
        .operators
        .into_iter()
        .map(|ws| tokio::spawn(operator_reader(ws, plan.clone(), stop_rx.clone())))
        .collect();
    let mut senders = Vec::new();
    let mut visitor_readers = Vec::new();
    let mut schedules = Vec::new();
    for visitor in active.visitors {
        let (sink, stream) = visitor.ws.split();
        let (pending_tx, pending_rx) = mpsc::unbounded_channel();
        let (due_tx, due_rx) = mpsc::unbounded_channel();
        schedules.push(due_tx);
        let answered = Arc::new(AtomicU64::new(0));
        let reader = visitor_reader(
            stream,
            pending_rx,
            plan.clone(),
            answered.clone(),
            stop_rx.clone(),
        );
        visitor_readers.push(tokio::spawn(reader));
        let sender = sender(
            sink,
            due_rx,
            visitor.conversation_id,
            plan.clone(),
            pending_tx,
            answered,
        );
        senders.push(tokio::spawn(sender));
    }
    let clock = {
        let plan = plan.clone();
        let thread = std::thread::Builder::new().name("loadgen-clock".into());
        thread.spawn(move || clock(plan, schedules))?
    };
    let cpu = tokio::spawn(cpu_over_window(plan.clone(), args.server_pid.clone()));

    let mut tally = Tally::new();
    let clock = tokio::task::spawn_blocking(move || clock.join()).await?;
    clock.map_err(|_| anyhow::anyhow!("the clock thread panicked"))?;
    for s in senders {
        tally.add(s.await?);
    }
    // Drain: wait for what is still in flight, up to --drain-secs.
    let sent = tally.counts.sent;
    let deadline = Instant::now() + Duration::from_secs_f64(args.drain_secs);
    while Instant::now() < deadline {
        if plan.received.load(Ordering::Relaxed) >= sent
            && plan.answered.load(Ordering::Relaxed) >= sent
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop.send(true);
    for r in readers.into_iter().chain(visitor_readers) {
        tally.add(r.await?);
    }
    let (server_cpu_pct, loadgen_cpu_pct, machine) = cpu.await?;

    let due = (0..plan.total)
        .filter(|&k| plan.measured(plan.due_us(k)))
        .count() as u64;
    Ok(Measured {
        due,
        tally,
        server_cpu_pct,
        loadgen_cpu_pct,
        machine,
    })
}

/// CPU of the server, of this process and of the machine over the measured window.
async fn cpu_over_window(
    plan: Arc<Plan>,
    server: Vec<u32>,
) -> (Option<f64>, Option<f64>, Option<MachineCpu>) {
    let at = |us: u64| tokio::time::Instant::from_std(plan.t0 + Duration::from_micros(us));
    let sample = || {
        let tree = process_tree(&server);
        let server = (!server.is_empty())
            .then(|| tree.iter().filter_map(|p| cpu_secs(Some(*p))).sum::<f64>());
        let exclude: Vec<u32> = tree.into_iter().chain([std::process::id()]).collect();
        (
            server,
            cpu_secs(None),
            machine_ticks(),
            other_processes(&exclude),
        )
    };
    tokio::time::sleep_until(at(plan.warmup_us)).await;
    let (s0, l0, m0, o0) = sample();
    tokio::time::sleep_until(at(plan.end_us)).await;
    let (s1, l1, m1, o1) = sample();
    let secs = (plan.end_us - plan.warmup_us) as f64 / 1e6;
    let pct = |a: Option<f64>, b: Option<f64>| Some((b? - a?) / secs * 100.0);
    let others = others_between(&o0, &o1);
    let machine = m0
        .zip(m1)
        .map(|(a, b)| MachineCpu::between(a, b, others, secs));
    (pct(s0, s1), pct(l0, l1), machine)
}

/// The clock never naps shorter than this: bounds its wake-ups to 10,000 a second at high
/// rates, at the cost of sending up to this much late (which the figures then include).
const MIN_NAP: Duration = Duration::from_micros(100);

/// The alarm clock of the open loop: a plain thread that wakes at due times (tokio's timer
/// rounds up to whole milliseconds, which alone would add ~1 ms to every figure) and hands
/// each due message `k` to its visitor's sender. It never waits for a sender.
fn clock(plan: Arc<Plan>, visitors: Vec<mpsc::UnboundedSender<u64>>) {
    let stride = visitors.len() as u64;
    let due = |k: u64| plan.t0 + Duration::from_micros(plan.due_us(k));
    let mut k = 0;
    while k < plan.total {
        let now = Instant::now();
        while k < plan.total && due(k) <= now {
            let _ = visitors[(k % stride) as usize].send(k);
            k += 1;
        }
        if k < plan.total {
            std::thread::sleep(due(k).saturating_duration_since(now).max(MIN_NAP));
        }
    }
}

/// One visitor's sender: writes each message it is handed, stamped with its due time.
async fn sender(
    mut sink: SplitSink<Ws, Message>,
    mut due: mpsc::UnboundedReceiver<u64>,
    conversation_id: Uuid,
    plan: Arc<Plan>,
    pending: mpsc::UnboundedSender<Pending>,
    answered: Arc<AtomicU64>,
) -> Tally {
    let mut t = Tally::new();
    while let Some(k) = due.recv().await {
        let due_us = plan.due_us(k);
        let measured = plan.measured(due_us);
        // An open loop against a server that cannot keep up would queue without bound and
        // leave a backlog for the next run: past the cap, messages are skipped (and counted
        // as not received).
        if t.counts.sent - answered.load(Ordering::Relaxed) >= plan.max_in_flight {
            t.counts.skipped += u64::from(measured);
            continue;
        }
        let sent_us = plan.now_us();
        if measured {
            t.lag.saturating_record(sent_us.saturating_sub(due_us));
        }
        let message_id = Uuid::now_v7();
        let frame = ClientFrame::Send {
            conversation_id,
            message_id,
            body: format!("{message_id} {k} {due_us} {sent_us}"),
        };
        let _ = pending.send(Pending {
            id: message_id,
            due_us,
        });
        let text = serde_json::to_string(&frame).expect("a frame serializes");
        if sink.send(Message::text(text)).await.is_err() {
            t.counts.error("send_failed");
            break;
        }
        t.counts.sent += 1;
        if measured {
            t.counts.measured_sent += 1;
        }
    }
    t
}

/// A visitor's socket: counts acks (in send order) and errors; skips its own message events.
async fn visitor_reader(
    mut stream: SplitStream<Ws>,
    mut pending: mpsc::UnboundedReceiver<Pending>,
    plan: Arc<Plan>,
    answered: Arc<AtomicU64>,
    mut stop: watch::Receiver<bool>,
) -> Tally {
    let mut t = Tally::new();
    let mut queue: VecDeque<Pending> = VecDeque::new();
    loop {
        let msg = tokio::select! {
            msg = stream.next() => msg,
            _ = stop.changed() => break,
        };
        let text = match msg {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => {
                t.counts.error("visitor_socket_closed");
                break;
            }
        };
        // The echo of its own message: not measured (the operator's copy is).
        if text.as_str().starts_with(r#"{"type":"event""#) {
            continue;
        }
        let now_us = plan.now_us();
        let (answers, code) = match serde_json::from_str::<ServerFrame>(text.as_str()) {
            Ok(ServerFrame::Ack { message_id, .. }) => (Some(message_id), None),
            Ok(ServerFrame::Error {
                code, message_id, ..
            }) => (message_id, Some(code)),
            Ok(ServerFrame::Bye { code, .. }) => {
                t.counts.error(&format!("bye:{code}"));
                break;
            }
            Ok(_) => continue,
            Err(_) => (None, Some("unparsable_frame".to_owned())),
        };
        if let Some(code) = &code {
            t.counts.error(code);
        }
        let Some(id) = answers else { continue };
        plan.answered.fetch_add(1, Ordering::Relaxed);
        answered.fetch_add(1, Ordering::Relaxed);
        while let Ok(p) = pending.try_recv() {
            queue.push_back(p);
        }
        // Answers come in send order: the server handles one frame of a connection at a time.
        while let Some(p) = queue.pop_front() {
            if p.id == id {
                if code.is_none() {
                    t.counts.acks += 1;
                    if plan.measured(p.due_us) {
                        t.ack.saturating_record(now_us.saturating_sub(p.due_us));
                    }
                }
                break;
            }
        }
    }
    t
}

/// An operator's socket: each visitor message event is matched to its schedule slot.
async fn operator_reader(mut ws: Ws, plan: Arc<Plan>, mut stop: watch::Receiver<bool>) -> Tally {
    let mut t = Tally::new();
    loop {
        let msg = tokio::select! {
            msg = ws.next() => msg,
            _ = stop.changed() => break,
        };
        let text = match msg {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => {
                t.counts.error("operator_socket_closed");
                break;
            }
        };
        let now_us = plan.now_us();
        // Conversation upserts from the setup and other frames are not measured.
        if !text.as_str().contains(r#""kind":"message""#) {
            continue;
        }
        let Ok(ServerFrame::Event {
            event: EventBody::Message { message, .. },
            ..
        }) = serde_json::from_str(text.as_str())
        else {
            continue;
        };
        if message.author != AuthorKind::Visitor {
            continue;
        }
        let Some((k, due_us, sent_us)) = parse_body(&message.body, message.id) else {
            t.counts.error("foreign_message");
            continue;
        };
        if k >= plan.total || !plan.mark(k) {
            t.counts.duplicates += 1;
            continue;
        }
        plan.received.fetch_add(1, Ordering::Relaxed);
        if plan.measured(due_us) {
            t.counts.measured_received += 1;
            t.latency.saturating_record(now_us.saturating_sub(due_us));
            t.from_send
                .saturating_record(now_us.saturating_sub(sent_us));
        }
        if (plan.warmup_us..plan.end_us).contains(&now_us) {
            t.counts.in_window += 1;
        }
    }
    t
}

/// `"<message_id> <k> <due µs> <sent µs>"`, checked against the event's message id.
fn parse_body(body: &str, id: Uuid) -> Option<(u64, u64, u64)> {
    let mut parts = body.split(' ');
    if parts.next()?.parse::<Uuid>().ok()? != id {
        return None;
    }
    Some((
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
    ))
}

fn print_summary(r: &RunResult) {
    println!("== {} against {:?} ==", r.label, r.mode);
    println!(
        "population: {} operators, {} visitors with a conversation, {} idle visitors: {} WebSockets",
        r.operators, r.visitors, r.idle_connections, r.connections
    );
    println!(
        "offered {:.0} msg/s (open loop) for {:.0} s after a {:.0} s warm-up; setup took {:.1} s",
        r.offered_rate, r.duration_secs, r.warmup_secs, r.setup_secs
    );
    println!(
        "sent {} ({} measured), received {} of the measured, not received {}, duplicates {}, acks {}, errors {} {:?}",
        r.sent, r.measured_sent, r.measured_received, r.not_received, r.duplicates, r.acks, r.errors, r.error_codes
    );
    println!(
        "measured window: {} due, {} skipped (visitor had {} unanswered)",
        r.measured_due, r.skipped, r.max_in_flight
    );
    println!(
        "achieved {:.0} msg/s received by operators over the measured window",
        r.achieved_msgs_per_s
    );
    println!(
        "latency visitor → operator, from due time (ms):  {}",
        r.latency_ms.line()
    );
    println!(
        "latency visitor → operator, from send time (ms): {}",
        r.latency_from_send_ms.line()
    );
    println!(
        "ack latency, from due time (ms):                 {}",
        r.ack_latency_ms.line()
    );
    println!(
        "client send lag behind schedule (ms):            {}",
        r.send_lag_ms.line()
    );
    let opt = |v: Option<f64>| v.map_or("n/a".to_owned(), |v| format!("{v:.0}%"));
    println!(
        "CPU over the window (100% = one core): server {}, load generator {}",
        opt(r.server_cpu_pct),
        opt(r.loadgen_cpu_pct)
    );
    if let Some(m) = &r.machine {
        println!(
            "machine (tick-sampled): busy {:.0}%, irq/softirq {:.0}%, steal {:.0}%; other processes {:.0}%",
            m.busy_pct, m.irq_pct, m.steal_pct, m.other_processes_pct
        );
    }
    if let Some(rss) = r.server_rss_kib {
        println!("server RSS at the end: {:.1} MiB", rss as f64 / 1024.0);
    }
    if let (Some(b), Some(a), Some(per)) = (
        r.idle_rss_before_kib,
        r.idle_rss_after_kib,
        r.idle_kib_per_connection,
    ) {
        println!(
            "idle connections: server RSS {:.1} → {:.1} MiB for {} connections = {:.1} KiB per idle connection",
            b as f64 / 1024.0,
            a as f64 / 1024.0,
            r.idle_connections,
            per
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_targets() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.0.0.2:1",
            "http://localhost:3000",
            "http://[::1]:80",
        ] {
            assert!(check_loopback(&ok.parse().unwrap()).is_ok(), "{ok}");
        }
        for bad in [
            "http://10.0.0.1:80",
            "http://example.com",
            "https://127.0.0.1:1",
            "http://192.168.1.1",
        ] {
            assert!(check_loopback(&bad.parse().unwrap()).is_err(), "{bad}");
        }
    }

    #[test]
    fn bodies_round_trip() {
        let id = Uuid::now_v7();
        assert_eq!(
            parse_body(&format!("{id} 7 1000 1200"), id),
            Some((7, 1000, 1200))
        );
        assert_eq!(
            parse_body(&format!("{id} 7 1000 1200"), Uuid::now_v7()),
            None
        );
        assert_eq!(parse_body("hello", id), None);
    }
}
