//! Which rule set is in force when: versions published from an instant
//! (or retroactively), as one sorted list.

use std::sync::Arc;

use crate::domain::rules::RuleSet;
use crate::domain::time::Day;

/// The rule sets in force over time. Each entry applies from its instant
/// until the next; the first always starts at the beginning of time.
#[derive(Debug, Clone)]
pub struct Timeline {
    entries: Vec<RuleEntry>,
}

#[derive(Debug, Clone)]
struct RuleEntry {
    from_us: i64,
    from_day: Day,
    version: u32,
    rules: Arc<RuleSet>,
}

/// A published rule set that takes effect later than some instant.
#[derive(Debug, Clone, PartialEq)]
pub struct Scheduled<'a> {
    pub version: u32,
    pub effective_from: i64,
    pub rules: &'a RuleSet,
}

impl Timeline {
    pub fn new(rules: RuleSet) -> Self {
        Timeline {
            entries: vec![RuleEntry {
                from_us: i64::MIN,
                from_day: Day::MIN,
                version: 0,
                rules: Arc::new(rules),
            }],
        }
    }

    /// Publishes as the next version after the latest one.
    pub fn publish(&mut self, from_us: i64, from_day: Day, rules: Arc<RuleSet>, retroactive: bool) {
        let next = self.entries.iter().map(|e| e.version).max().unwrap_or(0) + 1;
        self.publish_version(next, from_us, from_day, rules, retroactive);
    }

    /// A retroactive publish replaces all history; a from-now publish
    /// replaces whatever was scheduled from its instant on.
    pub fn publish_version(
        &mut self,
        version: u32,
        from_us: i64,
        from_day: Day,
        rules: Arc<RuleSet>,
        retroactive: bool,
    ) {
        let (from_us, from_day) = if retroactive {
            self.entries.clear();
            (i64::MIN, Day::MIN)
        } else {
            self.entries.retain(|e| e.from_us < from_us);
            (from_us, from_day)
        };
        self.entries.push(RuleEntry {
            from_us,
            from_day,
            version,
            rules,
        });
    }

    fn index_at(&self, us: i64) -> usize {
        self.entries
            .partition_point(|e| e.from_us <= us)
            .saturating_sub(1)
    }

    pub fn at(&self, us: i64) -> &RuleSet {
        &self.entries[self.index_at(us)].rules
    }

    /// The version and rule set in force at an instant: what `GET
    /// /api/v1/rules` shows, as opposed to the latest one published.
    pub fn in_force(&self, us: i64) -> (u32, &RuleSet) {
        let e = &self.entries[self.index_at(us)];
        (e.version, &e.rules)
    }

    /// Versions published to take effect after `us`, earliest first.
    pub fn scheduled(&self, us: i64) -> Vec<Scheduled<'_>> {
        self.entries
            .iter()
            .filter(|e| e.from_us > us)
            .map(|e| Scheduled {
                version: e.version,
                effective_from: e.from_us,
                rules: &e.rules,
            })
            .collect()
    }

    /// The rule set governing the start of a local day.
    pub fn at_day(&self, day: Day) -> &RuleSet {
        let i = self.entries.partition_point(|e| e.from_day <= day);
        &self.entries[i.saturating_sub(1)].rules
    }

    /// Kinds (as bits of their index) that some rule set in force during
    /// `day` caps. Only these need per-event bookkeeping; the rest are
    /// plain sums. A superset is harmless: an uncapped instant passes
    /// points through unchanged.
    pub fn capped_on_day(&self, day: Day) -> u32 {
        let mut mask = 0u32;
        for (i, e) in self.entries.iter().enumerate() {
            let next_day = self.entries.get(i + 1).map_or(Day::MAX, |n| n.from_day);
            if e.from_day <= day && day <= next_day {
                for kind in e.rules.daily_caps.keys() {
                    mask |= 1 << kind.index();
                }
            }
        }
        mask
    }

    /// The latest published rule set, which may still be scheduled.
    pub fn current(&self) -> &RuleSet {
        &self.entries[self.entries.len() - 1].rules
    }
}
