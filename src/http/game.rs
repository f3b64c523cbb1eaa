//! The game's reads: challenges, targets and the hall of fame. Writes are
//! events (`kudos_given`, `challenge_issued`, ...) through
//! `POST /api/v1/events`; trophy cases ride on `GET /api/v1/sellers/{id}`.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use crate::domain::challenges::view;
use crate::domain::seasons::{ended, lifetime_best};
use crate::domain::tally::{progress, Scope};
use crate::domain::time::micros;
use crate::http::{read_json, Api};
use crate::wire::body::{params, Params};
use crate::wire::error::ApiError;
use crate::wire::game::{challenge_json, season_json, target_json};

pub fn routes() -> Router<Api> {
    Router::new()
        .route("/api/v1/challenges", get(list_challenges))
        .route("/api/v1/challenges/{id}", get(show_challenge))
        .route("/api/v1/targets", get(list_targets))
        .route("/api/v1/hall-of-fame", get(hall_of_fame))
}

fn now_us() -> i64 {
    micros(chrono::Utc::now())
}

async fn list_challenges(State(api): State<Api>, q: Params) -> Result<Response, ApiError> {
    let q = params(q)?;
    let seller = q.get("seller").cloned();
    read_json(&api, move |p| {
        let me = match &seller {
            None => None,
            Some(id) => Some(p.org.seller(id).ok_or_else(|| {
                ApiError::field(
                    "seller",
                    "unknown_seller",
                    format!("there is no seller '{id}'"),
                )
            })?),
        };
        let now = now_us();
        let list: Vec<Value> = p
            .game
            .challenges
            .iter()
            .rev()
            .filter(|c| me.is_none_or(|s| c.involves(&p.org, s)))
            .take(200)
            .map(|c| challenge_json(&p.org, &view(p, c, now)))
            .collect();
        Ok(json!({"challenges": list}))
    })
    .await
}

async fn show_challenge(
    State(api): State<Api>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    read_json(&api, move |p| {
        let c = p
            .game
            .challenge(&id)
            .ok_or_else(|| ApiError::not_found(format!("there is no challenge '{id}'")))?;
        Ok(challenge_json(&p.org, &view(p, c, now_us())))
    })
    .await
}

async fn list_targets(State(api): State<Api>) -> Result<Response, ApiError> {
    read_json(&api, move |p| {
        let targets: Vec<Value> = p
            .game
            .targets
            .iter()
            .map(|t| {
                let scope = t.division.map_or(Scope::Org, Scope::Division);
                let pr = progress(p, scope, t.metric, (t.start_day, t.end_day), Some(t.value));
                target_json(&p.org, t, &pr)
            })
            .collect();
        Ok(json!({"targets": targets}))
    })
    .await
}

async fn hall_of_fame(State(api): State<Api>) -> Result<Response, ApiError> {
    read_json(&api, move |p| {
        let seasons = ended(p, now_us());
        let best: Vec<Value> = lifetime_best(&seasons)
            .into_iter()
            .take(100)
            .map(|(s, pts, i)| {
                let seller = &p.org.sellers[s as usize];
                let season = &seasons[i];
                json!({
                    "id": seller.id,
                    "name": seller.name,
                    "points": pts,
                    "season": {
                        "start": crate::domain::time::format_us(season.start_us),
                        "end": crate::domain::time::format_us(season.end_us),
                    },
                })
            })
            .collect();
        let list: Vec<Value> = seasons
            .iter()
            .rev()
            .map(|s| season_json(&p.org, s))
            .collect();
        Ok(json!({
            "season": p.rules().season,
            "seasons": list,
            "lifetime_best": best,
        }))
    })
    .await
}
