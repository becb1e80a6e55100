//! `compare`: pairs frontdesk and relay runs by label and prints Markdown tables with
//! frontdesk/relay ratios, then the figures against the goals.

use crate::setup::Mode;
use crate::stats::RunResult;
use anyhow::Context;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct CompareArgs {
    /// A file holding `RESULT {json}` lines (other lines are ignored).
    file: PathBuf,
}

/// A sustained rate: what was offered arrived within the window, nothing was lost, and no
/// queue built up (a backlog that keeps growing shows as seconds of latency).
fn sustained(r: &RunResult) -> bool {
    r.not_received == 0
        && r.errors == 0
        && r.achieved_msgs_per_s >= 0.99 * r.offered_rate
        && r.latency_ms.p99 <= 100.0
}

pub fn run(args: CompareArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?;
    let mut runs: BTreeMap<String, (Option<RunResult>, Option<RunResult>)> = BTreeMap::new();
    let mut order = Vec::new();
    for line in text.lines() {
        let Some(json) = line.strip_prefix("RESULT ") else {
            continue;
        };
        let r: RunResult = serde_json::from_str(json).context("a RESULT line")?;
        if !runs.contains_key(&r.label) {
            order.push(r.label.clone());
        }
        let slot = runs.entry(r.label.clone()).or_default();
        match r.mode {
            Mode::Frontdesk => slot.0 = Some(r),
            Mode::Relay => slot.1 = Some(r),
        }
    }

    type Metric = (&'static str, fn(&RunResult) -> Option<f64>);
    let metrics: &[Metric] = &[
        ("offered msg/s", |r| Some(r.offered_rate)),
        ("achieved msg/s", |r| Some(r.achieved_msgs_per_s)),
        ("latency p50 ms", |r| Some(r.latency_ms.p50)),
        ("latency p99 ms", |r| Some(r.latency_ms.p99)),
        ("latency p99.9 ms", |r| Some(r.latency_ms.p999)),
        ("latency max ms", |r| Some(r.latency_ms.max)),
        ("ack p99 ms", |r| Some(r.ack_latency_ms.p99)),
        ("not received", |r| Some(r.not_received as f64)),
        ("errors", |r| Some(r.errors as f64)),
        ("server CPU % of a core", |r| r.server_cpu_pct),
        ("loadgen CPU % of a core", |r| r.loadgen_cpu_pct),
        ("other processes CPU %", |r| {
            r.machine.as_ref().map(|m| m.other_processes_pct)
        }),
        ("WebSockets open", |r| Some(r.connections as f64)),
        ("server RSS MiB", |r| {
            r.server_rss_kib.map(|k| k as f64 / 1024.0)
        }),
        ("KiB per idle connection", |r| r.idle_kib_per_connection),
    ];
    let fmt = |v: Option<f64>| match v {
        None => "–".to_owned(),
        Some(v) if v.abs() >= 100.0 || v == v.trunc() => format!("{v:.0}"),
        Some(v) => format!("{v:.2}"),
    };
    for label in &order {
        let (fd, relay) = &runs[label];
        println!("\n### {label}\n");
        println!("| metric | frontdesk | relay | frontdesk / relay |");
        println!("| --- | ---: | ---: | ---: |");
        for (name, get) in metrics {
            let a = fd.as_ref().and_then(get);
            let b = relay.as_ref().and_then(get);
            if a.is_none() && b.is_none() {
                continue;
            }
            let ratio = match (a, b) {
                (Some(a), Some(b)) if b != 0.0 => format!("{:.2}×", a / b),
                _ => "–".to_owned(),
            };
            println!("| {name} | {} | {} | {ratio} |", fmt(a), fmt(b));
        }
    }

    // The goals are the single node's (SQLite); PostgreSQL runs are labelled `…-pg1`, `…-pg2`.
    let frontdesk: Vec<&RunResult> = runs
        .values()
        .filter_map(|(fd, _)| fd.as_ref())
        .filter(|r| !r.label.contains("-pg"))
        .collect();
    let relay: Vec<&RunResult> = runs.values().filter_map(|(_, r)| r.as_ref()).collect();
    let best_sustained = |rs: &[&RunResult]| {
        rs.iter()
            .filter(|r| r.idle_connections == 0 && sustained(r))
            .map(|r| r.offered_rate)
            .fold(0.0, f64::max)
    };
    let best_achieved = |rs: &[&RunResult]| {
        rs.iter()
            .filter(|r| r.idle_connections == 0)
            .map(|r| r.achieved_msgs_per_s)
            .fold(0.0, f64::max)
    };
    // Other processes and other virtual machines (steal) distort every figure: say so.
    let disturbed: Vec<String> = runs
        .values()
        .flat_map(|(fd, relay)| [fd, relay])
        .flatten()
        .filter_map(|r| {
            let m = r.machine.as_ref()?;
            let (others, steal) = (m.other_processes_pct, m.steal_pct);
            (others > 20.0 || steal > 20.0).then(|| {
                format!(
                    "{} against {:?} (others {others:.0}%, steal {steal:.0}%)",
                    r.label, r.mode
                )
            })
        })
        .collect();
    if !disturbed.is_empty() {
        println!(
            "\n**Warning:** other processes or the hypervisor (steal) took more than 20% of a core during: {}. Rerun on an idle machine.",
            disturbed.join(", ")
        );
    }
    // Every run in one table: the PostgreSQL variants (labels ending in -pg1 / -pg2) have no
    // relay twin of their own but sit beside the SQLite and relay runs of the same load.
    println!("\n### All runs\n");
    println!("| run | target | offered msg/s | achieved msg/s | p50 ms | p99 ms | p99.9 ms | not received | server CPU % | server CPU µs per msg |");
    println!("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for label in &order {
        let (fd, relay) = &runs[label];
        for r in [relay, fd].into_iter().flatten() {
            let per_msg = r
                .server_cpu_pct
                .filter(|_| r.achieved_msgs_per_s > 0.0)
                .map(|cpu| cpu / 100.0 / r.achieved_msgs_per_s * 1e6);
            println!(
                "| {} | {:?} | {} | {} | {} | {} | {} | {} | {} | {} |",
                r.label,
                r.mode,
                fmt(Some(r.offered_rate)),
                fmt(Some(r.achieved_msgs_per_s)),
                fmt(Some(r.latency_ms.p50)),
                fmt(Some(r.latency_ms.p99)),
                fmt(Some(r.latency_ms.p999)),
                r.not_received,
                fmt(r.server_cpu_pct),
                fmt(per_msg)
            );
        }
    }
    println!("\n### Goals (frontdesk)\n");
    println!("| goal | measured | met |");
    println!("| --- | --- | --- |");
    let verdict = |ok: bool| if ok { "yes" } else { "**no**" };
    for r in frontdesk.iter().filter(|r| r.label.starts_with("latency")) {
        let ok = r.latency_ms.p99 <= 5.0 && r.not_received == 0;
        println!(
            "| p99 ≤ 5 ms at {} conversations, {:.0} msg/s | p99 {:.2} ms ({}) | {} |",
            r.visitors,
            r.offered_rate,
            r.latency_ms.p99,
            r.label,
            verdict(ok)
        );
    }
    let s = best_sustained(&frontdesk);
    println!(
        "| ≥ 20,000 msg/s sustained (all delivered, p99 ≤ 100 ms) | highest step sustained {:.0} msg/s; best achieved {:.0} msg/s (relay: {:.0} sustained, {:.0} achieved) | {} |",
        s,
        best_achieved(&frontdesk),
        best_sustained(&relay),
        best_achieved(&relay),
        verdict(s >= 20_000.0)
    );
    for r in frontdesk.iter().filter(|r| r.idle_connections > 0) {
        if let Some(kib) = r.idle_kib_per_connection {
            println!(
                "| ≤ 40 KiB per idle connection | {kib:.1} KiB ({}) | {} |",
                r.label,
                verdict(kib <= 40.0)
            );
        }
        let ok = r.connections >= 10_000 && r.errors == 0 && r.not_received == 0;
        println!(
            "| ≥ 10,000 concurrent connections | {} open while carrying {:.0} msg/s, p99 {:.2} ms ({}) | {} |",
            r.connections,
            r.achieved_msgs_per_s,
            r.latency_ms.p99,
            r.label,
            verdict(ok)
        );
    }
    Ok(())
}
