//! Competitions between divisions: a bounded period, a set of divisions,
//! and scoring by sum or per seller so that a small division can beat a
//! large one on effort rather than headcount. This is the read side; the
//! state and its freezing live in [`crate::domain::contest`].

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use crate::domain::contest::Competition;
use crate::domain::projection::Projection;
use crate::domain::rules::RuleSet;
use crate::domain::time::format_us;
pub use crate::domain::winner::{winners, Standing};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Upcoming,
    Running,
    /// Past `end` but within the grace period: late reports still count.
    Provisional,
    Closed,
}

pub fn status(c: &Competition, now: DateTime<Utc>) -> Status {
    let now_us = crate::domain::time::micros(now);
    if c.closed || now_us >= c.auto_close_us() {
        Status::Closed
    } else if now_us < c.start_us {
        Status::Upcoming
    } else if now_us < c.end_us {
        Status::Running
    } else {
        Status::Provisional
    }
}

/// Standings of a competition (frozen once it closed).
pub fn standings(p: &Projection, c: &Competition) -> Vec<Standing> {
    crate::domain::contest::standings_of(&p.org, c)
}

/// The competition as the API and the live socket show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompetitionView {
    /// Set by callers that report the log position (`GET` one, live).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// Set when sent as a live board (`competition:<id>`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub board: Option<String>,
    pub id: String,
    pub name: String,
    pub start: String,
    pub end: String,
    pub grace_hours: i64,
    pub divisions: Vec<String>,
    pub scoring: &'static str,
    pub rules: Option<RuleSet>,
    pub status: Status,
    pub standings: Vec<Standing>,
    /// Present once closed.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub result: Option<CompetitionResult>,
}

/// Who won a closed competition: one winner, a shared win, or nobody
/// (when nobody scored).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompetitionResult {
    pub winners: Vec<String>,
    pub winner: Option<String>,
    pub tie: bool,
}

/// The competition with standings and, once closed, the winner (or the
/// tied winners).
pub fn view(p: &Projection, c: &Competition, now: DateTime<Utc>) -> CompetitionView {
    let rows = standings(p, c);
    let st = status(c, now);
    let result = (st == Status::Closed).then(|| {
        let ids: Vec<String> = winners(&rows).iter().map(|r| r.id.clone()).collect();
        CompetitionResult {
            winner: (ids.len() == 1).then(|| ids[0].clone()),
            tie: ids.len() > 1,
            winners: ids,
        }
    });
    CompetitionView {
        seq: None,
        board: None,
        id: c.id.clone(),
        name: c.name.clone(),
        start: format_us(c.start_us),
        end: format_us(c.end_us),
        grace_hours: c.grace_us / 3_600_000_000,
        divisions: c
            .divisions
            .iter()
            .filter_map(|d| p.org.divisions.get(*d as usize))
            .map(|d| d.id.clone())
            .collect(),
        scoring: if c.per_seller { "per_seller" } else { "sum" },
        rules: c.rules.as_deref().cloned(),
        status: st,
        standings: rows,
        result,
    }
}

/// Kept for callers of the old name: the same view.
pub fn standings_json(p: &Projection, c: &Competition, now: DateTime<Utc>) -> CompetitionView {
    view(p, c, now)
}
