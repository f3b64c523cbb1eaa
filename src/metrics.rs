//! Prometheus metrics, served as text at `GET /metrics`.
//!
//! One process-wide set of collectors behind plain functions, so the writer,
//! the live socket and the webhook sender record what they do with one call
//! and no handle to thread through. Everything is a counter, gauge or
//! histogram of the `prometheus` crate: lock-free atomics, cheap enough for
//! the writer's hot loop. Gauges that mirror state (committed seq, log size)
//! are read at scrape time instead of being kept up to date.
//!
//! Labels are bounded sets (event types, error codes, outcomes), never ids,
//! so the series count cannot grow with the data.
//!
//! A registry only: it imports nothing of the crate, so every layer (the
//! writer included) may record into it. `GET /metrics` is the HTTP ring's.

use std::sync::LazyLock;

use prometheus::{
    Encoder, Gauge, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};

struct Metrics {
    registry: Registry,
    appended: IntCounterVec,
    rejected: IntCounterVec,
    append_latency: Histogram,
    batch_size: Histogram,
    flushes: IntCounter,
    flush_seconds: Histogram,
    committed_seq: IntGauge,
    log_bytes: IntGauge,
    replay_seconds: Gauge,
    replay_events: IntGauge,
    live_sockets: IntGauge,
    frames_sent: IntCounter,
    frames_coalesced: IntCounter,
    frames_dropped: IntCounter,
    webhook_deliveries: IntCounterVec,
    http_responses: IntCounterVec,
}

/// Builds and registers every collector. The names are constants, so
/// construction cannot fail at run time (the unit test below builds them
/// all); `expect` here guards programming errors, not input.
fn build() -> Metrics {
    let registry =
        Registry::new_custom(Some("crossboard".into()), None).expect("a valid metrics prefix");
    fn reg<C: prometheus::core::Collector + Clone + 'static>(r: &Registry, c: C) -> C {
        if let Err(e) = r.register(Box::new(c.clone())) {
            tracing::error!(error = %e, "metric not registered");
        }
        c
    }
    fn counter_vec(name: &str, help: &str, label: &str) -> IntCounterVec {
        IntCounterVec::new(Opts::new(name, help), &[label]).expect("a valid metric")
    }
    fn histogram(name: &str, help: &str, start: f64, count: usize) -> Histogram {
        let buckets =
            prometheus::exponential_buckets(start, 2.0, count).expect("valid metric buckets");
        Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets))
            .expect("a valid metric")
    }
    fn counter(name: &str, help: &str) -> IntCounter {
        IntCounter::new(name, help).expect("a valid metric")
    }
    fn gauge(name: &str, help: &str) -> IntGauge {
        IntGauge::new(name, help).expect("a valid metric")
    }
    let r = &registry;
    Metrics {
        appended: reg(
            r,
            counter_vec(
                "events_appended_total",
                "Events appended to the log (flushed), by type.",
                "type",
            ),
        ),
        rejected: reg(
            r,
            counter_vec(
                "events_rejected_total",
                "Events refused by validation or the writer, by error code.",
                "code",
            ),
        ),
        append_latency: reg(
            r,
            histogram(
                "append_latency_seconds",
                "Time from queuing an append to its answer (validation, group commit, flush).",
                0.000_05,
                16,
            ),
        ),
        batch_size: reg(
            r,
            histogram(
                "batch_size_events",
                "Events per group commit (one flush each).",
                1.0,
                13,
            ),
        ),
        flushes: reg(
            r,
            counter("flushes_total", "Group commits flushed to disk."),
        ),
        flush_seconds: reg(
            r,
            histogram(
                "flush_seconds",
                "Time to write and flush one batch.",
                0.000_05,
                16,
            ),
        ),
        committed_seq: reg(r, gauge("committed_seq", "Highest seq on disk.")),
        log_bytes: reg(
            r,
            gauge("log_size_bytes", "Size of the sled data dir on disk."),
        ),
        replay_seconds: reg(
            r,
            Gauge::new("replay_seconds", "Duration of the replay at start-up.")
                .expect("a valid metric"),
        ),
        replay_events: reg(
            r,
            gauge("replay_events", "Events folded by the replay at start-up."),
        ),
        live_sockets: reg(r, gauge("live_sockets", "Open live websockets.")),
        frames_sent: reg(
            r,
            counter(
                "live_frames_sent_total",
                "Board and highlight frames sent to live sockets.",
            ),
        ),
        frames_coalesced: reg(
            r,
            counter(
                "live_frames_coalesced_total",
                "Board changes folded into a later frame (at most one frame per board per 100 ms).",
            ),
        ),
        frames_dropped: reg(
            r,
            counter(
                "live_frames_dropped_total",
                "Frames a slow client skipped (it gets the newest board instead).",
            ),
        ),
        webhook_deliveries: reg(
            r,
            counter_vec(
                "webhook_deliveries_total",
                "Webhook delivery attempts, by outcome (delivered, retry, failed).",
                "outcome",
            ),
        ),
        http_responses: reg(
            r,
            counter_vec(
                "http_responses_total",
                "HTTP responses, by status code.",
                "status",
            ),
        ),
        registry,
    }
}

static METRICS: LazyLock<Metrics> = LazyLock::new(build);

/// An event was appended (and flushed).
pub fn event_appended(event_type: &str) {
    METRICS.appended.with_label_values(&[event_type]).inc();
}

/// An event was refused, by validation or by the writer.
pub fn event_rejected(code: &str) {
    METRICS.rejected.with_label_values(&[code]).inc();
}

/// One append answered after `seconds` in the writer's queue and commit.
pub fn append_latency(seconds: f64) {
    METRICS.append_latency.observe(seconds);
}

/// One group commit of `events` flushed in `seconds`.
pub fn batch_flushed(events: usize, seconds: f64) {
    METRICS.flushes.inc();
    METRICS.batch_size.observe(events as f64);
    METRICS.flush_seconds.observe(seconds);
}

/// The start-up replay folded `events` in `seconds`.
pub fn replayed(events: u64, seconds: f64) {
    METRICS.replay_events.set(events as i64);
    METRICS.replay_seconds.set(seconds);
}

/// Counts one open live socket for as long as it is alive: create it when
/// the socket opens and let it drop when the session ends, however it ends.
#[must_use = "the socket is counted only while this guard lives"]
pub struct LiveSocket(());

impl LiveSocket {
    pub fn open() -> LiveSocket {
        METRICS.live_sockets.inc();
        LiveSocket(())
    }
}

impl Drop for LiveSocket {
    fn drop(&mut self) {
        METRICS.live_sockets.dec();
    }
}

/// `n` frames were sent to a live socket.
pub fn frames_sent(n: u64) {
    METRICS.frames_sent.inc_by(n);
}

/// `n` board changes were folded into a later frame (coalescing).
pub fn frames_coalesced(n: u64) {
    METRICS.frames_coalesced.inc_by(n);
}

/// `n` frames were skipped for a slow client.
pub fn frames_dropped(n: u64) {
    METRICS.frames_dropped.inc_by(n);
}

/// A webhook delivery attempt ended with `outcome` (delivered, retry, failed).
pub fn http_response(status: &str) {
    METRICS.http_responses.with_label_values(&[status]).inc();
}

pub fn webhook_delivery(outcome: &str) {
    METRICS
        .webhook_deliveries
        .with_label_values(&[outcome])
        .inc();
}

/// The metrics in Prometheus text format, with the state gauges as the
/// caller read them now (this registry knows nothing of the writer).
pub fn render(committed_seq: u64, log_bytes: u64) -> String {
    let m = &*METRICS;
    m.committed_seq.set(committed_seq as i64);
    m.log_bytes.set(log_bytes as i64);
    let mut out = Vec::new();
    if let Err(e) = TextEncoder::new().encode(&m.registry.gather(), &mut out) {
        tracing::error!(error = %e, "cannot encode metrics");
    }
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_collector_registers() {
        let m = super::build();
        // A vec only shows once it has a child.
        m.appended.with_label_values(&["x"]).inc();
        m.rejected.with_label_values(&["x"]).inc();
        m.webhook_deliveries.with_label_values(&["x"]).inc();
        m.http_responses.with_label_values(&["200"]).inc();
        assert_eq!(m.registry.gather().len(), 16);
    }
}
