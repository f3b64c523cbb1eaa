//! The game's reads at scale (issue target: ≤ 50 ms median each at
//! 1,000,000 events / 10,000 sellers): a seller's trophy case (badges,
//! streak, level), the challenge list (all, and one seller's), targets
//! with progress and the hall of fame, on the shared synthetic org with
//! 20,000 kudos, 520 challenges, 21 targets and two holiday weeks added.
//!
//! `CROSSBOARD_BENCH_EVENTS` overrides the log size (default 1,000,000).

use criterion::{criterion_group, criterion_main, Criterion};
use crossboard::domain::achievements::trophies;
use crossboard::domain::board::{self, BoardKind, BoardSpec};
use crossboard::domain::challenges::view;
use crossboard::domain::event::{Envelope, Event, FORMAT_VERSION};
use crossboard::domain::seasons::{ended, lifetime_best};
use crossboard::domain::tally::{progress, Scope};
use crossboard::domain::time::{micros, WindowKind};
use crossboard::domain::Projection;

const DAY: i64 = 86_400_000_000;

fn add(p: &mut Projection, at: i64, recorded: i64, event: Event) {
    let seq = p.seq() + 1;
    p.apply(&Envelope {
        format: FORMAT_VERSION,
        seq,
        id: format!("g{seq}"),
        occurred_at: at,
        recorded_at: recorded,
        actor: "bench".into(),
        event,
    });
}

/// A challenge issued and accepted three weeks before the log's end.
fn duel(
    p: &mut Projection,
    id: &str,
    (a, b): (&str, &str),
    metric: &str,
    (start, end): (i64, i64),
) {
    let at = end - 27 * DAY;
    add(
        p,
        at,
        at,
        Event::ChallengeIssued {
            id: id.into(),
            challenger: a.into(),
            opponent: b.into(),
            metric: metric.into(),
            start,
            end,
            stake: None,
        },
    );
    add(
        p,
        at + DAY,
        at + DAY,
        Event::ChallengeAccepted {
            id: id.into(),
            by: b.into(),
        },
    );
}

/// The synthetic org plus the game's own events.
fn setup() -> (Projection, i64) {
    let (mut p, end) = crossboard::synth::projection(crossboard::synth::bench_events());
    let end = micros(end);
    let start = end - 364 * DAY;
    let sellers: Vec<String> = p.org.sellers.iter().map(|s| s.id.clone()).collect();
    let divisions: Vec<String> = p.org.divisions.iter().map(|d| d.id.clone()).collect();
    let n = sellers.len();
    for i in 0..20_000usize {
        let at = start + (i as i64 * 364 * DAY) / 20_000;
        add(
            &mut p,
            at,
            end,
            Event::KudosGiven {
                from: sellers[(i * 7) % n].clone(),
                to: sellers[(i * 13 + 1) % n].clone(),
                reason: "thanks".into(),
                seq: None,
            },
        );
    }
    let metrics = [
        "points",
        "leads_given",
        "timely_feedback",
        "orders_from_leads",
    ];
    for i in 0..500usize {
        let (a, b) = (&sellers[(i * 17) % n], &sellers[(i * 31 + 5) % n]);
        if a != b {
            let m = metrics[i % metrics.len()];
            duel(
                &mut p,
                &format!("duel{i}"),
                (a, b),
                m,
                (end - 21 * DAY, end + 7 * DAY),
            );
        }
    }
    for i in 0..20usize {
        let d = divisions.len();
        let (a, b) = (&divisions[i % d], &divisions[(i + 1) % d]);
        let m = metrics[i % metrics.len()];
        duel(
            &mut p,
            &format!("divs{i}"),
            (a, b),
            m,
            (end - 30 * DAY, end + 7 * DAY),
        );
    }
    add(
        &mut p,
        end,
        end,
        Event::TargetSet {
            id: "org-q".into(),
            division: "org".into(),
            metric: "points".into(),
            value: 1_000_000,
            start: end - 91 * DAY,
            end: end + DAY,
        },
    );
    for d in &divisions {
        add(
            &mut p,
            end,
            end,
            Event::TargetSet {
                id: format!("leads-{d}"),
                division: d.clone(),
                metric: "leads_given".into(),
                value: 300,
                start: end - 30 * DAY,
                end: end + DAY,
            },
        );
    }
    for week in ["2026-W30", "2026-W52"] {
        add(
            &mut p,
            end,
            end,
            Event::HolidayDeclared {
                week: week.into(),
                name: "holiday".into(),
            },
        );
    }
    (p, end)
}

fn bench(c: &mut Criterion) {
    let (p, now) = setup();
    let n = p.seq();
    // The busiest seller: the worst trophy case to compute.
    let busiest = (0..p.org.sellers.len() as u32)
        .max_by_key(|s| p.game.seqs_of(*s).len())
        .unwrap_or(0);
    eprintln!(
        "busiest seller has {} events; {} challenges, {} targets",
        p.game.seqs_of(busiest).len(),
        p.game.challenges.len(),
        p.game.targets.len()
    );
    let mut g = c.benchmark_group("game");
    g.sample_size(10);
    g.bench_function(format!("trophies_typical_{n}_events"), |b| {
        b.iter(|| trophies(&p, 0, now))
    });
    g.bench_function(format!("trophies_busiest_{n}_events"), |b| {
        b.iter(|| trophies(&p, busiest, now))
    });
    let month = p.window(
        WindowKind::Month,
        crossboard::domain::time::from_micros(now),
    );
    g.bench_function(format!("seller_page_with_trophies_{n}_events"), |b| {
        b.iter(|| {
            (
                board::profile(&p, busiest, &month, now),
                trophies(&p, busiest, now),
            )
        })
    });
    g.bench_function(format!("challenges_all_{n}_events"), |b| {
        b.iter(|| {
            p.game
                .challenges
                .iter()
                .rev()
                .take(200)
                .map(|c| view(&p, c, now).standings.len())
                .sum::<usize>()
        })
    });
    g.bench_function(format!("challenges_division_{n}_events"), |b| {
        b.iter(|| {
            p.game
                .challenges
                .iter()
                .filter(|c| c.id.starts_with("divs"))
                .map(|c| view(&p, c, now).standings.len())
                .sum::<usize>()
        })
    });
    g.bench_function(format!("challenges_of_a_seller_{n}_events"), |b| {
        b.iter(|| {
            p.game
                .challenges
                .iter()
                .filter(|c| c.involves(&p.org, busiest))
                .map(|c| view(&p, c, now).standings.len())
                .sum::<usize>()
        })
    });
    g.bench_function(format!("targets_{n}_events"), |b| {
        b.iter(|| {
            p.game
                .targets
                .iter()
                .map(|t| {
                    let scope = t.division.map_or(Scope::Org, Scope::Division);
                    progress(&p, scope, t.metric, (t.start_day, t.end_day), Some(t.value)).value
                })
                .sum::<i64>()
        })
    });
    g.bench_function(format!("hall_of_fame_{n}_events"), |b| {
        b.iter(|| lifetime_best(&ended(&p, now)).len())
    });
    let season = BoardSpec {
        kind: BoardKind::Sellers,
        window: WindowKind::Season,
        limit: Some(100),
        zeros: false,
    };
    g.bench_function(format!("board_sellers_season_{n}_events"), |b| {
        b.iter(|| board::render(&p, &season, crossboard::domain::time::from_micros(now)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
