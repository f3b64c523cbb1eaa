//! Rules as leaders read them: the set in force now, what is scheduled,
//! and what a draft would do to a board (the preview diff).

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;

use crate::domain::projection::Projection;
use crate::domain::rows::{division_board, seller_board, DivisionScoring};
use crate::domain::rules::RuleSet;
use crate::domain::score::Scoreboard;
use crate::domain::time::{day_index, format_us, Window};

/// `GET /api/v1/rules`: the rule set in force at an instant (not merely
/// the latest published, which may take effect next month) and the
/// versions scheduled after it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RulesView {
    pub version: u32,
    pub rules: RuleSet,
    /// The latest published version: what `If-Match` must name.
    pub latest_version: u32,
    pub scheduled: Vec<ScheduledView>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScheduledView {
    pub version: u32,
    pub effective_from: String,
    pub rules: RuleSet,
}

/// The rules in force at `now_us` and those scheduled after it.
pub fn rules_view(p: &Projection, now_us: i64) -> RulesView {
    let timeline = &p.score.timeline;
    let (version, rules) = timeline.in_force(now_us);
    RulesView {
        version,
        rules: rules.clone(),
        latest_version: p.rules_version,
        scheduled: timeline
            .scheduled(now_us)
            .into_iter()
            .map(|s| ScheduledView {
                version: s.version,
                effective_from: format_us(s.effective_from),
                rules: s.rules.clone(),
            })
            .collect(),
    }
}

/// A row's place on one side of the preview.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Standing {
    pub rank: u32,
    pub points: f64,
}

/// One row of a preview. `current` is `None` for a row that only appears
/// under the draft, `draft` is `None` for one that drops off (someone who
/// left and whose points the draft takes to zero).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PreviewRow {
    pub id: String,
    pub name: String,
    pub current: Option<Standing>,
    pub draft: Option<Standing>,
    /// Draft minus current points, a missing side counting as 0.
    pub delta_points: f64,
    /// Places gained (positive) or lost (negative); `None` when the row is
    /// only on one side.
    pub delta_rank: Option<i64>,
}

/// What a draft would do to one board: both rankings side by side, sorted
/// by the draft's ranking, rows that drop off last.
pub fn preview_rows(
    p: &Projection,
    draft: &Scoreboard,
    window: &Window,
    divisions: Option<DivisionScoring>,
) -> Vec<PreviewRow> {
    type Side = Vec<(String, String, Standing)>;
    let side = |score: &Scoreboard| -> Side {
        match divisions {
            None => seller_board(p, score, window)
                .into_iter()
                .map(|r| {
                    let s = Standing {
                        rank: r.rank,
                        points: r.points as f64,
                    };
                    (r.id, r.name, s)
                })
                .collect(),
            Some(scoring) => division_board(p, score, window, scoring)
                .into_iter()
                .map(|r| {
                    let points = match scoring {
                        DivisionScoring::Sum => r.points as f64,
                        DivisionScoring::PerSeller => r.per_seller,
                    };
                    (
                        r.id,
                        r.name,
                        Standing {
                            rank: r.rank,
                            points,
                        },
                    )
                })
                .collect(),
        }
    };
    let now = side(&p.score);
    let next = side(draft);
    let mut current: HashMap<String, (String, Standing)> = now
        .into_iter()
        .map(|(id, name, s)| (id, (name, s)))
        .collect();
    let mut rows: Vec<PreviewRow> = next
        .into_iter()
        .map(|(id, name, d)| {
            let c = current.remove(&id).map(|(_, s)| s);
            row(id, name, c, Some(d))
        })
        .collect();
    rows.extend(
        current
            .into_iter()
            .map(|(id, (name, c))| row(id, name, Some(c), None)),
    );
    rows.sort_by(|a, b| {
        let key = |r: &PreviewRow| {
            (
                r.draft.is_none(),
                r.draft.or(r.current).map_or(u32::MAX, |s| s.rank),
            )
        };
        key(a).cmp(&key(b)).then_with(|| a.id.cmp(&b.id))
    });
    rows
}

fn row(id: String, name: String, current: Option<Standing>, draft: Option<Standing>) -> PreviewRow {
    let points = |s: Option<Standing>| s.map_or(0.0, |s| s.points);
    PreviewRow {
        id,
        name,
        delta_points: ((points(draft) - points(current)) * 10.0).round() / 10.0,
        delta_rank: match (current, draft) {
            (Some(c), Some(d)) => Some(c.rank as i64 - d.rank as i64),
            _ => None,
        },
        current,
        draft,
    }
}

/// Scores the facts in `window` under the timeline the draft would create.
/// Only the window's days are re-scored: points never cross days, so the
/// rest of history cannot change this board.
pub fn draft_scoreboard(
    p: &Projection,
    draft: RuleSet,
    retroactive: bool,
    effective_from: i64,
    window: &Window,
) -> Scoreboard {
    let mut timeline = p.score.timeline.clone();
    let from = if retroactive {
        i64::MIN
    } else {
        effective_from
    };
    timeline.publish(from, day_index(from, p.tz), Arc::new(draft), retroactive);
    Scoreboard::build_where(timeline, &p.facts, &p.org, |rec| {
        window.contains_day(rec.day)
    })
}

/// What a draft would change in one seller's game: badges gained and lost,
/// and their level before and after.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GameChange {
    pub id: String,
    pub name: String,
    pub gained: Vec<String>,
    pub lost: Vec<String>,
    pub level: u32,
    pub draft_level: u32,
}

/// The game changes a draft makes for `sellers` (those the preview
/// shows): a badge is data in the rule set, so a leader sees who would
/// gain or lose one before publishing. Sellers without a change are left
/// out.
pub fn game_changes(
    p: &Projection,
    draft: &Scoreboard,
    sellers: &[crate::domain::org::SellerIx],
    now_us: i64,
) -> Vec<GameChange> {
    use crate::domain::achievements::{trophies, trophies_under};
    sellers
        .iter()
        .filter_map(|s| {
            let (a, b) = (
                trophies(p, *s, now_us),
                trophies_under(p, draft, *s, now_us),
            );
            let ids = |t: &crate::domain::achievements::Trophies| -> Vec<String> {
                t.achievements.iter().map(|e| e.id.clone()).collect()
            };
            let (now, next) = (ids(&a), ids(&b));
            let gained: Vec<String> = next.iter().filter(|x| !now.contains(x)).cloned().collect();
            let lost: Vec<String> = now.iter().filter(|x| !next.contains(x)).cloned().collect();
            if gained.is_empty() && lost.is_empty() && a.level.level == b.level.level {
                return None;
            }
            let seller = p.org.sellers.get(*s as usize)?;
            Some(GameChange {
                id: seller.id.clone(),
                name: seller.name.clone(),
                gained,
                lost,
                level: a.level.level,
                draft_level: b.level.level,
            })
        })
        .collect()
}
