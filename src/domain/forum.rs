//! The weekly cross-selling forum: the meeting's agenda, per division pair.
//!
//! The practice the product follows has divisions meet weekly to go
//! through what passed between them: the new leads, the ones nobody has
//! answered, what came of the earlier ones (won, lost, orders), promises at
//! risk (delivery problems) and the wins to thank people for. This read
//! model is that agenda, one section per (giving, receiving) division pair,
//! so a printed agenda can give each pair its own page.
//!
//! "Since" is business time: a lead logged late but dated within the week
//! is on this week's agenda, as on every board. Overdue leads are listed
//! whatever their age: an unanswered lead from last month is exactly what
//! the meeting is for. Lists are cut at `limit` rows each (oldest overdue
//! first, newest news first) with their full counts beside them, so a big
//! organisation's agenda stays readable and the read stays bounded.
//!
//! Cost: one pass over the events dated since the date (the game's day
//! index finds them whatever their seq, since back-dated events exist) and
//! one over the leads (overdue).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::credit::{Fact, Facts};
use crate::domain::event::{DeliveryStatus, FeedbackStatus};
use crate::domain::leads::loop_of;
use crate::domain::org::{DivisionIx, Lead, LeadIx, OrderRec, SellerIx};
use crate::domain::projection::Projection;
use crate::domain::sla::{deadline_us, hours_between, is_overdue};
use crate::domain::time::format_us;

/// A lead as the agenda shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForumLead {
    pub lead: String,
    pub customer: String,
    /// Giver id and name.
    pub from: String,
    pub from_name: String,
    /// The receiver (named or claimed), if any.
    pub to_seller: Option<String>,
    pub to_seller_name: Option<String>,
    pub given_at: String,
    /// `open`, or the latest feedback status.
    pub status: &'static str,
    pub overdue: bool,
    /// Hours the lead has waited (as of "now") for an overdue or open one.
    pub age_hours: f64,
    pub due_at: String,
}

/// An order from one of the pair's leads.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForumOrder {
    pub order: String,
    pub lead: String,
    pub customer: String,
    pub seller: String,
    pub seller_name: String,
    /// Minor units.
    pub amount: i64,
    pub currency: String,
    pub closed_at: String,
}

/// An order from one of the pair's leads whose latest delivery report,
/// made since the date, is `delayed` or `problem`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForumDelivery {
    pub order: String,
    pub lead: String,
    pub customer: String,
    pub seller: String,
    pub seller_name: String,
    pub status: &'static str,
    pub reported_at: String,
}

/// A list cut at the limit, with its full length.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Listed<T> {
    pub total: u64,
    pub rows: Vec<T>,
}

impl<T> Default for Listed<T> {
    fn default() -> Self {
        Listed {
            total: 0,
            rows: Vec::new(),
        }
    }
}

/// One division pair's section of the agenda.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairAgenda {
    pub from: String,
    pub from_name: String,
    pub to: String,
    pub to_name: String,
    /// Leads given since the date.
    pub new_leads: Listed<ForumLead>,
    /// Leads still unanswered past their SLA, whenever given.
    pub overdue: Listed<ForumLead>,
    /// Leads reported won / lost since the date.
    pub won: Listed<ForumLead>,
    pub lost: Listed<ForumLead>,
    /// Orders from the pair's leads closed since the date.
    pub orders: Listed<ForumOrder>,
    /// Their value per currency (minor units), all of them, not only the
    /// rows listed.
    pub order_value: BTreeMap<String, i64>,
    pub delivery_problems: Listed<ForumDelivery>,
}

/// Something to celebrate: an order from a lead, or a lead reported won
/// that has no order yet.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForumWin {
    /// `order` or `won`.
    pub kind: &'static str,
    pub customer: String,
    pub lead: String,
    pub giver: String,
    pub giver_name: String,
    /// Who closed the order or reported the win.
    pub seller: String,
    pub seller_name: String,
    pub amount: Option<i64>,
    pub currency: Option<String>,
    pub at: String,
}

/// The totals of the whole agenda (before any cut).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ForumTotals {
    pub new_leads: u64,
    pub overdue: u64,
    pub won: u64,
    pub lost: u64,
    pub orders: u64,
    pub order_value: BTreeMap<String, i64>,
    pub delivery_problems: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Forum {
    /// The local date asked for, when the caller thinks in dates (the
    /// HTTP read sets it; the domain knows only instants).
    pub since: Option<String>,
    pub since_at: String,
    pub now: String,
    pub totals: ForumTotals,
    /// Pairs with anything on the agenda, in division order (giver, then
    /// receiver).
    pub pairs: Vec<PairAgenda>,
    /// Orders from leads (largest first) and wins without an order yet.
    pub celebrate: Listed<ForumWin>,
}

/// Sort keys kept beside rows until the cut.
#[derive(Default)]
struct PairAcc {
    new_leads: Vec<(i64, u64, LeadIx)>,
    overdue: Vec<(i64, u64, LeadIx)>,
    won: Vec<(i64, u64, LeadIx)>,
    lost: Vec<(i64, u64, LeadIx)>,
    orders: Vec<(i64, u64)>,
    value: BTreeMap<String, i64>,
    problems: Vec<(i64, u64, DeliveryStatus)>,
}

fn add_value(map: &mut BTreeMap<String, i64>, currency: &str, amount: i64) {
    let v = map.entry(currency.to_string()).or_default();
    *v = v.saturating_add(amount);
}

/// The agenda for events since `since_us`, overdue as of `now_us`, each
/// list cut at `limit` rows. Pure.
pub fn forum(p: &Projection, since_us: i64, now_us: i64, limit: usize) -> Forum {
    let org = &p.org;
    let mut acc: BTreeMap<(DivisionIx, DivisionIx), PairAcc> = BTreeMap::new();
    let lead_of = |l: LeadIx| org.leads.get(l as usize).filter(|l| !l.voided);
    let pair = |l: &Lead| (l.giver_division, l.to_division);
    let currency = |c: u16| {
        org.currencies
            .get(c as usize)
            .map_or_else(String::new, Clone::clone)
    };
    let mut wins: Vec<(i64, i64, u64)> = Vec::new(); // (-amount, -at, seq)
    let mut won_leads: Vec<(i64, u64, LeadIx, SellerIx)> = Vec::new();
    let mut totals = ForumTotals::default();
    // (lead, won?) already listed: one row per lead and status.
    let mut reported: std::collections::HashSet<(LeadIx, bool)> = Default::default();
    // Only the days since `since_us` (the game's day index), in log order
    // as before, so a week's agenda reads that week's events.
    let since_day = crate::domain::time::day_index(since_us, p.tz);
    let mut seqs: Vec<u64> = p
        .game
        .seqs_between(since_day, crate::domain::time::Day::MAX)
        .collect();
    seqs.sort_unstable();
    for seq in seqs {
        let Some(rec) = p.facts.get(seq as usize - 1) else {
            continue;
        };
        if rec.voided || rec.at_us < since_us {
            continue;
        }
        match &rec.fact {
            Fact::Lead { lead, .. } => {
                if let Some(l) = lead_of(*lead) {
                    acc.entry(pair(l))
                        .or_default()
                        .new_leads
                        .push((-rec.at_us, seq, *lead));
                    totals.new_leads += 1;
                }
            }
            Fact::Feedback {
                lead, by, status, ..
            } => {
                let Some(l) = lead_of(*lead) else { continue };
                let a = acc.entry(pair(l)).or_default();
                let list = match status {
                    FeedbackStatus::Won => &mut a.won,
                    FeedbackStatus::Lost => &mut a.lost,
                    _ => continue,
                };
                // One row per lead, however often the same status came.
                if !reported.insert((*lead, *status == FeedbackStatus::Won)) {
                    continue;
                }
                list.push((-rec.at_us, seq, *lead));
                if *status == FeedbackStatus::Won {
                    totals.won += 1;
                    won_leads.push((rec.at_us, seq, *lead, *by));
                } else {
                    totals.lost += 1;
                }
            }
            Fact::Order {
                amount,
                currency: c,
                lead: Some((lead, _)),
                ..
            } => {
                let Some(l) = lead_of(*lead) else { continue };
                let a = acc.entry(pair(l)).or_default();
                a.orders.push((-rec.at_us, seq));
                let code = currency(*c);
                add_value(&mut a.value, &code, *amount);
                add_value(&mut totals.order_value, &code, *amount);
                totals.orders += 1;
                wins.push((amount.saturating_neg(), -rec.at_us, seq));
            }
            Fact::Delivery { order, status } => {
                if *status == DeliveryStatus::Delivered {
                    continue;
                }
                let Some(o) = org.orders.get(*order as usize) else {
                    continue;
                };
                // Still at risk: this report is the order's latest.
                if latest_delivery(p, o) != Some(seq) {
                    continue;
                }
                let Some(Fact::Order {
                    lead: Some((lead, _)),
                    ..
                }) = p.facts.fact(o.seq).filter(|f| !f.voided).map(|f| &f.fact)
                else {
                    continue;
                };
                let Some(l) = lead_of(*lead) else { continue };
                acc.entry(pair(l))
                    .or_default()
                    .problems
                    .push((-rec.at_us, seq, *status));
                totals.delivery_problems += 1;
            }
            _ => {}
        }
    }
    for ix in 0..org.leads.len() as LeadIx {
        // The fold's per-lead figures (see `matrix::LoopIndex`): no
        // feedback to read for each of a million events' leads.
        if p.loops.overdue(ix, now_us) != Some(true) {
            continue;
        }
        let Some(l) = org.leads.get(ix as usize) else {
            continue;
        };
        acc.entry(pair(l))
            .or_default()
            .overdue
            .push((l.at_us, l.seq, ix));
        totals.overdue += 1;
    }

    let name = |s: SellerIx| {
        org.sellers
            .get(s as usize)
            .map_or((String::new(), String::new()), |x| {
                (x.id.clone(), x.name.clone())
            })
    };
    let lead_row = |ix: LeadIx| -> Option<ForumLead> {
        let l = org.leads.get(ix as usize)?;
        let (first, status) = loop_of(p, l);
        let rules = p.score.timeline.at(l.at_us);
        let (from, from_name) = name(l.giver);
        let owner = l.owner().map(name);
        Some(ForumLead {
            lead: l.id.clone(),
            customer: l.customer.clone(),
            from,
            from_name,
            to_seller: owner.as_ref().map(|o| o.0.clone()),
            to_seller_name: owner.map(|o| o.1),
            given_at: format_us(l.at_us),
            status: status.as_str(),
            overdue: first.is_none() && is_overdue(l.at_us, rules, p.tz, now_us),
            age_hours: hours_between(l.at_us, now_us).max(0.0),
            due_at: format_us(deadline_us(l.at_us, rules, p.tz)),
        })
    };
    let order_row = |seq: u64| -> Option<ForumOrder> {
        let rec = p.facts.fact(seq)?;
        let Fact::Order {
            seller,
            amount,
            currency: c,
            lead: Some((lead, _)),
            ..
        } = &rec.fact
        else {
            return None;
        };
        let l = org.leads.get(*lead as usize)?;
        let o = order_at_seq(p, seq)?;
        let (seller, seller_name) = name(*seller);
        Some(ForumOrder {
            order: o.id.to_string(),
            lead: l.id.clone(),
            customer: customer_of(p, seq).unwrap_or_else(|| l.customer.clone()),
            seller,
            seller_name,
            amount: *amount,
            currency: currency(*c),
            closed_at: format_us(rec.at_us),
        })
    };
    let cut_leads = |mut v: Vec<(i64, u64, LeadIx)>| {
        // Only the first `limit` are shown: select them, then sort those
        // (keys are unique by seq, so the rows equal a full sort's).
        if v.len() > limit && limit > 0 {
            v.select_nth_unstable(limit - 1);
            v[..limit].sort_unstable();
        } else {
            v.sort_unstable();
        }
        Listed {
            total: v.len() as u64,
            rows: v
                .iter()
                .take(limit)
                .filter_map(|(_, _, ix)| lead_row(*ix))
                .collect(),
        }
    };
    let div = |d: DivisionIx| {
        org.divisions
            .get(d as usize)
            .map_or((String::new(), String::new()), |x| {
                (x.id.clone(), x.name.clone())
            })
    };
    let pairs = acc
        .into_iter()
        .map(|((f, t), mut a)| {
            let (from, from_name) = div(f);
            let (to, to_name) = div(t);
            a.orders.sort_unstable();
            a.problems.sort_unstable_by_key(|(at, seq, _)| (*at, *seq));
            PairAgenda {
                from,
                from_name,
                to,
                to_name,
                new_leads: cut_leads(a.new_leads),
                overdue: cut_leads(a.overdue),
                won: cut_leads(a.won),
                lost: cut_leads(a.lost),
                orders: Listed {
                    total: a.orders.len() as u64,
                    rows: a
                        .orders
                        .iter()
                        .take(limit)
                        .filter_map(|(_, s)| order_row(*s))
                        .collect(),
                },
                order_value: a.value,
                delivery_problems: Listed {
                    total: a.problems.len() as u64,
                    rows: a
                        .problems
                        .iter()
                        .take(limit)
                        .filter_map(|(_, s, st)| delivery_row(p, *s, *st))
                        .collect(),
                },
            }
        })
        .collect();

    // Wins: orders from leads, largest first; then leads won with no order.
    wins.sort_unstable();
    won_leads.sort_unstable_by_key(|(at, seq, _, _)| (-at, *seq));
    let with_order = |ix: LeadIx| {
        org.leads.get(ix as usize).is_some_and(|l| {
            l.orders
                .iter()
                .any(|s| p.facts.fact(*s).is_some_and(|f| !f.voided))
        })
    };
    let order_wins = wins.iter().filter_map(|(_, _, seq)| {
        let o = order_row(*seq)?;
        let l = org.leads.get(org.lead(&o.lead)? as usize)?;
        let (giver, giver_name) = name(l.giver);
        Some(ForumWin {
            kind: "order",
            customer: o.customer,
            lead: o.lead,
            giver,
            giver_name,
            seller: o.seller,
            seller_name: o.seller_name,
            amount: Some(o.amount),
            currency: Some(o.currency),
            at: o.closed_at,
        })
    });
    let lead_wins = won_leads
        .iter()
        .filter(|(_, _, ix, _)| !with_order(*ix))
        .filter_map(|(at, _, ix, by)| {
            let l = org.leads.get(*ix as usize)?;
            let (giver, giver_name) = name(l.giver);
            let (seller, seller_name) = name(*by);
            Some(ForumWin {
                kind: "won",
                customer: l.customer.clone(),
                lead: l.id.clone(),
                giver,
                giver_name,
                seller,
                seller_name,
                amount: None,
                currency: None,
                at: format_us(*at),
            })
        });
    // Rows only for what is shown; the count for all.
    let total = wins.len() as u64
        + won_leads
            .iter()
            .filter(|(_, _, ix, _)| !with_order(*ix))
            .count() as u64;
    let celebrate = Listed {
        total,
        rows: order_wins.chain(lead_wins).take(limit).collect(),
    };
    Forum {
        since: None,
        since_at: format_us(since_us),
        now: format_us(now_us),
        totals,
        pairs,
        celebrate,
    }
}

/// The order closed at `seq` (orders are kept in log order).
fn order_at_seq(p: &Projection, seq: u64) -> Option<&OrderRec> {
    let orders = &p.org.orders;
    orders
        .binary_search_by_key(&seq, |o| o.seq)
        .ok()
        .map(|i| &orders[i])
}

/// The seq of the order's latest live delivery report (business time, log
/// order breaking ties), as [`crate::domain::delivery::status_of`] decides.
fn latest_delivery(p: &Projection, o: &OrderRec) -> Option<u64> {
    o.deliveries
        .iter()
        .filter_map(|s| {
            let f = p.facts.fact(*s).filter(|f| !f.voided)?;
            matches!(f.fact, Fact::Delivery { .. }).then_some((f.at_us, *s))
        })
        .max()
        .map(|(_, s)| s)
}

fn customer_of(p: &Projection, seq: u64) -> Option<String> {
    p.customers
        .of_seq(seq)
        .and_then(|c| p.customers.get(c))
        .map(|c| c.name.clone())
}

fn delivery_row(p: &Projection, seq: u64, status: DeliveryStatus) -> Option<ForumDelivery> {
    let rec = p.facts.fact(seq)?;
    let Fact::Delivery { order, .. } = rec.fact else {
        return None;
    };
    let o = p.org.orders.get(order as usize)?;
    let Some(Fact::Order {
        lead: Some((lead, _)),
        ..
    }) = p.facts.fact(o.seq).map(|f| &f.fact)
    else {
        return None;
    };
    let l = p.org.leads.get(*lead as usize)?;
    let s = p.org.sellers.get(o.seller as usize)?;
    Some(ForumDelivery {
        order: o.id.to_string(),
        lead: l.id.clone(),
        customer: customer_of(p, o.seq).unwrap_or_else(|| l.customer.clone()),
        seller: s.id.clone(),
        seller_name: s.name.clone(),
        status: status.as_str(),
        reported_at: format_us(rec.at_us),
    })
}
