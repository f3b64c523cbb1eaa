//! What-if preview of a draft rule set over a large log (DESIGN target:
//! ≤ 500 ms over 1,000,000 events). Measures exactly what
//! `POST /api/v1/rules/preview` does under its read lock: re-score the
//! window under the draft timeline and diff the rankings.
//!
//! `CROSSBOARD_BENCH_EVENTS` overrides the log size (default 1,000,000).

use criterion::{criterion_group, criterion_main, Criterion};
use crossboard::domain::board::DivisionScoring;
use crossboard::domain::rules::{RuleSet, ScoreKind};
use crossboard::domain::rules_view::{draft_scoreboard, preview_rows};
use crossboard::domain::time::{Window, WindowKind};

fn bench(c: &mut Criterion) {
    let (p, end) = crossboard::synth::projection(crossboard::synth::bench_events());
    let mut draft = RuleSet {
        lead_given: 25,
        giver_share_pct: 40,
        ..RuleSet::default()
    };
    draft.daily_caps.insert(ScoreKind::Lead, 100);

    let mut g = c.benchmark_group("preview");
    g.sample_size(10);
    for (name, kind, board) in [
        ("sellers_all_time", WindowKind::All, None),
        (
            "divisions_per_seller_all_time",
            WindowKind::All,
            Some(DivisionScoring::PerSeller),
        ),
        ("sellers_month", WindowKind::Month, None),
    ] {
        let window = Window::containing(kind, end, p.tz);
        g.bench_function(format!("{name}_{}_events", p.seq()), |b| {
            b.iter(|| {
                let scored = draft_scoreboard(&p, draft.clone(), true, 0, &window);
                preview_rows(&p, &scored, &window, board)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
