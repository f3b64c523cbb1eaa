//! Fair play (issue 10) over the real server: leads cross divisions, the
//! receivers report back, a won bonus waits for the order, arithmetic is
//! exact, business time decides, caps are per seller and day, results
//! freeze when a competition closes, and `GET /api/v1/rules` shows the set
//! in force with what is scheduled.
//!
//! Seller tokens write as their seller (and are bound by `backdate_days`
//! and `order.max_amount`); the leader token may record history.

mod common;

use chrono::{Duration, SecondsFormat, Utc};
use common::{client_with_token, get, post, run_cli, Server};
use serde_json::{json, Value};

fn token(data: &str, args: &[&str]) -> String {
    let mut all = vec!["token", "create", "--data", data];
    all.extend_from_slice(args);
    let (ok, out, err) = run_cli(&all);
    assert!(ok, "{out}{err}");
    out.trim().to_string()
}

fn ago(d: Duration) -> String {
    (Utc::now() - d).to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn ev(ty: &str, at: Option<String>, data: Value) -> Value {
    match at {
        Some(at) => json!({"type": ty, "occurred_at": at, "data": data}),
        None => json!({"type": ty, "data": data}),
    }
}

async fn send(c: &reqwest::Client, s: &Server, body: Value) -> (u16, Value) {
    post(c, &s.url("/api/v1/events"), &body).await
}

async fn ok(c: &reqwest::Client, s: &Server, body: Value) -> u64 {
    let (code, resp) = send(c, s, body.clone()).await;
    assert_eq!(code, 201, "{body} -> {resp}");
    resp["seq"].as_u64().expect("seq")
}

async fn refused(c: &reqwest::Client, s: &Server, body: Value, field: &str) {
    let (code, resp) = send(c, s, body.clone()).await;
    assert!((400..500).contains(&code), "{body} -> {code} {resp}");
    assert_eq!(resp["error"]["field"], field, "{body} -> {resp}");
}

async fn profile(c: &reqwest::Client, s: &Server, id: &str, query: &str) -> Value {
    let (code, v) = get(c, &s.url(&format!("/api/v1/sellers/{id}?{query}"))).await;
    assert_eq!(code, 200, "{v}");
    v
}

async fn put_rules(c: &reqwest::Client, s: &Server, body: Value) -> Value {
    let (_, now) = get(c, &s.url("/api/v1/rules")).await;
    let version = now["latest_version"].as_u64().expect("latest_version");
    let r = c
        .put(s.url("/api/v1/rules"))
        .header("if-match", version.to_string())
        .json(&body)
        .send()
        .await
        .expect("put");
    assert_eq!(r.status().as_u16(), 200);
    r.json().await.expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fair_play_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    let leader_secret = token(d, &["--role", "leader"]);
    let seller = |id: &str| token(d, &["--role", "seller", "--seller", id]);
    let (anna_t, bo_t, cia_t, dag_t) = (seller("anna"), seller("bo"), seller("cia"), seller("dag"));
    let s = Server::start(&data);
    let leader = client_with_token(&leader_secret);
    let (anna, bo, cia, dag) = (
        client_with_token(&anna_t),
        client_with_token(&bo_t),
        client_with_token(&cia_t),
        client_with_token(&dag_t),
    );
    let month = Some(ago(Duration::days(30)));
    for (id, name) in [
        ("a", "A"),
        ("b", "B"),
        ("x", "X"),
        ("y", "Y"),
        ("p3", "P3"),
        ("p10", "P10"),
    ] {
        ok(
            &leader,
            &s,
            ev(
                "division_created",
                month.clone(),
                json!({"id": id, "name": name}),
            ),
        )
        .await;
    }
    let mut people: Vec<(String, &str)> = vec![
        ("anna".into(), "a"),
        ("dag".into(), "a"),
        ("eve".into(), "a"),
        ("fay".into(), "a"),
        ("bo".into(), "b"),
        ("cia".into(), "b"),
        ("xa".into(), "x"),
        ("yb".into(), "y"),
    ];
    people.extend((0..3).map(|i| (format!("t{i}"), "p3")));
    people.extend((0..10).map(|i| (format!("n{i}"), "p10")));
    for (id, div) in &people {
        ok(
            &leader,
            &s,
            ev(
                "seller_joined",
                month.clone(),
                json!({"id": id, "name": id, "division": div}),
            ),
        )
        .await;
    }

    // 1. Cross-selling only.
    let lead = |id: &str, to: &str| {
        ev(
            "lead_given",
            None,
            json!({"lead": id, "from": "anna", "to_division": to, "customer": "Acme"}),
        )
    };
    refused(&anna, &s, lead("L0", "a"), "data.to_division").await;
    ok(&anna, &s, lead("L1", "b")).await;
    let fb = |by: &str, status: &str| {
        ev(
            "lead_feedback",
            None,
            json!({"lead": "L1", "by": by, "status": status}),
        )
    };
    refused(&anna, &s, fb("anna", "won"), "data.by").await;
    let order_on_l1 = |seller: &str, id: &str| {
        ev(
            "order_closed",
            None,
            json!({"order": id, "seller": seller, "customer": "Acme", "amount": 1_000_000,
                   "currency": "SEK", "lead": "L1"}),
        )
    };
    refused(&dag, &s, order_on_l1("dag", "O-dag"), "data.lead").await;
    // An order dated before its lead is refused by business time.
    let early = ev(
        "order_closed",
        Some(ago(Duration::days(2))),
        json!({"order": "O-early", "seller": "bo", "customer": "Acme", "amount": 100,
               "currency": "SEK", "lead": "L1"}),
    );
    refused(&bo, &s, early, "occurred_at").await;

    // 2. Pending until proven: 15 points wait for an order on the lead.
    ok(&bo, &s, fb("bo", "won")).await;
    let p = profile(&leader, &s, "anna", "window=all").await;
    assert_eq!(p["pending_points"], 15, "{p}");
    assert_eq!(p["points_by_kind"]["lead_won"], 0, "{p}");
    let order_seq = ok(&bo, &s, order_on_l1("bo", "O1")).await;
    let p = profile(&leader, &s, "anna", "window=all").await;
    assert_eq!(
        (
            p["pending_points"].clone(),
            p["points_by_kind"]["lead_won"].clone()
        ),
        (json!(0), json!(15)),
        "{p}"
    );
    ok(
        &leader,
        &s,
        ev(
            "event_voided",
            None,
            json!({"seq": order_seq, "reason": "duplicate"}),
        ),
    )
    .await;
    let p = profile(&leader, &s, "anna", "window=all").await;
    assert_eq!(
        (
            p["pending_points"].clone(),
            p["points_by_kind"]["lead_won"].clone()
        ),
        (json!(15), json!(0)),
        "{p}"
    );

    // 3. Exact arithmetic: a huge order and its void leave exactly 0.
    let order = |id: &str, amount: i64| {
        ev(
            "order_closed",
            None,
            json!({"order": id, "seller": "cia", "customer": "Big", "amount": amount, "currency": "SEK"}),
        )
    };
    let huge = ok(&leader, &s, order("O-huge", 1_000_000_000_000_000)).await;
    assert_eq!(
        profile(&leader, &s, "cia", "window=all").await["points"],
        1_000_000_020i64
    );
    ok(
        &leader,
        &s,
        ev("event_voided", None, json!({"seq": huge, "reason": "typo"})),
    )
    .await;
    assert_eq!(profile(&leader, &s, "cia", "window=all").await["points"], 0);
    // order.max_amount binds seller tokens, not leaders.
    refused(&cia, &s, order("O-big", 10_000_000_001), "data.amount").await;
    let big = ok(&leader, &s, order("O-big", 10_000_000_001)).await;
    ok(
        &leader,
        &s,
        ev("event_voided", None, json!({"seq": big, "reason": "test"})),
    )
    .await;

    // 4. Business time: sellers back-date a week at most, nobody before 2000.
    let meeting = |who: &str, at: String| {
        ev(
            "meeting_held",
            Some(at),
            json!({"seller": who, "customer": "Acme"}),
        )
    };
    refused(
        &bo,
        &s,
        meeting("bo", "1900-01-01T09:00:00Z".into()),
        "occurred_at",
    )
    .await;
    refused(
        &leader,
        &s,
        meeting("bo", "1999-12-31T09:00:00Z".into()),
        "occurred_at",
    )
    .await;
    refused(
        &bo,
        &s,
        meeting("bo", ago(Duration::days(8))),
        "occurred_at",
    )
    .await;
    ok(&bo, &s, meeting("bo", ago(Duration::days(6)))).await;
    ok(&leader, &s, meeting("bo", ago(Duration::days(8))).clone()).await;

    // 5. Caps per seller and day across a move: meetings capped at 12.
    put_rules(
        &leader,
        &s,
        json!({"rules": {"daily_caps": {"meeting": 12}}, "retroactive": true}),
    )
    .await;
    let day = (Utc::now() - Duration::days(3)).date_naive();
    let at = |h: u32| format!("{day}T{h:02}:00:00Z");
    ok(&leader, &s, meeting("eve", at(8))).await;
    ok(&leader, &s, meeting("eve", at(9))).await;
    ok(
        &leader,
        &s,
        ev(
            "seller_moved",
            Some(at(10)),
            json!({"seller": "eve", "division": "b"}),
        ),
    )
    .await;
    ok(&leader, &s, meeting("eve", at(11))).await;
    ok(&leader, &s, meeting("eve", at(12))).await;
    let p = profile(&leader, &s, "eve", &format!("window=day&at={}", at(12))).await;
    assert_eq!(
        p["points"], 12,
        "one cap for the day, not one per division: {p}"
    );

    // 6. A from-now cap does not reduce points earned before it.
    let visit = ev(
        "joint_visit",
        None,
        json!({"host": "fay", "guests": ["bo"], "customer": "Acme"}),
    );
    ok(&leader, &s, visit.clone()).await;
    ok(&leader, &s, visit.clone()).await;
    assert_eq!(
        profile(&leader, &s, "fay", "window=all").await["points"],
        32
    );
    put_rules(
        &leader,
        &s,
        json!({"rules": {"daily_caps": {"meeting": 12, "joint_visit": 20}}, "retroactive": false}),
    )
    .await;
    assert_eq!(
        profile(&leader, &s, "fay", "window=all").await["points"],
        32
    );
    ok(&leader, &s, visit).await;
    assert_eq!(
        profile(&leader, &s, "fay", "window=all").await["points"],
        32,
        "the morning's 32 count toward the cap of 20 and stay"
    );

    // 7. Frozen results: closed early, the winner survives a back-dated
    // event, a void and a retroactive publish.
    let (code, c) = post(
        &leader,
        &s.url("/api/v1/competitions"),
        &json!({"id": "cup", "name": "Cup", "start": ago(Duration::days(10)),
                "end": (Utc::now() + Duration::days(10)).to_rfc3339_opts(SecondsFormat::Secs, true),
                "divisions": ["x", "y"], "scoring": "sum", "grace_hours": 24}),
    )
    .await;
    assert_eq!(code, 201, "{c}");
    assert_eq!(
        (c["status"].clone(), c["grace_hours"].clone()),
        (json!("running"), json!(24))
    );
    let x1 = ok(&leader, &s, meeting("xa", ago(Duration::days(4)))).await;
    ok(&leader, &s, meeting("xa", ago(Duration::days(3)))).await;
    ok(&leader, &s, meeting("yb", ago(Duration::days(3)))).await;
    let (code, closed) = post(
        &leader,
        &s.url("/api/v1/competitions/cup/close"),
        &json!({}),
    )
    .await;
    assert_eq!(code, 200, "{closed}");
    assert_eq!(
        (closed["status"].clone(), closed["winner"].clone()),
        (json!("closed"), json!("x"))
    );
    for h in [1, 2, 3] {
        ok(
            &leader,
            &s,
            meeting("yb", ago(Duration::days(2) + Duration::hours(h))),
        )
        .await;
    }
    ok(
        &leader,
        &s,
        ev("event_voided", None, json!({"seq": x1, "reason": "late"})),
    )
    .await;
    put_rules(
        &leader,
        &s,
        json!({"rules": {"meeting_held": 50}, "retroactive": true}),
    )
    .await;
    let (_, after) = get(&leader, &s.url("/api/v1/competitions/cup")).await;
    assert_eq!(after["winner"], "x", "{after}");
    assert_eq!(after["standings"], closed["standings"], "{after}");

    // 8. Per seller on exact ratios: 100/3 beats 333/10 though both show 33.3.
    let (code, c) = post(
        &leader,
        &s.url("/api/v1/competitions"),
        &json!({"id": "ratio", "name": "Ratio", "start": ago(Duration::hours(1)),
                "end": (Utc::now() + Duration::days(1)).to_rfc3339_opts(SecondsFormat::Secs, true),
                "divisions": ["p3", "p10"], "scoring": "per_seller",
                "rules": {"order": {"base": 0, "unit": 1, "per_unit_points": 1}}}),
    )
    .await;
    assert_eq!(code, 201, "{c}");
    for (seller, amount) in [("t0", 100), ("n0", 333)] {
        ok(
            &leader,
            &s,
            ev(
                "order_closed",
                None,
                json!({"order": format!("R-{seller}"), "seller": seller,
                "customer": "Acme", "amount": amount, "currency": "SEK"}),
            ),
        )
        .await;
    }
    let (_, ratio) = post(
        &leader,
        &s.url("/api/v1/competitions/ratio/close"),
        &json!({}),
    )
    .await;
    let st = &ratio["standings"];
    assert_eq!(
        (
            st[0]["id"].clone(),
            st[0]["rank"].clone(),
            st[1]["rank"].clone()
        ),
        (json!("p3"), json!(1), json!(2)),
        "{ratio}"
    );
    assert_eq!(
        (st[0]["points"].clone(), st[1]["points"].clone()),
        (json!(33.3), json!(33.3))
    );
    assert_eq!(
        (ratio["winner"].clone(), ratio["tie"].clone()),
        (json!("p3"), json!(false))
    );

    // 9. Rules in force and what is scheduled.
    let next_month = (Utc::now() + Duration::days(30)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let (_, before) = get(&leader, &s.url("/api/v1/rules")).await;
    put_rules(
        &leader,
        &s,
        json!({"rules": {"lead_given": 99}, "retroactive": false, "effective_from": next_month}),
    )
    .await;
    let (_, rules) = get(&leader, &s.url("/api/v1/rules")).await;
    assert_eq!(rules["version"], before["version"], "{rules}");
    assert_eq!(rules["rules"]["lead_given"], 10, "{rules}");
    let sched = &rules["scheduled"][0];
    assert_eq!(sched["version"], rules["latest_version"], "{rules}");
    assert_eq!(sched["rules"]["lead_given"], 99, "{rules}");
    assert_eq!(sched["effective_from"], next_month.as_str(), "{rules}");
}
