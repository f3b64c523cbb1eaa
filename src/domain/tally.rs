//! A measure summed over a period for a seller, a division or the whole
//! org, and the event at which it first reached a goal: what challenges
//! and targets show.
//!
//! Periods are whole local days, like boards. Points come from the
//! scoreboard's cells, so daily caps hold exactly as on the boards; counts
//! come from the facts. The crossing event is found in two steps, so no
//! read sorts a quarter of events: the day from per-day sums, then the
//! event within that day in business-time order. Where a cap cut that day,
//! the running sum of the day's credits is held at the capped total, so
//! the crossing never comes before the capped sum allows.

use std::collections::BTreeMap;

use crate::domain::credit::Facts;
use crate::domain::metric::{contributions, Contribution, Metric};
use crate::domain::org::{DivisionIx, SellerIx};
use crate::domain::projection::Projection;
use crate::domain::rules::ScoreKind;
use crate::domain::time::Day;

/// Whose measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Seller(SellerIx),
    Division(DivisionIx),
    Org,
}

impl Scope {
    fn takes(self, c: &Contribution) -> bool {
        match self {
            Scope::Seller(s) => c.seller == s,
            Scope::Division(d) => c.division == d,
            Scope::Org => true,
        }
    }
}

/// A measure over a period, and when it first reached the goal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub value: i64,
    /// Business time and seq of the event that reached the goal.
    pub reached: Option<(i64, u64)>,
}

/// Capped points of `metric` in one cell's kinds.
fn cell_points(metric: Metric, kinds: &crate::domain::cells::Kinds) -> i64 {
    match metric {
        Metric::LeadSharePoints => kinds[ScoreKind::LeadShare.index()],
        _ => kinds.iter().fold(0i64, |a, k| a.wrapping_add(*k)),
    }
}

/// The live seqs in `[from, to)` that can add to `scope`: the seller's
/// own index, or the days' index for a division or the org.
fn seqs_in(p: &Projection, scope: Scope, from: Day, to: Day) -> Vec<u64> {
    let live = |s: &u64| {
        p.facts
            .fact(*s)
            .is_some_and(|f| !f.voided && from <= f.day && f.day < to)
    };
    match scope {
        Scope::Seller(s) => p.game.seqs_of(s).iter().copied().filter(live).collect(),
        _ => p.game.seqs_between(from, to).filter(live).collect(),
    }
}

/// The amount per local day of `metric` for `scope` over `[from, to)`.
fn per_day(p: &Projection, scope: Scope, metric: Metric, from: Day, to: Day) -> BTreeMap<Day, i64> {
    let mut days: BTreeMap<Day, i64> = BTreeMap::new();
    if metric.is_points() {
        let mut add = |day: Day, kinds: &crate::domain::cells::Kinds| {
            let v = days.entry(day).or_default();
            *v = v.wrapping_add(cell_points(metric, kinds));
        };
        match scope {
            Scope::Seller(s) => p
                .score
                .each_seller_cell(s, from, to, |day, _, k| add(day, k)),
            Scope::Division(want) => p.score.each_division_day(from, to, |day, d, k| {
                if d == want {
                    add(day, k)
                }
            }),
            Scope::Org => p.score.each_division_day(from, to, |day, _, k| add(day, k)),
        }
    } else if let Some(division) = match scope {
        Scope::Division(d) => Some(Some(d)),
        Scope::Org => Some(None),
        Scope::Seller(_) => None,
    } {
        p.game.counts.each(metric, division, from, to, |day, v| {
            days.insert(day, v);
        });
    } else {
        let mut buf = Vec::new();
        for seq in seqs_in(p, scope, from, to) {
            buf.clear();
            contributions(p, seq, false, &mut buf);
            let day = p.facts[seq as usize - 1].day;
            for c in buf.iter().filter(|c| c.metric == metric && scope.takes(c)) {
                let v = days.entry(day).or_default();
                *v = v.saturating_add(c.amount);
            }
        }
    }
    days.retain(|_, v| *v != 0);
    days
}

/// `metric` for `scope` over local days `[from, to)`, and the event at
/// which it first reached `goal` (when one is given).
pub fn progress(
    p: &Projection,
    scope: Scope,
    metric: Metric,
    (from, to): (Day, Day),
    goal: Option<i64>,
) -> Progress {
    let days = per_day(p, scope, metric, from, to);
    let value = days.values().fold(0i64, |a, v| a.saturating_add(*v));
    let reached = goal.and_then(|goal| {
        let mut before = 0i64;
        for (day, amount) in &days {
            if before.saturating_add(*amount) >= goal {
                return crossing(p, scope, metric, *day, before, *amount, goal);
            }
            before = before.saturating_add(*amount);
        }
        None
    });
    Progress { value, reached }
}

/// The event on `day` at which the sum, `before` at the day's start and
/// `day_total` more by its end, first reaches `goal`.
fn crossing(
    p: &Projection,
    scope: Scope,
    metric: Metric,
    day: Day,
    before: i64,
    day_total: i64,
    goal: i64,
) -> Option<(i64, u64)> {
    let mut seqs = seqs_in(p, scope, day, day + 1);
    seqs.sort_unstable_by_key(|s| (p.facts[*s as usize - 1].at_us, *s));
    let mut running = 0i64;
    let mut last = None;
    let mut buf = Vec::new();
    for seq in seqs {
        buf.clear();
        contributions(p, seq, metric.is_points(), &mut buf);
        let add: i64 = buf
            .iter()
            .filter(|c| c.metric == metric && scope.takes(c))
            .map(|c| c.amount)
            .fold(0, i64::saturating_add);
        if add == 0 {
            continue;
        }
        let at = p.facts[seq as usize - 1].at_us;
        running = running.saturating_add(add);
        last = Some((at, seq));
        if before.saturating_add(running.min(day_total)) >= goal {
            return last;
        }
    }
    // Caps can leave the day's credits short of its capped total only in
    // an inconsistent state; the day's last contribution is then the best
    // honest answer.
    last
}
