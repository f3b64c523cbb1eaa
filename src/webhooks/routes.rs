//! HTTP for leaders: register, list and remove webhooks. The router is
//! generic over the server's state so the HTTP ring can merge it without
//! this ring knowing that state's type; it only needs the [`Shared`] core.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRef, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use chrono::Utc;
use serde_json::{json, Value};

use crate::domain::time::format_us;
use crate::webhooks::address::literal_reason;
use crate::webhooks::{Registration, Webhooks, DEFAULT_KINDS, KINDS, MAX_HOOKS, MAX_URL};
use crate::wire::body::json_body;
use crate::wire::error::ApiError;
use crate::wire::fields::Fields;
use crate::writer::Shared;

pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Arc<Shared>: FromRef<S>,
{
    Router::new()
        .route("/api/v1/webhooks", get(list).post(create))
        .route("/api/v1/webhooks/{id}", delete(remove))
}

fn hooks_of(shared: &Arc<Shared>) -> Result<Arc<Webhooks>, ApiError> {
    Webhooks::for_shared(shared).map_err(|e| {
        tracing::error!(error = %e, "webhooks unavailable");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "webhooks are unavailable; see the server log",
        )
    })
}

fn parse_url(v: Option<&Value>, allow_private: bool) -> Result<String, ApiError> {
    let s = match v {
        None | Some(Value::Null) => {
            return Err(ApiError::field("url", "missing_field", "url is required"))
        }
        Some(Value::String(s)) => s.trim().to_string(),
        Some(_) => {
            return Err(ApiError::field(
                "url",
                "invalid_type",
                "url must be a string",
            ))
        }
    };
    if s.len() > MAX_URL {
        return Err(ApiError::field(
            "url",
            "too_long",
            format!("url is longer than {MAX_URL} characters"),
        ));
    }
    let u = reqwest::Url::parse(&s)
        .map_err(|e| ApiError::field("url", "invalid_value", format!("url is not a URL: {e}")))?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none_or(str::is_empty) {
        return Err(ApiError::field(
            "url",
            "invalid_value",
            "url must be an http:// or https:// URL with a host",
        ));
    }
    if let Some(reason) = literal_reason(&u).filter(|_| !allow_private) {
        return Err(ApiError::field(
            "url",
            "private_address",
            format!(
                "url points at {reason}; webhooks may only reach public addresses \
                 unless the server runs with --webhook-allow-private"
            ),
        ));
    }
    Ok(s)
}

fn parse_kinds(v: Option<&Value>) -> Result<Vec<String>, ApiError> {
    let arr = match v {
        None | Some(Value::Null) => {
            return Ok(DEFAULT_KINDS.iter().map(|k| k.to_string()).collect())
        }
        Some(Value::Array(a)) => a,
        Some(_) => {
            return Err(ApiError::field(
                "kinds",
                "invalid_type",
                "kinds must be a list of highlight kinds",
            ))
        }
    };
    if arr.is_empty() {
        return Err(ApiError::field(
            "kinds",
            "invalid_value",
            format!("kinds must name at least one of {}", KINDS.join(", ")),
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for (i, k) in arr.iter().enumerate() {
        match k.as_str().filter(|k| KINDS.contains(k)) {
            Some(k) => {
                if !out.iter().any(|o| o == k) {
                    out.push(k.to_string());
                }
            }
            None => {
                return Err(ApiError::field(
                    format!("kinds[{i}]"),
                    "invalid_value",
                    format!("kinds[{i}] must be one of {}", KINDS.join(", ")),
                ))
            }
        }
    }
    Ok(out)
}

/// The optional division filter: the id of a division that exists now.
fn parse_division(v: Option<&Value>, shared: &Shared) -> Result<Option<String>, ApiError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(id)) => {
            if shared.projection.read().org.division(id).is_none() {
                return Err(ApiError::field(
                    "division",
                    "unknown_division",
                    format!("there is no division '{id}'"),
                ));
            }
            Ok(Some(id.clone()))
        }
        Some(_) => Err(ApiError::field(
            "division",
            "invalid_type",
            "division must be a division id (a string)",
        )),
    }
}

async fn create(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = json_body(&headers, body)?;
    let hooks = hooks_of(&shared)?;
    let mut f = Fields::new(&body, "")?;
    let url = parse_url(f.take("url"), hooks.allow_private)?;
    let kinds = parse_kinds(f.take("kinds"))?;
    let division = parse_division(f.take("division"), &shared)?;
    f.finish()?;
    let reg = Registration {
        id: uuid::Uuid::new_v4().to_string(),
        url,
        kinds,
        division,
        created_at: format_us(crate::domain::time::micros(Utc::now())),
    };
    let view = {
        let mut all = hooks.hooks.lock();
        if all.len() >= MAX_HOOKS {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "too_many_webhooks",
                format!("at most {MAX_HOOKS} webhooks; delete one first"),
            ));
        }
        let hook = hooks.spawn_worker(reg);
        let view = Webhooks::view(&hook);
        all.push(hook);
        view
    };
    if let Err(e) = hooks.save().await {
        let id = view["id"].as_str().unwrap_or_default().to_string();
        hooks.hooks.lock().retain(|h| h.reg.id != id);
        return Err(e);
    }
    tracing::info!(webhook = %view["id"], "webhook registered");
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

async fn list(State(shared): State<Arc<Shared>>) -> Result<Json<Value>, ApiError> {
    let hooks = hooks_of(&shared)?;
    let all: Vec<Value> = hooks.hooks.lock().iter().map(Webhooks::view).collect();
    Ok(Json(
        json!({"kinds": KINDS, "default_kinds": DEFAULT_KINDS, "webhooks": all}),
    ))
}

async fn remove(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let hooks = hooks_of(&shared)?;
    let removed = {
        let mut all = hooks.hooks.lock();
        let before = all.len();
        all.retain(|h| {
            let keep = h.reg.id != id;
            if !keep {
                h.worker.abort();
            }
            keep
        });
        before != all.len()
    };
    if !removed {
        return Err(ApiError::not_found(format!("there is no webhook '{id}'")));
    }
    hooks.save().await?;
    tracing::info!(webhook = %id, "webhook removed");
    Ok(StatusCode::NO_CONTENT.into_response())
}
