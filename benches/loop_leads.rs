//! The lead loop's reads at scale (DESIGN target: ≤ 50 ms median at
//! 1,000,000 events / 10,000 sellers): `GET /api/v1/leads` (a first page,
//! the overdue filter that walks every lead, one seller's leads),
//! `GET /api/v1/matrix` per window (the fast path the projection keeps,
//! and the naive computation it replaced, all time, for comparison) and
//! `GET /api/v1/forum` for the last week. Setup as in `benches/reads.rs`.
//!
//! `CROSSBOARD_BENCH_EVENTS` overrides the log size (default 1,000,000).

use criterion::{criterion_group, criterion_main, Criterion};
use crossboard::domain::forum::forum;
use crossboard::domain::leads::{list_leads, LeadQuery, StatusFilter};
use crossboard::domain::matrix::{matrix, matrix_naive};
use crossboard::domain::rows::window_us;
use crossboard::domain::time::{micros, Window, WindowKind};

fn bench(c: &mut Criterion) {
    let (p, end) = crossboard::synth::projection(crossboard::synth::bench_events());
    let now = micros(end);
    let n = p.seq();
    let mut g = c.benchmark_group("loop_leads");
    g.sample_size(10);
    let all = LeadQuery {
        from_us: i64::MIN,
        to_us: i64::MAX,
        limit: 100,
        ..LeadQuery::default()
    };
    g.bench_function(format!("leads_first_page_{n}_events"), |b| {
        b.iter(|| list_leads(&p, &all, now))
    });
    let overdue = LeadQuery {
        status: Some(StatusFilter::Overdue),
        limit: 1000,
        ..all.clone()
    };
    g.bench_function(format!("leads_overdue_{n}_events"), |b| {
        b.iter(|| list_leads(&p, &overdue, now))
    });
    let one = LeadQuery {
        seller: Some(0),
        limit: 1000,
        ..all.clone()
    };
    g.bench_function(format!("leads_of_one_seller_{n}_events"), |b| {
        b.iter(|| list_leads(&p, &one, now))
    });
    for kind in [WindowKind::Week, WindowKind::Month, WindowKind::All] {
        let (from, to) = window_us(&Window::containing(kind, end, p.tz));
        g.bench_function(format!("matrix_{kind:?}_{n}_events"), |b| {
            b.iter(|| matrix(&p, from, to, now))
        });
    }
    g.bench_function(format!("matrix_naive_All_{n}_events"), |b| {
        b.iter(|| matrix_naive(&p, i64::MIN, i64::MAX, now))
    });
    let week_ago = now - 7 * 86_400_000_000;
    // The API's default of 10 rows per list, and its largest page.
    for limit in [10, 200] {
        g.bench_function(format!("forum_week_limit_{limit}_{n}_events"), |b| {
            b.iter(|| forum(&p, week_ago, now, limit))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
