//! Counted measures (leads given, feedback on time, orders from leads, ...)
//! per local day and division, kept by the fold like the scoreboard keeps
//! points: so a division's or the org's measure over a month is a sum of
//! thirty small rows, not a walk over the month's events.
//!
//! Kept exactly: an event's counts are taken out and put back by the same
//! calls that take out and put back its credits (the projection's
//! `score_change`), and they depend on the same state as credits (its own
//! fact, its lead's reports and void flags, the rules of its business
//! time), so removing an event undoes adding it. A rules publish rebuilds
//! them, as it rebuilds the scoreboard.

use std::collections::BTreeMap;

use crate::domain::metric::{contributions, Contribution, Metric};
use crate::domain::org::DivisionIx;
use crate::domain::projection::Projection;
use crate::domain::time::Day;

/// Counts by [`Metric`] position in [`Metric::ALL`].
pub type Counts = [i64; Metric::ALL.len()];

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DayCounts {
    days: BTreeMap<Day, Vec<(DivisionIx, Counts)>>,
}

fn slot(m: Metric) -> usize {
    Metric::ALL.iter().position(|x| *x == m).unwrap_or(0)
}

impl DayCounts {
    /// Adds (or removes) what `seq` counts. `buf` is scratch space.
    pub fn change(&mut self, p: &Projection, seq: u64, add: bool, buf: &mut Vec<Contribution>) {
        let Some(day) = p.facts.get((seq as usize).wrapping_sub(1)).map(|f| f.day) else {
            return;
        };
        buf.clear();
        contributions(p, seq, false, buf);
        self.apply(day, buf, add);
    }

    fn apply(&mut self, day: Day, found: &[Contribution], add: bool) {
        if found.iter().all(|c| c.metric.is_points()) {
            return;
        }
        let rows = self.days.entry(day).or_default();
        for c in found.iter().filter(|c| !c.metric.is_points()) {
            // Sorted by division, so equal counts compare equal however
            // they were reached.
            let i = match rows.binary_search_by_key(&c.division, |(d, _)| *d) {
                Ok(i) => i,
                Err(i) => {
                    rows.insert(i, (c.division, [0; Metric::ALL.len()]));
                    i
                }
            };
            let v = &mut rows[i].1[slot(c.metric)];
            // Wrapping keeps add and remove exact inverses.
            *v = if add {
                v.wrapping_add(c.amount)
            } else {
                v.wrapping_sub(c.amount)
            };
            if rows[i].1.iter().all(|x| *x == 0) {
                rows.remove(i);
            }
        }
        if rows.is_empty() {
            self.days.remove(&day);
        }
    }

    /// Rebuilt from every fact (after a rules publish).
    pub fn build(p: &Projection) -> DayCounts {
        let mut out = DayCounts::default();
        let mut buf = Vec::new();
        for (i, f) in p.facts.iter().enumerate() {
            if f.voided {
                continue;
            }
            buf.clear();
            contributions(p, i as u64 + 1, false, &mut buf);
            out.apply(f.day, &buf, true);
        }
        out
    }

    /// Calls `f` with each day's count of `metric` for `division` (every
    /// division when `None`) over `[from, to)`.
    pub fn each(
        &self,
        metric: Metric,
        division: Option<DivisionIx>,
        from: Day,
        to: Day,
        mut f: impl FnMut(Day, i64),
    ) {
        if from >= to {
            return;
        }
        let k = slot(metric);
        for (day, rows) in self.days.range(from..to) {
            let v: i64 = rows
                .iter()
                .filter(|(d, _)| division.is_none_or(|x| x == *d))
                .map(|(_, c)| c[k])
                .fold(0, i64::wrapping_add);
            if v != 0 {
                f(*day, v);
            }
        }
    }
}
