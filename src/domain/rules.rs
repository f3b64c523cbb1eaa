//! Point rules: what earns points, as data.
//!
//! A rule set is plain JSON so leaders can edit it and the log can keep it as
//! text. Every field has a default, so an old stored rule set still parses
//! when the language grows, and a draft may name only what it changes.
//! Points are integers; multipliers and shares are whole percentages so that
//! scoring is exact and the same on every machine.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::game_rules::{
    default_achievements, default_levels, validate_achievements, validate_levels, validate_season,
    AchievementRule, KudosRule, LevelRule, StreakRule,
};
use crate::domain::time::WindowKind;

/// The kinds of points a seller can earn. A board's points are their sum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScoreKind {
    /// Giving a lead to a colleague.
    Lead,
    /// Reporting back on a lead one received.
    Feedback,
    /// Joining or hosting a joint customer visit.
    JointVisit,
    /// Holding a customer meeting.
    Meeting,
    /// Closing an order.
    Order,
    /// The giver's share of an order that came from their lead (give to get).
    LeadShare,
    /// Bonus to the giver when their lead is reported won.
    LeadWon,
    /// Hosting or helping in a sales mastermind (team selling).
    Mastermind,
    /// Organising or staffing a customer seminar or interview round.
    CustomerEvent,
    /// Bonus when an order from a lead is first reported delivered.
    Delivered,
    /// Bonus to both when a giver's lead first reaches a colleague.
    FirstPair,
    /// Bonus to the giver of a qualified lead (need, timing, contact).
    LeadQualified,
    /// Bonus to the giver when their lead is first reported meeting_booked.
    LeadMeeting,
    /// Teaching another division what one's own sells.
    KnowledgePresented,
    /// Attending such a session.
    KnowledgeAttended,
    /// Thanks from a colleague (`kudos_given`).
    Kudos,
}

pub const KIND_COUNT: usize = 16;

impl ScoreKind {
    pub const ALL: [ScoreKind; KIND_COUNT] = [
        ScoreKind::Lead,
        ScoreKind::Feedback,
        ScoreKind::JointVisit,
        ScoreKind::Meeting,
        ScoreKind::Order,
        ScoreKind::LeadShare,
        ScoreKind::LeadWon,
        ScoreKind::Mastermind,
        ScoreKind::CustomerEvent,
        ScoreKind::Delivered,
        ScoreKind::FirstPair,
        ScoreKind::LeadQualified,
        ScoreKind::LeadMeeting,
        ScoreKind::KnowledgePresented,
        ScoreKind::KnowledgeAttended,
        ScoreKind::Kudos,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ScoreKind::Lead => "lead",
            ScoreKind::Feedback => "feedback",
            ScoreKind::JointVisit => "joint_visit",
            ScoreKind::Meeting => "meeting",
            ScoreKind::Order => "order",
            ScoreKind::LeadShare => "lead_share",
            ScoreKind::LeadWon => "lead_won",
            ScoreKind::Mastermind => "mastermind",
            ScoreKind::CustomerEvent => "customer_event",
            ScoreKind::Delivered => "delivered",
            ScoreKind::FirstPair => "first_pair",
            ScoreKind::LeadQualified => "lead_qualified",
            ScoreKind::LeadMeeting => "lead_meeting",
            ScoreKind::KnowledgePresented => "knowledge_presented",
            ScoreKind::KnowledgeAttended => "knowledge_attended",
            ScoreKind::Kudos => "kudos",
        }
    }
}

/// A complete rule set. See the README for a worked example.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RuleSet {
    /// Points for giving a lead.
    pub lead_given: i64,
    /// Points for the first feedback on a lead, to the seller who reports it.
    pub lead_feedback: i64,
    /// Extra points when that first feedback comes within
    /// `timely_feedback_days` of the lead.
    pub timely_feedback_bonus: i64,
    pub timely_feedback_days: i64,
    /// Points for holding a meeting.
    pub meeting_held: i64,
    /// Joint visit points for the host, and for each guest.
    pub joint_visit_host: i64,
    pub joint_visit_guest: i64,
    /// Percent applied to leads and joint visits that cross divisions
    /// (200 = double). Work inside one's own division is not cross-selling
    /// and scores the plain points.
    pub cross_division_multiplier_pct: i64,
    pub order: OrderRule,
    /// Percent of an order's points that also goes to the giver of the lead
    /// it came from. The closer keeps all their points: giving costs nobody.
    pub giver_share_pct: i64,
    /// Bonus to the giver when their lead is first reported `won`.
    pub lead_won_bonus: i64,
    /// Most points a seller can earn per kind per local day (anti-gaming),
    /// across all the divisions they were in that day, so moving division
    /// mid-day does not open a second cap. Kinds not listed are uncapped.
    pub daily_caps: BTreeMap<ScoreKind, i64>,
    /// How many days back a seller may date an event. Leaders and imports
    /// may record older history; a seller token could otherwise rewrite a
    /// closed month.
    pub backdate_days: i64,
    /// Team selling: points for the host of a mastermind and for each
    /// helper, for the organiser of a customer event and for each seller
    /// who staffs it.
    pub mastermind_host: i64,
    pub mastermind_helper: i64,
    pub customer_event_organiser: i64,
    pub customer_event_seller: i64,
    /// Promises kept: to the giver and to the seller when an order that came
    /// from a lead is first reported `delivered`. Off (0) by default.
    pub delivered_bonus: i64,
    /// Hours a receiving division has to report back on a lead before it
    /// is overdue.
    pub feedback_sla_hours: i64,
    /// Count only Monday to Friday (local days in the org's time zone)
    /// towards `feedback_sla_hours`: a lead given on Friday afternoon is
    /// not late on Sunday.
    pub feedback_sla_business_days: bool,
    /// Points to both giver and receiver the first time a giver's lead
    /// reaches that colleague (named in the lead, or claiming it); 0 = off.
    pub first_pair_bonus: i64,
    /// Commission as a whole percent of an order's amount, by the selling
    /// division (the closer's division at the order's business time):
    /// `{"default": 5, "<division id>": 8}`. A figure shown beside the
    /// collaboration value, not points. Without `default`, 5.
    pub commission_pct: BTreeMap<String, i64>,
    /// Bonus to the giver of a qualified lead (need, known timing, contact).
    pub qualified_lead_bonus: i64,
    /// Bonus to the giver when the receiver first reports `meeting_booked`.
    pub lead_meeting_bonus: i64,
    /// Points for presenting a `knowledge_shared` session, and for each
    /// attendee.
    pub knowledge_presenter: i64,
    pub knowledge_attendee: i64,
    /// Fewest leads in the window to appear on the quality board, so one
    /// lucky lead does not top it.
    pub quality_min_leads: i64,
    /// The game (see [`crate::domain::game_rules`]): badges, levels by
    /// all-time points, what makes a week count toward a streak, kudos,
    /// and how long a season lasts (`month`, `quarter`, `year`).
    pub achievements: Vec<AchievementRule>,
    pub levels: Vec<LevelRule>,
    pub streak: StreakRule,
    pub kudos: KudosRule,
    pub season: String,
}

/// Order points: `base + per_unit_points × ⌊amount in reference minor units
/// ÷ unit⌋`. Amounts in other currencies are converted with `rates`; an
/// order in a currency without a rate earns the base only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OrderRule {
    pub base: i64,
    pub per_unit_points: i64,
    /// Size of one unit, in minor units of `currency` (100000 = 1,000.00).
    pub unit: i64,
    /// The reference currency (ISO 4217).
    pub currency: String,
    /// Reference minor units per minor unit of another currency.
    pub rates: BTreeMap<String, f64>,
    /// Largest order (in reference minor units) a seller token may post;
    /// a typo of a few zeros would otherwise top every board. Leaders may
    /// post larger ones.
    pub max_amount: i64,
}

impl Default for OrderRule {
    fn default() -> Self {
        OrderRule {
            base: 20,
            per_unit_points: 1,
            unit: 1_000_000,
            currency: "SEK".into(),
            rates: [
                ("EUR", 11.5),
                ("USD", 10.5),
                ("NOK", 1.0),
                ("DKK", 1.55),
                ("GBP", 13.5),
            ]
            .into_iter()
            .map(|(c, r)| (c.to_string(), r))
            .collect(),
            max_amount: 10_000_000_000,
        }
    }
}

impl Default for RuleSet {
    fn default() -> Self {
        RuleSet {
            lead_given: 10,
            lead_feedback: 3,
            timely_feedback_bonus: 2,
            timely_feedback_days: 2,
            meeting_held: 5,
            joint_visit_host: 8,
            joint_visit_guest: 8,
            cross_division_multiplier_pct: 200,
            order: OrderRule::default(),
            giver_share_pct: 25,
            lead_won_bonus: 15,
            daily_caps: BTreeMap::new(),
            backdate_days: 7,
            mastermind_host: 5,
            mastermind_helper: 5,
            customer_event_organiser: 8,
            customer_event_seller: 4,
            delivered_bonus: 0,
            feedback_sla_hours: 48,
            feedback_sla_business_days: false,
            first_pair_bonus: 0,
            commission_pct: [("default".to_string(), DEFAULT_COMMISSION_PCT)].into(),
            qualified_lead_bonus: 5,
            lead_meeting_bonus: 5,
            knowledge_presenter: 10,
            knowledge_attendee: 3,
            quality_min_leads: 5,
            achievements: default_achievements(),
            levels: default_levels(),
            streak: StreakRule::default(),
            kudos: KudosRule::default(),
            season: "quarter".into(),
        }
    }
}

/// Commission percent when a rule set names none for a division.
pub const DEFAULT_COMMISSION_PCT: i64 = 5;

/// Most points one event may give one seller. Small enough that millions
/// of maximal credits still sum inside an i64, so board arithmetic is exact.
pub const MAX_CREDIT: i64 = 1_000_000_000_000;

/// The largest order amount anyone may post (minor units); matches the API's
/// own ceiling so amount sums cannot overflow either.
pub const MAX_ORDER_AMOUNT: i64 = 1_000_000_000_000_000;

/// A rule set that breaks a rule, with the JSON path of the culprit.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleError {
    pub field: String,
    pub message: String,
}

impl RuleSet {
    /// Parses and validates a rule set from JSON, naming the field at fault.
    pub fn from_json(value: &serde_json::Value) -> Result<RuleSet, RuleError> {
        let rules: RuleSet = serde_json::from_value(value.clone()).map_err(|e| {
            let msg = e.to_string();
            let field = unknown_field_name(&msg).unwrap_or_default();
            RuleError {
                field,
                message: msg,
            }
        })?;
        rules.validate()?;
        Ok(rules)
    }

    pub fn validate(&self) -> Result<(), RuleError> {
        let non_negative = [
            ("lead_given", self.lead_given),
            ("lead_feedback", self.lead_feedback),
            ("timely_feedback_bonus", self.timely_feedback_bonus),
            ("timely_feedback_days", self.timely_feedback_days),
            ("meeting_held", self.meeting_held),
            ("joint_visit_host", self.joint_visit_host),
            ("joint_visit_guest", self.joint_visit_guest),
            (
                "cross_division_multiplier_pct",
                self.cross_division_multiplier_pct,
            ),
            ("lead_won_bonus", self.lead_won_bonus),
            ("first_pair_bonus", self.first_pair_bonus),
            ("qualified_lead_bonus", self.qualified_lead_bonus),
            ("lead_meeting_bonus", self.lead_meeting_bonus),
            ("knowledge_presenter", self.knowledge_presenter),
            ("knowledge_attendee", self.knowledge_attendee),
            ("order.base", self.order.base),
            ("order.per_unit_points", self.order.per_unit_points),
            ("mastermind_host", self.mastermind_host),
            ("mastermind_helper", self.mastermind_helper),
            ("customer_event_organiser", self.customer_event_organiser),
            ("customer_event_seller", self.customer_event_seller),
            ("delivered_bonus", self.delivered_bonus),
        ];
        for (field, v) in non_negative {
            if !(0..=1_000_000).contains(&v) {
                return Err(err(field, "must be between 0 and 1000000"));
            }
        }
        if !(0..=100).contains(&self.giver_share_pct) {
            return Err(err("giver_share_pct", "must be a percentage from 0 to 100"));
        }
        if self.cross_division_multiplier_pct > 10_000 {
            return Err(err(
                "cross_division_multiplier_pct",
                "must be at most 10000 (100x)",
            ));
        }
        if self.timely_feedback_days > 365 {
            return Err(err("timely_feedback_days", "must be at most 365"));
        }
        if self.order.unit <= 0 {
            return Err(err(
                "order.unit",
                "must be a positive number of minor units",
            ));
        }
        if !crate::domain::org::is_currency(&self.order.currency) {
            return Err(err("order.currency", "must be an ISO 4217 currency code"));
        }
        for (cur, rate) in &self.order.rates {
            if !crate::domain::org::is_currency(cur) {
                return Err(err(
                    &format!("order.rates.{cur}"),
                    "must be an ISO 4217 currency code",
                ));
            }
            if !rate.is_finite() || *rate < 0.0 || *rate > 1e6 {
                return Err(err(
                    &format!("order.rates.{cur}"),
                    "must be a rate from 0 to 1000000",
                ));
            }
        }
        if !(0..=36_500).contains(&self.backdate_days) {
            return Err(err("backdate_days", "must be between 0 and 36500"));
        }
        if !(1..=8_760).contains(&self.feedback_sla_hours) {
            return Err(err(
                "feedback_sla_hours",
                "must be between 1 and 8760 (a year)",
            ));
        }
        if !(1..=MAX_ORDER_AMOUNT).contains(&self.order.max_amount) {
            return Err(err(
                "order.max_amount",
                &format!("must be between 1 and {MAX_ORDER_AMOUNT} minor units"),
            ));
        }
        if !(1..=1_000_000).contains(&self.quality_min_leads) {
            return Err(err("quality_min_leads", "must be between 1 and 1000000"));
        }
        for (key, pct) in &self.commission_pct {
            let field = format!("commission_pct.{key}");
            if key.trim().is_empty() || key.chars().count() > 64 {
                return Err(err(&field, "must name a division id (or default)"));
            }
            if !(0..=100).contains(pct) {
                return Err(err(&field, "must be a percentage from 0 to 100"));
            }
        }
        if !(0..=1_000_000).contains(&self.kudos.points) {
            return Err(err("kudos.points", "must be between 0 and 1000000"));
        }
        if !(0..=1_000).contains(&self.kudos.weekly_limit) {
            return Err(err("kudos.weekly_limit", "must be between 0 and 1000"));
        }
        if !(1..=10_000).contains(&self.streak.min_activities) {
            return Err(err("streak.min_activities", "must be between 1 and 10000"));
        }
        let game = validate_achievements(&self.achievements)
            .and_then(|_| validate_levels(&self.levels))
            .and_then(|_| validate_season(&self.season).map(|_| ()));
        if let Err((field, message)) = game {
            return Err(RuleError {
                message: format!("{field} {message}"),
                field,
            });
        }
        for (kind, cap) in &self.daily_caps {
            if *cap < 0 {
                return Err(err(
                    &format!("daily_caps.{}", kind.as_str()),
                    "must not be negative",
                ));
            }
        }
        Ok(())
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// Applies the cross-division multiplier where it belongs.
    pub fn crossed(&self, points: i64, cross_division: bool) -> i64 {
        if cross_division {
            points.saturating_mul(self.cross_division_multiplier_pct) / 100
        } else {
            points
        }
    }

    /// An order's amount in reference minor units, when its currency has a
    /// rate. Computed in i128 so no amount can wrap.
    pub fn reference_amount(&self, amount: i64, currency: &str) -> Option<i128> {
        let o = &self.order;
        if currency == o.currency {
            Some(amount as i128)
        } else {
            // `as` from f64 saturates, so even absurd products stay defined.
            o.rates
                .get(currency)
                .map(|rate| (amount as f64 * rate).floor() as i128)
        }
    }

    /// Points for an order, or `None` when they would exceed
    /// [`MAX_CREDIT`]: the writer refuses such an order rather than let
    /// one event dominate every sum.
    pub fn order_points_checked(&self, amount: i64, currency: &str) -> Option<i64> {
        let o = &self.order;
        let units = self
            .reference_amount(amount, currency)
            .map(|r| r / o.unit.max(1) as i128)
            .unwrap_or(0);
        let points = (o.base as i128) + units * (o.per_unit_points as i128);
        (0..=MAX_CREDIT as i128)
            .contains(&points)
            .then_some(points as i64)
    }

    /// Points for an order of `amount` minor units of `currency`. Clamped
    /// to [`MAX_CREDIT`]: a later rule change may make an accepted order
    /// worth more than the writer would accept today, and the clamp is a
    /// pure function of the event so removing it still undoes adding it.
    pub fn order_points(&self, amount: i64, currency: &str) -> i64 {
        self.order_points_checked(amount, currency)
            .unwrap_or(MAX_CREDIT)
    }

    /// The giver's share of `order_points`, rounded down.
    pub fn giver_share(&self, order_points: i64) -> i64 {
        order_points.saturating_mul(self.giver_share_pct) / 100
    }

    /// How long a season lasts; a quarter unless the set names a valid one
    /// (validation refuses any other).
    pub fn season_kind(&self) -> WindowKind {
        validate_season(&self.season).unwrap_or(WindowKind::Quarter)
    }

    /// The daily cap for a kind, if any.
    pub fn cap(&self, kind: ScoreKind) -> Option<i64> {
        self.daily_caps.get(&kind).copied()
    }
}

fn err(field: &str, message: &str) -> RuleError {
    RuleError {
        field: field.to_string(),
        message: format!("{field} {message}"),
    }
}

/// serde names an unknown field as "unknown field `x`"; pull out `x`.
fn unknown_field_name(msg: &str) -> Option<String> {
    let rest = msg.split("field `").nth(1)?;
    Some(rest.split('`').next()?.to_string())
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
