//! The game's part of the rule set: achievements, levels, streaks, kudos
//! and seasons, as data a leader edits, previews and versions like points.
//!
//! Defaults reward what cross-selling needs (leads to other divisions,
//! feedback on time, joint work, shared credit), so a new org plays
//! without writing a single rule.

use serde::{Deserialize, Serialize};

use crate::domain::metric::Metric;
use crate::domain::time::WindowKind;

/// A badge: earned the first time `metric` reaches `threshold` within one
/// window of `window` (a board window, `all` or `season`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AchievementRule {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub metric: String,
    pub threshold: i64,
    #[serde(default = "all_window")]
    pub window: String,
}

fn all_window() -> String {
    "all".into()
}

/// A level, reached at `points` all-time points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelRule {
    pub name: String,
    pub points: i64,
}

/// A week counts toward a streak with at least this many cross-selling
/// activities (leads given, feedback, joint visits, orders from leads).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StreakRule {
    pub min_activities: i64,
}

impl Default for StreakRule {
    fn default() -> Self {
        StreakRule { min_activities: 1 }
    }
}

/// Points for the receiver of a kudos, and how many one seller may give
/// per local week (so thanks stay worth something).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KudosRule {
    pub points: i64,
    pub weekly_limit: i64,
}

impl Default for KudosRule {
    fn default() -> Self {
        KudosRule {
            points: 2,
            weekly_limit: 5,
        }
    }
}

/// Season lengths a rule set may pick.
pub const SEASON_KINDS: [WindowKind; 3] =
    [WindowKind::Month, WindowKind::Quarter, WindowKind::Year];

/// The achievements a new org starts with.
pub fn default_achievements() -> Vec<AchievementRule> {
    let a = |id: &str, name: &str, description: &str, metric: Metric, threshold, window: &str| {
        AchievementRule {
            id: id.into(),
            name: name.into(),
            description: description.into(),
            metric: metric.as_str().into(),
            threshold,
            window: window.into(),
        }
    };
    vec![
        a(
            "first_lead",
            "First bridge",
            "Gave a first lead to another division",
            Metric::LeadsGiven,
            1,
            "all",
        ),
        a(
            "first_order_from_lead",
            "Caught the pass",
            "Closed a first order from a colleague's lead",
            Metric::OrdersFromLeads,
            1,
            "all",
        ),
        a(
            "bridge_builder",
            "Bridge builder",
            "Gave leads to every other division",
            Metric::EveryDivision,
            1,
            "all",
        ),
        a(
            "on_time",
            "On time",
            "Five first reports on time in one week",
            Metric::TimelyFeedback,
            5,
            "week",
        ),
        a(
            "side_by_side",
            "Side by side",
            "Five joint customer visits",
            Metric::JointVisits,
            5,
            "all",
        ),
        a(
            "give_to_get",
            "Give to get",
            "Earned a giver's share of a colleague's order",
            Metric::LeadSharePoints,
            1,
            "all",
        ),
        a(
            "four_week_streak",
            "Four in a row",
            "Cross-sold four weeks in a row",
            Metric::StreakWeeks,
            4,
            "all",
        ),
        a(
            "mastermind_helper",
            "Second brain",
            "Helped a colleague's mastermind",
            Metric::MastermindsHelped,
            1,
            "all",
        ),
        a(
            "thanked",
            "Thanked",
            "Received five kudos",
            Metric::KudosReceived,
            5,
            "all",
        ),
        a(
            "lead_machine",
            "Lead machine",
            "Ten leads to other divisions in one month",
            Metric::LeadsGiven,
            10,
            "month",
        ),
    ]
}

/// The levels a new org starts with.
pub fn default_levels() -> Vec<LevelRule> {
    [
        ("Rookie", 0),
        ("Connector", 100),
        ("Bridge builder", 500),
        ("Rainmaker", 2_000),
        ("Legend", 10_000),
    ]
    .into_iter()
    .map(|(name, points)| LevelRule {
        name: name.into(),
        points,
    })
    .collect()
}

/// Where a game rule breaks the language, as `(field, message)`.
pub type GameRuleError = (String, String);

pub fn validate_achievements(list: &[AchievementRule]) -> Result<(), GameRuleError> {
    if list.len() > 200 {
        return Err(("achievements".into(), "at most 200 achievements".into()));
    }
    for (i, a) in list.iter().enumerate() {
        let f = |name: &str| format!("achievements[{i}].{name}");
        let ok_id = !a.id.is_empty()
            && a.id.len() <= 64
            && a.id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
        if !ok_id {
            return Err((
                f("id"),
                "must be 1-64 letters, digits, '_', '-' or '.'".into(),
            ));
        }
        if list[..i].iter().any(|b| b.id == a.id) {
            return Err((f("id"), format!("'{}' is listed twice", a.id)));
        }
        if a.name.trim().is_empty() || a.name.chars().count() > 100 {
            return Err((f("name"), "must be 1-100 characters".into()));
        }
        if a.description.chars().count() > 300 {
            return Err((f("description"), "must be at most 300 characters".into()));
        }
        if Metric::parse(&a.metric).is_none() {
            return Err((f("metric"), format!("must be one of {}", Metric::names())));
        }
        if !(1..=1_000_000_000_000).contains(&a.threshold) {
            return Err((f("threshold"), "must be between 1 and 10^12".into()));
        }
        if a.window != "season" && WindowKind::parse(&a.window).is_none() {
            return Err((
                f("window"),
                "must be one of day, week, month, quarter, year, all, season".into(),
            ));
        }
    }
    Ok(())
}

pub fn validate_levels(list: &[LevelRule]) -> Result<(), GameRuleError> {
    if list.len() > 100 {
        return Err(("levels".into(), "at most 100 levels".into()));
    }
    for (i, l) in list.iter().enumerate() {
        if l.name.trim().is_empty() || l.name.chars().count() > 100 {
            return Err((
                format!("levels[{i}].name"),
                "must be 1-100 characters".into(),
            ));
        }
        let floor = if i == 0 { -1 } else { list[i - 1].points };
        if l.points <= floor || l.points > 1_000_000_000_000 {
            return Err((
                format!("levels[{i}].points"),
                "must rise from level to level, from 0 up to 10^12".into(),
            ));
        }
    }
    Ok(())
}

pub fn validate_season(season: &str) -> Result<WindowKind, GameRuleError> {
    WindowKind::parse(season)
        .filter(|k| SEASON_KINDS.contains(k))
        .ok_or_else(|| {
            (
                "season".into(),
                "must be one of month, quarter, year".into(),
            )
        })
}
