//! Sessions: one per socket, forwarding the newest frame of each
//! subscribed board and counting the bytes the client has really read.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::stream::{BoxStream, SelectAll, SplitSink};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::{broadcast, mpsc, watch};
use tokio::time::Instant;

use crate::domain::board::{BoardKind, BoardSpec};
use crate::http::privacy::{scrubber, WallPrivacy};
use crate::http::query::{board_kind, window_params};
use crate::wire::error::ApiError;

use super::hub::{Hub, Publisher};
use super::{Limits, LIVE_ROWS, MAX_LIVE_ROWS, OUT_QUEUE};

pub(super) struct Sub {
    pub(super) spec: BoardSpec,
    /// Rows carry `day_move` (see `movement`).
    pub(super) day_move: bool,
    pub(super) rx: watch::Receiver<Utf8Bytes>,
    pub(super) _publisher: Arc<Publisher>,
    /// A newer frame waits to be sent.
    pub(super) dirty: bool,
}

pub(super) struct Session {
    pub(super) hub: Arc<Hub>,
    pub(super) limits: Limits,
    pub(super) out: mpsc::Sender<Message>,
    pub(super) subs: Vec<Sub>,
    /// Bytes queued for the client so far, and how many of them its pongs
    /// have confirmed read.
    pub(super) sent: u64,
    pub(super) acked: u64,
    /// Unanswered pings: (id, `sent` when it was queued, when).
    pub(super) pings: VecDeque<(u64, u64, Instant)>,
    pub(super) next_ping: u64,
    /// Since when the client has been over its buffer.
    pub(super) stuck_since: Option<Instant>,
    pub(super) closed: bool,
    /// What this socket may learn about people (`--wall-privacy`).
    pub(super) privacy: WallPrivacy,
    /// Subscribed to the activity feed (`{"subscribe": "feed"}`).
    pub(super) feed: bool,
}

pub(super) async fn session(hub: Arc<Hub>, socket: WebSocket, privacy: WallPrivacy) {
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
        privacy,
        feed: false,
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
                Ok(frame) => if s.wants(&frame) {
                    if s.congested() {
                        crate::metrics::frames_dropped(1);
                    } else {
                        let frame = s.scrub(frame);
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
pub(super) async fn write_socket(
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
    /// A highlight as this socket may see it. Rare (a few a minute), and
    /// the scrubber is shared, so each socket parsing its copy is cheap.
    fn scrub(&self, frame: Utf8Bytes) -> Utf8Bytes {
        if self.privacy == WallPrivacy::Names {
            return frame;
        }
        Utf8Bytes::from(scrubber(&self.hub.shared, self.privacy).frame(frame.as_str()))
    }

    /// Highlights go to every socket that follows a board; activity lines
    /// only to those that asked for the feed.
    fn wants(&self, frame: &Utf8Bytes) -> bool {
        if frame.as_str().starts_with("{\"activity\"") {
            self.feed
        } else {
            !self.subs.is_empty() || self.feed
        }
    }

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
        if name == "feed" {
            // The latest lines at once, then one `activity` frame each.
            self.feed = true;
            let recent: Vec<Value> = self.hub.recent.lock().iter().cloned().collect();
            let frame = Utf8Bytes::from(json!({ "feed": recent }).to_string());
            let frame = self.scrub(frame);
            self.send(Message::Text(frame));
            return Ok(());
        }
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
        // Zeros are counted, not sent, unless asked: on a quiet Monday they
        // are nearly every seller, in every frame, to every screen.
        let zeros = match msg.get("zeros") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                return Err(
                    ApiError::bad_request("invalid_message", "zeros must be true or false")
                        .with_field("zeros"),
                )
            }
        };
        let day_move = match msg.get("day_move") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                return Err(ApiError::bad_request(
                    "invalid_message",
                    "day_move must be true or false",
                )
                .with_field("day_move"))
            }
        };
        let kind = board_kind(name, &q)?;
        let spec = BoardSpec {
            // Division boards list every division either way: one publisher.
            zeros: zeros || !matches!(kind, BoardKind::Sellers),
            kind,
            window,
            limit: Some(limit),
        };
        if let Some(sub) = self
            .subs
            .iter_mut()
            .find(|s| s.spec == spec && s.day_move == day_move)
        {
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
            .publisher(&spec, self.privacy, day_move)
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
            day_move,
            rx,
            _publisher: publisher,
            dirty: true,
        });
        Ok(())
    }
}
