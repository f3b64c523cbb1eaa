//! Finding celebrations in the log: which committed events and ended
//! competitions deserve a message, and its text.
//!
//! Every name in the text (sellers, customers, competitions) was typed by
//! someone, and Slack reads `<...>` as markup: `<!channel>` pings everyone,
//! `<@U123>` mentions a person, `<http://evil|Volvo>` is a disguised link.
//! So each one goes through [`escape`] as the text is built; Slack and
//! Teams both show `&lt;` as `<`.

use std::collections::HashSet;

use chrono::Utc;

use crate::domain::competition::{self, Status as CompetitionStatus};
use crate::domain::event::{DeliveryStatus, Envelope, Event, FeedbackStatus};
use crate::domain::Projection;
use crate::wire::text::money;

/// A message to post: `{"text": text}`.
#[derive(Debug, Clone)]
pub struct Celebration {
    pub kind: &'static str,
    pub seq: u64,
    pub text: String,
    pub audience: Audience,
}

/// Which registrations a message is for, by their `division` filter. A
/// filter narrows only what is about one division; news of the whole
/// organisation (a competition won, an order from a lead) reaches everyone
/// who subscribed to its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// Every registration.
    All,
    /// News about one division (a lead given to it): registrations without
    /// a filter and those filtered to it.
    About(String),
    /// Only registrations without a filter (the whole-org digest).
    Unfiltered,
    /// Only registrations filtered to this division (its digest section).
    Only(String),
}

impl Audience {
    /// Whether a registration with `filter` gets the message.
    pub fn reaches(&self, filter: Option<&str>) -> bool {
        match (self, filter) {
            (Audience::All, _) => true,
            (Audience::About(_), None) | (Audience::Unfiltered, None) => true,
            (Audience::About(d), Some(f)) | (Audience::Only(d), Some(f)) => d == f,
            (Audience::Unfiltered, Some(_)) | (Audience::Only(_), None) => false,
        }
    }
}

/// `text` with `&`, `<` and `>` escaped, as Slack asks of message text, so
/// no name can become a mention, a broadcast or a link.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// A seller's name, escaped for the message.
fn seller_name(p: &Projection, ix: u32) -> String {
    escape(
        p.org
            .sellers
            .get(ix as usize)
            .map_or("?", |s| s.name.as_str()),
    )
}

fn seller_name_by_id(p: &Projection, id: &str) -> String {
    p.org
        .seller(id)
        .map_or_else(|| escape(id), |ix| seller_name(p, ix))
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
    let mut audience = Audience::All;
    let (kind, text) = match &env.event {
        // A nudge, not a celebration: the receiving division's channel
        // hears of the lead at once, so someone claims or answers it.
        Event::LeadGiven { lead, note, .. } | Event::LeadGivenQualified { lead, note, .. } => {
            let l = p.org.leads.get(p.org.lead(lead)? as usize)?;
            let to = p.org.divisions.get(l.to_division as usize)?;
            let from = p
                .org
                .divisions
                .get(l.giver_division as usize)
                .map_or("?", |d| d.name.as_str());
            let owner = match l.to_seller {
                Some(s) => format!("for {}", seller_name(p, s)),
                None => "for anyone in the division: claim it on /me".to_string(),
            };
            let note = note
                .as_deref()
                .map(|n| format!(": {}", escape(n)))
                .unwrap_or_default();
            audience = Audience::About(to.id.clone());
            (
                "lead_received",
                format!(
                    ":inbox_tray: New lead for {}: {} from {} ({}), {owner}{note}",
                    escape(&to.name),
                    escape(&l.customer),
                    seller_name(p, l.giver),
                    escape(from),
                ),
            )
        }
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
                    escape(&money(*amount, currency, ' ')),
                    escape(customer),
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
                    escape(&l.customer)
                ),
            )
        }
        // Not a celebration but news leaders want at once: a promise at
        // risk, while there is still time to help.
        Event::OrderDelivered {
            order,
            status: DeliveryStatus::Problem,
            note,
        } => {
            let o = p.org.orders.get(p.org.order(order)? as usize)?;
            let customer = p
                .customers
                .of_seq(o.seq)
                .and_then(|c| p.customers.get(c))
                .map_or("?", |c| c.name.as_str());
            let note = note
                .as_deref()
                .map(|n| format!(": {}", escape(n)))
                .unwrap_or_default();
            (
                "delivery_problem",
                format!(
                    ":warning: delivery problem on {}'s order {} with {}{note}",
                    seller_name(p, o.seller),
                    escape(order),
                    escape(customer),
                ),
            )
        }
        _ => return None,
    };
    Some(Celebration {
        kind,
        seq: env.seq,
        text,
        audience,
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

/// The game's news in a batch of committed envelopes: achievements earned,
/// targets reached and kudos (level-ups stay on the wall).
pub fn game_celebrations(p: &Projection, envs: &[Envelope], now_us: i64) -> Vec<Celebration> {
    crate::domain::game_news::news(p, envs, now_us)
        .into_iter()
        .filter_map(|(seq, n)| {
            let (kind, _, text) = crate::wire::game::news_text(p, &n, &escape);
            let (kind, icon) = match kind {
                "achievement_earned" => ("achievement_earned", ":medal:"),
                "target_reached" => ("target_reached", ":dart:"),
                "kudos" => ("kudos", ":clap:"),
                _ => return None,
            };
            Some(Celebration {
                kind,
                seq,
                text: format!("{icon} {text}"),
                audience: Audience::All,
            })
        })
        .collect()
}

/// A challenge closed with a winner.
pub(super) fn challenge_won(p: &Projection, id: &str, now_us: i64) -> Option<Celebration> {
    let winners = crate::domain::game_news::challenge_winners(p, id, now_us);
    let text = crate::wire::game::challenge_won_text(p, id, &winners, &escape)?;
    Some(Celebration {
        kind: "challenge_won",
        seq: p.seq(),
        text: format!(":crossed_swords: {text}"),
        audience: Audience::All,
    })
}

pub(super) fn competition_won(p: &Projection, id: &str) -> Option<Celebration> {
    let c = p.competition(id)?;
    let rows = competition::standings(p, c);
    let winners: Vec<String> = competition::winners(&rows)
        .iter()
        .map(|r| escape(&r.name))
        .collect();
    let name = escape(&c.name);
    let text = match winners.as_slice() {
        [] => return None,
        [one] => format!(":trophy: {one} won {name}!"),
        many => format!(":trophy: {} share the win in {name}!", many.join(" and ")),
    };
    Some(Celebration {
        kind: "competition_won",
        seq: p.seq(),
        text,
        audience: Audience::All,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delivery_problem_is_news_for_leaders() {
        let mut p = Projection::new(chrono_tz::UTC);
        let evs = [
            Event::DivisionCreated {
                id: "a".into(),
                name: "A".into(),
            },
            Event::SellerJoined {
                id: "ida".into(),
                name: "Ida <!channel>".into(),
                division: "a".into(),
            },
            Event::OrderClosed {
                order: "O1".into(),
                seller: "ida".into(),
                customer: "Volvo <b>".into(),
                amount: 100,
                currency: "SEK".into(),
                lead: None,
            },
            Event::OrderDelivered {
                order: "O1".into(),
                status: DeliveryStatus::Delayed,
                note: None,
            },
            Event::OrderDelivered {
                order: "O1".into(),
                status: DeliveryStatus::Problem,
                note: Some("crane <broke>".into()),
            },
        ];
        let mut envs = Vec::new();
        for (i, event) in evs.into_iter().enumerate() {
            let env = Envelope {
                format: crate::domain::event::FORMAT_VERSION,
                seq: i as u64 + 1,
                id: format!("e{i}"),
                occurred_at: 1_767_571_200_000_000 + i as i64,
                recorded_at: 1_767_571_200_000_000 + i as i64,
                actor: "t".into(),
                event,
            };
            p.apply(&env);
            envs.push(env);
        }
        assert!(celebration(&p, &envs[3]).is_none());
        let c = celebration(&p, &envs[4]).expect("news");
        assert_eq!(c.kind, "delivery_problem");
        assert_eq!(
            c.text,
            ":warning: delivery problem on Ida &lt;!channel&gt;'s order O1 with Volvo &lt;b&gt;: crane &lt;broke&gt;"
        );
    }

    #[test]
    fn a_division_filter_narrows_only_division_news() {
        let service = Some("service");
        assert!(Audience::All.reaches(None) && Audience::All.reaches(service));
        let about = Audience::About("service".into());
        assert!(about.reaches(None) && about.reaches(service));
        assert!(!about.reaches(Some("retail")));
        assert!(Audience::Unfiltered.reaches(None) && !Audience::Unfiltered.reaches(service));
        let only = Audience::Only("service".into());
        assert!(only.reaches(service) && !only.reaches(None) && !only.reaches(Some("retail")));
    }

    #[test]
    fn markup_cannot_get_through() {
        assert_eq!(
            escape("<!channel> <@U123> <http://evil|click> & Co"),
            "&lt;!channel&gt; &lt;@U123&gt; &lt;http://evil|click&gt; &amp; Co"
        );
        assert_eq!(escape("Volvo Cars"), "Volvo Cars");
        // Escaping is applied once: an escaped text is not un-escaped.
        assert_eq!(escape("&lt;"), "&amp;lt;");
    }
}
