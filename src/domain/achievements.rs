//! A seller's trophy case: achievements earned, the weekly streak and the
//! level, read from their own events under the rules in force.
//!
//! One walk over the seller's live events in business-time order decides
//! all three, so they cannot disagree: the event that made the fourth
//! active week in a row is the one that earns "four in a row". Because
//! nothing is stored, a voided lead takes its badge back (the walk no
//! longer sees it), a back-dated event can earn one at its own business
//! time, and a rule change (even retroactive) re-evaluates every badge and
//! re-levels every seller.

use std::collections::{BTreeSet, HashMap};

use crate::domain::cells::Scoreboard;
use crate::domain::credit::{Fact, Facts};
use crate::domain::game_rules::AchievementRule;
use crate::domain::metric::{contributions_under, Metric};
use crate::domain::org::{DivisionIx, SellerIx};
use crate::domain::projection::Projection;
use crate::domain::rules::ScoreKind;
use crate::domain::time::{day_index, from_micros, week_of_day, Day, Window, WindowKind};

/// An achievement a seller holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Earned {
    pub id: String,
    pub name: String,
    pub description: String,
    /// Business time of the event that earned it.
    pub earned_at: i64,
    pub seq: u64,
}

/// Consecutive active ISO weeks; holiday weeks neither count nor break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Streak {
    pub current: u32,
    pub longest: u32,
    /// Cross-selling activities so far this week, and how many a week needs.
    pub this_week: i64,
    pub needed: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Level {
    /// 1 for the first level; 0 when the rules define none.
    pub level: u32,
    pub name: String,
    /// All-time points.
    pub points: i64,
    /// Points at which the next level begins, if there is one.
    pub next_at: Option<i64>,
    pub next_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trophies {
    pub achievements: Vec<Earned>,
    pub streak: Streak,
    pub level: Level,
}

/// The measures that make a week count toward a streak.
const STREAK_METRICS: [Metric; 4] = [
    Metric::LeadsGiven,
    Metric::FeedbackGiven,
    Metric::JointVisits,
    Metric::OrdersFromLeads,
];

/// Follows one achievement rule along the walk.
struct Tracker<'a> {
    rule: &'a AchievementRule,
    metric: Metric,
    kind: WindowKind,
    bucket: Option<Day>,
    sum: i64,
    reached: BTreeSet<DivisionIx>,
    earned: Option<(i64, u64)>,
}

/// Weeks in order, each counted once it has enough activities.
struct Weeks<'a> {
    holidays: &'a std::collections::BTreeMap<Day, String>,
    needed: i64,
    week: Option<Day>,
    count: i64,
    /// (Monday, run length) of weeks that counted, in order.
    counted: Vec<(Day, u32)>,
}

impl Weeks<'_> {
    /// The Monday before `monday`, skipping holiday weeks.
    fn previous(&self, monday: Day) -> Day {
        let mut w = monday - 7;
        while self.holidays.contains_key(&w) {
            w -= 7;
        }
        w
    }

    /// Counts `n` activities at `day`; returns the run length when this
    /// makes the week count.
    fn add(&mut self, day: Day, n: i64) -> Option<u32> {
        let monday = week_of_day(day);
        if self.week != Some(monday) {
            self.week = Some(monday);
            self.count = 0;
        }
        if n == 0 || self.holidays.contains_key(&monday) {
            return None;
        }
        let before = self.count;
        self.count += n;
        if before >= self.needed || self.count < self.needed {
            return None;
        }
        let prev = self.previous(monday);
        let run = match self.counted.last() {
            Some((w, run)) if *w == prev => run + 1,
            _ => 1,
        };
        self.counted.push((monday, run));
        Some(run)
    }

    fn streak(&self, today: Day) -> Streak {
        let this = week_of_day(today);
        let longest = self.counted.iter().map(|(_, r)| *r).max().unwrap_or(0);
        let current = match self.counted.last() {
            // This week counts, or it is still young (or a holiday) and the
            // last working week before it counted.
            Some((w, run)) if *w == this || *w == self.previous(this) => *run,
            _ => 0,
        };
        Streak {
            current,
            longest,
            this_week: if self.week == Some(this) {
                self.count
            } else {
                0
            },
            needed: self.needed,
        }
    }
}

/// The seller's live events, oldest business time first.
fn events_of(p: &Projection, seller: SellerIx) -> Vec<u64> {
    let mut seqs: Vec<u64> = p
        .game
        .seqs_of(seller)
        .iter()
        .copied()
        .filter(|s| p.facts.fact(*s).is_some_and(|f| !f.voided))
        .collect();
    seqs.sort_unstable_by_key(|s| (p.facts[*s as usize - 1].at_us, *s));
    seqs
}

/// The seller's capped points (all kinds, and the giver's share) per day.
fn capped_days(score: &Scoreboard, seller: SellerIx) -> HashMap<Day, (i64, i64)> {
    let mut out: HashMap<Day, (i64, i64)> = HashMap::new();
    score.each_seller_cell(seller, Day::MIN, Day::MAX, |day, _, k| {
        let e = out.entry(day).or_default();
        e.0 =
            e.0.wrapping_add(k.iter().fold(0i64, |a, x| a.wrapping_add(*x)));
        e.1 = e.1.wrapping_add(k[ScoreKind::LeadShare.index()]);
    });
    out
}

/// The seller's trophy case as of `now_us`.
pub fn trophies(p: &Projection, seller: SellerIx, now_us: i64) -> Trophies {
    trophies_under(p, &p.score, seller, now_us)
}

/// The trophy case under the rules and points of `score`: the projection's
/// own, or a draft's in a preview.
pub fn trophies_under(
    p: &Projection,
    score: &Scoreboard,
    seller: SellerIx,
    now_us: i64,
) -> Trophies {
    let rules = score.timeline.current();
    let season = rules.season_kind();
    let mut trackers: Vec<Tracker> = rules
        .achievements
        .iter()
        .filter_map(|rule| {
            let metric = Metric::parse(&rule.metric)?;
            let kind = match rule.window.as_str() {
                "season" => season,
                w => WindowKind::parse(w)?,
            };
            Some(Tracker {
                rule,
                metric,
                kind,
                bucket: None,
                sum: 0,
                reached: BTreeSet::new(),
                earned: None,
            })
        })
        .collect();
    let mut weeks = Weeks {
        holidays: &p.game.holidays,
        needed: rules.streak.min_activities.max(1),
        week: None,
        count: 0,
        counted: Vec::new(),
    };
    let capped = capped_days(score, seller);
    // Uncapped credits so far on the current day, and what the day's cap
    // let through before this event, for the two point measures.
    let mut day: Option<Day> = None;
    let mut raw = (0i64, 0i64);
    let mut shown = (0i64, 0i64);
    let mut buf = Vec::new();
    for seq in events_of(p, seller) {
        let rec = &p.facts[seq as usize - 1];
        if day != Some(rec.day) {
            day = Some(rec.day);
            raw = (0, 0);
            shown = (0, 0);
        }
        buf.clear();
        contributions_under(p, &score.timeline, seq, true, &mut buf);
        let mine = |m: Metric| -> i64 {
            buf.iter()
                .filter(|c| c.seller == seller && c.metric == m)
                .map(|c| c.amount)
                .fold(0, i64::saturating_add)
        };
        // Points held at the day's capped total, so a cap that cut the day
        // cannot be crossed by credits it refused.
        raw = (
            raw.0.saturating_add(mine(Metric::Points)),
            raw.1.saturating_add(mine(Metric::LeadSharePoints)),
        );
        let cap = capped.get(&rec.day).copied().unwrap_or((0, 0));
        let now = (raw.0.min(cap.0), raw.1.min(cap.1));
        let points = (now.0 - shown.0, now.1 - shown.1);
        shown = now;
        let activities = STREAK_METRICS.iter().map(|m| mine(*m)).sum::<i64>();
        let run = weeks.add(rec.day, activities);
        let lead_to = match &rec.fact {
            Fact::Lead {
                giver,
                giver_division,
                to_division,
                ..
            } if *giver == seller && giver_division != to_division => {
                Some((*giver_division, *to_division))
            }
            _ => None,
        };
        let mut windows: Vec<(WindowKind, Day)> = Vec::new();
        for t in trackers.iter_mut().filter(|t| t.earned.is_none()) {
            let bucket = match windows.iter().find(|(k, _)| *k == t.kind) {
                Some((_, b)) => *b,
                None => {
                    let b = Window::containing(t.kind, from_micros(rec.at_us), p.tz).start_day;
                    windows.push((t.kind, b));
                    b
                }
            };
            if t.bucket != Some(bucket) {
                t.bucket = Some(bucket);
                t.sum = 0;
                t.reached.clear();
            }
            let value = match t.metric {
                Metric::Points => {
                    t.sum = t.sum.saturating_add(points.0);
                    t.sum
                }
                Metric::LeadSharePoints => {
                    t.sum = t.sum.saturating_add(points.1);
                    t.sum
                }
                Metric::DivisionsReached => {
                    if let Some((_, to)) = lead_to {
                        t.reached.insert(to);
                    }
                    t.reached.len() as i64
                }
                Metric::EveryDivision => {
                    if let Some((_, to)) = lead_to {
                        t.reached.insert(to);
                    }
                    let own = lead_to.map(|(d, _)| d);
                    let all = lead_to.is_some()
                        && p.org.divisions.iter().enumerate().all(|(d, div)| {
                            let d = d as DivisionIx;
                            Some(d) == own || div.created_at > rec.at_us || t.reached.contains(&d)
                        });
                    i64::from(all)
                }
                Metric::StreakWeeks => run.map_or(0, i64::from),
                m => {
                    t.sum = t.sum.saturating_add(mine(m));
                    t.sum
                }
            };
            if value >= t.rule.threshold {
                t.earned = Some((rec.at_us, seq));
            }
        }
    }
    let mut achievements: Vec<Earned> = trackers
        .iter()
        .filter_map(|t| {
            t.earned.map(|(at, seq)| Earned {
                id: t.rule.id.clone(),
                name: t.rule.name.clone(),
                description: t.rule.description.clone(),
                earned_at: at,
                seq,
            })
        })
        .collect();
    achievements.sort_by_key(|e| (e.earned_at, e.seq));
    Trophies {
        achievements,
        streak: weeks.streak(day_index(now_us, p.tz)),
        level: level(score, seller),
    }
}

/// The seller's level from all-time points under the levels in force.
pub fn level(score: &Scoreboard, seller: SellerIx) -> Level {
    let points = score
        .seller_kinds(seller, &Window::days(Day::MIN, Day::MAX))
        .iter()
        .fold(0i64, |a, k| a.wrapping_add(*k));
    level_for(&score.timeline.current().levels, points)
}

/// The level `points` reach on a ladder of levels.
pub fn level_for(levels: &[crate::domain::game_rules::LevelRule], points: i64) -> Level {
    let at = levels.iter().rposition(|l| l.points <= points);
    let next = levels.get(at.map_or(0, |i| i + 1));
    Level {
        level: at.map_or(0, |i| i as u32 + 1),
        name: at.map(|i| levels[i].name.clone()).unwrap_or_default(),
        points,
        next_at: next.map(|l| l.points),
        next_name: next.map(|l| l.name.clone()),
    }
}
