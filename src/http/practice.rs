//! Reads of the practice of cross-selling: who has learned whose business
//! (`GET /api/v1/knowledge`) and the best lead givers by quality
//! (`GET /api/v1/boards/quality`, a static route that takes precedence
//! over `/api/v1/boards/{board}`).

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};

use crate::domain::knowledge::{knowledge, KnowledgeView};
use crate::domain::quality::{quality_board, QualityBoard};
use crate::domain::rows::window_us;
use crate::domain::time::micros;
use crate::http::query::{limit_param, u64_param, window_params};
use crate::http::Api;
use crate::wire::body::{params, Params};
use crate::wire::error::ApiError;

pub fn routes() -> Router<Api> {
    Router::new()
        .route("/api/v1/knowledge", get(get_knowledge))
        .route("/api/v1/boards/quality", get(get_quality))
}

async fn get_knowledge(State(api): State<Api>, q: Params) -> Result<Json<KnowledgeView>, ApiError> {
    let q = params(q)?;
    let (kind, at) = window_params(&q)?;
    let p = api.shared.projection.read();
    let window = p.window(kind, at);
    Ok(Json(knowledge(&p, &window)))
}

/// `min_leads` defaults to `quality_min_leads` of the rules in force at the
/// window's end (or now, for the current window).
async fn get_quality(State(api): State<Api>, q: Params) -> Result<Json<QualityBoard>, ApiError> {
    let q = params(q)?;
    let (kind, at) = window_params(&q)?;
    let limit = limit_param(&q)?;
    let p = api.shared.projection.read();
    let window = p.window(kind, at);
    let (_, end) = window_us(&window);
    let when = end.saturating_sub(1).min(micros(chrono::Utc::now()));
    let default = p.score.timeline.at(when).quality_min_leads.max(1) as u64;
    let min_leads = u64_param(&q, "min_leads", default)?;
    Ok(Json(quality_board(&p, &window, min_leads, limit)))
}
