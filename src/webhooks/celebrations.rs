//! Finding celebrations in the log: which committed events and ended
//! competitions deserve a message, and its text.

use std::collections::HashSet;

use chrono::Utc;

use crate::domain::competition::{self, Status as CompetitionStatus};
use crate::domain::event::{Envelope, Event, FeedbackStatus};
use crate::domain::Projection;
use crate::wire::text::money;

/// A message to post: `{"text": text}`.
#[derive(Debug, Clone)]
pub struct Celebration {
    pub kind: &'static str,
    pub seq: u64,
    pub text: String,
}

fn seller_name(p: &Projection, ix: u32) -> String {
    p.org
        .sellers
        .get(ix as usize)
        .map_or_else(|| "?".into(), |s| s.name.clone())
}

fn seller_name_by_id(p: &Projection, id: &str) -> String {
    p.org
        .seller(id)
        .map_or_else(|| id.to_string(), |ix| seller_name(p, ix))
}

/// The celebration an envelope deserves, if any.
pub fn celebration(p: &Projection, env: &Envelope) -> Option<Celebration> {
    let voided = p
        .facts
        .get((env.seq as usize).checked_sub(1)?)
        .is_none_or(|f| f.voided);
    if voided {
        return None;
    }
    let (kind, text) = match &env.event {
        Event::OrderClosed {
            seller,
            customer,
            amount,
            currency,
            lead: Some(lead),
            ..
        } => {
            let l = p.org.leads.get(p.org.lead(lead)? as usize)?;
            (
                "order_from_lead",
                format!(
                    ":tada: {} closed an order of {} with {} from {}'s lead",
                    seller_name_by_id(p, seller),
                    money(*amount, currency, ' '),
                    customer,
                    seller_name(p, l.giver)
                ),
            )
        }
        Event::LeadFeedback {
            lead,
            by,
            status: FeedbackStatus::Won,
            ..
        } => {
            let l = p.org.leads.get(p.org.lead(lead)? as usize)?;
            (
                "lead_won",
                format!(
                    ":trophy: {} won {}'s lead at {}",
                    seller_name_by_id(p, by),
                    seller_name(p, l.giver),
                    l.customer
                ),
            )
        }
        _ => return None,
    };
    Some(Celebration {
        kind,
        seq: env.seq,
        text,
    })
}

/// Competitions that are over (closed by a leader or by their end time).
pub(super) fn ended_competitions(p: &Projection) -> HashSet<String> {
    let now = Utc::now();
    p.competitions
        .iter()
        .filter(|c| competition::status(c, now) == CompetitionStatus::Closed)
        .map(|c| c.id.clone())
        .collect()
}

pub(super) fn competition_won(p: &Projection, id: &str) -> Option<Celebration> {
    let c = p.competition(id)?;
    let rows = competition::standings(p, c);
    let winners: Vec<&str> = competition::winners(&rows)
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    let text = match winners.as_slice() {
        [] => return None,
        [one] => format!(":trophy: {one} won {}!", c.name),
        many => format!(
            ":trophy: {} share the win in {}!",
            many.join(" and "),
            c.name
        ),
    };
    Some(Celebration {
        kind: "competition_won",
        seq: p.seq(),
        text,
    })
}
