//! Unit tests of `credit.rs`, kept beside it so the module itself stays one
//! screenful of logic.

use super::*;
use crate::domain::event::Event;
use crate::domain::rules::RuleSet;
use std::sync::Arc;

/// Two divisions, three sellers: anna (a), bo (b), cia (a).
fn setup() -> (Org, Vec<FactRec>) {
    (crate::domain::org::test_org(), Vec::new())
}

/// Lead `l` from anna (a) to division b, as seq 1.
fn given_lead(org: &mut Org, facts: &mut Vec<FactRec>) {
    org.apply(
        1,
        0,
        &Event::LeadGiven {
            lead: "l".into(),
            from: "anna".into(),
            to_division: "b".into(),
            to_seller: None,
            customer: "c".into(),
            note: None,
            estimated_value: None,
        },
    );
    facts.push(rec(
        0,
        Fact::Lead {
            lead: 0,
            giver: 0,
            giver_division: 0,
            to_division: 1,
        },
    ));
}

fn rec(at_us: i64, fact: Fact) -> FactRec {
    FactRec {
        at_us,
        day: 0,
        voided: false,
        fact,
    }
}

#[test]
fn timely_feedback_window_edges() {
    let (mut org, mut facts) = setup();
    let day_us = 86_400_000_000;
    given_lead(&mut org, &mut facts);
    let r = RuleSet::default();
    let timeline = Timeline::new(r.clone());
    for (at, expected) in [
        (2 * day_us, r.lead_feedback + r.timely_feedback_bonus),
        (2 * day_us + 1, r.lead_feedback),
    ] {
        let mut facts = facts.clone();
        let mut org = org.clone();
        org.leads[0].feedback.push(2);
        facts.push(rec(
            at,
            Fact::Feedback {
                lead: 0,
                by: 1,
                by_division: 1,
                status: FeedbackStatus::Contacted,
                giver_division: 0,
            },
        ));
        let mut out = vec![];
        credits(2, &facts, &org, &timeline, &mut out);
        assert_eq!(
            out,
            vec![Credit {
                seller: 1,
                division: 1,
                kind: ScoreKind::Feedback,
                points: expected
            }]
        );
    }
}

fn feedback(by: SellerIx, status: FeedbackStatus) -> Fact {
    Fact::Feedback {
        lead: 0,
        by,
        by_division: 1,
        status,
        giver_division: 0,
    }
}

#[test]
fn first_feedback_is_the_earliest_by_business_time() {
    let (mut org, mut facts) = setup();
    given_lead(&mut org, &mut facts);
    let hour = 3_600_000_000;
    // seq 2 is logged first but dated 50 h after the lead; seq 3 is
    // logged later but dated 1 h after it: seq 3 is first and timely.
    facts.push(rec(50 * hour, feedback(1, FeedbackStatus::Contacted)));
    facts.push(rec(hour, feedback(1, FeedbackStatus::Contacted)));
    org.leads[0].feedback = vec![2, 3];
    let t = Timeline::new(RuleSet::default());
    let (mut a, mut b) = (vec![], vec![]);
    credits(2, &facts, &org, &t, &mut a);
    credits(3, &facts, &org, &t, &mut b);
    assert!(a.is_empty());
    assert_eq!(b[0].points, 3 + 2);
}

#[test]
fn won_bonus_waits_for_an_order_on_the_lead() {
    let (mut org, mut facts) = setup();
    given_lead(&mut org, &mut facts);
    org.currencies.push("SEK".into());
    facts.push(rec(10, feedback(1, FeedbackStatus::Won)));
    org.leads[0].feedback = vec![2];
    let t = Timeline::new(RuleSet::default());
    let won = |facts: &Vec<FactRec>, org: &Org| {
        let mut out = vec![];
        credits(2, facts, org, &t, &mut out);
        out.iter()
            .filter(|c| c.kind == ScoreKind::LeadWon)
            .map(|c| c.points)
            .sum::<i64>()
    };
    assert_eq!(won(&facts, &org), 0, "pending: no order yet");
    facts.push(rec(
        20,
        Fact::Order {
            seller: 1,
            division: 1,
            amount: 100,
            currency: 0,
            lead: Some((0, 0)),
        },
    ));
    org.leads[0].orders = vec![3];
    assert_eq!(won(&facts, &org), 15, "paid once the order exists");
    facts[2].voided = true;
    assert_eq!(won(&facts, &org), 0, "pending again after the void");
}

#[test]
fn rules_in_force_and_scheduled() {
    let mut t = Timeline::new(RuleSet::default());
    let later = RuleSet {
        lead_given: 99,
        ..RuleSet::default()
    };
    t.publish_version(1, 1_000, 0, Arc::new(later), false);
    assert_eq!(t.in_force(999).0, 0);
    assert_eq!(t.in_force(1_000).0, 1);
    let s = t.scheduled(500);
    assert_eq!((s.len(), s[0].version, s[0].effective_from), (1, 1, 1_000));
    assert_eq!(s[0].rules.lead_given, 99);
    assert!(t.scheduled(1_000).is_empty());
}

#[test]
fn order_from_lead_shares_with_giver_unless_lead_voided() {
    let (mut org, mut facts) = setup();
    given_lead(&mut org, &mut facts);
    facts.push(rec(
        0,
        Fact::Order {
            seller: 1,
            division: 1,
            amount: 5_000_000,
            currency: 0,
            lead: Some((0, 0)),
        },
    ));
    org.currencies.push("SEK".into());
    let timeline = Timeline::new(RuleSet::default());
    let mut out = vec![];
    credits(2, &facts, &org, &timeline, &mut out);
    // 20 base + 5 units = 25; giver gets 25% = 6 (rounded down).
    assert_eq!(out[0].points, 25);
    assert_eq!(
        out[1],
        Credit {
            seller: 0,
            division: 0,
            kind: ScoreKind::LeadShare,
            points: 6
        }
    );
    org.leads[0].voided = true;
    out.clear();
    credits(2, &facts, &org, &timeline, &mut out);
    assert_eq!(out.len(), 1, "no share from a voided lead");
}

#[test]
fn joint_visit_multiplier_per_guest() {
    let (org, mut facts) = setup();
    facts.push(rec(
        0,
        Fact::JointVisit {
            host: 0,
            host_division: 0,
            guests: vec![(1, 1), (2, 0)].into(),
        },
    ));
    let r = RuleSet::default();
    let mut out = vec![];
    credits(1, &facts, &org, &Timeline::new(r.clone()), &mut out);
    let pts: Vec<i64> = out.iter().map(|c| c.points).collect();
    assert_eq!(
        pts,
        vec![
            r.joint_visit_host * 2,
            r.joint_visit_guest * 2,
            r.joint_visit_guest
        ]
    );
}

#[test]
fn timeline_from_now_and_retroactive() {
    let a = RuleSet {
        lead_given: 1,
        ..RuleSet::default()
    };
    let b = RuleSet {
        lead_given: 2,
        ..RuleSet::default()
    };
    let c = RuleSet {
        lead_given: 3,
        ..RuleSet::default()
    };
    let mut t = Timeline::new(a);
    t.publish(100, 1, Arc::new(b), false);
    assert_eq!((t.at(99).lead_given, t.at(100).lead_given), (1, 2));
    assert_eq!((t.at_day(0).lead_given, t.at_day(1).lead_given), (1, 2));
    t.publish(50, 0, Arc::new(c.clone()), false);
    assert_eq!((t.at(49).lead_given, t.at(100).lead_given), (1, 3));
    t.publish(500, 5, Arc::new(c), true);
    assert_eq!(t.at(0).lead_given, 3);
}
