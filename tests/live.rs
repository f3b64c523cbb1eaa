//! The live websocket against the real binary, with a real
//! tokio-tungstenite client (the version axum itself uses).

mod common;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Generous: a loaded CI machine is slow, and no assertion here is about speed.
const WAIT: Duration = Duration::from_secs(20);

async fn connect(s: &common::Server) -> Ws {
    let url = s.url("/api/v1/live").replacen("http://", "ws://", 1);
    let (ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("websocket connect");
    ws
}

async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::text(v.to_string())).await.expect("send");
}

/// The next JSON frame; pings are answered by tungstenite while reading.
async fn next(ws: &mut Ws) -> Value {
    // One deadline for the frame, not per message: keep-alive pings must
    // not extend the wait forever.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let msg = tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("a frame in time")
            .expect("socket open")
            .expect("frame");
        match msg {
            Message::Text(t) => return serde_json::from_str(&t).expect("JSON frame"),
            Message::Close(c) => panic!("closed: {c:?}"),
            _ => continue,
        }
    }
}

/// The next board frame (skipping highlights) matching `pred`.
async fn board_until(ws: &mut Ws, pred: impl Fn(&Value) -> bool) -> (Value, usize) {
    let mut boards = 0;
    loop {
        let v = next(ws).await;
        if v.get("board").is_some() {
            boards += 1;
            if pred(&v) {
                return (v, boards);
            }
        }
    }
}

async fn event(c: &reqwest::Client, s: &common::Server, body: Value) -> u64 {
    let (code, v) = common::post(c, &s.url("/api/v1/events"), &body).await;
    assert_eq!(code, 201, "{v}");
    v["seq"].as_u64().expect("seq")
}

/// Three divisions of `per` sellers each: `a0..`, `b0..`, `c0..`.
async fn org(c: &reqwest::Client, s: &common::Server, per: usize) -> u64 {
    let mut seq = 0;
    for d in ["a", "b", "c"] {
        event(
            c,
            s,
            json!({"type": "division_created", "data": {"id": d, "name": format!("Division {d}")}}),
        )
        .await;
        for i in 0..per {
            seq = event(
                c,
                s,
                json!({"type": "seller_joined", "data": {"id": format!("{d}{i}"),
                    "name": format!("Seller {d}{i} with a longer name"), "division": d}}),
            )
            .await;
        }
    }
    seq
}

fn lead(id: &str, from: &str, to_division: &str) -> Value {
    json!({"type": "lead_given", "data": {"lead": id, "from": from,
        "to_division": to_division, "customer": "Volvo Cars"}})
}

fn points(board: &Value, id: &str) -> i64 {
    board["rows"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["id"] == id))
        .and_then(|r| r["points"].as_i64())
        .unwrap_or_else(|| panic!("{id} on {board}"))
}

#[tokio::test]
async fn snapshot_on_subscribe_then_each_change() {
    let dir = tempfile::tempdir().unwrap();
    let s = common::Server::start(&dir.path().join("data"));
    let c = common::client();
    let seq = org(&c, &s, 3).await;

    let mut ws = connect(&s).await;
    // With zeros, to compare with the HTTP board, which lists them.
    send(
        &mut ws,
        json!({"subscribe": "sellers", "window": "week", "zeros": true}),
    )
    .await;
    let snap = next(&mut ws).await;
    assert_eq!(snap["board"], "sellers", "{snap}");
    assert_eq!(snap["window"]["kind"], "week");
    assert_eq!(snap["seq"], seq);
    assert_eq!(snap["rows"].as_array().unwrap().len(), 9);
    // The same JSON the HTTP API serves.
    let (_, http) = common::get(&c, &s.url("/api/v1/boards/sellers?window=week")).await;
    assert_eq!(snap["rows"], http["rows"]);

    let new = event(&c, &s, lead("L1", "a0", "b")).await;
    let (frame, _) = board_until(&mut ws, |v| v["seq"] == new).await;
    assert!(points(&frame, "a0") > 0, "{frame}");

    // Bad subscriptions answer with an error frame and keep the socket.
    send(
        &mut ws,
        json!({"subscribe": "sellers", "window": "fortnight"}),
    )
    .await;
    let err = next(&mut ws).await;
    assert_eq!(err["error"]["code"], "invalid_query", "{err}");
    assert_eq!(err["error"]["field"], "window");
    send(&mut ws, json!({"subscribe": "competition:nope"})).await;
    let err = next(&mut ws).await;
    assert_eq!(err["error"]["code"], "not_found", "{err}");
    send(&mut ws, json!({"hello": 1})).await;
    let err = next(&mut ws).await;
    assert_eq!(err["error"]["field"], "subscribe", "{err}");
    ws.send(Message::text("{not json")).await.unwrap();
    let err = next(&mut ws).await;
    assert_eq!(err["error"]["code"], "invalid_json", "{err}");

    // A second board on the same socket, ranked per seller.
    send(
        &mut ws,
        json!({"subscribe": "divisions", "window": "month", "scoring": "per_seller"}),
    )
    .await;
    let (div, _) = board_until(&mut ws, |v| v["board"] == "divisions").await;
    assert_eq!(div["scoring"], "per_seller");
    assert_eq!(div["window"]["kind"], "month");
    assert_eq!(div["rows"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn bursts_are_coalesced_and_end_in_the_last_state() {
    let dir = tempfile::tempdir().unwrap();
    let s = common::Server::start(&dir.path().join("data"));
    let c = common::client();
    org(&c, &s, 2).await;
    let mut ws = connect(&s).await;
    send(
        &mut ws,
        json!({"subscribe": "sellers", "window": "all", "zeros": true}),
    )
    .await;
    next(&mut ws).await;

    let mut last = 0;
    for i in 0..100 {
        last = event(&c, &s, lead(&format!("L{i}"), "a0", "b")).await;
    }
    let (frame, frames) = board_until(&mut ws, |v| v["seq"] == last).await;
    assert!(frames < 100, "{frames} frames for 100 changes");
    let (_, http) = common::get(&c, &s.url("/api/v1/boards/sellers?window=all")).await;
    assert_eq!(frame["rows"], http["rows"]);
    assert_eq!(points(&frame, "a0"), 100 * 20);
}

#[tokio::test]
async fn a_stalled_client_neither_blocks_others_nor_stays() {
    let dir = tempfile::tempdir().unwrap();
    let s = common::Server::start_with(
        &dir.path().join("data"),
        &[],
        &[
            ("CROSSBOARD_LIVE_BUFFER", "16384"),
            ("CROSSBOARD_LIVE_STUCK_MS", "300"),
        ],
    );
    let c = common::client();
    org(&c, &s, 8).await;

    // With zeros, so every frame carries all 24 rows and the stalled
    // client's buffer fills within the test's rounds.
    let mut stalled = connect(&s).await;
    send(
        &mut stalled,
        json!({"subscribe": "sellers", "window": "all", "zeros": true}),
    )
    .await;
    let mut reader = connect(&s).await;
    send(
        &mut reader,
        json!({"subscribe": "sellers", "window": "all", "zeros": true}),
    )
    .await;
    next(&mut reader).await;

    // One change at a time: the reader must see every one of them.
    let rounds = 40;
    for i in 0..rounds {
        let seq = event(&c, &s, lead(&format!("L{i}"), "a0", "b")).await;
        let (frame, _) = board_until(&mut reader, |v| v["seq"] == seq).await;
        assert_eq!(points(&frame, "a0"), (i + 1) * 20);
    }

    // The stalled client got what fit in its buffer, then was let go.
    let mut frames = 0;
    let ended = tokio::time::timeout(WAIT, async {
        loop {
            match stalled.next().await {
                Some(Ok(Message::Text(_))) => frames += 1,
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the stalled client is still connected");
    assert!(
        frames < rounds,
        "the stalled client got {frames} of {rounds} boards"
    );
}

#[tokio::test]
async fn notable_events_are_highlighted() {
    let dir = tempfile::tempdir().unwrap();
    let s = common::Server::start(&dir.path().join("data"));
    let c = common::client();
    org(&c, &s, 2).await;
    let mut ws = connect(&s).await;
    send(&mut ws, json!({"subscribe": "sellers"})).await;
    next(&mut ws).await;

    event(&c, &s, lead("L1", "a0", "b")).await;
    event(
        &c,
        &s,
        json!({"type": "order_closed", "data": {"order": "O1", "seller": "b0",
        "customer": "Volvo Cars", "amount": 45_000_000, "currency": "SEK", "lead": "L1"}}),
    )
    .await;
    event(
        &c,
        &s,
        json!({"type": "joint_visit", "data": {"host": "b0", "guests": ["a1"],
        "customer": "Scania"}}),
    )
    .await;
    event(
        &c,
        &s,
        json!({"type": "lead_feedback", "data": {"lead": "L1", "by": "b0",
        "status": "won"}}),
    )
    .await;

    // The activities' highlights come in log order; the game's news
    // (badges, levels) comes with them.
    const CLASSIC: [&str; 3] = ["cross_sell_order", "joint_visit", "lead_won"];
    let mut kinds = Vec::new();
    let mut game = Vec::new();
    while kinds.len() < 3 {
        let v = next(&mut ws).await;
        if let Some(h) = v.get("highlight") {
            assert!(h["text"].as_str().is_some_and(|t| !t.is_empty()), "{v}");
            let kind = h["kind"].as_str().unwrap_or_default().to_string();
            if CLASSIC.contains(&kind.as_str()) {
                kinds.push(kind);
            } else {
                game.push(h["text"].as_str().unwrap_or_default().to_string());
            }
        }
    }
    assert_eq!(kinds, CLASSIC);
    assert!(
        game.iter().any(|t| t.ends_with("earned “First bridge”")),
        "{game:?}"
    );
}

#[tokio::test]
async fn competitions_stream_and_lead_changes_are_celebrated() {
    let dir = tempfile::tempdir().unwrap();
    let s = common::Server::start(&dir.path().join("data"));
    let c = common::client();
    org(&c, &s, 2).await;
    let now = chrono::Utc::now();
    let (code, body) = common::post(
        &c,
        &s.url("/api/v1/competitions"),
        &json!({"id": "cup", "name": "The Cup",
            "start": (now - chrono::Duration::days(1)).to_rfc3339(),
            "end": (now + chrono::Duration::days(7)).to_rfc3339(),
            "divisions": ["a", "b", "c"], "scoring": "sum"}),
    )
    .await;
    assert_eq!(code, 201, "{body}");

    let mut ws = connect(&s).await;
    send(&mut ws, json!({"subscribe": "competition:cup"})).await;
    let snap = next(&mut ws).await;
    assert_eq!(snap["board"], "competition:cup", "{snap}");
    assert_eq!(snap["status"], "running");
    assert_eq!(snap["standings"].as_array().unwrap().len(), 3);

    // Division a takes the lead, then b overtakes it.
    event(&c, &s, lead("L1", "a0", "b")).await;
    let mut leaders = Vec::new();
    let mut overtaken = false;
    let mut top = Value::Null;
    while leaders.len() < 2 || top != "b" {
        let v = next(&mut ws).await;
        if v["board"] == "competition:cup" {
            top = v["standings"][0]["id"].clone();
            assert_eq!(v["status"], "running");
            if top == "b" {
                assert_eq!(v["standings"][0]["points"], 40.0, "{v}");
            }
        }
        if let Some(h) = v
            .get("highlight")
            .filter(|h| h["kind"] == "competition_lead")
        {
            assert_eq!(h["competition"], "cup");
            leaders.push(h["leader"].as_str().unwrap_or_default().to_string());
            if !overtaken {
                overtaken = true;
                event(&c, &s, lead("L2", "b0", "a")).await;
                event(&c, &s, lead("L3", "b1", "c")).await;
            }
        }
    }
    assert_eq!(leaders, ["a", "b"]);
}

fn ids(board: &Value) -> Vec<&str> {
    board["rows"]
        .as_array()
        .map(|rows| rows.iter().filter_map(|r| r["id"].as_str()).collect())
        .unwrap_or_default()
}

/// Issue 15: at the start of a window everyone ties at 0, and a cut that
/// kept ties sent every row in every frame.
#[tokio::test]
async fn a_board_where_everyone_ties_is_cut_at_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let s = common::Server::start(&dir.path().join("data"));
    let c = common::client();
    org(&c, &s, 4).await;

    let (code, board) = common::get(&c, &s.url("/api/v1/boards/sellers?limit=5")).await;
    assert_eq!(code, 200, "{board}");
    assert_eq!(ids(&board), ["a0", "a1", "a2", "a3", "b0"], "{board}");
    assert!(board["rows"]
        .as_array()
        .is_some_and(|rows| rows.iter().all(|r| r["rank"] == 1 && r["points"] == 0)));
    assert_eq!(board["tied_beyond"], 7, "{board}");
    assert_eq!(board["zeros_omitted"], 0);
    assert_eq!(board["total"], 12);
    // Without a limit everyone still on the team is listed (CONTRACT.md).
    let (_, board) = common::get(&c, &s.url("/api/v1/boards/sellers")).await;
    assert_eq!(ids(&board).len(), 12, "{board}");
    assert_eq!(board["tied_beyond"], 0);
    let (_, board) = common::get(&c, &s.url("/api/v1/boards/sellers?zeros=false")).await;
    assert!(ids(&board).is_empty(), "{board}");
    assert_eq!(board["zeros_omitted"], 12);
    let (code, err) = common::get(&c, &s.url("/api/v1/boards/sellers?zeros=maybe")).await;
    assert_eq!(code, 400, "{err}");
    assert_eq!(err["error"]["field"], "zeros");
}

#[tokio::test]
async fn live_frames_leave_zeros_out_and_count_them() {
    let dir = tempfile::tempdir().unwrap();
    let s = common::Server::start(&dir.path().join("data"));
    let c = common::client();
    org(&c, &s, 4).await;

    let mut ws = connect(&s).await;
    send(&mut ws, json!({"subscribe": "sellers", "window": "week"})).await;
    let snap = next(&mut ws).await;
    assert_eq!(snap["board"], "sellers", "{snap}");
    assert_eq!(snap["rows"], json!([]), "{snap}");
    assert_eq!(snap["zeros_omitted"], 12);
    assert_eq!(snap["tied_beyond"], 0);
    assert_eq!(snap["total"], 12);

    // Asked for, zeros come, cut at the limit.
    send(
        &mut ws,
        json!({"subscribe": "sellers", "window": "week", "zeros": true, "limit": 5}),
    )
    .await;
    let (with_zeros, _) = board_until(&mut ws, |v| v["rows"] != json!([])).await;
    assert_eq!(ids(&with_zeros).len(), 5, "{with_zeros}");
    assert_eq!(with_zeros["tied_beyond"], 7);
    assert_eq!(with_zeros["zeros_omitted"], 0);

    // The first points: one row, the rest still counted.
    let new = event(&c, &s, lead("L1", "b2", "a")).await;
    let (frame, _) = board_until(&mut ws, |v| v["seq"] == new && v["zeros_omitted"] == 11).await;
    assert_eq!(ids(&frame), ["b2"], "{frame}");
    assert_eq!(frame["rows"][0]["rank"], 1);
    assert_eq!(frame["tied_beyond"], 0);

    send(
        &mut ws,
        json!({"subscribe": "sellers", "window": "week", "zeros": "yes"}),
    )
    .await;
    let err = loop {
        let v = next(&mut ws).await;
        if v.get("error").is_some() {
            break v;
        }
    };
    assert_eq!(err["error"]["field"], "zeros", "{err}");
}
