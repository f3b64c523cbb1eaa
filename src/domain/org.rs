//! The organisation as the log has built it: divisions, sellers, leads and
//! orders, and the checks a new event must pass against them.
//!
//! Ids arrive as client strings; inside, everything is interned to dense
//! `u32` indices so the score fold and board sums work on vectors instead of
//! string maps. Nothing here is ever removed: a seller who left stays (marked
//! left) so history keeps its names, and a voided lead stays (marked voided).

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use crate::domain::event::{is_qualified, Event, FeedbackStatus};

pub type SellerIx = u32;
pub type DivisionIx = u32;
pub type LeadIx = u32;
pub type OrderIx = u32;

#[derive(Debug, Clone)]
pub struct Division {
    pub id: String,
    pub name: String,
    /// Business time of `division_created`: a lead given before a division
    /// existed could not have reached it ("bridge builder").
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct Seller {
    pub id: String,
    pub name: String,
    pub division: DivisionIx,
    pub left: bool,
    /// When the seller left (business time): headcounts stop there.
    pub left_at: Option<i64>,
    /// The same stints by the instant each began (UTC microseconds), in log
    /// order: an event is credited to the division of its business time,
    /// even when it is logged after a later move.
    pub moves: Vec<(i64, DivisionIx)>,
}

#[derive(Debug, Clone)]
pub struct Lead {
    pub id: String,
    pub seq: u64,
    pub at_us: i64,
    pub giver: SellerIx,
    pub giver_division: DivisionIx,
    pub to_division: DivisionIx,
    pub to_seller: Option<SellerIx>,
    pub customer: String,
    pub estimated_value: Option<i64>,
    pub voided: bool,
    /// Seqs of feedback on this lead, in log order.
    pub feedback: Vec<u64>,
    /// Seqs of orders that name this lead, in log order.
    pub orders: Vec<u64>,
    /// Seq and claimer of every claim on this lead (voided ones too), in
    /// log order.
    pub claims: Vec<(u64, SellerIx)>,
    /// The claim in force: at most one, since a second is refused while
    /// one stands; a void of it clears this ([`Org::unclaim`]).
    pub claim: Option<Claim>,
    /// Given with need, known timing and contact (`lead_given` with them).
    pub qualified: bool,
    /// Seqs of meetings held that name this lead: the lead reached a
    /// meeting (lead quality).
    pub meetings: Vec<u64>,
}

/// Who took an unnamed lead, and when (business time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim {
    pub seq: u64,
    pub by: SellerIx,
    pub at_us: i64,
}

impl Lead {
    /// The seller the lead reached: the one it named, else the claimer.
    /// (Whoever answered first is a weaker guess, left to the callers that
    /// want it.)
    pub fn owner(&self) -> Option<SellerIx> {
        self.to_seller.or(self.claim.map(|c| c.by))
    }
}

/// An order as delivery reports need it.
#[derive(Debug, Clone)]
pub struct OrderRec {
    pub id: Box<str>,
    pub seq: u64,
    pub at_us: i64,
    pub seller: SellerIx,
    /// Seqs of `order_delivered` reports on this order, in log order.
    pub deliveries: Vec<u64>,
}

/// An id as a map key, kept inline when it is short (most are), so that a
/// lookup compares bytes next to the hash table's bucket instead of chasing
/// a pointer to the heap. At a million events the id maps outgrow the CPU
/// caches and that extra miss was a fifth of replay time. Hashes and
/// compares exactly like the `str` it holds, so maps are queried by `&str`.
#[derive(Clone)]
pub(crate) enum Key {
    Inline { len: u8, bytes: [u8; Key::INLINE] },
    Heap(Box<str>),
}

impl Key {
    const INLINE: usize = 22;

    pub(crate) fn new(s: &str) -> Key {
        if s.len() <= Self::INLINE {
            let mut bytes = [0u8; Self::INLINE];
            bytes[..s.len()].copy_from_slice(s.as_bytes());
            Key::Inline {
                len: s.len() as u8,
                bytes,
            }
        } else {
            Key::Heap(s.into())
        }
    }

    fn as_str(&self) -> &str {
        match self {
            // Copied from a `str` whole, so always UTF-8.
            Key::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..*len as usize]).unwrap_or("")
            }
            Key::Heap(s) => s,
        }
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Key {}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl Borrow<str> for Key {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_str().fmt(f)
    }
}

/// Why an event cannot be appended. `conflict` ones clash with what the log
/// already holds (HTTP 409); the rest are invalid against it (HTTP 422).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub code: &'static str,
    pub field: Option<String>,
    pub message: String,
    pub conflict: bool,
}

impl Rejection {
    pub fn invalid(code: &'static str, field: &str, message: impl Into<String>) -> Self {
        Rejection {
            code,
            field: Some(field.to_string()),
            message: message.into(),
            conflict: false,
        }
    }

    pub fn conflict(code: &'static str, field: &str, message: impl Into<String>) -> Self {
        Rejection {
            code,
            field: Some(field.to_string()),
            message: message.into(),
            conflict: true,
        }
    }
}

/// What the org knows about each seq, for voids and for scoring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeqInfo {
    pub activity: bool,
    pub voided: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Org {
    pub divisions: Vec<Division>,
    pub sellers: Vec<Seller>,
    pub leads: Vec<Lead>,
    pub currencies: Vec<String>,
    /// Seqs of `knowledge_shared` events, in log order: the knowledge
    /// figures read these instead of scanning the whole log.
    pub knowledge: Vec<u64>,
    /// Seqs of the kudos each seller gave (voided ones too): the weekly
    /// limit reads these.
    kudos: HashMap<SellerIx, Vec<u64>>,
    division_ix: HashMap<Key, DivisionIx>,
    seller_ix: HashMap<Key, SellerIx>,
    lead_ix: HashMap<Key, LeadIx>,
    /// Orders by id; [`Org::orders`] holds what deliveries need.
    order_ix: HashMap<Key, OrderIx>,
    pub orders: Vec<OrderRec>,
    currency_ix: HashMap<String, u16>,
    /// (giver, receiver) → seqs of the events by which a giver's lead
    /// reached that colleague (a `lead_given` naming them, or their
    /// `lead_claimed`), voided ones too: the first live one earns the
    /// first-pair bonus.
    pub pairs: HashMap<(SellerIx, SellerIx), Vec<u64>>,
}

impl Org {
    pub fn division(&self, id: &str) -> Option<DivisionIx> {
        self.division_ix.get(id).copied()
    }

    pub fn seller(&self, id: &str) -> Option<SellerIx> {
        self.seller_ix.get(id).copied()
    }

    pub fn lead(&self, id: &str) -> Option<LeadIx> {
        self.lead_ix.get(id).copied()
    }

    pub fn has_order(&self, id: &str) -> bool {
        self.order_ix.contains_key(id)
    }

    pub fn order(&self, id: &str) -> Option<OrderIx> {
        self.order_ix.get(id).copied()
    }

    pub fn currency(&self, code: &str) -> Option<u16> {
        self.currency_ix.get(code).copied()
    }

    fn intern_currency(&mut self, code: &str) -> u16 {
        if let Some(ix) = self.currency_ix.get(code) {
            return *ix;
        }
        let ix = self.currencies.len() as u16;
        self.currencies.push(code.to_string());
        self.currency_ix.insert(code.to_string(), ix);
        ix
    }

    /// Records an event that passed [`Org::check`]. Total: an event that
    /// somehow does not fit (a hand-edited log) changes nothing rather than
    /// panicking during replay.
    pub fn apply(&mut self, seq: u64, at_us: i64, event: &Event) {
        match event {
            Event::DivisionCreated { id, name } => {
                if self.division(id).is_none() {
                    self.division_ix
                        .insert(Key::new(id), self.divisions.len() as DivisionIx);
                    self.divisions.push(Division {
                        id: id.clone(),
                        name: name.clone(),
                        created_at: at_us,
                    });
                }
            }
            Event::SellerJoined { id, name, division } => {
                if let (None, Some(d)) = (self.seller(id), self.division(division)) {
                    self.seller_ix
                        .insert(Key::new(id), self.sellers.len() as SellerIx);
                    self.sellers.push(Seller {
                        id: id.clone(),
                        name: name.clone(),
                        division: d,
                        left: false,
                        left_at: None,
                        moves: vec![(at_us, d)],
                    });
                }
            }
            Event::LeadGiven {
                lead,
                from,
                to_division,
                to_seller,
                customer,
                estimated_value,
                ..
            }
            | Event::LeadGivenQualified {
                lead,
                from,
                to_division,
                to_seller,
                customer,
                estimated_value,
                ..
            } => {
                let qualified = match event {
                    Event::LeadGivenQualified {
                        need,
                        timing,
                        contact,
                        ..
                    } => is_qualified(need, *timing, contact),
                    _ => false,
                };
                if let (None, Some(g), Some(d)) = (
                    self.lead(lead),
                    self.seller(from),
                    self.division(to_division),
                ) {
                    self.lead_ix
                        .insert(Key::new(lead), self.leads.len() as LeadIx);
                    let to_seller = to_seller.as_deref().and_then(|s| self.seller(s));
                    if let Some(to) = to_seller {
                        self.pairs.entry((g, to)).or_default().push(seq);
                    }
                    self.leads.push(Lead {
                        id: lead.clone(),
                        seq,
                        at_us,
                        giver: g,
                        giver_division: self.division_at(g, at_us),
                        to_division: d,
                        to_seller,
                        customer: customer.clone(),
                        estimated_value: *estimated_value,
                        voided: false,
                        feedback: Vec::new(),
                        orders: Vec::new(),
                        claims: Vec::new(),
                        claim: None,
                        qualified,
                        meetings: Vec::new(),
                    });
                }
            }
            Event::LeadFeedback { lead, .. } => {
                if let Some(l) = self.lead(lead) {
                    self.leads[l as usize].feedback.push(seq);
                }
            }
            Event::OrderClosed {
                order,
                lead,
                currency,
                seller,
                ..
            } => {
                if !self.has_order(order) {
                    self.order_ix
                        .insert(Key::new(order), self.orders.len() as OrderIx);
                    self.orders.push(OrderRec {
                        id: order.as_str().into(),
                        seq,
                        at_us,
                        seller: self.seller(seller).unwrap_or(SellerIx::MAX),
                        deliveries: Vec::new(),
                    });
                }
                self.intern_currency(currency);
                if let Some(l) = lead.as_deref().and_then(|l| self.lead(l)) {
                    self.leads[l as usize].orders.push(seq);
                }
            }
            Event::DivisionRenamed { id, name } => {
                if let Some(d) = self.division(id) {
                    self.divisions[d as usize].name = name.clone();
                }
            }
            Event::SellerMoved { seller, division } => {
                if let (Some(s), Some(d)) = (self.seller(seller), self.division(division)) {
                    let s = &mut self.sellers[s as usize];
                    s.division = d;
                    s.moves.push((at_us, d));
                }
            }
            Event::SellerLeft { seller } => {
                if let Some(s) = self.seller(seller) {
                    let s = &mut self.sellers[s as usize];
                    s.left = true;
                    s.left_at = Some(at_us);
                }
            }
            Event::OrderDelivered { order, .. } => {
                if let Some(o) = self.order(order) {
                    self.orders[o as usize].deliveries.push(seq);
                }
            }
            Event::LeadClaimed { lead, by } => {
                if let (Some(l), Some(b)) = (self.lead(lead), self.seller(by)) {
                    let rec = &mut self.leads[l as usize];
                    if rec.claim.is_none() && rec.to_seller.is_none() {
                        rec.claims.push((seq, b));
                        rec.claim = Some(Claim { seq, by: b, at_us });
                        let giver = rec.giver;
                        self.pairs.entry((giver, b)).or_default().push(seq);
                    }
                }
            }
            Event::MeetingHeld {
                lead: Some(lead), ..
            } => {
                if let Some(l) = self.lead(lead) {
                    self.leads[l as usize].meetings.push(seq);
                }
            }
            Event::KnowledgeShared { .. } => self.knowledge.push(seq),
            Event::KudosGiven { from, .. } => {
                if let Some(s) = self.seller(from) {
                    self.kudos.entry(s).or_default().push(seq);
                }
            }
            Event::JointVisit { .. }
            | Event::MastermindHeld { .. }
            | Event::CustomerEvent { .. }
            | Event::MeetingHeld { lead: None, .. }
            | Event::EventVoided { .. }
            | Event::RulesPublished { .. }
            | Event::CompetitionCreated { .. }
            | Event::CompetitionCreatedWithGrace { .. }
            | Event::CompetitionClosed { .. }
            | Event::ChallengeIssued { .. }
            | Event::ChallengeAccepted { .. }
            | Event::ChallengeDeclined { .. }
            | Event::TargetSet { .. }
            | Event::HolidayDeclared { .. } => {}
        }
    }

    /// The seqs of the kudos `seller` gave, in log order.
    pub fn kudos_of(&self, seller: SellerIx) -> &[u64] {
        self.kudos.get(&seller).map_or(&[][..], Vec::as_slice)
    }

    /// Takes back the claim at `seq` on `lead` (its void): the lead is
    /// open to a claim again.
    pub fn unclaim(&mut self, lead: LeadIx, seq: u64) {
        if let Some(l) = self.leads.get_mut(lead as usize) {
            if l.claim.is_some_and(|c| c.seq == seq) {
                l.claim = None;
            }
        }
    }

    /// The seqs whose first-pair bonus can change with `lead`: every reach
    /// event of the pairs (giver, named or claiming seller) it touches.
    pub fn pair_seqs(&self, lead: LeadIx) -> Vec<u64> {
        let Some(l) = self.leads.get(lead as usize) else {
            return Vec::new();
        };
        let mut receivers: Vec<SellerIx> = l.to_seller.into_iter().collect();
        receivers.extend(l.claims.iter().map(|(_, by)| *by));
        receivers.sort_unstable();
        receivers.dedup();
        receivers
            .iter()
            .filter_map(|r| self.pairs.get(&(l.giver, *r)))
            .flatten()
            .copied()
            .collect()
    }

    /// Latest non-voided feedback status of a lead, if any.
    pub fn lead_status(
        &self,
        lead: LeadIx,
        feedback: impl Fn(u64) -> Option<FeedbackStatus>,
    ) -> Option<FeedbackStatus> {
        self.leads[lead as usize]
            .feedback
            .iter()
            .rev()
            .find_map(|seq| feedback(*seq))
    }
}

/// ISO 4217 active currency codes.
const ISO_4217: &str = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD \
BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL \
GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD \
KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD \
OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC \
SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER \
ZAR ZMW ZWG ZWL";

pub fn is_currency(code: &str) -> bool {
    code.len() == 3
        && code.bytes().all(|b| b.is_ascii_uppercase())
        && ISO_4217.split_whitespace().any(|c| c == code)
}

/// Two divisions and three sellers, checked and applied like the writer
/// would: anna (a), bo (b), cia (a). Shared by the domain's unit tests.
#[cfg(test)]
pub(crate) fn test_org() -> Org {
    let mut o = Org::default();
    let evs = [
        Event::DivisionCreated {
            id: "a".into(),
            name: "A".into(),
        },
        Event::DivisionCreated {
            id: "b".into(),
            name: "B".into(),
        },
        Event::SellerJoined {
            id: "anna".into(),
            name: "Anna".into(),
            division: "a".into(),
        },
        Event::SellerJoined {
            id: "bo".into(),
            name: "Bo".into(),
            division: "b".into(),
        },
        Event::SellerJoined {
            id: "cia".into(),
            name: "Cia".into(),
            division: "a".into(),
        },
    ];
    for (i, e) in evs.iter().enumerate() {
        o.apply(i as u64 + 1, 0, e);
    }
    o
}

#[cfg(test)]
#[path = "org_tests.rs"]
mod tests;
