//! Resident memory of the projection alone (no sled, no sockets) after
//! folding a synthetic log, to see what the in-memory state costs.
//!
//! `cargo run --release --example footprint -- 1000000`

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

fn main() {
    let events: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let before = rss_mib();
    let cfg = crossboard::synth::SynthConfig {
        events,
        ..Default::default()
    };
    let mut p = crossboard::domain::Projection::new(chrono_tz::Europe::Stockholm);
    for env in crossboard::synth::Synth::new(cfg) {
        p.apply(&env);
    }
    let after = rss_mib();
    use crossboard::domain::{org::Lead, score::FactRec};
    println!(
        "facts: {} x {} B (capacity {}); leads: {} x {} B; cells: {}",
        p.facts.len(),
        std::mem::size_of::<FactRec>(),
        p.facts.capacity(),
        p.org.leads.len(),
        std::mem::size_of::<Lead>(),
        p.score.cell_count()
    );
    println!(
        "{} events, {} sellers, {} leads: projection {:.0} MiB (process {:.0} MiB)",
        p.seq(),
        p.org.sellers.len(),
        p.org.leads.len(),
        after - before,
        after
    );
}
