//! Point rules over HTTP: read, preview a draft against the real log, and
//! publish with optimistic concurrency (`If-Match: <version>`).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use serde::Serialize;
use serde_json::{json, Value};

use crate::domain::board::{division_board, seller_board, DivisionScoring};
use crate::domain::event::Event;
use crate::domain::projection::Projection;
use crate::domain::rules::RuleSet;
use crate::domain::score::Scoreboard;
use crate::domain::time::{day_index, micros, Window};
use crate::http::query::window_params;
use crate::http::Api;
use crate::wire::body::{json_body, params, Params};
use crate::wire::error::ApiError;
use crate::wire::fields::{parse_time, Fields};
use crate::wire::rules::rules_member;
use crate::writer::Append;

pub fn routes() -> Router<Api> {
    Router::new()
        .route("/api/v1/rules", get(get_rules).put(put_rules))
        .route("/api/v1/rules/preview", post(preview))
}

async fn get_rules(State(api): State<Api>) -> Json<Value> {
    let p = api.shared.projection.read();
    Json(json!({"version": p.rules_version, "rules": p.rules().to_json()}))
}

async fn put_rules(
    State(api): State<Api>,
    who: crate::tokens::Identity,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let expected: u32 =
        match headers.get("if-match") {
            None => return Err(ApiError::new(
                StatusCode::PRECONDITION_REQUIRED,
                "missing_if_match",
                "send If-Match: <current version> so that two leaders cannot overwrite each other",
            )
            .with_field("If-Match")),
            Some(v) => v
                .to_str()
                .ok()
                .map(|s| s.trim().trim_matches('"'))
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "invalid_if_match",
                        "If-Match must be a rules version number",
                    )
                    .with_field("If-Match")
                })?,
        };
    let body = json_body(&headers, body)?;
    let now = micros(Utc::now());
    let mut f = Fields::new(&body, "")?;
    let rules = rules_member(&mut f, "rules")?
        .ok_or_else(|| ApiError::field("rules", "missing_field", "rules is required"))?;
    let retroactive = f.bool("retroactive")?.unwrap_or(false);
    let effective_from = match f.take("effective_from") {
        None | Some(Value::Null) => now,
        Some(v) => parse_time(v, "effective_from", now + 365 * 86_400_000_000)?,
    };
    f.finish()?;
    let current = api.shared.projection.read().rules_version;
    if expected != current {
        return Err(stale(current));
    }
    let event = Event::RulesPublished {
        version: expected + 1,
        rules: rules.to_json().to_string(),
        effective_from: if retroactive {
            i64::MIN
        } else {
            effective_from
        },
        retroactive,
    };
    let append = Append {
        id: None,
        occurred_at: None,
        actor: who.actor(),
        event,
    };
    match api.writer.append(append).await {
        Ok((appended, _)) => Ok((
            StatusCode::OK,
            Json(json!({"version": expected + 1, "seq": appended.seq()})),
        )
            .into_response()),
        Err(crate::writer::AppendError::Rejected(r)) if r.code == "stale_version" => {
            Err(stale(api.shared.projection.read().rules_version))
        }
        Err(e) => Err(e.into()),
    }
}

fn stale(current: u32) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "stale_version",
        format!("the rules are at version {current}; reload and try again"),
    )
    .with_field("If-Match")
    .with_extra("current_version", current.into())
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Standing {
    pub rank: u32,
    pub points: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PreviewRow {
    pub id: String,
    pub name: String,
    pub current: Standing,
    pub draft: Standing,
    pub delta_points: f64,
    /// Places gained (positive) or lost (negative) under the draft.
    pub delta_rank: i64,
}

/// What a draft would do to one board: both rankings side by side, sorted
/// by the draft's ranking.
pub fn preview_rows(
    p: &Projection,
    draft: &Scoreboard,
    window: &Window,
    divisions: Option<DivisionScoring>,
) -> Vec<PreviewRow> {
    let mut rows: Vec<PreviewRow> = match divisions {
        None => {
            let now: HashMap<String, (u32, i64)> = seller_board(p, &p.score, window)
                .into_iter()
                .map(|r| (r.id, (r.rank, r.points)))
                .collect();
            seller_board(p, draft, window)
                .into_iter()
                .map(|r| {
                    let (rank, points) = now.get(&r.id).copied().unwrap_or((r.rank, 0));
                    row(
                        r.id,
                        r.name,
                        (rank, points as f64),
                        (r.rank, r.points as f64),
                    )
                })
                .collect()
        }
        Some(scoring) => {
            let value = |points: i64, per: f64| {
                if scoring == DivisionScoring::Sum {
                    points as f64
                } else {
                    per
                }
            };
            let now: HashMap<String, (u32, f64)> = division_board(p, &p.score, window, scoring)
                .into_iter()
                .map(|r| (r.id, (r.rank, value(r.points, r.per_seller))))
                .collect();
            division_board(p, draft, window, scoring)
                .into_iter()
                .map(|r| {
                    let cur = now.get(&r.id).copied().unwrap_or((r.rank, 0.0));
                    let points = value(r.points, r.per_seller);
                    row(r.id, r.name, cur, (r.rank, points))
                })
                .collect()
        }
    };
    rows.sort_by(|a, b| {
        a.draft
            .rank
            .cmp(&b.draft.rank)
            .then_with(|| a.id.cmp(&b.id))
    });
    rows
}

fn row(id: String, name: String, current: (u32, f64), draft: (u32, f64)) -> PreviewRow {
    PreviewRow {
        id,
        name,
        delta_points: ((draft.1 - current.1) * 10.0).round() / 10.0,
        delta_rank: current.0 as i64 - draft.0 as i64,
        current: Standing {
            rank: current.0,
            points: current.1,
        },
        draft: Standing {
            rank: draft.0,
            points: draft.1,
        },
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
    timeline.publish(
        from,
        day_index(from, p.tz),
        std::sync::Arc::new(draft),
        retroactive,
    );
    Scoreboard::build_where(timeline, &p.facts, &p.org, |rec| {
        window.contains_day(rec.day)
    })
}

async fn preview(
    State(api): State<Api>,
    q: Params,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let q = params(q)?;
    let (kind, at) = window_params(&q)?;
    let divisions = match q.get("board").map(String::as_str) {
        None | Some("sellers") => None,
        Some("divisions") => Some(match q.get("scoring").map(String::as_str) {
            Some("per_seller") => DivisionScoring::PerSeller,
            _ => DivisionScoring::Sum,
        }),
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid_query",
                "board must be sellers or divisions",
            )
            .with_field("board"))
        }
    };
    let body = json_body(&headers, body)?;
    let now = micros(Utc::now());
    let mut f = Fields::new(&body, "")?;
    let draft = rules_member(&mut f, "rules")?
        .ok_or_else(|| ApiError::field("rules", "missing_field", "rules is required"))?;
    // A preview shows history under the draft unless asked otherwise.
    let retroactive = f.bool("retroactive")?.unwrap_or(true);
    let effective_from = match f.take("effective_from") {
        None | Some(Value::Null) => now,
        Some(v) => parse_time(v, "effective_from", now + 365 * 86_400_000_000)?,
    };
    f.finish()?;
    let p = api.shared.projection.read();
    let window = Window::containing(kind, at, p.tz);
    let scored = draft_scoreboard(&p, draft, retroactive, effective_from, &window);
    let rows = preview_rows(&p, &scored, &window, divisions);
    let moved = rows.iter().filter(|r| r.delta_rank != 0).count();
    Ok(Json(json!({
        "seq": p.seq(),
        "board": if divisions.is_some() { "divisions" } else { "sellers" },
        "window": window.to_json(),
        "version": p.rules_version,
        "moved": moved,
        "rows": rows,
    })))
}
