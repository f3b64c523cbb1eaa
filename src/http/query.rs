//! Query parameters shared by boards, profiles and the live socket:
//! `window`, `at`, `limit`, board names and whole numbers.

use std::collections::HashMap;

use axum::http::StatusCode;
use chrono::{DateTime, Utc};

use crate::domain::board::BoardKind;
use crate::domain::time::WindowKind;
use crate::wire::error::ApiError;

pub fn u64_param(q: &HashMap<String, String>, name: &str, default: u64) -> Result<u64, ApiError> {
    match q.get(name) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                format!("{name} must be a whole number"),
            )
            .with_field(name)
        }),
    }
}

/// `window` (default week) and `at` (default now) of a board request.
pub fn window_params(q: &HashMap<String, String>) -> Result<(WindowKind, DateTime<Utc>), ApiError> {
    let kind = match q.get("window") {
        None => WindowKind::Week,
        Some(w) => WindowKind::parse(w).ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                "window must be one of day, week, month, quarter, year, all, season",
            )
            .with_field("window")
        })?,
    };
    let at = match q.get("at") {
        None => Utc::now(),
        Some(s) => DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_query",
                    "at must be an RFC 3339 time",
                )
                .with_field("at")
            })?,
    };
    Ok((kind, at))
}

/// `limit`: how many top rows of a board to send. The cut is exact; the
/// board says how many more share the last rank (`tied_beyond`).
pub fn limit_param(q: &HashMap<String, String>) -> Result<Option<usize>, ApiError> {
    match q.get("limit") {
        None => Ok(None),
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .map(Some)
            .ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_query",
                    "limit must be a whole number of rows, 1 or more",
                )
                .with_field("limit")
            }),
    }
}

/// `zeros`: whether a seller board lists sellers at 0 points (`true` or
/// `false`; `default` when absent).
pub fn zeros_param(q: &HashMap<String, String>, default: bool) -> Result<bool, ApiError> {
    match q.get("zeros").map(String::as_str) {
        None => Ok(default),
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(_) => Err(
            ApiError::bad_request("invalid_query", "zeros must be true or false")
                .with_field("zeros"),
        ),
    }
}

/// Parses a board name as the API and the live socket spell it.
pub fn board_kind(name: &str, q: &HashMap<String, String>) -> Result<BoardKind, ApiError> {
    match name {
        "sellers" => Ok(BoardKind::Sellers),
        "divisions" => {
            let per_seller = match q.get("scoring").map(String::as_str) {
                None | Some("sum") => false,
                Some("per_seller") => true,
                Some(_) => {
                    return Err(ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "invalid_query",
                        "scoring must be sum or per_seller",
                    )
                    .with_field("scoring"))
                }
            };
            Ok(BoardKind::Divisions { per_seller })
        }
        other => match other.strip_prefix("competition:") {
            Some(id) if !id.is_empty() => Ok(BoardKind::Competition(id.to_string())),
            _ => Err(ApiError::not_found(format!(
                "no board '{other}'; try sellers, divisions or competition:<id>"
            ))),
        },
    }
}
