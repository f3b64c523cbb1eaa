//! The read paths behind every GET at scale (DESIGN target: ≤ 50 ms median
//! at 1,000,000 events / 10,000 sellers). Each measures exactly the domain
//! call its handler makes under the projection's read lock, so the figure
//! is also how long that request can keep the writer waiting.
//!
//! `CROSSBOARD_BENCH_EVENTS` overrides the log size (default 1,000,000).

use criterion::{criterion_group, criterion_main, Criterion};
use crossboard::domain::board::{self, BoardKind, BoardSpec};
use crossboard::domain::time::{Window, WindowKind};

fn bench(c: &mut Criterion) {
    let (p, end) = crossboard::synth::projection(crossboard::synth::bench_events());
    let n = p.seq();
    let mut g = c.benchmark_group("reads");
    g.sample_size(10);
    for kind in [WindowKind::Week, WindowKind::Month, WindowKind::All] {
        let window = Window::containing(kind, end, p.tz);
        g.bench_function(format!("collaboration_{kind:?}_{n}_events"), |b| {
            b.iter(|| board::collaboration(&p, &window, i64::MAX / 2))
        });
    }
    for (name, kind) in [
        ("sellers", BoardKind::Sellers),
        ("divisions", BoardKind::Divisions { per_seller: true }),
    ] {
        for window in [WindowKind::Week, WindowKind::All] {
            let spec = BoardSpec {
                kind: kind.clone(),
                window,
                limit: Some(100),
                zeros: false,
            };
            g.bench_function(format!("board_{name}_{window:?}_{n}_events"), |b| {
                b.iter(|| board::render(&p, &spec, end))
            });
        }
    }
    let month = Window::containing(WindowKind::Month, end, p.tz);
    g.bench_function(format!("profile_month_{n}_events"), |b| {
        b.iter(|| board::profile(&p, 0, &month, i64::MAX / 2))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
