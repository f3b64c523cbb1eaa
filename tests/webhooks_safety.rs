//! What a webhook may not do: reach private addresses (refused at
//! registration, and at delivery after DNS), follow a redirect, or carry
//! Slack markup typed into a name.

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::header::LOCATION;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use common::{client, get, post as post_json, Server};
use parking_lot::Mutex;
use serde_json::{json, Value};

/// Every request a receiver got: (path, the `text` of its JSON body).
type Hits = Arc<Mutex<Vec<(String, String)>>>;

/// A receiver on 127.0.0.1 that records every request; `/redirect`
/// answers 302 to `/target`, everything else 200. Returns its base URL.
async fn receiver() -> (String, Hits) {
    let hits: Hits = Arc::default();
    async fn any(State(h): State<Hits>, uri: Uri, body: String) -> Response {
        let text = serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|v| v["text"].as_str().map(str::to_string))
            .unwrap_or_default();
        h.lock().push((uri.path().to_string(), text));
        if uri.path() == "/redirect" {
            return (StatusCode::FOUND, [(LOCATION, "/target")]).into_response();
        }
        StatusCode::OK.into_response()
    }
    let app = Router::new().fallback(any).with_state(hits.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), hits)
}

const ALLOW: (&str, &str) = ("CROSSBOARD_WEBHOOK_ALLOW_PRIVATE", "true");
const FAST: (&str, &str) = ("CROSSBOARD_WEBHOOK_BACKOFF_MS", "20");

async fn register(s: &Server, url: &str) -> (u16, Value) {
    post_json(&client(), &s.url("/api/v1/webhooks"), &json!({"url": url})).await
}

/// An organisation and an order from a cross-division lead (an
/// `order_from_lead` celebration), with names chosen by the caller.
async fn celebrate(s: &Server, seller: &str, giver: &str, customer: &str) {
    let c = client();
    let joined = (chrono::Utc::now() - chrono::Duration::days(2)).to_rfc3339();
    for body in [
        json!({"type": "division_created", "data": {"id": "energy", "name": "Energy"}}),
        json!({"type": "division_created", "data": {"id": "service", "name": "Service"}}),
        json!({"type": "seller_joined", "occurred_at": joined, "data": {"id": "lars", "name": giver, "division": "energy"}}),
        json!({"type": "seller_joined", "occurred_at": joined, "data": {"id": "ida", "name": seller, "division": "service"}}),
        json!({"type": "lead_given", "data": {"lead": "L1", "from": "lars", "to_division": "service", "customer": customer, "note": "<!here>"}}),
        json!({"type": "order_closed", "data": {"order": "O1", "seller": "ida", "customer": customer, "amount": 45_000_000, "currency": "SEK", "lead": "L1"}}),
    ] {
        let (code, v) = post_json(&c, &s.url("/api/v1/events"), &body).await;
        assert_eq!(code, 201, "{body} → {v}");
    }
}

/// Every webhook's status once none has anything pending (bounded wait).
async fn settled(s: &Server) -> Vec<Value> {
    let c = client();
    let mut last = Value::Null;
    for _ in 0..200 {
        let (code, list) = get(&c, &s.url("/api/v1/webhooks")).await;
        assert_eq!(code, 200, "{list}");
        let hooks = list["webhooks"].as_array().cloned().unwrap_or_default();
        let done =
            |h: &Value| h["status"]["pending"] == 0 && h["status"]["last_attempt"].is_object();
        if !hooks.is_empty() && hooks.iter().all(done) {
            return hooks.iter().map(|h| h["status"].clone()).collect();
        }
        last = list;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the deliveries never settled: {last}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_targets_are_refused_at_registration() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::start_with(&tmp.path().join("data"), &[], &[]);
    for url in [
        "http://127.0.0.1:9/x",
        "http://10.0.0.1/",
        "http://172.16.5.4/",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://[::1]/",
        "http://[fd00::1]/",
        "http://[fe80::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:169.254.169.254]/",
        "http://2130706433/",
        "http://localhost:9/x",
        "https://LOCALHOST./x",
    ] {
        let (code, v) = register(&s, url).await;
        assert_eq!(code, 422, "{url}: {v}");
        assert_eq!(v["error"]["field"], "url", "{url}: {v}");
        assert_eq!(v["error"]["code"], "private_address", "{url}: {v}");
    }
    // A public name is judged when it is delivered to, not here (no DNS).
    let (code, v) = register(&s, "https://hooks.example.com/services/x").await;
    assert_eq!(code, 201, "{v}");
    assert!(s.terminate().success());

    let s = Server::start_with(&tmp.path().join("data"), &["--webhook-allow-private"], &[]);
    let (code, v) = register(&s, "http://127.0.0.1:9/x").await;
    assert_eq!(code, 201, "the flag allows it: {v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_targets_are_refused_at_delivery() {
    let (base, hits) = receiver().await;
    let port = base.rsplit(':').next().expect("port");
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    // Registered while private targets were allowed ...
    let s = Server::start_with(&data, &[], &[ALLOW]);
    for url in [
        format!("http://localhost:{port}/by-name"),
        format!("{base}/by-address"),
    ] {
        let (code, v) = register(&s, &url).await;
        assert_eq!(code, 201, "{v}");
    }
    assert!(s.terminate().success());
    // ... and delivered by a server that does not allow them.
    let s = Server::start_with(&data, &[], &[FAST]);
    celebrate(&s, "Ida Larsson", "Lars Persson", "Volvo Cars").await;

    for st in settled(&s).await {
        assert_eq!(
            (st["delivered"].clone(), st["failed"].clone()),
            (json!(0), json!(1)),
            "{st}"
        );
        let last = &st["last_attempt"];
        assert_eq!(last["attempt"], 1, "refused for good, not retried: {st}");
        let error = last["error"].as_str().unwrap_or_default();
        assert!(error.contains("may not reach"), "{st}");
        assert!(error.contains("loopback"), "{st}");
    }
    assert!(hits.lock().is_empty(), "{:?}", hits.lock());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_not_followed() {
    let (base, hits) = receiver().await;
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::start_with(&tmp.path().join("data"), &[], &[ALLOW, FAST]);
    let (code, v) = register(&s, &format!("{base}/redirect")).await;
    assert_eq!(code, 201, "{v}");
    celebrate(&s, "Ida Larsson", "Lars Persson", "Volvo Cars").await;

    let st = settled(&s).await.remove(0);
    assert_eq!(st["failed"], 1, "{st}");
    assert_eq!(st["delivered"], 0, "{st}");
    assert_eq!(st["last_attempt"]["http_status"], 302, "{st}");
    assert_eq!(st["last_attempt"]["attempt"], 1, "{st}");
    let paths: Vec<String> = hits.lock().iter().map(|(p, _)| p.clone()).collect();
    assert_eq!(paths, ["/redirect"], "the redirect was followed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_cannot_inject_slack_markup() {
    let (base, hits) = receiver().await;
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::start_with(&tmp.path().join("data"), &[], &[ALLOW, FAST]);
    let (code, v) = register(&s, &format!("{base}/hook")).await;
    assert_eq!(code, 201, "{v}");
    celebrate(
        &s,
        "<@U123> Ida",
        "Lars <!everyone>",
        "<!channel> <http://evil|click> & Co",
    )
    .await;

    let st = settled(&s).await.remove(0);
    assert_eq!(st["delivered"], 1, "{st}");
    let text = hits
        .lock()
        .first()
        .map(|(_, t)| t.clone())
        .unwrap_or_default();
    for escaped in [
        "&lt;@U123&gt; Ida",
        "Lars &lt;!everyone&gt;",
        "&lt;!channel&gt; &lt;http://evil|click&gt; &amp; Co",
    ] {
        assert!(text.contains(escaped), "{escaped} missing in {text}");
    }
    assert!(!text.contains('<') && !text.contains('>'), "{text}");
}
