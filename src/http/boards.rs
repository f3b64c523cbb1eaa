//! Reading the projection: boards, seller profiles, the organisation and
//! collaboration stats.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::domain::board::{self, BoardSpec};
use crate::http::query::{board_kind, limit_param, window_params, zeros_param};
use crate::http::{read_json, Api};
use crate::wire::body::{params, Params};
use crate::wire::error::ApiError;

pub fn routes() -> Router<Api> {
    Router::new()
        .route("/api/v1/boards/{board}", get(get_board))
        .route("/api/v1/sellers", get(list_sellers))
        .route("/api/v1/sellers/{id}", get(get_seller))
        .route("/api/v1/divisions", get(list_divisions))
        .route("/api/v1/collaboration", get(get_collaboration))
}

async fn get_board(
    State(api): State<Api>,
    Path(name): Path<String>,
    q: Params,
) -> Result<Response, ApiError> {
    let q = params(q)?;
    let (window, at) = window_params(&q)?;
    let spec = BoardSpec {
        kind: board_kind(&name, &q)?,
        window,
        limit: limit_param(&q)?,
        // Everyone still on the team is listed (CONTRACT.md); `limit`
        // bounds it.
        zeros: zeros_param(&q, true)?,
    };
    read_json(&api, move |p| {
        board::render(p, &spec, at).ok_or_else(|| ApiError::not_found(format!("no board '{name}'")))
    })
    .await
}

async fn get_seller(
    State(api): State<Api>,
    Path(id): Path<String>,
    q: Params,
) -> Result<Response, ApiError> {
    let q = params(q)?;
    let (kind, at) = window_params(&q)?;
    read_json(&api, move |p| {
        let s = p
            .org
            .seller(&id)
            .ok_or_else(|| ApiError::not_found(format!("there is no seller '{id}'")))?;
        let window = p.window(kind, at);
        let profile = board::profile(
            p,
            s,
            &window,
            crate::domain::time::micros(chrono::Utc::now()),
        );
        let mut v = serde_json::to_value(profile).unwrap_or_default();
        let trophies = crate::domain::achievements::trophies(
            p,
            s,
            crate::domain::time::micros(chrono::Utc::now()),
        );
        crate::wire::game::add_trophies(&mut v, &trophies);
        v["window"] = serde_json::to_value(window.view()).unwrap_or_default();
        v["seq"] = p.seq().into();
        Ok(v)
    })
    .await
}

async fn list_sellers(State(api): State<Api>) -> Result<Response, ApiError> {
    read_json(&api, |p| {
        let sellers: Vec<Value> = p
            .org
            .sellers
            .iter()
            .map(|s| {
                json!({"id": s.id, "name": s.name, "division": p.org.divisions[s.division as usize].id, "left": s.left})
            })
            .collect();
        Ok(json!({"sellers": sellers}))
    })
    .await
}

async fn list_divisions(State(api): State<Api>) -> Json<Value> {
    let p = api.shared.projection.read();
    let divisions: Vec<Value> = p
        .org
        .divisions
        .iter()
        .map(|d| json!({"id": d.id, "name": d.name}))
        .collect();
    Json(json!({"divisions": divisions}))
}

async fn get_collaboration(State(api): State<Api>, q: Params) -> Result<Response, ApiError> {
    let q = params(q)?;
    let (kind, at) = window_params(&q)?;
    read_json(&api, move |p| {
        let window = p.window(kind, at);
        Ok(board::collaboration(
            p,
            &window,
            crate::domain::time::micros(chrono::Utc::now()),
        ))
    })
    .await
}
