//! Credits: what one event earns whom, under the rules of its time.
//!
//! Points are defined as a function of the final log, not of arrival order:
//! an event's credits depend only on its own fact, the rules in force at its
//! business time, and the void status and business times of the events on
//! the same lead. Daily caps are applied per seller and day in business-time
//! order (see [`crate::domain::cells`]), which is order-free too. That is
//! what makes the live fold equal a full replay, lets a void take back
//! exactly what it gave (and re-credit what it unblocked), and lets a
//! preview re-score all history under draft rules with the same code.

use crate::domain::event::{DeliveryStatus, FeedbackStatus};
use crate::domain::org::{DivisionIx, LeadIx, OrderIx, Org, SellerIx};
use crate::domain::rules::ScoreKind;
use crate::domain::time::Day;

use crate::domain::timeline::Timeline;

const DAY_US: i64 = 86_400_000_000;

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
    Mastermind {
        host: SellerIx,
        host_division: DivisionIx,
        helpers: Box<[(SellerIx, DivisionIx)]>,
    },
    CustomerEvent {
        organiser: SellerIx,
        organiser_division: DivisionIx,
        /// The staff other than the organiser.
        sellers: Box<[(SellerIx, DivisionIx)]>,
    },
    Delivery {
        order: OrderIx,
        status: DeliveryStatus,
    },
    /// A seller took an unnamed lead; divisions as at the claim.
    Claim {
        lead: LeadIx,
        by: SellerIx,
        by_division: DivisionIx,
        giver_division: DivisionIx,
    },
    /// A `knowledge_shared` session; attendees are in the audience
    /// division (checked on append).
    Knowledge {
        presenter: SellerIx,
        presenter_division: DivisionIx,
        audience_division: DivisionIx,
        attendees: Box<[(SellerIx, DivisionIx)]>,
    },
    /// `from` thanked `to`; divisions as at the kudos.
    Kudos {
        from: SellerIx,
        from_division: DivisionIx,
        to: SellerIx,
        to_division: DivisionIx,
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

/// A "won" report is only a claim until an order on the lead proves it:
/// without this a seller and a friend could farm the won bonus with
/// invented leads. A void of the order makes the bonus pending again.
pub fn lead_has_order(lead: &crate::domain::org::Lead, facts: &impl Facts) -> bool {
    lead.orders
        .iter()
        .any(|s| facts.fact(*s).is_some_and(|f| !f.voided))
}

/// The first live reach, by business time, of all those by which `giver`'s
/// leads reached `receiver` (a `lead_given` naming them, or their claim).
/// A reach counts while neither it nor its lead is voided, so a void
/// passes the first-pair bonus on to the next one.
pub fn first_reach(
    org: &Org,
    facts: &impl Facts,
    giver: SellerIx,
    receiver: SellerIx,
) -> Option<u64> {
    org.pairs
        .get(&(giver, receiver))?
        .iter()
        .filter_map(|s| {
            let f = facts.fact(*s).filter(|f| !f.voided)?;
            let lead = match f.fact {
                Fact::Lead { lead, .. } | Fact::Claim { lead, .. } => lead,
                _ => return None,
            };
            let live = org.leads.get(lead as usize).is_some_and(|l| !l.voided);
            live.then_some((f.at_us, *s))
        })
        .min()
        .map(|(_, s)| s)
}

fn first_of_pair(
    org: &Org,
    facts: &impl Facts,
    giver: SellerIx,
    receiver: SellerIx,
    seq: u64,
) -> bool {
    first_reach(org, facts, giver, receiver) == Some(seq)
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
            lead,
            giver,
            giver_division,
            to_division,
        } => {
            push(
                *giver,
                *giver_division,
                ScoreKind::Lead,
                r.crossed(r.lead_given, giver_division != to_division),
            );
            if org.leads.get(*lead as usize).is_some_and(|l| l.qualified) {
                push(
                    *giver,
                    *giver_division,
                    ScoreKind::LeadQualified,
                    r.qualified_lead_bonus,
                );
            }
            let named = org.leads.get(*lead as usize).and_then(|l| l.to_seller);
            if let Some(to) = named {
                if r.first_pair_bonus != 0 && first_of_pair(org, facts, *giver, to, seq) {
                    push(
                        *giver,
                        *giver_division,
                        ScoreKind::FirstPair,
                        r.first_pair_bonus,
                    );
                    push(to, *to_division, ScoreKind::FirstPair, r.first_pair_bonus);
                }
            }
        }
        Fact::Claim {
            lead,
            by,
            by_division,
            giver_division,
        } => {
            let Some(l) = org.leads.get(*lead as usize).filter(|l| !l.voided) else {
                return;
            };
            if r.first_pair_bonus != 0 && first_of_pair(org, facts, l.giver, *by, seq) {
                push(
                    l.giver,
                    *giver_division,
                    ScoreKind::FirstPair,
                    r.first_pair_bonus,
                );
                push(*by, *by_division, ScoreKind::FirstPair, r.first_pair_bonus);
            }
        }
        Fact::Knowledge {
            presenter,
            presenter_division,
            attendees,
            ..
        } => {
            push(
                *presenter,
                *presenter_division,
                ScoreKind::KnowledgePresented,
                r.knowledge_presenter,
            );
            for (a, d) in attendees.iter() {
                push(*a, *d, ScoreKind::KnowledgeAttended, r.knowledge_attendee);
            }
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
            // Business time decides which report came first, not log order:
            // a report logged late but dated earlier is the first one.
            let live = |s: &u64| {
                facts
                    .fact(*s)
                    .filter(|f| !f.voided)
                    .map(|f| ((f.at_us, *s), &f.fact))
            };
            if first_report(l, facts) == Some(seq) {
                let timely = is_timely(l, rec.at_us, r);
                let bonus = if timely { r.timely_feedback_bonus } else { 0 };
                push(
                    *by,
                    *by_division,
                    ScoreKind::Feedback,
                    r.lead_feedback + bonus,
                );
            }
            // The first live report of a status, by business time: a void
            // of it hands the bonus to the next one, or takes it back.
            let first_of = |want: FeedbackStatus| {
                l.feedback
                    .iter()
                    .filter_map(live)
                    .filter(|(_, f)| matches!(f, Fact::Feedback { status, .. } if *status == want))
                    .map(|(k, _)| k)
                    .min()
                    .map(|(_, s)| s)
            };
            if *status == FeedbackStatus::MeetingBooked
                && first_of(FeedbackStatus::MeetingBooked) == Some(seq)
            {
                push(
                    l.giver,
                    *giver_division,
                    ScoreKind::LeadMeeting,
                    r.lead_meeting_bonus,
                );
            }
            if *status == FeedbackStatus::Won
                && lead_has_order(l, facts)
                && first_of(FeedbackStatus::Won) == Some(seq)
            {
                push(
                    l.giver,
                    *giver_division,
                    ScoreKind::LeadWon,
                    r.lead_won_bonus,
                );
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
        Fact::Mastermind {
            host,
            host_division,
            helpers,
        } => {
            push(
                *host,
                *host_division,
                ScoreKind::Mastermind,
                r.mastermind_host,
            );
            for (h, d) in helpers.iter() {
                push(*h, *d, ScoreKind::Mastermind, r.mastermind_helper);
            }
        }
        Fact::CustomerEvent {
            organiser,
            organiser_division,
            sellers,
        } => {
            push(
                *organiser,
                *organiser_division,
                ScoreKind::CustomerEvent,
                r.customer_event_organiser,
            );
            for (s, d) in sellers.iter() {
                push(*s, *d, ScoreKind::CustomerEvent, r.customer_event_seller);
            }
        }
        Fact::Kudos {
            from,
            to,
            to_division,
            ..
        } => {
            if kudos_within_limit(seq, rec.at_us, *from, facts, org, r) {
                push(*to, *to_division, ScoreKind::Kudos, r.kudos.points);
            }
        }
        Fact::Delivery { order, status } => {
            if *status != DeliveryStatus::Delivered {
                return;
            }
            for (seller, division, points) in delivered_bonus(seq, *order, facts, org, r) {
                push(seller, division, ScoreKind::Delivered, points);
            }
        }
    }
}

/// The seq of a lead's first live report by business time (log order
/// breaks ties): a report logged late but dated earlier is the first one,
/// and a void of it hands "first" to the next.
pub fn first_report(l: &crate::domain::org::Lead, facts: &impl Facts) -> Option<u64> {
    l.feedback
        .iter()
        .filter_map(|s| facts.fact(*s).filter(|f| !f.voided).map(|f| (f.at_us, *s)))
        .min()
        .map(|(_, s)| s)
}

/// Whether a report at `at_us` came within the rules' timely window of
/// the lead.
pub fn is_timely(
    l: &crate::domain::org::Lead,
    at_us: i64,
    r: &crate::domain::rules::RuleSet,
) -> bool {
    (0..=r.timely_feedback_days.saturating_mul(DAY_US)).contains(&(at_us - l.at_us))
}

/// Whether the kudos at `seq` is among the first `kudos.weekly_limit` live
/// kudos its giver gave in its local week (business time, then seq): the
/// append refuses one over the limit, and this keeps the limit true for
/// imports, back-dated entries and a lowered limit too. A void of an
/// earlier kudos lets a later one count.
fn kudos_within_limit(
    seq: u64,
    at_us: i64,
    from: SellerIx,
    facts: &impl Facts,
    org: &Org,
    r: &crate::domain::rules::RuleSet,
) -> bool {
    let Some(week) = facts
        .fact(seq)
        .map(|f| crate::domain::time::week_of_day(f.day))
    else {
        return false;
    };
    let earlier = org
        .kudos_of(from)
        .iter()
        .filter_map(|s| facts.fact(*s).map(|f| (f, *s)))
        .filter(|(f, s)| {
            !f.voided
                && crate::domain::time::week_of_day(f.day) == week
                && (f.at_us, *s) < (at_us, seq)
        })
        .count();
    (earlier as i64) < r.kudos.weekly_limit
}

/// Who earns the delivered bonus for the report at `seq` on `order`: the
/// seller and the lead's giver, once per order, for the first live
/// `delivered` report by business time (log order breaks ties), and only
/// while the order and its lead stand. Empty otherwise.
fn delivered_bonus(
    seq: u64,
    order: OrderIx,
    facts: &impl Facts,
    org: &Org,
    r: &crate::domain::rules::RuleSet,
) -> Vec<(SellerIx, DivisionIx, i64)> {
    let mut out = Vec::new();
    let Some(o) = org.orders.get(order as usize) else {
        return out;
    };
    let Some(of) = facts.fact(o.seq).filter(|f| !f.voided) else {
        return out;
    };
    let Fact::Order {
        seller,
        division,
        lead: Some((l, giver_division)),
        ..
    } = &of.fact
    else {
        return out;
    };
    if org.leads.get(*l as usize).is_none_or(|l| l.voided) {
        return out;
    }
    let first = o
        .deliveries
        .iter()
        .filter_map(|s| {
            facts
                .fact(*s)
                .filter(|f| {
                    !f.voided
                        && matches!(
                            f.fact,
                            Fact::Delivery {
                                status: DeliveryStatus::Delivered,
                                ..
                            }
                        )
                })
                .map(|f| (f.at_us, *s))
        })
        .min();
    if first.map(|(_, s)| s) != Some(seq) {
        return out;
    }
    out.push((*seller, *division, r.delivered_bonus));
    let giver = org.leads[*l as usize].giver;
    if giver != *seller {
        out.push((giver, *giver_division, r.delivered_bonus));
    }
    out
}

#[cfg(test)]
#[path = "credit_tests.rs"]
mod tests;
