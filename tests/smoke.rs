mod common;

use serde_json::json;

#[tokio::test]
async fn serves_and_appends() {
    let dir = tempfile::tempdir().unwrap();
    let s = common::Server::start(&dir.path().join("data"));
    let c = common::client();
    let (code, body) = common::get(&c, &s.url("/healthz")).await;
    assert_eq!(code, 200, "{body}");
    let (code, body) = common::post(
        &c,
        &s.url("/api/v1/events"),
        &json!({"type": "division_created", "data": {"id": "a", "name": "A"}}),
    )
    .await;
    assert_eq!(code, 201, "{body}");
    assert_eq!(body["seq"], 1);
    assert_eq!(common::all_events(&c, &s).await.len(), 1);
}
