//! Webhooks against a real local receiver that fails first and then
//! succeeds: the celebration is retried, delivered, and the attempts are
//! visible to leaders; registrations survive a restart.

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use common::{client, get, post as post_json, Server};
use parking_lot::Mutex;
use serde_json::{json, Value};

#[derive(Default)]
struct Receiver {
    calls: u32,
    texts: Vec<String>,
}

/// A receiver on 127.0.0.1 that answers 500 to its first call, then 200.
async fn receiver() -> (String, Arc<Mutex<Receiver>>) {
    let state = Arc::new(Mutex::new(Receiver::default()));
    async fn hook(State(s): State<Arc<Mutex<Receiver>>>, Json(body): Json<Value>) -> StatusCode {
        let mut s = s.lock();
        s.calls += 1;
        if s.calls == 1 {
            return StatusCode::INTERNAL_SERVER_ERROR;
        }
        s.texts
            .push(body["text"].as_str().unwrap_or_default().to_string());
        StatusCode::OK
    }
    let app = Router::new()
        .route("/hooks/secret-path", post(hook))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/hooks/secret-path"), state)
}

async fn wait_for(state: &Arc<Mutex<Receiver>>, n: usize) -> Vec<String> {
    for _ in 0..400 {
        {
            let s = state.lock();
            if s.texts.len() >= n {
                return s.texts.clone();
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the receiver got {:?}", state.lock().texts);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn celebrations_are_retried_delivered_and_visible() {
    let (url, state) = receiver().await;
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    // The receiver is on 127.0.0.1, which webhooks may only reach when
    // private targets are allowed (tests/webhooks_safety.rs: refused otherwise).
    let env = [
        ("CROSSBOARD_WEBHOOK_BACKOFF_MS", "50"),
        ("CROSSBOARD_WEBHOOK_ALLOW_PRIVATE", "true"),
    ];
    let s = Server::start_with(&data, &[], &env);
    let c = client();
    let hooks = s.url("/api/v1/webhooks");

    let (code, v) = post_json(&c, &hooks, &json!({"url": "ftp://x/y"})).await;
    assert_eq!(
        (code, v["error"]["field"].clone()),
        (422, json!("url")),
        "{v}"
    );
    let (code, v) = post_json(&c, &hooks, &json!({"url": url, "kinds": ["fireworks"]})).await;
    assert_eq!(
        (code, v["error"]["field"].clone()),
        (422, json!("kinds[0]")),
        "{v}"
    );
    let (code, created) = post_json(
        &c,
        &hooks,
        &json!({"url": url, "kinds": ["order_from_lead", "competition_won"]}),
    )
    .await;
    assert_eq!(code, 201, "{created}");
    let id = created["id"].as_str().expect("id").to_string();

    let ev = s.url("/api/v1/events");
    let now = chrono::Utc::now();
    for body in [
        json!({"type": "division_created", "data": {"id": "energy", "name": "Energy"}}),
        json!({"type": "division_created", "data": {"id": "service", "name": "Service"}}),
        json!({"type": "seller_joined", "occurred_at": (now - chrono::Duration::days(2)).to_rfc3339(), "data": {"id": "lars", "name": "Lars Persson", "division": "energy"}}),
        json!({"type": "seller_joined", "occurred_at": (now - chrono::Duration::days(2)).to_rfc3339(), "data": {"id": "ida", "name": "Ida Larsson", "division": "service"}}),
        json!({"type": "lead_given", "data": {"lead": "L1", "from": "lars", "to_division": "service", "customer": "Volvo Cars"}}),
        json!({"type": "order_closed", "data": {"order": "O1", "seller": "ida", "customer": "Volvo Cars", "amount": 45_000_000, "currency": "SEK", "lead": "L1"}}),
        // Not subscribed to: must not be posted.
        json!({"type": "lead_feedback", "data": {"lead": "L1", "by": "ida", "status": "won"}}),
    ] {
        let (code, v) = post_json(&c, &ev, &body).await;
        assert_eq!(code, 201, "{body} → {v}");
    }
    let texts = wait_for(&state, 1).await;
    assert!(texts[0].contains("Ida Larsson"), "{texts:?}");
    assert!(texts[0].contains("Lars Persson"), "{texts:?}");
    assert!(texts[0].contains("450 000 SEK"), "{texts:?}");

    let (code, v) = post_json(
        &c,
        &s.url("/api/v1/competitions"),
        &json!({"id": "q", "name": "Quarter Cup", "start": (now - chrono::Duration::days(1)).to_rfc3339(),
                "end": (now + chrono::Duration::days(30)).to_rfc3339(), "divisions": ["energy", "service"]}),
    )
    .await;
    assert_eq!(code, 201, "{v}");
    let (code, v) = post_json(&c, &s.url("/api/v1/competitions/q/close"), &json!({})).await;
    assert_eq!(code, 200, "{v}");
    let texts = wait_for(&state, 2).await;
    assert!(
        texts[1].contains("Quarter Cup") && texts[1].contains("won"),
        "{texts:?}"
    );
    assert_eq!(texts.len(), 2, "lead_won was not subscribed: {texts:?}");

    // The receiver has the text before the sender has its answer, so the
    // status may trail the receiver by a moment: wait for it (bounded).
    let mut list = Value::Null;
    for _ in 0..100 {
        let (code, l) = get(&c, &hooks).await;
        assert_eq!(code, 200);
        list = l;
        if list["webhooks"][0]["status"]["pending"] == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let st = &list["webhooks"][0]["status"];
    assert_eq!(st["delivered"], 2, "{list}");
    assert_eq!(st["failed"], 0, "{list}");
    assert_eq!(st["pending"], 0, "{list}");
    let recent = st["recent"].as_array().expect("recent");
    assert_eq!(recent[0]["outcome"], "retrying", "{list}");
    assert_eq!(recent[0]["http_status"], 500, "{list}");
    assert_eq!(recent[1]["outcome"], "delivered", "{list}");
    assert_eq!(recent[1]["attempt"], 2, "{list}");
    assert_eq!(state.lock().calls, 3);

    // The URL (a secret) is never logged.
    assert!(s.terminate().success());
    let log = std::fs::read_to_string(data.with_extension("stderr.log")).expect("log");
    assert!(!log.contains("secret-path"), "{log}");

    // Registrations survive a restart; delete removes them for good.
    let s = Server::start_with(&data, &[], &env);
    let (_, list) = get(&c, &s.url("/api/v1/webhooks")).await;
    assert_eq!(list["webhooks"][0]["id"], id.as_str(), "{list}");
    let r = c
        .delete(s.url(&format!("/api/v1/webhooks/{id}")))
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status().as_u16(), 204);
    let r = c
        .delete(s.url(&format!("/api/v1/webhooks/{id}")))
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status().as_u16(), 404);
    let (_, list) = get(&c, &s.url("/api/v1/webhooks")).await;
    assert_eq!(list["webhooks"], json!([]));
}

/// `(path, text)` of every message a [`recorder`] got.
type Got = Arc<Mutex<Vec<(String, String)>>>;

/// A receiver on 127.0.0.1 that records `(path, text)` for any path, so
/// several webhooks can share it and each be told apart.
async fn recorder() -> (String, Got) {
    let got = Arc::new(Mutex::new(Vec::new()));
    async fn hook(
        State(s): State<Got>,
        axum::extract::Path(path): axum::extract::Path<String>,
        Json(body): Json<Value>,
    ) -> StatusCode {
        let text = body["text"].as_str().unwrap_or_default().to_string();
        s.lock().push((path, text));
        StatusCode::OK
    }
    let app = Router::new()
        .route("/{*path}", post(hook))
        .with_state(got.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), got)
}

/// The texts `path` received, once `done` holds for them (bounded wait).
async fn texts_of(got: &Got, path: &str, done: impl Fn(&[String]) -> bool) -> Vec<String> {
    let of = || -> Vec<String> {
        got.lock()
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, t)| t.clone())
            .collect()
    };
    for _ in 0..400 {
        let texts = of();
        if done(&texts) {
            return texts;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{path} got {:?}", of());
}

/// A fixed-offset zone in which it is now around midday, so "the digest is
/// due from HH:MM, the local time now" cannot straddle a local midnight
/// while the test runs; and the local time now as HH:MM.
fn midday_zone() -> (String, String) {
    use chrono::Timelike;
    let now = chrono::Utc::now();
    let offset = 12 - now.hour() as i32;
    // POSIX names count the other way: Etc/GMT-3 is UTC+3.
    let zone = match offset {
        0 => "Etc/GMT".to_string(),
        o if o > 0 => format!("Etc/GMT-{o}"),
        o => format!("Etc/GMT+{}", -o),
    };
    let local = now + chrono::Duration::hours(i64::from(offset));
    (zone, local.format("%H:%M").to_string())
}

fn count(texts: &[String], needle: &str) -> usize {
    texts.iter().filter(|t| t.contains(needle)).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nudges_reach_the_division_and_the_digest_goes_out_once_a_day() {
    let (base, got) = recorder().await;
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    let (zone, now_local) = midday_zone();
    let env = [
        ("CROSSBOARD_WEBHOOK_BACKOFF_MS", "50"),
        ("CROSSBOARD_WEBHOOK_ALLOW_PRIVATE", "true"),
    ];
    let quiet = ["--tz", zone.as_str(), "--feedback-digest-at", "off"];
    let s = Server::start_with(&data, &quiet, &env);
    let c = client();
    let ev = s.url("/api/v1/events");
    let now = chrono::Utc::now();
    let ago = |days: i64| (now - chrono::Duration::days(days)).to_rfc3339();
    for body in [
        json!({"type": "division_created", "data": {"id": "energy", "name": "Energy"}}),
        json!({"type": "division_created", "data": {"id": "service", "name": "Service"}}),
        json!({"type": "division_created", "data": {"id": "retail", "name": "Retail"}}),
        json!({"type": "seller_joined", "occurred_at": ago(10), "data": {"id": "lars", "name": "Lars Persson", "division": "energy"}}),
        json!({"type": "seller_joined", "occurred_at": ago(10), "data": {"id": "ida", "name": "Ida Larsson", "division": "service"}}),
        json!({"type": "seller_joined", "occurred_at": ago(10), "data": {"id": "rita", "name": "Rita <!here>", "division": "retail"}}),
    ] {
        let (code, v) = post_json(&c, &ev, &body).await;
        assert_eq!(code, 201, "{body} → {v}");
    }
    let hooks = s.url("/api/v1/webhooks");
    let (code, v) = post_json(
        &c,
        &hooks,
        &json!({"url": format!("{base}/x"), "kinds": ["lead_received"], "division": "nowhere"}),
    )
    .await;
    assert_eq!(
        (code, v["error"]["field"].clone()),
        (422, json!("division")),
        "{v}"
    );
    let (code, v) = post_json(
        &c,
        &hooks,
        &json!({"url": format!("{base}/service"), "kinds": ["lead_received", "feedback_overdue"], "division": "service"}),
    )
    .await;
    assert_eq!(code, 201, "{v}");
    assert_eq!(v["division"], "service", "{v}");
    let (code, v) = post_json(
        &c,
        &hooks,
        &json!({"url": format!("{base}/all"), "kinds": ["lead_received", "feedback_overdue"]}),
    )
    .await;
    assert_eq!(code, 201, "{v}");
    // Without kinds: the celebrations only, not the nudges.
    let (code, v) = post_json(&c, &hooks, &json!({"url": format!("{base}/plain")})).await;
    assert_eq!(code, 201, "{v}");
    assert!(
        !v["kinds"]
            .as_array()
            .expect("kinds")
            .contains(&json!("lead_received")),
        "{v}"
    );

    for body in [
        // Overdue by the time of the digest (default SLA 48 h): one for
        // service, one for retail; a fresh one for service that is not.
        json!({"type": "lead_given", "occurred_at": ago(3), "data": {"lead": "L1", "from": "lars", "to_division": "service", "customer": "Volvo Cars"}}),
        json!({"type": "lead_given", "occurred_at": ago(3), "data": {"lead": "L2", "from": "lars", "to_division": "retail", "to_seller": "rita", "customer": "Scania"}}),
        json!({"type": "lead_given", "data": {"lead": "L3", "from": "rita", "to_division": "service", "to_seller": "ida", "customer": "Ikea <b>"}}),
        json!({"type": "lead_given", "data": {"lead": "L4", "from": "ida", "to_division": "energy", "customer": "Saab"}}),
    ] {
        let (code, v) = post_json(&c, &ev, &body).await;
        assert_eq!(code, 201, "{body} → {v}");
    }
    let service = texts_of(&got, "service", |t| t.len() >= 2).await;
    assert!(
        service[0].contains("New lead for Service") && service[0].contains("Volvo Cars"),
        "{service:?}"
    );
    assert!(service[0].contains("claim it"), "unnamed lead: {service:?}");
    assert!(
        service[1].contains("Ikea &lt;b&gt;") && service[1].contains("Rita &lt;!here&gt;"),
        "{service:?}"
    );
    let all = texts_of(&got, "all", |t| t.len() >= 4).await;
    assert_eq!(count(&all, "Scania"), 1, "{all:?}");
    assert_eq!(count(&all, "Saab"), 1, "{all:?}");
    // Every message for L4 was queued when `all` got it; once nothing is
    // pending anywhere, whatever `service` got is all it will get.
    for _ in 0..400 {
        let (_, list) = get(&c, &hooks).await;
        let hooks = list["webhooks"].as_array().cloned().unwrap_or_default();
        if hooks.iter().all(|h| h["status"]["pending"] == 0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let service = texts_of(&got, "service", |_| true).await;
    assert_eq!(
        service.len(),
        2,
        "other divisions' leads leaked: {service:?}"
    );
    assert!(texts_of(&got, "plain", |_| true).await.is_empty());
    assert!(s.terminate().success());

    // With the digest due from the local time now: it goes out at start.
    let due = [
        "--tz",
        zone.as_str(),
        "--feedback-digest-at",
        now_local.as_str(),
    ];
    let s = Server::start_with(&data, &due, &env);
    let service = texts_of(&got, "service", |t| count(t, "Feedback overdue") == 1).await;
    let digest = service
        .iter()
        .find(|t| t.contains("Feedback overdue"))
        .expect("digest");
    assert!(
        digest.contains("1 lead waiting") && digest.contains("Volvo Cars"),
        "{digest}"
    );
    assert!(digest.contains("nobody has claimed it"), "{digest}");
    assert!(
        !digest.contains("Scania") && !digest.contains("Ikea"),
        "{digest}"
    );
    let all = texts_of(&got, "all", |t| count(t, "Feedback overdue") == 1).await;
    let digest = all
        .iter()
        .find(|t| t.contains("Feedback overdue"))
        .expect("digest");
    assert!(digest.contains("2 leads waiting"), "{digest}");
    assert!(
        digest.contains("*Service*: 1 overdue") && digest.contains("*Retail*: 1 overdue"),
        "{digest}"
    );
    assert!(
        digest.contains("Scania") && digest.contains("(Rita &lt;!here&gt;)"),
        "{digest}"
    );
    assert!(
        !digest.contains("Ikea") && !digest.contains("Saab"),
        "not overdue: {digest}"
    );
    assert!(s.terminate().success());

    // Restarted the same day: no second digest. Messages to one webhook
    // keep their order and each round of the follower queues a due digest
    // before that round's events, so once the new lead's message is in, a
    // duplicate would be too.
    let s = Server::start_with(&data, &due, &env);
    let body = json!({"type": "lead_given", "data": {"lead": "L5", "from": "lars", "to_division": "service", "customer": "Ericsson"}});
    let (code, v) = post_json(&c, &s.url("/api/v1/events"), &body).await;
    assert_eq!(code, 201, "{v}");
    for path in ["service", "all"] {
        let texts = texts_of(&got, path, |t| count(t, "Ericsson") == 1).await;
        assert_eq!(count(&texts, "Feedback overdue"), 1, "{path}: {texts:?}");
    }
}
