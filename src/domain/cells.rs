//! The scoreboard: credited points per local day and seller, with daily
//! caps applied.
//!
//! Caps are per seller and local day *across divisions*: a seller who moves
//! mid-day does not get a second cap. Within a day, capped credits are
//! allowed in business-time order (ties by seq): each gets what is left of
//! the cap in force at its own instant after the day's earlier credits. So
//! a "from now" publish that adds a cap never reduces what was earned before
//! it, while those earlier points still count toward the new cap. The
//! allocation is a function of the set of credits, not of arrival order,
//! and all sums are exact i64 (credits are bounded by `MAX_CREDIT`), so
//! removing an event always undoes adding it exactly.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use crate::domain::credit::{credits, Credit, FactRec, Facts};
use crate::domain::org::{DivisionIx, Org, SellerIx};
use crate::domain::rules::{ScoreKind, KIND_COUNT};
use crate::domain::time::{Day, Window};
use crate::domain::timeline::Timeline;

/// Points by kind, indexed by [`ScoreKind::index`].
pub type Kinds = [i64; KIND_COUNT];

/// One credit of a kind that is capped on its day, kept whole so the cap
/// can be re-applied in business-time order when anything changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    at_us: i64,
    seq: u64,
    division: DivisionIx,
    kind: u8,
    points: i64,
}

/// One seller's points on one day. Uncapped kinds are plain sums per
/// division (most kinds, most days: cheap); capped ones keep their entries
/// and the allocation the cap leaves them.
#[derive(Debug, Clone, Default)]
struct Cell {
    sums: Vec<(DivisionIx, Kinds)>,
    capped: Vec<Entry>,
    alloc: Vec<(DivisionIx, Kinds)>,
}

fn add_row(rows: &mut Vec<(DivisionIx, Kinds)>, division: DivisionIx, kind: usize, points: i64) {
    let i = match rows.iter().position(|(d, _)| *d == division) {
        Some(i) => i,
        None => {
            rows.push((division, [0; KIND_COUNT]));
            rows.len() - 1
        }
    };
    // Wrapping keeps add and remove exact inverses even in absurd logs.
    rows[i].1[kind] = rows[i].1[kind].wrapping_add(points);
    if rows[i].1.iter().all(|p| *p == 0) {
        rows.swap_remove(i);
    }
}

impl Cell {
    fn is_empty(&self) -> bool {
        self.sums.is_empty() && self.capped.is_empty()
    }

    /// Re-applies the caps to the capped entries, earliest first.
    fn reallocate(&mut self, timeline: &Timeline) {
        self.capped
            .sort_unstable_by_key(|e| (e.at_us, e.seq, e.kind, e.division));
        self.alloc.clear();
        let mut used: Kinds = [0; KIND_COUNT];
        for e in &self.capped {
            let k = e.kind as usize;
            let allowed = match timeline.at(e.at_us).cap(ScoreKind::ALL[k]) {
                Some(cap) => e.points.min((cap - used[k]).max(0)),
                None => e.points,
            };
            used[k] += allowed;
            if allowed != 0 {
                add_row(&mut self.alloc, e.division, k, allowed);
            }
        }
    }

    /// Points by kind per division, capped.
    fn each(&self, mut f: impl FnMut(DivisionIx, &Kinds)) {
        for (d, k) in self.sums.iter().chain(&self.alloc) {
            f(*d, k);
        }
    }
}

/// The cells of one local day by seller.
type DayCells = HashMap<SellerIx, Cell, BuildHasherDefault<IxHasher>>;

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

/// Points per (local day, seller), maintained incrementally.
#[derive(Debug, Clone)]
pub struct Scoreboard {
    pub timeline: Timeline,
    days: BTreeMap<Day, DayCells>,
    /// The same capped points summed per (day, division), kept in step
    /// with the cells: division boards, targets and challenges read a
    /// day's few division rows instead of every seller's cell.
    divisions: BTreeMap<Day, Vec<(DivisionIx, Kinds)>>,
    scratch: Vec<Credit>,
}

impl Scoreboard {
    pub fn new(timeline: Timeline) -> Self {
        Scoreboard {
            timeline,
            days: BTreeMap::new(),
            divisions: BTreeMap::new(),
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

    /// Adds the event's credits; returns their sum before caps (what the
    /// matrix counts per lead, see [`crate::domain::matrix`]).
    pub fn add(&mut self, seq: u64, facts: &impl Facts, org: &Org) -> i64 {
        self.change(seq, facts, org, true)
    }

    /// Takes the event's credits back; returns their sum before caps.
    pub fn remove(&mut self, seq: u64, facts: &impl Facts, org: &Org) -> i64 {
        self.change(seq, facts, org, false)
    }

    fn change(&mut self, seq: u64, facts: &impl Facts, org: &Org, add: bool) -> i64 {
        let Some((day, at_us)) = facts.fact(seq).map(|f| (f.day, f.at_us)) else {
            return 0;
        };
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        credits(seq, facts, org, &self.timeline, &mut scratch);
        let sum = scratch.iter().fold(0i64, |s, c| s.wrapping_add(c.points));
        if !scratch.is_empty() {
            let mask = self.timeline.capped_on_day(day);
            let cells = self.days.entry(day).or_default();
            let totals = self.divisions.entry(day).or_default();
            for c in &scratch {
                let k = c.kind.index();
                let cell = cells.entry(c.seller).or_default();
                if mask & (1 << k) == 0 {
                    let points = if add {
                        c.points
                    } else {
                        c.points.wrapping_neg()
                    };
                    add_row(&mut cell.sums, c.division, k, points);
                    add_row(totals, c.division, k, points);
                } else {
                    // The cap re-allocates the whole cell: take its old
                    // allocation out of the day's totals, put the new one in.
                    for (d, kinds) in &cell.alloc {
                        for (i, v) in kinds.iter().enumerate().filter(|(_, v)| **v != 0) {
                            add_row(totals, *d, i, v.wrapping_neg());
                        }
                    }
                    let entry = Entry {
                        at_us,
                        seq,
                        division: c.division,
                        kind: k as u8,
                        points: c.points,
                    };
                    if add {
                        cell.capped.push(entry);
                    } else if let Some(i) = cell.capped.iter().position(|e| *e == entry) {
                        cell.capped.swap_remove(i);
                    }
                    cell.reallocate(&self.timeline);
                    for (d, kinds) in &cell.alloc {
                        for (i, v) in kinds.iter().enumerate().filter(|(_, v)| **v != 0) {
                            add_row(totals, *d, i, *v);
                        }
                    }
                }
                if cell.is_empty() {
                    cells.remove(&c.seller);
                }
            }
            if cells.is_empty() {
                self.days.remove(&day);
            }
            if totals.is_empty() {
                self.divisions.remove(&day);
            }
        }
        self.scratch = scratch;
        sum
    }

    /// Calls `f` with every seller's capped points by kind per division in
    /// a window.
    fn each(&self, window: &Window, mut f: impl FnMut(SellerIx, DivisionIx, &Kinds)) {
        for cells in self
            .days
            .range(window.start_day..window.end_day)
            .map(|(_, c)| c)
        {
            for (s, cell) in cells {
                cell.each(|d, k| f(*s, d, k));
            }
        }
    }

    /// Points per seller in a window, indexed by seller.
    pub fn seller_points(&self, window: &Window, sellers: usize) -> Vec<i64> {
        let mut out = vec![0i64; sellers];
        self.each(window, |s, _, k| {
            if let Some(p) = out.get_mut(s as usize) {
                *p = p.wrapping_add(k.iter().sum());
            }
        });
        out
    }

    /// Points per division in a window, each credited to the division the
    /// seller was in when they earned it.
    pub fn division_points(&self, window: &Window, divisions: usize) -> Vec<i64> {
        let mut out = vec![0i64; divisions];
        self.each_division_day(window.start_day, window.end_day, |_, d, k| {
            if let Some(p) = out.get_mut(d as usize) {
                *p = p.wrapping_add(k.iter().fold(0i64, |a, x| a.wrapping_add(*x)));
            }
        });
        out
    }

    /// Calls `f` with each division's capped points by kind per local day
    /// over `[from, to)`, in day order.
    pub fn each_division_day(
        &self,
        from: Day,
        to: Day,
        mut f: impl FnMut(Day, DivisionIx, &Kinds),
    ) {
        if from >= to {
            return;
        }
        for (day, rows) in self.divisions.range(from..to) {
            for (d, k) in rows {
                f(*day, *d, k);
            }
        }
    }

    /// The (seller, division) pairs with points in a window: they count as
    /// heads of that division whatever the membership history says.
    pub fn credited(&self, window: &Window) -> HashSet<(SellerIx, DivisionIx)> {
        self.kind_totals(window)
            .into_iter()
            .filter(|(_, k)| k.iter().sum::<i64>() != 0)
            .map(|(key, _)| key)
            .collect()
    }

    /// Sellers who earned any points for a division in a window.
    pub fn division_active_sellers(&self, window: &Window, divisions: usize) -> Vec<usize> {
        let mut out = vec![0usize; divisions];
        for (_, d) in self.credited(window) {
            if let Some(n) = out.get_mut(d as usize) {
                *n += 1;
            }
        }
        out
    }

    /// Capped points by kind per (seller, division) in a window, in one pass.
    pub fn kind_totals(&self, window: &Window) -> HashMap<(SellerIx, DivisionIx), Kinds> {
        let mut out: HashMap<(SellerIx, DivisionIx), Kinds> = HashMap::new();
        self.each(window, |s, d, k| {
            let acc = out.entry((s, d)).or_default();
            for (a, p) in acc.iter_mut().zip(k) {
                *a = a.wrapping_add(*p);
            }
        });
        out
    }

    /// Calls `f` with each (day, seller, division) cell's capped points by
    /// kind over local days `[from, to)`, in day order.
    pub fn each_cell(
        &self,
        from: Day,
        to: Day,
        mut f: impl FnMut(Day, SellerIx, DivisionIx, &Kinds),
    ) {
        if from >= to {
            return;
        }
        for (day, cells) in self.days.range(from..to) {
            for (s, cell) in cells {
                cell.each(|d, k| f(*day, *s, d, k));
            }
        }
    }

    /// Like [`Scoreboard::each_cell`] for one seller: a lookup per day
    /// instead of a walk over everyone.
    pub fn each_seller_cell(
        &self,
        seller: SellerIx,
        from: Day,
        to: Day,
        mut f: impl FnMut(Day, DivisionIx, &Kinds),
    ) {
        if from >= to {
            return;
        }
        for (day, cells) in self.days.range(from..to) {
            if let Some(cell) = cells.get(&seller) {
                cell.each(|d, k| f(*day, d, k));
            }
        }
    }

    /// The first local day with any points, if any.
    pub fn first_day(&self) -> Option<Day> {
        self.days.keys().next().copied()
    }

    /// How many (day, seller) cells hold points: the size of the board in
    /// memory.
    pub fn cell_count(&self) -> usize {
        self.days.values().map(|d| d.len()).sum()
    }

    /// One seller's capped points by kind in a window.
    pub fn seller_kinds(&self, seller: SellerIx, window: &Window) -> Kinds {
        let mut out = [0i64; KIND_COUNT];
        for cells in self
            .days
            .range(window.start_day..window.end_day)
            .map(|(_, c)| c)
        {
            if let Some(cell) = cells.get(&seller) {
                cell.each(|_, k| {
                    for (o, p) in out.iter_mut().zip(k) {
                        *o = o.wrapping_add(*p);
                    }
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::credit::Fact;
    use crate::domain::rules::RuleSet;
    use std::sync::Arc;

    fn all() -> Window {
        Window::containing(
            crate::domain::time::WindowKind::All,
            chrono::Utc::now(),
            chrono_tz::UTC,
        )
    }

    fn meeting(at_us: i64, division: DivisionIx) -> FactRec {
        FactRec {
            at_us,
            day: 0,
            voided: false,
            fact: Fact::Meeting {
                seller: 0,
                division,
            },
        }
    }

    fn capped(cap: i64) -> RuleSet {
        let mut r = RuleSet::default();
        r.daily_caps.insert(ScoreKind::Meeting, cap);
        r
    }

    #[test]
    fn cap_cuts_exactly_at_the_cap_and_voids_undo() {
        let org = crate::domain::org::test_org();
        let mut facts = Vec::new();
        let mut board = Scoreboard::new(Timeline::new(capped(12)));
        let mut totals = vec![];
        for i in 1..=4u64 {
            facts.push(meeting(i as i64, 0));
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
    fn one_cap_per_seller_and_day_across_a_move() {
        // anna: two meetings in division a, then two in b, same day, cap 12.
        let org = crate::domain::org::test_org();
        let facts = vec![meeting(1, 0), meeting(2, 0), meeting(3, 1), meeting(4, 1)];
        let board = Scoreboard::build(Timeline::new(capped(12)), &facts, &org);
        assert_eq!(board.seller_points(&all(), 3)[0], 12);
        // Division a got 10 (earned first), b the remaining 2.
        assert_eq!(board.division_points(&all(), 2), vec![10, 2]);
    }

    #[test]
    fn from_now_cap_keeps_the_mornings_points() {
        // Three meetings (15 points) at 1, 2, 3; from 10 on a cap of 12;
        // two more at 11 and 12. The morning keeps 15, the afternoon gets 0.
        let org = crate::domain::org::test_org();
        let facts: Vec<FactRec> = [1, 2, 3, 11, 12].iter().map(|t| meeting(*t, 0)).collect();
        let mut t = Timeline::new(RuleSet::default());
        t.publish_version(1, 10, 0, Arc::new(capped(12)), false);
        let board = Scoreboard::build(t.clone(), &facts, &org);
        assert_eq!(board.seller_points(&all(), 3)[0], 15);
        // With a cap of 20 the afternoon fills it up to 20.
        let mut t = Timeline::new(RuleSet::default());
        t.publish_version(1, 10, 0, Arc::new(capped(20)), false);
        let board = Scoreboard::build(t, &facts, &org);
        assert_eq!(board.seller_points(&all(), 3)[0], 20);
    }

    #[test]
    fn huge_credits_add_and_remove_exactly() {
        let org = crate::domain::org::test_org();
        let mut facts = vec![FactRec {
            at_us: 0,
            day: 0,
            voided: false,
            fact: Fact::Order {
                seller: 0,
                division: 0,
                amount: crate::domain::rules::MAX_ORDER_AMOUNT,
                currency: u16::MAX,
                lead: None,
            },
        }];
        let mut org = org;
        org.currencies.push("SEK".into());
        if let Fact::Order { currency, .. } = &mut facts[0].fact {
            *currency = 0;
        }
        let mut board = Scoreboard::new(Timeline::new(RuleSet::default()));
        board.add(1, &facts, &org);
        assert_eq!(board.seller_points(&all(), 3)[0], 1_000_000_020);
        board.remove(1, &facts, &org);
        assert_eq!(board.seller_points(&all(), 3)[0], 0);
        assert_eq!(board.cell_count(), 0);
    }
}
