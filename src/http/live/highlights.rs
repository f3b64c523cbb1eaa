//! Highlights: short "celebrate this" frames derived from committed
//! events (an order from a cross-division lead, a joint visit, a lead won,
//! a change of leader in a competition).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::ws::Utf8Bytes;
use chrono::Utc;
use serde_json::{json, Value};
use tokio::sync::broadcast;
use tokio::time::Instant;

use crate::domain::competition;
use crate::domain::event::{Envelope, Event, FeedbackStatus};
use crate::domain::game_news::{challenge_winners, news, won_challenges, News};
use crate::domain::score::Fact;
use crate::domain::Projection;
use crate::wire::game::{challenge_won_text, news_text};
use crate::wire::text::money;
use crate::writer::Shared;

use super::{COMPETITION_CHECK, MAX_HIGHLIGHT_SCAN};

pub(super) async fn follow_highlights(shared: Arc<Shared>, tx: broadcast::Sender<Utf8Bytes>) {
    let mut changes = shared.changes.subscribe();
    let mut seen = *changes.borrow_and_update();
    let mut leaders = competition_leaders(&shared.projection.read());
    let now_us = || crate::domain::time::micros(Utc::now());
    let mut won = won_challenges(&shared.projection.read(), now_us());
    let mut check_due: Option<Instant> = None;
    loop {
        let due = check_due;
        tokio::select! {
            changed = changes.changed() => {
                if changed.is_err() {
                    return;
                }
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
                let mut frames = Vec::new();
                let mut scoring = false;
                {
                    let p = shared.projection.read();
                    for env in &envs {
                        scoring |= env.event.is_activity()
                            || matches!(
                                env.event,
                                Event::EventVoided { .. } | Event::CompetitionCreated { .. }
                            );
                        frames.extend(highlight(&p, env));
                    }
                    frames.extend(game_highlights(&p, &envs, now_us()));
                    let closed = won_challenges(&p, now_us());
                    for id in closed.difference(&won) {
                        frames.extend(challenge_highlight(&p, id, now_us()));
                    }
                    won = closed;
                }
                for f in frames {
                    let _ = tx.send(Utf8Bytes::from(f.to_string()));
                }
                if scoring && check_due.is_none() {
                    check_due = Some(Instant::now());
                }
            }
            _ = async { if let Some(at) = due { tokio::time::sleep_until(at).await } },
                if due.is_some() => {
                check_due = None;
                let (now, frames) = {
                    let p = shared.projection.read();
                    let now = competition_leaders(&p);
                    let frames = lead_changes(&p, &leaders, &now);
                    (now, frames)
                };
                leaders = now;
                for f in frames {
                    let _ = tx.send(Utf8Bytes::from(f.to_string()));
                }
                // Standings are a full rescore: never more than once a second.
                tokio::time::sleep(COMPETITION_CHECK).await;
            }
        }
    }
}

pub(super) fn seller_json(p: &Projection, ix: u32) -> Value {
    match p.org.sellers.get(ix as usize) {
        Some(s) => {
            let division = p.org.divisions.get(s.division as usize);
            json!({"id": s.id, "name": s.name, "division": division.map(|d| d.name.as_str())})
        }
        None => Value::Null,
    }
}

pub(super) fn seller_name(p: &Projection, id: &str) -> String {
    p.org
        .seller(id)
        .and_then(|ix| p.org.sellers.get(ix as usize))
        .map_or_else(|| id.to_string(), |s| s.name.clone())
}

/// The highlight an envelope deserves, if any: an order from a
/// cross-division lead, a joint visit, a lead reported won.
pub(super) fn highlight(p: &Projection, env: &Envelope) -> Option<Value> {
    let rec = p.facts.get((env.seq as usize).checked_sub(1)?)?;
    if rec.voided {
        return None;
    }
    let h = match (&env.event, &rec.fact) {
        (
            Event::OrderClosed {
                customer,
                amount,
                currency,
                ..
            },
            Fact::Order {
                seller,
                division,
                lead: Some((lead, giver_division)),
                ..
            },
        ) if giver_division != division => {
            let giver = p.org.leads.get(*lead as usize)?.giver;
            let (s, g) = (seller_json(p, *seller), seller_json(p, giver));
            json!({
                "kind": "cross_sell_order",
                "title": "Cross-sell order!",
                "text": format!("{} closed {} with {} from {}'s lead",
                    s["name"].as_str().unwrap_or("?"), money(*amount, currency, '\u{a0}'), customer,
                    g["name"].as_str().unwrap_or("?")),
                "sellers": [s, g],
                "customer": customer,
                "amount": amount,
                "currency": currency,
            })
        }
        (
            Event::JointVisit {
                host,
                guests,
                customer,
            },
            _,
        ) => {
            let guests: Vec<String> = guests.iter().map(|g| seller_name(p, g)).collect();
            json!({
                "kind": "joint_visit",
                "title": "Joint visit",
                "text": format!("{} and {} visited {} together",
                    seller_name(p, host), guests.join(", "), customer),
                "customer": customer,
            })
        }
        (
            Event::LeadFeedback {
                lead,
                by,
                status: FeedbackStatus::Won,
                ..
            },
            _,
        ) => {
            let l = p.org.leads.get(p.org.lead(lead)? as usize)?;
            let giver = seller_json(p, l.giver);
            json!({
                "kind": "lead_won",
                "title": "Lead won!",
                "text": format!("{} won {}'s lead at {}",
                    seller_name(p, by), giver["name"].as_str().unwrap_or("?"), l.customer),
                "customer": l.customer,
            })
        }
        _ => return None,
    };
    let mut h = h;
    h["seq"] = env.seq.into();
    Some(json!({ "highlight": h }))
}

/// The game's news as highlights: achievements, level-ups, targets
/// reached and kudos.
pub(super) fn game_highlights(p: &Projection, envs: &[Envelope], now_us: i64) -> Vec<Value> {
    let plain = |s: &str| s.to_string();
    news(p, envs, now_us)
        .into_iter()
        .map(|(seq, n)| {
            let (kind, title, text) = news_text(p, &n, &plain);
            let sellers: Vec<Value> = match &n {
                News::Achievement { seller, .. } | News::LevelUp { seller, .. } => {
                    vec![seller_json(p, *seller)]
                }
                News::Kudos { from, to, .. } => vec![seller_json(p, *from), seller_json(p, *to)],
                News::TargetReached { .. } => Vec::new(),
            };
            json!({"highlight": {"kind": kind, "title": title, "text": text, "sellers": sellers, "seq": seq}})
        })
        .collect()
}

fn challenge_highlight(p: &Projection, id: &str, now_us: i64) -> Option<Value> {
    let winners = challenge_winners(p, id, now_us);
    let text = challenge_won_text(p, id, &winners, &|s: &str| s.to_string())?;
    Some(json!({"highlight": {
        "kind": "challenge_won",
        "title": "Challenge won!",
        "text": text,
        "challenge": id,
        "seq": p.seq(),
    }}))
}

/// The sole leader (with points) of each running competition.
pub(super) fn competition_leaders(p: &Projection) -> HashMap<String, Option<String>> {
    let now = Utc::now();
    p.competitions
        .iter()
        .filter(|c| competition::status(c, now) == competition::Status::Running)
        .map(|c| {
            let rows = competition::standings(p, c);
            let top = competition::winners(&rows);
            let leader = (top.len() == 1).then(|| top[0].id.clone());
            (c.id.clone(), leader)
        })
        .collect()
}

pub(super) fn lead_changes(
    p: &Projection,
    before: &HashMap<String, Option<String>>,
    now: &HashMap<String, Option<String>>,
) -> Vec<Value> {
    let mut out = Vec::new();
    for (id, leader) in now {
        let Some(leader) = leader else { continue };
        if before.get(id).is_some_and(|b| b.as_ref() == Some(leader)) {
            continue;
        }
        let name = |d: &str| {
            p.org
                .division(d)
                .and_then(|ix| p.org.divisions.get(ix as usize))
                .map_or_else(|| d.to_string(), |d| d.name.clone())
        };
        let comp = p.competition(id).map_or(id.as_str(), |c| c.name.as_str());
        out.push(json!({"highlight": {
            "kind": "competition_lead",
            "title": "New leader!",
            "text": format!("{} takes the lead in {}", name(leader), comp),
            "competition": id,
            "leader": leader,
            "seq": p.seq(),
        }}));
    }
    out
}
