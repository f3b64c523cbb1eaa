//! The score fold: facts in, points per seller, division and local day out.
//!
//! Points are defined as a function of the final log, not of arrival order:
//! an event's credits depend only on its own fact, the rules in force at its
//! time, and the void status of itself and of the lead it hangs on. Daily
//! caps are `min(cap, sum of raw points)` per cell, which is order-free too.
//! That is what makes the live fold equal a full replay, lets a void take
//! back exactly what it gave (and re-credit what it unblocked), and lets a
//! preview re-score all history under draft rules with the same code.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use crate::domain::event::FeedbackStatus;
use crate::domain::org::{DivisionIx, LeadIx, Org, SellerIx};
use crate::domain::rules::{RuleSet, ScoreKind, KIND_COUNT};
use crate::domain::time::{Day, Window};

/// What the scorer needs to know about one event, with every id interned
/// and every division resolved as it was when the event happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Fact {
    /// Organisation, rules, competitions and voids: they score nothing.
    Other,
    Lead {
        lead: LeadIx,
        giver: SellerIx,
        giver_division: DivisionIx,
        to_division: DivisionIx,
    },
    Feedback {
        lead: LeadIx,
        by: SellerIx,
        by_division: DivisionIx,
        status: FeedbackStatus,
        /// The lead giver's division at the time of this feedback.
        giver_division: DivisionIx,
    },
    JointVisit {
        host: SellerIx,
        host_division: DivisionIx,
        guests: Box<[(SellerIx, DivisionIx)]>,
    },
    Meeting {
        seller: SellerIx,
        division: DivisionIx,
    },
    Order {
        seller: SellerIx,
        division: DivisionIx,
        amount: i64,
        currency: u16,
        /// The lead it came from and its giver's division at order time.
        lead: Option<(LeadIx, DivisionIx)>,
    },
}

/// A fact with its time and void flag; the projection keeps one per seq.
#[derive(Debug, Clone, PartialEq)]
pub struct FactRec {
    pub at_us: i64,
    pub day: Day,
    pub voided: bool,
    pub fact: Fact,
}

/// Points given to one seller by one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Credit {
    pub seller: SellerIx,
    pub division: DivisionIx,
    pub kind: ScoreKind,
    pub points: i64,
}

/// The rule sets in force over time. Each entry applies from its instant
/// until the next; the first always starts at the beginning of time.
#[derive(Debug, Clone)]
pub struct Timeline {
    entries: Vec<(i64, Day, Arc<RuleSet>)>,
}

impl Timeline {
    pub fn new(rules: RuleSet) -> Self {
        Timeline {
            entries: vec![(i64::MIN, Day::MIN, Arc::new(rules))],
        }
    }

    /// A retroactive publish replaces all history; a from-now publish
    /// replaces whatever was scheduled from its instant on.
    pub fn publish(&mut self, from_us: i64, from_day: Day, rules: Arc<RuleSet>, retroactive: bool) {
        if retroactive {
            self.entries = vec![(i64::MIN, Day::MIN, rules)];
        } else {
            self.entries.retain(|(t, _, _)| *t < from_us);
            self.entries.push((from_us, from_day, rules));
        }
    }

    pub fn at(&self, us: i64) -> &RuleSet {
        let i = self.entries.partition_point(|(t, _, _)| *t <= us);
        &self.entries[i.saturating_sub(1)].2
    }

    /// Caps are per local day, so one rule set must govern a whole day: the
    /// latest one that took effect on or before it. A day on which new rules
    /// are published is capped by the new rules, from its first minute.
    pub fn at_day(&self, day: Day) -> &RuleSet {
        let i = self.entries.partition_point(|(_, d, _)| *d <= day);
        &self.entries[i.saturating_sub(1)].2
    }

    pub fn current(&self) -> &RuleSet {
        &self.entries[self.entries.len() - 1].2
    }
}

/// Where to read the facts of other seqs (the feedback on a lead).
pub trait Facts {
    fn fact(&self, seq: u64) -> Option<&FactRec>;
}

impl Facts for Vec<FactRec> {
    fn fact(&self, seq: u64) -> Option<&FactRec> {
        seq.checked_sub(1).and_then(|i| self.get(i as usize))
    }
}

/// The credits of the event at `seq`, under `timeline`. Empty when voided.
pub fn credits(
    seq: u64,
    facts: &impl Facts,
    org: &Org,
    timeline: &Timeline,
    out: &mut Vec<Credit>,
) {
    let Some(rec) = facts.fact(seq) else { return };
    if rec.voided {
        return;
    }
    let r = timeline.at(rec.at_us);
    let mut push = |seller, division, kind, points: i64| {
        if points != 0 {
            out.push(Credit {
                seller,
                division,
                kind,
                points,
            });
        }
    };
    match &rec.fact {
        Fact::Other => {}
        Fact::Lead {
            giver,
            giver_division,
            to_division,
            ..
        } => {
            push(
                *giver,
                *giver_division,
                ScoreKind::Lead,
                r.crossed(r.lead_given, giver_division != to_division),
            );
        }
        Fact::Feedback {
            lead,
            by,
            by_division,
            status,
            giver_division,
        } => {
            let Some(l) = org.leads.get(*lead as usize) else {
                return;
            };
            if l.voided {
                return;
            }
            let live = |s: &&u64| facts.fact(**s).is_some_and(|f| !f.voided);
            if l.feedback.iter().find(live) == Some(&seq) {
                let timely =
                    rec.at_us - l.at_us <= r.timely_feedback_days.saturating_mul(86_400_000_000);
                let bonus = if timely { r.timely_feedback_bonus } else { 0 };
                push(
                    *by,
                    *by_division,
                    ScoreKind::Feedback,
                    r.lead_feedback + bonus,
                );
            }
            if *status == FeedbackStatus::Won {
                let first_won = l.feedback.iter().filter(live).find(|s| {
                    matches!(
                        facts.fact(**s).map(|f| &f.fact),
                        Some(Fact::Feedback {
                            status: FeedbackStatus::Won,
                            ..
                        })
                    )
                });
                if first_won == Some(&seq) {
                    push(
                        l.giver,
                        *giver_division,
                        ScoreKind::LeadWon,
                        r.lead_won_bonus,
                    );
                }
            }
        }
        Fact::JointVisit {
            host,
            host_division,
            guests,
        } => {
            let any_cross = guests.iter().any(|(_, d)| d != host_division);
            push(
                *host,
                *host_division,
                ScoreKind::JointVisit,
                r.crossed(r.joint_visit_host, any_cross),
            );
            for (g, d) in guests.iter() {
                push(
                    *g,
                    *d,
                    ScoreKind::JointVisit,
                    r.crossed(r.joint_visit_guest, d != host_division),
                );
            }
        }
        Fact::Meeting { seller, division } => {
            push(*seller, *division, ScoreKind::Meeting, r.meeting_held)
        }
        Fact::Order {
            seller,
            division,
            amount,
            currency,
            lead,
        } => {
            let code = org
                .currencies
                .get(*currency as usize)
                .map(String::as_str)
                .unwrap_or("");
            let points = r.order_points(*amount, code);
            push(*seller, *division, ScoreKind::Order, points);
            if let Some((l, giver_division)) = lead {
                if let Some(l) = org.leads.get(*l as usize) {
                    if !l.voided && l.giver != *seller {
                        push(
                            l.giver,
                            *giver_division,
                            ScoreKind::LeadShare,
                            r.giver_share(points),
                        );
                    }
                }
            }
        }
    }
}

/// Raw points of one seller in one division on one day, by kind, and their
/// capped total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
///
/// Kept as `i32`: a million events make about a million cells, and half the
/// bytes is the difference between fitting the memory target or not. One
/// seller's points of one kind on one day stay far below 2^31; additions
/// saturate rather than wrap should a rule set be absurd.
struct Cell {
    raw: [i32; KIND_COUNT],
    total: i32,
}

impl Cell {
    fn capped(&self, kind: usize, rules: &RuleSet) -> i64 {
        let raw = self.raw[kind] as i64;
        match rules.cap(ScoreKind::ALL[kind]) {
            Some(cap) => raw.min(cap),
            None => raw,
        }
    }

    fn recompute(&mut self, rules: &RuleSet) {
        let total: i64 = (0..KIND_COUNT).map(|k| self.capped(k, rules)).sum();
        self.total = clamp_i32(total);
    }

    fn add(&mut self, kind: usize, points: i64) {
        self.raw[kind] = clamp_i32(self.raw[kind] as i64 + points);
    }
}

fn clamp_i32(v: i64) -> i32 {
    v.clamp(i32::MIN as i64, i32::MAX as i64) as i32
}

/// The cells of one local day by (seller, division).
type DayCells = HashMap<(SellerIx, DivisionIx), Cell, BuildHasherDefault<IxHasher>>;

/// FxHash (rustc's hasher) for dense interned indices. SipHash guards maps
/// keyed by client-chosen strings against collision floods; these keys are
/// indices the projection hands out, so that guard buys nothing here, and
/// it cost about a tenth of replay time.
#[derive(Default, Clone, Copy)]
pub struct IxHasher(u64);

impl IxHasher {
    #[inline]
    fn mix(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for IxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.mix(u64::from(*b));
        }
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.mix(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.mix(i);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Points per (local day, seller, division), maintained incrementally.
#[derive(Debug, Clone)]
pub struct Scoreboard {
    pub timeline: Timeline,
    days: BTreeMap<Day, DayCells>,
    scratch: Vec<Credit>,
}

impl Scoreboard {
    pub fn new(timeline: Timeline) -> Self {
        Scoreboard {
            timeline,
            days: BTreeMap::new(),
            scratch: Vec::new(),
        }
    }

    /// Scores every fact from scratch: replay and preview.
    pub fn build(timeline: Timeline, facts: &Vec<FactRec>, org: &Org) -> Self {
        Self::build_where(timeline, facts, org, |_| true)
    }

    /// Scores only the facts `keep` selects (a competition's period).
    pub fn build_where(
        timeline: Timeline,
        facts: &Vec<FactRec>,
        org: &Org,
        keep: impl Fn(&FactRec) -> bool,
    ) -> Self {
        let mut board = Scoreboard::new(timeline);
        for (i, rec) in facts.iter().enumerate() {
            if keep(rec) {
                board.add(i as u64 + 1, facts, org);
            }
        }
        board
    }

    pub fn add(&mut self, seq: u64, facts: &impl Facts, org: &Org) {
        self.change(seq, facts, org, 1);
    }

    pub fn remove(&mut self, seq: u64, facts: &impl Facts, org: &Org) {
        self.change(seq, facts, org, -1);
    }

    fn change(&mut self, seq: u64, facts: &impl Facts, org: &Org, sign: i64) {
        let Some(day) = facts.fact(seq).map(|f| f.day) else {
            return;
        };
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        credits(seq, facts, org, &self.timeline, &mut scratch);
        if !scratch.is_empty() {
            let rules = self.timeline.at_day(day);
            let cells = self.days.entry(day).or_default();
            for c in &scratch {
                let cell = cells.entry((c.seller, c.division)).or_default();
                cell.add(c.kind.index(), sign * c.points);
                cell.recompute(rules);
            }
        }
        self.scratch = scratch;
    }

    fn cells_in(&self, window: &Window) -> impl Iterator<Item = (&Day, &DayCells)> {
        self.days.range(window.start_day..window.end_day)
    }

    /// Points per seller in a window, indexed by seller.
    pub fn seller_points(&self, window: &Window, sellers: usize) -> Vec<i64> {
        let mut out = vec![0; sellers];
        for (_, cells) in self.cells_in(window) {
            for ((s, _), cell) in cells {
                if let Some(p) = out.get_mut(*s as usize) {
                    *p += cell.total as i64;
                }
            }
        }
        out
    }

    /// Points per division in a window, each credited to the division the
    /// seller was in when they earned it.
    pub fn division_points(&self, window: &Window, divisions: usize) -> Vec<i64> {
        let mut out = vec![0; divisions];
        for (_, cells) in self.cells_in(window) {
            for ((_, d), cell) in cells {
                if let Some(p) = out.get_mut(*d as usize) {
                    *p += cell.total as i64;
                }
            }
        }
        out
    }

    /// Sellers who earned any points for a division in a window.
    pub fn division_active_sellers(&self, window: &Window, divisions: usize) -> Vec<usize> {
        let mut seen: Vec<std::collections::HashSet<SellerIx>> =
            vec![Default::default(); divisions];
        for (_, cells) in self.cells_in(window) {
            for ((s, d), cell) in cells {
                if cell.total != 0 {
                    if let Some(set) = seen.get_mut(*d as usize) {
                        set.insert(*s);
                    }
                }
            }
        }
        seen.into_iter().map(|s| s.len()).collect()
    }

    /// Capped points by kind per (seller, division) in a window, in one pass.
    pub fn kind_totals(
        &self,
        window: &Window,
    ) -> HashMap<(SellerIx, DivisionIx), [i64; KIND_COUNT]> {
        let mut out: HashMap<(SellerIx, DivisionIx), [i64; KIND_COUNT]> = HashMap::new();
        for (day, cells) in self.cells_in(window) {
            let rules = self.timeline.at_day(*day);
            for (key, cell) in cells {
                let acc = out.entry(*key).or_default();
                for (k, a) in acc.iter_mut().enumerate() {
                    *a += cell.capped(k, rules);
                }
            }
        }
        out
    }

    /// How many (day, seller, division) cells hold points: the size of the
    /// board in memory.
    pub fn cell_count(&self) -> usize {
        self.days.values().map(|d| d.len()).sum()
    }

    /// One seller's capped points by kind in a window.
    pub fn seller_kinds(&self, seller: SellerIx, window: &Window) -> [i64; KIND_COUNT] {
        let mut out = [0; KIND_COUNT];
        for (day, cells) in self.cells_in(window) {
            let rules = self.timeline.at_day(*day);
            for ((s, _), cell) in cells {
                if *s == seller {
                    for (k, o) in out.iter_mut().enumerate() {
                        *o += cell.capped(k, rules);
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::Event;

    /// Two divisions, three sellers: anna (a), bo (b), cia (a).
    fn setup() -> (Org, Vec<FactRec>) {
        (crate::domain::org::test_org(), Vec::new())
    }

    /// Lead `l` from anna (a) to division b, as seq 1.
    fn given_lead(org: &mut Org, facts: &mut Vec<FactRec>) {
        org.apply(
            1,
            0,
            0,
            &Event::LeadGiven {
                lead: "l".into(),
                from: "anna".into(),
                to_division: "b".into(),
                to_seller: None,
                customer: "c".into(),
                note: None,
                estimated_value: None,
            },
        );
        facts.push(rec(
            0,
            Fact::Lead {
                lead: 0,
                giver: 0,
                giver_division: 0,
                to_division: 1,
            },
        ));
    }

    fn rec(at_us: i64, fact: Fact) -> FactRec {
        FactRec {
            at_us,
            day: 0,
            voided: false,
            fact,
        }
    }

    fn all() -> Window {
        Window::containing(
            crate::domain::time::WindowKind::All,
            chrono::Utc::now(),
            chrono_tz::UTC,
        )
    }

    #[test]
    fn cap_cuts_exactly_at_the_cap() {
        let (org, mut facts) = setup();
        let mut rules = RuleSet::default();
        rules.daily_caps.insert(ScoreKind::Meeting, 12);
        let mut board = Scoreboard::new(Timeline::new(rules));
        let meeting = Fact::Meeting {
            seller: 0,
            division: 0,
        };
        let mut totals = vec![];
        for i in 1..=4u64 {
            facts.push(rec(0, meeting.clone()));
            board.add(i, &facts, &org);
            totals.push(board.seller_points(&all(), 3)[0]);
        }
        assert_eq!(totals, vec![5, 10, 12, 12]);
        // Voiding one of the four leaves 15 raw, still capped at 12.
        board.remove(1, &facts, &org);
        facts[0].voided = true;
        assert_eq!(board.seller_points(&all(), 3)[0], 12);
        assert_eq!(
            board.seller_kinds(0, &all())[ScoreKind::Meeting.index()],
            12
        );
    }

    #[test]
    fn timely_feedback_window_edges() {
        let (mut org, mut facts) = setup();
        let day_us = 86_400_000_000;
        given_lead(&mut org, &mut facts);
        let r = RuleSet::default();
        let timeline = Timeline::new(r.clone());
        for (at, expected) in [
            (2 * day_us, r.lead_feedback + r.timely_feedback_bonus),
            (2 * day_us + 1, r.lead_feedback),
        ] {
            let mut facts = facts.clone();
            let mut org = org.clone();
            org.leads[0].feedback.push(2);
            facts.push(rec(
                at,
                Fact::Feedback {
                    lead: 0,
                    by: 1,
                    by_division: 1,
                    status: FeedbackStatus::Contacted,
                    giver_division: 0,
                },
            ));
            let mut out = vec![];
            credits(2, &facts, &org, &timeline, &mut out);
            assert_eq!(
                out,
                vec![Credit {
                    seller: 1,
                    division: 1,
                    kind: ScoreKind::Feedback,
                    points: expected
                }]
            );
        }
    }

    #[test]
    fn order_from_lead_shares_with_giver_unless_lead_voided() {
        let (mut org, mut facts) = setup();
        given_lead(&mut org, &mut facts);
        facts.push(rec(
            0,
            Fact::Order {
                seller: 1,
                division: 1,
                amount: 5_000_000,
                currency: 0,
                lead: Some((0, 0)),
            },
        ));
        org.currencies.push("SEK".into());
        let timeline = Timeline::new(RuleSet::default());
        let mut out = vec![];
        credits(2, &facts, &org, &timeline, &mut out);
        // 20 base + 5 units = 25; giver gets 25% = 6 (rounded down).
        assert_eq!(out[0].points, 25);
        assert_eq!(
            out[1],
            Credit {
                seller: 0,
                division: 0,
                kind: ScoreKind::LeadShare,
                points: 6
            }
        );
        org.leads[0].voided = true;
        out.clear();
        credits(2, &facts, &org, &timeline, &mut out);
        assert_eq!(out.len(), 1, "no share from a voided lead");
    }

    #[test]
    fn joint_visit_multiplier_per_guest() {
        let (org, mut facts) = setup();
        facts.push(rec(
            0,
            Fact::JointVisit {
                host: 0,
                host_division: 0,
                guests: vec![(1, 1), (2, 0)].into(),
            },
        ));
        let r = RuleSet::default();
        let mut out = vec![];
        credits(1, &facts, &org, &Timeline::new(r.clone()), &mut out);
        let pts: Vec<i64> = out.iter().map(|c| c.points).collect();
        assert_eq!(
            pts,
            vec![
                r.joint_visit_host * 2,
                r.joint_visit_guest * 2,
                r.joint_visit_guest
            ]
        );
    }

    #[test]
    fn timeline_from_now_and_retroactive() {
        let a = RuleSet {
            lead_given: 1,
            ..RuleSet::default()
        };
        let b = RuleSet {
            lead_given: 2,
            ..RuleSet::default()
        };
        let c = RuleSet {
            lead_given: 3,
            ..RuleSet::default()
        };
        let mut t = Timeline::new(a);
        t.publish(100, 1, Arc::new(b), false);
        assert_eq!((t.at(99).lead_given, t.at(100).lead_given), (1, 2));
        assert_eq!((t.at_day(0).lead_given, t.at_day(1).lead_given), (1, 2));
        t.publish(50, 0, Arc::new(c.clone()), false);
        assert_eq!((t.at(49).lead_given, t.at(100).lead_given), (1, 3));
        t.publish(500, 5, Arc::new(c), true);
        assert_eq!(t.at(0).lead_given, 3);
    }
}
