//! The web pages, embedded in the binary.
//!
//! Wall screens and phones load them from the same process that serves the
//! API, so there is nothing to deploy beside the binary and nothing to fetch
//! from the internet (an office TV may have none). The pages are plain
//! HTML/CSS/JS without a build step; all server calls go through
//! `web/app.js`, the one place that knows about tokens.

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::http::Api;
use crate::wire::error::ApiError;

/// One embedded file.
struct Asset {
    name: &'static str,
    mime: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $mime:literal) => {
        Asset {
            name: $name,
            mime: $mime,
            body: include_bytes!(concat!("../../web/", $name)),
        }
    };
}

const PAGES: &[(&str, Asset)] = &[
    ("/", asset!("index.html", "text/html; charset=utf-8")),
    ("/wall", asset!("wall.html", "text/html; charset=utf-8")),
    ("/me", asset!("me.html", "text/html; charset=utf-8")),
    ("/log", asset!("log.html", "text/html; charset=utf-8")),
    ("/admin", asset!("admin.html", "text/html; charset=utf-8")),
    ("/forum", asset!("forum.html", "text/html; charset=utf-8")),
];

const ASSETS: &[Asset] = &[
    asset!("app.js", "text/javascript; charset=utf-8"),
    asset!("style.css", "text/css; charset=utf-8"),
    asset!("wall.js", "text/javascript; charset=utf-8"),
    asset!("wall.css", "text/css; charset=utf-8"),
    asset!("log.js", "text/javascript; charset=utf-8"),
    asset!("me.js", "text/javascript; charset=utf-8"),
    asset!("me-game.js", "text/javascript; charset=utf-8"),
    asset!("admin.js", "text/javascript; charset=utf-8"),
    asset!("forum.js", "text/javascript; charset=utf-8"),
    asset!("forum.css", "text/css; charset=utf-8"),
    asset!("favicon.svg", "image/svg+xml"),
];

pub fn routes() -> Router<Api> {
    let mut router = Router::new();
    for (path, page) in PAGES {
        router = router.route(
            path,
            get(move |h: HeaderMap| async move { page_headers(serve(page, &h), &h) }),
        );
    }
    router
        .route(
            "/favicon.ico",
            get(|h: HeaderMap| async move { named("favicon.svg", &h) }),
        )
        .route(
            "/assets/{file}",
            get(|Path(file): Path<String>, h: HeaderMap| async move { named(&file, &h) }),
        )
}

/// What a page may do, for the browser to enforce: scripts and styles
/// only from this server (style attributes are used, scripts are never
/// inline), requests and the live socket only back to it, never framed
/// (clickjacking), and no address with a `?token=` leaked as a referrer.
fn page_headers(mut res: Response, req: &HeaderMap) -> Response {
    // The Host was checked by the guard, so it is ours to echo. `'self'`
    // covers ws: and wss: in current browsers; older Safari needs them named.
    let socket = req
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| h.bytes().all(|b| b.is_ascii_graphic()) && !h.contains([';', ',']))
        .map(|h| format!(" ws://{h} wss://{h}"))
        .unwrap_or_default();
    let csp = format!(
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
         img-src 'self'; connect-src 'self'{socket}; frame-ancestors 'none'; \
         base-uri 'none'; form-action 'self'; object-src 'none'"
    );
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    res
}

fn named(file: &str, headers: &HeaderMap) -> Response {
    match ASSETS.iter().find(|a| a.name == file) {
        Some(a) => serve(a, headers),
        None => ApiError::not_found(format!("no asset '{file}'")).into_response(),
    }
}

/// FNV-1a: a cheap content hash for the ETag. The files are small and a
/// hash per request costs less than the response it may save.
fn etag(body: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in body {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("\"{h:016x}\"")
}

/// Serves an asset. `no-cache` means "revalidate": a wall screen picks up a
/// new build on its next reload, and an unchanged file costs a 304.
fn serve(a: &Asset, headers: &HeaderMap) -> Response {
    let tag = etag(a.body);
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag));
    let mut res = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, a.mime)], a.body).into_response()
    };
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(v) = HeaderValue::from_str(&tag) {
        h.insert(header::ETAG, v);
    }
    res
}
