//! Customer memory: every customer the log names, how far each division
//! has got with it (the white space where cross-selling can happen) and the
//! seqs of everything that happened with it, kept up to date by the fold so
//! a read never scans the log.
//!
//! # The key
//!
//! A customer is keyed by its normalised name ([`normalise`]: trimmed,
//! lower-cased, inner whitespace collapsed), so "Volvo Cars", " volvo  cars"
//! and "VOLVO CARS" are one customer. The key is derived from the name
//! rather than stored because the old events (`lead_given`, `joint_visit`,
//! `meeting_held`, `order_closed`) only carry a name, and a stored variant
//! never changes shape. `mastermind_held` takes an optional `customer_id`
//! (a CRM id): the first event that carries an id ties it to its name's
//! customer, and later events with that id land on the same customer even
//! when the name was written differently. Feedback and delivery reports
//! name no customer; they belong to their lead's and order's customer.
//!
//! # How far a division got
//!
//! Per division the furthest state reached: order > meeting > lead > none.
//! A lead counts for its receiving division, a meeting or an order for the
//! seller's division at the event's business time. Counts are kept per
//! state, so a void takes exactly one away and the state falls back to what
//! the remaining events reach. Joint visits, masterminds, customer events,
//! feedback and deliveries appear in the timeline but move no state.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

use crate::domain::credit::{Fact, FactRec};
use crate::domain::event::Event;
use crate::domain::org::{DivisionIx, Key, Org};

/// A customer index; [`NO_CUSTOMER`] marks a seq that names none (or many).
pub type CustomerIx = u32;
pub const NO_CUSTOMER: CustomerIx = CustomerIx::MAX;

/// The furthest a division has got with a customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reach {
    None,
    Lead,
    Meeting,
    Order,
}

impl Reach {
    pub fn as_str(self) -> &'static str {
        match self {
            Reach::None => "none",
            Reach::Lead => "lead",
            Reach::Meeting => "meeting",
            Reach::Order => "order",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Customer {
    pub key: String,
    /// The name as first written.
    pub name: String,
    /// Every event about this customer, in log order.
    pub seqs: Vec<u64>,
    /// Live (not voided) leads, meetings and orders per division.
    counts: Vec<(DivisionIx, [u32; 3])>,
}

impl Customer {
    /// The furthest state `division` has reached with this customer.
    pub fn reach(&self, division: DivisionIx) -> Reach {
        let Some((_, c)) = self.counts.iter().find(|(d, _)| *d == division) else {
            return Reach::None;
        };
        match c {
            [_, _, o] if *o > 0 => Reach::Order,
            [_, m, _] if *m > 0 => Reach::Meeting,
            [l, _, _] if *l > 0 => Reach::Lead,
            _ => Reach::None,
        }
    }

    fn count(&mut self, division: DivisionIx, state: usize, add: bool) {
        let i = match self.counts.iter().position(|(d, _)| *d == division) {
            Some(i) => i,
            None => {
                self.counts.push((division, [0; 3]));
                self.counts.len() - 1
            }
        };
        let n = &mut self.counts[i].1[state];
        *n = if add {
            n.saturating_add(1)
        } else {
            n.saturating_sub(1)
        };
    }
}

#[derive(Debug, Clone, Default)]
pub struct Customers {
    pub list: Vec<Customer>,
    /// Normalised key → customer, in key order (paging, search).
    by_key: BTreeMap<Box<str>, CustomerIx>,
    /// Exact names as written → customer: most events repeat a name
    /// verbatim, and this spares replay the normalising.
    by_name: HashMap<Key, CustomerIx>,
    /// CRM ids → customer.
    by_id: HashMap<Key, CustomerIx>,
    /// `by_seq[seq - 1]`: the one customer an event names, so a void, a
    /// feedback or a delivery finds it without reading the log.
    by_seq: Vec<CustomerIx>,
}

/// The customer key of a name: trimmed, lower-cased, inner whitespace
/// collapsed to one space.
pub fn normalise(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for word in name.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

/// The state slot a fact counts for, and in which division.
fn state_of(fact: &Fact) -> Option<(DivisionIx, usize)> {
    match fact {
        Fact::Lead { to_division, .. } => Some((*to_division, 0)),
        Fact::Meeting { division, .. } => Some((*division, 1)),
        Fact::Order { division, .. } => Some((*division, 2)),
        _ => None,
    }
}

impl Customers {
    pub fn get(&self, ix: CustomerIx) -> Option<&Customer> {
        self.list.get(ix as usize)
    }

    /// A customer by its key (normalised here, so any spelling finds it)
    /// or by a CRM id.
    pub fn find(&self, key_or_id: &str) -> Option<CustomerIx> {
        self.by_key
            .get(normalise(key_or_id).as_str())
            .or_else(|| self.by_id.get(key_or_id))
            .copied()
    }

    /// The customer of the event at `seq`, when it names exactly one.
    pub fn of_seq(&self, seq: u64) -> Option<CustomerIx> {
        let c = *self.by_seq.get(seq.checked_sub(1)? as usize)?;
        (c != NO_CUSTOMER).then_some(c)
    }

    fn intern(&mut self, name: &str, id: Option<&str>) -> CustomerIx {
        if let Some(c) = id.and_then(|id| self.by_id.get(id)) {
            return *c;
        }
        let c = match self.by_name.get(name) {
            Some(c) => *c,
            None => {
                let key = normalise(name);
                let c = match self.by_key.get(key.as_str()) {
                    Some(c) => *c,
                    None => {
                        let c = self.list.len() as CustomerIx;
                        self.list.push(Customer {
                            key: key.clone(),
                            name: name.trim().to_string(),
                            seqs: Vec::new(),
                            counts: Vec::new(),
                        });
                        self.by_key.insert(key.into(), c);
                        c
                    }
                };
                self.by_name.insert(Key::new(name), c);
                c
            }
        };
        if let Some(id) = id {
            self.by_id.insert(Key::new(id), c);
        }
        c
    }

    fn note(&mut self, seq: u64, c: CustomerIx, single: bool) {
        if let Some(cust) = self.list.get_mut(c as usize) {
            if cust.seqs.last() != Some(&seq) {
                cust.seqs.push(seq);
            }
        }
        if single {
            if let Some(slot) = seq
                .checked_sub(1)
                .and_then(|i| self.by_seq.get_mut(i as usize))
            {
                *slot = c;
            }
        }
    }

    /// Folds in the event at `seq` (already applied to `org`; `fact` is its
    /// interned fact). Total: an event that fits nothing changes nothing.
    pub fn apply(&mut self, seq: u64, event: &Event, fact: &Fact, org: &Org) {
        let Some(i) = seq.checked_sub(1) else { return };
        if self.by_seq.len() as u64 <= i {
            self.by_seq.resize(i as usize + 1, NO_CUSTOMER);
        }
        let named = match event {
            Event::LeadGiven { customer, .. }
            | Event::JointVisit { customer, .. }
            | Event::MeetingHeld { customer, .. }
            | Event::OrderClosed { customer, .. } => Some(self.intern(customer, None)),
            Event::MastermindHeld {
                customer,
                customer_id,
                ..
            } => Some(self.intern(customer, customer_id.as_deref())),
            Event::LeadFeedback { lead, .. } => org
                .lead(lead)
                .and_then(|l| self.of_seq(org.leads[l as usize].seq)),
            Event::OrderDelivered { order, .. } => org
                .order(order)
                .and_then(|o| self.of_seq(org.orders[o as usize].seq)),
            Event::CustomerEvent { customers, .. } => {
                for name in customers {
                    let c = self.intern(name, None);
                    self.note(seq, c, false);
                }
                None
            }
            _ => None,
        };
        if let Some(c) = named {
            self.note(seq, c, true);
            if let Some((d, state)) = state_of(fact) {
                if let Some(cust) = self.list.get_mut(c as usize) {
                    cust.count(d, state, true);
                }
            }
        }
    }

    /// Takes back what the (not yet voided) event at `seq` reached.
    pub fn void(&mut self, seq: u64, fact: &Fact) {
        let (Some(c), Some((d, state))) = (self.of_seq(seq), state_of(fact)) else {
            return;
        };
        if let Some(cust) = self.list.get_mut(c as usize) {
            cust.count(d, state, false);
        }
    }

    /// Up to `limit` customers after the key `after` whose key contains
    /// `q` (normalised), in key order, and whether more follow.
    pub fn search(&self, q: &str, after: Option<&str>, limit: usize) -> (Vec<CustomerIx>, bool) {
        let q = normalise(q);
        let from = match after {
            Some(a) => Bound::Excluded(a),
            None => Bound::Unbounded,
        };
        let mut hits = self
            .by_key
            .range::<str, _>((from, Bound::Unbounded))
            .filter(|(k, _)| k.contains(q.as_str()))
            .map(|(_, c)| *c);
        let out: Vec<CustomerIx> = hits.by_ref().take(limit).collect();
        let more = hits.next().is_some();
        (out, more)
    }

    /// A customer's events in business-time order (log order breaks ties).
    pub fn timeline(&self, c: CustomerIx, facts: &[FactRec]) -> Vec<u64> {
        let Some(cust) = self.get(c) else {
            return Vec::new();
        };
        let mut seqs = cust.seqs.clone();
        let at = |s: &u64| {
            s.checked_sub(1)
                .and_then(|i| facts.get(i as usize))
                .map_or(i64::MAX, |f| f.at_us)
        };
        seqs.sort_by_key(|s| (at(s), *s));
        seqs
    }
}

#[cfg(test)]
#[path = "customers_tests.rs"]
mod tests;
