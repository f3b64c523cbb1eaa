//! Import and export over HTTP, for integrators and leaders whose server is
//! running (the CLI needs it stopped): `POST /api/v1/events/batch` appends
//! many events in one request, `GET /api/v1/export` streams the log.
//!
//! Both speak the formats of [`crate::transfer`], and a batch goes through
//! [`parse_record`] and the single writer like every other append, so an
//! item is accepted or refused exactly as `POST /api/v1/events` would.

use std::sync::atomic::Ordering;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::StreamExt;
use serde_json::{json, Value};

use crate::domain::time::micros;
use crate::http::Api;
use crate::wire::body::{mime, params, Params};
use crate::wire::csv::{csv_header, csv_row};
use crate::wire::error::ApiError;
use crate::wire::jsonl::jsonl_line;
use crate::wire::record::{parse_record, Format};
use crate::writer::{Append, AppendError, Appended};

/// A batch body may be this large (the single-event limit is 64 KiB).
pub const MAX_BATCH_BODY: usize = 8 * 1024 * 1024;
/// Most items in one batch; more is a 413 before anything is appended.
pub const MAX_BATCH_ITEMS: usize = 10_000;
/// Envelopes read from the log per chunk of an export stream.
const EXPORT_CHUNK: u64 = 1_000;

pub fn routes() -> Router<Api> {
    Router::new()
        // `read_batch` enforces MAX_BATCH_BODY while streaming.
        .route("/api/v1/events/batch", post(batch))
        .route("/api/v1/export", get(export))
}

/// The error object of the API's error shape, for one item of a batch.
pub fn error_json(e: &ApiError) -> Value {
    let mut v = json!({"code": e.code, "message": e.message});
    if let Some(f) = &e.field {
        v["field"] = f.clone().into();
    }
    if let Some((k, extra)) = &e.extra {
        v[*k] = extra.clone();
    }
    v
}

/// One item of a batch body: its index, its line for JSONL bodies, and
/// the record or why it is not one.
struct Item {
    line: Option<u64>,
    record: Result<Value, ApiError>,
}

/// How a batch body lists its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// `application/json`: one JSON array.
    Array,
    /// `application/x-ndjson` and its aliases: one event per line.
    Lines,
}

/// The batch's shape from its content type; anything else (or none) is a
/// 415, like every JSON endpoint (see `wire::body::json_body`).
fn batch_shape(headers: &HeaderMap) -> Result<Shape, ApiError> {
    match mime(headers).as_deref() {
        Some("application/json") => Ok(Shape::Array),
        Some(
            "application/x-ndjson"
            | "application/ndjson"
            | "application/jsonl"
            | "application/x-jsonlines"
            | "application/jsonlines",
        ) => Ok(Shape::Lines),
        _ => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send a JSON array as application/json or one event per line as application/x-ndjson",
        )),
    }
}

/// Counts a batch's items as its bytes arrive, so that an oversized batch
/// is refused at item 10,001 instead of after reading and parsing 8 MiB.
/// Lines: non-blank lines. Array: commas between top-level items (strings
/// and nesting tracked), plus one once an item has started.
#[derive(Debug, Default)]
struct ItemCounter {
    items: usize,
    /// Lines: the current line has content. Array: an item has started.
    open: bool,
    depth: u32,
    in_string: bool,
    escaped: bool,
}

impl ItemCounter {
    fn feed(&mut self, shape: Shape, bytes: &[u8]) {
        for &b in bytes {
            match shape {
                Shape::Lines if b == b'\n' => {
                    self.items += usize::from(self.open);
                    self.open = false;
                }
                Shape::Lines => self.open |= !b.is_ascii_whitespace(),
                Shape::Array => self.array_byte(b),
            }
        }
    }

    fn array_byte(&mut self, b: u8) {
        if self.in_string {
            match (self.escaped, b) {
                (true, _) => self.escaped = false,
                (false, b'\\') => self.escaped = true,
                (false, b'"') => self.in_string = false,
                _ => {}
            }
            return;
        }
        match b {
            b'"' => self.in_string = true,
            b'[' | b'{' => self.depth += 1,
            b']' | b'}' => self.depth = self.depth.saturating_sub(1),
            b',' if self.depth == 1 => {
                self.items += usize::from(self.open);
                self.open = false;
                return;
            }
            _ => {}
        }
        // Anything but whitespace inside the outer array starts an item
        // (the outer `[` itself takes depth from 0 to 1 and does not).
        if self.depth >= 1 && !b.is_ascii_whitespace() && !(b == b'[' && self.depth == 1) {
            self.open = true;
        }
    }

    /// Items seen so far, counting one still being read.
    fn count(&self) -> usize {
        self.items + usize::from(self.open)
    }
}

fn too_many_items() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_many_items",
        format!("a batch holds at most {MAX_BATCH_ITEMS} events; split it"),
    )
}

/// Reads a batch body up to [`MAX_BATCH_BODY`] bytes and
/// [`MAX_BATCH_ITEMS`] items, stopping at whichever comes first.
async fn read_batch(body: Body, shape: Shape) -> Result<Vec<u8>, ApiError> {
    let mut stream = body.into_data_stream();
    let mut buf = Vec::new();
    let mut counter = ItemCounter::default();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request("invalid_body", e.to_string()))?;
        if buf.len() + chunk.len() > MAX_BATCH_BODY {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("a batch is at most {MAX_BATCH_BODY} bytes; split it"),
            ));
        }
        counter.feed(shape, &chunk);
        if counter.count() > MAX_BATCH_ITEMS {
            return Err(too_many_items());
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

fn batch_items(shape: Shape, bytes: &[u8]) -> Result<Vec<Item>, ApiError> {
    let array = shape == Shape::Array;
    if array {
        let v: Value = serde_json::from_slice(bytes).map_err(|e| {
            ApiError::bad_request("invalid_json", format!("the body is not valid JSON: {e}"))
        })?;
        let Value::Array(items) = v else {
            return Err(ApiError::bad_request(
                "invalid_type",
                "the body must be a JSON array of events (or JSONL, one event per line)",
            ));
        };
        return Ok(items
            .into_iter()
            .map(|v| Item {
                line: None,
                record: Ok(v),
            })
            .collect());
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| ApiError::bad_request("invalid_body", "the body is not UTF-8"))?;
    Ok(text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| Item {
            line: Some(i as u64 + 1),
            record: serde_json::from_str(l)
                .map_err(|e| ApiError::bad_request("invalid_json", format!("not valid JSON: {e}"))),
        })
        .collect())
}

async fn batch(
    State(api): State<Api>,
    who: crate::tokens::Identity,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let shape = batch_shape(&headers)?;
    let bytes = read_batch(body, shape).await?;
    let items = batch_items(shape, &bytes)?;
    // The counter's guess is exact for well-formed bodies; this is the rule.
    if items.len() > MAX_BATCH_ITEMS {
        return Err(too_many_items());
    }
    let now = micros(chrono::Utc::now());
    // Queue every valid item before awaiting any, so they share flushes.
    let mut waiting = Vec::with_capacity(items.len());
    for item in items {
        let queued = match item.record.and_then(|v| parse_record(&v, now)) {
            Err(e) => {
                crate::metrics::event_rejected(e.code);
                Err(e)
            }
            Ok(req) => Ok(api
                .writer
                .submit(Append {
                    id: req.id,
                    occurred_at: req.occurred_at,
                    actor: who.actor(),
                    event: req.event,
                })
                .await),
        };
        waiting.push((item.line, queued));
    }
    let (mut appended, mut existing, mut rejected) = (0u64, 0u64, 0u64);
    let mut unavailable = false;
    let mut results = Vec::with_capacity(waiting.len());
    for (index, (line, queued)) in waiting.into_iter().enumerate() {
        let outcome = match queued {
            Err(e) => Err(e),
            Ok(rx) => match rx.await {
                Ok(Ok(done)) => Ok(done),
                Ok(Err(e)) => {
                    unavailable |= matches!(e, AppendError::Unavailable(_));
                    Err(ApiError::from(e))
                }
                Err(_) => {
                    unavailable = true;
                    Err(ApiError::from(AppendError::Unavailable(
                        "the writer has stopped".into(),
                    )))
                }
            },
        };
        let mut r = json!({"index": index});
        if let Some(line) = line {
            r["line"] = line.into();
        }
        match outcome {
            Ok((a, id)) => {
                let status = match a {
                    Appended::Created(_) => {
                        appended += 1;
                        201
                    }
                    Appended::Existing(_) => {
                        existing += 1;
                        200
                    }
                };
                r["status"] = status.into();
                r["seq"] = a.seq().into();
                r["id"] = id.into();
            }
            Err(e) => {
                rejected += 1;
                r["status"] = e.status.as_u16().into();
                r["error"] = error_json(&e);
            }
        }
        results.push(r);
    }
    let status = if unavailable {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(json!({
            "appended": appended,
            "existing": existing,
            "rejected": rejected,
            "results": results,
        })),
    )
        .into_response())
}

async fn export(State(api): State<Api>, q: Params) -> Result<Response, ApiError> {
    let q = params(q)?;
    let format = match q.get("format") {
        None => Format::Jsonl,
        Some(f) => Format::parse(f).ok_or_else(|| {
            ApiError::bad_request("invalid_query", "format must be jsonl or csv")
                .with_field("format")
        })?,
    };
    let after: u64 = match q.get("after") {
        None => 0,
        Some(v) => v.parse().map_err(|_| {
            ApiError::bad_request("invalid_query", "after must be a whole number")
                .with_field("after")
        })?,
    };
    // The export is a snapshot: what was committed when it started.
    let until = api.shared.committed.load(Ordering::Acquire);
    let log = api.shared.log.clone();
    let header = format == Format::Csv;
    let chunks = futures_util::stream::unfold((after, header), move |(pos, header)| {
        let log = log.clone();
        async move {
            if header {
                return Some((Ok(Bytes::from(csv_header())), (pos, false)));
            }
            if pos >= until {
                return None;
            }
            let end = pos.saturating_add(EXPORT_CHUNK).min(until);
            let read = tokio::task::spawn_blocking(move || {
                let mut buf = Vec::with_capacity(EXPORT_CHUNK as usize * 256);
                for env in log.read(pos, end) {
                    let env = env.map_err(|e| std::io::Error::other(e.to_string()))?;
                    buf.extend(match format {
                        Format::Jsonl => jsonl_line(&env),
                        Format::Csv => csv_row(&env),
                    });
                }
                Ok::<_, std::io::Error>(buf)
            })
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e.to_string())));
            match read {
                Ok(buf) => Some((Ok(Bytes::from(buf)), (end, false))),
                // Ends the body early: the client sees a cut transfer,
                // not a complete-looking file.
                Err(e) => {
                    tracing::error!(error = %e, "export stream failed");
                    Some((Err(e), (until, false)))
                }
            }
        }
    });
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"crossboard-export.{}\"",
                    format.extension()
                ),
            ),
        ],
        Body::from_stream(chunks),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(shape: Shape, chunks: &[&str]) -> usize {
        let mut c = ItemCounter::default();
        for chunk in chunks {
            c.feed(shape, chunk.as_bytes());
        }
        c.count()
    }

    #[test]
    fn items_are_counted_across_chunks() {
        assert_eq!(count(Shape::Lines, &["{\"a\":1}\n\n  \n{\"b\"", ":2}"]), 2);
        assert_eq!(count(Shape::Lines, &["{}\n{}\n"]), 2);
        assert_eq!(count(Shape::Array, &["[]"]), 0);
        assert_eq!(
            count(
                Shape::Array,
                &[" [ {\"a\": [1,2,", "3]}, \"x,]\\\"\" , 4 ]"]
            ),
            3
        );
        assert_eq!(count(Shape::Array, &["[[1,2],[3]]"]), 2);
    }
}
