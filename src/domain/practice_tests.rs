//! Commission, knowledge and lead quality on a real projection, folded the
//! way the writer folds (check, then apply), with hand-computed figures.

use crate::domain::board::{collaboration, profile};
use crate::domain::event::{Envelope, Event, FeedbackStatus, LeadTiming, FORMAT_VERSION};
use crate::domain::knowledge::knowledge;
use crate::domain::org::Rejection;
use crate::domain::quality::quality_board;
use crate::domain::rules::ScoreKind;
use crate::domain::time::{from_micros, Window, WindowKind};
use crate::domain::{Context, Projection};

/// 2026-01-05T00:00:00Z.
const T0: i64 = 1_767_571_200_000_000;
const HOUR: i64 = 3_600_000_000;

struct Log(Projection);

impl Log {
    /// Divisions a and b; anna and cia in a, bo and dan in b.
    fn new() -> Log {
        let mut log = Log(Projection::new(chrono_tz::UTC));
        for d in ["a", "b"] {
            log.ok(
                0,
                Event::DivisionCreated {
                    id: d.into(),
                    name: d.to_uppercase(),
                },
            );
        }
        for (s, d) in [("anna", "a"), ("bo", "b"), ("cia", "a"), ("dan", "b")] {
            log.ok(
                0,
                Event::SellerJoined {
                    id: s.into(),
                    name: s.into(),
                    division: d.into(),
                },
            );
        }
        log
    }

    fn try_push(&mut self, hours: i64, event: Event) -> Result<u64, Rejection> {
        let at = T0 + hours * HOUR;
        self.0.check(&event, &Context::privileged_at(at))?;
        let seq = self.0.seq() + 1;
        self.0.apply(&Envelope {
            format: FORMAT_VERSION,
            seq,
            id: format!("e{seq}"),
            occurred_at: at,
            recorded_at: at,
            actor: "test".into(),
            event,
        });
        Ok(seq)
    }

    fn ok(&mut self, hours: i64, event: Event) -> u64 {
        match self.try_push(hours, event) {
            Ok(seq) => seq,
            Err(e) => panic!("refused: {e:?}"),
        }
    }

    fn kinds(&self, seller: &str) -> [i64; crate::domain::rules::KIND_COUNT] {
        let s = self.0.org.seller(seller).unwrap();
        self.0.score.seller_kinds(s, &all())
    }

    fn points(&self, seller: &str, kind: ScoreKind) -> i64 {
        self.kinds(seller)[kind.index()]
    }

    fn total(&self, seller: &str) -> i64 {
        self.kinds(seller).iter().sum()
    }
}

fn all() -> Window {
    Window::containing(
        WindowKind::All,
        from_micros(T0 + 1000 * HOUR),
        chrono_tz::UTC,
    )
}

fn lead(id: &str, from: &str, to: &str, quality: Option<(&str, LeadTiming, &str)>) -> Event {
    match quality {
        None => Event::LeadGiven {
            lead: id.into(),
            from: from.into(),
            to_division: to.into(),
            to_seller: None,
            customer: "Acme".into(),
            note: None,
            estimated_value: None,
        },
        Some((need, timing, contact)) => Event::LeadGivenQualified {
            lead: id.into(),
            from: from.into(),
            to_division: to.into(),
            to_seller: None,
            customer: "Acme".into(),
            note: None,
            estimated_value: None,
            need: Some(need.into()),
            timing: Some(timing),
            contact: Some(contact.into()),
        },
    }
}

fn feedback(lead: &str, by: &str, status: FeedbackStatus) -> Event {
    Event::LeadFeedback {
        lead: lead.into(),
        by: by.into(),
        status,
        note: None,
    }
}

fn order(id: &str, seller: &str, amount: i64, currency: &str, lead: Option<&str>) -> Event {
    Event::OrderClosed {
        order: id.into(),
        seller: seller.into(),
        customer: "Acme".into(),
        amount,
        currency: currency.into(),
        lead: lead.map(Into::into),
    }
}

#[test]
fn staged_credit_meeting_then_won_then_order() {
    let mut log = Log::new();
    // A qualified lead: 10 × 2 (across divisions) + 5 qualified.
    log.ok(
        0,
        lead(
            "L1",
            "anna",
            "b",
            Some(("pumps", LeadTiming::Quarter, "Eva")),
        ),
    );
    assert_eq!(log.total("anna"), 25);
    assert_eq!(log.points("anna", ScoreKind::LeadQualified), 5);
    // Meeting booked within 2 days: bo 3 + 2 timely; anna the meeting bonus 5.
    let booked = log.ok(1, feedback("L1", "bo", FeedbackStatus::MeetingBooked));
    assert_eq!((log.total("anna"), log.total("bo")), (30, 5));
    assert_eq!(log.points("anna", ScoreKind::LeadMeeting), 5);
    // A second meeting_booked report pays nothing more.
    log.ok(2, feedback("L1", "dan", FeedbackStatus::MeetingBooked));
    assert_eq!((log.total("anna"), log.total("dan")), (30, 0));
    // Won: pending until an order names the lead.
    log.ok(3, feedback("L1", "bo", FeedbackStatus::Won));
    assert_eq!(log.total("anna"), 30);
    // The order: 25,000.00 SEK = 2 units → bo 20 + 2 = 22; anna 25 % of 22
    // = 5 (down) and the won bonus 15.
    log.ok(4, order("O1", "bo", 2_500_000, "SEK", Some("L1")));
    assert_eq!(log.total("bo"), 5 + 22);
    assert_eq!(log.points("anna", ScoreKind::LeadShare), 5);
    assert_eq!(log.points("anna", ScoreKind::LeadWon), 15);
    assert_eq!(log.total("anna"), 25 + 5 + 5 + 15);
    // Voiding bo's meeting_booked hands the meeting bonus to dan's report
    // (still the same 5 to anna) and bo's first-feedback points to dan.
    log.ok(
        5,
        Event::EventVoided {
            seq: booked,
            reason: "test".into(),
        },
    );
    assert_eq!(log.total("anna"), 50);
    assert_eq!((log.total("bo"), log.total("dan")), (22, 3 + 2));
    // A lead without the three fields, or with an unknown timing, is not
    // qualified; a meeting bonus only for meeting_booked.
    log.ok(
        6,
        lead(
            "L2",
            "cia",
            "b",
            Some(("pumps", LeadTiming::Unknown, "Eva")),
        ),
    );
    log.ok(7, feedback("L2", "bo", FeedbackStatus::Contacted));
    assert_eq!(log.total("cia"), 20);
}

#[test]
fn commission_of_a_cross_currency_order_is_in_its_own_currency() {
    let mut log = Log::new();
    log.ok(
        0,
        Event::RulesPublished {
            version: 1,
            rules: r#"{"commission_pct": {"default": 5, "b": 8}}"#.into(),
            effective_from: T0,
            retroactive: true,
        },
    );
    log.ok(1, lead("L1", "anna", "b", None));
    log.ok(2, lead("L2", "bo", "a", None));
    // Sold by b at 8 %: 1,234.56 EUR → 98.76 EUR (9,876.48 cents, down);
    // the giver's 25 %: 2,469 cents.
    log.ok(3, order("O1", "dan", 123_456, "EUR", Some("L1")));
    // Sold by a at the default 5 %: 10,000.00 SEK → 500.00 SEK; 125.00.
    log.ok(4, order("O2", "cia", 1_000_000, "SEK", Some("L2")));
    // Not from a lead: no commission *created by collaboration*.
    log.ok(5, order("O3", "cia", 9_999_999, "SEK", None));
    let c = collaboration(&log.0, &all(), 0);
    let map = |v: &[(&str, i64)]| v.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    assert_eq!(c.commission_value, map(&[("EUR", 9_876), ("SEK", 50_000)]));
    assert_eq!(
        c.giver_commission_value,
        map(&[("EUR", 2_469), ("SEK", 12_500)])
    );
    let anna = log.0.org.seller("anna").unwrap();
    let p = profile(&log.0, anna, &all(), 0);
    assert_eq!(p.stats.commission_value, map(&[("EUR", 9_876)]));
    assert_eq!(p.stats.giver_commission_value, map(&[("EUR", 2_469)]));
    let dan = log.0.org.seller("dan").unwrap();
    let p = profile(&log.0, dan, &all(), 0);
    assert_eq!(p.stats.commission_value, map(&[("EUR", 9_876)]));
    assert!(
        p.stats.giver_commission_value.is_empty(),
        "dan closed, not gave"
    );
    // A retroactive publish re-prices history exactly: 10 % for b.
    log.ok(
        6,
        Event::RulesPublished {
            version: 2,
            rules: r#"{"commission_pct": {"b": 10}}"#.into(),
            effective_from: T0,
            retroactive: true,
        },
    );
    let c = collaboration(&log.0, &all(), 0);
    assert_eq!(c.commission_value, map(&[("EUR", 12_345), ("SEK", 50_000)]));
}

#[test]
fn quality_ratio_with_a_minimum_count() {
    let mut log = Log::new();
    for i in 1..=5 {
        log.ok(i, lead(&format!("A{i}"), "anna", "b", None));
    }
    log.ok(6, feedback("A1", "bo", FeedbackStatus::MeetingBooked));
    log.ok(7, order("O1", "bo", 100, "SEK", Some("A2")));
    let met = log.ok(
        8,
        Event::MeetingHeld {
            seller: "dan".into(),
            customer: "Acme".into(),
            lead: Some("A3".into()),
        },
    );
    log.ok(9, feedback("A4", "bo", FeedbackStatus::Contacted));
    // cia: one lead, reported won — a perfect but tiny record.
    log.ok(10, lead("C1", "cia", "b", None));
    log.ok(11, feedback("C1", "bo", FeedbackStatus::Won));
    let anna = log.0.org.seller("anna").unwrap();
    assert_eq!(profile(&log.0, anna, &all(), 0).lead_quality, Some(0.6));
    let board = quality_board(&log.0, &all(), 5, None);
    let rows: Vec<_> = board
        .rows
        .iter()
        .map(|r| (r.id.as_str(), r.rank, r.leads, r.reached, r.quality))
        .collect();
    assert_eq!(rows, vec![("anna", 1, 5, 3, 0.6)]);
    let board = quality_board(&log.0, &all(), 1, None);
    let rows: Vec<_> = board.rows.iter().map(|r| (r.id.as_str(), r.rank)).collect();
    assert_eq!(rows, vec![("cia", 1), ("anna", 2)]);
    // Voiding the meeting takes A3's reach back: 2 of 5.
    log.ok(
        12,
        Event::EventVoided {
            seq: met,
            reason: "test".into(),
        },
    );
    assert_eq!(profile(&log.0, anna, &all(), 0).lead_quality, Some(0.4));
    let bo = log.0.org.seller("bo").unwrap();
    assert_eq!(
        profile(&log.0, bo, &all(), 0).lead_quality,
        None,
        "no leads given"
    );
}

#[test]
fn knowledge_sessions_score_and_count_by_division_pair() {
    let mut log = Log::new();
    let attend = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let session =
        |presenter: &str, audience: &str, attendees: Vec<String>| Event::KnowledgeShared {
            presenter: presenter.into(),
            audience_division: audience.into(),
            topic: "Heat pumps".into(),
            attendees,
            note: None,
        };
    let e = log.try_push(1, session("anna", "a", vec![])).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("data.audience_division"));
    let e = log
        .try_push(1, session("anna", "b", attend(&["bo", "cia"])))
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("data.attendees[1]"));
    let e = log
        .try_push(1, session("anna", "b", attend(&["bo", "bo"])))
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("data.attendees[1]"));
    let e = log.try_push(1, session("nobody", "b", vec![])).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("data.presenter"));
    log.ok(1, session("anna", "b", attend(&["bo", "dan"])));
    log.ok(2, session("cia", "b", attend(&["dan"])));
    let back = log.ok(3, session("bo", "a", vec![]));
    assert_eq!(log.points("anna", ScoreKind::KnowledgePresented), 10);
    assert_eq!(log.points("dan", ScoreKind::KnowledgeAttended), 6);
    assert_eq!(log.total("bo"), 3 + 10);
    log.ok(
        4,
        Event::EventVoided {
            seq: back,
            reason: "test".into(),
        },
    );
    assert_eq!(log.total("bo"), 3);
    let rows: Vec<_> = knowledge(&log.0, &all())
        .rows
        .into_iter()
        .map(|r| (r.from, r.to, r.sessions, r.attendees))
        .collect();
    assert_eq!(rows, vec![("a".to_string(), "b".to_string(), 2, 3)]);
    let dan = log.0.org.seller("dan").unwrap();
    let k = profile(&log.0, dan, &all(), 0).knowledge;
    assert_eq!((k.presented, k.attended), (0, 2));
}
