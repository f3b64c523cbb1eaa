//! Unit tests of the fair-play checks, with hand-picked times.
use super::*;
use crate::domain::event::FeedbackStatus;
use crate::domain::org::is_currency;

const NOW: i64 = 1_780_000_000_000_000;

fn ctx(at: i64, privileged: bool) -> Context {
    Context {
        now_us: NOW,
        occurred_at: at,
        privileged,
    }
}

fn check(o: &Org, e: &Event, c: Context) -> Result<(), Rejection> {
    o.check(e, &c, &RuleSet::default(), &|_| None)
}

fn field(r: Result<(), Rejection>) -> Option<String> {
    r.unwrap_err().field
}

fn lead(to: &str) -> Event {
    Event::LeadGiven {
        lead: "l1".into(),
        from: "anna".into(),
        to_division: to.into(),
        to_seller: None,
        customer: "Acme".into(),
        note: None,
        estimated_value: None,
    }
}

/// test_org with lead l1 from anna (a) to b at NOW - 1 h.
fn with_lead() -> Org {
    let mut o = crate::domain::org::test_org();
    o.apply(6, NOW - 3_600_000_000, &lead("b"));
    o
}

fn order(seller: &str, amount: i64, lead: Option<&str>) -> Event {
    Event::OrderClosed {
        order: "o1".into(),
        seller: seller.into(),
        customer: "Acme".into(),
        amount,
        currency: "SEK".into(),
        lead: lead.map(str::to_string),
    }
}

#[test]
fn currency_codes() {
    assert!(is_currency("SEK") && is_currency("EUR"));
    assert!(!is_currency("sek") && !is_currency("XXX") && !is_currency("EURO"));
}

#[test]
fn lead_to_own_division_is_refused() {
    let o = crate::domain::org::test_org();
    assert_eq!(
        field(check(&o, &lead("a"), ctx(NOW, false))).as_deref(),
        Some("data.to_division")
    );
    check(&o, &lead("b"), ctx(NOW, false)).unwrap();
}

#[test]
fn feedback_only_from_receivers_other_than_the_giver() {
    let o = with_lead();
    let fb = |by: &str| Event::LeadFeedback {
        lead: "l1".into(),
        by: by.into(),
        status: FeedbackStatus::Won,
        note: None,
    };
    let e = check(&o, &fb("anna"), ctx(NOW, true)).unwrap_err();
    assert_eq!(
        (e.code, e.field.as_deref()),
        ("feedback_by_giver", Some("data.by"))
    );
    let e = check(&o, &fb("cia"), ctx(NOW, true)).unwrap_err();
    assert_eq!(e.code, "not_in_receiving_division");
    check(&o, &fb("bo"), ctx(NOW, false)).unwrap();
    // Dated before the lead: refused by business time.
    let e = check(&o, &fb("bo"), ctx(NOW - 7_200_000_000, false)).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("occurred_at"));
}

#[test]
fn orders_reference_leads_of_their_own_receiving_division() {
    let o = with_lead();
    assert_eq!(
        field(check(&o, &order("cia", 100, Some("l1")), ctx(NOW, true))).as_deref(),
        Some("data.lead")
    );
    check(&o, &order("bo", 100, Some("l1")), ctx(NOW, false)).unwrap();
    assert_eq!(
        field(check(
            &o,
            &order("bo", 100, Some("l1")),
            ctx(NOW - 7_200_000_000, true)
        ))
        .as_deref(),
        Some("occurred_at")
    );
}

#[test]
fn business_time_bounds() {
    let o = with_lead();
    let m = Event::MeetingHeld {
        seller: "bo".into(),
        customer: "c".into(),
        lead: None,
    };
    // 1900-01-01: refused for everyone.
    let e = check(&o, &m, ctx(-2_208_988_800_000_000, true)).unwrap_err();
    assert_eq!(
        (e.code, e.field.as_deref()),
        ("too_old", Some("occurred_at"))
    );
    // Eight days back: a leader may, a seller may not; seven is fine.
    let eight = NOW - 8 * DAY_US;
    assert_eq!(
        field(check(&o, &m, ctx(eight, false))).as_deref(),
        Some("occurred_at")
    );
    check(&o, &m, ctx(eight, true)).unwrap();
    check(&o, &m, ctx(NOW - 7 * DAY_US, false)).unwrap();
}

#[test]
fn max_amount_binds_sellers_not_leaders() {
    let o = with_lead();
    let big = order("bo", 10_000_000_001, None);
    assert_eq!(
        field(check(&o, &big, ctx(NOW, false))).as_deref(),
        Some("data.amount")
    );
    check(&o, &big, ctx(NOW, true)).unwrap();
    check(&o, &order("bo", 10_000_000_000, None), ctx(NOW, false)).unwrap();
    assert_eq!(
        field(check(
            &o,
            &order("bo", MAX_ORDER_AMOUNT + 1, None),
            ctx(NOW, true)
        ))
        .as_deref(),
        Some("data.amount")
    );
}

#[test]
fn rejections_name_the_field() {
    let o = crate::domain::org::test_org();
    let jv = Event::JointVisit {
        host: "anna".into(),
        guests: vec!["bo".into(), "anna".into()],
        customer: "c".into(),
    };
    let e = check(&o, &jv, ctx(NOW, true)).unwrap_err();
    assert_eq!(
        (e.code, e.field.as_deref()),
        ("host_among_guests", Some("data.guests[1]"))
    );
    let dup = Event::SellerJoined {
        id: "bo".into(),
        name: "Bo".into(),
        division: "a".into(),
    };
    assert!(check(&o, &dup, ctx(NOW, true)).unwrap_err().conflict);
}
