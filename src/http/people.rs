//! People and access over HTTP: who a token is (`GET /api/v1/me`), the
//! leader's token admin (`/api/v1/tokens`) and the one-time sign-in links
//! those tokens are handed out as (`POST /api/v1/signin`).
//!
//! Why over HTTP at all: a sales leader sets up sellers and hands them
//! access from `/admin` while the server runs; stopping the server to run
//! `crossboard token` is not something they can do. Every change here goes
//! to the token store first (the source of truth on disk) and then
//! reloads the server's table, so it counts from the next request on.
//!
//! Secrets never travel in a URL: a sign-in link carries a one-time code in
//! the fragment (`/log#signin=…`), which browsers never send to a server
//! (so no access log or proxy sees it); the page posts the code here once
//! and receives the secret in a response body marked `no-store`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::http::Api;
use crate::tokens::{self, Identity, RedeemError, RevokeError, Role, TokenRecord};
use crate::wire::body::json_body;
use crate::wire::error::ApiError;
use crate::wire::fields::Fields;

pub fn routes() -> Router<Api> {
    Router::new()
        .route("/api/v1/me", get(me))
        .route("/api/v1/tokens", get(list).post(create))
        .route("/api/v1/tokens/{id}", delete(revoke))
        .route("/api/v1/signin", post(signin))
}

/// Longest label a leader may give a token ("Ida's phone", "TV in the lobby").
const MAX_LABEL: usize = 100;

/// The page a sign-in link opens for each role: where that person works.
fn landing(role: Role) -> &'static str {
    match role {
        Role::Seller => "/log",
        Role::Screen => "/wall",
        Role::Leader => "/admin",
    }
}

fn seller_view(api: &Api, id: &str) -> Value {
    let p = api.shared.projection.read();
    let found = p
        .org
        .seller(id)
        .and_then(|ix| p.org.sellers.get(ix as usize));
    match found {
        Some(s) => {
            let d = p.org.divisions.get(s.division as usize);
            json!({"id": s.id, "name": s.name, "division": d.map(|d| d.id.as_str()),
                   "division_name": d.map(|d| d.name.as_str()), "left": s.left})
        }
        // A token may name a seller the log does not know yet (imported later).
        None => {
            json!({"id": id, "name": id, "division": null, "division_name": null, "left": false})
        }
    }
}

/// `GET /api/v1/me`: the caller's role and, for a seller token, the seller.
/// Pages ask this instead of guessing from what the user picks, so a
/// seller never chooses a name and a leader gets a "log for…" picker.
async fn me(State(api): State<Api>, who: Identity) -> Json<Value> {
    let mut out = match (who.role, &who.seller) {
        (Some(Role::Seller), Some(s)) => json!({"role": "seller", "seller": seller_view(&api, s)}),
        (Some(role), _) => json!({"role": role.as_str()}),
        // No token at all while tokens exist: only `--public-boards` lets
        // such a request through, and it may read what a screen reads.
        (None, _) if api.auth.enabled() => json!({"role": "screen", "anonymous": true}),
        // No token exists: the API is open and every caller may do everything.
        (None, _) => json!({"role": "leader", "open": true}),
    };
    if !who.token_id.is_empty() {
        out["token"] = json!({ "id": who.token_id });
    }
    // The wall leaves out what the server will not send it anyway.
    out["wall_privacy"] = api.privacy.for_caller(&who).as_str().into();
    Json(out)
}

fn store_error(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "token store");
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "storage",
        "the token store cannot be written right now",
    )
}

/// Runs a token-store call off the async workers (each write is flushed)
/// and reloads the server's table afterwards, whatever the outcome: a
/// failed call may still have changed the disk, and the table must follow it.
async fn with_store<T, F>(api: &Api, f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&crate::store::Log) -> Result<T, ApiError> + Send + 'static,
{
    let shared = api.shared.clone();
    let auth = api.auth.clone();
    tokio::task::spawn_blocking(move || {
        let out = f(&shared.log);
        auth.reload(&shared.log).map_err(store_error)?;
        out
    })
    .await
    .map_err(store_error)?
}

fn no_store(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// What a listing shows of a token: never a secret or a code hash.
fn record_json(r: &TokenRecord) -> Value {
    json!({
        "id": r.id, "role": r.role.as_str(), "seller": r.seller, "label": r.label,
        "created_at": r.created_at,
        "status": if r.signin.is_some() { "pending" } else { "active" },
        "signin_expires_at": r.signin.as_ref().map(|s| s.expires_at.as_str()),
    })
}

/// `GET /api/v1/tokens` (leader): every token, oldest first.
async fn list(State(api): State<Api>) -> Result<Response, ApiError> {
    let records = with_store(&api, |log| tokens::list(log).map_err(store_error)).await?;
    let rows: Vec<Value> = records.iter().map(record_json).collect();
    Ok(no_store(Json(json!({ "tokens": rows })).into_response()))
}

/// The address the sign-in link should start with: the page's own origin
/// (a browser sends it with every POST, and the guard has already refused
/// a foreign one), else the Host the request named.
fn base_url(headers: &HeaderMap) -> String {
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|o| o.starts_with("http://") || o.starts_with("https://"));
    if let Some(o) = origin {
        return o.trim_end_matches('/').to_string();
    }
    headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()))
        .map(|h| format!("http://{h}"))
        .unwrap_or_default()
}

/// The QR code of a link as rows of `0`/`1` (dark) modules, for a page to
/// draw without any markup from the server, and as a standalone SVG for
/// integrators who print badges.
fn qr(url: &str) -> Result<Value, ApiError> {
    let code = qrcode::QrCode::new(url.as_bytes()).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "qr_code",
            format!("cannot encode the sign-in link as a QR code: {e}"),
        )
    })?;
    let width = code.width();
    let colors = code.to_colors();
    let rows: Vec<String> = colors
        .chunks(width.max(1))
        .map(|row| {
            row.iter()
                .map(|c| match c {
                    qrcode::Color::Dark => '1',
                    qrcode::Color::Light => '0',
                })
                .collect()
        })
        .collect();
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(240, 240)
        .build();
    Ok(json!({"size": width, "modules": rows, "svg": svg}))
}

/// `POST /api/v1/tokens` (leader): `{"role", "seller"?, "label"?}` → 201
/// with the token and its one-time sign-in link (and that link's QR code).
async fn create(
    State(api): State<Api>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = json_body(&headers, body)?;
    let mut f = Fields::new(&body, "")?;
    let role = f.one_of(
        "role",
        |s| match s {
            "seller" => Some(Role::Seller),
            "leader" => Some(Role::Leader),
            "screen" => Some(Role::Screen),
            _ => None,
        },
        "seller, leader, screen",
    )?;
    let seller = f.opt_id("seller")?;
    let label = f.opt_string("label", MAX_LABEL)?;
    f.finish()?;
    match (role, &seller) {
        (Role::Seller, None) => {
            return Err(ApiError::field(
                "seller",
                "missing_field",
                "a seller token needs the seller it acts as",
            ))
        }
        (Role::Leader | Role::Screen, Some(_)) => {
            return Err(ApiError::field(
                "seller",
                "invalid_value",
                "only seller tokens act as a seller",
            ))
        }
        _ => {}
    }
    if let Some(s) = &seller {
        let p = api.shared.projection.read();
        let known = p
            .org
            .seller(s)
            .and_then(|ix| p.org.sellers.get(ix as usize));
        match known {
            None => {
                return Err(ApiError::field(
                    "seller",
                    "unknown_seller",
                    format!("there is no seller '{s}'"),
                ))
            }
            Some(x) if x.left => {
                return Err(ApiError::field(
                    "seller",
                    "seller_left",
                    format!("seller '{s}' has left"),
                ))
            }
            Some(_) => {}
        }
    }
    let (code, record) = with_store(&api, move |log| {
        tokens::create_signin(log, role, seller, label).map_err(store_error)
    })
    .await?;
    tracing::info!(token = %record.id, role = role.as_str(), "token created as a sign-in link");
    let path = format!("{}#signin={code}", landing(role));
    let url = format!("{}{path}", base_url(&headers));
    let out = json!({
        "token": record_json(&record),
        "signin": {"code": code, "path": path, "url": url,
                   "expires_at": record.signin.as_ref().map(|s| s.expires_at.as_str())},
        "qr": qr(&url)?,
    });
    Ok(no_store((StatusCode::CREATED, Json(out)).into_response()))
}

/// `DELETE /api/v1/tokens/{id}` (leader): refused from the next request on.
async fn revoke(State(api): State<Api>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let record = with_store(&api, move |log| {
        tokens::revoke(log, &id, false).map_err(|e| match e {
            RevokeError::Unknown(_) => ApiError::not_found(e.to_string()).with_field("id"),
            RevokeError::LastLeader { .. } => {
                ApiError::new(StatusCode::CONFLICT, "last_leader", e.to_string()).with_field("id")
            }
            RevokeError::Store(e) => store_error(e),
        })
    })
    .await?;
    tracing::info!(token = %record.id, role = record.role.as_str(), "token revoked");
    Ok(Json(json!({ "revoked": record_json(&record) })).into_response())
}

/// `POST /api/v1/signin` (public; the code is the credential): `{"code"}`
/// → the token's secret, once. The page stores it and forgets the code.
async fn signin(
    State(api): State<Api>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = json_body(&headers, body)?;
    let mut f = Fields::new(&body, "")?;
    let code = f.string("code", 200)?;
    f.finish()?;
    let (secret, record) = with_store(&api, move |log| {
        tokens::redeem(log, &code).map_err(|e| match e {
            RedeemError::Unknown => ApiError::not_found(e.to_string()).with_field("code"),
            RedeemError::Expired(_) => {
                ApiError::new(StatusCode::GONE, "signin_expired", e.to_string()).with_field("code")
            }
            RedeemError::Store(e) => store_error(e),
            RedeemError::Encode(e) => store_error(e),
        })
    })
    .await?;
    tracing::info!(token = %record.id, "sign-in link redeemed");
    let mut out = json!({"token": secret, "role": record.role.as_str(), "id": record.id,
                         "page": landing(record.role)});
    if let Some(s) = &record.seller {
        out["seller"] = seller_view(&api, s);
    }
    Ok(no_store(Json(out).into_response()))
}
