//! `GET /metrics` and the middleware that counts and logs every response.

use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use crate::http::Api;

/// Counts every response by status and logs it without query, headers or
/// body (where tokens and personal data live): at debug level normally, at
/// warn for a 5xx, which should never happen.
pub async fn observe_requests(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let started = std::time::Instant::now();
    let res = next.run(req).await;
    let status = res.status();
    crate::metrics::http_response(status.as_str());
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    if status.is_server_error() {
        tracing::warn!(%method, %path, status = status.as_u16(), ms, "request failed");
    } else {
        tracing::debug!(%method, %path, status = status.as_u16(), ms, "request");
    }
    res
}

pub fn routes() -> Router<Api> {
    Router::new().route("/metrics", get(metrics))
}

async fn metrics(State(api): State<Api>) -> impl IntoResponse {
    let shared = api.shared.clone();
    let text = tokio::task::spawn_blocking(move || {
        crate::metrics::render(
            shared.committed.load(Ordering::Acquire),
            shared.log.size_on_disk(),
        )
    })
    .await
    .unwrap_or_default();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
}
