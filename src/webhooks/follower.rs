//! The follower: reads newly committed envelopes like a late reader, so the
//! writer never waits for it and a slow receiver never slows an append.

use std::sync::{Arc, Weak};

use crate::domain::event::Envelope;
use crate::domain::game_news::won_challenges;
use crate::domain::time::micros;
use crate::webhooks::celebrations::{
    celebration, challenge_won, competition_won, ended_competitions, game_celebrations,
};
use crate::webhooks::{Webhooks, COMPETITION_TICK, MAX_SCAN};
use crate::writer::Shared;

pub(super) async fn follow(shared: Arc<Shared>, hooks: Weak<Webhooks>) {
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
