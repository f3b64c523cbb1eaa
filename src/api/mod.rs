//! The HTTP ring: axum routes that turn requests into writer commands and
//! projection reads. Handlers stay thin; the rules live in `domain`.

pub mod competitions;
pub mod error;
pub mod input;
pub mod openapi;
pub mod rules;
pub mod transfer;

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::domain::board::{self, BoardKind, BoardSpec};
use crate::domain::time::{micros, Window, WindowKind};
use crate::writer::{Append, Appended, Shared, Writer};
use error::ApiError;
use input::parse_event_request;

/// Request bodies above this are refused with 413.
pub const MAX_BODY: usize = 64 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub struct Api {
    pub shared: Arc<Shared>,
    pub writer: Writer,
    /// The tokens this server accepts; see `crate::auth`.
    pub auth: Arc<crate::auth::Auth>,
}

pub fn router(api: Api) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/v1/events", post(post_event).get(list_events))
        .route("/api/v1/boards/{board}", get(get_board))
        .route("/api/v1/sellers", get(list_sellers))
        .route("/api/v1/sellers/{id}", get(get_seller))
        .route("/api/v1/divisions", get(list_divisions))
        .route("/api/v1/collaboration", get(get_collaboration))
        .merge(rules::routes())
        .merge(competitions::routes())
        .merge(transfer::routes())
        .merge(crate::metrics::routes())
        .merge(crate::webhooks::routes())
        .merge(openapi::routes())
        .merge(crate::live::routes())
        .merge(crate::web::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // After routing, so that it sees the matched route's pattern.
        .layer(axum::middleware::from_fn_with_state(
            api.clone(),
            crate::auth::require,
        ))
        .layer(axum::middleware::from_fn(error::json_errors))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn(crate::metrics::observe_requests))
        .with_state(api)
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take that method",
    )
}

async fn healthz(State(api): State<Api>) -> Response {
    let seq = api.shared.committed.load(Ordering::Acquire);
    if api.shared.failed.load(Ordering::Acquire) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "failed", "seq": seq})),
        )
            .into_response();
    }
    Json(json!({"status": "ok", "seq": seq})).into_response()
}

/// Reads a JSON body, refusing other content types, oversize bodies and bad
/// JSON with the API's error shape.
pub fn json_body(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Value, ApiError> {
    if let Some(ct) = headers.get(header::CONTENT_TYPE) {
        let ct = ct.to_str().unwrap_or("");
        let mime = ct.split(';').next().unwrap_or("").trim();
        if !mime.eq_ignore_ascii_case("application/json") {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as application/json",
            ));
        }
    }
    let bytes = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("the body is larger than {MAX_BODY} bytes"),
            )
        } else {
            ApiError::bad_request("invalid_body", e.body_text())
        }
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::bad_request("invalid_json", format!("the body is not valid JSON: {e}"))
    })
}

/// Query parameters, with a JSON error when they cannot be decoded.
pub type Params = Result<Query<HashMap<String, String>>, QueryRejection>;

pub fn params(q: Params) -> Result<HashMap<String, String>, ApiError> {
    q.map(|Query(q)| q)
        .map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))
}

fn now_us() -> i64 {
    micros(Utc::now())
}

async fn post_event(
    State(api): State<Api>,
    who: crate::auth::Identity,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = json_body(&headers, body)?;
    let req = parse_event_request(&body, now_us())
        .inspect_err(|e| crate::metrics::event_rejected(e.code))?;
    crate::auth::may_append(&who, &req.event)?;
    let append = Append {
        id: req.id,
        occurred_at: req.occurred_at,
        actor: who.actor(),
        event: req.event,
    };
    let (appended, id) = api.writer.append(append).await?;
    let status = match appended {
        Appended::Created(_) => StatusCode::CREATED,
        Appended::Existing(_) => StatusCode::OK,
    };
    Ok((status, Json(json!({"seq": appended.seq(), "id": id}))).into_response())
}

fn u64_param(q: &HashMap<String, String>, name: &str, default: u64) -> Result<u64, ApiError> {
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

async fn list_events(State(api): State<Api>, q: Params) -> Result<Json<Value>, ApiError> {
    let q = params(q)?;
    let after = u64_param(&q, "after", 0)?;
    let limit = u64_param(&q, "limit", 100)?.clamp(1, 1000);
    let committed = api.shared.committed.load(Ordering::Acquire);
    let until = after.saturating_add(limit).min(committed);
    let mut events = Vec::new();
    let mut next = after;
    if until > after {
        for env in api.shared.log.read(after, until) {
            let env = env.map_err(|e| {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "storage", e.to_string())
            })?;
            next = env.seq;
            events.push(env.to_json());
        }
    }
    Ok(Json(json!({"events": events, "next": next})))
}

/// `window` (default week) and `at` (default now) of a board request.
pub fn window_params(q: &HashMap<String, String>) -> Result<(WindowKind, DateTime<Utc>), ApiError> {
    let kind = match q.get("window") {
        None => WindowKind::Week,
        Some(w) => WindowKind::parse(w).ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                "window must be one of day, week, month, quarter, year, all",
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

/// `limit`: how many top rows of a board to send (ties at the cut are kept).
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

async fn get_board(
    State(api): State<Api>,
    Path(name): Path<String>,
    q: Params,
) -> Result<Json<board::Frame>, ApiError> {
    let q = params(q)?;
    let (window, at) = window_params(&q)?;
    let spec = BoardSpec {
        kind: board_kind(&name, &q)?,
        window,
        limit: limit_param(&q)?,
    };
    let p = api.shared.projection.read();
    board::render(&p, &spec, at)
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no board '{name}'")))
}

async fn get_seller(
    State(api): State<Api>,
    Path(id): Path<String>,
    q: Params,
) -> Result<Json<Value>, ApiError> {
    let q = params(q)?;
    let (kind, at) = window_params(&q)?;
    let p = api.shared.projection.read();
    let s = p
        .org
        .seller(&id)
        .ok_or_else(|| ApiError::not_found(format!("there is no seller '{id}'")))?;
    let window = Window::containing(kind, at, p.tz);
    let profile = board::profile(&p, s, &window);
    let mut v = serde_json::to_value(profile).unwrap_or_default();
    v["window"] = window.to_json();
    v["seq"] = p.seq().into();
    Ok(Json(v))
}

async fn list_sellers(State(api): State<Api>) -> Json<Value> {
    let p = api.shared.projection.read();
    let sellers: Vec<Value> = p
        .org
        .sellers
        .iter()
        .map(|s| {
            json!({"id": s.id, "name": s.name, "division": p.org.divisions[s.division as usize].id, "left": s.left})
        })
        .collect();
    Json(json!({"sellers": sellers}))
}

async fn list_divisions(State(api): State<Api>) -> Json<Value> {
    let p = api.shared.projection.read();
    let divisions: Vec<Value> = p
        .org
        .divisions
        .iter()
        .map(|d| json!({"id": d.id, "name": d.name}))
        .collect();
    Json(json!({"divisions": divisions}))
}

async fn get_collaboration(
    State(api): State<Api>,
    q: Params,
) -> Result<Json<board::Collaboration>, ApiError> {
    let q = params(q)?;
    let (kind, at) = window_params(&q)?;
    let p = api.shared.projection.read();
    let window = Window::containing(kind, at, p.tz);
    Ok(Json(board::collaboration(&p, &window)))
}
