//! Closing the loop over HTTP, against the real binary: `lead_claimed`
//! (accepted, each refusal naming its field, sellers claim only as
//! themselves), `GET /api/v1/leads` with its filters and paging, and
//! `GET /api/v1/matrix`.

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

fn hours_ago(h: i64) -> String {
    (Utc::now() - Duration::hours(h)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

async fn send(c: &reqwest::Client, s: &Server, body: Value) -> (u16, Value) {
    post(c, &s.url("/api/v1/events"), &body).await
}

async fn ok(c: &reqwest::Client, s: &Server, body: Value) -> u64 {
    let (code, resp) = send(c, s, body.clone()).await;
    assert_eq!(code, 201, "{body} -> {resp}");
    resp["seq"].as_u64().expect("seq")
}

async fn refused(c: &reqwest::Client, s: &Server, body: Value, code: u16, field: &str) {
    let (got, resp) = send(c, s, body.clone()).await;
    assert_eq!(got, code, "{body} -> {resp}");
    assert_eq!(resp["error"]["field"], field, "{body} -> {resp}");
}

fn lead(id: &str, from: &str, to: &str, to_seller: Option<&str>, hours: i64) -> Value {
    let mut data =
        json!({"lead": id, "from": from, "to_division": to, "customer": format!("Customer {id}")});
    if let Some(t) = to_seller {
        data["to_seller"] = t.into();
    }
    json!({"type": "lead_given", "occurred_at": hours_ago(hours), "data": data})
}

fn claim(lead: &str, by: &str) -> Value {
    json!({"type": "lead_claimed", "data": {"lead": lead, "by": by}})
}

fn feedback(lead: &str, by: &str, status: &str, hours: i64) -> Value {
    json!({"type": "lead_feedback", "occurred_at": hours_ago(hours),
           "data": {"lead": lead, "by": by, "status": status}})
}

async fn lead_ids(c: &reqwest::Client, s: &Server, query: &str) -> Vec<String> {
    let (code, v) = get(c, &s.url(&format!("/api/v1/leads?{query}"))).await;
    assert_eq!(code, 200, "{query}: {v}");
    v["leads"]
        .as_array()
        .expect("leads")
        .iter()
        .map(|r| r["lead"].as_str().expect("lead").to_string())
        .collect()
}

struct World {
    s: Server,
    leader: reqwest::Client,
    anna: reqwest::Client,
    bo: reqwest::Client,
    bea: reqwest::Client,
    screen: reqwest::Client,
    _dir: tempfile::TempDir,
}

/// Divisions a, b, c; anna (a), bo and bea (b), cid (c), with tokens.
async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    let leader_t = token(d, &["--role", "leader"]);
    let seller = |id: &str| token(d, &["--role", "seller", "--seller", id]);
    let (anna_t, bo_t, bea_t) = (seller("anna"), seller("bo"), seller("bea"));
    let screen_t = token(d, &["--role", "screen"]);
    let s = Server::start(&data);
    let leader = client_with_token(&leader_t);
    let week = hours_ago(24 * 6);
    for id in ["a", "b", "c"] {
        ok(&leader, &s, json!({"type": "division_created", "occurred_at": week, "data": {"id": id, "name": id}})).await;
    }
    for (id, div) in [("anna", "a"), ("bo", "b"), ("bea", "b"), ("cid", "c")] {
        ok(
            &leader,
            &s,
            json!({"type": "seller_joined", "occurred_at": week,
                                "data": {"id": id, "name": id, "division": div}}),
        )
        .await;
    }
    World {
        leader,
        anna: client_with_token(&anna_t),
        bo: client_with_token(&bo_t),
        bea: client_with_token(&bea_t),
        screen: client_with_token(&screen_t),
        s,
        _dir: dir,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_first_wins_refusals_name_their_field() {
    let w = world().await;
    let (s, leader) = (&w.s, &w.leader);
    ok(leader, s, lead("L1", "anna", "b", None, 5)).await;
    ok(leader, s, lead("L2", "anna", "b", Some("bea"), 5)).await;
    // A seller claims only as themselves.
    refused(&w.bo, s, claim("L1", "bea"), 403, "data.by").await;
    let first = ok(
        &w.bo,
        s,
        json!({"id": "claim-1", "type": "lead_claimed", "data": {"lead": "L1", "by": "bo"}}),
    )
    .await;
    // A retry with the same id is the same append, not a second claim.
    let (code, again) = send(
        &w.bo,
        s,
        json!({"id": "claim-1", "type": "lead_claimed", "data": {"lead": "L1", "by": "bo"}}),
    )
    .await;
    assert_eq!((code, again["seq"].as_u64()), (200, Some(first)));
    // Only the first claim counts.
    refused(&w.bea, s, claim("L1", "bea"), 409, "data.lead").await;
    // A named lead is not claimed; the giver and outsiders cannot claim.
    refused(&w.bo, s, claim("L2", "bo"), 409, "data.lead").await;
    refused(&w.anna, s, claim("L1", "anna"), 422, "data.by").await;
    refused(leader, s, claim("L1", "cid"), 409, "data.lead").await;
    ok(leader, s, lead("L3", "anna", "b", None, 5)).await;
    refused(leader, s, claim("L3", "cid"), 422, "data.by").await;
    refused(leader, s, claim("L3", "nobody"), 422, "data.by").await;
    refused(leader, s, claim("L9", "bo"), 422, "data.lead").await;
    refused(
        leader,
        s,
        json!({"type": "lead_claimed", "data": {"lead": "L3"}}),
        422,
        "data.by",
    )
    .await;
    // The claimer is the receiver: the list shows them, and seller=me finds it.
    let (_, v) = get(&w.bo, &s.url("/api/v1/leads?seller=me")).await;
    let rows = v["leads"].as_array().expect("leads");
    assert_eq!(rows.len(), 1, "{v}");
    assert_eq!(
        (
            rows[0]["lead"].as_str(),
            rows[0]["to_seller"].as_str(),
            rows[0]["claimed"].as_bool()
        ),
        (Some("L1"), Some("bo"), Some(true))
    );
    // A void of the claim un-claims: bea may take it now.
    ok(
        leader,
        s,
        json!({"type": "event_voided", "data": {"seq": first, "reason": "wrong person"}}),
    )
    .await;
    assert!(lead_ids(&w.bo, s, "seller=me").await.is_empty());
    ok(&w.bea, s, claim("L1", "bea")).await;
    assert_eq!(lead_ids(&w.bea, s, "seller=me").await, vec!["L1", "L2"]);
    // seller=me needs a seller token.
    let (code, e) = get(leader, &s.url("/api/v1/leads?seller=me")).await;
    assert_eq!((code, e["error"]["field"].as_str()), (400, Some("seller")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lead_list_filters_paging_and_matrix() {
    let w = world().await;
    let (s, leader) = (&w.s, &w.leader);
    // L1 a→b answered after 2 h (contacted); L2 a→b open and overdue (72 h,
    // 48 h SLA); L3 a→b open, 1 h old; L4 b→c named cid, won; L5 c→a open.
    ok(leader, s, lead("L1", "anna", "b", None, 10)).await;
    ok(leader, s, feedback("L1", "bo", "contacted", 8)).await;
    ok(leader, s, lead("L2", "anna", "b", None, 72)).await;
    ok(leader, s, lead("L3", "anna", "b", None, 1)).await;
    ok(leader, s, lead("L4", "bo", "c", Some("cid"), 30)).await;
    ok(leader, s, feedback("L4", "cid", "won", 20)).await;
    ok(leader, s, lead("L5", "cid", "a", None, 2)).await;

    let ids = |q: &'static str| lead_ids(&w.anna, s, q);
    assert_eq!(ids("").await, vec!["L1", "L2", "L3", "L4", "L5"]);
    assert_eq!(ids("status=overdue").await, vec!["L2"]);
    assert_eq!(ids("status=open").await, vec!["L2", "L3", "L5"]);
    assert_eq!(ids("status=contacted").await, vec!["L1"]);
    assert_eq!(ids("status=won").await, vec!["L4"]);
    assert_eq!(ids("division=b").await, vec!["L1", "L2", "L3"]);
    assert_eq!(ids("seller=cid").await, vec!["L4", "L5"]);
    assert_eq!(ids("division=b&status=open").await, vec!["L2", "L3"]);
    assert_eq!(
        ids("unassigned=true&division=c").await,
        Vec::<String>::new()
    );
    assert!(!ids("window=day&status=open")
        .await
        .contains(&"L2".to_string()));

    // Row shape.
    let (_, v) = get(&w.anna, &s.url("/api/v1/leads?status=overdue")).await;
    let row = &v["leads"][0];
    for key in [
        "lead",
        "customer",
        "from",
        "to_division",
        "to_seller",
        "given_at",
        "status",
        "first_feedback_at",
        "age_hours",
        "overdue",
    ] {
        assert!(row.get(key).is_some(), "{key} missing in {row}");
    }
    assert_eq!(
        (
            row["status"].as_str(),
            row["overdue"].as_bool(),
            row["from"].as_str()
        ),
        (Some("open"), Some(true), Some("anna"))
    );
    assert!(row["age_hours"].as_f64().unwrap() >= 72.0);
    let (_, v) = get(&w.anna, &s.url("/api/v1/leads?status=contacted")).await;
    assert!(v["leads"][0]["first_feedback_at"].is_string(), "{v}");

    // Paging: two at a time, `next` until the end, every lead once.
    let mut seen = Vec::new();
    let mut after = 0;
    loop {
        let (code, v) = get(
            &w.anna,
            &s.url(&format!("/api/v1/leads?limit=2&after={after}")),
        )
        .await;
        assert_eq!(code, 200);
        seen.extend(
            v["leads"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["lead"].as_str().unwrap().to_string()),
        );
        match v["next"].as_u64() {
            Some(n) => after = n,
            None => break,
        }
    }
    assert_eq!(seen, vec!["L1", "L2", "L3", "L4", "L5"]);

    // Bad filters name their parameter.
    for (q, field) in [
        ("status=late", "status"),
        ("division=zz", "division"),
        ("seller=zz", "seller"),
        ("limit=0", "limit"),
        ("after=x", "after"),
        ("window=decade", "window"),
    ] {
        let (code, e) = get(&w.anna, &s.url(&format!("/api/v1/leads?{q}"))).await;
        assert_eq!(
            (code, e["error"]["field"].as_str()),
            (400, Some(field)),
            "{q}: {e}"
        );
    }

    // The matrix: a→b 3 leads (1 answered after 2 h, 1 overdue), b→c 1
    // won, c→a 1 open. The screen token may read it; not the lead list.
    let (code, m) = get(&w.screen, &s.url("/api/v1/matrix?window=all")).await;
    assert_eq!(code, 200, "{m}");
    let rows = m["rows"].as_array().expect("rows");
    let row = |from: &str, to: &str| {
        rows.iter()
            .find(|r| r["from"] == from && r["to"] == to)
            .cloned()
            .unwrap_or(Value::Null)
    };
    let ab = row("a", "b");
    assert_eq!(
        (
            ab["leads"].as_u64(),
            ab["feedback_rate"].as_f64(),
            ab["median_hours_to_feedback"].as_f64(),
            ab["overdue"].as_u64(),
            ab["won"].as_u64()
        ),
        (Some(3), Some(0.333), Some(2.0), Some(1), Some(0))
    );
    // 3 cross-division leads × 20 + the first feedback 3 + 2 (timely).
    assert_eq!(ab["points"].as_i64(), Some(65));
    assert_eq!(
        (
            row("b", "c")["won"].as_u64(),
            row("b", "c")["orders"].as_u64()
        ),
        (Some(1), Some(0))
    );
    assert_eq!(row("c", "a")["leads"].as_u64(), Some(1));
    assert_eq!(rows.len(), 3);
    let (code, _) = get(&w.screen, &s.url("/api/v1/leads")).await;
    assert_eq!(code, 403);

    // Collaboration stats carry the median and the overdue count.
    let (_, c) = get(leader, &s.url("/api/v1/collaboration?window=all")).await;
    let b = c["divisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == "b")
        .cloned()
        .unwrap();
    assert_eq!(
        (
            b["stats"]["overdue"].as_u64(),
            b["stats"]["median_hours_to_feedback"].as_f64()
        ),
        (Some(1), Some(2.0))
    );

    // The SLA is a rule: at 100 h nothing here is overdue.
    let (_, now) = get(leader, &s.url("/api/v1/rules")).await;
    let version = now["latest_version"].as_u64().unwrap();
    let r = leader
        .put(s.url("/api/v1/rules"))
        .header("if-match", version.to_string())
        .json(&json!({"rules": {"feedback_sla_hours": 100}, "retroactive": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{:?}", r.text().await);
    assert!(ids("status=overdue").await.is_empty());
}
