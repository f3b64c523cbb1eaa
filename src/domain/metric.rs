//! What the game measures: one vocabulary for achievements, challenges and
//! targets, and what one event adds to each seller's measures.
//!
//! Every measure is a function of the live facts (voided ones add nothing)
//! and of the rules in force at each event's business time, exactly like
//! points: so a void takes a badge back, a late event can earn one, and a
//! retroactive rule change re-evaluates them all. Nothing here is stored.

use crate::domain::credit::{credits, first_report, is_timely, Credit, Fact, Facts};
use crate::domain::org::{DivisionIx, SellerIx};
use crate::domain::projection::Projection;
use crate::domain::rules::ScoreKind;
use crate::domain::timeline::Timeline;

/// A measure of a seller's (or a division's) play.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Metric {
    /// Points of every kind, as boards count them.
    Points,
    /// Leads given to another division.
    LeadsGiven,
    /// Feedback reports on leads one received.
    FeedbackGiven,
    /// First reports on a lead within `timely_feedback_days` of it.
    TimelyFeedback,
    /// Joint visits hosted or joined.
    JointVisits,
    Meetings,
    Orders,
    /// Orders closed on a colleague's lead.
    OrdersFromLeads,
    /// Amount of orders closed, in minor units of the reference currency.
    OrderValue,
    /// The giver's share of orders from one's leads, in points.
    LeadSharePoints,
    /// Distinct divisions one's leads went to.
    DivisionsReached,
    /// 1 once one's leads have reached every other division (as the org
    /// stood at the time of the lead).
    EveryDivision,
    KudosReceived,
    KudosGiven,
    /// The length of the streak of active weeks that an event extends.
    StreakWeeks,
    /// Masterminds helped in (not hosted).
    MastermindsHelped,
    /// `knowledge_shared` sessions presented.
    KnowledgeShared,
}

impl Metric {
    /// Measures read from points, which daily caps limit.
    pub fn is_points(self) -> bool {
        matches!(self, Metric::Points | Metric::LeadSharePoints)
    }

    pub const ALL: [Metric; 17] = [
        Metric::Points,
        Metric::LeadsGiven,
        Metric::FeedbackGiven,
        Metric::TimelyFeedback,
        Metric::JointVisits,
        Metric::Meetings,
        Metric::Orders,
        Metric::OrdersFromLeads,
        Metric::OrderValue,
        Metric::LeadSharePoints,
        Metric::DivisionsReached,
        Metric::EveryDivision,
        Metric::KudosReceived,
        Metric::KudosGiven,
        Metric::StreakWeeks,
        Metric::MastermindsHelped,
        Metric::KnowledgeShared,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Points => "points",
            Metric::LeadsGiven => "leads_given",
            Metric::FeedbackGiven => "feedback_given",
            Metric::TimelyFeedback => "timely_feedback",
            Metric::JointVisits => "joint_visits",
            Metric::Meetings => "meetings",
            Metric::Orders => "orders",
            Metric::OrdersFromLeads => "orders_from_leads",
            Metric::OrderValue => "order_value",
            Metric::LeadSharePoints => "lead_share_points",
            Metric::DivisionsReached => "divisions_reached",
            Metric::EveryDivision => "every_division",
            Metric::KudosReceived => "kudos_received",
            Metric::KudosGiven => "kudos_given",
            Metric::StreakWeeks => "streak_weeks",
            Metric::MastermindsHelped => "masterminds_helped",
            Metric::KnowledgeShared => "knowledge_shared",
        }
    }

    pub fn parse(s: &str) -> Option<Metric> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// Measures that add up event by event, so a challenge or target can
    /// sum them over a period and a division. The others (distinct
    /// divisions, streaks) only make sense for one seller's achievements.
    pub fn is_additive(self) -> bool {
        !matches!(
            self,
            Metric::DivisionsReached | Metric::EveryDivision | Metric::StreakWeeks
        )
    }

    /// Names of the additive measures, for error messages and documents.
    pub fn additive_names() -> String {
        Self::ALL
            .iter()
            .filter(|m| m.is_additive())
            .map(|m| m.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn names() -> String {
        Self::ALL
            .iter()
            .map(|m| m.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// What one event adds to one seller's measure, for the division the seller
/// was in at the event's business time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Contribution {
    pub seller: SellerIx,
    pub division: DivisionIx,
    pub metric: Metric,
    pub amount: i64,
}

/// The sellers an event can add to: whoever its credits or counts may
/// name. The per-seller index is built from this, so it must be a superset
/// of the sellers [`contributions`] ever names for the event.
pub fn participants(p: &Projection, fact: &Fact, out: &mut Vec<SellerIx>) {
    let org = &p.org;
    let giver = |l: u32| org.leads.get(l as usize).map(|l| l.giver);
    match fact {
        Fact::Other => {}
        Fact::Lead { giver, lead, .. } => {
            out.push(*giver);
            if let Some(to) = org.leads.get(*lead as usize).and_then(|l| l.to_seller) {
                out.push(to);
            }
        }
        Fact::Feedback { lead, by, .. } => {
            out.push(*by);
            out.extend(giver(*lead));
        }
        Fact::Claim { lead, by, .. } => {
            out.push(*by);
            out.extend(giver(*lead));
        }
        Fact::JointVisit { host, guests, .. } => {
            out.push(*host);
            out.extend(guests.iter().map(|(g, _)| *g));
        }
        Fact::Meeting { seller, .. } => out.push(*seller),
        Fact::Order { seller, lead, .. } => {
            out.push(*seller);
            if let Some((l, _)) = lead {
                out.extend(giver(*l));
            }
        }
        Fact::Mastermind { host, helpers, .. } => {
            out.push(*host);
            out.extend(helpers.iter().map(|(h, _)| *h));
        }
        Fact::CustomerEvent {
            organiser, sellers, ..
        } => {
            out.push(*organiser);
            out.extend(sellers.iter().map(|(s, _)| *s));
        }
        Fact::Delivery { order, .. } => {
            if let Some(o) = org.orders.get(*order as usize) {
                out.push(o.seller);
                if let Some(Fact::Order {
                    lead: Some((l, _)), ..
                }) = p.facts.fact(o.seq).map(|f| &f.fact)
                {
                    out.extend(giver(*l));
                }
            }
        }
        Fact::Knowledge {
            presenter,
            attendees,
            ..
        } => {
            out.push(*presenter);
            out.extend(attendees.iter().map(|(a, _)| *a));
        }
        Fact::Kudos { from, to, .. } => {
            out.push(*from);
            out.push(*to);
        }
    }
    out.sort_unstable();
    out.dedup();
}

/// What the live event at `seq` adds to every seller's measures, under the
/// rules of its business time. Points (only when `points` is asked for:
/// they cost a re-score of the event) are its credits before daily caps;
/// see [`crate::domain::tally`] for where caps come back in. The
/// distinct-division and streak measures are not per event and are
/// computed by the achievements fold itself.
pub fn contributions(p: &Projection, seq: u64, points: bool, out: &mut Vec<Contribution>) {
    contributions_under(p, &p.score.timeline, seq, points, out)
}

/// [`contributions`] under the rules of `timeline` (a draft's, in a
/// preview) instead of the projection's own.
pub fn contributions_under(
    p: &Projection,
    timeline: &Timeline,
    seq: u64,
    points: bool,
    out: &mut Vec<Contribution>,
) {
    let Some(rec) = p.facts.fact(seq).filter(|r| !r.voided) else {
        return;
    };
    let mut push = |seller, division, metric, amount: i64| {
        if amount != 0 {
            out.push(Contribution {
                seller,
                division,
                metric,
                amount,
            });
        }
    };
    let mut buf: Vec<Credit> = Vec::new();
    if points {
        credits(seq, &p.facts, &p.org, timeline, &mut buf);
    }
    for c in &buf {
        push(c.seller, c.division, Metric::Points, c.points);
        if c.kind == ScoreKind::LeadShare {
            push(c.seller, c.division, Metric::LeadSharePoints, c.points);
        }
    }
    let org = &p.org;
    match &rec.fact {
        Fact::Other | Fact::Claim { .. } | Fact::Delivery { .. } | Fact::CustomerEvent { .. } => {}
        Fact::Lead {
            lead,
            giver,
            giver_division,
            to_division,
        } => {
            if org.leads.get(*lead as usize).is_some_and(|l| !l.voided)
                && giver_division != to_division
            {
                push(*giver, *giver_division, Metric::LeadsGiven, 1);
            }
        }
        Fact::Feedback {
            lead,
            by,
            by_division,
            ..
        } => {
            let Some(l) = org.leads.get(*lead as usize).filter(|l| !l.voided) else {
                return;
            };
            push(*by, *by_division, Metric::FeedbackGiven, 1);
            if first_report(l, &p.facts) == Some(seq)
                && is_timely(l, rec.at_us, timeline.at(rec.at_us))
            {
                push(*by, *by_division, Metric::TimelyFeedback, 1);
            }
        }
        Fact::JointVisit {
            host,
            host_division,
            guests,
        } => {
            push(*host, *host_division, Metric::JointVisits, 1);
            for (g, d) in guests.iter() {
                push(*g, *d, Metric::JointVisits, 1);
            }
        }
        Fact::Meeting { seller, division } => push(*seller, *division, Metric::Meetings, 1),
        Fact::Order {
            seller,
            division,
            amount,
            currency,
            lead,
        } => {
            push(*seller, *division, Metric::Orders, 1);
            let code = org
                .currencies
                .get(*currency as usize)
                .map(String::as_str)
                .unwrap_or("");
            let value = timeline
                .at(rec.at_us)
                .reference_amount(*amount, code)
                .unwrap_or(0)
                .clamp(0, i64::MAX as i128) as i64;
            push(*seller, *division, Metric::OrderValue, value);
            if let Some((l, _)) = lead {
                if org
                    .leads
                    .get(*l as usize)
                    .is_some_and(|l| !l.voided && l.giver != *seller)
                {
                    push(*seller, *division, Metric::OrdersFromLeads, 1);
                }
            }
        }
        Fact::Mastermind { helpers, .. } => {
            for (h, d) in helpers.iter() {
                push(*h, *d, Metric::MastermindsHelped, 1);
            }
        }
        Fact::Knowledge {
            presenter,
            presenter_division,
            ..
        } => push(*presenter, *presenter_division, Metric::KnowledgeShared, 1),
        Fact::Kudos {
            from,
            from_division,
            to,
            to_division,
        } => {
            push(*from, *from_division, Metric::KudosGiven, 1);
            push(*to, *to_division, Metric::KudosReceived, 1);
        }
    }
}
