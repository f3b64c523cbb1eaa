//! Closing the loop: `GET /api/v1/leads` (every lead with its feedback
//! state and SLA, filtered and paged) and `GET /api/v1/matrix` (who works
//! with whom, division × division). Both read "now" here and hand it to
//! the pure domain functions, since overdue depends on it.

use std::collections::HashMap;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;

use crate::domain::leads::{list_leads, LeadPage, LeadQuery, StatusFilter};
use crate::domain::matrix::{matrix, Matrix};
use crate::domain::rows::window_us;
use crate::domain::time::{micros, WindowKind};
use crate::http::query::{u64_param, window_params};
use crate::http::Api;
use crate::tokens::Identity;
use crate::wire::body::{params, Params};
use crate::wire::error::ApiError;

/// Largest page of leads.
const MAX_LIMIT: u64 = 1000;

pub fn routes() -> Router<Api> {
    Router::new()
        .route("/api/v1/leads", get(get_leads))
        .route("/api/v1/matrix", get(get_matrix))
}

fn bad(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::bad_request("invalid_query", message).with_field(field)
}

/// The window of a list: `window` and `at` as on boards, but all time
/// when no `window` is given (an overdue lead from last month still is).
fn window_of(q: &HashMap<String, String>, api: &Api) -> Result<(i64, i64), ApiError> {
    let (mut kind, at) = window_params(q)?;
    if !q.contains_key("window") {
        kind = WindowKind::All;
    }
    let window = api.shared.projection.read().window(kind, at);
    Ok(window_us(&window))
}

async fn get_leads(
    State(api): State<Api>,
    who: Identity,
    q: Params,
) -> Result<Json<LeadPage>, ApiError> {
    let q = params(q)?;
    let (from_us, to_us) = window_of(&q, &api)?;
    let status = match q.get("status") {
        None => None,
        Some(s) => Some(StatusFilter::parse(s).ok_or_else(|| {
            bad(
                "status",
                "status must be one of open, overdue, contacted, meeting_booked, won, lost, not_relevant",
            )
        })?),
    };
    let unassigned = match q.get("unassigned").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(bad("unassigned", "unassigned must be true or false")),
    };
    let limit = u64_param(&q, "limit", 100)?;
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(bad("limit", format!("limit must be from 1 to {MAX_LIMIT}")));
    }
    let after = u64_param(&q, "after", 0)?;
    let p = api.shared.projection.read();
    let division = match q.get("division") {
        None => None,
        Some(d) => Some(
            p.org
                .division(d)
                .ok_or_else(|| bad("division", format!("there is no division '{d}'")))?,
        ),
    };
    let seller = match q.get("seller").map(String::as_str) {
        None => None,
        Some("me") => {
            let me = who.seller.as_deref().ok_or_else(|| {
                bad(
                    "seller",
                    "seller=me needs a seller token; name the seller instead",
                )
            })?;
            Some(
                p.org
                    .seller(me)
                    .ok_or_else(|| bad("seller", format!("there is no seller '{me}'")))?,
            )
        }
        Some(s) => Some(
            p.org
                .seller(s)
                .ok_or_else(|| bad("seller", format!("there is no seller '{s}'")))?,
        ),
    };
    let query = LeadQuery {
        status,
        division,
        seller,
        unassigned,
        from_us,
        to_us,
        after,
        limit: limit as usize,
    };
    Ok(Json(list_leads(&p, &query, micros(Utc::now()))))
}

async fn get_matrix(State(api): State<Api>, q: Params) -> Result<Json<Matrix>, ApiError> {
    let q = params(q)?;
    let (kind, at) = window_params(&q)?;
    let p = api.shared.projection.read();
    let (from_us, to_us) = window_us(&p.window(kind, at));
    Ok(Json(matrix(&p, from_us, to_us, micros(Utc::now()))))
}
