//! Who may do what, checked in one place: the access table of the HTTP
//! surface and the middleware that enforces it.
//!
//! Cross-selling runs on trust, so the rules are few and strict:
//!
//! * a **screen** token reads boards and the live socket, nothing else;
//! * a **seller** token reads, and appends activities only as its own seller
//!   (`from`, `by`, `seller`, `host` must be that seller);
//! * a **leader** token does everything: rules, competitions, organisation
//!   events, voids, import and export, and the tokens themselves.
//!
//! Anyone may ask who their token is (`GET /api/v1/me`) and redeem a
//! one-time sign-in code (`POST /api/v1/signin`): the code is the
//! credential there, and it works once.
//!
//! Every route's access is declared in [`access`], one table for the whole
//! API, and [`require`] enforces it as a middleware before any handler runs.
//! Routes nobody declared are leader-only: a new endpoint is closed until
//! someone decides otherwise. The envelope's `actor` is the token's identity
//! ([`Identity::actor`]), never what a body claims. The tokens themselves
//! live in [`crate::tokens`].

use std::convert::Infallible;

use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::domain::event::Event;
use crate::http::Api;
use crate::tokens::{Identity, Role};
use crate::wire::error::ApiError;

impl<S: Send + Sync> FromRequestParts<S> for Identity {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Identity>()
            .cloned()
            .unwrap_or_else(Identity::open))
    }
}

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: health, metrics, the pages and their assets.
    Public,
    /// Boards and the live socket: any token, or none with `--public-boards`.
    Board,
    /// The rest of the read API: seller or leader.
    Read,
    /// `POST /api/v1/events`: seller (as itself) or leader.
    Append,
    /// Everything else.
    Leader,
}

/// The access table of the whole HTTP surface, by method and route pattern.
pub fn access(method: &Method, route: &str) -> Access {
    let read = method == Method::GET || method == Method::HEAD;
    // Pages, assets, health, metrics and the API's own description.
    if read && (!route.starts_with("/api/") || route == "/api/v1/openapi.json") {
        return Access::Public;
    }
    match (read, route) {
        (
            true,
            "/api/v1/boards/{board}"
            | "/api/v1/live"
            | "/api/v1/competitions"
            | "/api/v1/competitions/{id}"
            | "/api/v1/collaboration"
            | "/api/v1/matrix"
            | "/api/v1/forum"
            | "/api/v1/boards/quality"
            | "/api/v1/knowledge"
            | "/api/v1/challenges"
            | "/api/v1/challenges/{id}"
            | "/api/v1/targets"
            | "/api/v1/hall-of-fame"
            | "/api/v1/me",
        ) => Access::Board,
        (
            true,
            "/api/v1/events"
            | "/api/v1/sellers"
            | "/api/v1/sellers/{id}"
            | "/api/v1/divisions"
            | "/api/v1/rules"
            | "/api/v1/customers"
            | "/api/v1/customers/{key}"
            | "/api/v1/leads",
        ) => Access::Read,
        (false, "/api/v1/events") if method == Method::POST => Access::Append,
        (false, "/api/v1/signin") if method == Method::POST => Access::Public,
        _ => Access::Leader,
    }
}

/// Prefix of the websocket subprotocol that carries a token secret.
pub const BEARER_PROTOCOL: &str = "bearer.";
/// The subprotocol the live socket answers with (the bearer one is never
/// echoed back).
pub const LIVE_PROTOCOL: &str = "crossboard";

fn unauthorized(code: &'static str, message: &str) -> Response {
    let mut res = ApiError::new(StatusCode::UNAUTHORIZED, code, message).into_response();
    res.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"crossboard\""),
    );
    res
}

fn forbidden(message: String) -> Response {
    ApiError::new(StatusCode::FORBIDDEN, "forbidden", message).into_response()
}

/// The secret a request presents: `Authorization: Bearer <secret>`, or on
/// the live socket (browsers cannot set headers on a websocket) the
/// subprotocol `bearer.<secret>` beside `crossboard` in
/// `Sec-WebSocket-Protocol` — a header, so it stays out of the access logs
/// of proxies that log URLs — or, for older clients, `?token=<secret>`.
/// `Err` for an Authorization header that is not a bearer token.
fn presented(req: &Request, route: &str) -> Result<Option<String>, ()> {
    if let Some(h) = req.headers().get(header::AUTHORIZATION) {
        let h = h.to_str().map_err(|_| ())?;
        let (scheme, secret) = h.trim().split_once(' ').ok_or(())?;
        if !scheme.eq_ignore_ascii_case("bearer") || secret.trim().is_empty() {
            return Err(());
        }
        return Ok(Some(secret.trim().to_string()));
    }
    if route == "/api/v1/live" {
        let offered = req
            .headers()
            .get_all(header::SEC_WEBSOCKET_PROTOCOL)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .find_map(|p| p.trim().strip_prefix(BEARER_PROTOCOL).map(str::to_string));
        if let Some(secret) = offered.filter(|s| !s.is_empty()) {
            return Ok(Some(secret));
        }
        let query = req.uri().query().unwrap_or("");
        for pair in query.split('&') {
            if let Some(v) = pair.strip_prefix("token=") {
                return Ok(Some(v.to_string()));
            }
        }
    }
    Ok(None)
}

/// The middleware: finds the route's [`access`], checks the caller's token
/// against it and attaches the caller's [`Identity`] for the handler.
pub async fn require(State(api): State<Api>, mut req: Request, next: Next) -> Response {
    let auth = &api.auth;
    // No route matched: the 404 fallback answers, whoever asks.
    let Some(route) = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
    else {
        return next.run(req).await;
    };
    if !auth.enabled() {
        req.extensions_mut().insert(Identity::open());
        return next.run(req).await;
    }
    let need = access(req.method(), &route);
    let open = need == Access::Public || (need == Access::Board && auth.public_boards);
    let who = match presented(&req, &route) {
        Err(()) if !open => {
            return unauthorized(
                "invalid_token",
                "the Authorization header must be `Bearer <token>`",
            )
        }
        Ok(None) if !open => {
            return unauthorized(
                "missing_token",
                "this endpoint needs a token: send `Authorization: Bearer <token>`",
            )
        }
        Ok(Some(secret)) => match auth.lookup(&secret) {
            Some(who) => Some(who),
            None if open => None,
            None => return unauthorized("invalid_token", "unknown or revoked token"),
        },
        _ => None,
    };
    if let Some(who) = &who {
        let role = who.role.unwrap_or(Role::Screen);
        let allowed = match need {
            Access::Public | Access::Board => true,
            Access::Read | Access::Append => role != Role::Screen,
            Access::Leader => role == Role::Leader,
        };
        if !allowed && !open {
            let what = match need {
                Access::Leader => "only a leader token may do this",
                _ => "a screen token may only read boards and the live socket",
            };
            return forbidden(format!("{what} (this is a {} token)", role.as_str()));
        }
    }
    // Leaders and bulk imports are trusted to pace themselves; sellers'
    // scripts and wall screens are not.
    if let (Some(who), Some(rate)) = (&who, &api.guard.rate) {
        let limited = matches!(who.role, Some(Role::Seller | Role::Screen));
        if limited && route != "/api/v1/events/batch" {
            if let Err(wait) = rate.take(&who.token_id) {
                return crate::http::guard::rate_limited(wait);
            }
        }
    }
    req.extensions_mut()
        .insert(who.unwrap_or_else(Identity::open));
    next.run(req).await
}

/// A seller token appends activities only as its own seller; a leader (or
/// an open API) appends anything. Called by the append handler once the
/// body is parsed.
pub fn may_append(who: &Identity, event: &Event) -> Result<(), ApiError> {
    let me = match (who.role, &who.seller) {
        (Some(Role::Seller), Some(me)) => me,
        (Some(Role::Seller), None) | (Some(Role::Screen), _) => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "this token may not append events",
            ))
        }
        _ => return Ok(()),
    };
    let (field, actor) = match event {
        Event::LeadGiven { from, .. } | Event::LeadGivenQualified { from, .. } => {
            ("data.from", from)
        }
        Event::KnowledgeShared { presenter, .. } => ("data.presenter", presenter),
        Event::KudosGiven { from, .. } => ("data.from", from),
        // A seller challenges only as themselves, and answers only their
        // own challenges; division against division is a leader's game.
        Event::ChallengeIssued { challenger, .. } => ("data.challenger", challenger),
        Event::ChallengeAccepted { by, .. } | Event::ChallengeDeclined { by, .. } => {
            ("data.by", by)
        }
        Event::LeadFeedback { by, .. } | Event::LeadClaimed { by, .. } => ("data.by", by),
        Event::MeetingHeld { seller, .. } => ("data.seller", seller),
        Event::OrderClosed { seller, .. } => ("data.seller", seller),
        Event::MastermindHeld { host, .. } => ("data.host", host),
        Event::CustomerEvent { organiser, .. } => ("data.organiser", organiser),
        // Whose order it is needs the projection: see `may_report_delivery`.
        Event::OrderDelivered { .. } => return Ok(()),
        Event::JointVisit { host, guests, .. } => {
            if guests.iter().any(|g| g == me) {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    format!("a joint visit's guests are others; seller '{me}' is the host"),
                )
                .with_field("data.guests"));
            }
            ("data.host", host)
        }
        other => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!(
                    "a seller token appends activities only; '{}' needs a leader token",
                    other.type_name()
                ),
            )
            .with_field("type"))
        }
    };
    if actor != me {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("this token acts as seller '{me}', not '{actor}'"),
        )
        .with_field(field));
    }
    Ok(())
}

/// A delivery is reported by the order's seller or a leader: a seller
/// token may report only on its own orders. `order_seller` is the order's
/// seller id when the order exists (an unknown order is left to the
/// writer, which names `data.order`).
pub fn may_report_delivery(who: &Identity, order_seller: Option<&str>) -> Result<(), ApiError> {
    let (Some(Role::Seller), Some(me), Some(seller)) = (who.role, &who.seller, order_seller) else {
        return Ok(());
    };
    if seller != me {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("this order is '{seller}'s; seller '{me}' may report only on their own orders"),
        )
        .with_field("data.order"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seller(s: &str) -> Identity {
        Identity {
            role: Some(Role::Seller),
            token_id: "t".into(),
            seller: Some(s.into()),
        }
    }

    #[test]
    fn the_table_closes_what_it_does_not_know() {
        assert_eq!(access(&Method::GET, "/healthz"), Access::Public);
        assert_eq!(access(&Method::GET, "/wall"), Access::Public);
        assert_eq!(access(&Method::GET, "/api/v1/openapi.json"), Access::Public);
        assert_eq!(access(&Method::GET, "/api/v1/live"), Access::Board);
        assert_eq!(access(&Method::GET, "/api/v1/events"), Access::Read);
        assert_eq!(access(&Method::POST, "/api/v1/events"), Access::Append);
        assert_eq!(access(&Method::GET, "/api/v1/leads"), Access::Read);
        assert_eq!(access(&Method::GET, "/api/v1/matrix"), Access::Board);
        assert_eq!(access(&Method::PUT, "/api/v1/rules"), Access::Leader);
        assert_eq!(access(&Method::GET, "/api/v1/me"), Access::Board);
        assert_eq!(access(&Method::POST, "/api/v1/signin"), Access::Public);
        assert_eq!(access(&Method::GET, "/api/v1/tokens"), Access::Leader);
        assert_eq!(access(&Method::POST, "/api/v1/tokens"), Access::Leader);
        assert_eq!(
            access(&Method::DELETE, "/api/v1/tokens/{id}"),
            Access::Leader
        );
        assert_eq!(
            access(&Method::GET, "/api/v1/something-new"),
            Access::Leader
        );
        assert_eq!(access(&Method::POST, "/wall"), Access::Leader);
    }

    #[test]
    fn a_seller_appends_only_as_itself() {
        let anna = seller("anna");
        let meeting = |s: &str| Event::MeetingHeld {
            seller: s.into(),
            customer: "c".into(),
            lead: None,
        };
        assert!(may_append(&anna, &meeting("anna")).is_ok());
        let e = may_append(&anna, &meeting("bo")).unwrap_err();
        assert_eq!(
            (e.status, e.field.as_deref()),
            (StatusCode::FORBIDDEN, Some("data.seller"))
        );
        let visit = |host: &str, guest: &str| Event::JointVisit {
            host: host.into(),
            guests: vec![guest.into()],
            customer: "c".into(),
        };
        assert!(may_append(&anna, &visit("anna", "bo")).is_ok());
        assert!(may_append(&anna, &visit("bo", "anna")).is_err());
        assert!(may_append(&anna, &visit("anna", "anna")).is_err());
        let void = Event::EventVoided {
            seq: 1,
            reason: "x".into(),
        };
        assert_eq!(
            may_append(&anna, &void).unwrap_err().field.as_deref(),
            Some("type")
        );
        assert!(may_append(&Identity::open(), &void).is_ok());
    }
}
