//! `GET /api/v1/forum?since=YYYY-MM-DD&limit=N`: the weekly cross-selling
//! meeting's agenda (see [`crate::domain::forum`]). Read by the `/forum`
//! page and the wall's `forum` slide, so screen tokens may read it like a
//! board.
//!
//! `since` is a local date of the organisation's zone (the meeting thinks
//! in days, not instants); the agenda starts at its local midnight.
//! Default: seven days before today.

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::{Duration, NaiveDate, Utc};

use crate::domain::forum::forum;
use crate::domain::time::{local_midnight, micros};
use crate::http::query::u64_param;
use crate::http::{read_json, Api};
use crate::wire::body::{params, Params};
use crate::wire::error::ApiError;

/// Most rows per list of the agenda.
const MAX_LIMIT: u64 = 200;

pub fn routes() -> Router<Api> {
    Router::new().route("/api/v1/forum", get(get_forum))
}

fn bad(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::bad_request("invalid_query", message).with_field(field)
}

async fn get_forum(State(api): State<Api>, q: Params) -> Result<Response, ApiError> {
    let q = params(q)?;
    let since = match q.get("since") {
        None => None,
        Some(s) => Some(
            NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .map_err(|_| bad("since", "since must be a date as YYYY-MM-DD"))?,
        ),
    };
    // Ten rows per list: an agenda a meeting can get through, and every
    // list says how many more there are.
    let limit = u64_param(&q, "limit", 10)?;
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(bad("limit", format!("limit must be from 1 to {MAX_LIMIT}")));
    }
    let now = Utc::now();
    read_json(&api, move |p| {
        let today = now.with_timezone(&p.tz).date_naive();
        let date = since.unwrap_or(today - Duration::days(7));
        let since_us = micros(local_midnight(date, p.tz));
        let mut agenda = forum(p, since_us, micros(now), limit as usize);
        agenda.since = Some(date.format("%Y-%m-%d").to_string());
        Ok(agenda)
    })
    .await
}
