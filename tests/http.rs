//! The JSON API over a real server on 127.0.0.1 with a real data dir: every
//! event type goes in, every bad input comes back as a 4xx in the contract's
//! error shape and leaves the log untouched, retries are idempotent, and the
//! boards say what the default rules promise.
//!
//! Times are fixed in the past (autumn 2026) and boards are read with an
//! explicit `at=`, so nothing here depends on the clock.

mod common;

use common::{all_events, client, get, post, Server};
use serde_json::{json, Value};

/// A Monday in the past; fixtures are laid out from it.
const MONDAY: &str = "2026-10-05T09:00:00Z";

/// Posts an event and insists it was created, returning its seq.
async fn must_post(c: &reqwest::Client, s: &Server, body: Value) -> u64 {
    let (code, resp) = post(c, &s.url("/api/v1/events"), &body).await;
    assert_eq!(code, 201, "{body} -> {resp}");
    resp["seq"].as_u64().expect("seq")
}

/// Posts raw bytes with a chosen content type, for the cases `post` cannot
/// express (bad JSON, wrong content type, huge bodies).
async fn post_raw(
    c: &reqwest::Client,
    s: &Server,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (u16, Value) {
    let mut req = c.post(s.url("/api/v1/events")).body(body);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let r = req.send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Asserts the contract's error shape: `{"error": {"code", "message", "field"?}}`.
fn assert_error(resp: &Value, code: &str, field: Option<&str>, what: &str) {
    let err = &resp["error"];
    assert_eq!(err["code"], code, "{what}: {resp}");
    assert!(
        err["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{what}: no message in {resp}"
    );
    match field {
        Some(f) => assert_eq!(err["field"], f, "{what}: {resp}"),
        None => assert!(err.get("field").is_none(), "{what}: {resp}"),
    }
}

/// Two divisions (a, b) and three sellers: anna (a), bo (b), cia (b); one
/// lead from anna to b and one order on it, all at `MONDAY`.
async fn fixture(c: &reqwest::Client, s: &Server) {
    for body in [
        json!({"type": "division_created", "occurred_at": MONDAY, "data": {"id": "a", "name": "A"}}),
        json!({"type": "division_created", "occurred_at": MONDAY, "data": {"id": "b", "name": "B"}}),
        json!({"type": "seller_joined", "occurred_at": MONDAY, "data": {"id": "anna", "name": "Anna", "division": "a"}}),
        json!({"type": "seller_joined", "occurred_at": MONDAY, "data": {"id": "bo", "name": "Bo", "division": "b"}}),
        json!({"type": "seller_joined", "occurred_at": MONDAY, "data": {"id": "cia", "name": "Cia", "division": "b"}}),
        json!({"type": "lead_given", "occurred_at": MONDAY, "data": {"lead": "L1", "from": "anna", "to_division": "b", "customer": "Acme"}}),
        json!({"type": "order_closed", "occurred_at": MONDAY, "data": {"order": "O1", "seller": "bo", "customer": "Acme", "amount": 100, "currency": "SEK"}}),
    ] {
        must_post(c, s, body).await;
    }
}

fn board_url(s: &Server, board: &str, window: &str, at: &str) -> String {
    s.url(&format!("/api/v1/boards/{board}?window={window}&at={at}"))
}

/// `(id, points)` of each row, in board order.
fn points(board: &Value) -> Vec<(String, i64)> {
    board["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r["id"].as_str().expect("id").to_string(),
                r["points"].as_i64().expect("points"),
            )
        })
        .collect()
}

fn pts(rows: &[(&str, i64)]) -> Vec<(String, i64)> {
    rows.iter().map(|(id, p)| (id.to_string(), *p)).collect()
}

#[tokio::test]
async fn every_postable_event_type_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("data"));
    let c = client();
    let bodies = [
        json!({"type": "division_created", "data": {"id": "energy", "name": "Energy"}}),
        json!({"type": "division_created", "data": {"id": "service", "name": "Service"}}),
        json!({"type": "seller_joined", "data": {"id": "lars", "name": "Lars", "division": "energy"}}),
        json!({"type": "seller_joined", "data": {"id": "ida", "name": "Ida", "division": "service"}}),
        json!({"type": "seller_joined", "data": {"id": "per", "name": "Per", "division": "service"}}),
        json!({"type": "lead_given", "data": {"lead": "L1", "from": "lars", "to_division": "service",
            "to_seller": "ida", "customer": "Volvo", "note": "new plant", "estimated_value": 5000000}}),
        json!({"type": "lead_feedback", "data": {"lead": "L1", "by": "ida", "status": "meeting_booked", "note": "Friday"}}),
        json!({"type": "joint_visit", "data": {"host": "ida", "guests": ["lars", "per"], "customer": "Volvo"}}),
        json!({"type": "meeting_held", "data": {"seller": "ida", "customer": "Volvo", "lead": "L1"}}),
        json!({"type": "order_closed", "data": {"order": "O1", "seller": "ida", "customer": "Volvo",
            "amount": 4500000, "currency": "SEK", "lead": "L1"}}),
        json!({"type": "event_voided", "data": {"seq": 9, "reason": "logged twice"}}),
        json!({"type": "division_renamed", "data": {"id": "energy", "name": "Energy & Power"}}),
        json!({"type": "seller_moved", "data": {"seller": "per", "division": "energy"}}),
        json!({"type": "seller_left", "data": {"seller": "per"}}),
    ];
    for (i, body) in bodies.iter().enumerate() {
        let (code, resp) = post(&c, &s.url("/api/v1/events"), body).await;
        assert_eq!(code, 201, "{body} -> {resp}");
        assert_eq!(resp["seq"], i as u64 + 1, "{resp}");
        assert!(resp["id"].as_str().is_some_and(|id| !id.is_empty()));
    }
    let events = all_events(&c, &s).await;
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    let sent: Vec<&str> = bodies.iter().map(|b| b["type"].as_str().unwrap()).collect();
    assert_eq!(types, sent);
    // The log gives back what was sent, field for field.
    for (e, b) in events.iter().zip(&bodies) {
        assert_eq!(e["data"], b["data"], "{e}");
        for key in ["seq", "id", "occurred_at", "recorded_at", "actor"] {
            assert!(!e[key].is_null(), "{key} missing in {e}");
        }
    }
    let (code, _) = get(&c, &s.url("/api/v1/sellers/per")).await;
    assert_eq!(code, 200);
}

#[tokio::test]
async fn every_rejection_is_a_4xx_naming_the_field_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("data"));
    let c = client();
    fixture(&c, &s).await;
    // A void target that is already voided, and a non-activity seq (1).
    let meeting = must_post(
        &c,
        &s,
        json!({"type": "meeting_held", "data": {"seller": "bo", "customer": "Acme"}}),
    )
    .await;
    must_post(
        &c,
        &s,
        json!({"type": "event_voided", "data": {"seq": meeting, "reason": "test"}}),
    )
    .await;
    let before = all_events(&c, &s).await;
    let in_3_days = (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339();

    // (what, body, status, code, field)
    let cases: Vec<(&str, Value, u16, &str, Option<&str>)> = vec![
        (
            "unknown division",
            json!({"type": "seller_joined", "data": {"id": "x", "name": "X", "division": "nope"}}),
            422,
            "unknown_division",
            Some("data.division"),
        ),
        (
            "unknown to_division",
            json!({"type": "lead_given", "data": {"lead": "L9", "from": "anna", "to_division": "nope", "customer": "C"}}),
            422,
            "unknown_division",
            Some("data.to_division"),
        ),
        (
            "unknown seller (from)",
            json!({"type": "lead_given", "data": {"lead": "L9", "from": "ghost", "to_division": "b", "customer": "C"}}),
            422,
            "unknown_seller",
            Some("data.from"),
        ),
        (
            "unknown seller (meeting)",
            json!({"type": "meeting_held", "data": {"seller": "ghost", "customer": "C"}}),
            422,
            "unknown_seller",
            Some("data.seller"),
        ),
        (
            "unknown guest",
            json!({"type": "joint_visit", "data": {"host": "anna", "guests": ["bo", "ghost"], "customer": "C"}}),
            422,
            "unknown_seller",
            Some("data.guests[1]"),
        ),
        (
            "unknown seller (move)",
            json!({"type": "seller_moved", "data": {"seller": "ghost", "division": "a"}}),
            422,
            "unknown_seller",
            Some("data.seller"),
        ),
        (
            "unknown division (rename)",
            json!({"type": "division_renamed", "data": {"id": "nope", "name": "N"}}),
            422,
            "unknown_division",
            Some("data.id"),
        ),
        (
            "unknown lead (feedback)",
            json!({"type": "lead_feedback", "data": {"lead": "nope", "by": "bo", "status": "won"}}),
            422,
            "unknown_lead",
            Some("data.lead"),
        ),
        (
            "unknown lead (meeting)",
            json!({"type": "meeting_held", "data": {"seller": "bo", "customer": "C", "lead": "nope"}}),
            422,
            "unknown_lead",
            Some("data.lead"),
        ),
        (
            "unknown lead (order)",
            json!({"type": "order_closed", "data": {"order": "O9", "seller": "bo", "customer": "C", "amount": 5, "currency": "SEK", "lead": "nope"}}),
            422,
            "unknown_lead",
            Some("data.lead"),
        ),
        (
            // anna, the only seller outside b, gave L1: fair play names
            // that more precisely than "not in the receiving division".
            "feedback by the lead's giver",
            json!({"type": "lead_feedback", "data": {"lead": "L1", "by": "anna", "status": "contacted"}}),
            422,
            "feedback_by_giver",
            Some("data.by"),
        ),
        (
            "host among guests",
            json!({"type": "joint_visit", "data": {"host": "anna", "guests": ["anna"], "customer": "C"}}),
            422,
            "host_among_guests",
            Some("data.guests[0]"),
        ),
        (
            "no guests",
            json!({"type": "joint_visit", "data": {"host": "anna", "guests": [], "customer": "C"}}),
            422,
            "no_guests",
            Some("data.guests"),
        ),
        (
            "zero amount",
            json!({"type": "order_closed", "data": {"order": "O9", "seller": "bo", "customer": "C", "amount": 0, "currency": "SEK"}}),
            422,
            "invalid_value",
            Some("data.amount"),
        ),
        (
            "negative amount",
            json!({"type": "order_closed", "data": {"order": "O9", "seller": "bo", "customer": "C", "amount": -100, "currency": "SEK"}}),
            422,
            "invalid_value",
            Some("data.amount"),
        ),
        (
            "fractional amount",
            json!({"type": "order_closed", "data": {"order": "O9", "seller": "bo", "customer": "C", "amount": 10.5, "currency": "SEK"}}),
            422,
            "invalid_value",
            Some("data.amount"),
        ),
        (
            "amount as a string",
            json!({"type": "order_closed", "data": {"order": "O9", "seller": "bo", "customer": "C", "amount": "100", "currency": "SEK"}}),
            422,
            "invalid_type",
            Some("data.amount"),
        ),
        (
            "currency not ISO 4217",
            json!({"type": "order_closed", "data": {"order": "O9", "seller": "bo", "customer": "C", "amount": 100, "currency": "XYZ"}}),
            422,
            "invalid_currency",
            Some("data.currency"),
        ),
        (
            "currency in lower case",
            json!({"type": "order_closed", "data": {"order": "O9", "seller": "bo", "customer": "C", "amount": 100, "currency": "sek"}}),
            422,
            "invalid_currency",
            Some("data.currency"),
        ),
        (
            "currency as a number",
            json!({"type": "order_closed", "data": {"order": "O9", "seller": "bo", "customer": "C", "amount": 100, "currency": 752}}),
            422,
            "invalid_type",
            Some("data.currency"),
        ),
        (
            "occurred_at unparsable",
            json!({"type": "seller_left", "occurred_at": "last tuesday", "data": {"seller": "bo"}}),
            422,
            "invalid_time",
            Some("occurred_at"),
        ),
        (
            "occurred_at not a string",
            json!({"type": "seller_left", "occurred_at": 1700000000, "data": {"seller": "bo"}}),
            422,
            "invalid_type",
            Some("occurred_at"),
        ),
        (
            "occurred_at 3 days ahead",
            json!({"type": "seller_left", "occurred_at": in_3_days, "data": {"seller": "bo"}}),
            422,
            "in_future",
            Some("occurred_at"),
        ),
        (
            "duplicate division",
            json!({"type": "division_created", "data": {"id": "a", "name": "Again"}}),
            409,
            "duplicate_id",
            Some("data.id"),
        ),
        (
            "duplicate seller",
            json!({"type": "seller_joined", "data": {"id": "bo", "name": "Bo 2", "division": "a"}}),
            409,
            "duplicate_id",
            Some("data.id"),
        ),
        (
            "duplicate lead",
            json!({"type": "lead_given", "data": {"lead": "L1", "from": "anna", "to_division": "b", "customer": "C"}}),
            409,
            "duplicate_id",
            Some("data.lead"),
        ),
        (
            "duplicate order",
            json!({"type": "order_closed", "data": {"order": "O1", "seller": "bo", "customer": "C", "amount": 5, "currency": "SEK"}}),
            409,
            "duplicate_id",
            Some("data.order"),
        ),
        (
            "void of an unknown seq",
            json!({"type": "event_voided", "data": {"seq": 9999, "reason": "r"}}),
            422,
            "unknown_seq",
            Some("data.seq"),
        ),
        (
            "void of a voided seq",
            json!({"type": "event_voided", "data": {"seq": meeting, "reason": "again"}}),
            409,
            "already_voided",
            Some("data.seq"),
        ),
        (
            "void of a non-activity",
            json!({"type": "event_voided", "data": {"seq": 1, "reason": "r"}}),
            422,
            "not_voidable",
            Some("data.seq"),
        ),
        (
            "void of seq 0",
            json!({"type": "event_voided", "data": {"seq": 0, "reason": "r"}}),
            422,
            "invalid_value",
            Some("data.seq"),
        ),
        (
            "guests not a list",
            json!({"type": "joint_visit", "data": {"host": "anna", "guests": "bo", "customer": "C"}}),
            422,
            "invalid_type",
            Some("data.guests"),
        ),
        (
            "guest not a string",
            json!({"type": "joint_visit", "data": {"host": "anna", "guests": [7], "customer": "C"}}),
            422,
            "invalid_type",
            Some("data.guests[0]"),
        ),
        (
            "seller id a number",
            json!({"type": "meeting_held", "data": {"seller": 5, "customer": "C"}}),
            422,
            "invalid_type",
            Some("data.seller"),
        ),
        (
            "client id a number",
            json!({"id": 5, "type": "seller_left", "data": {"seller": "bo"}}),
            422,
            "invalid_type",
            Some("id"),
        ),
        (
            "data not an object",
            json!({"type": "seller_left", "data": ["bo"]}),
            422,
            "invalid_type",
            Some("data"),
        ),
        (
            "missing data",
            json!({"type": "seller_left"}),
            422,
            "missing_field",
            Some("data"),
        ),
        (
            "missing required field",
            json!({"type": "order_closed", "data": {"order": "O9", "seller": "bo", "customer": "C", "currency": "SEK"}}),
            422,
            "missing_field",
            Some("data.amount"),
        ),
        (
            "unknown field",
            json!({"type": "seller_left", "data": {"seller": "bo", "sellr": "bo"}}),
            422,
            "unknown_field",
            Some("data.sellr"),
        ),
        (
            "unknown type",
            json!({"type": "lead_stolen", "data": {}}),
            422,
            "unknown_type",
            Some("type"),
        ),
        (
            "status outside the list",
            json!({"type": "lead_feedback", "data": {"lead": "L1", "by": "bo", "status": "maybe"}}),
            422,
            "invalid_value",
            Some("data.status"),
        ),
        (
            "body not an object",
            json!([1, 2, 3]),
            422,
            "invalid_type",
            None,
        ),
    ];
    for (what, body, status, code, field) in &cases {
        let (got, resp) = post(&c, &s.url("/api/v1/events"), body).await;
        assert_eq!(got, *status, "{what}: {body} -> {resp}");
        assert_error(&resp, code, *field, what);
    }

    let raw: Vec<RawCase> = vec![
        (
            "invalid JSON",
            Some("application/json"),
            b"{\"type\": \"seller_left\", \"data\": {".to_vec(),
            400,
            "invalid_json",
        ),
        (
            "wrong content type",
            Some("text/plain"),
            br#"{"type":"seller_left","data":{"seller":"bo"}}"#.to_vec(),
            415,
            "unsupported_media_type",
        ),
        (
            "form content type",
            Some("application/x-www-form-urlencoded"),
            b"type=seller_left&seller=bo".to_vec(),
            415,
            "unsupported_media_type",
        ),
        (
            "body over 64 KiB",
            Some("application/json"),
            oversize_body(),
            413,
            "body_too_large",
        ),
    ];
    for (what, ct, body, status, code) in raw {
        let (got, resp) = post_raw(&c, &s, ct, body).await;
        assert_eq!(got, status, "{what}: {resp}");
        assert_error(&resp, code, None, what);
    }

    assert_eq!(
        all_events(&c, &s).await,
        before,
        "a rejected event changed the log"
    );
    // The server is still healthy and appends after all that.
    must_post(
        &c,
        &s,
        json!({"type": "meeting_held", "data": {"seller": "bo", "customer": "Acme"}}),
    )
    .await;
    assert_eq!(all_events(&c, &s).await.len(), before.len() + 1);
}

/// (what, content type, body bytes, status, code) of a body `post` cannot send.
type RawCase = (
    &'static str,
    Option<&'static str>,
    Vec<u8>,
    u16,
    &'static str,
);

/// A valid-looking event whose note pushes the body just past 64 KiB: the
/// size alone must refuse it.
fn oversize_body() -> Vec<u8> {
    let note = "x".repeat(64 * 1024);
    serde_json::to_vec(&json!({"type": "meeting_held",
        "data": {"seller": "bo", "customer": "C", "note": note}}))
    .unwrap()
}

#[tokio::test]
async fn a_retry_with_the_same_id_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("data"));
    let c = client();
    fixture(&c, &s).await;
    let url = s.url("/api/v1/events");
    let body = json!({"id": "crm-4711", "type": "meeting_held", "occurred_at": MONDAY,
        "data": {"seller": "bo", "customer": "Acme", "lead": "L1"}});
    let (code, first) = post(&c, &url, &body).await;
    assert_eq!(code, 201, "{first}");
    assert_eq!(first["id"], "crm-4711");
    let after_first = all_events(&c, &s).await;

    for _ in 0..3 {
        let (code, again) = post(&c, &url, &body).await;
        assert_eq!(code, 200, "{again}");
        assert_eq!(again["seq"], first["seq"]);
        assert_eq!(again["id"], "crm-4711");
    }
    // The same id for another event is a conflict, not a silent overwrite.
    let mut other = body.clone();
    other["data"]["customer"] = json!("Other AB");
    let (code, resp) = post(&c, &url, &other).await;
    assert_eq!(code, 409, "{resp}");
    assert_error(&resp, "id_conflict", Some("id"), "same id, other body");
    let mut later = body.clone();
    later["occurred_at"] = json!("2026-10-06T09:00:00Z");
    let (code, resp) = post(&c, &url, &later).await;
    assert_eq!(code, 409, "same id, other time: {resp}");

    assert_eq!(all_events(&c, &s).await, after_first);
    // The retries used no seq: a fresh event gets the very next one.
    let next = must_post(
        &c,
        &s,
        json!({"type": "meeting_held", "data": {"seller": "bo", "customer": "Acme"}}),
    )
    .await;
    assert_eq!(next, first["seq"].as_u64().unwrap() + 1);
}

#[tokio::test]
async fn equal_points_share_a_rank() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("data"));
    let c = client();
    must_post(
        &c,
        &s,
        json!({"type": "division_created", "occurred_at": MONDAY, "data": {"id": "a", "name": "A"}}),
    )
    .await;
    // Meetings score 5 each under the default rules: 15, 10, 10, 5.
    for (seller, meetings) in [("dan", 1), ("cia", 2), ("bo", 2), ("anna", 3)] {
        must_post(
            &c,
            &s,
            json!({"type": "seller_joined", "occurred_at": MONDAY,
            "data": {"id": seller, "name": seller, "division": "a"}}),
        )
        .await;
        for _ in 0..meetings {
            must_post(
                &c,
                &s,
                json!({"type": "meeting_held", "occurred_at": MONDAY,
                "data": {"seller": seller, "customer": "Acme"}}),
            )
            .await;
        }
    }
    let (code, board) = get(&c, &board_url(&s, "sellers", "week", MONDAY)).await;
    assert_eq!(code, 200, "{board}");
    let rows = board["rows"].as_array().unwrap();
    let ranks: Vec<(&str, u64, i64)> = rows
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap(),
                r["rank"].as_u64().unwrap(),
                r["points"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        ranks,
        vec![
            ("anna", 1, 15),
            ("bo", 2, 10),
            ("cia", 2, 10),
            ("dan", 4, 5)
        ]
    );
    assert_eq!(board["window"]["kind"], "week");
    // Week of Monday 5 October 2026 in Stockholm (UTC+2 until the 25th).
    assert_eq!(board["window"]["start"], "2026-10-04T22:00:00Z");
    assert_eq!(board["window"]["end"], "2026-10-11T22:00:00Z");
}

#[tokio::test]
async fn voided_orders_and_leads_count_for_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("data"));
    let c = client();
    for body in [
        json!({"type": "division_created", "data": {"id": "a", "name": "A"}}),
        json!({"type": "division_created", "data": {"id": "b", "name": "B"}}),
        json!({"type": "seller_joined", "data": {"id": "anna", "name": "Anna", "division": "a"}}),
        json!({"type": "seller_joined", "data": {"id": "bo", "name": "Bo", "division": "b"}}),
    ] {
        must_post(&c, &s, body).await;
    }
    let at = |h: u32| format!("2026-10-05T{h:02}:00:00Z");
    // Lead across divisions: 10 × 2 = 20 to anna.
    let lead = must_post(&c, &s, json!({"type": "lead_given", "occurred_at": at(8),
        "data": {"lead": "L1", "from": "anna", "to_division": "b", "to_seller": "bo", "customer": "Acme"}}))
    .await;
    // Timely first feedback: 3 + 2 = 5 to bo; the meeting booked earns
    // anna the lead_meeting_bonus (5).
    must_post(
        &c,
        &s,
        json!({"type": "lead_feedback", "occurred_at": at(9),
        "data": {"lead": "L1", "by": "bo", "status": "meeting_booked"}}),
    )
    .await;
    // Meeting: 5 to bo; it stands on its own and survives every void below.
    must_post(
        &c,
        &s,
        json!({"type": "meeting_held", "occurred_at": at(10),
        "data": {"seller": "bo", "customer": "Acme"}}),
    )
    .await;
    // Order of 25,000.00 SEK: 20 + 2 = 22 to bo; a 25 % share (5) to anna.
    let order = must_post(&c, &s, json!({"type": "order_closed", "occurred_at": at(11),
        "data": {"order": "O1", "seller": "bo", "customer": "Acme", "amount": 2_500_000, "currency": "SEK", "lead": "L1"}}))
    .await;

    let sellers = board_url(&s, "sellers", "all", MONDAY);
    let divisions = board_url(&s, "divisions", "all", MONDAY);
    let profile = |id: &str| s.url(&format!("/api/v1/sellers/{id}?window=all&at={MONDAY}"));
    let (_, board) = get(&c, &sellers).await;
    assert_eq!(points(&board), pts(&[("bo", 32), ("anna", 30)]));
    let (_, bo) = get(&c, &profile("bo")).await;
    assert_eq!(bo["points_by_kind"]["order"], 22, "{bo}");
    assert_eq!(bo["stats"]["collaboration_value"]["SEK"], 2_500_000, "{bo}");

    must_post(
        &c,
        &s,
        json!({"type": "event_voided", "data": {"seq": order, "reason": "cancelled"}}),
    )
    .await;
    let (_, board) = get(&c, &sellers).await;
    assert_eq!(points(&board), pts(&[("anna", 25), ("bo", 10)]));
    let (_, bo) = get(&c, &profile("bo")).await;
    assert_eq!(bo["points"], 10, "{bo}");
    assert_eq!(bo["points_by_kind"]["order"], 0, "{bo}");
    assert_eq!(bo["stats"]["collaboration_value"], json!({}), "{bo}");
    let (_, anna) = get(&c, &profile("anna")).await;
    assert_eq!(anna["points_by_kind"]["lead_share"], 0, "{anna}");
    assert!(anna["recent"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["seq"] != order));

    // Voiding the lead takes its points and the feedback it earned.
    must_post(
        &c,
        &s,
        json!({"type": "event_voided", "data": {"seq": lead, "reason": "bogus"}}),
    )
    .await;
    let (_, board) = get(&c, &sellers).await;
    assert_eq!(points(&board), pts(&[("bo", 5), ("anna", 0)]));
    let (_, divs) = get(&c, &divisions).await;
    assert_eq!(points(&divs), pts(&[("b", 5), ("a", 0)]));
    let (_, anna) = get(&c, &profile("anna")).await;
    assert_eq!(anna["points"], 0, "{anna}");
    assert_eq!(anna["stats"]["leads_given"], 0, "{anna}");
    assert_eq!(anna["leads_given"], json!([]), "{anna}");
    let (_, bo) = get(&c, &profile("bo")).await;
    assert_eq!(bo["points_by_kind"]["feedback"], 0, "{bo}");
    assert_eq!(bo["stats"]["leads_received"], 0, "{bo}");
    // A voided lead takes no new activity.
    let (code, resp) = post(
        &c,
        &s.url("/api/v1/events"),
        &json!({"type": "lead_feedback",
        "data": {"lead": "L1", "by": "bo", "status": "won"}}),
    )
    .await;
    assert_eq!(code, 422, "{resp}");
    assert_error(
        &resp,
        "lead_voided",
        Some("data.lead"),
        "feedback on a voided lead",
    );
}

#[tokio::test]
async fn at_selects_a_past_window() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("data"));
    let c = client();
    fixture(&c, &s).await; // anna 20 for the lead, bo 20 for the order, at MONDAY
                           // Two weeks later, cia holds two meetings (10); anna one (5).
    let later = "2026-10-19T09:00:00Z";
    for seller in ["cia", "cia", "anna"] {
        must_post(
            &c,
            &s,
            json!({"type": "meeting_held", "occurred_at": later,
            "data": {"seller": seller, "customer": "Acme"}}),
        )
        .await;
    }
    let (_, first) = get(&c, &board_url(&s, "sellers", "week", MONDAY)).await;
    assert_eq!(points(&first), pts(&[("anna", 20), ("bo", 20), ("cia", 0)]));
    let (_, third) = get(&c, &board_url(&s, "sellers", "week", later)).await;
    assert_eq!(points(&third), pts(&[("cia", 10), ("anna", 5), ("bo", 0)]));
    assert_eq!(third["window"]["start"], "2026-10-18T22:00:00Z");
    // The week between is empty; the month holds both.
    let (_, between) = get(
        &c,
        &board_url(&s, "sellers", "week", "2026-10-12T09:00:00Z"),
    )
    .await;
    assert!(points(&between).iter().all(|(_, p)| *p == 0), "{between}");
    let (_, month) = get(&c, &board_url(&s, "sellers", "month", later)).await;
    assert_eq!(
        points(&month),
        pts(&[("anna", 25), ("bo", 20), ("cia", 10)])
    );
    let (_, day) = get(&c, &board_url(&s, "divisions", "day", later)).await;
    assert_eq!(points(&day), pts(&[("b", 10), ("a", 5)]));
    // A time that is not RFC 3339 is refused by name.
    let (code, resp) = get(&c, &board_url(&s, "sellers", "week", "yesterday")).await;
    assert_eq!(code, 400);
    assert_error(&resp, "invalid_query", Some("at"), "bad at");
}

#[tokio::test]
async fn division_board_credits_the_division_at_the_time_of_the_event() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("data"));
    let c = client();
    fixture(&c, &s).await; // at MONDAY: anna (a) 20, bo (b) 20
    let tuesday = "2026-10-06T09:00:00Z";
    let thursday = "2026-10-08T09:00:00Z";
    must_post(
        &c,
        &s,
        json!({"type": "meeting_held", "occurred_at": tuesday,
        "data": {"seller": "anna", "customer": "Acme"}}),
    )
    .await;
    must_post(
        &c,
        &s,
        json!({"type": "seller_moved", "occurred_at": "2026-10-07T09:00:00Z",
        "data": {"seller": "anna", "division": "b"}}),
    )
    .await;
    must_post(
        &c,
        &s,
        json!({"type": "meeting_held", "occurred_at": thursday,
        "data": {"seller": "anna", "customer": "Acme"}}),
    )
    .await;

    let (_, week) = get(&c, &board_url(&s, "divisions", "week", MONDAY)).await;
    assert_eq!(points(&week), pts(&[("a", 25), ("b", 25)]));
    let rows = week["rows"].as_array().unwrap();
    assert_eq!(rows[0]["rank"], 1);
    assert_eq!(rows[1]["rank"], 1);
    // anna counts as a head for both divisions this week: a has her alone,
    // b has bo, cia and her.
    assert_eq!(rows[0]["sellers"], 1, "{week}");
    assert_eq!(rows[1]["sellers"], 3, "{week}");
    let (_, tue) = get(&c, &board_url(&s, "divisions", "day", tuesday)).await;
    assert_eq!(points(&tue), pts(&[("a", 5), ("b", 0)]));
    let (_, thu) = get(&c, &board_url(&s, "divisions", "day", thursday)).await;
    assert_eq!(points(&thu), pts(&[("b", 5), ("a", 0)]));
    // The seller board follows the person, wherever they are now.
    let (_, sellers) = get(&c, &board_url(&s, "sellers", "week", MONDAY)).await;
    assert_eq!(sellers["rows"][0]["id"], "anna");
    assert_eq!(sellers["rows"][0]["points"], 30);
    assert_eq!(sellers["rows"][0]["division"], "b");
}
