//! The game on small hand-built logs, with the expected numbers written
//! out: badges that voids take back, streaks across holidays, levels under
//! retroactive rules, challenges frozen against late events, kudos limits,
//! targets and the hall of fame.

use crate::domain::achievements::trophies;
use crate::domain::challenges::{view, Side, Status};
use crate::domain::event::{Envelope, Event, FORMAT_VERSION};
use crate::domain::projection::Projection;
use crate::domain::rules::ScoreKind;
use crate::domain::seasons::ended;
use crate::domain::tally::{progress, Scope};
use crate::domain::time::{Window, WindowKind};
use crate::domain::validate::Context;

const HOUR: i64 = 3_600_000_000;
const DAY: i64 = 24 * HOUR;
/// 2026-03-02T00:00:00Z, a Monday (ISO week 2026-W10).
const T0: i64 = 1_772_409_600_000_000;

struct Log {
    p: Projection,
}

impl Log {
    fn new() -> Log {
        let mut l = Log {
            p: Projection::new(chrono_tz::UTC),
        };
        for id in ["a", "b", "c"] {
            l.ok(
                0,
                Event::DivisionCreated {
                    id: id.into(),
                    name: id.into(),
                },
            );
        }
        for (id, div) in [("anna", "a"), ("bo", "b"), ("bea", "b"), ("cid", "c")] {
            l.ok(
                0,
                Event::SellerJoined {
                    id: id.into(),
                    name: id.into(),
                    division: div.into(),
                },
            );
        }
        l
    }

    /// Appends `event` as happening at `at` and recorded at `recorded`.
    fn try_late(
        &mut self,
        at: i64,
        recorded: i64,
        event: Event,
    ) -> Result<u64, crate::domain::org::Rejection> {
        let ctx = Context {
            now_us: recorded,
            occurred_at: at,
            privileged: true,
        };
        self.p.check(&event, &ctx)?;
        let seq = self.p.seq() + 1;
        self.p.apply(&Envelope {
            format: FORMAT_VERSION,
            seq,
            id: format!("e{seq}"),
            occurred_at: at,
            recorded_at: recorded,
            actor: "test".into(),
            event,
        });
        Ok(seq)
    }

    fn try_at(&mut self, hours: i64, event: Event) -> Result<u64, crate::domain::org::Rejection> {
        let at = T0 + hours * HOUR;
        self.try_late(at, at, event)
    }

    fn ok(&mut self, hours: i64, event: Event) -> u64 {
        self.try_at(hours, event).expect("accepted")
    }

    fn lead_at(&mut self, at: i64, recorded: i64, id: &str, from: &str, to: &str) -> u64 {
        self.try_late(at, recorded, lead(id, from, to))
            .expect("accepted")
    }

    fn lead(&mut self, hours: i64, id: &str, from: &str, to: &str) -> u64 {
        let at = T0 + hours * HOUR;
        self.lead_at(at, at, id, from, to)
    }

    fn void(&mut self, hours: i64, seq: u64) -> u64 {
        self.ok(
            hours,
            Event::EventVoided {
                seq,
                reason: "test".into(),
            },
        )
    }

    fn seller(&self, id: &str) -> u32 {
        self.p.org.seller(id).expect("seller")
    }

    fn badges(&self, id: &str, now_hours: i64) -> Vec<(String, u64)> {
        trophies(&self.p, self.seller(id), T0 + now_hours * HOUR)
            .achievements
            .into_iter()
            .map(|e| (e.id, e.seq))
            .collect()
    }

    fn kudos(
        &mut self,
        hours: i64,
        from: &str,
        to: &str,
    ) -> Result<u64, crate::domain::org::Rejection> {
        self.try_at(
            hours,
            Event::KudosGiven {
                from: from.into(),
                to: to.into(),
                reason: "thanks".into(),
                seq: None,
            },
        )
    }

    fn kinds(&self, id: &str) -> [i64; crate::domain::rules::KIND_COUNT] {
        self.p
            .score
            .seller_kinds(self.seller(id), &Window::days(i32::MIN, i32::MAX))
    }

    fn publish(&mut self, hours: i64, version: u32, rules: serde_json::Value) {
        self.ok(
            hours,
            Event::RulesPublished {
                version,
                rules: rules.to_string(),
                effective_from: i64::MIN,
                retroactive: true,
            },
        );
    }
}

fn lead(id: &str, from: &str, to: &str) -> Event {
    Event::LeadGiven {
        lead: id.into(),
        from: from.into(),
        to_division: to.into(),
        to_seller: None,
        customer: "Acme".into(),
        note: None,
        estimated_value: None,
    }
}

#[test]
fn a_voided_lead_takes_its_badge_back_and_the_next_lead_earns_it() {
    let mut l = Log::new();
    let first = l.lead(1, "l1", "anna", "b");
    assert_eq!(l.badges("anna", 2), vec![("first_lead".to_string(), first)]);
    l.void(3, first);
    assert_eq!(l.badges("anna", 4), vec![]);
    let second = l.lead(5, "l2", "anna", "c");
    assert_eq!(
        l.badges("anna", 6),
        vec![("first_lead".to_string(), second)]
    );
    let t = trophies(&l.p, l.seller("anna"), T0 + 6 * HOUR);
    assert_eq!(t.achievements[0].earned_at, T0 + 5 * HOUR);
}

#[test]
fn bridge_builder_needs_every_other_division_that_existed() {
    let mut l = Log::new();
    l.lead(1, "l1", "anna", "b");
    assert!(!l
        .badges("anna", 2)
        .iter()
        .any(|(id, _)| id == "bridge_builder"));
    let to_c = l.lead(2, "l2", "anna", "c");
    assert!(l
        .badges("anna", 3)
        .contains(&("bridge_builder".to_string(), to_c)));
    // A division created later does not take the badge back.
    l.ok(
        4,
        Event::DivisionCreated {
            id: "d".into(),
            name: "d".into(),
        },
    );
    assert!(l
        .badges("anna", 5)
        .contains(&("bridge_builder".to_string(), to_c)));
}

#[test]
fn a_holiday_week_neither_counts_nor_breaks_the_streak() {
    let week = 7 * 24;
    let run = |holiday: bool| {
        let mut l = Log::new();
        if holiday {
            l.ok(
                0,
                Event::HolidayDeclared {
                    week: "2026-W11".into(),
                    name: "Sportlov".into(),
                },
            );
        }
        // W10 and W12 active, W11 quiet (a holiday or not).
        l.lead(1, "l1", "anna", "b");
        l.lead(2 * week + 1, "l2", "anna", "b");
        trophies(&l.p, l.seller("anna"), T0 + (2 * week + 2) * HOUR).streak
    };
    let with = run(true);
    assert_eq!((with.current, with.longest), (2, 2));
    let without = run(false);
    assert_eq!((without.current, without.longest), (1, 1));

    // An activity inside a holiday week does not count as a week either,
    // and a week still in progress does not break the run before it.
    let mut l = Log::new();
    l.ok(
        0,
        Event::HolidayDeclared {
            week: "2026-W11".into(),
            name: "Sportlov".into(),
        },
    );
    l.lead(1, "l1", "anna", "b");
    l.lead(week + 1, "l2", "anna", "b");
    let s = trophies(&l.p, l.seller("anna"), T0 + (2 * week + 30) * HOUR).streak;
    assert_eq!((s.current, s.longest, s.this_week), (1, 1, 0));
    // Three weeks later with nothing: broken.
    let s = trophies(&l.p, l.seller("anna"), T0 + (5 * week) * HOUR).streak;
    assert_eq!((s.current, s.longest), (0, 1));
}

#[test]
fn four_weeks_in_a_row_across_a_holiday_earn_the_streak_badge() {
    let week = 7 * 24;
    let mut l = Log::new();
    l.ok(
        0,
        Event::HolidayDeclared {
            week: "2026-W12".into(),
            name: "Påsk".into(),
        },
    );
    let mut last = 0;
    // W10, W11, (W12 holiday), W13, W14.
    for (i, w) in [0, 1, 3, 4].iter().enumerate() {
        last = l.lead(w * week + 10, &format!("l{i}"), "anna", "b");
    }
    let badges = l.badges("anna", 4 * week + 20);
    assert!(
        badges.contains(&("four_week_streak".to_string(), last)),
        "{badges:?}"
    );
    let s = trophies(&l.p, l.seller("anna"), T0 + (4 * week + 20) * HOUR).streak;
    assert_eq!((s.current, s.longest), (4, 4));
}

#[test]
fn a_retroactive_rule_change_re_levels_a_seller() {
    let mut l = Log::new();
    // 5 leads × 10 points × 200 % across divisions = 100 points.
    for i in 0..5 {
        l.lead(i + 1, &format!("l{i}"), "anna", "b");
    }
    let t = trophies(&l.p, l.seller("anna"), T0 + 10 * HOUR);
    assert_eq!(
        (t.level.level, t.level.name.as_str(), t.level.points),
        (2, "Connector", 100)
    );
    assert_eq!(t.level.next_at, Some(500));
    l.publish(11, 1, serde_json::json!({"lead_given": 5}));
    let t = trophies(&l.p, l.seller("anna"), T0 + 12 * HOUR);
    assert_eq!(
        (t.level.level, t.level.name.as_str(), t.level.points),
        (1, "Rookie", 50)
    );
    assert_eq!(t.level.next_at, Some(100));
    // Levels are rules too.
    l.publish(
        13,
        2,
        serde_json::json!({"lead_given": 5, "levels": [{"name": "One", "points": 0}, {"name": "Two", "points": 40}]}),
    );
    let t = trophies(&l.p, l.seller("anna"), T0 + 14 * HOUR);
    assert_eq!(
        (t.level.level, t.level.name.as_str(), t.level.next_at),
        (2, "Two", None)
    );
}

#[test]
fn a_challenge_result_is_frozen_against_a_late_event() {
    let mut l = Log::new();
    let end = T0 + 7 * DAY;
    l.ok(
        0,
        Event::ChallengeIssued {
            id: "duel".into(),
            challenger: "anna".into(),
            opponent: "cid".into(),
            metric: "leads_given".into(),
            start: T0,
            end,
            stake: Some("fika".into()),
        },
    );
    let c = l.p.game.challenge("duel").unwrap().clone();
    assert_eq!(c.status(T0 + HOUR), Status::Issued);
    // Only the opponent answers.
    let wrong = l
        .try_at(
            1,
            Event::ChallengeAccepted {
                id: "duel".into(),
                by: "anna".into(),
            },
        )
        .unwrap_err();
    assert_eq!(wrong.field.as_deref(), Some("data.by"));
    l.ok(
        1,
        Event::ChallengeAccepted {
            id: "duel".into(),
            by: "cid".into(),
        },
    );
    let again = l
        .try_at(
            2,
            Event::ChallengeDeclined {
                id: "duel".into(),
                by: "cid".into(),
            },
        )
        .unwrap_err();
    assert_eq!(again.field.as_deref(), Some("data.id"));
    l.lead(2, "a1", "anna", "b");
    l.lead(3, "c1", "cid", "a");
    l.lead(4, "c2", "cid", "b");
    let running = view(&l.p, l.p.game.challenge("duel").unwrap(), T0 + 5 * HOUR);
    assert_eq!(running.status, Status::Running);
    let values: Vec<(Side, i64, u32)> = running
        .standings
        .iter()
        .map(|r| (r.side, r.value, r.rank))
        .collect();
    let (anna, cid) = (
        Side::Seller(l.seller("anna")),
        Side::Seller(l.seller("cid")),
    );
    assert_eq!(values, vec![(cid, 2, 1), (anna, 1, 2)]);
    assert!(running.winners.is_empty(), "no winner while running");
    // Two late leads dated inside the period, recorded after its end: the
    // first event recorded after the end freezes the result before it
    // counts.
    l.lead_at(T0 + 5 * HOUR, end + HOUR, "a2", "anna", "b");
    l.lead_at(T0 + 6 * HOUR, end + 2 * HOUR, "a3", "anna", "c");
    let closed = view(&l.p, l.p.game.challenge("duel").unwrap(), end + 3 * HOUR);
    assert_eq!(closed.status, Status::Closed);
    assert_eq!(closed.standings[0].value, 2);
    assert_eq!(closed.standings[1].value, 1);
    assert_eq!(closed.winners, vec![cid]);
    // The same leads, live, would have made it 3-2 to anna.
    let live = progress(
        &l.p,
        Scope::Seller(l.seller("anna")),
        c.metric,
        (c.start_day, c.end_day),
        None,
    );
    assert_eq!(live.value, 3);
}

#[test]
fn a_tied_challenge_is_a_shared_win_and_challenges_are_checked() {
    let mut l = Log::new();
    let end = T0 + DAY;
    let issue = |id: &str, a: &str, b: &str, metric: &str| Event::ChallengeIssued {
        id: id.into(),
        challenger: a.into(),
        opponent: b.into(),
        metric: metric.into(),
        start: T0,
        end,
        stake: None,
    };
    assert_eq!(
        l.try_at(0, issue("x", "anna", "b", "points"))
            .unwrap_err()
            .field
            .as_deref(),
        Some("data.opponent")
    );
    assert_eq!(
        l.try_at(0, issue("x", "anna", "anna", "points"))
            .unwrap_err()
            .field
            .as_deref(),
        Some("data.opponent")
    );
    assert_eq!(
        l.try_at(0, issue("x", "anna", "nobody", "points"))
            .unwrap_err()
            .field
            .as_deref(),
        Some("data.opponent")
    );
    assert_eq!(
        l.try_at(0, issue("x", "anna", "bo", "streak_weeks"))
            .unwrap_err()
            .field
            .as_deref(),
        Some("data.metric")
    );
    assert_eq!(
        l.try_at(25, issue("x", "anna", "bo", "points"))
            .unwrap_err()
            .field
            .as_deref(),
        Some("data.end")
    );
    l.ok(0, issue("tie", "a", "c", "points"));
    assert_eq!(
        l.try_at(0, issue("tie", "a", "b", "points"))
            .unwrap_err()
            .field
            .as_deref(),
        Some("data.id")
    );
    l.ok(
        0,
        Event::ChallengeAccepted {
            id: "tie".into(),
            by: "c".into(),
        },
    );
    l.lead(1, "a1", "anna", "b");
    l.lead(2, "c1", "cid", "b");
    let after = end + HOUR;
    l.lead_at(after, after, "later", "bo", "a");
    let v = view(&l.p, l.p.game.challenge("tie").unwrap(), after);
    assert_eq!(v.status, Status::Closed);
    assert_eq!(
        v.standings
            .iter()
            .map(|r| (r.value, r.rank))
            .collect::<Vec<_>>(),
        vec![(20, 1), (20, 1)]
    );
    assert_eq!(v.winners.len(), 2, "a tie is a shared win");
}

#[test]
fn kudos_pay_the_receiver_within_the_weekly_limit() {
    let mut l = Log::new();
    assert_eq!(
        l.kudos(1, "anna", "anna").unwrap_err().field.as_deref(),
        Some("data.to")
    );
    assert_eq!(
        l.kudos(1, "anna", "ghost").unwrap_err().field.as_deref(),
        Some("data.to")
    );
    let mut seqs = Vec::new();
    for i in 0..5 {
        seqs.push(l.kudos(1 + i, "anna", "bo").expect("within the limit"));
    }
    assert_eq!(
        l.kudos(7, "anna", "bea").unwrap_err().field.as_deref(),
        Some("data.from")
    );
    assert_eq!(l.kinds("bo")[ScoreKind::Kudos.index()], 10);
    // Next week the limit starts again.
    l.kudos(7 * 24 + 1, "anna", "bea").expect("a new week");
    // A lower limit applies to history too: only the first two count.
    l.publish(
        7 * 24 + 2,
        1,
        serde_json::json!({"kudos": {"points": 2, "weekly_limit": 2}}),
    );
    assert_eq!(l.kinds("bo")[ScoreKind::Kudos.index()], 4);
    // Voiding one of them lets the third count instead.
    l.void(7 * 24 + 3, seqs[0]);
    assert_eq!(l.kinds("bo")[ScoreKind::Kudos.index()], 4);
    l.void(7 * 24 + 4, seqs[1]);
    assert_eq!(l.kinds("bo")[ScoreKind::Kudos.index()], 4);
    l.void(7 * 24 + 5, seqs[2]);
    assert_eq!(l.kinds("bo")[ScoreKind::Kudos.index()], 4);
    l.void(7 * 24 + 6, seqs[3]);
    assert_eq!(l.kinds("bo")[ScoreKind::Kudos.index()], 2);
    assert_eq!(l.kinds("bea")[ScoreKind::Kudos.index()], 2);
}

#[test]
fn a_target_reports_progress_and_when_it_was_reached() {
    let mut l = Log::new();
    l.ok(
        0,
        Event::TargetSet {
            id: "b-leads".into(),
            division: "b".into(),
            metric: "leads_given".into(),
            value: 2,
            start: T0,
            end: T0 + 7 * DAY,
        },
    );
    let t = |l: &Log| {
        let t = l.p.game.target("b-leads").unwrap();
        progress(
            &l.p,
            t.division.map_or(Scope::Org, Scope::Division),
            t.metric,
            (t.start_day, t.end_day),
            Some(t.value),
        )
    };
    l.lead(1, "x", "anna", "b");
    assert_eq!(t(&l).value, 0, "division a's lead is not b's");
    l.lead(30, "b1", "bo", "a");
    assert_eq!((t(&l).value, t(&l).reached), (1, None));
    // Logged later, dated earlier: still the second lead by business time.
    let second = l.lead_at(T0 + 50 * HOUR, T0 + 60 * HOUR, "b2", "bea", "c");
    l.lead(55, "b3", "bo", "c");
    assert_eq!(t(&l).value, 3);
    assert_eq!(t(&l).reached, Some((T0 + 50 * HOUR, second)));
    l.void(61, second);
    let third = l.p.org.leads[l.p.org.lead("b3").unwrap() as usize].seq;
    assert_eq!(t(&l).reached, Some((T0 + 55 * HOUR, third)));
    // A points target for the org, and resetting a target by id.
    l.ok(
        62,
        Event::TargetSet {
            id: "b-leads".into(),
            division: "org".into(),
            metric: "points".into(),
            value: 60,
            start: T0,
            end: T0 + 7 * DAY,
        },
    );
    assert_eq!(l.p.game.targets.len(), 1);
    let org = t(&l);
    assert_eq!(org.value, 60, "three live leads of 20 points");
    assert_eq!(
        org.reached,
        Some((T0 + 55 * HOUR, third)),
        "x, b1, then b3 makes 60"
    );
    let bad = l
        .try_at(
            63,
            Event::TargetSet {
                id: "t".into(),
                division: "nope".into(),
                metric: "points".into(),
                value: 1,
                start: T0,
                end: T0 + DAY,
            },
        )
        .unwrap_err();
    assert_eq!(bad.field.as_deref(), Some("data.division"));
}

#[test]
fn a_season_is_frozen_into_the_hall_of_fame() {
    let mut l = Log::new();
    // 2026-03-02 is in Q1; Q2 starts 2026-04-01.
    let q2 = 1_775_001_600_000_000; // 2026-04-01T00:00:00Z
    l.lead(1, "l1", "anna", "b");
    l.lead(2, "l2", "anna", "c");
    l.lead(3, "l3", "bo", "a");
    // A report for Q1 within the grace still counts for Q1.
    l.lead_at(q2 - HOUR, q2 + HOUR, "l4", "bo", "c");
    // The first event recorded after the grace freezes Q1.
    let after = q2 + 3 * DAY;
    l.lead_at(after, after, "l5", "cid", "a");
    // Then a back-dated Q1 lead: too late for the hall of fame.
    l.lead_at(q2 - 2 * HOUR, after + HOUR, "l6", "cid", "b");
    let seasons = ended(&l.p, q2 + 100 * DAY);
    let q1 = seasons
        .iter()
        .find(|s| s.start_us == 1_767_225_600_000_000)
        .expect("Q1 2026");
    assert!(q1.frozen);
    let top: Vec<(u32, i64)> = q1.top_sellers.clone();
    assert_eq!(top, vec![(l.seller("anna"), 40), (l.seller("bo"), 40)]);
    assert_eq!(q1.top_division.map(|(_, p)| p), Some(40));
    // Live, cid has 20 in Q1 now; the frozen season ignores it.
    let w =
        l.p.window(WindowKind::Season, crate::domain::time::from_micros(T0));
    assert_eq!(w.kind, WindowKind::Season);
    assert_eq!(l.p.score.seller_points(&w, 4)[l.seller("cid") as usize], 20);
    assert_eq!(q1.points[l.seller("cid") as usize], 0);
}
