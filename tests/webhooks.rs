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
