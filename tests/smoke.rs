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

#[tokio::test]
async fn board_limit_cuts_exactly_and_counts_ties() {
    let dir = tempfile::tempdir().unwrap();
    let s = common::Server::start(&dir.path().join("data"));
    let c = common::client();
    let url = s.url("/api/v1/events");
    let mut events = vec![json!({"type": "division_created", "data": {"id": "a", "name": "A"}})];
    for id in ["x", "y", "z", "w"] {
        events.push(
            json!({"type": "seller_joined", "data": {"id": id, "name": id, "division": "a"}}),
        );
    }
    // x: 10 points, y: 5, z: 5, w: 0.
    for seller in ["x", "x", "y", "z"] {
        events.push(json!({"type": "meeting_held", "data": {"seller": seller, "customer": "c"}}));
    }
    for e in &events {
        let (code, body) = common::post(&c, &url, e).await;
        assert_eq!(code, 201, "{body}");
    }
    let (code, board) = common::get(&c, &s.url("/api/v1/boards/sellers?limit=2")).await;
    assert_eq!(code, 200, "{board}");
    let ids: Vec<&str> = board["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    // Issue 15: the cut is exact (ties at it used to be kept, and a board
    // where everyone tied sent every row); the tie is counted instead.
    assert_eq!(ids, vec!["x", "y"], "cut at the limit");
    assert_eq!(board["rows"][1]["rank"], 2);
    assert_eq!(board["tied_beyond"], 1, "z shares rank 2: {board}");
    assert_eq!(board["total"], 4);
    let (code, err) = common::get(&c, &s.url("/api/v1/boards/sellers?limit=0")).await;
    assert_eq!(code, 400, "{err}");
    assert_eq!(err["error"]["field"], "limit");
}
