//! Customer memory, team selling and promises kept, against the real binary:
//! `mastermind_held`, `customer_event` and `order_delivered` are accepted,
//! each refusal names its field, seller tokens act only as themselves,
//! `GET /api/v1/customers?q=` shows the furthest state per division, and a
//! customer's timeline lists everything in business-time order.

mod common;

use common::{client, client_with_token, get, post, run_cli, Server};
use serde_json::{json, Value};

fn token(data: &str, args: &[&str]) -> String {
    let mut all = vec!["token", "create", "--data", data];
    all.extend_from_slice(args);
    let (ok, out, err) = run_cli(&all);
    assert!(ok, "{out}{err}");
    out.trim().to_string()
}

/// RFC 3339, `hours` from now (negative: the past).
fn at(hours: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::hours(hours)).to_rfc3339()
}

async fn ok(c: &reqwest::Client, s: &Server, body: Value) -> u64 {
    let (st, v) = post(c, &s.url("/api/v1/events"), &body).await;
    assert!(st == 201 || st == 200, "{body} -> {st} {v}");
    v["seq"].as_u64().expect("seq")
}

use common::refused;

/// Divisions energy, service, it; lars (energy), ida and per (service),
/// eva (it), olle (energy).
async fn org(c: &reqwest::Client, s: &Server) {
    for (id, name) in [("energy", "Energy"), ("service", "Service"), ("it", "IT")] {
        ok(
            c,
            s,
            json!({"type": "division_created", "data": {"id": id, "name": name}}),
        )
        .await;
    }
    for (id, d) in [
        ("lars", "energy"),
        ("ida", "service"),
        ("per", "service"),
        ("eva", "it"),
        ("olle", "energy"),
    ] {
        ok(
            c,
            s,
            json!({"type": "seller_joined", "occurred_at": at(-100), "data": {"id": id, "name": id.to_uppercase(), "division": d}}),
        )
        .await;
    }
}

fn points(profile: &Value, kind: &str) -> i64 {
    profile["points_by_kind"][kind].as_i64().unwrap_or(-1)
}

#[tokio::test]
async fn team_events_are_accepted_scored_and_refused_with_their_field() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = Server::start(dir.path());
    let c = client();
    org(&c, &s).await;

    ok(&c, &s, json!({"type": "mastermind_held", "data": {"host": "ida", "customer": "Volvo Cars", "helpers": ["lars", "per"], "note": "plant in Ghent"}})).await;
    ok(&c, &s, json!({"type": "customer_event", "data": {"kind": "seminar", "organiser": "eva", "customers": ["Volvo Cars", "Scania"], "sellers": ["eva", "lars"], "title": "Energy day"}})).await;
    ok(&c, &s, json!({"type": "customer_event", "data": {"kind": "interview_round", "organiser": "per", "customers": ["Scania"], "sellers": ["ida", "eva"]}})).await;

    let (_, ida) = get(&c, &s.url("/api/v1/sellers/ida?window=all")).await;
    assert_eq!(points(&ida, "mastermind"), 5, "{ida}");
    assert_eq!(points(&ida, "customer_event"), 4, "{ida}");
    let (_, lars) = get(&c, &s.url("/api/v1/sellers/lars?window=all")).await;
    assert_eq!(points(&lars, "mastermind"), 5);
    assert_eq!(points(&lars, "customer_event"), 4);
    let (_, eva) = get(&c, &s.url("/api/v1/sellers/eva?window=all")).await;
    // Organiser of one (8, not paid again as staff), staff of the other (4).
    assert_eq!(points(&eva, "customer_event"), 12, "{eva}");
    let (_, per) = get(&c, &s.url("/api/v1/sellers/per?window=all")).await;
    assert_eq!(points(&per, "customer_event"), 8);
    assert_eq!(points(&per, "mastermind"), 5);

    let cases = [
        // Helpers all from the host's division.
        (
            json!({"host": "ida", "customer": "X", "helpers": ["per"]}),
            "data.helpers",
        ),
        (
            json!({"host": "ida", "customer": "X", "helpers": []}),
            "data.helpers",
        ),
        (
            json!({"host": "ida", "customer": "X", "helpers": ["lars", "ida"]}),
            "data.helpers[1]",
        ),
        (
            json!({"host": "ida", "customer": "X", "helpers": ["lars", "lars"]}),
            "data.helpers[1]",
        ),
        (
            json!({"host": "ida", "customer": "X", "helpers": ["nobody"]}),
            "data.helpers[0]",
        ),
        (
            json!({"host": "nobody", "customer": "X", "helpers": ["lars"]}),
            "data.host",
        ),
        (json!({"host": "ida", "helpers": ["lars"]}), "data.customer"),
        (
            json!({"host": "ida", "customer": "X", "helpers": ["lars"], "extra": 1}),
            "data.extra",
        ),
    ];
    for (data, field) in cases {
        let body = json!({"type": "mastermind_held", "data": data});
        assert_eq!(refused(&c, &s, body.clone()).await.1, field, "{body}");
    }
    let cases = [
        // Sellers from one division.
        (
            json!({"kind": "seminar", "organiser": "ida", "customers": ["X"], "sellers": ["ida", "per"]}),
            "data.sellers",
        ),
        (
            json!({"kind": "seminar", "organiser": "ida", "customers": [], "sellers": ["ida", "lars"]}),
            "data.customers",
        ),
        (
            json!({"kind": "seminar", "organiser": "ida", "customers": ["X", " x "], "sellers": ["ida", "lars"]}),
            "data.customers[1]",
        ),
        (
            json!({"kind": "party", "organiser": "ida", "customers": ["X"], "sellers": ["ida", "lars"]}),
            "data.kind",
        ),
        (
            json!({"kind": "seminar", "organiser": "nobody", "customers": ["X"], "sellers": ["ida", "lars"]}),
            "data.organiser",
        ),
        (
            json!({"kind": "seminar", "organiser": "ida", "customers": ["X"], "sellers": []}),
            "data.sellers",
        ),
        (
            json!({"kind": "seminar", "organiser": "ida", "customers": ["X"], "sellers": ["ida", "ida"]}),
            "data.sellers[1]",
        ),
    ];
    for (data, field) in cases {
        let body = json!({"type": "customer_event", "data": data});
        assert_eq!(refused(&c, &s, body.clone()).await.1, field, "{body}");
    }
    // Nothing refused was written: the points are unchanged.
    let (_, again) = get(&c, &s.url("/api/v1/sellers/ida?window=all")).await;
    assert_eq!(again["points"], ida["points"]);
}

#[tokio::test]
async fn deliveries_follow_orders_reach_the_giver_and_the_division_rate() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = Server::start(dir.path());
    let c = client();
    org(&c, &s).await;
    // A delivered bonus of 7 for giver and seller.
    let r = c
        .put(s.url("/api/v1/rules"))
        .header("If-Match", "0")
        .json(&json!({"rules": {"delivered_bonus": 7}, "retroactive": true}))
        .send()
        .await
        .expect("request");
    assert!(r.status().is_success(), "{:?}", r.text().await);
    ok(&c, &s, json!({"type": "lead_given", "data": {"lead": "L1", "from": "lars", "to_division": "service", "customer": "Volvo Cars"}})).await;
    ok(&c, &s, json!({"type": "order_closed", "data": {"order": "O1", "seller": "ida", "customer": "Volvo Cars", "amount": 100000, "currency": "SEK", "lead": "L1"}})).await;
    ok(&c, &s, json!({"type": "order_closed", "data": {"order": "O2", "seller": "per", "customer": "Scania", "amount": 100000, "currency": "SEK"}})).await;

    ok(&c, &s, json!({"type": "order_delivered", "data": {"order": "O1", "status": "delayed", "note": "parts late"}})).await;
    let first = ok(
        &c,
        &s,
        json!({"type": "order_delivered", "data": {"order": "O1", "status": "delivered"}}),
    )
    .await;
    ok(
        &c,
        &s,
        json!({"type": "order_delivered", "data": {"order": "O1", "status": "delivered"}}),
    )
    .await;
    ok(
        &c,
        &s,
        json!({"type": "order_delivered", "data": {"order": "O2", "status": "problem"}}),
    )
    .await;

    let (_, lars) = get(&c, &s.url("/api/v1/sellers/lars?window=all")).await;
    assert_eq!(points(&lars, "delivered"), 7, "{lars}");
    assert_eq!(lars["deliveries"][0]["order"], "O1", "{lars}");
    assert_eq!(lars["deliveries"][0]["status"], "delivered");
    let (_, ida) = get(&c, &s.url("/api/v1/sellers/ida?window=all")).await;
    assert_eq!(points(&ida, "delivered"), 7, "{ida}");
    let (_, collab) = get(&c, &s.url("/api/v1/collaboration?window=all")).await;
    let service = collab["divisions"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["id"] == "service"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(service["delivery"]["reported"], 2, "{service}");
    assert_eq!(service["delivery"]["delivered"], 1);
    assert_eq!(service["delivery"]["problem"], 1);
    assert_eq!(service["delivery"]["delivery_rate"], 0.5);

    // Voiding the first `delivered` moves the bonus to the second report.
    ok(
        &c,
        &s,
        json!({"type": "event_voided", "data": {"seq": first, "reason": "wrong order"}}),
    )
    .await;
    let (_, lars) = get(&c, &s.url("/api/v1/sellers/lars?window=all")).await;
    assert_eq!(points(&lars, "delivered"), 7, "{lars}");

    // Refusals name the field.
    let cases = [
        (
            json!({"order": "nope", "status": "delivered"}),
            "data.order",
        ),
        (json!({"order": "O1", "status": "shipped"}), "data.status"),
        (json!({"status": "delivered"}), "data.order"),
    ];
    for (data, field) in cases {
        let body = json!({"type": "order_delivered", "data": data});
        assert_eq!(refused(&c, &s, body.clone()).await.1, field, "{body}");
    }
    let body = json!({"type": "order_delivered", "occurred_at": at(-50), "data": {"order": "O1", "status": "delivered"}});
    assert_eq!(refused(&c, &s, body).await.1, "occurred_at");
    // A voided order takes no more reports, and its bonus goes.
    let (_, events) = get(&c, &s.url("/api/v1/events?limit=1000")).await;
    let o1 = events["events"]
        .as_array()
        .and_then(|e| {
            e.iter()
                .find(|e| e["data"]["order"] == "O1" && e["type"] == "order_closed")
        })
        .and_then(|e| e["seq"].as_u64())
        .expect("O1");
    ok(
        &c,
        &s,
        json!({"type": "event_voided", "data": {"seq": o1, "reason": "cancelled"}}),
    )
    .await;
    let (_, lars) = get(&c, &s.url("/api/v1/sellers/lars?window=all")).await;
    assert_eq!(points(&lars, "delivered"), 0, "{lars}");
    let body = json!({"type": "order_delivered", "data": {"order": "O1", "status": "delivered"}});
    assert_eq!(refused(&c, &s, body).await.1, "data.order");
}

#[tokio::test]
async fn a_seller_token_acts_only_as_itself() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path().to_str().expect("utf-8");
    let leader = token(d, &["--role", "leader"]);
    let ida = token(d, &["--role", "seller", "--seller", "ida"]);
    let s = Server::start(dir.path());
    let lc = client_with_token(&leader);
    let ic = client_with_token(&ida);
    org(&lc, &s).await;
    ok(&lc, &s, json!({"type": "order_closed", "data": {"order": "O1", "seller": "ida", "customer": "Volvo", "amount": 1000, "currency": "SEK"}})).await;
    ok(&lc, &s, json!({"type": "order_closed", "data": {"order": "O2", "seller": "per", "customer": "Volvo", "amount": 1000, "currency": "SEK"}})).await;

    ok(&ic, &s, json!({"type": "mastermind_held", "data": {"host": "ida", "customer": "Volvo", "helpers": ["lars"]}})).await;
    let (st, field) = refused(&ic, &s, json!({"type": "mastermind_held", "data": {"host": "per", "customer": "Volvo", "helpers": ["lars"]}})).await;
    assert_eq!((st, field.as_str()), (403, "data.host"));
    ok(&ic, &s, json!({"type": "customer_event", "data": {"kind": "seminar", "organiser": "ida", "customers": ["Volvo"], "sellers": ["ida", "eva"]}})).await;
    let (st, field) = refused(&ic, &s, json!({"type": "customer_event", "data": {"kind": "seminar", "organiser": "eva", "customers": ["Volvo"], "sellers": ["ida", "eva"]}})).await;
    assert_eq!((st, field.as_str()), (403, "data.organiser"));
    // Deliveries: on one's own order only; a leader on any.
    ok(
        &ic,
        &s,
        json!({"type": "order_delivered", "data": {"order": "O1", "status": "delivered"}}),
    )
    .await;
    let (st, field) = refused(
        &ic,
        &s,
        json!({"type": "order_delivered", "data": {"order": "O2", "status": "delivered"}}),
    )
    .await;
    assert_eq!((st, field.as_str()), (403, "data.order"));
    ok(
        &lc,
        &s,
        json!({"type": "order_delivered", "data": {"order": "O2", "status": "problem"}}),
    )
    .await;
    // Customer memory is readable by a seller.
    let (st, v) = get(&ic, &s.url("/api/v1/customers?q=volvo")).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["customers"][0]["key"], "volvo");
}

#[tokio::test]
async fn customers_show_white_space_and_a_timeline() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = Server::start(dir.path());
    let c = client();
    org(&c, &s).await;
    // Business times out of log order: the timeline sorts them.
    let lead = ok(&c, &s, json!({"type": "lead_given", "occurred_at": at(-10), "data": {"lead": "L1", "from": "lars", "to_division": "service", "customer": " Volvo   cars"}})).await;
    let meeting = ok(&c, &s, json!({"type": "meeting_held", "occurred_at": at(-8), "data": {"seller": "ida", "customer": "VOLVO CARS", "lead": "L1"}})).await;
    let feedback = ok(&c, &s, json!({"type": "lead_feedback", "occurred_at": at(-9), "data": {"lead": "L1", "by": "ida", "status": "meeting_booked"}})).await;
    let order = ok(&c, &s, json!({"type": "order_closed", "occurred_at": at(-3), "data": {"order": "O1", "seller": "ida", "customer": "Volvo Cars", "amount": 100000, "currency": "SEK", "lead": "L1"}})).await;
    let delivery = ok(&c, &s, json!({"type": "order_delivered", "occurred_at": at(-1), "data": {"order": "O1", "status": "delivered"}})).await;
    let visit = ok(&c, &s, json!({"type": "joint_visit", "occurred_at": at(-7), "data": {"host": "ida", "guests": ["lars"], "customer": "volvo cars"}})).await;
    let mastermind = ok(&c, &s, json!({"type": "mastermind_held", "occurred_at": at(-6), "data": {"host": "ida", "customer": "Volvo Cars", "helpers": ["eva"]}})).await;
    let seminar = ok(&c, &s, json!({"type": "customer_event", "occurred_at": at(-5), "data": {"kind": "seminar", "organiser": "eva", "customers": ["Scania", "Volvo Cars"], "sellers": ["eva", "olle"]}})).await;
    let it_meeting = ok(&c, &s, json!({"type": "meeting_held", "occurred_at": at(-4), "data": {"seller": "eva", "customer": "Volvo Cars"}})).await;
    ok(
        &c,
        &s,
        json!({"type": "meeting_held", "data": {"seller": "olle", "customer": "Scania"}}),
    )
    .await;
    ok(&c, &s, json!({"type": "lead_given", "data": {"lead": "L2", "from": "eva", "to_division": "energy", "customer": "Ericsson"}})).await;

    let (st, v) = get(&c, &s.url("/api/v1/customers?q=VOLVO%20%20Cars")).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["customers"].as_array().map(Vec::len), Some(1), "{v}");
    let volvo = &v["customers"][0];
    assert_eq!(volvo["key"], "volvo cars");
    assert_eq!(volvo["name"], "Volvo   cars");
    assert_eq!(
        volvo["divisions"],
        json!({"energy": "none", "service": "order", "it": "meeting"})
    );
    // All customers, paged in key order.
    let (_, page) = get(&c, &s.url("/api/v1/customers?limit=2")).await;
    let keys: Vec<&str> = page["customers"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c["key"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(keys, ["ericsson", "scania"], "{page}");
    assert_eq!(page["customers"][0]["divisions"]["energy"], "lead");
    assert_eq!(page["customers"][1]["divisions"]["energy"], "meeting");
    assert_eq!(page["next"], "scania");
    let (_, page) = get(&c, &s.url("/api/v1/customers?limit=2&after=scania")).await;
    assert_eq!(page["customers"][0]["key"], "volvo cars");
    assert_eq!(page["next"], Value::Null);
    let (st, v) = get(&c, &s.url("/api/v1/customers?limit=x")).await;
    assert_eq!((st, v["error"]["field"].as_str()), (400, Some("limit")));

    // The timeline, in business-time order, in the events' shape.
    let (st, t) = get(&c, &s.url("/api/v1/customers/volvo%20cars")).await;
    assert_eq!(st, 200, "{t}");
    assert_eq!(t["key"], "volvo cars");
    let seqs: Vec<u64> = t["timeline"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["seq"].as_u64()).collect())
        .unwrap_or_default();
    assert_eq!(
        seqs,
        [lead, feedback, meeting, visit, mastermind, seminar, it_meeting, order, delivery]
    );
    assert_eq!(t["timeline"][0]["type"], "lead_given");
    assert_eq!(t["timeline"][0]["data"]["lead"], "L1");
    assert!(t["timeline"][0]["occurred_at"].is_string());
    // Any spelling of the name finds the customer; paging by seq.
    let (_, t2) = get(&c, &s.url("/api/v1/customers/VOLVO%20CARS?limit=4")).await;
    assert_eq!(t2["timeline"].as_array().map(Vec::len), Some(4));
    assert_eq!(t2["next"], visit);
    let (_, t3) = get(
        &c,
        &s.url(&format!(
            "/api/v1/customers/volvo%20cars?limit=100&after={visit}"
        )),
    )
    .await;
    assert_eq!(t3["timeline"][0]["seq"], mastermind);
    let (st, v) = get(&c, &s.url("/api/v1/customers/nobody")).await;
    assert_eq!(st, 404, "{v}");

    // A void takes the order back: service falls back to a meeting, and
    // the voided order stays in the timeline, marked.
    ok(
        &c,
        &s,
        json!({"type": "event_voided", "data": {"seq": order, "reason": "cancelled"}}),
    )
    .await;
    let (_, v) = get(&c, &s.url("/api/v1/customers?q=volvo")).await;
    assert_eq!(v["customers"][0]["divisions"]["service"], "meeting", "{v}");
    let (_, t) = get(&c, &s.url("/api/v1/customers/volvo%20cars")).await;
    let o = t["timeline"]
        .as_array()
        .and_then(|a| a.iter().find(|e| e["seq"] == order))
        .cloned()
        .unwrap_or_default();
    assert_eq!(o["voided"], true, "{t}");
    // Restart: the index is rebuilt from the log, the same.
    let before = get(&c, &s.url("/api/v1/customers")).await.1;
    drop(s);
    let s = Server::start(dir.path());
    let after = get(&c, &s.url("/api/v1/customers")).await.1;
    assert_eq!(before["customers"], after["customers"]);
}
