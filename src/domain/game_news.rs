//! What the game celebrates as events land: badges earned, levels
//! reached, targets hit, kudos given, challenges won. One source for the
//! wall's highlights and the webhooks, so a screen never celebrates what
//! the API does not show.
//!
//! Everything is read back from the projection after the events are in:
//! an event "earned" a badge when the seller's trophy case names its seq,
//! so a back-dated event that earns one is celebrated too, and a voided
//! one never is.

use std::collections::HashSet;

use crate::domain::achievements::{level_for, trophies, Earned, Level};
use crate::domain::challenges::{view, Side, Status};
use crate::domain::event::{Envelope, Event};
use crate::domain::metric::{contributions, participants, Metric};
use crate::domain::org::SellerIx;
use crate::domain::projection::Projection;
use crate::domain::tally::{progress, Scope};

#[derive(Debug, Clone, PartialEq)]
pub enum News {
    Achievement {
        seller: SellerIx,
        earned: Earned,
    },
    LevelUp {
        seller: SellerIx,
        level: Level,
    },
    /// Index into the projection's targets.
    TargetReached {
        target: usize,
    },
    Kudos {
        from: SellerIx,
        to: SellerIx,
        reason: String,
    },
}

/// The news in `envs` (just committed, in log order), each with the seq
/// that made it.
pub fn news(p: &Projection, envs: &[Envelope], now_us: i64) -> Vec<(u64, News)> {
    let mut out = Vec::new();
    let mut who = Vec::new();
    let mut buf = Vec::new();
    for env in envs {
        let Some(rec) = p.facts.get((env.seq as usize).wrapping_sub(1)) else {
            continue;
        };
        if rec.voided {
            continue;
        }
        if let Event::KudosGiven {
            from, to, reason, ..
        } = &env.event
        {
            if let (Some(from), Some(to)) = (p.org.seller(from), p.org.seller(to)) {
                out.push((
                    env.seq,
                    News::Kudos {
                        from,
                        to,
                        reason: reason.clone(),
                    },
                ));
            }
        }
        who.clear();
        participants(p, &rec.fact, &mut who);
        buf.clear();
        contributions(p, env.seq, true, &mut buf);
        for s in &who {
            let t = trophies(p, *s, now_us);
            for e in t.achievements.iter().filter(|e| e.seq == env.seq) {
                out.push((
                    env.seq,
                    News::Achievement {
                        seller: *s,
                        earned: e.clone(),
                    },
                ));
            }
            let gained: i64 = buf
                .iter()
                .filter(|c| c.seller == *s && c.metric == Metric::Points)
                .map(|c| c.amount)
                .sum();
            let before = level_for(&p.rules().levels, t.level.points.saturating_sub(gained));
            if gained > 0 && t.level.level > before.level {
                out.push((
                    env.seq,
                    News::LevelUp {
                        seller: *s,
                        level: t.level.clone(),
                    },
                ));
            }
        }
    }
    // Targets: one read per target per batch, celebrated when the event
    // that reached it is in the batch.
    let seqs: HashSet<u64> = envs.iter().map(|e| e.seq).collect();
    for (i, t) in p.game.targets.iter().enumerate() {
        let scope = t.division.map_or(Scope::Org, Scope::Division);
        let pr = progress(p, scope, t.metric, (t.start_day, t.end_day), Some(t.value));
        if let Some((_, seq)) = pr.reached.filter(|(_, s)| seqs.contains(s)) {
            out.push((seq, News::TargetReached { target: i }));
        }
    }
    out
}

/// Ids of challenges closed with a winner: a new one since the last look
/// is a challenge won.
pub fn won_challenges(p: &Projection, now_us: i64) -> HashSet<String> {
    p.game
        .challenges
        .iter()
        .filter(|c| c.status(now_us) == Status::Closed)
        .filter(|c| !view(p, c, now_us).winners.is_empty())
        .map(|c| c.id.clone())
        .collect()
}

/// A closed challenge's winners, by id.
pub fn challenge_winners(p: &Projection, id: &str, now_us: i64) -> Vec<Side> {
    p.game
        .challenge(id)
        .map(|c| view(p, c, now_us).winners)
        .unwrap_or_default()
}
