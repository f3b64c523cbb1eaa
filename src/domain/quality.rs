//! Lead quality: the share of a giver's leads that reached a meeting or
//! better, and the board of the best givers by it.
//!
//! A lead *reached a meeting* when it has a live `meeting_booked` or `won`
//! report, or a live `meeting_held` or `order_closed` names it, at any time
//! up to now. The leads counted are those given (and not voided) within
//! the window. Only givers with at least `min_leads` such leads are ranked,
//! so one lucky lead does not top the board.

use std::cmp::Ordering;

use serde::Serialize;

use crate::domain::event::FeedbackStatus;
use crate::domain::org::Lead;
use crate::domain::projection::Projection;
use crate::domain::ranking::rank_with;
use crate::domain::rows::window_us;
use crate::domain::score::{Fact, Facts};
use crate::domain::time::{Window, WindowView};

/// One giver's leads in a window and how many of them reached a meeting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct QualityCounts {
    pub leads: u64,
    pub reached: u64,
}

impl QualityCounts {
    /// `reached ÷ leads` to three decimals; `None` without leads.
    pub fn ratio(&self) -> Option<f64> {
        (self.leads > 0)
            .then(|| (self.reached as f64 / self.leads as f64 * 1000.0).round() / 1000.0)
    }

    /// Compares the exact ratios (cross-multiplied, no float).
    fn cmp_ratio(&self, other: &QualityCounts) -> Ordering {
        let a = u128::from(self.reached) * u128::from(other.leads.max(1));
        let b = u128::from(other.reached) * u128::from(self.leads.max(1));
        a.cmp(&b)
    }
}

/// Whether a lead reached a meeting or better (see the module docs).
pub fn reached_meeting(p: &Projection, l: &Lead) -> bool {
    let live = |seq: &u64| p.facts.fact(*seq).filter(|r| !r.voided);
    l.feedback.iter().filter_map(live).any(|r| {
        matches!(
            r.fact,
            Fact::Feedback {
                status: FeedbackStatus::MeetingBooked | FeedbackStatus::Won,
                ..
            }
        )
    }) || l.meetings.iter().any(|s| live(s).is_some())
        || l.orders.iter().any(|s| live(s).is_some())
}

/// Every giver's counts for leads given within `[from_us, to_us)`, indexed
/// by seller, in one pass over the leads.
pub fn quality_all(p: &Projection, from_us: i64, to_us: i64) -> Vec<QualityCounts> {
    let mut out = vec![QualityCounts::default(); p.org.sellers.len()];
    for l in p
        .org
        .leads
        .iter()
        .filter(|l| !l.voided && l.at_us >= from_us && l.at_us < to_us)
    {
        if let Some(c) = out.get_mut(l.giver as usize) {
            c.leads += 1;
            c.reached += u64::from(reached_meeting(p, l));
        }
    }
    out
}

/// One giver's counts for leads given within `[from_us, to_us)`.
pub fn giver_quality(p: &Projection, seller: u32, from_us: i64, to_us: i64) -> QualityCounts {
    let mut c = QualityCounts::default();
    for l in p
        .org
        .leads
        .iter()
        .filter(|l| l.giver == seller && !l.voided && l.at_us >= from_us && l.at_us < to_us)
    {
        c.leads += 1;
        c.reached += u64::from(reached_meeting(p, l));
    }
    c
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QualityRow {
    pub rank: u32,
    pub id: String,
    pub name: String,
    pub division: String,
    pub division_name: String,
    pub leads: u64,
    pub reached: u64,
    pub quality: f64,
}

/// `GET /api/v1/boards/quality`: the best lead givers by quality.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QualityBoard {
    pub seq: u64,
    pub board: &'static str,
    pub window: WindowView,
    pub min_leads: u64,
    /// Rows before the `limit` cut.
    pub total: usize,
    pub rows: Vec<QualityRow>,
}

/// Givers with at least `min_leads` leads in the window, ranked by exact
/// quality (equal ratios share a rank), then by id. `limit` keeps the top
/// rows and everyone tied with the last one kept.
pub fn quality_board(
    p: &Projection,
    window: &Window,
    min_leads: u64,
    limit: Option<usize>,
) -> QualityBoard {
    let (from, to) = window_us(window);
    let counts = quality_all(p, from, to);
    let org = &p.org;
    let mut rows: Vec<(QualityCounts, u32, &str)> = counts
        .into_iter()
        .enumerate()
        .filter(|(_, c)| c.leads >= min_leads.max(1))
        .map(|(s, c)| (c, s as u32, org.sellers[s].id.as_str()))
        .collect();
    let ranks = rank_with(&mut rows, |a, b| a.0.cmp_ratio(&b.0), |r| r.2);
    let total = rows.len();
    let keep = limit.unwrap_or(usize::MAX).min(total);
    let keep = match keep.checked_sub(1).map(|i| ranks[i]) {
        Some(last) => ranks.iter().take_while(|r| **r <= last).count(),
        None => 0,
    };
    let rows = rows
        .into_iter()
        .zip(ranks)
        .take(keep)
        .map(|((c, s, _), rank)| {
            let seller = &org.sellers[s as usize];
            let d = &org.divisions[seller.division as usize];
            QualityRow {
                rank,
                id: seller.id.clone(),
                name: seller.name.clone(),
                division: d.id.clone(),
                division_name: d.name.clone(),
                leads: c.leads,
                reached: c.reached,
                quality: c.ratio().unwrap_or(0.0),
            }
        })
        .collect();
    QualityBoard {
        seq: p.seq(),
        board: "quality",
        window: window.view(),
        min_leads,
        total,
        rows,
    }
}

#[cfg(test)]
#[path = "practice_tests.rs"]
mod tests;
