//! Appending one event and reading the log: `POST /api/v1/events` and
//! `GET /api/v1/events`.

use std::sync::atomic::Ordering;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use chrono::Utc;
use serde_json::{json, Value};

use crate::domain::event::Event;
use crate::domain::time::micros;
use crate::http::auth::{may_append, may_report_delivery};
use crate::http::query::u64_param;
use crate::http::Api;
use crate::tokens::Identity;
use crate::wire::body::{json_body, params, Params};
use crate::wire::envelope::envelope_json;
use crate::wire::error::ApiError;
use crate::wire::event::parse_event_request;
use crate::writer::{Append, Appended};

pub fn routes() -> Router<Api> {
    Router::new().route("/api/v1/events", post(post_event).get(list_events))
}

fn now_us() -> i64 {
    micros(Utc::now())
}

async fn post_event(
    State(api): State<Api>,
    who: Identity,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = json_body(&headers, body)?;
    let req = parse_event_request(&body, now_us())
        .inspect_err(|e| crate::metrics::event_rejected(e.code))?;
    may_append(&who, &req.event)?;
    if let Event::OrderDelivered { order, .. } = &req.event {
        let seller = {
            let p = api.shared.projection.read();
            p.org
                .order(order)
                .and_then(|o| p.org.orders.get(o as usize))
                .and_then(|o| p.org.sellers.get(o.seller as usize))
                .map(|s| s.id.clone())
        };
        may_report_delivery(&who, seller.as_deref())?;
    }
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
            events.push(envelope_json(&env));
        }
    }
    Ok(Json(json!({"events": events, "next": next})))
}
