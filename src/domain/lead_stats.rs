//! The lead loop in figures: leads given and received, answered, won,
//! overdue, and the sales and commission that came of them, for one party
//! or for everyone in one pass over the leads (never sellers × leads).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::commission::order_commission;
use crate::domain::event::FeedbackStatus;
use crate::domain::org::{DivisionIx, SellerIx};
use crate::domain::projection::Projection;
use crate::domain::score::{Fact, Facts};

/// The collaboration figures a leader reads, for a seller or a division.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LeadStats {
    pub leads_given: u64,
    pub leads_received: u64,
    /// Received leads with any feedback ÷ leads received.
    pub feedback_rate: Option<f64>,
    /// Mean hours from lead to its first feedback, over received leads.
    pub hours_to_first_feedback: Option<f64>,
    /// Median of the same: one slow lead does not hide a quick habit.
    pub median_hours_to_feedback: Option<f64>,
    /// Received leads still without feedback past the feedback SLA, as of
    /// the "now" the figures were asked for.
    pub overdue: u64,
    /// Given leads reported won ÷ leads given.
    pub conversion_rate: Option<f64>,
    pub leads_won: u64,
    /// Order value (minor units, per currency) that came from leads this
    /// seller gave or received.
    pub collaboration_value: BTreeMap<String, i64>,
    /// Commission (minor units, per currency: each order's own) that those
    /// orders created for the selling division, at `commission_pct` of the
    /// rules in force at each order's business time. See
    /// [`crate::domain::commission`] for the rounding.
    pub commission_value: BTreeMap<String, i64>,
    /// The givers' share of that commission (`giver_share_pct` of it), for
    /// orders from leads this seller or division gave.
    pub giver_commission_value: BTreeMap<String, i64>,
    /// Points earned through collaboration: leads, feedback, joint visits,
    /// shares, won, qualified and meeting bonuses, knowledge sessions.
    pub collaboration_points: i64,
}

/// One order from a lead, as the figures need it.
pub(crate) struct LeadOrder<'a> {
    seller: SellerIx,
    division: DivisionIx,
    currency: &'a str,
    amount: i64,
    commission: i64,
    giver_commission: i64,
}

fn add_value(map: &mut BTreeMap<String, i64>, currency: &str, amount: i64) {
    let v = map.entry(currency.to_string()).or_default();
    *v = v.saturating_add(amount);
}

fn fraction(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| (num as f64 / den as f64 * 1000.0).round() / 1000.0)
}

/// Whose lead-loop figures: one seller's, or one division's (leads it gave
/// and received, orders its sellers closed, by division at the time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Seller(SellerIx),
    Division(DivisionIx),
}

/// Running sums behind one [`LeadStats`], so that one seller's figures and
/// everyone's at once come from the same per-lead rule.
#[derive(Debug, Default)]
struct Tally {
    st: LeadStats,
    answered: u64,
    hours_sum: f64,
    won_given: u64,
    /// Microseconds from lead to first feedback, for the median.
    waits: Vec<i64>,
}

/// What one lead contributes, worked out once and applied to each party.
struct LeadFacts {
    in_range: bool,
    at_us: i64,
    /// Business time and author of the earliest feedback.
    first: Option<(SellerIx, i64)>,
    won: bool,
    /// No feedback yet and past the SLA at the "now" asked about.
    overdue: bool,
}

impl Tally {
    fn lead(&mut self, l: &LeadFacts, gave: bool, received: bool) {
        if !l.in_range {
            return;
        }
        if gave {
            self.st.leads_given += 1;
            self.won_given += l.won as u64;
        }
        if received {
            self.st.leads_received += 1;
            if let Some((_, at)) = l.first {
                self.answered += 1;
                self.hours_sum += (at - l.at_us).max(0) as f64 / 3.6e9;
                self.waits.push((at - l.at_us).max(0));
            }
            self.st.overdue += l.overdue as u64;
        }
        if (gave || received) && l.won {
            self.st.leads_won += 1;
        }
    }

    /// Counts an order's value and commission; the giver's share only for
    /// the party that gave the lead.
    fn order(&mut self, o: &LeadOrder, gave: bool) {
        add_value(&mut self.st.collaboration_value, o.currency, o.amount);
        add_value(&mut self.st.commission_value, o.currency, o.commission);
        if gave {
            add_value(
                &mut self.st.giver_commission_value,
                o.currency,
                o.giver_commission,
            );
        }
    }

    fn finish(self) -> LeadStats {
        let mut st = self.st;
        st.feedback_rate = fraction(self.answered, st.leads_received);
        st.hours_to_first_feedback = (self.answered > 0)
            .then(|| (self.hours_sum / self.answered as f64 * 10.0).round() / 10.0);
        st.conversion_rate = fraction(self.won_given, st.leads_given);
        let mut waits = self.waits;
        st.median_hours_to_feedback = crate::domain::sla::median_hours(&mut waits);
        st
    }
}

/// Walks every live lead once: its facts, and each order from it that was
/// closed in `[from_us, to_us)` as (closer, closer's division, currency,
/// amount). One pass serves one seller's profile and the whole
/// collaboration view alike, so neither costs sellers × leads.
fn each_lead(
    p: &Projection,
    from_us: i64,
    to_us: i64,
    now_us: i64,
    mut visit: impl FnMut(&crate::domain::org::Lead, &LeadFacts, &[LeadOrder]),
) {
    let feedback_of = |seq: u64| match p.facts.fact(seq) {
        Some(rec) if !rec.voided => match &rec.fact {
            Fact::Feedback { status, by, .. } => Some((*status, *by, rec.at_us)),
            _ => None,
        },
        _ => None,
    };
    let in_range = |at: i64| at >= from_us && at < to_us;
    let mut orders: Vec<LeadOrder> = Vec::new();
    for l in p.org.leads.iter().filter(|l| !l.voided) {
        // Business time decides which report came first (ties: log order).
        let mut first: Option<(SellerIx, i64)> = None;
        let mut won = false;
        for (status, by, at) in l.feedback.iter().filter_map(|s| feedback_of(*s)) {
            if first.is_none_or(|(_, t)| at < t) {
                first = Some((by, at));
            }
            won |= status == FeedbackStatus::Won;
        }
        let overdue = first.is_none()
            && crate::domain::sla::is_overdue(l.at_us, p.score.timeline.at(l.at_us), p.tz, now_us);
        orders.clear();
        for o in &l.orders {
            let Some(rec) = p.facts.fact(*o).filter(|r| !r.voided && in_range(r.at_us)) else {
                continue;
            };
            if let Fact::Order {
                seller,
                division,
                amount,
                currency,
                ..
            } = &rec.fact
            {
                let code = p
                    .org
                    .currencies
                    .get(*currency as usize)
                    .map_or("", String::as_str);
                let rules = p.score.timeline.at(rec.at_us);
                let (commission, giver_commission) =
                    order_commission(rules, &p.org, *division, *amount);
                orders.push(LeadOrder {
                    seller: *seller,
                    division: *division,
                    currency: code,
                    amount: *amount,
                    commission,
                    giver_commission,
                });
            }
        }
        let facts = LeadFacts {
            in_range: in_range(l.at_us),
            at_us: l.at_us,
            first,
            won,
            overdue,
        };
        visit(l, &facts, &orders);
    }
}

/// The seller who receives a lead: the one it names or who claimed it,
/// else whoever answered it first.
fn receiver(l: &crate::domain::org::Lead, facts: &LeadFacts) -> Option<SellerIx> {
    l.owner().or(facts.first.map(|(by, _)| by))
}

/// Lead-loop figures for leads given within `[from_us, to_us)` and orders
/// closed within it; overdue as of `now_us`.
pub fn lead_stats(p: &Projection, who: Who, from_us: i64, to_us: i64, now_us: i64) -> LeadStats {
    let mut t = Tally::default();
    each_lead(p, from_us, to_us, now_us, |l, facts, orders| {
        let (gave, received) = match who {
            Who::Seller(s) => (l.giver == s, receiver(l, facts) == Some(s)),
            Who::Division(d) => (l.giver_division == d, l.to_division == d),
        };
        t.lead(facts, gave, received);
        for o in orders {
            let closed = match who {
                Who::Seller(s) => o.seller == s,
                Who::Division(d) => o.division == d,
            };
            if gave || closed {
                t.order(o, gave);
            }
        }
    });
    t.finish()
}

/// Every seller's and every division's lead-loop figures in one pass over
/// the leads: each lead is tallied for its giver and receiver, each order
/// for the giver and the closer (once when they are the same). The third
/// value holds the figures of the whole window, each order counted once
/// however many took part.
pub(crate) fn lead_stats_all(
    p: &Projection,
    from_us: i64,
    to_us: i64,
    now_us: i64,
) -> (Vec<LeadStats>, Vec<LeadStats>, LeadStats) {
    let mut total = Tally::default();
    let mut sellers: Vec<Tally> = (0..p.org.sellers.len()).map(|_| Tally::default()).collect();
    let mut divisions: Vec<Tally> = (0..p.org.divisions.len())
        .map(|_| Tally::default())
        .collect();
    each_lead(p, from_us, to_us, now_us, |l, facts, orders| {
        let r = receiver(l, facts);
        if let Some(t) = sellers.get_mut(l.giver as usize) {
            t.lead(facts, true, r == Some(l.giver));
        }
        if let Some(r) = r.filter(|r| *r != l.giver) {
            if let Some(t) = sellers.get_mut(r as usize) {
                t.lead(facts, false, true);
            }
        }
        if let Some(t) = divisions.get_mut(l.giver_division as usize) {
            t.lead(facts, true, l.to_division == l.giver_division);
        }
        if l.to_division != l.giver_division {
            if let Some(t) = divisions.get_mut(l.to_division as usize) {
                t.lead(facts, false, true);
            }
        }
        for o in orders {
            total.order(o, true);
            for s in [Some(l.giver), (o.seller != l.giver).then_some(o.seller)]
                .into_iter()
                .flatten()
            {
                if let Some(t) = sellers.get_mut(s as usize) {
                    t.order(o, s == l.giver);
                }
            }
            for d in [
                Some(l.giver_division),
                (o.division != l.giver_division).then_some(o.division),
            ]
            .into_iter()
            .flatten()
            {
                if let Some(t) = divisions.get_mut(d as usize) {
                    t.order(o, d == l.giver_division);
                }
            }
        }
    });
    (
        sellers.into_iter().map(Tally::finish).collect(),
        divisions.into_iter().map(Tally::finish).collect(),
        total.st,
    )
}
