//! `GET /api/v1/forum` over HTTP: the agenda per division pair from a real
//! server, `since` as a local date, and the field named for bad input.

mod common;

use common::{client, get, post, Server};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_forum_agenda_over_http() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::start_with(&tmp.path().join("data"), &["--tz", "UTC"], &[]);
    let c = client();
    let now = chrono::Utc::now();
    let ago = |days: i64| (now - chrono::Duration::days(days)).to_rfc3339();
    for body in [
        json!({"type": "division_created", "data": {"id": "energy", "name": "Energy"}}),
        json!({"type": "division_created", "data": {"id": "service", "name": "Service"}}),
        json!({"type": "seller_joined", "occurred_at": ago(30), "data": {"id": "lars", "name": "Lars", "division": "energy"}}),
        json!({"type": "seller_joined", "occurred_at": ago(30), "data": {"id": "ida", "name": "Ida", "division": "service"}}),
        json!({"type": "lead_given", "occurred_at": ago(10), "data": {"lead": "OLD", "from": "lars", "to_division": "service", "customer": "Scania"}}),
        json!({"type": "lead_given", "occurred_at": ago(2), "data": {"lead": "NEW", "from": "lars", "to_division": "service", "to_seller": "ida", "customer": "Volvo"}}),
        json!({"type": "lead_feedback", "occurred_at": ago(1), "data": {"lead": "NEW", "by": "ida", "status": "won"}}),
        json!({"type": "order_closed", "data": {"order": "O1", "seller": "ida", "customer": "Volvo", "amount": 500_000, "currency": "SEK", "lead": "NEW"}}),
        json!({"type": "order_delivered", "data": {"order": "O1", "status": "delayed"}}),
    ] {
        let (code, v) = post(&c, &s.url("/api/v1/events"), &body).await;
        assert_eq!(code, 201, "{body} → {v}");
    }
    let (code, f) = get(&c, &s.url("/api/v1/forum")).await;
    assert_eq!(code, 200, "{f}");
    let week_ago = (now - chrono::Duration::days(7))
        .format("%Y-%m-%d")
        .to_string();
    assert_eq!(f["since"], week_ago.as_str(), "{f}");
    let pair = &f["pairs"][0];
    assert_eq!(
        (pair["from"].clone(), pair["to"].clone()),
        (json!("energy"), json!("service"))
    );
    assert_eq!(
        pair["new_leads"]["total"], 1,
        "OLD is older than a week: {f}"
    );
    assert_eq!(pair["new_leads"]["rows"][0]["lead"], "NEW");
    assert_eq!(pair["overdue"]["rows"][0]["lead"], "OLD", "{f}");
    assert_eq!(pair["won"]["rows"][0]["lead"], "NEW");
    assert_eq!(pair["order_value"], json!({"SEK": 500_000}));
    assert_eq!(pair["delivery_problems"]["rows"][0]["status"], "delayed");
    assert_eq!(f["celebrate"]["rows"][0]["kind"], "order");
    assert_eq!(f["celebrate"]["rows"][0]["amount"], 500_000);

    let since = (now - chrono::Duration::days(20))
        .format("%Y-%m-%d")
        .to_string();
    let (code, f) = get(&c, &s.url(&format!("/api/v1/forum?since={since}&limit=1"))).await;
    assert_eq!(code, 200, "{f}");
    assert_eq!(f["totals"]["new_leads"], 2, "{f}");
    let news = &f["pairs"][0]["new_leads"];
    assert_eq!(
        (news["total"].clone(), news["rows"].as_array().map(Vec::len)),
        (json!(2), Some(1))
    );

    for (query, field) in [
        ("since=last-week", "since"),
        ("since=2026-02-30", "since"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=many", "limit"),
    ] {
        let (code, v) = get(&c, &s.url(&format!("/api/v1/forum?{query}"))).await;
        assert_eq!(
            (code, v["error"]["field"].clone()),
            (400, json!(field)),
            "{query}: {v}"
        );
    }
    let r = c.get(s.url("/forum")).send().await.expect("page");
    assert_eq!(r.status().as_u16(), 200);
    let html = r.text().await.expect("html");
    assert!(html.contains("/assets/forum.js") && html.contains("/assets/forum.css"));
}
