//! The game's JSON shapes: trophy cases, challenges, targets and the hall
//! of fame, one form for the API, the wall and webhooks.

use serde_json::{json, Value};

use crate::domain::achievements::{Earned, Level, Streak, Trophies};
use crate::domain::challenges::{ChallengeView, Side};
use crate::domain::game::Target;
use crate::domain::org::Org;
use crate::domain::seasons::SeasonResult;
use crate::domain::tally::Progress;
use crate::domain::time::format_us;

pub fn earned_json(e: &Earned) -> Value {
    json!({
        "id": e.id,
        "name": e.name,
        "description": e.description,
        "earned_at": format_us(e.earned_at),
        "seq": e.seq,
    })
}

pub fn streak_json(s: &Streak) -> Value {
    json!({
        "current": s.current,
        "longest": s.longest,
        "this_week": s.this_week,
        "needed": s.needed,
    })
}

pub fn level_json(l: &Level) -> Value {
    json!({
        "level": l.level,
        "name": l.name,
        "points": l.points,
        "next_at": l.next_at,
        "next_name": l.next_name,
    })
}

/// Adds a trophy case to a seller's JSON object.
pub fn add_trophies(v: &mut Value, t: &Trophies) {
    v["achievements"] = t.achievements.iter().map(earned_json).collect();
    v["streak"] = streak_json(&t.streak);
    v["level"] = level_json(&t.level);
}

fn side_json(org: &Org, side: Side) -> Value {
    let kind = match side {
        Side::Seller(_) => "seller",
        Side::Division(_) => "division",
    };
    json!({"id": side.id(org), "name": side.name(org), "kind": kind})
}

pub fn challenge_json(org: &Org, v: &ChallengeView) -> Value {
    let c = v.challenge;
    let key = if c.metric.is_points() && c.metric.as_str() == "points" {
        "points"
    } else {
        "value"
    };
    let standings: Vec<Value> = v
        .standings
        .iter()
        .map(|r| {
            let mut row = json!({
                "id": r.side.id(org),
                "name": r.side.name(org),
                "rank": r.rank,
            });
            row[key] = r.value.into();
            row
        })
        .collect();
    let winners: Vec<&str> = v.winners.iter().map(|s| s.id(org)).collect();
    json!({
        "id": c.id,
        "status": v.status.as_str(),
        "challenger": side_json(org, c.challenger),
        "opponent": side_json(org, c.opponent),
        "metric": c.metric.as_str(),
        "start": format_us(c.start_us),
        "end": format_us(c.end_us),
        "stake": c.stake,
        "issued_seq": c.issued_seq,
        "issued_at": format_us(c.issued_at),
        "answered_at": c.answer.map(|a| format_us(a.at_us)),
        "standings": standings,
        // One winner, or null on a shared win or no winner; `winners`
        // lists both on a tie.
        "winner": if winners.len() == 1 { Value::from(winners[0]) } else { Value::Null },
        "winners": winners,
        "tie": winners.len() > 1,
    })
}

pub fn target_json(org: &Org, t: &Target, progress: &Progress) -> Value {
    let division = match t.division {
        Some(d) => Value::from(org.divisions[d as usize].id.as_str()),
        None => Value::from("org"),
    };
    let pct = if t.value > 0 {
        (progress.value as f64 / t.value as f64 * 1000.0).round() / 10.0
    } else {
        0.0
    };
    json!({
        "id": t.id,
        "division": division,
        "division_name": t.division.map(|d| org.divisions[d as usize].name.as_str()),
        "metric": t.metric.as_str(),
        "value": t.value,
        "progress": progress.value,
        "percent": pct,
        "start": format_us(t.start_us),
        "end": format_us(t.end_us),
        "reached_at": progress.reached.map(|(at, _)| format_us(at)),
        "reached_seq": progress.reached.map(|(_, seq)| seq),
        "set_seq": t.seq,
    })
}

pub fn season_json(org: &Org, s: &SeasonResult) -> Value {
    let sellers: Vec<Value> = s
        .top_sellers
        .iter()
        .map(|(ix, pts)| {
            let seller = &org.sellers[*ix as usize];
            json!({"id": seller.id, "name": seller.name, "points": pts})
        })
        .collect();
    json!({
        "kind": s.kind.as_str(),
        "start": format_us(s.start_us),
        "end": format_us(s.end_us),
        "frozen": s.frozen,
        "top_sellers": sellers,
        "top_division": s.top_division.map(|(d, pts)| {
            let d = &org.divisions[d as usize];
            json!({"id": d.id, "name": d.name, "points": pts})
        }),
    })
}

/// A metric as a short phrase for people ("leads given").
pub fn metric_label(m: crate::domain::metric::Metric) -> String {
    m.as_str().replace('_', " ")
}

/// The kind, title and text of a piece of game news. Names pass through
/// `esc`, so webhooks can escape markup while the wall (which escapes on
/// display) shows them as typed.
pub fn news_text(
    p: &crate::domain::Projection,
    news: &crate::domain::game_news::News,
    esc: &dyn Fn(&str) -> String,
) -> (&'static str, &'static str, String) {
    use crate::domain::game_news::News;
    let seller = |ix: u32| {
        esc(p
            .org
            .sellers
            .get(ix as usize)
            .map_or("?", |s| s.name.as_str()))
    };
    match news {
        News::Achievement { seller: s, earned } => (
            "achievement_earned",
            "Achievement!",
            format!("{} earned “{}”", seller(*s), esc(&earned.name)),
        ),
        News::LevelUp { seller: s, level } => (
            "level_up",
            "Level up!",
            format!(
                "{} reached level {}: {}",
                seller(*s),
                level.level,
                esc(&level.name)
            ),
        ),
        News::TargetReached { target } => {
            let Some(t) = p.game.targets.get(*target) else {
                return ("target_reached", "Target reached!", String::new());
            };
            let who = match t.division {
                Some(d) => esc(p
                    .org
                    .divisions
                    .get(d as usize)
                    .map_or("?", |d| d.name.as_str())),
                None => "The whole team".to_string(),
            };
            (
                "target_reached",
                "Target reached!",
                format!("{who} reached {} {}", t.value, metric_label(t.metric)),
            )
        }
        News::Kudos { from, to, reason } => (
            "kudos",
            "Kudos",
            format!("{} thanked {}: {}", seller(*from), seller(*to), esc(reason)),
        ),
    }
}

/// The text of a challenge won: one winner, or a shared win.
pub fn challenge_won_text(
    p: &crate::domain::Projection,
    id: &str,
    winners: &[Side],
    esc: &dyn Fn(&str) -> String,
) -> Option<String> {
    let c = p.game.challenge(id)?;
    let names: Vec<String> = winners.iter().map(|s| esc(s.name(&p.org))).collect();
    let (a, b) = (esc(c.challenger.name(&p.org)), esc(c.opponent.name(&p.org)));
    match names.as_slice() {
        [] => None,
        [one] => Some(format!(
            "{one} won the challenge {a} vs {b} ({})",
            metric_label(c.metric)
        )),
        _ => Some(format!(
            "{a} and {b} share the challenge ({})",
            metric_label(c.metric)
        )),
    }
}
