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

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Utc};
use futures_util::stream::{BoxStream, SelectAll, SplitSink};
use futures_util::{SinkExt, StreamExt};
use parking_lot::Mutex;
use serde_json::{json, Value};
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::api::error::ApiError;
use crate::api::{board_kind, window_params, Api};
use crate::domain::board::{self, BoardKind, BoardSpec};
use crate::domain::competition;
use crate::domain::event::{Envelope, Event, FeedbackStatus};
use crate::domain::score::Fact;
use crate::domain::time::{from_micros, Window};
use crate::domain::Projection;
use crate::writer::Shared;

/// At most one frame per board per this interval (CONTRACT.md).
pub const COALESCE: Duration = Duration::from_millis(100);
/// A board is re-rendered at least this often even without events, so time
/// based changes (a competition starting) show up; unchanged frames are not sent.
const REFRESH: Duration = Duration::from_secs(5);
/// Rows per live board unless a subscription asks for another `limit`: a
/// wall shows a dozen, and every extra row is sent to every screen on
/// every change.
const LIVE_ROWS: usize = 100;
const MAX_LIVE_ROWS: u64 = 1000;
/// Largest message a client may send; subscriptions are tiny.
const MAX_INBOUND: usize = 16 * 1024;
/// Messages queued between a session and its socket writer. Small on
/// purpose: the real bound is [`Limits::buffer_bytes`].
const OUT_QUEUE: usize = 64;
/// Envelopes read per tick for highlights; a bigger burst is skipped over
/// (a wall cannot celebrate thousands of events at once anyway).
const MAX_HIGHLIGHT_SCAN: u64 = 2_000;
/// Competition standings are recomputed for lead changes at most this often.
const COMPETITION_CHECK: Duration = Duration::from_secs(1);

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
    /// Boards one socket may follow.
    pub max_subscriptions: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            buffer_bytes: 1024 * 1024,
            stuck: Duration::from_secs(10),
            ping_every: Duration::from_secs(15),
            max_subscriptions: 32,
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

async fn upgrade(State(api): State<Api>, ws: WebSocketUpgrade) -> Response {
    let hub = Hub::for_shared(&api.shared);
    // tungstenite's default buffers are 128 KiB each per socket; a thousand
    // wall screens would hold a quarter GiB of mostly empty buffers.
    ws.max_message_size(MAX_INBOUND)
        .max_frame_size(MAX_INBOUND)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(16 * 1024)
        .on_upgrade(move |socket| session(hub, socket))
}

// ---------------------------------------------------------------------------
// The hub: publishers and highlights shared by every session of one server.

/// Everything sessions of one server share. It lives while any socket is
/// open; the next socket after that starts a fresh one.
struct Hub {
    shared: Arc<Shared>,
    boards: Mutex<HashMap<BoardSpec, Weak<Publisher>>>,
    highlights: broadcast::Sender<Utf8Bytes>,
    follower: JoinHandle<()>,
    limits: Limits,
}

impl Drop for Hub {
    fn drop(&mut self) {
        self.follower.abort();
    }
}

/// Hubs by the `Shared` they serve. A registry rather than a field of
/// `Api`, so live push plugs into the router without touching its state.
type Registry = Mutex<Vec<(Weak<Shared>, Weak<Hub>)>>;

fn registry() -> &'static Registry {
    static HUBS: OnceLock<Registry> = OnceLock::new();
    HUBS.get_or_init(|| Mutex::new(Vec::new()))
}

impl Hub {
    fn for_shared(shared: &Arc<Shared>) -> Arc<Hub> {
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
        let hub = Arc::new(Hub {
            shared: shared.clone(),
            boards: Mutex::new(HashMap::new()),
            highlights: tx,
            follower,
            limits: Limits::from_env(),
        });
        hubs.push((Arc::downgrade(shared), Arc::downgrade(&hub)));
        hub
    }

    /// The publisher of `spec`, started if nobody follows it yet. `None`
    /// when the board does not exist (an unknown competition).
    fn publisher(&self, spec: &BoardSpec) -> Option<Arc<Publisher>> {
        let mut boards = self.boards.lock();
        boards.retain(|_, p| p.strong_count() > 0);
        if let Some(p) = boards.get(spec).and_then(Weak::upgrade) {
            return Some(p);
        }
        let (text, boundary) = render_frame(&self.shared, spec, Utc::now())?;
        let (tx, rx) = watch::channel(Utf8Bytes::from(text));
        let task = tokio::spawn(publish(self.shared.clone(), spec.clone(), tx, boundary));
        let p = Arc::new(Publisher { rx, task });
        boards.insert(spec.clone(), Arc::downgrade(&p));
        Some(p)
    }
}

/// One board's latest frame. Dropping the last handle stops its task.
struct Publisher {
    rx: watch::Receiver<Utf8Bytes>,
    task: JoinHandle<()>,
}

impl Drop for Publisher {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Renders and serializes a board, with the next instant at which it would
/// change without any event (the end of its window, a competition's start or
/// end).
fn render_frame(
    shared: &Shared,
    spec: &BoardSpec,
    now: DateTime<Utc>,
) -> Option<(String, Option<DateTime<Utc>>)> {
    let (frame, boundary) = {
        let p = shared.projection.read();
        (board::render(&p, spec, now)?, next_boundary(&p, spec, now))
    };
    serde_json::to_string(&frame)
        .ok()
        .map(|text| (text, boundary))
}

fn next_boundary(p: &Projection, spec: &BoardSpec, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    match &spec.kind {
        BoardKind::Competition(id) => {
            let c = p.competition(id)?;
            [c.start_us, c.end_us]
                .into_iter()
                .map(from_micros)
                .find(|t| *t > now)
        }
        _ => Window::containing(spec.window, now, p.tz).end,
    }
}

/// A publisher's loop: wait for a commit or a window boundary, wait out the
/// coalescing interval, render once, publish if it differs.
async fn publish(
    shared: Arc<Shared>,
    spec: BoardSpec,
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
        let Some((text, next)) = render_frame(&shared, &spec, Utc::now()) else {
            continue;
        };
        boundary = next;
        if tx.borrow().as_str() != text {
            tx.send_replace(Utf8Bytes::from(text));
            published = Instant::now();
        }
    }
}

// ---------------------------------------------------------------------------
// Highlights: short "celebrate this" frames derived from committed events.

async fn follow_highlights(shared: Arc<Shared>, tx: broadcast::Sender<Utf8Bytes>) {
    let mut changes = shared.changes.subscribe();
    let mut seen = *changes.borrow_and_update();
    let mut leaders = competition_leaders(&shared.projection.read());
    let mut check_due: Option<Instant> = None;
    loop {
        let due = check_due;
        tokio::select! {
            changed = changes.changed() => {
                if changed.is_err() {
                    return;
                }
                let committed = *changes.borrow_and_update();
                if committed <= seen {
                    continue;
                }
                let from = seen.max(committed.saturating_sub(MAX_HIGHLIGHT_SCAN));
                seen = committed;
                let envs: Vec<Envelope> = shared
                    .log
                    .read(from, committed)
                    .filter_map(Result::ok)
                    .collect();
                let mut frames = Vec::new();
                let mut scoring = false;
                {
                    let p = shared.projection.read();
                    for env in &envs {
                        scoring |= env.event.is_activity()
                            || matches!(
                                env.event,
                                Event::EventVoided { .. } | Event::CompetitionCreated { .. }
                            );
                        frames.extend(highlight(&p, env));
                    }
                }
                for f in frames {
                    let _ = tx.send(Utf8Bytes::from(f.to_string()));
                }
                if scoring && check_due.is_none() {
                    check_due = Some(Instant::now());
                }
            }
            _ = async { if let Some(at) = due { tokio::time::sleep_until(at).await } },
                if due.is_some() => {
                check_due = None;
                let (now, frames) = {
                    let p = shared.projection.read();
                    let now = competition_leaders(&p);
                    let frames = lead_changes(&p, &leaders, &now);
                    (now, frames)
                };
                leaders = now;
                for f in frames {
                    let _ = tx.send(Utf8Bytes::from(f.to_string()));
                }
                // Standings are a full rescore: never more than once a second.
                tokio::time::sleep(COMPETITION_CHECK).await;
            }
        }
    }
}

fn seller_json(p: &Projection, ix: u32) -> Value {
    match p.org.sellers.get(ix as usize) {
        Some(s) => {
            let division = p.org.divisions.get(s.division as usize);
            json!({"id": s.id, "name": s.name, "division": division.map(|d| d.name.as_str())})
        }
        None => Value::Null,
    }
}

fn seller_name(p: &Projection, id: &str) -> String {
    p.org
        .seller(id)
        .and_then(|ix| p.org.sellers.get(ix as usize))
        .map_or_else(|| id.to_string(), |s| s.name.clone())
}

/// Formats minor units as "450 000 SEK".
fn money(amount: i64, currency: &str) -> String {
    let whole = (amount / 100).to_string();
    let mut out = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 && c != '-' {
            out.push('\u{a0}');
        }
        out.push(c);
    }
    format!("{out} {currency}")
}

/// The highlight an envelope deserves, if any: an order from a
/// cross-division lead, a joint visit, a lead reported won.
fn highlight(p: &Projection, env: &Envelope) -> Option<Value> {
    let rec = p.facts.get((env.seq as usize).checked_sub(1)?)?;
    if rec.voided {
        return None;
    }
    let h = match (&env.event, &rec.fact) {
        (
            Event::OrderClosed {
                customer,
                amount,
                currency,
                ..
            },
            Fact::Order {
                seller,
                division,
                lead: Some((lead, giver_division)),
                ..
            },
        ) if giver_division != division => {
            let giver = p.org.leads.get(*lead as usize)?.giver;
            let (s, g) = (seller_json(p, *seller), seller_json(p, giver));
            json!({
                "kind": "cross_sell_order",
                "title": "Cross-sell order!",
                "text": format!("{} closed {} with {} from {}'s lead",
                    s["name"].as_str().unwrap_or("?"), money(*amount, currency), customer,
                    g["name"].as_str().unwrap_or("?")),
                "sellers": [s, g],
                "customer": customer,
                "amount": amount,
                "currency": currency,
            })
        }
        (
            Event::JointVisit {
                host,
                guests,
                customer,
            },
            _,
        ) => {
            let guests: Vec<String> = guests.iter().map(|g| seller_name(p, g)).collect();
            json!({
                "kind": "joint_visit",
                "title": "Joint visit",
                "text": format!("{} and {} visited {} together",
                    seller_name(p, host), guests.join(", "), customer),
                "customer": customer,
            })
        }
        (
            Event::LeadFeedback {
                lead,
                by,
                status: FeedbackStatus::Won,
                ..
            },
            _,
        ) => {
            let l = p.org.leads.get(p.org.lead(lead)? as usize)?;
            let giver = seller_json(p, l.giver);
            json!({
                "kind": "lead_won",
                "title": "Lead won!",
                "text": format!("{} won {}'s lead at {}",
                    seller_name(p, by), giver["name"].as_str().unwrap_or("?"), l.customer),
                "customer": l.customer,
            })
        }
        _ => return None,
    };
    let mut h = h;
    h["seq"] = env.seq.into();
    Some(json!({ "highlight": h }))
}

/// The sole leader (with points) of each running competition.
fn competition_leaders(p: &Projection) -> HashMap<String, Option<String>> {
    let now = Utc::now();
    p.competitions
        .iter()
        .filter(|c| competition::status(c, now) == competition::Status::Running)
        .map(|c| {
            let rows = competition::standings(p, c);
            let top = competition::winners(&rows);
            let leader = (top.len() == 1).then(|| top[0].id.clone());
            (c.id.clone(), leader)
        })
        .collect()
}

fn lead_changes(
    p: &Projection,
    before: &HashMap<String, Option<String>>,
    now: &HashMap<String, Option<String>>,
) -> Vec<Value> {
    let mut out = Vec::new();
    for (id, leader) in now {
        let Some(leader) = leader else { continue };
        if before.get(id).is_some_and(|b| b.as_ref() == Some(leader)) {
            continue;
        }
        let name = |d: &str| {
            p.org
                .division(d)
                .and_then(|ix| p.org.divisions.get(ix as usize))
                .map_or_else(|| d.to_string(), |d| d.name.clone())
        };
        let comp = p.competition(id).map_or(id.as_str(), |c| c.name.as_str());
        out.push(json!({"highlight": {
            "kind": "competition_lead",
            "title": "New leader!",
            "text": format!("{} takes the lead in {}", name(leader), comp),
            "competition": id,
            "leader": leader,
            "seq": p.seq(),
        }}));
    }
    out
}

// ---------------------------------------------------------------------------
// Sessions: one per socket.

struct Sub {
    spec: BoardSpec,
    rx: watch::Receiver<Utf8Bytes>,
    _publisher: Arc<Publisher>,
    /// A newer frame waits to be sent.
    dirty: bool,
}

struct Session {
    hub: Arc<Hub>,
    limits: Limits,
    out: mpsc::Sender<Message>,
    subs: Vec<Sub>,
    /// Bytes queued for the client so far, and how many of them its pongs
    /// have confirmed read.
    sent: u64,
    acked: u64,
    /// Unanswered pings: (id, `sent` when it was queued, when).
    pings: VecDeque<(u64, u64, Instant)>,
    next_ping: u64,
    /// Since when the client has been over its buffer.
    stuck_since: Option<Instant>,
    closed: bool,
}

async fn session(hub: Arc<Hub>, socket: WebSocket) {
    let _counted = crate::metrics::LiveSocket::open();
    let limits = hub.limits;
    let (sink, mut stream) = socket.split();
    let (out, out_rx) = mpsc::channel(OUT_QUEUE);
    let mut writer = tokio::spawn(write_socket(sink, out_rx, limits.stuck));
    let mut highlights = hub.highlights.subscribe();
    let mut s = Session {
        hub,
        limits,
        out,
        subs: Vec::new(),
        sent: 0,
        acked: 0,
        pings: VecDeque::new(),
        next_ping: 0,
        stuck_since: None,
        closed: false,
    };
    let mut changes: SelectAll<BoxStream<'static, usize>> = SelectAll::new();
    let mut keepalive =
        tokio::time::interval_at(Instant::now() + limits.ping_every, limits.ping_every);
    keepalive.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let reason = loop {
        let stuck_at = s.stuck_since.map(|t| t + limits.stuck);
        tokio::select! {
            msg = stream.next() => match msg {
                Some(Ok(Message::Text(text))) => s.on_text(&text, &mut changes),
                Some(Ok(Message::Pong(payload))) => s.on_pong(&payload),
                Some(Ok(Message::Binary(_))) => s.send_error(None, ApiError::bad_request(
                    "invalid_message", "send JSON text frames")),
                // axum answers pings itself.
                Some(Ok(Message::Ping(_))) => {}
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break None,
            },
            Some(i) = changes.next(), if !changes.is_empty() => {
                if let Some(sub) = s.subs.get_mut(i) {
                    if sub.dirty {
                        // The unsent frame is replaced by a newer one.
                        crate::metrics::frames_dropped(1);
                    }
                    sub.dirty = true;
                }
            }
            h = highlights.recv() => match h {
                // Highlights are of the moment: a congested client misses them.
                Ok(frame) => if !s.subs.is_empty() {
                    if s.congested() {
                        crate::metrics::frames_dropped(1);
                    } else {
                        s.send(Message::Text(frame));
                    }
                },
                Err(broadcast::error::RecvError::Lagged(n)) => crate::metrics::frames_dropped(n),
                Err(broadcast::error::RecvError::Closed) => break Some("server stopping"),
            },
            _ = keepalive.tick() => {
                if s.pings.front().is_some_and(|(_, _, at)| at.elapsed() > 2 * limits.ping_every) {
                    break Some("no pong");
                }
                s.ping();
            }
            _ = async { if let Some(at) = stuck_at { tokio::time::sleep_until(at).await } },
                if stuck_at.is_some() => break Some("too slow"),
        }
        s.flush();
        if s.closed {
            break None;
        }
        s.stuck_since = match (s.congested(), s.stuck_since) {
            (false, _) => None,
            (true, None) => Some(Instant::now()),
            (true, since) => since,
        };
    };
    if let Some(reason) = reason {
        tracing::debug!(reason, "closing live socket");
        let close = Message::Close(Some(CloseFrame {
            code: 1008,
            reason: Utf8Bytes::from_static(reason),
        }));
        if s.out.try_send(close).is_err() {
            writer.abort();
        }
    }
    drop(s);
    if tokio::time::timeout(Duration::from_secs(2), &mut writer)
        .await
        .is_err()
    {
        writer.abort();
    }
}

/// Writes queued messages to the socket; gives up on a socket that does not
/// take a message within `stuck`.
async fn write_socket(
    mut sink: SplitSink<WebSocket, Message>,
    mut rx: mpsc::Receiver<Message>,
    stuck: Duration,
) {
    let limit = stuck.max(Duration::from_secs(1));
    while let Some(msg) = rx.recv().await {
        let close = matches!(msg, Message::Close(_));
        match tokio::time::timeout(limit, sink.send(msg)).await {
            Ok(Ok(())) if !close => {}
            _ => return,
        }
    }
    let _ = tokio::time::timeout(limit, sink.close()).await;
}

impl Session {
    fn in_flight(&self) -> u64 {
        self.sent - self.acked
    }

    fn congested(&self) -> bool {
        self.in_flight() > self.limits.buffer_bytes || self.out.capacity() < 2
    }

    /// Queues a message; a full queue means the socket is not draining.
    fn send(&mut self, msg: Message) -> bool {
        let len = match &msg {
            Message::Text(t) => t.len() as u64,
            _ => 0,
        };
        match self.out.try_send(msg) {
            Ok(()) => {
                self.sent += len;
                if len > 0 {
                    crate::metrics::frames_sent(1);
                    self.ping();
                }
                true
            }
            Err(mpsc::error::TrySendError::Full(_)) => false,
            Err(mpsc::error::TrySendError::Closed(_)) => {
                self.closed = true;
                false
            }
        }
    }

    /// A ping whose pong confirms everything sent before it was read.
    fn ping(&mut self) {
        self.next_ping += 1;
        let payload = self.next_ping.to_be_bytes().to_vec();
        if self.out.try_send(Message::Ping(payload.into())).is_ok() {
            self.pings
                .push_back((self.next_ping, self.sent, Instant::now()));
        }
    }

    fn on_pong(&mut self, payload: &[u8]) {
        let Ok(id) = <[u8; 8]>::try_from(payload).map(u64::from_be_bytes) else {
            return;
        };
        while let Some(&(pid, sent, _)) = self.pings.front() {
            if pid > id {
                break;
            }
            self.acked = self.acked.max(sent);
            self.pings.pop_front();
        }
    }

    /// Sends the newest frame of every board that changed, while there is room.
    fn flush(&mut self) {
        for i in 0..self.subs.len() {
            if !self.subs[i].dirty || self.congested() || self.closed {
                continue;
            }
            let frame = self.subs[i].rx.borrow_and_update().clone();
            if self.send(Message::Text(frame)) {
                self.subs[i].dirty = false;
            }
        }
    }

    fn send_error(&mut self, subscribe: Option<&str>, e: ApiError) {
        let mut err = json!({"code": e.code, "message": e.message});
        if let Some(field) = e.field {
            err["field"] = field.into();
        }
        let mut frame = json!({ "error": err });
        if let Some(name) = subscribe {
            frame["subscribe"] = name.into();
        }
        self.send(Message::Text(Utf8Bytes::from(frame.to_string())));
    }

    fn on_text(&mut self, text: &str, changes: &mut SelectAll<BoxStream<'static, usize>>) {
        let msg: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                return self.send_error(
                    None,
                    ApiError::bad_request("invalid_json", format!("not valid JSON: {e}")),
                )
            }
        };
        let Some(name) = msg.get("subscribe").and_then(Value::as_str) else {
            return self.send_error(
                None,
                ApiError::bad_request(
                    "invalid_message",
                    r#"send {"subscribe": "sellers" | "divisions" | "competition:<id>", "window": "week"}"#,
                )
                .with_field("subscribe"),
            );
        };
        match self.subscribe(name, &msg, changes) {
            Ok(()) => {}
            Err(mut e) => {
                e.field.get_or_insert_with(|| "subscribe".into());
                self.send_error(Some(name), e)
            }
        }
    }

    fn subscribe(
        &mut self,
        name: &str,
        msg: &Value,
        changes: &mut SelectAll<BoxStream<'static, usize>>,
    ) -> Result<(), ApiError> {
        let mut q = HashMap::new();
        for key in ["window", "scoring"] {
            match msg.get(key) {
                None | Some(Value::Null) => {}
                Some(Value::String(v)) => {
                    q.insert(key.to_string(), v.clone());
                }
                Some(_) => {
                    return Err(ApiError::bad_request(
                        "invalid_message",
                        format!("{key} must be a string"),
                    )
                    .with_field(key))
                }
            }
        }
        let (window, _) = window_params(&q)?;
        let limit = match msg.get("limit") {
            None | Some(Value::Null) => LIVE_ROWS,
            Some(v) => v
                .as_u64()
                .filter(|n| *n > 0)
                .map(|n| n.min(MAX_LIVE_ROWS) as usize)
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "invalid_message",
                        "limit must be a whole number of rows, 1 or more",
                    )
                    .with_field("limit")
                })?,
        };
        let spec = BoardSpec {
            kind: board_kind(name, &q)?,
            window,
            limit: Some(limit),
        };
        if let Some(sub) = self.subs.iter_mut().find(|s| s.spec == spec) {
            // Asked again: answer again with the current board.
            sub.dirty = true;
            return Ok(());
        }
        if self.subs.len() >= self.limits.max_subscriptions {
            return Err(ApiError::bad_request(
                "too_many_subscriptions",
                format!(
                    "one socket follows at most {} boards",
                    self.limits.max_subscriptions
                ),
            ));
        }
        let publisher = self
            .hub
            .publisher(&spec)
            .ok_or_else(|| ApiError::not_found(format!("no board '{name}'")))?;
        let mut rx = publisher.rx.clone();
        rx.borrow_and_update();
        let idx = self.subs.len();
        let watcher = rx.clone();
        changes.push(
            futures_util::stream::unfold(watcher, move |mut rx| async move {
                rx.changed().await.ok()?;
                Some((idx, rx))
            })
            .boxed(),
        );
        self.subs.push(Sub {
            spec,
            rx,
            _publisher: publisher,
            dirty: true,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::money;

    #[test]
    fn money_groups_thousands() {
        assert_eq!(money(45_000_000, "SEK"), "450\u{a0}000 SEK");
        assert_eq!(money(99, "EUR"), "0 EUR");
        assert_eq!(money(123_456_789, "SEK"), "1\u{a0}234\u{a0}567 SEK");
    }
}
