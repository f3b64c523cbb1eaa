//! The HTTP ring: axum routes that turn requests into writer commands and
//! projection reads. Handlers stay thin; the rules live in `domain`, the
//! JSON shapes in `wire`.
//!
//! One file per resource (events, boards, rules, competitions, transfer,
//! web pages, metrics, openapi), the access table and its middleware in
//! [`auth`], and the live socket in [`live`]. The ring may import `wire`,
//! `tokens`, `writer`, `store`, `domain` and `metrics`; never `transfer`,
//! `webhooks` or `demo`: routes another ring owns are handed in by
//! `server.rs` ([`router`]'s `extra`).

pub mod auth;
pub mod boards;
pub mod competitions;
pub mod errors;
pub mod events;
pub mod guard;
pub mod listen;
pub mod live;
pub mod metrics;
pub mod openapi;
pub mod practice;
pub mod query;
pub mod rules;
pub mod transfer;
pub mod web;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, FromRef, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::tokens::Auth;
use crate::wire::body::MAX_BODY;
use crate::wire::error::ApiError;
use crate::writer::{Shared, Writer};

/// What every handler can reach.
#[derive(Clone)]
pub struct Api {
    pub shared: Arc<Shared>,
    pub writer: Writer,
    /// The tokens this server accepts; see `crate::tokens`.
    pub auth: Arc<Auth>,
    /// Host/Origin checks, rate limits and the live socket cap.
    pub guard: Arc<guard::Guard>,
}

/// Routes of other rings (webhooks) reach the core through this, without
/// knowing [`Api`].
impl FromRef<Api> for Arc<Shared> {
    fn from_ref(api: &Api) -> Arc<Shared> {
        api.shared.clone()
    }
}

/// The whole HTTP surface. `extra` carries routes that other rings own
/// (merged before the middleware, so the access table and the error shape
/// apply to them like to every other route).
pub fn router(api: Api, extra: Router<Api>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .merge(events::routes())
        .merge(boards::routes())
        .merge(practice::routes())
        .merge(rules::routes())
        .merge(competitions::routes())
        .merge(transfer::routes())
        .merge(metrics::routes())
        .merge(extra)
        .merge(openapi::routes())
        .merge(live::routes())
        .merge(web::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // After routing, so that it sees the matched route's pattern.
        .layer(axum::middleware::from_fn_with_state(
            api.clone(),
            auth::require,
        ))
        // Before auth: a rebound or cross-site request learns nothing.
        .layer(axum::middleware::from_fn_with_state(
            api.clone(),
            guard::browser_safe,
        ))
        .layer(axum::middleware::from_fn(errors::json_errors))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn(metrics::observe_requests))
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
    if api.shared.failed.load(Ordering::Acquire) || !api.writer.is_alive() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "failed", "seq": seq})),
        )
            .into_response();
    }
    Json(json!({"status": "ok", "seq": seq})).into_response()
}
