//! Customer memory: `GET /api/v1/customers` (who has reached which customer,
//! the white space where cross-selling can happen) and
//! `GET /api/v1/customers/{key}` (everything that happened with one
//! customer, across divisions).
//!
//! Both read the customer index the fold keeps
//! ([`crate::domain::customers`]); the timeline then reads only its own
//! page of envelopes from the log, one seq at a time, after the projection
//! lock is released.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use crate::http::query::u64_param;
use crate::http::Api;
use crate::wire::body::{params, Params};
use crate::wire::envelope::envelope_json;
use crate::wire::error::ApiError;

const DEFAULT_LIMIT: u64 = 100;
const MAX_LIMIT: u64 = 1000;

pub fn routes() -> Router<Api> {
    Router::new()
        .route("/api/v1/customers", get(list_customers))
        .route("/api/v1/customers/{key}", get(get_customer))
}

fn limit(q: &std::collections::HashMap<String, String>) -> Result<usize, ApiError> {
    Ok(u64_param(q, "limit", DEFAULT_LIMIT)?.clamp(1, MAX_LIMIT) as usize)
}

/// `?q=` (part of the key, any case and spacing), `limit`, `after` (the
/// `next` of the previous page: a key).
async fn list_customers(State(api): State<Api>, q: Params) -> Result<Json<Value>, ApiError> {
    let q = params(q)?;
    let limit = limit(&q)?;
    let needle = q.get("q").map(String::as_str).unwrap_or("");
    let after = q.get("after").map(String::as_str);
    let p = api.shared.projection.read();
    let (hits, more) = p.customers.search(needle, after, limit);
    let mut next = Value::Null;
    let customers: Vec<Value> = hits
        .iter()
        .filter_map(|c| p.customers.get(*c))
        .map(|c| {
            let divisions: Map<String, Value> = p
                .org
                .divisions
                .iter()
                .enumerate()
                .map(|(ix, d)| (d.id.clone(), c.reach(ix as u32).as_str().into()))
                .collect();
            next = c.key.clone().into();
            json!({"key": c.key, "name": c.name, "divisions": divisions})
        })
        .collect();
    if !more {
        next = Value::Null;
    }
    Ok(Json(
        json!({"customers": customers, "next": next, "seq": p.seq()}),
    ))
}

/// The customer's events in business-time order, in the shape of
/// `GET /api/v1/events` (plus `voided: true` on voided ones), paged by
/// `after` (the `next` of the previous page: a seq) and `limit`.
async fn get_customer(
    State(api): State<Api>,
    Path(key): Path<String>,
    q: Params,
) -> Result<Json<Value>, ApiError> {
    let q = params(q)?;
    let limit = limit(&q)?;
    let after = u64_param(&q, "after", 0)?;
    let (key, name, page, voided, more, total) = {
        let p = api.shared.projection.read();
        let c = p
            .customers
            .find(&key)
            .and_then(|c| Some((c, p.customers.get(c)?)))
            .ok_or_else(|| ApiError::not_found(format!("there is no customer '{key}'")));
        let (ix, cust) = c?;
        let all = p.customers.timeline(ix, &p.facts);
        let start = match after {
            0 => 0,
            a => all.iter().position(|s| *s == a).map_or(0, |i| i + 1),
        };
        let page: Vec<u64> = all.iter().skip(start).take(limit).copied().collect();
        let more = start + page.len() < all.len();
        let voided: Vec<bool> = page
            .iter()
            .map(|s| p.seq_info(*s).is_some_and(|i| i.voided))
            .collect();
        (
            cust.key.clone(),
            cust.name.clone(),
            page,
            voided,
            more,
            all.len(),
        )
    };
    let mut timeline = Vec::with_capacity(page.len());
    for (seq, voided) in page.iter().zip(voided) {
        let env = api.shared.log.get(*seq).map_err(|e| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "storage", e.to_string())
        })?;
        if let Some(env) = env {
            let mut v = envelope_json(&env);
            if voided {
                v["voided"] = true.into();
            }
            timeline.push(v);
        }
    }
    let next = match (more, page.last()) {
        (true, Some(s)) => Value::from(*s),
        _ => Value::Null,
    };
    Ok(Json(json!({
        "key": key,
        "name": name,
        "timeline": timeline,
        "total": total,
        "next": next,
    })))
}
