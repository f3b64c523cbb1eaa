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
pub mod customers;
pub mod errors;
pub mod events;
pub mod forum;
pub mod game;
pub mod guard;
pub mod leads;
pub mod listen;
pub mod live;
pub mod metrics;
pub mod openapi;
pub mod people;
pub mod practice;
pub mod privacy;
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
    /// What wall screens may learn about people (`--wall-privacy`).
    pub privacy: privacy::WallPrivacy,
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
        .merge(leads::routes())
        .merge(forum::routes())
        .merge(practice::routes())
        .merge(rules::routes())
        .merge(competitions::routes())
        .merge(game::routes())
        .merge(customers::routes())
        .merge(people::routes())
        .merge(transfer::routes())
        .merge(metrics::routes())
        .merge(extra)
        .merge(openapi::routes())
        .merge(live::routes())
        .merge(web::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // Inside auth: it needs the caller's identity.
        .layer(axum::middleware::from_fn_with_state(
            api.clone(),
            privacy::scrub_boards,
        ))
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

/// Answers a read of the projection from tokio's blocking pool, as JSON.
///
/// Why: a heavy read (a year of collaboration figures for 10,000 sellers)
/// computed on an async worker occupies one of the few threads that also
/// answer appends and `/healthz`; on a 2-core box two such reads stalled
/// the whole server. On the blocking pool they only take their own thread.
/// The read lock is held while `f` computes and released before the
/// (possibly large) body is serialized, so the writer waits for the
/// computation only.
pub async fn read_json<T, F>(api: &Api, f: F) -> Result<Response, ApiError>
where
    T: serde::Serialize + Send + 'static,
    F: FnOnce(&crate::domain::Projection) -> Result<T, ApiError> + Send + 'static,
{
    let shared = api.shared.clone();
    let work = tokio::task::spawn_blocking(move || {
        let value = {
            let p = shared.projection.read();
            f(&p)?
        };
        serde_json::to_vec(&value).map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "serialization",
                e.to_string(),
            )
        })
    });
    let body = work.await.map_err(|_| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the read could not be completed",
        )
    })??;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response())
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
