//! The practice reads at scale (DESIGN target: ≤ 50 ms median at 1,000,000
//! events / 10,000 sellers): collaboration with commission, the quality
//! board, the knowledge pairs and a profile with lead quality. The synthetic
//! log is `crossboard::synth` with every third lead given qualified and a
//! knowledge session every 50 events, so these reads have work to do.
//!
//! `CROSSBOARD_BENCH_EVENTS` overrides the log size (default 1,000,000).

use criterion::{criterion_group, criterion_main, Criterion};
use crossboard::domain::board;
use crossboard::domain::event::{Envelope, Event, LeadTiming};
use crossboard::domain::knowledge::knowledge;
use crossboard::domain::quality::quality_board;
use crossboard::domain::time::{from_micros, Window, WindowKind};
use crossboard::domain::Projection;
use crossboard::synth::{Synth, SynthConfig};

/// A session by the seller of `env`'s seq, to the next division, with up
/// to two attendees found among a few sellers.
fn session(p: &Projection, i: u64, at: i64) -> Option<Event> {
    let org = &p.org;
    let n = org.sellers.len() as u64;
    let nd = org.divisions.len() as u32;
    if n < 2 || nd < 2 {
        return None;
    }
    let presenter = (i % n) as u32;
    let audience = (org.division_at(presenter, at) + 1) % nd;
    let attendees = (1..20)
        .map(|k| ((i + k * 7919) % n) as u32)
        .filter(|s| !org.sellers[*s as usize].left && org.division_at(*s, at) == audience)
        .take(2)
        .map(|s| org.sellers[s as usize].id.clone())
        .collect();
    Some(Event::KnowledgeShared {
        presenter: org.sellers[presenter as usize].id.clone(),
        audience_division: org.divisions[audience as usize].id.clone(),
        topic: "What we sell".into(),
        attendees,
        note: None,
    })
}

fn build() -> (Projection, chrono::DateTime<chrono::Utc>) {
    let cfg = SynthConfig {
        events: crossboard::synth::bench_events(),
        ..SynthConfig::default()
    };
    let end = from_micros(cfg.start_us + cfg.span_us - 1);
    let mut p = Projection::new(chrono_tz::Europe::Stockholm);
    let mut seq = 0;
    let mut push = |p: &mut Projection, mut env: Envelope| {
        seq += 1;
        env.seq = seq;
        p.apply(&env);
    };
    for (i, env) in Synth::new(cfg).enumerate() {
        let i = i as u64;
        let env = match env.event {
            Event::LeadGiven {
                lead,
                from,
                to_division,
                to_seller,
                customer,
                note,
                estimated_value,
            } if i % 3 == 0 => Envelope {
                event: Event::LeadGivenQualified {
                    lead,
                    from,
                    to_division,
                    to_seller,
                    customer,
                    note,
                    estimated_value,
                    need: Some("a need".into()),
                    timing: Some(LeadTiming::Quarter),
                    contact: Some("a contact".into()),
                },
                ..env
            },
            _ => env,
        };
        let at = env.occurred_at;
        let template = env.clone();
        push(&mut p, env);
        if i % 50 == 49 {
            if let Some(event) = session(&p, i, at) {
                push(
                    &mut p,
                    Envelope {
                        id: format!("k{i}"),
                        event,
                        ..template
                    },
                );
            }
        }
    }
    (p, end)
}

fn bench(c: &mut Criterion) {
    let (p, end) = build();
    let n = p.seq();
    let mut g = c.benchmark_group("practice");
    g.sample_size(10);
    for kind in [WindowKind::Week, WindowKind::Month, WindowKind::All] {
        let window = Window::containing(kind, end, p.tz);
        g.bench_function(
            format!("collaboration_commission_{kind:?}_{n}_events"),
            |b| b.iter(|| board::collaboration(&p, &window, i64::MAX / 2)),
        );
        g.bench_function(format!("quality_board_{kind:?}_{n}_events"), |b| {
            b.iter(|| quality_board(&p, &window, 5, Some(100)))
        });
        g.bench_function(format!("knowledge_{kind:?}_{n}_events"), |b| {
            b.iter(|| knowledge(&p, &window))
        });
    }
    let month = Window::containing(WindowKind::Month, end, p.tz);
    g.bench_function(format!("profile_quality_month_{n}_events"), |b| {
        b.iter(|| board::profile(&p, 0, &month, i64::MAX / 2))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
