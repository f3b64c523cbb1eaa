//! Who works with whom: a division × division matrix of the lead loop.
//!
//! One row per (giving division, receiving division) with leads given in
//! the window: how many, how many got feedback and how fast, how many were
//! won, the orders that came of them and their value, and the points the
//! pair's leads earned. The leads of the window are a cohort: their
//! feedback, orders and points count whenever they came, so a row tells
//! what the leads of that week turned into.
//!
//! **Fast path.** Working a lead's row out from the log means reading its
//! feedback and orders and re-scoring every event on it: at a million
//! events the all-time matrix took 164 ms. So the projection keeps a
//! [`LoopIndex`]: per lead, the few figures its row needs (first feedback,
//! won, orders and their value, the SLA deadline, the points of the events
//! on it), updated as the fold goes. Points ride on the scoreboard's own
//! add/remove of each event, which already computes its credits; the rest
//! is refreshed for the one lead an event touches. [`matrix`] then sums a
//! compact array, for any window (edges need not be days). [`matrix_naive`]
//! is the old computation, kept as the reference the property tests
//! (`tests/fold_replay.rs`) compare the fast path with on random logs.

use std::collections::BTreeMap;

use chrono_tz::Tz;
use serde::Serialize;

use crate::domain::credit::FactRec;
use crate::domain::event::FeedbackStatus;
use crate::domain::org::{DivisionIx, LeadIx, Org};
use crate::domain::projection::Projection;
use crate::domain::score::{credits, Fact, Facts, Timeline};
use crate::domain::sla::{deadline_us, is_overdue, median_hours};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatrixRow {
    /// Giving division id.
    pub from: String,
    /// Receiving division id.
    pub to: String,
    pub leads: u64,
    /// Leads with any feedback ÷ leads.
    pub feedback_rate: f64,
    pub median_hours_to_feedback: Option<f64>,
    /// Unanswered leads past their SLA at the "now" asked about.
    pub overdue: u64,
    /// Leads reported won.
    pub won: u64,
    /// Live orders that name one of the leads.
    pub orders: u64,
    /// Their value, minor units per currency.
    pub order_value: BTreeMap<String, i64>,
    /// Points earned by the leads and everything on them (feedback,
    /// claims, orders and the giver's share), under the rules of each
    /// event's time, before daily caps.
    pub points: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Matrix {
    pub rows: Vec<MatrixRow>,
}

#[derive(Default)]
struct Acc {
    leads: u64,
    answered: u64,
    waits: Vec<i64>,
    overdue: u64,
    won: u64,
    orders: u64,
    value: BTreeMap<String, i64>,
    points: i64,
}

/// The matrix computed from the log's facts, lead by lead: the reference
/// for [`matrix`] (same result, and what the fast path is tested against).
pub fn matrix_naive(p: &Projection, from_us: i64, to_us: i64, now_us: i64) -> Matrix {
    let mut acc: BTreeMap<(DivisionIx, DivisionIx), Acc> = BTreeMap::new();
    let mut buf = Vec::new();
    for l in p.org.leads.iter().filter(|l| !l.voided) {
        if l.at_us < from_us || l.at_us >= to_us {
            continue;
        }
        let a = acc.entry((l.giver_division, l.to_division)).or_default();
        a.leads += 1;
        let mut first: Option<i64> = None;
        let mut won = false;
        for seq in &l.feedback {
            if let Some(rec) = p.facts.fact(*seq).filter(|r| !r.voided) {
                if let Fact::Feedback { status, .. } = rec.fact {
                    first = Some(first.map_or(rec.at_us, |f| f.min(rec.at_us)));
                    won |= status == FeedbackStatus::Won;
                }
            }
        }
        match first {
            Some(at) => {
                a.answered += 1;
                a.waits.push((at - l.at_us).max(0));
            }
            None => {
                let rules = p.score.timeline.at(l.at_us);
                a.overdue += is_overdue(l.at_us, rules, p.tz, now_us) as u64;
            }
        }
        a.won += won as u64;
        for seq in &l.orders {
            let Some(rec) = p.facts.fact(*seq).filter(|r| !r.voided) else {
                continue;
            };
            if let Fact::Order {
                amount, currency, ..
            } = rec.fact
            {
                a.orders += 1;
                let code = p
                    .org
                    .currencies
                    .get(currency as usize)
                    .map_or("", String::as_str);
                let v = a.value.entry(code.to_string()).or_default();
                *v = v.saturating_add(amount);
            }
        }
        let seqs = std::iter::once(l.seq)
            .chain(l.feedback.iter().copied())
            .chain(l.claims.iter().map(|(s, _)| *s))
            .chain(l.orders.iter().copied());
        for seq in seqs {
            buf.clear();
            credits(seq, &p.facts, &p.org, &p.score.timeline, &mut buf);
            a.points = buf.iter().fold(a.points, |s, c| s.saturating_add(c.points));
        }
    }
    rows_of(p, acc)
}

fn rows_of(p: &Projection, acc: BTreeMap<(DivisionIx, DivisionIx), Acc>) -> Matrix {
    let id = |d: DivisionIx| {
        p.org
            .divisions
            .get(d as usize)
            .map_or_else(String::new, |d| d.id.clone())
    };
    let rows = acc
        .into_iter()
        .map(|((from, to), mut a)| MatrixRow {
            from: id(from),
            to: id(to),
            leads: a.leads,
            feedback_rate: (a.answered as f64 / a.leads.max(1) as f64 * 1000.0).round() / 1000.0,
            median_hours_to_feedback: median_hours(&mut a.waits),
            overdue: a.overdue,
            won: a.won,
            orders: a.orders,
            order_value: a.value,
            points: a.points,
        })
        .collect();
    Matrix { rows }
}

/// The matrix of leads given within `[from_us, to_us)`, overdue as of
/// `now_us`, from the projection's [`LoopIndex`]. Pure; equal to
/// [`matrix_naive`].
pub fn matrix(p: &Projection, from_us: i64, to_us: i64, now_us: i64) -> Matrix {
    /// A pair's sums with currencies still as indices: turning each into
    /// its code string per lead was a third of the all-time read.
    #[derive(Default)]
    struct Fast {
        acc: Acc,
        value: Vec<(u16, i64)>,
    }
    let index = &p.loops;
    let n = p.org.divisions.len().max(1);
    // Pairs by `from * n + to` in a dense table when it is small (it is:
    // divisions are few); a map otherwise.
    let dense = n.saturating_mul(n) <= 1 << 16;
    let mut table: Vec<Option<Fast>> = Vec::new();
    if dense {
        table.resize_with(n * n, || None);
    }
    let mut sparse: BTreeMap<(DivisionIx, DivisionIx), Fast> = BTreeMap::new();
    for (ix, l) in index.leads.iter().enumerate() {
        if !l.live || l.at_us < from_us || l.at_us >= to_us {
            continue;
        }
        let slot = l.from as usize * n + l.to as usize;
        let f = match table.get_mut(slot).filter(|_| dense) {
            Some(cell) => cell.get_or_insert_with(Fast::default),
            None => sparse.entry((l.from, l.to)).or_default(),
        };
        let a = &mut f.acc;
        a.leads += 1;
        match l.first {
            Some(at) => {
                a.answered += 1;
                a.waits.push((at - l.at_us).max(0));
            }
            // `is_overdue` is `now > deadline`: the deadline is never
            // earlier than given + budget, so its shortcut agrees.
            None => a.overdue += (now_us > l.deadline) as u64,
        }
        a.won += l.won as u64;
        a.orders += u64::from(l.orders);
        a.points = a.points.saturating_add(l.points);
        let mut add =
            |currency: u16, amount: i64| match f.value.iter_mut().find(|(c, _)| *c == currency) {
                Some((_, v)) => *v = v.saturating_add(amount),
                None => f.value.push((currency, amount)),
            };
        match l.value {
            Value::None => {}
            Value::One(c, v) => add(c, v),
            Value::Many => {
                for (c, v) in index.many.get(&(ix as LeadIx)).into_iter().flatten() {
                    add(*c, *v);
                }
            }
        }
    }
    let pairs = table
        .into_iter()
        .enumerate()
        .filter_map(|(i, f)| Some((((i / n) as DivisionIx, (i % n) as DivisionIx), f?)))
        .chain(sparse);
    let mut acc: BTreeMap<(DivisionIx, DivisionIx), Acc> = BTreeMap::new();
    for (pair, mut f) in pairs {
        for (c, v) in f.value {
            let code = p.org.currencies.get(c as usize).map_or("", String::as_str);
            let total = f.acc.value.entry(code.to_string()).or_default();
            *total = total.saturating_add(v);
        }
        acc.insert(pair, f.acc);
    }
    rows_of(p, acc)
}

/// Order value of one lead: most leads have no order or orders in one
/// currency, kept inline; the rare rest live in [`LoopIndex::many`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Value {
    #[default]
    None,
    One(u16, i64),
    Many,
}

/// What one lead contributes to its matrix row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct LeadLoop {
    at_us: i64,
    /// Business time of the earliest live feedback.
    first: Option<i64>,
    /// When an unanswered lead becomes overdue (SLA of its own time).
    deadline: i64,
    /// Credits (before caps) of the live events on the lead: the lead,
    /// its feedback, claims and orders.
    points: i64,
    value: Value,
    from: DivisionIx,
    to: DivisionIx,
    orders: u32,
    won: bool,
    live: bool,
}

/// Per-lead figures of the lead loop, kept by the projection's fold. See
/// the module note.
#[derive(Debug, Clone, Default)]
pub struct LoopIndex {
    leads: Vec<LeadLoop>,
    many: BTreeMap<LeadIx, Vec<(u16, i64)>>,
}

impl LoopIndex {
    /// The lead an event's credits count for in the matrix, if any.
    pub(crate) fn lead_of(org: &Org, seq: u64, fact: &Fact) -> Option<LeadIx> {
        match fact {
            // Only the lead's own `lead_given` (a strange log could name it twice).
            Fact::Lead { lead, .. } => org
                .leads
                .get(*lead as usize)
                .filter(|l| l.seq == seq)
                .map(|_| *lead),
            Fact::Feedback { lead, .. }
            | Fact::Claim { lead, .. }
            | Fact::Order {
                lead: Some((lead, _)),
                ..
            } => Some(*lead),
            _ => None,
        }
    }

    /// Whether `lead` is unanswered and past its SLA at `now_us` (`None`
    /// for a voided or unknown lead), as [`crate::domain::sla::is_overdue`]
    /// would say, without reading its feedback again.
    pub fn overdue(&self, lead: LeadIx, now_us: i64) -> Option<bool> {
        let l = self.leads.get(lead as usize).filter(|l| l.live)?;
        Some(l.first.is_none() && now_us > l.deadline)
    }

    /// Adds `delta` points to a lead (the scoreboard just added or took
    /// back an event on it).
    pub(crate) fn add_points(&mut self, lead: LeadIx, delta: i64) {
        if let Some(l) = self.leads.get_mut(lead as usize) {
            l.points = l.points.wrapping_add(delta);
        }
    }

    /// Works out everything but the points of `lead` again from the facts.
    pub(crate) fn refresh(
        &mut self,
        lead: LeadIx,
        org: &Org,
        facts: &Vec<FactRec>,
        timeline: &Timeline,
        tz: Tz,
    ) {
        let Some(l) = org.leads.get(lead as usize) else {
            return;
        };
        if self.leads.len() < org.leads.len() {
            self.leads.resize(org.leads.len(), LeadLoop::default());
        }
        let mut first: Option<i64> = None;
        let mut won = false;
        for seq in &l.feedback {
            if let Some(rec) = facts.fact(*seq).filter(|r| !r.voided) {
                if let Fact::Feedback { status, .. } = rec.fact {
                    first = Some(first.map_or(rec.at_us, |f| f.min(rec.at_us)));
                    won |= status == FeedbackStatus::Won;
                }
            }
        }
        let mut orders = 0u32;
        let mut values: Vec<(u16, i64)> = Vec::new();
        for seq in &l.orders {
            let Some(rec) = facts.fact(*seq).filter(|r| !r.voided) else {
                continue;
            };
            if let Fact::Order {
                amount, currency, ..
            } = rec.fact
            {
                orders = orders.saturating_add(1);
                match values.iter_mut().find(|(c, _)| *c == currency) {
                    Some((_, v)) => *v = v.saturating_add(amount),
                    None => values.push((currency, amount)),
                }
            }
        }
        let value = match values.as_slice() {
            [] => Value::None,
            [(c, v)] => Value::One(*c, *v),
            _ => Value::Many,
        };
        if value == Value::Many {
            self.many.insert(lead, values);
        } else {
            self.many.remove(&lead);
        }
        let Some(slot) = self.leads.get_mut(lead as usize) else {
            return;
        };
        *slot = LeadLoop {
            at_us: l.at_us,
            first,
            deadline: deadline_us(l.at_us, timeline.at(l.at_us), tz),
            points: slot.points,
            value,
            from: l.giver_division,
            to: l.to_division,
            orders,
            won,
            live: !l.voided,
        };
    }

    /// Everything from scratch, points included: after the scoreboard is
    /// rebuilt under new rules (a publish), when no add/remove told us.
    pub(crate) fn rebuild(org: &Org, facts: &Vec<FactRec>, timeline: &Timeline, tz: Tz) -> Self {
        let mut index = LoopIndex::default();
        let mut buf = Vec::new();
        for (ix, l) in org.leads.iter().enumerate() {
            index.refresh(ix as LeadIx, org, facts, timeline, tz);
            let seqs = std::iter::once(l.seq)
                .chain(l.feedback.iter().copied())
                .chain(l.claims.iter().map(|(s, _)| *s))
                .chain(l.orders.iter().copied());
            let mut points = 0i64;
            for seq in seqs {
                buf.clear();
                credits(seq, facts, org, timeline, &mut buf);
                points = buf.iter().fold(points, |s, c| s.wrapping_add(c.points));
            }
            index.add_points(ix as LeadIx, points);
        }
        index
    }
}
