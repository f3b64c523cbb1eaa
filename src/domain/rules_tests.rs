//! Unit tests of `rules.rs`, kept beside it so the module itself stays one
//! screenful of logic.

use super::*;
use serde_json::json;

#[test]
fn default_rules_are_valid_and_round_trip() {
    let r = RuleSet::default();
    r.validate().unwrap();
    assert_eq!(RuleSet::from_json(&r.to_json()).unwrap(), r);
}

#[test]
fn partial_draft_fills_defaults() {
    let r = RuleSet::from_json(&json!({"lead_given": 42})).unwrap();
    assert_eq!(r.lead_given, 42);
    assert_eq!(r.meeting_held, RuleSet::default().meeting_held);
}

#[test]
fn validation_names_the_field() {
    let e = RuleSet::from_json(&json!({"giver_share_pct": 101})).unwrap_err();
    assert_eq!(e.field, "giver_share_pct");
    let e = RuleSet::from_json(&json!({"daily_caps": {"lead": -1}})).unwrap_err();
    assert_eq!(e.field, "daily_caps.lead");
    let e = RuleSet::from_json(&json!({"bogus_kind": 1})).unwrap_err();
    assert_eq!(e.field, "bogus_kind");
    let e = RuleSet::from_json(&json!({"order": {"unit": 0}})).unwrap_err();
    assert_eq!(e.field, "order.unit");
    assert!(RuleSet::from_json(&json!({"daily_caps": {"unknown": 5}})).is_err());
}

#[test]
fn multiplier_only_across_divisions() {
    let r = RuleSet::default();
    assert_eq!(r.crossed(10, false), 10);
    assert_eq!(r.crossed(10, true), 20);
    let r = RuleSet {
        cross_division_multiplier_pct: 150,
        ..RuleSet::default()
    };
    assert_eq!(r.crossed(5, true), 7, "rounds down");
}

#[test]
fn order_points_base_plus_units_with_conversion() {
    let r = RuleSet::default();
    // 25,000.00 SEK = 2,500,000 minor units = 2 whole units of 1,000,000.
    assert_eq!(r.order_points(2_500_000, "SEK"), 20 + 2);
    // 1,000.00 EUR = 100,000 cents = 1,150,000 SEK öre = 1 unit.
    assert_eq!(r.order_points(100_000, "EUR"), 21);
    // Unknown currency: base only.
    assert_eq!(r.order_points(999_999_999, "JPY"), 20);
}

#[test]
fn huge_orders_are_exact_or_refused() {
    let r = RuleSet::default();
    // 10^15 öre = 10^9 units of 10,000.00 SEK: exact, no float.
    assert_eq!(
        r.order_points_checked(MAX_ORDER_AMOUNT, "SEK"),
        Some(20 + 1_000_000_000)
    );
    let greedy = RuleSet {
        order: OrderRule {
            unit: 1,
            per_unit_points: 1_000_000,
            ..OrderRule::default()
        },
        ..RuleSet::default()
    };
    assert_eq!(greedy.order_points_checked(2_000_000, "SEK"), None);
    assert_eq!(greedy.order_points(2_000_000, "SEK"), MAX_CREDIT);
    assert_eq!(r.order.max_amount, 10_000_000_000);
    assert_eq!(r.backdate_days, 7);
    let e = RuleSet::from_json(&json!({"order": {"max_amount": 0}})).unwrap_err();
    assert_eq!(e.field, "order.max_amount");
}

#[test]
fn giver_share_rounds_down() {
    let r = RuleSet::default();
    assert_eq!(r.giver_share(22), 5);
    assert_eq!(r.giver_share(0), 0);
    let r = RuleSet {
        giver_share_pct: 100,
        ..RuleSet::default()
    };
    assert_eq!(r.giver_share(22), 22);
}
