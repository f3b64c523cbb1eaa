//! Import and export, offline (the CLI on a stopped data dir) and over HTTP:
//! a round trip reproduces identical boards, re-imports append nothing,
//! rejected rows are named by line and field, a running server's lock is
//! reported clearly.

mod common;

use std::path::Path;
use std::process::Output;

use common::{all_events, client, get, post, Server};
use serde_json::{json, Value};

fn crossboard(args: &[&str]) -> Output {
    common::command()
        .args(args)
        .output()
        .expect("run crossboard")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn dir(d: &Path) -> &str {
    d.to_str().expect("utf-8 path")
}

/// Boards, profiles and competitions that must be identical after a round trip.
async fn snapshot(c: &reqwest::Client, s: &Server) -> Value {
    let mut out = serde_json::Map::new();
    for board in ["sellers", "divisions"] {
        for window in ["all", "month", "week", "day"] {
            let (code, mut v) = get(
                c,
                &s.url(&format!("/api/v1/boards/{board}?window={window}")),
            )
            .await;
            assert_eq!(code, 200, "{v}");
            v.as_object_mut().expect("board").remove("seq");
            out.insert(format!("{board}/{window}"), v);
        }
    }
    let (_, mut comps) = get(c, &s.url("/api/v1/competitions")).await;
    comps.as_object_mut().expect("competitions").remove("seq");
    out.insert("competitions".into(), comps);
    let (_, rules) = get(c, &s.url("/api/v1/rules")).await;
    out.insert("rules".into(), rules);
    let (_, mut anna) = get(c, &s.url("/api/v1/sellers/anna?window=all")).await;
    anna.as_object_mut().expect("profile").remove("seq");
    out.insert("anna".into(), anna);
    Value::Object(out)
}

/// Events with the fields a round trip keeps (not recorded_at or actor).
fn comparable(events: &[Value]) -> Vec<Value> {
    events
        .iter()
        .map(|e| json!([e["seq"], e["id"], e["type"], e["occurred_at"], e["data"]]))
        .collect()
}

async fn seed(c: &reqwest::Client, s: &Server) {
    let ev = s.url("/api/v1/events");
    let days_ago = |d: i64| (chrono::Utc::now() - chrono::Duration::days(d)).to_rfc3339();
    let bodies = vec![
        json!({"type": "division_created", "data": {"id": "energy", "name": "Energy"}}),
        json!({"type": "division_created", "data": {"id": "service", "name": "Service"}}),
        json!({"type": "seller_joined", "occurred_at": days_ago(40), "data": {"id": "anna", "name": "Anna", "division": "energy"}}),
        json!({"type": "seller_joined", "occurred_at": days_ago(40), "data": {"id": "ida", "name": "Ida", "division": "service"}}),
        json!({"type": "seller_joined", "occurred_at": days_ago(40), "data": {"id": "per", "name": "Per \"P\", Jr.", "division": "service"}}),
        json!({"id": "lead-1", "type": "lead_given", "occurred_at": days_ago(20), "data": {"lead": "L1", "from": "anna", "to_division": "service", "to_seller": "ida", "customer": "Volvo, Cars", "note": "two\nlines", "estimated_value": 5000000}}),
        json!({"type": "lead_feedback", "occurred_at": days_ago(19), "data": {"lead": "L1", "by": "ida", "status": "meeting_booked"}}),
        json!({"type": "joint_visit", "occurred_at": days_ago(3), "data": {"host": "ida", "guests": ["anna", "per"], "customer": "Volvo, Cars"}}),
        json!({"type": "meeting_held", "occurred_at": days_ago(2), "data": {"seller": "ida", "customer": "Volvo", "lead": "L1"}}),
        json!({"type": "order_closed", "occurred_at": days_ago(1), "data": {"order": "O1", "seller": "ida", "customer": "Volvo", "amount": 45000000, "currency": "SEK", "lead": "L1"}}),
        json!({"type": "meeting_held", "data": {"seller": "per", "customer": "Scania"}}),
        json!({"type": "lead_given", "data": {"lead": "L2", "from": "per", "to_division": "energy", "customer": "ABB"}}),
    ];
    for b in bodies {
        let (code, v) = post(c, &ev, &b).await;
        assert_eq!(code, 201, "{b} → {v}");
    }
    // A void, a retroactive and a dated rule change, a closed competition.
    let (code, v) = post(
        c,
        &ev,
        &json!({"type": "event_voided", "data": {"seq": 11, "reason": "logged twice"}}),
    )
    .await;
    assert_eq!(code, 201, "{v}");
    let (_, rules) = get(c, &s.url("/api/v1/rules")).await;
    let mut draft = rules["rules"].clone();
    draft["meeting_held"] = json!(7);
    let r = c
        .put(s.url("/api/v1/rules"))
        .header("if-match", "0")
        .json(&json!({"rules": draft, "retroactive": true}))
        .send()
        .await
        .expect("put rules");
    assert_eq!(
        r.status().as_u16(),
        200,
        "{}",
        r.text().await.unwrap_or_default()
    );
    let r = c
        .put(s.url("/api/v1/rules"))
        .header("if-match", "1")
        .json(&json!({"rules": rules["rules"], "effective_from": days_ago(2)}))
        .send()
        .await
        .expect("put rules");
    assert_eq!(
        r.status().as_u16(),
        200,
        "{}",
        r.text().await.unwrap_or_default()
    );
    let (code, v) = post(
        c,
        &s.url("/api/v1/competitions"),
        &json!({"id": "spring", "name": "Spring", "start": days_ago(30), "end": days_ago(-30),
                "divisions": ["energy", "service"], "scoring": "per_seller"}),
    )
    .await;
    assert_eq!(code, 201, "{v}");
    let (code, v) = post(c, &s.url("/api/v1/competitions/spring/close"), &json!({})).await;
    assert_eq!(code, 200, "{v}");
}

#[tokio::test]
async fn export_then_import_reproduces_identical_boards() {
    let tmp = tempfile::tempdir().expect("tmp");
    let src = tmp.path().join("src");
    let c = client();
    let s = Server::start(&src);
    seed(&c, &s).await;
    let before = snapshot(&c, &s).await;
    let events = all_events(&c, &s).await;
    // The same export over HTTP while it runs.
    let http_jsonl = c
        .get(s.url("/api/v1/export?format=jsonl"))
        .send()
        .await
        .expect("export")
        .text()
        .await
        .expect("body");
    let http_csv = c
        .get(s.url("/api/v1/export?format=csv&after=3"))
        .send()
        .await
        .expect("export")
        .text()
        .await
        .expect("body");
    assert!(s.terminate().success());

    let jsonl = crossboard(&["export", "--format", "jsonl", "--data", dir(&src)]);
    assert!(jsonl.status.success(), "{}", text(&jsonl.stderr));
    assert_eq!(text(&jsonl.stdout), http_jsonl);
    assert_eq!(text(&jsonl.stdout).lines().count(), events.len());
    let csv = crossboard(&[
        "export",
        "--format",
        "csv",
        "--after",
        "3",
        "--data",
        dir(&src),
    ]);
    assert!(csv.status.success(), "{}", text(&csv.stderr));
    assert_eq!(text(&csv.stdout), http_csv);
    let csv_all = crossboard(&["export", "--format", "csv", "--data", dir(&src)]);

    for (name, bytes) in [("log.jsonl", &jsonl.stdout), ("log.csv", &csv_all.stdout)] {
        let file = tmp.path().join(name);
        std::fs::write(&file, bytes).expect("write export");
        let dst = tmp.path().join(format!("dst-{name}"));
        let out = crossboard(&["import", dir(&file), "--data", dir(&dst)]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(
            text(&out.stdout).contains(&format!("{} appended", events.len())),
            "{}",
            text(&out.stdout)
        );
        // Re-running appends nothing new.
        let again = crossboard(&["import", dir(&file), "--data", dir(&dst)]);
        assert!(again.status.success(), "{}", text(&again.stderr));
        assert!(
            text(&again.stdout).contains(&format!("0 appended, {} already present", events.len())),
            "{}",
            text(&again.stdout)
        );
        let s = Server::start(&dst);
        assert_eq!(snapshot(&c, &s).await, before, "{name}");
        assert_eq!(
            comparable(&all_events(&c, &s).await),
            comparable(&events),
            "{name}"
        );
    }
}

/// Text a spreadsheet would run as a formula leaves as text (`'=...`) and
/// comes back exactly as it was, through the real CLI.
#[test]
fn csv_export_neutralises_formulas_and_import_restores_them() {
    let tmp = tempfile::tempdir().expect("tmp");
    let names = [
        "=HYPERLINK(\"http://x\",\"y\")",
        "-5 apples",
        "@SUM(A1)",
        "+46 8 555",
        "'=already quoted",
    ];
    let mut jsonl = String::from(
        "{\"type\":\"division_created\",\"data\":{\"id\":\"n\",\"name\":\"=1+1\"}}\n\
         {\"type\":\"seller_joined\",\"data\":{\"id\":\"a\",\"name\":\"@anna\",\"division\":\"n\"}}\n",
    );
    for (i, name) in names.iter().enumerate() {
        let body = json!({"id": format!("m{i}"), "type": "meeting_held",
                          "data": {"seller": "a", "customer": name}});
        jsonl.push_str(&format!("{body}\n"));
    }
    let file = tmp.path().join("in.jsonl");
    std::fs::write(&file, jsonl).expect("write");
    let src = tmp.path().join("src");
    let out = crossboard(&["import", dir(&file), "--data", dir(&src)]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let csv = crossboard(&["export", "--format", "csv", "--data", dir(&src)]);
    assert!(csv.status.success(), "{}", text(&csv.stderr));
    let cells: Vec<String> = csv::ReaderBuilder::new()
        .from_reader(&csv.stdout[..])
        .records()
        .flat_map(|r| {
            r.expect("csv row")
                .iter()
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .collect();
    for name in names.iter().chain(&["=1+1", "@anna"]) {
        assert!(
            cells.contains(&format!("'{name}")),
            "{name:?} is not written as '{name} in\n{}",
            text(&csv.stdout)
        );
    }
    assert!(
        cells
            .iter()
            .all(|c| !c.starts_with(['=', '+', '-', '@', '\t', '\r'])),
        "a cell would be a formula:\n{}",
        text(&csv.stdout)
    );

    let file = tmp.path().join("out.csv");
    std::fs::write(&file, &csv.stdout).expect("write");
    let dst = tmp.path().join("dst");
    let out = crossboard(&["import", dir(&file), "--data", dir(&dst)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines = |data: &Path| {
        let out = crossboard(&["export", "--format", "jsonl", "--data", dir(data)]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
            .lines()
            .map(|l| {
                let e: Value = serde_json::from_str(l).expect("jsonl");
                json!([e["seq"], e["id"], e["type"], e["occurred_at"], e["data"]])
            })
            .collect::<Vec<_>>()
    };
    let (before, after) = (lines(&src), lines(&dst));
    assert_eq!(before.len(), names.len() + 2);
    assert_eq!(after, before);
    for (i, name) in names.iter().enumerate() {
        assert_eq!(after[i + 2][4]["customer"], *name);
    }
}

#[tokio::test]
async fn rejected_rows_are_reported_with_line_and_field() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    let file = tmp.path().join("crm.csv");
    // Line 6 holds a quoted two-line customer, so the bad seller is on line 8.
    std::fs::write(
        &file,
        "type,occurred_at,data.id,data.name,data.division,data.seller,data.customer,data.note,data.order,data.amount,data.currency,data.host,data.guests\n\
         division_created,,north,North,,,,,,,,,\n\
         division_created,,south,South,,,,,,,,,\n\
         seller_joined,,anna,Anna,north,,,,,,,,\n\
         seller_joined,,bo,Bo,south,,,,,,,,\n\
         meeting_held,,,,,anna,\"Acme\nsecond line\",,,,,,\n\
         seller_joined,,cleo,Cleo,nowhere,,,,,,,,\n\
         order_closed,,,,,anna,Acme,,O1,-5,SEK,,\n\
         joint_visit,,,,,,Acme,,,,,anna,bo;ghost\n\
         joint_visit,yesterday-ish,,,,,Acme,,,,,anna,bo\n\
         joint_visit,,,,,,Acme,,,,,anna,bo\n",
    )
    .expect("write csv");
    let out = crossboard(&["import", dir(&file), "--data", dir(&data)]);
    let err = text(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("line 8: data.division:"), "{err}");
    assert!(err.contains("line 9: data.amount:"), "{err}");
    assert!(err.contains("line 10: data.guests[1]:"), "{err}");
    assert!(err.contains("line 11: occurred_at:"), "{err}");
    assert!(err.contains("4 of 10 rows were rejected"), "{err}");
    assert!(
        text(&out.stdout).contains("6 appended"),
        "{}",
        text(&out.stdout)
    );
    // Rows without ids got derived ones: a re-run appends nothing new.
    let again = crossboard(&["import", dir(&file), "--data", dir(&data)]);
    assert!(
        text(&again.stdout).contains("0 appended, 6 already present, 4 rejected"),
        "{}",
        text(&again.stdout)
    );

    // JSONL: a broken line and a bad field, by line number.
    let file = tmp.path().join("more.jsonl");
    std::fs::write(
        &file,
        "{\"type\":\"meeting_held\",\"data\":{\"seller\":\"bo\",\"customer\":\"Acme\"}}\n\
         \n\
         {not json\n\
         {\"type\":\"meeting_held\",\"data\":{\"seller\":\"bo\",\"customer\":\"\"}}\n",
    )
    .expect("write jsonl");
    let out = crossboard(&["import", dir(&file), "--data", dir(&data)]);
    let err = text(&out.stderr);
    assert!(err.contains("line 3: not valid JSON"), "{err}");
    assert!(err.contains("line 4: data.customer:"), "{err}");
    assert!(text(&out.stdout).contains("1 appended"));

    // A CSV header with an unknown column is refused before anything.
    let file = tmp.path().join("bad.csv");
    std::fs::write(&file, "type,data.colour\nseller_left,blue\n").expect("write");
    let out = crossboard(&["import", dir(&file), "--data", dir(&data)]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("line 1: unknown column 'data.colour'"));
}

#[tokio::test]
async fn a_running_server_holds_the_lock_and_import_says_so() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    let _s = Server::start(&data);
    let file = tmp.path().join("x.jsonl");
    std::fs::write(
        &file,
        "{\"type\":\"seller_left\",\"data\":{\"seller\":\"x\"}}\n",
    )
    .expect("w");
    for args in [
        vec!["import", dir(&file), "--data", dir(&data)],
        vec!["export", "--data", dir(&data)],
    ] {
        let out = crossboard(&args);
        assert!(!out.status.success());
        let err = text(&out.stderr);
        assert!(
            err.contains("in use by another crossboard process"),
            "{err}"
        );
    }
}

#[tokio::test]
async fn http_batch_reports_each_item_and_takes_large_bodies() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::start(&tmp.path().join("data"));
    let c = client();
    let url = s.url("/api/v1/events/batch");
    let r = c
        .post(&url)
        .json(&json!([
            {"type": "division_created", "data": {"id": "n", "name": "North"}},
            {"type": "seller_joined", "data": {"id": "a", "name": "A", "division": "n"}},
            {"type": "seller_joined", "data": {"id": "b", "name": "B", "division": "nowhere"}},
            {"id": "m1", "type": "meeting_held", "data": {"seller": "a", "customer": "Acme"}},
            "not an object",
            {"id": "m1", "type": "meeting_held", "data": {"seller": "a", "customer": "Acme"}},
        ]))
        .send()
        .await
        .expect("batch");
    assert_eq!(r.status().as_u16(), 200);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["appended"], 3, "{v}");
    assert_eq!(v["existing"], 1, "{v}");
    assert_eq!(v["rejected"], 2, "{v}");
    let res = &v["results"];
    assert_eq!(res[0]["seq"], 1);
    assert_eq!(res[2]["error"]["field"], "data.division", "{v}");
    assert_eq!(res[2]["status"], 422);
    assert_eq!(res[3]["status"], 201);
    assert_eq!(res[4]["status"], 400);
    assert_eq!(res[5]["status"], 200);
    assert_eq!(res[5]["seq"], res[3]["seq"]);

    // JSONL, bigger than the 64 KiB single-event limit.
    let mut body = String::new();
    for i in 0..2_000 {
        body.push_str(&format!(
            "{{\"id\":\"bulk-{i}\",\"type\":\"meeting_held\",\"data\":{{\"seller\":\"a\",\"customer\":\"Customer number {i}\"}}}}\n"
        ));
    }
    body.push_str("{\"type\":\"meeting_held\",\"data\":{\"seller\":\"zed\",\"customer\":\"x\"}}\n");
    assert!(body.len() > 64 * 1024);
    let r = c
        .post(&url)
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .expect("batch");
    assert_eq!(r.status().as_u16(), 200);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["appended"], 2_000);
    assert_eq!(v["results"][2_000]["line"], 2_001);
    assert_eq!(v["results"][2_000]["error"]["field"], "data.seller");
    let (_, h) = get(&c, &s.url("/healthz")).await;
    assert_eq!(h["seq"], 2_003);

    let (code, v) = post(&c, &url, &json!({"type": "x"})).await;
    assert_eq!(code, 400, "{v}");
    let r = c
        .get(s.url("/api/v1/export?format=xml"))
        .send()
        .await
        .expect("export");
    assert_eq!(r.status().as_u16(), 400);
}
