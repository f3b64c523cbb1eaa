//! Claims, first-pair bonuses, the lead list and the matrix on small
//! hand-built logs with the expected numbers written out.

use crate::domain::event::{Envelope, Event, FeedbackStatus, FORMAT_VERSION};
use crate::domain::leads::{list_leads, LeadQuery, StatusFilter};
use crate::domain::matrix::matrix;
use crate::domain::projection::Projection;
use crate::domain::rules::ScoreKind;
use crate::domain::time::{Window, WindowKind};
use crate::domain::validate::Context;

const HOUR: i64 = 3_600_000_000;
/// 2026-03-02T00:00:00Z, a Monday.
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

    fn try_at(&mut self, hours: i64, event: Event) -> Result<u64, crate::domain::org::Rejection> {
        let at = T0 + hours * HOUR;
        let ctx = Context::privileged_at(at);
        self.p.check(&event, &ctx)?;
        let seq = self.p.seq() + 1;
        self.p.apply(&Envelope {
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
        self.try_at(hours, event).expect("accepted")
    }

    fn lead(&mut self, hours: i64, id: &str, from: &str, to: &str, to_seller: Option<&str>) -> u64 {
        self.ok(
            hours,
            Event::LeadGiven {
                lead: id.into(),
                from: from.into(),
                to_division: to.into(),
                to_seller: to_seller.map(Into::into),
                customer: "Acme".into(),
                note: None,
                estimated_value: None,
            },
        )
    }

    fn feedback(&mut self, hours: i64, lead: &str, by: &str, status: FeedbackStatus) -> u64 {
        self.ok(
            hours,
            Event::LeadFeedback {
                lead: lead.into(),
                by: by.into(),
                status,
                note: None,
            },
        )
    }

    fn claim(
        &mut self,
        hours: i64,
        lead: &str,
        by: &str,
    ) -> Result<u64, crate::domain::org::Rejection> {
        self.try_at(
            hours,
            Event::LeadClaimed {
                lead: lead.into(),
                by: by.into(),
            },
        )
    }

    fn void(&mut self, hours: i64, seq: u64) {
        self.ok(
            hours,
            Event::EventVoided {
                seq,
                reason: "test".into(),
            },
        );
    }

    fn first_pair_points(&self, seller: &str) -> i64 {
        let s = self.p.org.seller(seller).expect("seller");
        let w = Window::containing(
            WindowKind::All,
            crate::domain::time::from_micros(T0),
            self.p.tz,
        );
        self.p.score.seller_kinds(s, &w)[ScoreKind::FirstPair.index()]
    }

    fn owner(&self, lead: &str) -> Option<String> {
        let l = &self.p.org.leads[self.p.org.lead(lead).expect("lead") as usize];
        l.owner().map(|s| self.p.org.sellers[s as usize].id.clone())
    }
}

#[test]
fn the_first_claim_wins_and_a_void_unclaims() {
    let mut log = Log::new();
    log.lead(1, "L1", "anna", "b", None);
    let first = log.claim(2, "L1", "bo").expect("first claim");
    let second = log.claim(2, "L1", "bea").unwrap_err();
    assert_eq!(
        (second.code, second.field.as_deref(), second.conflict),
        ("already_claimed", Some("data.lead"), true)
    );
    assert_eq!(log.owner("L1").as_deref(), Some("bo"));
    // The giver, an outsider and a named lead are refused, each by field.
    let e = log.claim(3, "L1", "anna").unwrap_err();
    assert_eq!(e.field.as_deref(), Some("data.by"));
    log.lead(3, "L2", "anna", "b", Some("bea"));
    let e = log.claim(4, "L2", "bo").unwrap_err();
    assert_eq!(
        (e.code, e.field.as_deref()),
        ("lead_named", Some("data.lead"))
    );
    log.lead(3, "L3", "anna", "b", None);
    let e = log.claim(4, "L3", "cid").unwrap_err();
    assert_eq!(e.field.as_deref(), Some("data.by"));
    let e = log.claim(4, "nope", "bo").unwrap_err();
    assert_eq!(e.field.as_deref(), Some("data.lead"));
    // A void of the claim un-claims: the other colleague may take it now.
    log.void(5, first);
    assert_eq!(log.owner("L1"), None);
    log.claim(6, "L1", "bea").expect("claim after the void");
    assert_eq!(log.owner("L1").as_deref(), Some("bea"));
}

#[test]
fn first_pair_bonus_goes_to_the_earliest_reach_and_moves_on_void() {
    let mut log = Log::new();
    log.ok(
        0,
        Event::RulesPublished {
            version: 1,
            rules: r#"{"first_pair_bonus": 4}"#.into(),
            effective_from: T0,
            retroactive: true,
        },
    );
    let named = log.lead(10, "L1", "anna", "b", Some("bo"));
    assert_eq!(
        (log.first_pair_points("anna"), log.first_pair_points("bo")),
        (4, 4)
    );
    // A second lead to the same colleague earns nothing more...
    log.lead(11, "L2", "anna", "b", None);
    log.claim(12, "L2", "bo").expect("claim");
    assert_eq!(
        (log.first_pair_points("anna"), log.first_pair_points("bo")),
        (4, 4)
    );
    // ...a new colleague is a new pair...
    log.lead(12, "L3", "anna", "b", None);
    let bea = log.claim(13, "L3", "bea").expect("claim");
    assert_eq!(
        (log.first_pair_points("anna"), log.first_pair_points("bea")),
        (8, 4)
    );
    // ...and voiding the first reach passes the bonus on to the claim.
    log.void(14, named);
    assert_eq!(
        (log.first_pair_points("anna"), log.first_pair_points("bo")),
        (8, 4)
    );
    log.void(15, bea);
    assert_eq!(
        (log.first_pair_points("anna"), log.first_pair_points("bea")),
        (4, 0)
    );
    // A back-dated reach takes the bonus from the later one, not twice.
    log.lead(16, "L0", "anna", "c", Some("cid"));
    log.lead(8, "L00", "anna", "c", Some("cid"));
    assert_eq!(log.first_pair_points("cid"), 4);
}

#[test]
fn matrix_numbers_on_a_fixture() {
    let mut log = Log::new();
    // a → b: three leads. L1 answered after 2 h and won with an order of
    // 1,500,000 SEK minor units; L2 answered after 6 h (lost); L3 open
    // and overdue by hour 100 (48 h SLA).
    log.lead(0, "L1", "anna", "b", Some("bo"));
    log.lead(1, "L2", "anna", "b", None);
    log.lead(2, "L3", "anna", "b", None);
    log.feedback(2, "L1", "bo", FeedbackStatus::Won);
    log.feedback(7, "L2", "bea", FeedbackStatus::Lost);
    log.ok(
        8,
        Event::OrderClosed {
            order: "O1".into(),
            seller: "bo".into(),
            customer: "Acme".into(),
            amount: 1_500_000,
            currency: "SEK".into(),
            lead: Some("L1".into()),
        },
    );
    // b → a: one lead, answered after 10 h.
    log.lead(3, "L4", "bo", "a", None);
    log.feedback(13, "L4", "anna", FeedbackStatus::Contacted);
    let now = T0 + 100 * HOUR;
    let m = matrix(&log.p, i64::MIN, i64::MAX, now);
    let rows: Vec<_> = m
        .rows
        .iter()
        .map(|r| {
            (
                r.from.as_str(),
                r.to.as_str(),
                r.leads,
                r.feedback_rate,
                r.median_hours_to_feedback,
                r.overdue,
                r.won,
                r.orders,
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("a", "b", 3, 0.667, Some(4.0), 1, 1, 1),
            ("b", "a", 1, 1.0, Some(10.0), 0, 0, 0),
        ]
    );
    assert_eq!(m.rows[0].order_value.get("SEK"), Some(&1_500_000));
    // Points of a→b: 3 leads × 20 (cross-division), first feedback on L1
    // 3+2 timely, on L2 3+2, the order 20 + 1 unit, the giver's share 25 %
    // of 21 = 5, and the won bonus 15 now that an order proves it.
    assert_eq!(m.rows[0].points, 60 + 5 + 5 + 21 + 5 + 15);
    // b→a: 20 for the lead, 5 for timely feedback.
    assert_eq!(m.rows[1].points, 25);
    // A window that holds only L4 (hour 3).
    let m = matrix(&log.p, T0 + 3 * HOUR, T0 + 4 * HOUR, now);
    assert_eq!(m.rows.len(), 1);
    assert_eq!((m.rows[0].from.as_str(), m.rows[0].leads), ("b", 1));
}

#[test]
fn lead_list_statuses_and_overdue() {
    let mut log = Log::new();
    log.lead(0, "L1", "anna", "b", None);
    log.lead(1, "L2", "anna", "b", None);
    log.feedback(3, "L2", "bo", FeedbackStatus::Contacted);
    log.feedback(5, "L2", "bo", FeedbackStatus::MeetingBooked);
    log.lead(60, "L3", "anna", "b", None);
    let q = |status| LeadQuery {
        status,
        from_us: i64::MIN,
        to_us: i64::MAX,
        limit: 10,
        ..LeadQuery::default()
    };
    let now = T0 + 70 * HOUR;
    let ids = |st| -> Vec<String> {
        list_leads(&log.p, &q(st), now)
            .leads
            .into_iter()
            .map(|r| r.lead)
            .collect()
    };
    assert_eq!(ids(Some(StatusFilter::Overdue)), vec!["L1"]);
    assert_eq!(ids(Some(StatusFilter::Open)), vec!["L1", "L3"]);
    assert_eq!(
        ids(Some(StatusFilter::Is(FeedbackStatus::MeetingBooked))),
        vec!["L2"]
    );
    assert!(ids(Some(StatusFilter::Is(FeedbackStatus::Contacted))).is_empty());
    let rows = list_leads(&log.p, &q(None), now).leads;
    assert_eq!(
        rows[1].first_feedback_at.as_deref(),
        Some("2026-03-02T03:00:00Z")
    );
    assert_eq!(
        (rows[0].age_hours, rows[0].overdue, rows[2].overdue),
        (70.0, true, false)
    );
}

#[test]
fn forum_agenda_on_a_fixture() {
    use crate::domain::event::DeliveryStatus;
    use crate::domain::forum::forum;
    let mut l = Log::new();
    l.lead(0, "L1", "anna", "b", None); // before `since`, unanswered: overdue
    l.lead(10, "L2", "anna", "b", Some("bo"));
    l.feedback(20, "L2", "bo", FeedbackStatus::Won);
    l.ok(
        30,
        Event::OrderClosed {
            order: "O1".into(),
            seller: "bo".into(),
            customer: "Acme".into(),
            amount: 1000,
            currency: "SEK".into(),
            lead: Some("L2".into()),
        },
    );
    let problem = l.ok(
        40,
        Event::OrderDelivered {
            order: "O1".into(),
            status: DeliveryStatus::Problem,
            note: None,
        },
    );
    l.lead(50, "L3", "cid", "a", Some("anna"));
    l.feedback(60, "L3", "anna", FeedbackStatus::Lost);
    l.lead(80, "L4", "anna", "c", None); // young: not overdue at h=100
    let gone = l.lead(2, "L5", "cid", "b", None);
    l.void(3, gone);

    let now = T0 + 100 * HOUR;
    let f = forum(&l.p, T0 + 5 * HOUR, now, 50);
    let pairs: Vec<(&str, &str)> = f
        .pairs
        .iter()
        .map(|p| (p.from.as_str(), p.to.as_str()))
        .collect();
    assert_eq!(pairs, [("a", "b"), ("a", "c"), ("c", "a")]);
    let ab = &f.pairs[0];
    let ids = |rows: &[crate::domain::forum::ForumLead]| -> Vec<String> {
        rows.iter().map(|r| r.lead.clone()).collect()
    };
    assert_eq!(ids(&ab.new_leads.rows), ["L2"]);
    assert_eq!(ids(&ab.overdue.rows), ["L1"]);
    assert_eq!(ab.overdue.rows[0].age_hours, 100.0);
    assert_eq!(ab.overdue.rows[0].to_seller, None);
    assert_eq!(ids(&ab.won.rows), ["L2"]);
    assert_eq!(ab.orders.total, 1);
    assert_eq!(ab.orders.rows[0].order, "O1");
    assert_eq!(ab.order_value.get("SEK"), Some(&1000));
    assert_eq!(ab.delivery_problems.rows[0].status, "problem");
    assert_eq!(ids(&f.pairs[1].new_leads.rows), ["L4"]);
    assert_eq!(f.pairs[1].overdue.total, 0);
    assert_eq!(ids(&f.pairs[2].lost.rows), ["L3"]);
    let t = &f.totals;
    assert_eq!(
        (
            t.new_leads,
            t.overdue,
            t.won,
            t.lost,
            t.orders,
            t.delivery_problems
        ),
        (3, 1, 1, 1, 1, 1)
    );
    // The won lead has its order: celebrated once, as the order.
    assert_eq!(f.celebrate.total, 1);
    assert_eq!(f.celebrate.rows[0].kind, "order");
    assert_eq!(f.celebrate.rows[0].giver, "anna");

    // A cut keeps the counts; a later `delivered` settles the problem; a
    // void of the feedback puts L3 back among the open leads.
    let f = forum(&l.p, T0, now, 1);
    assert_eq!(
        (f.pairs[0].new_leads.total, f.pairs[0].new_leads.rows.len()),
        (2, 1)
    );
    assert_eq!(f.pairs[0].new_leads.rows[0].lead, "L2", "newest first");
    l.ok(
        45,
        Event::OrderDelivered {
            order: "O1".into(),
            status: DeliveryStatus::Delivered,
            note: None,
        },
    );
    let f = forum(&l.p, T0 + 5 * HOUR, now, 50);
    assert_eq!(f.totals.delivery_problems, 0);
    assert!(problem > 0);
    let lost = l.p.org.leads[l.p.org.lead("L3").expect("L3") as usize].feedback[0];
    l.void(61, lost);
    let f = forum(&l.p, T0 + 5 * HOUR, now, 50);
    assert_eq!(f.totals.lost, 0);
    assert_eq!(f.pairs[2].new_leads.rows[0].status, "open");
    // Unanswered again and 50 h old: overdue beside L1.
    assert_eq!(f.totals.overdue, 2);
    assert_eq!(f.pairs[2].overdue.rows[0].lead, "L3");
}
