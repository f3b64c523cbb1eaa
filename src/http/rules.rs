//! Point rules over HTTP: read, preview a draft against the real log, and
//! publish with optimistic concurrency (`If-Match: <version>`).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use serde_json::{json, Value};

use crate::domain::board::DivisionScoring;
use crate::domain::event::Event;
use crate::domain::rules_view::{draft_scoreboard, preview_rows};
use crate::domain::time::micros;
use crate::http::query::window_params;
use crate::http::Api;
use crate::wire::body::{json_body, params, Params};
use crate::wire::error::ApiError;
use crate::wire::fields::{parse_time, Fields};
use crate::wire::rules::rules_member;
use crate::writer::Append;

/// The body publish and preview share: `rules`, and when they take effect
/// (`retroactive`, default false; else `effective_from`, default now, at
/// most a year ahead).
fn rules_and_mode(
    body: &Value,
    now: i64,
) -> Result<(crate::domain::rules::RuleSet, bool, i64), ApiError> {
    let mut f = Fields::new(body, "")?;
    let rules = rules_member(&mut f, "rules")?
        .ok_or_else(|| ApiError::field("rules", "missing_field", "rules is required"))?;
    let retroactive = f.bool("retroactive")?.unwrap_or(false);
    let effective_from = match f.take("effective_from") {
        None | Some(Value::Null) => now,
        Some(v) => parse_time(v, "effective_from", now + 365 * 86_400_000_000)?,
    };
    f.finish()?;
    Ok((rules, retroactive, effective_from))
}

pub fn routes() -> Router<Api> {
    Router::new()
        .route("/api/v1/rules", get(get_rules).put(put_rules))
        .route("/api/v1/rules/preview", post(preview))
}

async fn get_rules(State(api): State<Api>) -> Json<crate::domain::rules_view::RulesView> {
    let p = api.shared.projection.read();
    Json(crate::domain::rules_view::rules_view(
        &p,
        micros(Utc::now()),
    ))
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
    let (rules, retroactive, effective_from) = rules_and_mode(&body, now)?;
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
    // The same body and defaults as publishing, so a preview shows what a
    // publish with the same body would do.
    let (draft, retroactive, effective_from) = rules_and_mode(&body, micros(Utc::now()))?;
    let p = api.shared.projection.read();
    let window = p.window(kind, at);
    let scored = draft_scoreboard(&p, draft, retroactive, effective_from, &window);
    let rows = preview_rows(&p, &scored, &window, divisions);
    let moved = rows.iter().filter(|r| r.delta_rank != Some(0)).count();
    // Badges and levels for the sellers a leader looks at first: the top
    // of the draft board and whoever moves, at most 200 (each costs a walk
    // over that seller's events).
    let game = match divisions {
        Some(_) => Vec::new(),
        None => {
            let mut shown: Vec<u32> = rows
                .iter()
                .take(100)
                .chain(rows.iter().filter(|r| r.delta_rank != Some(0)).take(100))
                .filter_map(|r| p.org.seller(&r.id))
                .collect();
            shown.sort_unstable();
            shown.dedup();
            crate::domain::rules_view::game_changes(&p, &scored, &shown, micros(Utc::now()))
        }
    };
    Ok(Json(json!({
        "game": game,
        "seq": p.seq(),
        "board": if divisions.is_some() { "divisions" } else { "sellers" },
        "window": window.view(),
        "version": p.rules_version,
        "moved": moved,
        "rows": rows,
    })))
}
