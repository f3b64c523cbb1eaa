//! Competitions between divisions over HTTP: create, list, read standings,
//! close early. Standings are computed from the log on read, so a rule
//! change or a void is reflected at once.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use serde_json::{json, Value};

use crate::domain::competition::view;
use crate::domain::event::Event;
use crate::domain::time::micros;
use crate::http::Api;
use crate::wire::body::json_body;
use crate::wire::error::ApiError;
use crate::wire::fields::{Fields, FAR_FUTURE_US, MAX_ID};
use crate::wire::rules::rules_member;
use crate::writer::Append;

pub fn routes() -> Router<Api> {
    Router::new()
        .route("/api/v1/competitions", post(create).get(list))
        .route("/api/v1/competitions/{id}", get(show))
        .route("/api/v1/competitions/{id}/close", post(close))
}

async fn create(
    State(api): State<Api>,
    who: crate::tokens::Identity,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = json_body(&headers, body)?;
    let now = micros(Utc::now());
    let mut f = Fields::new(&body, "")?;
    let id = f.id("id")?;
    let name = f.string("name", 200)?;
    // Competitions may be planned far ahead; only absurd dates are refused.
    let start = f.time("start", now + FAR_FUTURE_US)?;
    let end = f.time("end", now + FAR_FUTURE_US)?;
    let divisions = f.id_list("divisions")?;
    let per_seller = match f.take("scoring").and_then(Value::as_str) {
        None => false,
        Some("sum") => false,
        Some("per_seller") => true,
        Some(_) => {
            return Err(ApiError::field(
                "scoring",
                "invalid_value",
                "scoring must be sum or per_seller",
            ))
        }
    };
    let rules = rules_member(&mut f, "rules")?;
    let grace_hours = match f.take("grace_hours") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .and_then(|h| u32::try_from(h).ok())
                .ok_or_else(|| {
                    ApiError::field(
                        "grace_hours",
                        "invalid_value",
                        "grace_hours must be a whole number of hours, 0 or more",
                    )
                })?,
        ),
    };
    f.finish()?;
    if id.len() > MAX_ID {
        return Err(ApiError::field("id", "too_long", "id is too long"));
    }
    let rules = rules.map(|r| r.to_json().to_string());
    let event = match grace_hours {
        None => Event::CompetitionCreated {
            id: id.clone(),
            name,
            start,
            end,
            divisions,
            per_seller,
            rules,
        },
        Some(grace_hours) => Event::CompetitionCreatedWithGrace {
            id: id.clone(),
            name,
            start,
            end,
            divisions,
            per_seller,
            rules,
            grace_hours,
        },
    };
    let (appended, _) = api
        .writer
        .append(Append {
            id: None,
            occurred_at: None,
            actor: who.actor(),
            event,
        })
        .await?;
    let p = api.shared.projection.read();
    let mut v = p
        .competition(&id)
        .map(|c| view(&p, c, Utc::now()))
        .ok_or_else(|| ApiError::not_found(format!("there is no competition '{id}'")))?;
    v.seq = Some(appended.seq());
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

async fn list(State(api): State<Api>) -> Json<Value> {
    let p = api.shared.projection.read();
    let now = Utc::now();
    let all: Vec<_> = p.competitions.iter().map(|c| view(&p, c, now)).collect();
    Json(json!({"seq": p.seq(), "competitions": all}))
}

async fn show(
    State(api): State<Api>,
    Path(id): Path<String>,
) -> Result<Json<crate::domain::competition::CompetitionView>, ApiError> {
    let p = api.shared.projection.read();
    let c = p
        .competition(&id)
        .ok_or_else(|| ApiError::not_found(format!("there is no competition '{id}'")))?;
    let mut v = view(&p, c, Utc::now());
    v.seq = Some(p.seq());
    Ok(Json(v))
}

async fn close(
    State(api): State<Api>,
    who: crate::tokens::Identity,
    Path(id): Path<String>,
) -> Result<Json<crate::domain::competition::CompetitionView>, ApiError> {
    if api.shared.projection.read().competition(&id).is_none() {
        return Err(ApiError::not_found(format!(
            "there is no competition '{id}'"
        )));
    }
    let event = Event::CompetitionClosed { id: id.clone() };
    api.writer
        .append(Append {
            id: None,
            occurred_at: None,
            actor: who.actor(),
            event,
        })
        .await?;
    show(State(api), Path(id)).await
}
