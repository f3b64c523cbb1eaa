//! Replay speed (DESIGN target: ≥ 3,000,000 events/s into projections).
//!
//! Three figures, each over the same seeded synthetic log
//! ([`crossboard::synth`]): 10,000 sellers in 20 divisions over a year.
//!
//! * `fold`: folding decoded envelopes into a fresh [`Projection`], the
//!   in-memory part of a cold start and of `crossboard replay`.
//! * `rescore`: [`Scoreboard::build`] over the interned facts alone, what a
//!   retroactive rules publish costs.
//! * `sled`: reading the log back from sled on a temp dir, decoding and
//!   folding, exactly as `app::replay` does at start-up; `sled_read` is the
//!   reading and decoding alone.
//!
//! `CROSSBOARD_BENCH_EVENTS` overrides the log size (default 1,000,000).
//! Run with `cargo bench --bench replay`.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, SamplingMode, Throughput};
use crossboard::domain::score::Scoreboard;
use crossboard::domain::Projection;
use crossboard::store::Log;
use crossboard::synth::{Synth, SynthConfig};

const TZ: chrono_tz::Tz = chrono_tz::Europe::Stockholm;

fn events() -> u64 {
    std::env::var("CROSSBOARD_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

fn bench(c: &mut Criterion) {
    let n = events();
    let envs: Vec<_> = Synth::new(SynthConfig {
        events: n,
        ..SynthConfig::default()
    })
    .collect();

    let mut g = c.benchmark_group("replay");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(15));
    g.throughput(Throughput::Elements(n));

    // Dropping a million-event projection is not part of a replay.
    g.bench_function(format!("fold_{n}_events"), |b| {
        b.iter_with_large_drop(|| {
            let mut p = Projection::new(TZ);
            for env in &envs {
                p.apply(env);
            }
            p
        })
    });

    let mut folded = Projection::new(TZ);
    for env in &envs {
        folded.apply(env);
    }
    g.bench_function(format!("rescore_{n}_events"), |b| {
        b.iter_with_large_drop(|| {
            Scoreboard::build(folded.score.timeline.clone(), &folded.facts, &folded.org)
        })
    });
    drop(folded);

    // The log on disk, written in writer-sized batches.
    let dir = tempfile::tempdir().expect("temp dir");
    let log = Log::open(&dir.path().join("data")).expect("open log");
    for batch in envs.chunks(4096) {
        log.append(batch).expect("append");
    }
    drop(envs);
    // Reopen, as a restart would: sled's background flushing of the writes
    // above is not part of a replay.
    log.flush().expect("flush");
    drop(log);
    let log = Log::open(&dir.path().join("data")).expect("reopen log");
    // Seconds per replay: ten single runs, not criterion's 1 + 2 + ... + 10.
    g.sampling_mode(SamplingMode::Flat);
    // The store's share of that: read and decode only, no fold.
    g.bench_function(format!("sled_read_{n}_events"), |b| {
        b.iter(|| {
            let mut count = 0u64;
            for env in log.read(0, n) {
                env.expect("decode");
                count += 1;
            }
            assert_eq!(count, n);
        })
    });
    g.bench_function(format!("sled_{n}_events"), |b| {
        b.iter_batched(
            || (),
            |_| {
                let (p, _) = crossboard::app::replay(&log, TZ).expect("replay");
                assert_eq!(p.seq(), n);
                p
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
