//! Promises kept: what givers see of the orders their leads became, and
//! each division's delivery rate.
//!
//! An order's delivery status is its latest live report by business time
//! (log order breaks ties), so a void or a back-dated report settles it the
//! same way a replay does. The delivery rate is `delivered ÷ orders with a
//! delivery report` (by latest status), not `÷ all orders`: orders that
//! nobody has reported on yet say nothing about promises kept, and counting
//! them would punish divisions for slow paperwork instead of late delivery.

use serde::Serialize;

use crate::domain::credit::{Fact, Facts};
use crate::domain::event::DeliveryStatus;
use crate::domain::org::{OrderRec, SellerIx};
use crate::domain::Projection;

/// An order from one of the seller's leads, as the giver sees it.
#[derive(Debug, Clone, Serialize)]
pub struct DeliverySummary {
    pub order: String,
    pub seq: u64,
    pub lead: String,
    pub customer: String,
    pub seller: String,
    /// Latest report; `null` while nobody has reported on the delivery.
    pub status: Option<DeliveryStatus>,
}

/// A division's delivery figures over orders closed in a window.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DeliveryStats {
    /// Orders with at least one live delivery report.
    pub reported: u64,
    pub delivered: u64,
    pub delayed: u64,
    pub problem: u64,
    /// `delivered ÷ reported`; `null` without reports.
    pub delivery_rate: Option<f64>,
}

/// The order's latest live delivery status.
pub fn status_of(p: &Projection, order: &OrderRec) -> Option<DeliveryStatus> {
    order
        .deliveries
        .iter()
        .filter_map(|s| {
            let f = p.facts.fact(*s).filter(|f| !f.voided)?;
            match f.fact {
                Fact::Delivery { status, .. } => Some(((f.at_us, *s), status)),
                _ => None,
            }
        })
        .max_by_key(|(k, _)| *k)
        .map(|(_, st)| st)
}

/// Orders from the live leads `giver` gave, newest lead first, at most 50.
pub fn deliveries_for_giver(p: &Projection, giver: SellerIx) -> Vec<DeliverySummary> {
    let org = &p.org;
    let mut out = Vec::new();
    for l in org
        .leads
        .iter()
        .rev()
        .filter(|l| l.giver == giver && !l.voided)
    {
        for seq in l.orders.iter().rev() {
            if out.len() >= 50 {
                return out;
            }
            let Ok(i) = org.orders.binary_search_by_key(seq, |o| o.seq) else {
                continue;
            };
            let Some(rec) = p.facts.fact(*seq).filter(|f| !f.voided) else {
                continue;
            };
            let Fact::Order { seller, .. } = rec.fact else {
                continue;
            };
            out.push(DeliverySummary {
                order: org.orders[i].id.to_string(),
                seq: *seq,
                lead: l.id.clone(),
                customer: l.customer.clone(),
                seller: org
                    .sellers
                    .get(seller as usize)
                    .map(|s| s.id.clone())
                    .unwrap_or_default(),
                status: status_of(p, &org.orders[i]),
            });
        }
    }
    out
}

/// Delivery figures per division (by index) for orders closed in
/// `[from_us, to_us)`, credited to the seller's division at order time.
pub fn division_delivery(p: &Projection, from_us: i64, to_us: i64) -> Vec<DeliveryStats> {
    let mut out = vec![DeliveryStats::default(); p.org.divisions.len()];
    for o in p.org.orders.iter().filter(|o| !o.deliveries.is_empty()) {
        let Some(rec) = p.facts.fact(o.seq).filter(|f| !f.voided) else {
            continue;
        };
        let Fact::Order { division, .. } = rec.fact else {
            continue;
        };
        if !(from_us..to_us).contains(&rec.at_us) {
            continue;
        }
        let (Some(st), Some(d)) = (status_of(p, o), out.get_mut(division as usize)) else {
            continue;
        };
        d.reported += 1;
        match st {
            DeliveryStatus::Delivered => d.delivered += 1,
            DeliveryStatus::Delayed => d.delayed += 1,
            DeliveryStatus::Problem => d.problem += 1,
        }
    }
    for d in &mut out {
        d.delivery_rate = (d.reported > 0).then(|| d.delivered as f64 / d.reported as f64);
    }
    out
}
