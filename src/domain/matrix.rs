//! Who works with whom: a division × division matrix of the lead loop.
//!
//! One row per (giving division, receiving division) with leads given in
//! the window: how many, how many got feedback and how fast, how many were
//! won, the orders that came of them and their value, and the points the
//! pair's leads earned. The leads of the window are a cohort: their
//! feedback, orders and points count whenever they came, so a row tells
//! what the leads of that week turned into. One pass over the leads.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::event::FeedbackStatus;
use crate::domain::org::DivisionIx;
use crate::domain::projection::Projection;
use crate::domain::score::{credits, Fact, Facts};
use crate::domain::sla::{is_overdue, median_hours};

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

/// The matrix of leads given within `[from_us, to_us)`, overdue as of
/// `now_us`. Pure.
pub fn matrix(p: &Projection, from_us: i64, to_us: i64, now_us: i64) -> Matrix {
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
