//! The follower: reads newly committed envelopes like a late reader, so the
//! writer never waits for it and a slow receiver never slows an append.

use std::sync::{Arc, Weak};

use chrono::{NaiveDate, Utc};

use crate::domain::event::Envelope;
use crate::domain::game_news::won_challenges;
use crate::domain::time::micros;
use crate::webhooks::celebrations::{
    celebration, challenge_won, competition_won, ended_competitions, game_celebrations,
};
use crate::webhooks::digest::{self, SENT_KEY};
use crate::webhooks::{Webhooks, COMPETITION_TICK, MAX_SCAN};
use crate::writer::Shared;

/// The local date of the last digest, as stored.
async fn digest_sent(shared: &Arc<Shared>) -> Option<NaiveDate> {
    let log = shared.log.clone();
    let text = tokio::task::spawn_blocking(move || log.meta(SENT_KEY))
        .await
        .ok()?
        .ok()??;
    NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok()
}

/// Records that the digest for `day` went out (see [`digest`] for why
/// before it is queued). False if the store refused.
async fn mark_digest_sent(shared: &Arc<Shared>, day: NaiveDate) -> bool {
    let log = shared.log.clone();
    let text = day.format("%Y-%m-%d").to_string();
    match tokio::task::spawn_blocking(move || log.set_meta(SENT_KEY, &text)).await {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "cannot record the feedback digest; not sending it");
            false
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot record the feedback digest; not sending it");
            false
        }
    }
}

pub(super) async fn follow(shared: Arc<Shared>, hooks: Weak<Webhooks>) {
    let mut last_digest = digest_sent(&shared).await;
    let mut changes = shared.changes.subscribe();
    let mut seen = *changes.borrow_and_update();
    let mut announced = ended_competitions(&shared.projection.read());
    let now = || micros(chrono::Utc::now());
    let mut won = won_challenges(&shared.projection.read(), now());
    let mut tick = tokio::time::interval(COMPETITION_TICK);
    loop {
        tokio::select! {
            changed = changes.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            _ = tick.tick() => {}
        }
        let committed = *changes.borrow_and_update();
        let mut found = Vec::new();
        let Some(digest_at) = hooks.upgrade().map(|h| h.digest_at) else {
            return;
        };
        // Before this round's events: a digest is never queued behind
        // news it did not cover, and a receiver sees it first after a
        // restart (tests rely on that order to prove there is no second).
        let due = digest_at.and_then(|at| {
            let p = shared.projection.read();
            digest::check(&p, at, Utc::now(), last_digest)
        });
        if let Some((day, messages)) = due {
            if mark_digest_sent(&shared, day).await {
                last_digest = Some(day);
                tracing::info!(date = %day, messages = messages.len(), "feedback digest");
                found.extend(messages);
            }
        }
        if committed > seen {
            let from = seen.max(committed.saturating_sub(MAX_SCAN));
            seen = committed;
            let log = shared.log.clone();
            let envs: Vec<Envelope> = tokio::task::spawn_blocking(move || {
                log.read(from, committed).filter_map(Result::ok).collect()
            })
            .await
            .unwrap_or_default();
            let p = shared.projection.read();
            found.extend(envs.iter().filter_map(|e| celebration(&p, e)));
            found.extend(game_celebrations(&p, &envs, now()));
        }
        {
            let p = shared.projection.read();
            let ended = ended_competitions(&p);
            for id in ended.difference(&announced) {
                found.extend(competition_won(&p, id));
            }
            announced = ended;
            let closed = won_challenges(&p, now());
            for id in closed.difference(&won) {
                found.extend(challenge_won(&p, id, now()));
            }
            won = closed;
        }
        let Some(hooks) = hooks.upgrade() else { return };
        for c in &found {
            hooks.dispatch(c);
        }
    }
}
