//! Live push: `GET /api/v1/live`, a websocket that streams boards and
//! highlights to wall screens and open pages.
//!
//! The shape of the problem is "one writer, many slow readers", so the work
//! is split in three:
//!
//! * a **publisher** per distinct [`BoardSpec`] (created on the first
//!   subscribe, stopped when its last subscriber leaves) renders and
//!   serializes the board once per change into a `watch` channel. Rendering
//!   is coalesced to at most one frame per [`COALESCE`] and repeated at window
//!   boundaries, so a "day" board turns over at local midnight without events;
//! * a **highlight follower** per process reads the newly committed envelopes
//!   when the writer ticks `changes` and broadcasts short celebration frames;
//! * a **session** per socket forwards the newest frame of each subscribed
//!   board. Because it reads a `watch`, a client that falls behind skips to
//!   the newest board instead of queueing old ones.
//!
//! Memory per client is bounded by counting bytes in flight: every frame is
//! followed by a ping, and the pong tells which bytes the client has really
//! read. Past [`Limits::buffer_bytes`] unread bytes the session stops sending
//! boards (the client gets the newest when it catches up), and a client that
//! stays that stuck for [`Limits::stuck`] or leaves a ping unanswered is
//! disconnected. That counts bytes sitting in kernel socket buffers too,
//! which a plain bounded queue would not see.
//!
//! Files: [`hub`] (publishers per board), [`highlights`] (celebration
//! frames), [`feed`] (a line per activity), [`session`] (one per socket).

mod feed;
mod highlights;
mod hub;
mod movement;
mod session;

use std::time::Duration;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::http::Api;
use crate::wire::error::ApiError;
use hub::Hub;
use session::session;

/// At most one frame per board per this interval (CONTRACT.md).
pub const COALESCE: Duration = Duration::from_millis(100);
/// A board is re-rendered at least this often even without events, so time
/// based changes (a competition starting) show up; unchanged frames are not sent.
pub(super) const REFRESH: Duration = Duration::from_secs(5);
/// Rows per live board unless a subscription asks for another `limit`: a
/// wall shows a dozen, and every extra row is sent to every screen on
/// every change.
pub(super) const LIVE_ROWS: usize = 100;
pub(super) const MAX_LIVE_ROWS: u64 = 1000;
/// Largest message a client may send; subscriptions are tiny.
pub(super) const MAX_INBOUND: usize = 16 * 1024;
/// Messages queued between a session and its socket writer. Small on
/// purpose: the real bound is [`Limits::buffer_bytes`].
pub(super) const OUT_QUEUE: usize = 64;
/// Envelopes read per tick for highlights; a bigger burst is skipped over
/// (a wall cannot celebrate thousands of events at once anyway).
pub(super) const MAX_HIGHLIGHT_SCAN: u64 = 2_000;
/// Competition standings are recomputed for lead changes at most this often.
pub(super) const COMPETITION_CHECK: Duration = Duration::from_secs(1);

/// Per-client limits. Read from hidden environment variables so tests can
/// make a stuck client visible in milliseconds instead of seconds.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Bytes sent but not yet confirmed read (`CROSSBOARD_LIVE_BUFFER`).
    pub buffer_bytes: u64,
    /// How long a client may stay over its buffer (`CROSSBOARD_LIVE_STUCK_MS`).
    pub stuck: Duration,
    /// Keep-alive ping interval (`CROSSBOARD_LIVE_PING_MS`); a ping left
    /// unanswered for two intervals disconnects.
    pub ping_every: Duration,
    /// Distinct boards one socket may follow: a wall shows a few, and each
    /// board costs a publisher and a render per change.
    pub max_subscriptions: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            buffer_bytes: 1024 * 1024,
            stuck: Duration::from_secs(10),
            ping_every: Duration::from_secs(15),
            max_subscriptions: 8,
        }
    }
}

impl Limits {
    pub fn from_env() -> Limits {
        let num = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
        let d = Limits::default();
        Limits {
            buffer_bytes: num("CROSSBOARD_LIVE_BUFFER").unwrap_or(d.buffer_bytes),
            stuck: num("CROSSBOARD_LIVE_STUCK_MS")
                .map(Duration::from_millis)
                .unwrap_or(d.stuck),
            ping_every: num("CROSSBOARD_LIVE_PING_MS")
                .filter(|ms| *ms > 0)
                .map(Duration::from_millis)
                .unwrap_or(d.ping_every),
            max_subscriptions: d.max_subscriptions,
        }
    }
}

/// The websocket route, merged into the API router.
pub fn routes() -> Router<Api> {
    Router::new().route("/api/v1/live", get(upgrade))
}

async fn upgrade(
    State(api): State<Api>,
    who: crate::tokens::Identity,
    ws: WebSocketUpgrade,
) -> Response {
    // Fixed for the socket's life: a screen's frames are scrubbed for it.
    let privacy = api.privacy.for_caller(&who);
    // Counted from the upgrade until the session ends (`--max-live-sockets`).
    let Some(slot) = api.guard.live_socket() else {
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "too_many_sockets",
            "the server has as many live sockets open as it allows; retry shortly",
        )
        .into_response();
    };
    let hub = Hub::for_shared(&api.shared);
    // tungstenite's default buffers are 128 KiB each per socket; a thousand
    // wall screens would hold a quarter GiB of mostly empty buffers.
    // A browser that offered `crossboard, bearer.<secret>` needs one of its
    // protocols chosen back, or it drops the socket: `crossboard`, never the
    // one with the secret.
    ws.protocols([crate::http::auth::LIVE_PROTOCOL])
        .max_message_size(MAX_INBOUND)
        .max_frame_size(MAX_INBOUND)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(16 * 1024)
        .on_upgrade(move |socket| async move {
            session(hub, socket, privacy).await;
            drop(slot);
        })
}
