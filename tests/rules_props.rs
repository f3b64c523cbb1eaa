//! Properties of previews: previewing the rules in force changes nothing,
//! and publishing a draft retroactively makes the live boards equal what
//! its preview showed, for every board and window.

use chrono::{DateTime, Utc};
use crossboard::demo::DemoWorld;
use crossboard::domain::board::DivisionScoring;
use crossboard::domain::event::{Envelope, Event, LeadTiming, FORMAT_VERSION};
use crossboard::domain::rules::{RuleSet, ScoreKind};
use crossboard::domain::rules_view::{draft_scoreboard, preview_rows};
use crossboard::domain::time::{Window, WindowKind};
use crossboard::domain::{Context, Projection};
use proptest::prelude::*;

const HOUR: i64 = 3_600_000_000;

/// A demo-shaped log of `n` activities spread over ~6 weeks, with a few voids.
fn build(seed: u64, n: usize, void_every: usize) -> (Projection, DateTime<Utc>) {
    let mut p = Projection::new(chrono_tz::Europe::Stockholm);
    let start: i64 = 1_780_000_000_000_000; // mid 2026
    let mut t = start;
    let push = |p: &mut Projection, at: i64, event: Event| {
        if p.check(&event, &Context::privileged_at(at)).is_ok() {
            let seq = p.seq() + 1;
            p.apply(&Envelope {
                format: FORMAT_VERSION,
                seq,
                id: format!("e{seq}"),
                occurred_at: at,
                recorded_at: at,
                actor: "test".into(),
                event,
            });
        }
    };
    for e in DemoWorld::org_events() {
        push(&mut p, t, e);
    }
    let mut world = DemoWorld::new(seed, "");
    for i in 0..n {
        t += (seed as i64 % 7 + 1) * HOUR;
        for e in world.next_activities() {
            push(&mut p, t, qualify(e, i));
        }
        if i % 5 == 2 {
            if let Some(e) = knowledge_session(&p, i, t) {
                push(&mut p, t, e);
            }
        }
        if void_every > 0 && i % void_every == void_every - 1 {
            let target = p.seq() - (seed % 3);
            push(
                &mut p,
                t,
                Event::EventVoided {
                    seq: target,
                    reason: "test".into(),
                },
            );
        }
    }
    (p, crossboard::domain::time::from_micros(t))
}

/// Every third lead of the demo given with need, timing and contact (a
/// third of those with an unknown timing, so not qualified).
fn qualify(e: Event, i: usize) -> Event {
    match e {
        Event::LeadGiven {
            lead,
            from,
            to_division,
            to_seller,
            customer,
            note,
            estimated_value,
        } if i % 3 == 0 => Event::LeadGivenQualified {
            lead,
            from,
            to_division,
            to_seller,
            customer,
            note,
            estimated_value,
            need: Some("a need".into()),
            timing: Some(if i % 9 == 0 {
                LeadTiming::Unknown
            } else {
                LeadTiming::Now
            }),
            contact: Some("a contact".into()),
        },
        other => other,
    }
}

/// A knowledge session: some seller teaches the next division, attended by
/// up to two of its sellers.
fn knowledge_session(p: &Projection, i: usize, at: i64) -> Option<Event> {
    let org = &p.org;
    let presenter = org.sellers.get(i % org.sellers.len().max(1))?;
    let ndiv = org.divisions.len() as u32;
    let audience = (org.division_at(org.seller(&presenter.id)?, at) + 1) % ndiv.max(1);
    let attendees = org
        .sellers
        .iter()
        .filter(|s| !s.left && s.division == audience)
        .take(i % 3)
        .map(|s| s.id.clone())
        .collect();
    Some(Event::KnowledgeShared {
        presenter: presenter.id.clone(),
        audience_division: org.divisions.get(audience as usize)?.id.clone(),
        topic: "What we sell".into(),
        attendees,
        note: None,
    })
}

fn rules_strategy() -> impl Strategy<Value = RuleSet> {
    (
        0i64..30,
        0i64..10,
        0i64..20,
        100i64..400,
        0i64..=100,
        prop::option::of(1i64..40),
        0i64..30,
        (0i64..20, 0i64..20, 0i64..30, 0i64..10),
    )
        .prop_map(|(lead, meeting, visit, mult, share, cap, won, practice)| {
            let (qualified, lead_meeting, presenter, attendee) = practice;
            let mut r = RuleSet {
                qualified_lead_bonus: qualified,
                lead_meeting_bonus: lead_meeting,
                knowledge_presenter: presenter,
                knowledge_attendee: attendee,
                lead_given: lead,
                meeting_held: meeting,
                joint_visit_host: visit,
                joint_visit_guest: visit / 2,
                cross_division_multiplier_pct: mult,
                giver_share_pct: share,
                lead_won_bonus: won,
                ..RuleSet::default()
            };
            if let Some(cap) = cap {
                r.daily_caps.insert(ScoreKind::Lead, cap);
                r.daily_caps.insert(ScoreKind::Order, cap * 3);
                r.daily_caps.insert(ScoreKind::KnowledgeAttended, cap / 2);
            }
            r
        })
}

fn boards() -> Vec<Option<DivisionScoring>> {
    vec![
        None,
        Some(DivisionScoring::Sum),
        Some(DivisionScoring::PerSeller),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn preview_of_current_rules_equals_live_boards(seed in 0u64..10_000, n in 20usize..300, void_every in 0usize..15) {
        let (p, at) = build(seed, n, void_every);
        for kind in WindowKind::ALL {
            let window = Window::containing(kind, at, p.tz);
            let same = draft_scoreboard(&p, p.rules().clone(), true, 0, &window);
            for board in boards() {
                for row in preview_rows(&p, &same, &window, board) {
                    prop_assert_eq!(&row.current, &row.draft, "{:?} {:?} {}", kind, board, row.id);
                }
            }
        }
    }

    #[test]
    fn publishing_retroactively_makes_live_equal_preview(
        seed in 0u64..10_000, n in 20usize..300, void_every in 0usize..15, draft in rules_strategy()
    ) {
        let (mut p, at) = build(seed, n, void_every);
        let windows: Vec<Window> = WindowKind::ALL.iter().map(|k| Window::containing(*k, at, p.tz)).collect();
        let mut expected = Vec::new();
        for window in &windows {
            let scored = draft_scoreboard(&p, draft.clone(), true, 0, window);
            for board in boards() {
                let rows: Vec<_> = preview_rows(&p, &scored, window, board)
                    .into_iter().map(|r| (r.id, r.draft)).collect();
                expected.push(rows);
            }
        }
        let seq = p.seq() + 1;
        let t = crossboard::domain::time::micros(at);
        p.apply(&Envelope {
            format: FORMAT_VERSION, seq, id: "rules".into(), occurred_at: t, recorded_at: t, actor: "test".into(),
            event: Event::RulesPublished { version: 1, rules: draft.to_json().to_string(), effective_from: i64::MIN, retroactive: true },
        });
        let mut live = Vec::new();
        for window in &windows {
            for board in boards() {
                // Preview of the now-current rules shows the live standings.
                let scored = draft_scoreboard(&p, p.rules().clone(), true, 0, window);
                let rows: Vec<_> = preview_rows(&p, &scored, window, board)
                    .into_iter().map(|r| (r.id, r.current)).collect();
                live.push(rows);
            }
        }
        prop_assert_eq!(expected, live);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// A competition's incrementally kept board equals a fresh score of the
    /// events in its period, through voids and a retroactive rules change.
    #[test]
    fn competition_board_equals_fresh_score(seed in 0u64..10_000, n in 20usize..200, void_every in 1usize..10, draft in rules_strategy()) {
        use crossboard::domain::score::Scoreboard;
        let (mut p, at) = build(seed, 0, 0);
        let t = crossboard::domain::time::micros(at);
        let (start, end) = (t + 24 * HOUR, t + 24 * 20 * HOUR);
        let mut seq = p.seq() + 1;
        let env = |seq: u64, event: Event| Envelope {
            format: FORMAT_VERSION, seq, id: format!("x{seq}"), occurred_at: t, recorded_at: t, actor: "t".into(), event,
        };
        p.apply(&env(seq, Event::CompetitionCreated {
            id: "c".into(), name: "C".into(), start, end,
            divisions: vec!["automation".into(), "energy".into(), "service".into(), "digital".into()],
            per_seller: true, rules: None,
        }));
        let mut world = DemoWorld::new(seed, "");
        let mut time = t;
        for i in 0..n {
            time += 5 * HOUR;
            for e in world.next_activities() {
                if p.check(&e, &Context::privileged_at(time)).is_ok() {
                    seq = p.seq() + 1;
                    p.apply(&Envelope { occurred_at: time, ..env(seq, e) });
                }
            }
            if i % void_every == 0 {
                let e = Event::EventVoided { seq: p.seq(), reason: "x".into() };
                if p.check(&e, &Context::privileged_at(t)).is_ok() {
                    seq = p.seq() + 1;
                    p.apply(&env(seq, e));
                }
            }
            if i == n / 2 {
                seq = p.seq() + 1;
                p.apply(&env(seq, Event::RulesPublished {
                    version: 1, rules: draft.to_json().to_string(), effective_from: i64::MIN, retroactive: true,
                }));
            }
        }
        let c = p.competition("c").unwrap();
        let fresh = Scoreboard::build_where(p.score.timeline.clone(), &p.facts, &p.org, |r| c.covers(r.at_us));
        let all = Window::containing(WindowKind::All, at, p.tz);
        prop_assert_eq!(c.score.division_points(&all, 4), fresh.division_points(&all, 4));
        prop_assert_eq!(c.score.seller_points(&all, 24), fresh.seller_points(&all, 24));
    }
}

/// A seller who left is listed only while they have points: a draft that
/// takes their points away drops them off the preview (`draft` null), and a
/// draft that gives a zero seller who left points makes them appear
/// (`current` null).
#[test]
fn preview_lists_rows_that_drop_off_or_appear() {
    let at: i64 = 1_780_000_000_000_000;
    let mut p = Projection::new(chrono_tz::Europe::Stockholm);
    let push = |p: &mut Projection, event: Event| {
        p.check(&event, &Context::privileged_at(at))
            .expect("valid event");
        let seq = p.seq() + 1;
        p.apply(&Envelope {
            format: FORMAT_VERSION,
            seq,
            id: format!("e{seq}"),
            occurred_at: at,
            recorded_at: at,
            actor: "test".into(),
            event,
        });
    };
    for (id, name) in [("d1", "One"), ("d2", "Two")] {
        push(
            &mut p,
            Event::DivisionCreated {
                id: id.into(),
                name: name.into(),
            },
        );
    }
    for (id, division) in [("ann", "d1"), ("bo", "d2")] {
        push(
            &mut p,
            Event::SellerJoined {
                id: id.into(),
                name: id.into(),
                division: division.into(),
            },
        );
    }
    push(
        &mut p,
        Event::LeadGiven {
            lead: "l1".into(),
            from: "ann".into(),
            to_division: "d2".into(),
            to_seller: None,
            customer: "Acme".into(),
            note: None,
            estimated_value: None,
        },
    );
    push(
        &mut p,
        Event::SellerLeft {
            seller: "ann".into(),
        },
    );
    let window = Window::containing(
        WindowKind::All,
        crossboard::domain::time::from_micros(at),
        p.tz,
    );
    let row = |rows: &[crossboard::domain::rules_view::PreviewRow], id: &str| {
        rows.iter()
            .find(|r| r.id == id)
            .map(|r| (r.current.map(|s| s.points), r.draft.map(|s| s.points)))
    };

    // Default rules: ann has 20 points (10 × 2 across divisions).
    let no_leads = RuleSet {
        lead_given: 0,
        ..RuleSet::default()
    };
    let scored = draft_scoreboard(&p, no_leads.clone(), true, 0, &window);
    let rows = preview_rows(&p, &scored, &window, None);
    assert_eq!(row(&rows, "ann"), Some((Some(20.0), None)), "drops off");
    assert_eq!(row(&rows, "bo"), Some((Some(0.0), Some(0.0))));

    // Publish the no-lead rules for all history: now ann is gone, and the
    // default rules as a draft bring her back.
    let seq = p.seq() + 1;
    p.apply(&Envelope {
        format: FORMAT_VERSION,
        seq,
        id: "rules".into(),
        occurred_at: at,
        recorded_at: at,
        actor: "test".into(),
        event: Event::RulesPublished {
            version: 1,
            rules: no_leads.to_json().to_string(),
            effective_from: i64::MIN,
            retroactive: true,
        },
    });
    let scored = draft_scoreboard(&p, RuleSet::default(), true, 0, &window);
    let rows = preview_rows(&p, &scored, &window, None);
    assert_eq!(row(&rows, "ann"), Some((None, Some(20.0))), "appears");
}
