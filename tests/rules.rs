//! Leaders tune the game: rules, previews and competitions over real HTTP.

mod common;

use common::{all_events, client, get, post, Server};
use serde_json::{json, Value};

async fn put_rules(c: &reqwest::Client, s: &Server, if_match: &str, body: &Value) -> (u16, Value) {
    let r = c
        .put(s.url("/api/v1/rules"))
        .header("If-Match", if_match)
        .json(body)
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn ev(c: &reqwest::Client, s: &Server, ty: &str, at: &str, data: Value) -> u64 {
    let (code, body) = post(
        c,
        &s.url("/api/v1/events"),
        &json!({"type": ty, "occurred_at": at, "data": data}),
    )
    .await;
    assert_eq!(code, 201, "{ty}: {body}");
    body["seq"].as_u64().unwrap()
}

/// Division `big` has three sellers who hold two meetings each (5 points
/// apiece); division `small` has one seller who holds four. By sum `big`
/// wins 30 to 20; per seller `small` wins 20 to 10.
async fn fixture(c: &reqwest::Client, s: &Server) {
    let t0 = "2026-03-02T09:00:00Z";
    ev(
        c,
        s,
        "division_created",
        t0,
        json!({"id": "big", "name": "Big"}),
    )
    .await;
    ev(
        c,
        s,
        "division_created",
        t0,
        json!({"id": "small", "name": "Small"}),
    )
    .await;
    for id in ["b1", "b2", "b3"] {
        ev(
            c,
            s,
            "seller_joined",
            t0,
            json!({"id": id, "name": id.to_uppercase(), "division": "big"}),
        )
        .await;
    }
    ev(
        c,
        s,
        "seller_joined",
        t0,
        json!({"id": "s1", "name": "S1", "division": "small"}),
    )
    .await;
    for id in ["b1", "b2", "b3", "b1", "b2", "b3"] {
        ev(
            c,
            s,
            "meeting_held",
            "2026-03-03T10:00:00Z",
            json!({"seller": id, "customer": "Acme"}),
        )
        .await;
    }
    for _ in 0..4 {
        ev(
            c,
            s,
            "meeting_held",
            "2026-03-03T11:00:00Z",
            json!({"seller": "s1", "customer": "Acme"}),
        )
        .await;
    }
}

async fn competition(
    c: &reqwest::Client,
    s: &Server,
    id: &str,
    scoring: &str,
    start: &str,
    end: &str,
) -> Value {
    let (code, body) = post(
        c,
        &s.url("/api/v1/competitions"),
        &json!({"id": id, "name": format!("Cup {id}"), "start": start, "end": end,
                "divisions": ["big", "small"], "scoring": scoring}),
    )
    .await;
    assert_eq!(code, 201, "{body}");
    body
}

fn order(standings: &Value) -> Vec<(String, f64)> {
    standings["standings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                r["points"].as_f64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn sum_and_per_seller_rank_differently_and_restart_keeps_them() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Server::start(&data);
    let c = client();
    fixture(&c, &s).await;
    let sum = competition(
        &c,
        &s,
        "sum",
        "sum",
        "2026-03-01T00:00:00Z",
        "2026-03-31T00:00:00Z",
    )
    .await;
    let per = competition(
        &c,
        &s,
        "per",
        "per_seller",
        "2026-03-01T00:00:00Z",
        "2026-03-31T00:00:00Z",
    )
    .await;
    assert_eq!(
        order(&sum),
        vec![("big".to_string(), 30.0), ("small".to_string(), 20.0)]
    );
    assert_eq!(
        order(&per),
        vec![("small".to_string(), 20.0), ("big".to_string(), 10.0)]
    );
    // Both ended in the past: closed, with a winner.
    assert_eq!(sum["status"], "closed");
    assert_eq!(sum["winner"], "big");
    assert_eq!(per["winner"], "small");

    let (code, list) = get(&c, &s.url("/api/v1/competitions")).await;
    assert_eq!(code, 200);
    assert_eq!(list["competitions"].as_array().unwrap().len(), 2);
    let (code, board) = get(&c, &s.url("/api/v1/boards/competition:per")).await;
    assert_eq!(code, 200, "{board}");
    assert_eq!(board["standings"][0]["id"], "small");

    // Publish rules, then restart: rules and competitions survive.
    let (code, body) = put_rules(
        &c,
        &s,
        "0",
        &json!({"rules": {"meeting_held": 7}, "retroactive": true}),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["version"], 1);
    let before = (
        get(&c, &s.url("/api/v1/rules")).await.1,
        get(&c, &s.url("/api/v1/competitions/sum")).await.1,
        get(&c, &s.url("/api/v1/competitions/per")).await.1,
    );
    // Both competitions closed at their end: a later retroactive publish
    // no longer changes their standings (fair play: results freeze).
    assert_eq!(
        order(&before.1),
        vec![("big".to_string(), 30.0), ("small".to_string(), 20.0)]
    );
    assert_eq!(s.terminate().code(), Some(0));
    let s = Server::start(&data);
    let after = (
        get(&c, &s.url("/api/v1/rules")).await.1,
        get(&c, &s.url("/api/v1/competitions/sum")).await.1,
        get(&c, &s.url("/api/v1/competitions/per")).await.1,
    );
    assert_eq!(before, after);
    assert_eq!(after.0["version"], 1);
    assert_eq!(after.0["rules"]["meeting_held"], 7);
}

#[tokio::test]
async fn tied_competition_shows_the_tie() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("data"));
    let c = client();
    fixture(&c, &s).await;
    // A period in which nobody scored: both divisions tie at 0, and a
    // 0-point tie has no winners (fair play: one winner rule everywhere).
    let tie = competition(
        &c,
        &s,
        "tie",
        "sum",
        "2026-04-01T00:00:00Z",
        "2026-04-02T00:00:00Z",
    )
    .await;
    assert_eq!(tie["status"], "closed");
    assert_eq!(tie["standings"][0]["rank"], 1);
    assert_eq!(tie["standings"][1]["rank"], 1);
    assert_eq!(tie["tie"], false);
    assert_eq!(tie["winner"], Value::Null);
    assert_eq!(tie["winners"], json!([]));
}

#[tokio::test]
async fn seller_moved_mid_competition_credits_the_division_of_the_time() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("data"));
    let c = client();
    fixture(&c, &s).await;
    // b1 moves to small on the 11th, earns 5 there on the 12th, and a
    // meeting of the 10th, logged only after the move, still earns 5 for
    // big: each event counts for the division of its business time.
    ev(
        &c,
        &s,
        "seller_moved",
        "2026-03-11T10:00:00Z",
        json!({"seller": "b1", "division": "small"}),
    )
    .await;
    ev(
        &c,
        &s,
        "meeting_held",
        "2026-03-10T10:00:00Z",
        json!({"seller": "b1", "customer": "X"}),
    )
    .await;
    ev(
        &c,
        &s,
        "meeting_held",
        "2026-03-12T10:00:00Z",
        json!({"seller": "b1", "customer": "X"}),
    )
    .await;
    let sum = competition(
        &c,
        &s,
        "m",
        "sum",
        "2026-03-01T00:00:00Z",
        "2026-03-31T00:00:00Z",
    )
    .await;
    assert_eq!(
        order(&sum),
        vec![("big".to_string(), 35.0), ("small".to_string(), 25.0)]
    );
    let (_, divisions) = get(
        &c,
        &s.url("/api/v1/boards/divisions?window=month&at=2026-03-15T00:00:00Z"),
    )
    .await;
    let points: Vec<(&str, i64)> = divisions["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].as_str().unwrap(), r["points"].as_i64().unwrap()))
        .collect();
    assert_eq!(points, vec![("big", 35), ("small", 25)]);
    // Per seller: b1 belonged to both divisions in the period.
    let per = competition(
        &c,
        &s,
        "mp",
        "per_seller",
        "2026-03-01T00:00:00Z",
        "2026-03-31T00:00:00Z",
    )
    .await;
    let heads: Vec<u64> = per["standings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["sellers"].as_u64().unwrap())
        .collect();
    assert_eq!(heads, vec![2, 3], "small has s1+b1, big has b1..b3: {per}");
}

#[tokio::test]
async fn stale_publish_conflicts_and_preview_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("data"));
    let c = client();
    fixture(&c, &s).await;
    let log_before = all_events(&c, &s).await;

    // Preview a draft where meetings are worth 10: every row doubles.
    let r = c
        .post(s.url("/api/v1/rules/preview?board=sellers&window=all"))
        // Preview defaults to from-now like publishing; ask for history.
        .json(&json!({"rules": {"meeting_held": 10}, "retroactive": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let preview: Value = r.json().await.unwrap();
    let s1 = preview["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "s1")
        .unwrap()
        .clone();
    assert_eq!(s1["current"], json!({"rank": 1, "points": 20.0}));
    assert_eq!(s1["draft"], json!({"rank": 1, "points": 40.0}));
    assert_eq!(s1["delta_points"], 20.0);
    assert_eq!(
        all_events(&c, &s).await,
        log_before,
        "a preview writes nothing"
    );

    // A bad draft names its field.
    let r = c
        .post(s.url("/api/v1/rules/preview?board=divisions"))
        .json(&json!({"rules": {"daily_caps": {"meeting": -1}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let err: Value = r.json().await.unwrap();
    assert_eq!(err["error"]["field"], "rules.daily_caps.meeting");

    // Publish v1, then publishing against v0 again is stale.
    let (code, _) = put_rules(
        &c,
        &s,
        "0",
        &json!({"rules": {"meeting_held": 10}, "retroactive": true}),
    )
    .await;
    assert_eq!(code, 200);
    let (code, err) = put_rules(
        &c,
        &s,
        "0",
        &json!({"rules": {"meeting_held": 1}, "retroactive": true}),
    )
    .await;
    assert_eq!(code, 409, "{err}");
    assert_eq!(err["error"]["code"], "stale_version");
    assert_eq!(err["error"]["current_version"], 1);
    let r = c
        .put(s.url("/api/v1/rules"))
        .json(&json!({"rules": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 428, "If-Match is required");

    // The published retroactive rules equal what the preview showed.
    let (_, board) = get(&c, &s.url("/api/v1/boards/sellers?window=all")).await;
    let live: Vec<(String, i64)> = board["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                r["points"].as_i64().unwrap(),
            )
        })
        .collect();
    let drafted: Vec<(String, i64)> = preview["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                r["draft"]["points"].as_f64().unwrap() as i64,
            )
        })
        .collect();
    assert_eq!(live, drafted);
}

#[tokio::test]
async fn from_now_rules_leave_history_alone() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("data"));
    let c = client();
    fixture(&c, &s).await;
    let (_, before) = get(&c, &s.url("/api/v1/boards/sellers?window=all")).await;
    let (code, body) = put_rules(
        &c,
        &s,
        "0",
        &json!({"rules": {"meeting_held": 100}, "retroactive": false}),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    let (_, after) = get(&c, &s.url("/api/v1/boards/sellers?window=all")).await;
    assert_eq!(before["rows"], after["rows"], "history keeps the old rules");
    // A new meeting scores under the new rules.
    let (code, _) = post(
        &c,
        &s.url("/api/v1/events"),
        &json!({"type": "meeting_held", "data": {"seller": "b1", "customer": "Y"}}),
    )
    .await;
    assert_eq!(code, 201);
    let (_, me) = get(&c, &s.url("/api/v1/sellers/b1?window=all")).await;
    assert_eq!(me["points"], 110);
}

#[tokio::test]
async fn competition_validation_names_fields() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("data"));
    let c = client();
    fixture(&c, &s).await;
    let base = json!({"id": "x", "name": "X", "start": "2026-03-01T00:00:00Z", "end": "2026-03-31T00:00:00Z",
                      "divisions": ["big", "small"], "scoring": "sum"});
    let cases = [
        ("divisions", json!(["big", "nope"]), "divisions[1]"),
        ("end", json!("2026-02-01T00:00:00Z"), "end"),
        ("scoring", json!("max"), "scoring"),
        ("start", json!("soon"), "start"),
    ];
    for (key, value, field) in cases {
        let mut body = base.clone();
        body[key] = value;
        let (code, err) = post(&c, &s.url("/api/v1/competitions"), &body).await;
        assert_eq!(code, 422, "{key}: {err}");
        assert_eq!(err["error"]["field"], field, "{err}");
    }
    let (code, _) = post(&c, &s.url("/api/v1/competitions"), &base).await;
    assert_eq!(code, 201);
    let (code, err) = post(&c, &s.url("/api/v1/competitions"), &base).await;
    assert_eq!(code, 409, "{err}");
    let (code, _) = get(&c, &s.url("/api/v1/competitions/none")).await;
    assert_eq!(code, 404);
}
