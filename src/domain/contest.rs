//! A competition's state and its standings, computed from the org and the
//! competition's own scoreboard only, so the projection can freeze them at
//! close without depending on the read models built on top of it.

use std::sync::Arc;

use crate::domain::cells::Scoreboard;
use crate::domain::membership::{cmp_per_seller, headcounts, per_seller};
use crate::domain::org::Org;
use crate::domain::ranking::{rank_by, rank_with};
use crate::domain::rules::RuleSet;
use crate::domain::time::{Window, WindowKind};
use crate::domain::timeline::Timeline;
use crate::domain::winner::Standing;

/// A competition between divisions over a bounded period.
#[derive(Debug, Clone)]
pub struct Competition {
    pub id: String,
    pub name: String,
    pub start_us: i64,
    pub end_us: i64,
    /// How long after `end` late reports still count (results provisional).
    pub grace_us: i64,
    pub divisions: Vec<u32>,
    pub per_seller: bool,
    pub rules: Option<Arc<RuleSet>>,
    /// Closed by a leader, or by the first event recorded after
    /// `end + grace`. Either way the standings are frozen from then on.
    pub closed: bool,
    /// The instant it closed: a leader's close's recorded time, or
    /// `end + grace`.
    pub closed_at: Option<i64>,
    /// The standings at close. Late events, voids and rule publishes after
    /// that change nothing, so a winner once announced stays the winner.
    pub frozen: Option<Vec<Standing>>,
    /// The last seq counted before it closed.
    pub closed_seq: Option<u64>,
    pub created_seq: u64,
    /// Points from events in the period, kept up to date like the main
    /// board so standings cost a sum, not a re-score of the whole log.
    /// Emptied once frozen.
    pub score: Scoreboard,
}

impl Competition {
    pub fn covers(&self, at_us: i64) -> bool {
        self.start_us <= at_us && at_us < self.end_us
    }

    /// When it closes by itself: `end` plus the grace period.
    pub fn auto_close_us(&self) -> i64 {
        self.end_us.saturating_add(self.grace_us)
    }

    /// The rules it scores by: its own, or the org's timeline.
    pub fn timeline(&self, live: &Timeline) -> Timeline {
        match &self.rules {
            Some(rules) => Timeline::new((**rules).clone()),
            None => live.clone(),
        }
    }

    /// Closes it at `at_us`, after `last_seq`, keeping today's standings.
    pub fn freeze(&mut self, org: &Org, at_us: i64, last_seq: u64) {
        if self.closed {
            return;
        }
        self.frozen = Some(standings_of(org, self));
        self.closed = true;
        self.closed_at = Some(at_us);
        self.closed_seq = Some(last_seq);
        self.score = Scoreboard::new(self.score.timeline.clone());
    }
}

/// Standings: frozen ones once closed; otherwise each participating
/// division's points from events in the period, credited to the division
/// each seller was in at the time, ranked by sum or exactly by points per
/// seller.
pub fn standings_of(org: &Org, c: &Competition) -> Vec<Standing> {
    if let Some(frozen) = &c.frozen {
        return frozen.clone();
    }
    let all = Window::containing(
        WindowKind::All,
        chrono::DateTime::UNIX_EPOCH,
        chrono_tz::UTC,
    );
    let totals = c.score.division_points(&all, org.divisions.len());
    let heads = headcounts(org, c.start_us, c.end_us, c.score.credited(&all));
    let mut rows: Vec<Standing> = c
        .divisions
        .iter()
        .filter_map(|d| {
            let d = *d as usize;
            let division = org.divisions.get(d)?;
            let total = totals.get(d).copied().unwrap_or(0);
            let sellers = heads.get(d).copied().unwrap_or(0);
            Some(Standing {
                rank: 0,
                id: division.id.clone(),
                name: division.name.clone(),
                points: if c.per_seller {
                    per_seller(total, sellers)
                } else {
                    total as f64
                },
                total,
                sellers,
            })
        })
        .collect();
    let ranks = if c.per_seller {
        rank_with(
            &mut rows,
            |a, b| cmp_per_seller((a.total, a.sellers), (b.total, b.sellers)),
            |r| &r.id,
        )
    } else {
        rank_by(&mut rows, |r| r.total, |r| &r.id)
    };
    for (row, rank) in rows.iter_mut().zip(ranks) {
        row.rank = rank;
    }
    rows
}
