//! Browser safety: the checks that keep a web page on another site from
//! using a crossboard it can reach (a laptop's `127.0.0.1:8080`, an office
//! server), and the limits that keep one client from starving the others.
//!
//! * **Host** ([`Guard::host_ok`]): DNS rebinding points an attacker's name
//!   at our address, so the browser treats our API as the attacker's own
//!   origin. The cure is to answer only to names that are ours: loopback
//!   names, the address we listen on (or that the connection reached when
//!   bound to every interface), and `--public-url`. Anything else is a 421.
//! * **Origin** ([`Guard::origin_ok`]): a foreign page may still *send* a
//!   form or a `fetch` with a simple content type. Every state-changing
//!   request that carries a foreign `Origin` is refused with 403
//!   `forbidden_origin` unless `--allowed-origins` lists it; JSON bodies
//!   additionally need a JSON content type (`wire::body`), which a form
//!   cannot send.
//! * **Rate** ([`RateLimiter`]): a token bucket per seller and screen token,
//!   so a runaway wall screen or script cannot crowd out the writer.
//! * **Live sockets** ([`Guard::live_socket`]): a cap on open websockets.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use parking_lot::Mutex;

use crate::http::Api;
use crate::wire::error::ApiError;

/// What `serve` was told about its audience (flags of `crossboard serve`).
#[derive(Debug, Clone, Default)]
pub struct Hardening {
    /// `--public-url`: the address users type, e.g. behind a proxy.
    pub public_url: Option<String>,
    /// `--allowed-origins`: other sites whose pages may write.
    pub allowed_origins: Vec<String>,
    /// `--max-live-sockets`.
    pub max_live_sockets: usize,
    /// `--rate-limit`: requests per second and burst, per seller/screen token.
    pub rate: Option<Rate>,
}

/// A token bucket's refill rate (per second) and size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub per_second: f64,
    pub burst: f64,
}

impl Rate {
    /// Parses `RATE/BURST` (`20/100`), a bare `RATE` (burst = 5 × rate), or
    /// `off`.
    pub fn parse(s: &str) -> Result<Option<Rate>, String> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("off") || s == "0" {
            return Ok(None);
        }
        let bad = || format!("'{s}' is not RATE/BURST (e.g. 20/100) or off");
        let (rate, burst) = match s.split_once('/') {
            Some((r, b)) => (r.trim(), Some(b.trim())),
            None => (s, None),
        };
        let per_second: f64 = rate.parse().map_err(|_| bad())?;
        let burst: f64 = match burst {
            Some(b) => b.parse().map_err(|_| bad())?,
            None => per_second * 5.0,
        };
        if !(per_second.is_finite() && per_second > 0.0 && burst.is_finite() && burst >= 1.0) {
            return Err(bad());
        }
        Ok(Some(Rate { per_second, burst }))
    }
}

/// An origin: scheme, lower-case host (IPv6 without brackets) and port.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

fn default_port(scheme: &str) -> u16 {
    if scheme == "https" || scheme == "wss" {
        443
    } else {
        80
    }
}

/// `host`, `host:port`, `[v6]`, `[v6]:port` → (host, port).
fn split_authority(a: &str) -> Option<(String, Option<u16>)> {
    let a = a.trim().to_ascii_lowercase();
    if a.is_empty() || a.contains(['/', '@', ' ']) {
        return None;
    }
    if let Some(rest) = a.strip_prefix('[') {
        let (host, tail) = rest.split_once(']')?;
        let port = match tail.strip_prefix(':') {
            Some(p) => Some(p.parse().ok()?),
            None if tail.is_empty() => None,
            None => return None,
        };
        return Some((host.to_string(), port));
    }
    match a.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => Some((h.to_string(), Some(p.parse().ok()?))),
        Some(_) => None,
        None => Some((a, None)),
    }
}

fn parse_origin(s: &str) -> Option<Origin> {
    let (scheme, rest) = s.trim().split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let (host, port) = split_authority(rest.trim_end_matches('/'))?;
    let port = port.unwrap_or(default_port(&scheme));
    Some(Origin { scheme, host, port })
}

fn is_loopback_name(host: &str) -> bool {
    host == "localhost"
        || host.ends_with(".localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The checks of this module, built once at start.
#[derive(Debug)]
pub struct Guard {
    bound: SocketAddr,
    public: Option<Origin>,
    allowed: Vec<Origin>,
    max_live_sockets: usize,
    live_sockets: Arc<AtomicUsize>,
    pub rate: Option<RateLimiter>,
}

impl Guard {
    pub fn new(h: &Hardening, bound: SocketAddr) -> anyhow::Result<Guard> {
        let public = match &h.public_url {
            Some(u) => Some(parse_origin(u).ok_or_else(|| {
                anyhow::anyhow!("--public-url '{u}' is not an http(s)://host[:port] address")
            })?),
            None => None,
        };
        let mut allowed = Vec::new();
        for o in h.allowed_origins.iter().filter(|o| !o.trim().is_empty()) {
            allowed.push(parse_origin(o).ok_or_else(|| {
                anyhow::anyhow!(
                    "--allowed-origins: '{o}' is not an origin like https://host[:port]"
                )
            })?);
        }
        Ok(Guard {
            bound,
            public,
            allowed,
            max_live_sockets: h.max_live_sockets,
            live_sockets: Arc::new(AtomicUsize::new(0)),
            rate: h.rate.map(RateLimiter::new),
        })
    }

    /// Whether a `Host` names this server. Loopback names are always ours
    /// (rebinding needs a foreign name), on any port so that SSH tunnels
    /// and local proxies work; IP literals only when they are the address
    /// listened on or, bound to every interface, the one the connection
    /// reached (`local`).
    pub fn host_ok(&self, host: &str, local: Option<IpAddr>) -> bool {
        let Some((name, port)) = split_authority(host) else {
            return false;
        };
        if let Some(p) = &self.public {
            if p.host == name && port.is_none_or(|port| port == p.port) {
                return true;
            }
        }
        if is_loopback_name(&name) {
            return true;
        }
        let Ok(ip) = name.parse::<IpAddr>() else {
            return false;
        };
        let port_ok = port.is_none_or(|p| p == self.bound.port());
        if self.bound.ip().is_unspecified() {
            // `0.0.0.0:port` is what the start-up banner prints.
            port_ok && (ip == self.bound.ip() || local.is_some_and(|l| l == ip))
        } else {
            port_ok && ip == self.bound.ip()
        }
    }

    /// Whether a state-changing request from `origin` may proceed: the
    /// origin of the (already checked) `Host`, `--public-url`, or one of
    /// `--allowed-origins`. `Origin: null` (sandboxed frames, file://)
    /// is foreign.
    pub fn origin_ok(&self, origin: &str, host: Option<&str>) -> bool {
        let Some(o) = parse_origin(origin) else {
            return false;
        };
        if self.public.as_ref() == Some(&o) || self.allowed.contains(&o) {
            return true;
        }
        let own = host.and_then(split_authority);
        let Some((name, port)) = own else {
            return false;
        };
        name == o.host && port.unwrap_or(default_port(&o.scheme)) == o.port
    }

    /// Takes one live socket slot, or `None` past `--max-live-sockets`.
    /// The slot is freed when the returned value is dropped.
    pub fn live_socket(&self) -> Option<LiveSlot> {
        let counter = self.live_sockets.clone();
        let max = self.max_live_sockets;
        counter
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()?;
        Some(LiveSlot(counter))
    }
}

/// One open live socket, counted until dropped.
pub struct LiveSlot(Arc<AtomicUsize>);

impl Drop for LiveSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Token buckets by token id. The map holds at most one entry per valid
/// token (only known tokens reach it), so it needs no eviction.
#[derive(Debug)]
pub struct RateLimiter {
    rate: Rate,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    pub fn new(rate: Rate) -> RateLimiter {
        RateLimiter {
            rate,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `key`'s bucket, or says how long until one
    /// is there.
    pub fn take(&self, key: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock();
        let (level, last) = buckets
            .entry(key.to_string())
            .or_insert((self.rate.burst, now));
        let refill = now.duration_since(*last).as_secs_f64() * self.rate.per_second;
        *level = (*level + refill).min(self.rate.burst);
        *last = now;
        if *level >= 1.0 {
            *level -= 1.0;
            return Ok(());
        }
        Err(Duration::from_secs_f64(
            (1.0 - *level) / self.rate.per_second,
        ))
    }
}

/// The address a connection reached, put in each request's extensions by
/// the accept loop (`http::listen`).
#[derive(Debug, Clone, Copy)]
pub struct LocalAddr(pub SocketAddr);

fn state_changing(m: &Method) -> bool {
    !matches!(
        *m,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// The middleware: `Host` first (421), then `Origin` on state-changing
/// requests (403).
pub async fn browser_safe(State(api): State<Api>, req: Request, next: Next) -> Response {
    let guard = &api.guard;
    let host = req
        .uri()
        .authority()
        .map(|a| a.as_str().to_string())
        .or_else(|| {
            req.headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_string)
        });
    let local = req.extensions().get::<LocalAddr>().map(|l| l.0.ip());
    // A request without any Host cannot come from a browser (HTTP/1.0
    // tools): nothing to rebind.
    if let Some(h) = &host {
        if !guard.host_ok(h, local) {
            return ApiError::new(
                StatusCode::MISDIRECTED_REQUEST,
                "unknown_host",
                "this server does not answer to that host name; \
                 use its address or set --public-url",
            )
            .into_response();
        }
    }
    if state_changing(req.method()) {
        if let Some(origin) = req.headers().get(header::ORIGIN) {
            let ok = origin
                .to_str()
                .is_ok_and(|o| guard.origin_ok(o, host.as_deref()));
            if !ok {
                return ApiError::new(
                    StatusCode::FORBIDDEN,
                    "forbidden_origin",
                    "requests from another site's pages may not change anything here \
                     (see --allowed-origins)",
                )
                .into_response();
            }
        }
    }
    next.run(req).await
}

/// 429 `rate_limited` with `Retry-After` in whole seconds (at least 1).
pub fn rate_limited(wait: Duration) -> Response {
    let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
    let mut res = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("too many requests for this token; retry in {secs} s"),
    )
    .into_response();
    if let Ok(v) = secs.to_string().parse() {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(addr: &str, public: Option<&str>, allowed: &[&str]) -> Guard {
        let h = Hardening {
            public_url: public.map(str::to_string),
            allowed_origins: allowed.iter().map(|s| s.to_string()).collect(),
            max_live_sockets: 2,
            rate: None,
        };
        Guard::new(&h, addr.parse().unwrap()).unwrap()
    }

    #[test]
    fn hosts_are_ours_or_refused() {
        let g = guard("127.0.0.1:8080", None, &[]);
        assert!(g.host_ok("127.0.0.1:8080", None));
        assert!(g.host_ok("localhost:8080", None));
        assert!(g.host_ok("[::1]:8080", None));
        assert!(!g.host_ok("evil.example:8080", None));
        assert!(!g.host_ok("10.0.0.5:8080", None));
        let any = guard("0.0.0.0:8080", Some("https://board.example.com"), &[]);
        let local = "10.0.0.5".parse().ok();
        assert!(any.host_ok("10.0.0.5:8080", local));
        assert!(!any.host_ok("10.0.0.6:8080", local));
        assert!(any.host_ok("board.example.com", local));
        assert!(any.host_ok("BOARD.example.com:443", local));
        assert!(!any.host_ok("board.example.com.evil.net", local));
    }

    #[test]
    fn origins_are_ours_listed_or_foreign() {
        let g = guard("127.0.0.1:8080", None, &["https://intranet.example"]);
        let host = Some("127.0.0.1:8080");
        assert!(g.origin_ok("http://127.0.0.1:8080", host));
        assert!(!g.origin_ok("http://127.0.0.1:9999", host));
        assert!(!g.origin_ok("https://evil.example", host));
        assert!(!g.origin_ok("null", host));
        assert!(g.origin_ok("https://intranet.example", host));
        assert!(g.origin_ok("https://intranet.example:443", host));
    }

    #[test]
    fn rates_parse_and_buckets_empty() {
        assert_eq!(
            Rate::parse("20/100"),
            Ok(Some(Rate {
                per_second: 20.0,
                burst: 100.0
            }))
        );
        assert_eq!(Rate::parse("off"), Ok(None));
        assert!(Rate::parse("fast").is_err());
        let r = RateLimiter::new(Rate {
            per_second: 1.0,
            burst: 2.0,
        });
        assert!(r.take("a").is_ok() && r.take("a").is_ok());
        assert!(r.take("a").is_err());
        assert!(r.take("b").is_ok());
        let g = guard("127.0.0.1:1", None, &[]);
        let (a, _b) = (g.live_socket(), g.live_socket());
        assert!(a.is_some() && g.live_socket().is_none());
        drop(a);
        assert!(g.live_socket().is_some());
    }
}
