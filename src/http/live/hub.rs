//! The hub: publishers and highlights shared by every session of one
//! server. A publisher renders and serializes its board once per change
//! into a `watch`, so a slow client skips to the newest board.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use axum::extract::ws::Utf8Bytes;
use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::domain::board::{self, BoardKind, BoardSpec};
use crate::domain::time::from_micros;
use crate::domain::Projection;
use crate::http::privacy::{scrubber, WallPrivacy};
use crate::writer::Shared;

use super::feed::{backfill, follow_feed, Recent};
use super::highlights::follow_highlights;
use super::movement::Morning;
use super::{Limits, COALESCE, REFRESH};

/// Everything sessions of one server share. It lives while any socket is
/// open; the next socket after that starts a fresh one.
pub(super) struct Hub {
    pub(super) shared: Arc<Shared>,
    /// One publisher per board and privacy level: a scrubbed frame is
    /// made once per change, like any other.
    /// Keyed by board, privacy level and whether rows carry `day_move`.
    pub(super) boards: Mutex<HashMap<(BoardSpec, WallPrivacy, bool), Weak<Publisher>>>,
    pub(super) highlights: broadcast::Sender<Utf8Bytes>,
    pub(super) follower: JoinHandle<()>,
    /// The latest activity lines, for sockets that subscribe to the feed.
    pub(super) recent: Recent,
    pub(super) feed_follower: JoinHandle<()>,
    pub(super) limits: Limits,
}

impl Drop for Hub {
    fn drop(&mut self) {
        self.follower.abort();
        self.feed_follower.abort();
    }
}

/// Hubs by the `Shared` they serve. A registry rather than a field of
/// `Api`, so live push plugs into the router without touching its state.
pub(super) type Registry = Mutex<Vec<(Weak<Shared>, Weak<Hub>)>>;

pub(super) fn registry() -> &'static Registry {
    static HUBS: OnceLock<Registry> = OnceLock::new();
    HUBS.get_or_init(|| Mutex::new(Vec::new()))
}

impl Hub {
    pub(super) fn for_shared(shared: &Arc<Shared>) -> Arc<Hub> {
        let mut hubs = registry().lock();
        hubs.retain(|(s, h)| s.strong_count() > 0 && h.strong_count() > 0);
        for (s, h) in hubs.iter() {
            if std::ptr::eq(s.as_ptr(), Arc::as_ptr(shared)) {
                if let Some(hub) = h.upgrade() {
                    return hub;
                }
            }
        }
        let (tx, _) = broadcast::channel(64);
        let follower = tokio::spawn(follow_highlights(shared.clone(), tx.clone()));
        let recent = backfill(shared);
        let feed_follower = tokio::spawn(follow_feed(shared.clone(), tx.clone(), recent.clone()));
        let hub = Arc::new(Hub {
            shared: shared.clone(),
            boards: Mutex::new(HashMap::new()),
            highlights: tx,
            follower,
            recent,
            feed_follower,
            limits: Limits::from_env(),
        });
        hubs.push((Arc::downgrade(shared), Arc::downgrade(&hub)));
        hub
    }

    /// The publisher of `spec`, started if nobody follows it yet. `None`
    /// when the board does not exist (an unknown competition).
    pub(super) fn publisher(
        &self,
        spec: &BoardSpec,
        privacy: WallPrivacy,
        day_move: bool,
    ) -> Option<Arc<Publisher>> {
        let mut boards = self.boards.lock();
        boards.retain(|_, p| p.strong_count() > 0);
        let key = (spec.clone(), privacy, day_move);
        if let Some(p) = boards.get(&key).and_then(Weak::upgrade) {
            return Some(p);
        }
        let mut morning = Morning::new(day_move);
        let (text, boundary) = render_frame(&self.shared, spec, privacy, &mut morning, Utc::now())?;
        let (tx, rx) = watch::channel(Utf8Bytes::from(text));
        let task = tokio::spawn(publish(
            self.shared.clone(),
            spec.clone(),
            privacy,
            morning,
            tx,
            boundary,
        ));
        let p = Arc::new(Publisher { rx, task });
        boards.insert(key, Arc::downgrade(&p));
        Some(p)
    }
}

/// One board's latest frame. Dropping the last handle stops its task.
pub(super) struct Publisher {
    pub(super) rx: watch::Receiver<Utf8Bytes>,
    pub(super) task: JoinHandle<()>,
}

impl Drop for Publisher {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Renders and serializes a board, with the next instant at which it would
/// change without any event (the end of its window, a competition's start or
/// end).
pub(super) fn render_frame(
    shared: &Arc<Shared>,
    spec: &BoardSpec,
    privacy: WallPrivacy,
    morning: &mut Morning,
    now: DateTime<Utc>,
) -> Option<(String, Option<DateTime<Utc>>)> {
    let sellers = morning.enabled && matches!(spec.kind, BoardKind::Sellers);
    let (mut value, boundary) = {
        let p = shared.projection.read();
        let frame = board::render(&p, spec, now)?;
        let boundary = next_boundary(&p, spec, now);
        if privacy == WallPrivacy::Names && !sellers {
            // Nothing to add or hide: straight to text.
            return serde_json::to_string(&frame)
                .ok()
                .map(|text| (text, boundary));
        }
        let mut value = serde_json::to_value(&frame).ok()?;
        morning.annotate(&p, spec, now, &mut value);
        (value, boundary)
    };
    if privacy != WallPrivacy::Names {
        scrubber(shared, privacy).value(&mut value);
    }
    Some((value.to_string(), boundary))
}

pub(super) fn next_boundary(
    p: &Projection,
    spec: &BoardSpec,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    match &spec.kind {
        BoardKind::Competition(id) => {
            let c = p.competition(id)?;
            [c.start_us, c.end_us]
                .into_iter()
                .map(from_micros)
                .find(|t| *t > now)
        }
        _ => p.window(spec.window, now).end,
    }
}

/// A publisher's loop: wait for a commit or a window boundary, wait out the
/// coalescing interval, render once, publish if it differs.
pub(super) async fn publish(
    shared: Arc<Shared>,
    spec: BoardSpec,
    privacy: WallPrivacy,
    mut morning: Morning,
    tx: watch::Sender<Utf8Bytes>,
    mut boundary: Option<DateTime<Utc>>,
) {
    let mut changes = shared.changes.subscribe();
    let mut rendered_seq = *changes.borrow_and_update();
    let mut published = Instant::now();
    loop {
        let refresh = Instant::now() + REFRESH;
        let wake = boundary
            .and_then(|b| (b - Utc::now()).to_std().ok())
            .map(|d| Instant::now() + d + Duration::from_millis(1))
            .map_or(refresh, |at| at.min(refresh));
        tokio::select! {
            changed = changes.changed() => if changed.is_err() { return },
            _ = tokio::time::sleep_until(wake) => {}
        }
        tokio::time::sleep_until(published + COALESCE).await;
        // Everything committed while we slept is in this one render.
        let seq = *changes.borrow_and_update();
        crate::metrics::frames_coalesced(seq.saturating_sub(rendered_seq).saturating_sub(1));
        rendered_seq = seq;
        let Some((text, next)) = render_frame(&shared, &spec, privacy, &mut morning, Utc::now())
        else {
            continue;
        };
        boundary = next;
        if tx.borrow().as_str() != text {
            tx.send_replace(Utf8Bytes::from(text));
            published = Instant::now();
        }
    }
}
