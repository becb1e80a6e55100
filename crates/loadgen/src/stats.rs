//! Figures: histograms, the `RESULT` record, and what `/proc` says about a process.

use crate::setup::Mode;
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Linux reports CPU time in USER_HZ ticks, 100 per second on every mainstream architecture.
const TICKS_PER_SEC: f64 = 100.0;

/// A histogram of microseconds, 1 µs to 10 minutes, 3 significant digits.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid histogram bounds")
}

pub fn merge(into: &mut Histogram<u64>, from: &Histogram<u64>) {
    into.add(from).expect("histograms with the same bounds");
}

/// Percentiles in milliseconds.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Percentiles {
    pub count: u64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
    pub mean: f64,
}

impl Percentiles {
    pub fn of(h: &Histogram<u64>) -> Self {
        if h.is_empty() {
            return Percentiles::default();
        }
        let ms = |us: u64| us as f64 / 1000.0;
        Percentiles {
            count: h.len(),
            p50: ms(h.value_at_quantile(0.5)),
            p90: ms(h.value_at_quantile(0.9)),
            p99: ms(h.value_at_quantile(0.99)),
            p999: ms(h.value_at_quantile(0.999)),
            max: ms(h.max()),
            mean: h.mean() / 1000.0,
        }
    }

    pub fn line(&self) -> String {
        format!(
            "p50 {:.3}  p90 {:.3}  p99 {:.3}  p99.9 {:.3}  max {:.3}  (mean {:.3}, n={})",
            self.p50, self.p90, self.p99, self.p999, self.max, self.mean, self.count
        )
    }
}

/// Everything one run measured; printed as `RESULT {json}`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunResult {
    pub label: String,
    pub mode: Mode,
    pub operators: usize,
    pub visitors: usize,
    pub idle_connections: usize,
    /// Open WebSockets during the measured phase (operators + visitors + idle).
    pub connections: usize,
    pub offered_rate: f64,
    pub warmup_secs: f64,
    pub duration_secs: f64,
    /// Messages sent, warm-up included.
    pub sent: u64,
    /// Messages due in the measured window.
    pub measured_due: u64,
    /// Of those, sent.
    pub measured_sent: u64,
    /// Of those, not sent: the visitor already had `max_in_flight` unanswered messages.
    pub skipped: u64,
    pub max_in_flight: u64,
    /// Of those, received by the assigned operator before the drain timeout.
    pub measured_received: u64,
    /// Due in the measured window but not received (skipped, lost or later than the drain).
    pub not_received: u64,
    pub duplicates: u64,
    pub acks: u64,
    /// Error frames, failed sends and closed sockets.
    pub errors: u64,
    pub error_codes: BTreeMap<String, u64>,
    /// Message events received by operators during the measured window, per second.
    pub achieved_msgs_per_s: f64,
    /// Visitor send → operator socket, from the scheduled send time (coordinated omission
    /// corrected). The headline figure.
    pub latency_ms: Percentiles,
    /// The same, from the moment the client actually wrote the frame.
    pub latency_from_send_ms: Percentiles,
    /// Scheduled send time → `ack` on the visitor's socket.
    pub ack_latency_ms: Percentiles,
    /// How late the client sent compared to its schedule (timer granularity, client load).
    pub send_lag_ms: Percentiles,
    pub setup_secs: f64,
    /// Server CPU over the measured window, in % of one core.
    pub server_cpu_pct: Option<f64>,
    pub loadgen_cpu_pct: Option<f64>,
    /// The whole machine over the measured window (100% = one core; `nproc` × 100% is full).
    pub machine: Option<MachineCpu>,
    pub server_rss_kib: Option<u64>,
    pub idle_rss_before_kib: Option<u64>,
    pub idle_rss_after_kib: Option<u64>,
    pub idle_kib_per_connection: Option<f64>,
}

/// VmRSS of `pid` in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// User + system CPU seconds used so far by `pid` (`None`: this process).
pub fn cpu_secs(pid: Option<u32>) -> Option<f64> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/stat"),
        None => "/proc/self/stat".to_owned(),
    };
    let stat = std::fs::read_to_string(path).ok()?;
    // The command name may contain spaces: fields are counted after its closing parenthesis.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / TICKS_PER_SEC)
}

/// Machine-wide CPU over a window, each in % of one core. The `/proc/stat` figures are sampled
/// at each timer tick and undercount short bursts (a latency run's process times can exceed
/// its `busy_pct`); `other_processes_pct` comes from per-process counters.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct MachineCpu {
    /// Everything but idle and I/O wait.
    pub busy_pct: f64,
    /// User and system time of processes (the server's and the load generator's included).
    pub processes_pct: f64,
    /// Interrupt and softirq time; on loopback most of the TCP work lands here and is charged
    /// to no process.
    pub irq_pct: f64,
    /// Time the hypervisor gave to someone else.
    pub steal_pct: f64,
    /// Every process but the server and the load generator (children they reaped included):
    /// shows whether something else loaded the machine during the window.
    #[serde(default)]
    pub other_processes_pct: f64,
}

/// The `cpu` line of `/proc/stat`, in ticks: user, nice, system, idle, iowait, irq, softirq, steal.
pub fn machine_ticks() -> Option<[u64; 8]> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?.strip_prefix("cpu ")?;
    let mut out = [0u64; 8];
    for (slot, field) in out.iter_mut().zip(line.split_whitespace()) {
        *slot = field.parse().ok()?;
    }
    Some(out)
}

/// CPU seconds used so far by every process but `exclude`, by pid (children reaped included).
pub fn other_processes(exclude: &[u32]) -> HashMap<u32, f64> {
    let mut out = HashMap::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if exclude.contains(&pid) {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let Some(close) = stat.rfind(')') else {
            continue;
        };
        let fields: Vec<&str> = stat[close + 2..].split_whitespace().collect();
        // utime, stime, cutime, cstime
        let ticks: f64 = (11..15)
            .filter_map(|i| fields.get(i)?.parse::<f64>().ok())
            .sum();
        out.insert(pid, ticks / TICKS_PER_SEC);
    }
    out
}

/// CPU seconds the processes of `after` used since `before` (a process that started in
/// between counts whole; one that ended in between is missed unless its parent reaped it).
pub fn others_between(before: &HashMap<u32, f64>, after: &HashMap<u32, f64>) -> f64 {
    after
        .iter()
        .map(|(pid, t)| (t - before.get(pid).copied().unwrap_or(0.0)).max(0.0))
        .sum()
}

impl MachineCpu {
    pub fn between(a: [u64; 8], b: [u64; 8], others_secs: f64, secs: f64) -> Self {
        let d: Vec<f64> = a
            .iter()
            .zip(b)
            .map(|(a, b)| b.saturating_sub(*a) as f64 / TICKS_PER_SEC / secs * 100.0)
            .collect();
        MachineCpu {
            busy_pct: d[0] + d[1] + d[2] + d[5] + d[6] + d[7],
            processes_pct: d[0] + d[1] + d[2],
            irq_pct: d[5] + d[6],
            steal_pct: d[7],
            other_processes_pct: others_secs / secs * 100.0,
        }
    }
}
