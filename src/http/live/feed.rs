//! The activity feed: one short line per activity as it is committed
//! ("Ida Berg closed an order from Lars Lind's lead"), for the wall's
//! "what just happened" column.
//!
//! A follower per hub reads each committed batch once, keeps the latest
//! [`FEED_KEPT`] lines for sockets that subscribe later (`{"subscribe":
//! "feed"}` answers `{"feed": [...]}`), and broadcasts each new line as
//! `{"activity": {...}}` on the highlights channel, so sessions need no
//! second queue. Lines name people in full; a session scrubs them for a
//! screen like any other frame (`--wall-privacy`).

use std::collections::VecDeque;
use std::sync::Arc;

use axum::extract::ws::Utf8Bytes;
use parking_lot::Mutex;
use serde_json::{json, Value};
use tokio::sync::broadcast;

use crate::domain::event::{Envelope, Event, FeedbackStatus};
use crate::domain::time::format_us;
use crate::domain::Projection;
use crate::writer::Shared;

use super::highlights::{seller_json, seller_name};
use super::MAX_HIGHLIGHT_SCAN;

/// Lines kept for late subscribers: a wall column shows about eight.
pub(super) const FEED_KEPT: usize = 12;
/// Events read back at start to fill the feed.
const BACKFILL_SCAN: u64 = 500;

pub(super) type Recent = Arc<Mutex<VecDeque<Value>>>;

/// The latest lines, oldest first, read from the tail of the log.
pub(super) fn backfill(shared: &Shared) -> Recent {
    let committed = *shared.changes.borrow();
    let envs: Vec<Envelope> = shared
        .log
        .read(committed.saturating_sub(BACKFILL_SCAN), committed)
        .filter_map(Result::ok)
        .collect();
    let p = shared.projection.read();
    let mut recent: VecDeque<Value> = envs.iter().filter_map(|e| line(&p, e)).collect();
    while recent.len() > FEED_KEPT {
        recent.pop_front();
    }
    Arc::new(Mutex::new(recent))
}

/// Follows commits, appending and broadcasting a line per activity.
pub(super) async fn follow_feed(
    shared: Arc<Shared>,
    tx: broadcast::Sender<Utf8Bytes>,
    recent: Recent,
) {
    let mut changes = shared.changes.subscribe();
    let mut seen = *changes.borrow_and_update();
    while changes.changed().await.is_ok() {
        let committed = *changes.borrow_and_update();
        if committed <= seen {
            continue;
        }
        let from = seen.max(committed.saturating_sub(MAX_HIGHLIGHT_SCAN));
        seen = committed;
        let envs: Vec<Envelope> = shared
            .log
            .read(from, committed)
            .filter_map(Result::ok)
            .collect();
        let lines: Vec<Value> = {
            let p = shared.projection.read();
            envs.iter().filter_map(|e| line(&p, e)).collect()
        };
        for l in lines {
            {
                let mut r = recent.lock();
                r.push_back(l.clone());
                while r.len() > FEED_KEPT {
                    r.pop_front();
                }
            }
            let _ = tx.send(Utf8Bytes::from(json!({ "activity": l }).to_string()));
        }
    }
}

fn division_name(p: &Projection, id: &str) -> String {
    p.org
        .division(id)
        .and_then(|ix| p.org.divisions.get(ix as usize))
        .map_or_else(|| id.to_string(), |d| d.name.clone())
}

fn seller(p: &Projection, id: &str) -> Value {
    p.org
        .seller(id)
        .map_or(Value::Null, |ix| seller_json(p, ix))
}

/// The giver of a lead, by lead id: (name, seller json).
fn giver(p: &Projection, lead: &str) -> Option<(String, Value)> {
    let l = p.org.leads.get(p.org.lead(lead)? as usize)?;
    let g = seller_json(p, l.giver);
    Some((g["name"].as_str().unwrap_or("?").to_string(), g))
}

/// The line an activity deserves, if any; voided events have none.
pub(super) fn line(p: &Projection, env: &Envelope) -> Option<Value> {
    let voided = env
        .seq
        .checked_sub(1)
        .and_then(|i| p.facts.get(i as usize))
        .is_some_and(|r| r.voided);
    if voided {
        return None;
    }
    let name = |id: &str| seller_name(p, id);
    let (text, mut people) = match &env.event {
        Event::LeadGiven {
            from,
            to_division,
            to_seller,
            customer,
            ..
        }
        | Event::LeadGivenQualified {
            from,
            to_division,
            to_seller,
            customer,
            ..
        } => {
            let to = match to_seller {
                Some(s) => name(s),
                None => division_name(p, to_division),
            };
            (
                format!("{} passed a lead on {customer} to {to}", name(from)),
                vec![seller(p, from)],
            )
        }
        Event::LeadFeedback {
            lead, by, status, ..
        } => {
            let (g, gj) = giver(p, lead)?;
            let what = match status {
                FeedbackStatus::Contacted => "contacted the customer",
                FeedbackStatus::MeetingBooked => "booked a meeting",
                FeedbackStatus::Won => "won it",
                FeedbackStatus::Lost => "lost it",
                FeedbackStatus::NotRelevant => "found it not relevant",
            };
            (
                format!("{} reported back on {g}'s lead: {what}", name(by)),
                vec![seller(p, by), gj],
            )
        }
        Event::LeadClaimed { lead, by } => {
            let (g, gj) = giver(p, lead)?;
            (
                format!("{} took {g}'s lead", name(by)),
                vec![seller(p, by), gj],
            )
        }
        Event::JointVisit {
            host,
            guests,
            customer,
        } => {
            let names: Vec<String> = guests.iter().map(|g| name(g)).collect();
            let mut people = vec![seller(p, host)];
            people.extend(guests.iter().map(|g| seller(p, g)));
            (
                format!(
                    "{} and {} visited {customer} together",
                    name(host),
                    names.join(", ")
                ),
                people,
            )
        }
        Event::MeetingHeld {
            seller: s,
            customer,
            lead,
        } => match lead.as_deref().and_then(|l| giver(p, l)) {
            Some((g, gj)) => (
                format!("{} met {customer} on {g}'s lead", name(s)),
                vec![seller(p, s), gj],
            ),
            None => (format!("{} met {customer}", name(s)), vec![seller(p, s)]),
        },
        Event::OrderClosed {
            seller: s,
            customer,
            lead,
            ..
        } => match lead.as_deref().and_then(|l| giver(p, l)) {
            Some((g, gj)) => (
                format!("{} closed an order from {g}'s lead", name(s)),
                vec![seller(p, s), gj],
            ),
            None => (
                format!("{} closed an order with {customer}", name(s)),
                vec![seller(p, s)],
            ),
        },
        Event::MastermindHeld {
            host,
            customer,
            helpers,
            ..
        } => {
            let mut people = vec![seller(p, host)];
            people.extend(helpers.iter().map(|h| seller(p, h)));
            (
                format!(
                    "{} got {} colleague(s) to help with {customer}",
                    name(host),
                    helpers.len()
                ),
                people,
            )
        }
        Event::KnowledgeShared {
            presenter,
            audience_division,
            topic,
            ..
        } => (
            format!(
                "{} taught {} about {topic}",
                name(presenter),
                division_name(p, audience_division)
            ),
            vec![seller(p, presenter)],
        ),
        _ => return None,
    };
    people.retain(|v| !v.is_null());
    Some(json!({
        "seq": env.seq,
        "type": env.event.type_name(),
        "text": text,
        // Business time: a backdated or imported activity says when it
        // happened, not when it was typed in.
        "at": format_us(env.occurred_at),
        "sellers": people,
    }))
}
