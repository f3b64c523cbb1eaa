//! One client must not starve the others: slow headers are cut off,
//! connections and live sockets are capped, a socket follows at most 8
//! boards, seller and screen tokens are rate-limited, and an oversized
//! batch is refused while it is still arriving.

mod common;

use std::time::{Duration, Instant};

use common::{client_with_token, run_cli, Server};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

fn addr(s: &Server) -> String {
    s.base.trim_start_matches("http://").to_string()
}

/// Reads until the server closes or `limit` passes; returns what came.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Option<Vec<u8>> {
    let deadline = tokio::time::Instant::now() + limit;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(got),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test]
async fn a_slow_header_is_cut_off() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::start_with(&tmp.path().join("data"), &["--header-timeout", "1"], &[]);
    let mut slow = TcpStream::connect(addr(&s)).await.expect("connect");
    slow.write_all(b"GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\nx-slow: ")
        .await
        .expect("write");
    let started = Instant::now();
    let got = read_until_closed(&mut slow, Duration::from_secs(8))
        .await
        .expect("the server closed the slow connection");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(800),
        "closed too early: {took:?}"
    );
    let text = String::from_utf8_lossy(&got);
    assert!(
        got.is_empty() || text.starts_with("HTTP/1.1 408"),
        "a slow header got {text}"
    );
    // A prompt client on the same server is served.
    let mut fast = TcpStream::connect(addr(&s)).await.expect("connect");
    fast.write_all(b"GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n")
        .await
        .expect("write");
    let got = read_until_closed(&mut fast, Duration::from_secs(8))
        .await
        .expect("answered");
    assert!(String::from_utf8_lossy(&got).starts_with("HTTP/1.1 200"));
}

#[tokio::test]
async fn connections_past_the_cap_get_a_503() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::start_with(&tmp.path().join("data"), &["--max-connections", "2"], &[]);
    let _a = TcpStream::connect(addr(&s)).await.expect("connect");
    let _b = TcpStream::connect(addr(&s)).await.expect("connect");
    // Accepted in order; give the server a moment to take both.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut c = TcpStream::connect(addr(&s)).await.expect("connect");
    let got = read_until_closed(&mut c, Duration::from_secs(8))
        .await
        .expect("closed");
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(text.contains("too_many_connections"), "{text}");
}

/// A token of `role` made with the CLI before the server starts.
fn token(data: &str, args: &[&str]) -> String {
    let mut all = vec!["token", "create", "--data", data];
    all.extend_from_slice(args);
    let (ok, out, err) = run_cli(&all);
    assert!(ok, "{err}");
    out.trim().to_string()
}

#[tokio::test]
async fn seller_tokens_are_rate_limited_and_leaders_are_not() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    let d = data.to_str().expect("utf-8 path");
    let leader = token(d, &["--role", "leader"]);
    let seller = token(d, &["--role", "seller", "--seller", "anna"]);
    let screen = token(d, &["--role", "screen"]);
    let s = Server::start_with(&data, &["--rate-limit", "0.5/3"], &[]);
    let url = s.url("/api/v1/boards/sellers");
    let c = client_with_token(&seller);
    for i in 0..3 {
        let r = c.get(&url).send().await.expect("get");
        assert_eq!(r.status().as_u16(), 200, "request {i} within the burst");
    }
    let r = c.get(&url).send().await.expect("get");
    assert_eq!(r.status().as_u16(), 429);
    let retry: u64 = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["error"]["code"], "rate_limited", "{v}");
    // Buckets are per token.
    let r = client_with_token(&screen)
        .get(&url)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status().as_u16(), 200);
    let c = client_with_token(&leader);
    for _ in 0..20 {
        let r = c.get(&url).send().await.expect("get");
        assert_eq!(r.status().as_u16(), 200, "leaders are not limited");
    }
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

async fn next_json(ws: &mut Ws) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let msg = tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("a frame in time")
            .expect("socket open")
            .expect("frame");
        if let Message::Text(t) = msg {
            return serde_json::from_str(&t).expect("JSON frame");
        }
    }
}

#[tokio::test]
async fn a_socket_follows_at_most_eight_boards() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::start(&tmp.path().join("data"));
    let url = s.url("/api/v1/live").replacen("http://", "ws://", 1);
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.expect("ws");
    let mut subs = Vec::new();
    for board in ["sellers", "divisions"] {
        for window in ["day", "week", "month", "quarter", "year"] {
            subs.push(json!({"subscribe": board, "window": window}));
        }
    }
    for sub in &subs[..8] {
        ws.send(Message::text(sub.to_string())).await.expect("send");
    }
    let mut boards = 0;
    while boards < 8 {
        let v = next_json(&mut ws).await;
        assert!(v.get("error").is_none(), "subscription refused early: {v}");
        boards += usize::from(v.get("board").is_some());
    }
    ws.send(Message::text(subs[8].to_string()))
        .await
        .expect("send");
    let err = loop {
        let v = next_json(&mut ws).await;
        if v.get("error").is_some() {
            break v;
        }
    };
    assert_eq!(err["error"]["code"], "too_many_subscriptions", "{err}");
    assert!(
        err["error"]["message"].as_str().unwrap_or("").contains('8'),
        "{err}"
    );
}

#[tokio::test]
async fn live_sockets_past_the_cap_are_refused() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::start_with(&tmp.path().join("data"), &["--max-live-sockets", "2"], &[]);
    let url = s.url("/api/v1/live").replacen("http://", "ws://", 1);
    let (a, _) = tokio_tungstenite::connect_async(&url).await.expect("ws 1");
    let (_b, _) = tokio_tungstenite::connect_async(&url).await.expect("ws 2");
    match tokio_tungstenite::connect_async(&url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
            assert_eq!(res.status().as_u16(), 503);
            let body = res.body().clone().unwrap_or_default();
            assert!(
                String::from_utf8_lossy(&body).contains("too_many_sockets"),
                "{body:?}"
            );
        }
        other => panic!("a third socket: {:?}", other.map(|_| ())),
    }
    // A closed socket frees its slot.
    drop(a);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if tokio_tungstenite::connect_async(&url).await.is_ok() {
            break;
        }
        assert!(Instant::now() < deadline, "the slot was never freed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn an_oversized_batch_is_refused_while_it_arrives() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::start(&tmp.path().join("data"));
    let mut body = String::new();
    for i in 0..10_001 {
        body.push_str(&format!(
            "{{\"type\":\"division_created\",\"data\":{{\"id\":\"d{i}\",\"name\":\"D\"}}}}\n"
        ));
    }
    // Promise 8 MiB but send only the first 10,001 lines and wait: the
    // answer must come without the rest.
    let mut conn = TcpStream::connect(addr(&s)).await.expect("connect");
    let head = format!(
        "POST /api/v1/events/batch HTTP/1.1\r\nhost: 127.0.0.1\r\n\
         content-type: application/x-ndjson\r\ncontent-length: {}\r\n\r\n",
        8 * 1024 * 1024 - 1
    );
    conn.write_all(head.as_bytes()).await.expect("head");
    conn.write_all(body.as_bytes()).await.expect("body");
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !String::from_utf8_lossy(&got).contains("too_many_items") {
        match tokio::time::timeout_at(deadline, conn.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => got.extend_from_slice(&buf[..n]),
            other => panic!(
                "no answer before the body ended ({other:?}): {}",
                String::from_utf8_lossy(&got)
            ),
        }
    }
    assert!(String::from_utf8_lossy(&got).starts_with("HTTP/1.1 413"));
    let c = common::client();
    let (_, h) = common::get(&c, &s.url("/healthz")).await;
    assert_eq!(h["seq"], 0, "nothing appended");
}
