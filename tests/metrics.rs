//! `/metrics` serves Prometheus text whose counters move with appends, and
//! `--log-json` logs structured lines that hold neither secrets nor bodies.

mod common;

use common::{client, post, Server};
use serde_json::json;

async fn scrape(c: &reqwest::Client, s: &Server) -> String {
    let r = c.get(s.url("/metrics")).send().await.expect("scrape");
    assert_eq!(r.status().as_u16(), 200);
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(ct.starts_with("text/plain"), "{ct}");
    r.text().await.expect("text")
}

/// The value of one sample, by its full name with labels.
fn sample(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| {
            let (k, v) = l.rsplit_once(' ')?;
            (k == name).then(|| v.parse().ok())?
        })
        .unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_are_present_and_move_after_appends() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::start(&tmp.path().join("data"));
    let c = client();
    let before = scrape(&c, &s).await;
    for name in [
        "crossboard_append_latency_seconds_bucket",
        "crossboard_batch_size_events_bucket",
        "crossboard_flushes_total",
        "crossboard_log_size_bytes",
        "crossboard_replay_seconds",
        "crossboard_replay_events",
        "crossboard_committed_seq",
        "crossboard_live_sockets",
        "crossboard_live_frames_coalesced_total",
        "crossboard_live_frames_dropped_total",
    ] {
        assert!(before.contains(name), "{name} missing from\n{before}");
    }
    assert!(sample(&before, "crossboard_log_size_bytes") > 0.0);

    let ev = s.url("/api/v1/events");
    for body in [
        json!({"type": "division_created", "data": {"id": "n", "name": "North"}}),
        json!({"type": "division_created", "data": {"id": "s", "name": "South"}}),
        json!({"type": "seller_joined", "data": {"id": "a", "name": "A", "division": "n"}}),
    ] {
        assert_eq!(post(&c, &ev, &body).await.0, 201);
    }
    let bad = json!({"type": "seller_joined", "data": {"id": "b", "name": "B", "division": "x"}});
    assert_eq!(post(&c, &ev, &bad).await.0, 422);
    let worse = json!({"type": "seller_joined", "data": {"id": "b", "name": "B"}});
    assert_eq!(post(&c, &ev, &worse).await.0, 422);

    let after = scrape(&c, &s).await;
    let moved = |name: &str| sample(&after, name) - sample(&before, name);
    assert_eq!(
        moved("crossboard_events_appended_total{type=\"division_created\"}"),
        2.0
    );
    assert_eq!(
        moved("crossboard_events_appended_total{type=\"seller_joined\"}"),
        1.0
    );
    assert_eq!(
        moved("crossboard_events_rejected_total{code=\"unknown_division\"}"),
        1.0
    );
    assert_eq!(
        moved("crossboard_events_rejected_total{code=\"missing_field\"}"),
        1.0
    );
    assert!(moved("crossboard_flushes_total") >= 1.0);
    assert!(moved("crossboard_batch_size_events_count") >= 1.0);
    assert_eq!(moved("crossboard_append_latency_seconds_count"), 4.0);
    assert_eq!(sample(&after, "crossboard_committed_seq"), 3.0);
    assert!(moved("crossboard_http_responses_total{status=\"201\"}") >= 3.0);
}

#[tokio::test]
async fn json_logs_hold_no_secrets_or_bodies() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    let secret = "s3cret-leader-token-for-logs";
    let s = Server::start_with(
        &data,
        &["--log-json"],
        &[
            ("CROSSBOARD_LEADER_TOKEN", secret),
            ("CROSSBOARD_LOG", "debug"),
        ],
    );
    let c = client();
    let body =
        json!({"type": "division_created", "data": {"id": "n", "name": "Very Private Division"}});
    let r = c
        .post(s.url("/api/v1/events"))
        .bearer_auth(secret)
        .json(&body)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 201);
    assert!(s.terminate().success());
    let log = std::fs::read_to_string(data.with_extension("stderr.log")).expect("log");
    assert!(log.lines().count() >= 3, "{log}");
    for line in log.lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(v["level"].is_string(), "{line}");
    }
    assert!(log.contains("/api/v1/events"), "requests are logged: {log}");
    assert!(!log.contains(secret), "{log}");
    assert!(!log.contains("Very Private Division"), "{log}");
}

#[tokio::test]
async fn live_sockets_and_frames_are_counted() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::start(&tmp.path().join("data"));
    let c = client();
    let before = scrape(&c, &s).await;
    let url = s.url("/api/v1/live").replacen("http", "ws", 1);
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("connect");
    ws.send(Message::text(
        r#"{"subscribe": "sellers", "window": "week"}"#,
    ))
    .await
    .expect("subscribe");
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(_))) => break,
            Some(Ok(_)) => continue,
            other => panic!("no frame: {other:?}"),
        }
    }
    let open = scrape(&c, &s).await;
    assert_eq!(sample(&open, "crossboard_live_sockets"), 1.0, "{open}");
    assert!(
        sample(&open, "crossboard_live_frames_sent_total")
            > sample(&before, "crossboard_live_frames_sent_total")
    );
    drop(ws);
    for _ in 0..100 {
        if sample(&scrape(&c, &s).await, "crossboard_live_sockets") == 0.0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the socket was never counted down");
}
