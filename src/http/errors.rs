//! Axum's own refusals in the API's one error shape.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::wire::error::ApiError;

/// Wraps every 4xx under `/api/` that is not already JSON into the error
/// shape above. Axum's own rejections (a path segment that is not UTF-8, a
/// websocket request without `Upgrade`, ...) answer in plain text, and a
/// client should have one error shape to parse, whoever refused it.
pub async fn json_errors(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    let status = res.status();
    let is_json = res
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    if !api || !status.is_client_error() || is_json {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let text = axum::body::to_bytes(body, 16 * 1024)
        .await
        .unwrap_or_default();
    let mut message = String::from_utf8_lossy(&text).trim().to_string();
    if message.is_empty() {
        message = status.canonical_reason().unwrap_or("bad request").into();
    }
    let code = match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UPGRADE_REQUIRED => "upgrade_required",
        _ => "bad_request",
    };
    let shaped = ApiError::new(status, code, message).into_response();
    // Keep headers such as `Allow` or `Upgrade`; the body's own go.
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    parts.headers.extend(shaped.headers().clone());
    Response::from_parts(parts, shaped.into_body())
}
