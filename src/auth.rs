//! Who may do what: bearer tokens with a role, checked in one place.
//!
//! Cross-selling runs on trust, so the rules are few and strict:
//!
//! * a **screen** token reads boards and the live socket, nothing else;
//! * a **seller** token reads, and appends activities only as its own seller
//!   (`from`, `by`, `seller`, `host` must be that seller);
//! * a **leader** token does everything: rules, competitions, organisation
//!   events, voids, import and export.
//!
//! Every route's access is declared in [`access`], one table for the whole
//! API, and [`require`] enforces it as a middleware before any handler runs.
//! Routes nobody declared are leader-only: a new endpoint is closed until
//! someone decides otherwise. The envelope's `actor` is the token's identity
//! ([`Identity::actor`]), never what a body claims.
//!
//! Secrets are 256 random bits; only their SHA-256 is stored (a slow
//! password hash buys nothing against a secret that cannot be guessed). The
//! server loads the tokens at start; `crossboard token` manages them while
//! the server is stopped (sled locks the data dir).
//!
//! A data dir without any token is open, as the contract had it before auth
//! existed: the first token (`crossboard token create --role leader` or
//! `CROSSBOARD_LEADER_TOKEN`) switches enforcement on for every route.

use std::collections::HashMap;
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context};
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::api::error::ApiError;
use crate::api::Api;
use crate::domain::event::Event;
use crate::store::{Log, StoreError};

/// The environment variable that bootstraps a leader token (CONTRACT.md).
pub const LEADER_TOKEN_ENV: &str = "CROSSBOARD_LEADER_TOKEN";
/// Shorter bootstrap secrets are refused: they could be guessed.
const MIN_SECRET_CHARS: usize = 16;
/// Prefix of generated secrets, so that secret scanners can spot a leak.
const SECRET_PREFIX: &str = "cb_";
/// A token made for `--demo` and its secret, to be printed.
pub type DemoToken = (TokenRecord, String);

/// Label of the tokens `--demo` makes at each start.
const DEMO_LABEL: &str = "demo";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything: rules, competitions, organisation events, voids.
    Leader,
    /// Reads, and appends activities as its own seller.
    Seller,
    /// Reads boards and the live socket only (a wall screen).
    Screen,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Leader => "leader",
            Role::Seller => "seller",
            Role::Screen => "screen",
        }
    }
}

/// What is stored for a token, under the hash of its secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenRecord {
    /// Public handle for listing and revoking: the start of the hash.
    pub id: String,
    pub role: Role,
    /// The seller a seller token acts as.
    #[serde(default)]
    pub seller: Option<String>,
    #[serde(default)]
    pub label: Option<String>,
    /// RFC 3339.
    pub created_at: String,
}

/// Who is calling: attached to each request by [`require`] and read by
/// handlers as an extractor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// `None` when no token exists and the API is open.
    pub role: Option<Role>,
    pub token_id: String,
    pub seller: Option<String>,
}

impl Identity {
    /// The caller of an API without tokens.
    pub fn open() -> Identity {
        Identity {
            role: None,
            token_id: String::new(),
            seller: None,
        }
    }

    fn of(record: &TokenRecord) -> Identity {
        Identity {
            role: Some(record.role),
            token_id: record.id.clone(),
            seller: record.seller.clone(),
        }
    }

    /// The envelope's `actor`: `seller:anna`, `leader:<token id>`,
    /// `screen:<token id>`, or `api` while the API is open.
    pub fn actor(&self) -> String {
        match (self.role, &self.seller) {
            (Some(Role::Seller), Some(s)) => format!("seller:{s}"),
            (Some(role), _) => format!("{}:{}", role.as_str(), self.token_id),
            (None, _) => "api".into(),
        }
    }
}

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
            | "/api/v1/collaboration",
        ) => Access::Board,
        (
            true,
            "/api/v1/events"
            | "/api/v1/sellers"
            | "/api/v1/sellers/{id}"
            | "/api/v1/divisions"
            | "/api/v1/rules",
        ) => Access::Read,
        (false, "/api/v1/events") if method == Method::POST => Access::Append,
        _ => Access::Leader,
    }
}

/// The tokens a server accepts, loaded at start.
#[derive(Debug, Default)]
pub struct Auth {
    tokens: HashMap<[u8; 32], Identity>,
    /// Any token record exists, readable or not: then auth is enforced.
    enabled: bool,
    public_boards: bool,
}

impl Auth {
    pub fn load(log: &Log, public_boards: bool) -> Result<Auth, StoreError> {
        let mut tokens = HashMap::new();
        let stored = log.tokens()?;
        for (hash, bytes) in &stored {
            let Ok(hash) = <[u8; 32]>::try_from(&hash[..]) else {
                continue;
            };
            match serde_json::from_slice::<TokenRecord>(bytes) {
                Ok(record) => {
                    tokens.insert(hash, Identity::of(&record));
                }
                Err(e) => tracing::warn!(error = %e, "an unreadable token record is ignored"),
            }
        }
        Ok(Auth {
            tokens,
            enabled: !stored.is_empty(),
            public_boards,
        })
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    fn lookup(&self, secret: &str) -> Option<&Identity> {
        self.tokens.get(&hash(secret))
    }
}

fn hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{SECRET_PREFIX}{}", hex::encode(bytes))
}

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
/// the live socket `?token=<secret>` (browsers cannot set headers on a
/// websocket). `Err` for an Authorization header that is not a bearer token.
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
    if !auth.enabled {
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
            Some(who) => Some(who.clone()),
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
        Event::LeadGiven { from, .. } => ("data.from", from),
        Event::LeadFeedback { by, .. } => ("data.by", by),
        Event::MeetingHeld { seller, .. } => ("data.seller", seller),
        Event::OrderClosed { seller, .. } => ("data.seller", seller),
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

// ------------------------------------------------------------ management

/// Stores a new token and returns its secret, which is not kept anywhere.
pub fn create(
    log: &Log,
    role: Role,
    seller: Option<String>,
    label: Option<String>,
) -> anyhow::Result<(String, TokenRecord)> {
    match (role, &seller) {
        (Role::Seller, None) => bail!("a seller token needs --seller <id>"),
        (Role::Leader | Role::Screen, Some(_)) => {
            bail!("--seller is only for seller tokens")
        }
        _ => {}
    }
    let secret = new_secret();
    let record = insert(log, &secret, role, seller, label)?;
    Ok((secret, record))
}

fn insert(
    log: &Log,
    secret: &str,
    role: Role,
    seller: Option<String>,
    label: Option<String>,
) -> anyhow::Result<TokenRecord> {
    let h = hash(secret);
    let record = TokenRecord {
        id: hex::encode(&h[..6]),
        role,
        seller,
        label,
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };
    log.put_token(&h, &serde_json::to_vec(&record)?)?;
    Ok(record)
}

/// Every stored token, oldest first.
pub fn list(log: &Log) -> anyhow::Result<Vec<TokenRecord>> {
    let mut out: Vec<TokenRecord> = log
        .tokens()?
        .iter()
        .filter_map(|(_, bytes)| serde_json::from_slice(bytes).ok())
        .collect();
    out.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    Ok(out)
}

/// Deletes the token with this id.
pub fn revoke(log: &Log, id: &str) -> anyhow::Result<TokenRecord> {
    for (hash, bytes) in log.tokens()? {
        if let Ok(record) = serde_json::from_slice::<TokenRecord>(&bytes) {
            if record.id == id {
                log.remove_token(&hash)?;
                return Ok(record);
            }
        }
    }
    bail!("there is no token with id '{id}' (see `crossboard token list`)")
}

/// `CROSSBOARD_LEADER_TOKEN`: creates a leader token with that secret, or
/// keeps the one that exists.
pub fn bootstrap_leader(log: &Log, secret: &str) -> anyhow::Result<()> {
    let secret = secret.trim();
    if secret.chars().count() < MIN_SECRET_CHARS {
        bail!(
            "{LEADER_TOKEN_ENV} is too short: use at least {MIN_SECRET_CHARS} random characters \
             (for example the output of `openssl rand -hex 32`)"
        );
    }
    let h = hash(secret);
    if log.tokens()?.iter().any(|(k, _)| k[..] == h[..]) {
        return Ok(());
    }
    let record = insert(
        log,
        secret,
        Role::Leader,
        None,
        Some(LEADER_TOKEN_ENV.into()),
    )?;
    tracing::info!(token = %record.id, "leader token created from {LEADER_TOKEN_ENV}");
    Ok(())
}

/// `--demo`: a fresh leader, seller and screen token at every start, so the
/// pages can be tried at once. Earlier ones stay valid: a wall screen set up
/// with one keeps working across restarts.
pub fn demo_tokens(log: &Log, seller: &str) -> anyhow::Result<Vec<DemoToken>> {
    let label = || Some(DEMO_LABEL.to_string());
    let mut out = Vec::new();
    for (role, seller) in [
        (Role::Leader, None),
        (Role::Seller, Some(seller.to_string())),
        (Role::Screen, None),
    ] {
        let (secret, record) = create(log, role, seller, label())?;
        out.push((record, secret));
    }
    Ok(out)
}

/// `crossboard token ...`
#[derive(Debug, clap::Subcommand)]
pub enum TokenCommand {
    /// Create a token and print its secret (once: only its hash is kept).
    ///
    /// The secret alone goes to standard output, so
    /// `TOKEN=$(crossboard token create --role screen)` works. A running
    /// server picks new tokens up when restarted.
    Create {
        #[arg(long, value_enum)]
        role: Role,
        /// The seller a seller token acts as.
        #[arg(long)]
        seller: Option<String>,
        /// A note for `token list`, such as who or what holds it.
        #[arg(long)]
        label: Option<String>,
        /// Data directory (the sled log lives here).
        #[arg(long, default_value = "./data", env = "CROSSBOARD_DATA")]
        data: PathBuf,
    },
    /// List tokens (never their secrets).
    List {
        /// Data directory (the sled log lives here).
        #[arg(long, default_value = "./data", env = "CROSSBOARD_DATA")]
        data: PathBuf,
    },
    /// Revoke a token by its id (see `token list`); takes effect when the
    /// server is (re)started.
    Revoke {
        id: String,
        /// Data directory (the sled log lives here).
        #[arg(long, default_value = "./data", env = "CROSSBOARD_DATA")]
        data: PathBuf,
    },
}

pub fn run_token_command(cmd: TokenCommand) -> anyhow::Result<()> {
    match cmd {
        TokenCommand::Create {
            role,
            seller,
            label,
            data,
        } => {
            let log = Log::open(&data)?;
            if let Some(s) = &seller {
                warn_unknown_seller(&log, s);
            }
            let (secret, record) = create(&log, role, seller, label)?;
            let who = record
                .seller
                .as_ref()
                .map(|s| format!(" for seller '{s}'"))
                .unwrap_or_default();
            eprintln!(
                "created {} token {}{who}; its secret is shown once, below (only its hash is stored)",
                role.as_str(),
                record.id
            );
            println!("{secret}");
        }
        TokenCommand::List { data } => {
            let log = crate::verify::open_existing(&data)?;
            let tokens = list(&log)?;
            if tokens.is_empty() {
                println!("no tokens: the API is open (create one with `crossboard token create --role leader`)");
            }
            for t in tokens {
                println!(
                    "{}  {:<6}  {:<16}  {}  {}",
                    t.id,
                    t.role.as_str(),
                    t.seller.as_deref().unwrap_or("-"),
                    t.created_at,
                    t.label.as_deref().unwrap_or("")
                );
            }
        }
        TokenCommand::Revoke { id, data } => {
            let log = crate::verify::open_existing(&data)?;
            let record = revoke(&log, &id)
                .with_context(|| format!("cannot revoke in {}", data.display()))?;
            println!("revoked {} token {}", record.role.as_str(), record.id);
        }
    }
    Ok(())
}

/// A token for a seller the log does not know is allowed (the seller may be
/// imported later) but probably a typo.
fn warn_unknown_seller(log: &Log, seller: &str) {
    let tz = log
        .meta("tz")
        .ok()
        .flatten()
        .and_then(|n| crate::domain::time::parse_tz(&n))
        .unwrap_or(chrono_tz::Europe::Stockholm);
    if let Ok((p, _)) = crate::app::replay(log, tz) {
        if p.org.seller(seller).is_none() {
            eprintln!("warning: the log has no seller '{seller}' (yet)");
        }
    }
}

/// Start-up: the bootstrap token, the demo tokens, then the table of
/// tokens the server will accept. Returns the demo tokens to print.
pub fn start(
    log: &Log,
    public_boards: bool,
    demo_seller: Option<&str>,
) -> anyhow::Result<(Arc<Auth>, Vec<DemoToken>)> {
    if let Ok(secret) = std::env::var(LEADER_TOKEN_ENV) {
        if !secret.is_empty() {
            bootstrap_leader(log, &secret)?;
        }
    }
    let demo = match demo_seller {
        Some(s) => demo_tokens(log, s)?,
        None => Vec::new(),
    };
    let auth = Auth::load(log, public_boards)?;
    if !auth.enabled() {
        tracing::warn!(
            "no access tokens exist, so the API is open to anyone who can reach it; \
             create one with `crossboard token create --role leader` or set {LEADER_TOKEN_ENV}"
        );
    }
    Ok((Arc::new(auth), demo))
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
        assert_eq!(access(&Method::PUT, "/api/v1/rules"), Access::Leader);
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

    #[test]
    fn secrets_are_random_and_only_hashes_are_stored() {
        let dir = tempfile::tempdir().unwrap();
        let log = Log::open(&dir.path().join("data")).unwrap();
        let (a, ra) = create(&log, Role::Leader, None, None).unwrap();
        let (b, _) = create(&log, Role::Seller, Some("anna".into()), None).unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("cb_") && a.len() == 67);
        for (_, bytes) in log.tokens().unwrap() {
            let text = String::from_utf8_lossy(&bytes);
            assert!(!text.contains(&a[3..]) && !text.contains(&b[3..]));
        }
        let auth = Auth::load(&log, false).unwrap();
        assert!(auth.enabled());
        assert_eq!(
            auth.lookup(&a).map(|i| i.actor()),
            Some(format!("leader:{}", ra.id))
        );
        assert_eq!(
            auth.lookup(&b).map(|i| i.actor()),
            Some("seller:anna".into())
        );
        assert!(auth.lookup("cb_guess").is_none());
        revoke(&log, &ra.id).unwrap();
        assert!(Auth::load(&log, false).unwrap().lookup(&a).is_none());
        assert!(create(&log, Role::Seller, None, None).is_err());
        assert!(bootstrap_leader(&log, "short").is_err());
    }
}
