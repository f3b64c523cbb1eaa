//! Hostile input: thousands of generated and mutated requests against the
//! real binary, sent over raw TCP so that nothing (not even invalid UTF-8,
//! a lying Content-Length or an unknown method) is tidied up by a client
//! library on the way.
//!
//! Checked: no answer is a 5xx, the server's log has no panic, it is still
//! healthy at the end, and the event log grew by exactly the requests that
//! were accepted (each accepted event at the seq it was answered with).
//! And, so that a server refusing everything cannot pass: at least 1% of
//! the requests were accepted, and an honestly framed request never sees
//! its connection closed without an answer.
//!
//! `CROSSBOARD_HOSTILE_REQUESTS` (default 10,000) and
//! `CROSSBOARD_HOSTILE_SEED` (printed first) replay or extend a run.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{json, Map, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const TASKS: u64 = 8;
const SELLERS: [&str; 6] = ["s0", "s1", "s2", "s3", "s4", "s5"];
const DIVISIONS: [&str; 3] = ["d0", "d1", "d2"];

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// One request, as bytes on the wire.
struct Req {
    method: String,
    /// Path and query, possibly invalid.
    target: Vec<u8>,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
    /// Declared length when it lies about the body (truncated bodies).
    content_length: Option<String>,
    /// Chunked framing, possibly broken, instead of a Content-Length.
    chunked: Option<Vec<u8>>,
    /// The framing promises more than is sent.
    lies: bool,
    /// Well-formed HTTP with a small body: whatever the body says, the
    /// server owes it an answer, so a connection closed without one fails.
    must_answer: bool,
}

impl Req {
    fn new(method: &str, target: impl Into<Vec<u8>>) -> Req {
        Req {
            method: method.into(),
            target: target.into(),
            headers: Vec::new(),
            body: Vec::new(),
            content_length: None,
            chunked: None,
            lies: false,
            must_answer: false,
        }
    }

    fn json(mut self, body: Vec<u8>) -> Req {
        self.headers
            .push(("content-type".into(), b"application/json".to_vec()));
        self.body = body;
        self
    }

    fn path(&self) -> String {
        let t = String::from_utf8_lossy(&self.target);
        t.split('?').next().unwrap_or("").to_string()
    }

    fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(self.method.as_bytes());
        out.push(b' ');
        out.extend_from_slice(&self.target);
        out.extend_from_slice(b" HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n");
        for (k, v) in &self.headers {
            out.extend_from_slice(k.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(v);
            out.extend_from_slice(b"\r\n");
        }
        if let Some(chunks) = &self.chunked {
            out.extend_from_slice(b"transfer-encoding: chunked\r\n\r\n");
            out.extend_from_slice(chunks);
            return out;
        }
        let len = self
            .content_length
            .clone()
            .unwrap_or_else(|| self.body.len().to_string());
        if !self.body.is_empty() || self.content_length.is_some() {
            out.extend_from_slice(format!("content-length: {len}\r\n").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        out
    }
}

enum Outcome {
    Status(u16, Vec<u8>),
    /// The server closed the connection without an answer (a malformed
    /// request may get that instead of a 400).
    Closed,
}

async fn send(addr: &str, req: &Req) -> Result<Outcome, String> {
    let go = async {
        let mut s = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        // A write can fail when the server answers early (413) and closes.
        let _ = s.write_all(&req.bytes()).await;
        // Only a request that lies about its length needs the end of input
        // to be answered; hyper treats a half-closed connection as a client
        // that went away and drops its request, answered or not.
        if req.lies {
            let _ = s.shutdown().await;
        }
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf).await;
        Ok::<_, String>(buf)
    };
    let buf = tokio::time::timeout(Duration::from_secs(20), go)
        .await
        .map_err(|_| "no answer within 20 s".to_string())??;
    if buf.is_empty() {
        return Ok(Outcome::Closed);
    }
    let head = String::from_utf8_lossy(&buf[..buf.len().min(64)]).to_string();
    let status = head
        .strip_prefix("HTTP/1.1 ")
        .and_then(|r| r.get(..3))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("not an HTTP answer: {head:?}"))?;
    let body = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| buf[i + 4..].to_vec())
        .unwrap_or_default();
    Ok(Outcome::Status(status, body))
}

// ---------------------------------------------------------------- generators

fn pick<T: Clone>(rng: &mut StdRng, xs: &[T]) -> T {
    xs.choose(rng).expect("non-empty").clone()
}

/// Strings that have broken parsers before.
fn edge_string(rng: &mut StdRng) -> String {
    let combining = format!("e{}", "\u{301}".repeat(rng.gen_range(1..300)));
    let emoji = "😀".repeat(rng.gen_range(60..70));
    let long = "x".repeat(pick(rng, &[63, 64, 65, 199, 200, 201, 2000, 2001, 30_000]));
    let options = [
        String::new(),
        " ".into(),
        "\t\n".into(),
        "\u{0}".into(),
        "a\u{0}b".into(),
        "\u{7f}".into(),
        "\u{200B}".into(),
        "\u{202E}evil".into(),
        "\u{FEFF}bom".into(),
        "🏳️‍🌈".into(),
        "\u{10FFFF}".into(),
        "ｆｕｌｌ".into(),
        "İß".into(),
        "null".into(),
        "NaN".into(),
        "../../etc/passwd".into(),
        "<script>alert(1)</script>".into(),
        "'; DROP TABLE events; --".into(),
        "%00%ff".into(),
        "\\\"".into(),
        "s0".into(),
        "d0".into(),
        "SEK".into(),
        "2026-01-01T00:00:00Z".into(),
        "9999-12-31T23:59:59.999999Z".into(),
        "0000-01-01T00:00:00Z".into(),
        "1970-01-01T00:00:00+23:59".into(),
        "2026-03-29T02:30:00+01:00".into(),
        "2026-13-45T25:61:61Z".into(),
        combining,
        emoji,
        long,
    ];
    pick(rng, &options).clone()
}

fn absurd_number(rng: &mut StdRng) -> Value {
    match rng.gen_range(0..10) {
        0 => json!(0),
        1 => json!(-1),
        2 => json!(i64::MAX),
        3 => json!(i64::MIN),
        4 => json!(u64::MAX),
        5 => json!(1.5),
        6 => json!(f64::MAX),
        7 => json!(-f64::MIN_POSITIVE),
        8 => json!(1_000_000_000_000_000_001_i64),
        _ => json!(rng.gen::<i64>()),
    }
}

fn hostile_value(rng: &mut StdRng, depth: u32) -> Value {
    match rng.gen_range(0..10) {
        0 => Value::Null,
        1 => Value::Bool(rng.gen()),
        2 | 3 => absurd_number(rng),
        4..=6 => Value::String(edge_string(rng)),
        7 if depth < 4 => Value::Array(
            (0..rng.gen_range(0..60))
                .map(|_| hostile_value(rng, depth + 1))
                .collect(),
        ),
        8 if depth < 4 => {
            let mut m = Map::new();
            for _ in 0..rng.gen_range(0..6) {
                m.insert(edge_string(rng), hostile_value(rng, depth + 1));
            }
            Value::Object(m)
        }
        _ => Value::Array(vec![]),
    }
}

fn fresh(rng: &mut StdRng, prefix: &str) -> String {
    format!("{prefix}{}", rng.gen::<u32>())
}

/// A valid-looking event: some are accepted, most are a good base for a
/// mutation that is almost right.
fn event_body(rng: &mut StdRng) -> Value {
    let s = |rng: &mut StdRng| pick(rng, &SELLERS).to_string();
    let d = |rng: &mut StdRng| pick(rng, &DIVISIONS).to_string();
    let (ty, data) = match rng.gen_range(0..11) {
        0 => (
            "division_created",
            json!({"id": fresh(rng, "d"), "name": "New division"}),
        ),
        1 => (
            "seller_joined",
            json!({"id": fresh(rng, "s"), "name": "New seller", "division": d(rng)}),
        ),
        2 => (
            "lead_given",
            json!({"lead": fresh(rng, "L"), "from": s(rng), "to_division": d(rng),
                    "customer": "Acme", "to_seller": s(rng), "note": "n", "estimated_value": 1000}),
        ),
        3 => (
            "lead_feedback",
            json!({"lead": "L0", "by": s(rng), "status": "contacted", "note": "ok"}),
        ),
        4 => (
            "joint_visit",
            json!({"host": s(rng), "guests": [s(rng)], "customer": "Acme"}),
        ),
        5 => (
            "meeting_held",
            json!({"seller": s(rng), "customer": "Acme", "lead": "L0"}),
        ),
        6 => (
            "order_closed",
            json!({"order": fresh(rng, "O"), "seller": s(rng), "customer": "Acme",
                    "amount": 12345, "currency": "SEK", "lead": "L0"}),
        ),
        7 => (
            "event_voided",
            json!({"seq": rng.gen_range(1..40), "reason": "bogus"}),
        ),
        8 => ("division_renamed", json!({"id": d(rng), "name": "Renamed"})),
        9 => (
            "seller_moved",
            json!({"seller": s(rng), "division": d(rng)}),
        ),
        _ => ("seller_left", json!({"seller": fresh(rng, "s")})),
    };
    let mut body = json!({"type": ty, "data": data});
    if rng.gen_bool(0.5) {
        body["id"] = Value::String(fresh(rng, "c"));
    }
    if rng.gen_bool(0.3) {
        body["occurred_at"] = Value::String(days_from_now(-5));
    }
    body
}

/// RFC 3339 time `days` from now, so that no outcome depends on the date
/// the test runs on.
fn days_from_now(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days)).to_rfc3339()
}

fn competition_body(rng: &mut StdRng) -> Value {
    json!({"id": fresh(rng, "c"), "name": "Spring cup",
           "start": days_from_now(-30), "end": days_from_now(300),
           "divisions": ["d0", "d1"], "scoring": "per_seller"})
}

/// Replaces, removes or adds one node somewhere in `v`.
fn mutate(rng: &mut StdRng, v: &mut Value, depth: u32) {
    let descend = depth < 6 && rng.gen_bool(0.6);
    match v {
        Value::Object(m) if !m.is_empty() => {
            let keys: Vec<String> = m.keys().cloned().collect();
            let k = pick(rng, &keys).clone();
            if descend {
                if let Some(child) = m.get_mut(&k) {
                    return mutate(rng, child, depth + 1);
                }
            }
            match rng.gen_range(0..4) {
                0 => {
                    m.remove(&k);
                }
                1 => {
                    m.insert(edge_string(rng), hostile_value(rng, 0));
                }
                _ => {
                    m.insert(k, hostile_value(rng, 0));
                }
            }
        }
        Value::Array(a) if !a.is_empty() => {
            let i = rng.gen_range(0..a.len());
            if descend {
                return mutate(rng, &mut a[i], depth + 1);
            }
            a[i] = hostile_value(rng, 0);
        }
        other => *other = hostile_value(rng, 0),
    }
}

/// Byte-level damage to serialized JSON.
fn damage(rng: &mut StdRng, bytes: &mut Vec<u8>) {
    if bytes.is_empty() {
        bytes.push(b'{');
    }
    let at = rng.gen_range(0..bytes.len());
    match rng.gen_range(0..9) {
        0 => bytes.truncate(at),
        1 => bytes[at] ^= 1 << rng.gen_range(0..8),
        2 => {
            let bad: &[u8] = pick(
                rng,
                &[
                    &[0xff][..],
                    &[0xc3, 0x28],
                    &[0xed, 0xa0, 0x80],
                    &[0xf4, 0x90, 0x80, 0x80],
                    &[0xc0, 0xaf],
                    &[0x00],
                ],
            );
            bytes.splice(at..at, bad.iter().copied());
        }
        3 => {
            let s: &[u8] = pick(
                rng,
                &[
                    &b"\\ud800"[..],
                    b"\\udc00\\ud800",
                    b"1e999",
                    b"-0",
                    b"123456789012345678901234567890",
                    b"NaN",
                    b"Infinity",
                    b",",
                    b"}",
                    b"\"",
                    b"//",
                ],
            );
            bytes.splice(at..at, s.iter().copied());
        }
        4 => bytes.splice(0..0, [0xef, 0xbb, 0xbf]).for_each(drop),
        5 => {
            // Duplicate keys: the second `type` disagrees with the first.
            let s =
                String::from_utf8_lossy(bytes).replacen("{\"", "{\"type\":\"seller_left\",\"", 1);
            *bytes = s.into_bytes();
        }
        6 => bytes.extend_from_slice(b" trailing"),
        7 => {
            let copy = bytes.clone();
            bytes.extend_from_slice(&copy);
        }
        _ => bytes.retain(|b| !b.is_ascii_whitespace() || rng.gen_bool(0.5)),
    }
}

fn deep_json(rng: &mut StdRng) -> Vec<u8> {
    let n = rng.gen_range(100..40_000);
    let (open, close): (&str, &str) = if rng.gen() {
        ("[", "]")
    } else {
        ("{\"a\":", "}")
    };
    let inner = format!("{}1{}", open.repeat(n), close.repeat(n));
    if rng.gen() {
        format!("{{\"type\":\"seller_left\",\"data\":{inner}}}").into_bytes()
    } else {
        inner.into_bytes()
    }
}

fn huge_json(rng: &mut StdRng) -> Vec<u8> {
    let n = pick(rng, &[60_000usize, 65_400, 65_536, 70_000, 1_000_000]);
    match rng.gen_range(0..3) {
        0 => serde_json::to_vec(&json!({"type": "lead_given", "data": {
            "lead": "Lhuge", "from": "s0", "to_division": "d1", "customer": "Acme",
            "note": "n".repeat(n)}}))
        .unwrap_or_default(),
        1 => serde_json::to_vec(&json!({"type": "joint_visit", "data": {
            "host": "s0", "guests": vec!["s1"; n / 6], "customer": "Acme"}}))
        .unwrap_or_default(),
        _ => {
            let mut m = Map::new();
            for i in 0..n / 12 {
                m.insert(format!("k{i}"), json!(i));
            }
            serde_json::to_vec(&Value::Object(m)).unwrap_or_default()
        }
    }
}

fn percent(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("%{b:02X}")).collect()
}

fn odd_query(rng: &mut StdRng) -> String {
    let keys = [
        "after",
        "limit",
        "window",
        "at",
        "scoring",
        "board",
        "x",
        "",
        "%FF",
        "a[b]",
        "after[]",
        "window%00",
    ];
    let values = [
        "-1".to_string(),
        "0".into(),
        "1".into(),
        "18446744073709551615".into(),
        "18446744073709551616".into(),
        "1e3".into(),
        String::new(),
        "%00".into(),
        "%FF%FE".into(),
        "week".into(),
        "all".into(),
        "day".into(),
        "quarter".into(),
        "WEEK".into(),
        "per_seller".into(),
        "divisions".into(),
        "9999-12-31T23:59:59Z".into(),
        "0000-01-01T00:00:00Z".into(),
        "2026-03-29T02:30:00%2B01:00".into(),
        "2026-10-25T02:30:00+01:00".into(),
        percent("😀ü".as_bytes()),
        "a+b".into(),
        "x".repeat(4000),
        "=".into(),
    ];
    let mut q = String::new();
    for i in 0..rng.gen_range(0..6) {
        if i > 0 {
            q.push_str(pick(rng, &["&", "&&", ";"]));
        }
        q.push_str(pick(rng, &keys));
        if rng.gen_bool(0.9) {
            q.push('=');
            q.push_str(&pick(rng, &values));
        }
    }
    q
}

fn get_path(rng: &mut StdRng) -> String {
    let long = "a".repeat(5000);
    let paths = [
        "/healthz".to_string(),
        "/api/v1/events".into(),
        "/api/v1/boards/sellers".into(),
        "/api/v1/boards/divisions".into(),
        "/api/v1/boards/competition:c0".into(),
        "/api/v1/boards/competition:".into(),
        "/api/v1/boards/%FF".into(),
        "/api/v1/boards/".into(),
        "/api/v1/sellers".into(),
        "/api/v1/sellers/s0".into(),
        "/api/v1/sellers/%FF%FE".into(),
        "/api/v1/sellers/%00".into(),
        format!("/api/v1/sellers/{}", percent("😀".as_bytes())),
        format!("/api/v1/sellers/{long}"),
        "/api/v1/divisions".into(),
        "/api/v1/collaboration".into(),
        "/api/v1/rules".into(),
        "/api/v1/competitions".into(),
        "/api/v1/competitions/c0".into(),
        "/api/v1/competitions/%FF".into(),
        "/api/v1/live".into(),
        "/".into(),
        "/wall".into(),
        "//api/v1/events".into(),
        "/api/v1/events/../events".into(),
        "/api/v1/%65vents".into(),
        "/nope".into(),
    ];
    pick(rng, &paths).clone()
}

fn generate(rng: &mut StdRng, rules: &Value) -> Req {
    let writes: [(&str, &str); 7] = [
        ("POST", "/api/v1/events"),
        ("POST", "/api/v1/events"),
        ("POST", "/api/v1/events"),
        ("POST", "/api/v1/competitions"),
        ("POST", "/api/v1/competitions/c0/close"),
        ("PUT", "/api/v1/rules"),
        ("POST", "/api/v1/rules/preview?board=divisions&window=all"),
    ];
    let (method, path) = pick(rng, &writes);
    let base = |rng: &mut StdRng| match path {
        "/api/v1/competitions" => competition_body(rng),
        "/api/v1/competitions/c0/close" => json!({}),
        p if p.starts_with("/api/v1/rules") => {
            let mut b = json!({"rules": rules.clone()});
            if method == "PUT" {
                b["retroactive"] = Value::Bool(rng.gen());
            }
            b
        }
        _ => event_body(rng),
    };
    let bucket = rng.gen_range(0..100);
    let mut req = match bucket {
        // Valid or nearly so.
        0..=14 => Req::new(method, path).json(serde_json::to_vec(&base(rng)).unwrap_or_default()),
        // Structural mutations.
        15..=44 => {
            let mut v = base(rng);
            for _ in 0..rng.gen_range(1..4) {
                mutate(rng, &mut v, 0);
            }
            Req::new(method, path).json(serde_json::to_vec(&v).unwrap_or_default())
        }
        // Byte-level damage.
        45..=59 => {
            let mut b = serde_json::to_vec(&base(rng)).unwrap_or_default();
            for _ in 0..rng.gen_range(1..3) {
                damage(rng, &mut b);
            }
            Req::new(method, path).json(b)
        }
        60..=62 => Req::new(method, path).json(deep_json(rng)),
        63..=65 => Req::new(method, path).json(huge_json(rng)),
        // Not JSON at all, or not an object.
        66..=68 => {
            let bodies: [&[u8]; 8] = [
                b"",
                b"null",
                b"[]",
                b"42",
                b"\"string\"",
                b"type=lead_given&data=x",
                b"\x00\x01\x02\xff\xfe",
                b"{}",
            ];
            Req::new(method, path).json(pick(rng, &bodies).to_vec())
        }
        // Wrong or odd content types.
        69..=74 => {
            let mut r = Req::new(method, path);
            r.body = serde_json::to_vec(&base(rng)).unwrap_or_default();
            let ct: &[u8] = pick(
                rng,
                &[
                    &b"text/plain"[..],
                    b"application/x-www-form-urlencoded",
                    b"multipart/form-data; boundary=x",
                    b"APPLICATION/JSON",
                    b"application/json; charset=latin1",
                    b"application/json-patch+json",
                    b"",
                    b"\xff\xfe",
                    b"application/json, text/html",
                ],
            );
            if rng.gen_bool(0.9) {
                r.headers.push(("content-type".into(), ct.to_vec()));
            }
            r
        }
        // Wrong methods anywhere.
        75..=79 => {
            let m = pick(
                rng,
                &[
                    "GET", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "FOO", "get",
                    "POST",
                ],
            );
            let p = if rng.gen() {
                get_path(rng)
            } else {
                path.to_string()
            };
            let mut r = Req::new(m, p);
            if rng.gen() {
                r = r.json(serde_json::to_vec(&base(rng)).unwrap_or_default());
            }
            r
        }
        // Lying framing: truncated bodies, broken chunks, huge declared lengths.
        80..=84 => {
            let b = serde_json::to_vec(&base(rng)).unwrap_or_default();
            let mut r = Req::new(method, path);
            r.lies = true;
            r.headers
                .push(("content-type".into(), b"application/json".to_vec()));
            match rng.gen_range(0..5) {
                0 => {
                    let cut = rng.gen_range(0..b.len().max(1));
                    r.content_length = Some(b.len().to_string());
                    r.body = b[..cut].to_vec();
                }
                1 => {
                    r.content_length = Some(
                        pick(
                            rng,
                            &["-1", "abc", "99999999999999999999", "1000000000", "1, 2"],
                        )
                        .to_string(),
                    );
                    r.body = b;
                }
                2 => {
                    let mut c = format!("{:x}\r\n", b.len() + rng.gen_range(1..10)).into_bytes();
                    c.extend_from_slice(&b);
                    c.extend_from_slice(b"\r\n0\r\n\r\n");
                    r.chunked = Some(c);
                }
                3 => r.chunked = Some(b"zz\r\nhello\r\n".to_vec()),
                _ => {
                    r.content_length = Some("3".into());
                    r.body = b;
                }
            }
            r
        }
        // GET endpoints with odd query strings.
        _ => {
            let mut target = get_path(rng).into_bytes();
            target.push(b'?');
            if rng.gen_bool(0.1) {
                target.extend_from_slice(&[0xff, b'=', 0xfe]);
            } else {
                target.extend_from_slice(odd_query(rng).as_bytes());
            }
            Req::new("GET", target)
        }
    };
    if method == "PUT" && rng.gen_bool(0.8) {
        let v: &[u8] = pick(
            rng,
            &[
                &b"0"[..],
                b"1",
                b"2",
                b"\"1\"",
                b"-1",
                b"99999999999",
                b"x",
                b"\xff",
            ],
        );
        req.headers.push(("if-match".into(), v.to_vec()));
    }
    // Every request framed honestly and small enough to be read whole:
    // only lying framing, or a body the server refuses (413) before it has
    // read it, may end in a closed connection.
    req.must_answer = !req.lies && !matches!(bucket, 60..=65);
    req
}

// ---------------------------------------------------------------- the test

/// True for answers that appended to the log.
fn appended(method: &str, path: &str, status: u16) -> bool {
    matches!(
        (method, path, status),
        ("POST", "/api/v1/events", 201)
            | ("POST", "/api/v1/competitions", 201)
            | ("POST", "/api/v1/competitions/c0/close", 200)
            | ("PUT", "/api/v1/rules", 200..=299)
    )
}

#[derive(Default)]
struct Tally {
    by_status: HashMap<u16, u64>,
    closed: u64,
    appended: u64,
    /// (seq, id) answered for each new event.
    events: Vec<(u64, String)>,
    failures: Vec<String>,
    /// 4xx answers not in the contract's error shape.
    unshaped: Vec<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hostile_requests_never_5xx_panic_or_write_unaccepted() {
    let total = env_u64("CROSSBOARD_HOSTILE_REQUESTS").unwrap_or(10_000);
    let seed = env_u64("CROSSBOARD_HOSTILE_SEED").unwrap_or_else(|| rand::thread_rng().gen());
    println!("hostile test: seed {seed} (CROSSBOARD_HOSTILE_SEED={seed}), {total} requests");
    eprintln!("hostile test seed: {seed}");

    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let s = common::Server::start(&data);
    let c = common::client();
    let post = |body: Value| {
        let c = c.clone();
        let url = s.url("/api/v1/events");
        async move {
            let (code, b) = common::post(&c, &url, &body).await;
            assert!(code == 201, "setup: {code} {b}");
        }
    };
    for d in DIVISIONS {
        post(json!({"type": "division_created", "data": {"id": d, "name": d}})).await;
    }
    for (i, s) in SELLERS.iter().enumerate() {
        post(json!({"type": "seller_joined", "data": {"id": s, "name": s, "division": DIVISIONS[i % 3]}})).await;
    }
    post(json!({"type": "lead_given", "data": {"lead": "L0", "from": "s0", "to_division": "d1", "customer": "Acme"}})).await;
    let (code, b) = common::post(
        &c,
        &s.url("/api/v1/competitions"),
        &json!({"id": "c0", "name": "Cup", "start": days_from_now(-30),
                "end": days_from_now(300), "divisions": ["d0", "d1"], "scoring": "sum"}),
    )
    .await;
    assert!(code == 201 || code == 404, "setup competition: {code} {b}");
    let (_, rules) = common::get(&c, &s.url("/api/v1/rules")).await;
    let rules = rules["rules"].clone();
    let (_, h) = common::get(&c, &s.url("/healthz")).await;
    let before = h["seq"].as_u64().expect("seq");

    let addr = s.base.trim_start_matches("http://").to_string();
    let next = Arc::new(AtomicU64::new(0));
    let mut handles = Vec::new();
    for t in 0..TASKS {
        let addr = addr.clone();
        let next = next.clone();
        let rules = rules.clone();
        handles.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(seed ^ (t.wrapping_mul(0x9E37_79B9_7F4A_7C15)));
            let mut tally = Tally::default();
            while next.fetch_add(1, Ordering::Relaxed) < total {
                let req = generate(&mut rng, &rules);
                let path = req.path();
                match send(&addr, &req).await {
                    Ok(Outcome::Closed) if req.must_answer => tally.failures.push(format!(
                        "closed without an answer: {} {} {:?}",
                        req.method,
                        String::from_utf8_lossy(&req.target),
                        String::from_utf8_lossy(&req.body[..req.body.len().min(300)]),
                    )),
                    Ok(Outcome::Closed) => tally.closed += 1,
                    Ok(Outcome::Status(code, body)) => {
                        *tally.by_status.entry(code).or_default() += 1;
                        if code >= 500 {
                            tally.failures.push(format!(
                                "{code} for {} {} {:?}: {}",
                                req.method,
                                String::from_utf8_lossy(&req.target),
                                String::from_utf8_lossy(&req.body[..req.body.len().min(300)]),
                                String::from_utf8_lossy(&body)
                            ));
                        }
                        // hyper refuses malformed HTTP itself with an empty
                        // 400 before any route sees it; all else is ours.
                        if (400..500).contains(&code)
                            && req.method != "HEAD"
                            && !body.is_empty()
                            && path.starts_with("/api/")
                        {
                            let v: Value = serde_json::from_slice(&body).unwrap_or_default();
                            if !v["error"]["code"].is_string() || !v["error"]["message"].is_string()
                            {
                                tally.unshaped.push(format!(
                                    "{code} for {} {}: {}",
                                    req.method,
                                    String::from_utf8_lossy(
                                        &req.target[..req.target.len().min(200)]
                                    ),
                                    String::from_utf8_lossy(&body[..body.len().min(200)])
                                ));
                            }
                        }
                        if appended(&req.method, &path, code) {
                            tally.appended += 1;
                            if path == "/api/v1/events" {
                                let text = String::from_utf8_lossy(&body);
                                let v: Value = serde_json::from_str(&text).unwrap_or_default();
                                match (v["seq"].as_u64(), v["id"].as_str()) {
                                    (Some(seq), Some(id)) => tally.events.push((seq, id.into())),
                                    _ => tally.failures.push(format!("201 without seq: {text}")),
                                }
                            }
                        }
                    }
                    Err(e) => tally.failures.push(format!(
                        "{e} for {} {}",
                        req.method,
                        String::from_utf8_lossy(&req.target)
                    )),
                }
            }
            tally
        }));
    }
    let mut all = Tally::default();
    for h in handles {
        let t = h.await.expect("task");
        for (k, v) in t.by_status {
            *all.by_status.entry(k).or_default() += v;
        }
        all.closed += t.closed;
        all.appended += t.appended;
        all.events.extend(t.events);
        all.failures.extend(t.failures);
        all.unshaped.extend(t.unshaped);
    }
    let mut statuses: Vec<_> = all.by_status.iter().collect();
    statuses.sort();
    println!(
        "answers by status: {statuses:?}; closed without answer: {}; appended: {}",
        all.closed, all.appended
    );
    assert!(
        all.failures.is_empty(),
        "{} failures (seed {seed}), first ones:\n{}",
        all.failures.len(),
        all.failures
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );

    assert!(
        all.unshaped.is_empty(),
        "{} 4xx answers not in the contract's error shape, first ones:\n{}",
        all.unshaped.len(),
        all.unshaped
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );

    // A server that refuses everything would pass every check above: a
    // share of the valid requests must have been accepted. About 15% of
    // requests are valid or nearly so and a good part of those append, so
    // 1% is a floor far below what a working server does.
    let floor = (total / 100).max(1);
    assert!(
        all.appended >= floor,
        "only {} of {total} requests were accepted, fewer than {floor} (seed {seed}); \
         answers by status: {statuses:?}",
        all.appended
    );
    let ok: u64 = all
        .by_status
        .iter()
        .filter(|(code, _)| (200..300).contains(*code))
        .map(|(_, n)| n)
        .sum();
    assert!(
        ok >= floor * 2,
        "only {ok} of {total} requests were answered 2xx (seed {seed})"
    );

    // Still healthy, and the log grew by exactly what was accepted.
    let (code, h) = common::get(&c, &s.url("/healthz")).await;
    assert_eq!(code, 200, "{h}");
    let after = h["seq"].as_u64().expect("seq");
    assert_eq!(
        after - before,
        all.appended,
        "the log grew by {} but {} requests were accepted (seed {seed})",
        after - before,
        all.appended
    );
    let log = common::all_events(&c, &s).await;
    assert_eq!(log.len() as u64, after);
    for (seq, id) in &all.events {
        let e = &log[(*seq - 1) as usize];
        assert_eq!(e["id"].as_str(), Some(id.as_str()), "seq {seq} holds {e}");
    }

    let stderr = std::fs::read_to_string(data.with_extension("stderr.log")).unwrap_or_default();
    assert!(
        !stderr.contains("panicked"),
        "the server panicked (seed {seed}):\n{stderr}"
    );
}
