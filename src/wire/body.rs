//! Request bodies and query strings into JSON values, with the API's error
//! shape for every way they can be wrong. Shared by every route that takes
//! a body, in the HTTP ring and in the rings that contribute routes.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::Query;
use axum::http::{header, HeaderMap, StatusCode};
use serde_json::Value;

use crate::wire::error::ApiError;

/// Request bodies above this are refused with 413.
pub const MAX_BODY: usize = 64 * 1024;

/// The media type of a request (`application/json` of
/// `application/json; charset=utf-8`), lower-cased; `None` without one.
pub fn mime(headers: &HeaderMap) -> Option<String> {
    let ct = headers.get(header::CONTENT_TYPE)?;
    let ct = ct.to_str().unwrap_or("");
    Some(
        ct.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase(),
    )
}

/// Reads a JSON body, refusing other content types, oversize bodies and bad
/// JSON with the API's error shape.
///
/// The content type is required: a page on another site can send a
/// `text/plain` or form body to us without asking first (a "simple"
/// request), but not an `application/json` one, so insisting on it turns
/// away cross-site writes that the `Origin` check might not see.
pub fn json_body(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Value, ApiError> {
    if mime(headers).as_deref() != Some("application/json") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as application/json (with that Content-Type)",
        ));
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
