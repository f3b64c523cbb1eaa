//! Commission created by collaboration: what an order from a lead earns
//! the selling division, and the giver's share of it. A figure beside the
//! collaboration value, not points.
//!
//! Arithmetic is exact integer minor units of the order's *own* currency
//! (no conversion: a commission is paid in what the customer paid), rounded
//! down: `⌊amount × pct ÷ 100⌋`. The giver's share is
//! `⌊commission × giver_share_pct ÷ 100⌋` of that rounded commission, the
//! same percentage the giver gets of the order's points.

use crate::domain::org::{DivisionIx, Org};
use crate::domain::rules::{RuleSet, DEFAULT_COMMISSION_PCT};

/// The commission percent of a division under `rules`: its own entry, else
/// `default`, else [`DEFAULT_COMMISSION_PCT`].
pub fn commission_pct(rules: &RuleSet, division: &str) -> i64 {
    rules
        .commission_pct
        .get(division)
        .or_else(|| rules.commission_pct.get("default"))
        .copied()
        .unwrap_or(DEFAULT_COMMISSION_PCT)
}

/// Commission on `amount` minor units sold by `division`, rounded down.
/// In i128 so no amount can wrap; amounts are capped far below the point
/// where the result would not fit an i64.
pub fn commission(rules: &RuleSet, division: &str, amount: i64) -> i64 {
    let c = i128::from(amount) * i128::from(commission_pct(rules, division)) / 100;
    i64::try_from(c).unwrap_or(i64::MAX)
}

/// The giver's share of a commission, rounded down.
pub fn giver_commission(rules: &RuleSet, commission: i64) -> i64 {
    let c = i128::from(commission) * i128::from(rules.giver_share_pct) / 100;
    i64::try_from(c).unwrap_or(i64::MAX)
}

/// Commission and the giver's share of one order, under the rules in force
/// at the order's business time, by the closer's division at that time.
pub fn order_commission(
    rules: &RuleSet,
    org: &Org,
    division: DivisionIx,
    amount: i64,
) -> (i64, i64) {
    let id = org
        .divisions
        .get(division as usize)
        .map_or("", |d| d.id.as_str());
    let c = commission(rules, id, amount);
    (c, giver_commission(rules, c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn by_division_with_default_and_rounding_down() {
        let r = RuleSet::from_json(&json!({"commission_pct": {"default": 5, "b": 8}})).unwrap();
        assert_eq!(commission_pct(&r, "b"), 8);
        assert_eq!(commission_pct(&r, "a"), 5);
        // 1,234.56 EUR at 8 % = 98.7648 EUR -> 9,876 cents (down).
        assert_eq!(commission(&r, "b", 123_456), 9_876);
        // 25 % of 9,876 = 2,469 exactly; of 9,877 it would be 2,469.25 -> 2,469.
        assert_eq!(giver_commission(&r, 9_876), 2_469);
        assert_eq!(giver_commission(&r, 9_877), 2_469);
        // A draft naming only one division keeps the built-in default.
        let r = RuleSet::from_json(&json!({"commission_pct": {"b": 10}})).unwrap();
        assert_eq!(commission(&r, "a", 1_000), 50);
        // Huge orders are exact: 10^15 at 100 % is 10^15.
        let r = RuleSet::from_json(&json!({"commission_pct": {"default": 100}})).unwrap();
        assert_eq!(
            commission(&r, "a", crate::domain::rules::MAX_ORDER_AMOUNT),
            crate::domain::rules::MAX_ORDER_AMOUNT
        );
    }

    #[test]
    fn percent_is_validated_by_field() {
        let e = RuleSet::from_json(&json!({"commission_pct": {"b": 101}})).unwrap_err();
        assert_eq!(e.field, "commission_pct.b");
        let e = RuleSet::from_json(&json!({"commission_pct": {"default": -1}})).unwrap_err();
        assert_eq!(e.field, "commission_pct.default");
        assert!(RuleSet::from_json(&json!({"commission_pct": {"b": 2.5}})).is_err());
    }
}
