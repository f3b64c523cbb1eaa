//! Knowledge sessions, qualified leads, lead quality and commission over
//! HTTP against the real binary: accepted shapes, refusals naming the
//! field, a seller token acting only as itself, and the reads that show
//! the results.

mod common;

use common::{client, client_with_token, get, post, run_cli, Server};
use serde_json::{json, Value};

use common::typed as event;

/// Divisions energy and service; lars (energy), ida and per (service).
async fn org(c: &reqwest::Client, s: &Server) {
    for body in [
        event(
            "division_created",
            json!({"id": "energy", "name": "Energy"}),
        ),
        event(
            "division_created",
            json!({"id": "service", "name": "Service"}),
        ),
        event(
            "seller_joined",
            json!({"id": "lars", "name": "Lars", "division": "energy"}),
        ),
        event(
            "seller_joined",
            json!({"id": "ida", "name": "Ida", "division": "service"}),
        ),
        event(
            "seller_joined",
            json!({"id": "per", "name": "Per", "division": "service"}),
        ),
    ] {
        let (status, v) = post(c, &s.url("/api/v1/events"), &body).await;
        assert_eq!(status, 201, "{v}");
    }
}

use common::refused;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn knowledge_shared_is_accepted_refused_by_field_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("data"));
    let c = client();
    org(&c, &s).await;
    let url = s.url("/api/v1/events");
    let ok = event(
        "knowledge_shared",
        json!({"presenter": "lars", "audience_division": "service", "topic": "Heat pumps",
               "attendees": ["ida", "per"], "note": "Lunch & learn"}),
    );
    let (status, v) = post(&c, &url, &ok).await;
    assert_eq!(status, 201, "{v}");
    let (status, v) = post(
        &c,
        &url,
        &event(
            "knowledge_shared",
            json!({"presenter": "ida", "audience_division": "energy", "topic": "Service deals"}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{v}");

    let own = event(
        "knowledge_shared",
        json!({"presenter": "lars", "audience_division": "energy", "topic": "x"}),
    );
    assert_eq!(
        refused(&c, &s, own).await,
        (422, "data.audience_division".into())
    );
    let outsider = event(
        "knowledge_shared",
        json!({"presenter": "ida", "audience_division": "energy", "topic": "x", "attendees": ["lars", "per"]}),
    );
    assert_eq!(refused(&c, &s, outsider).await.1, "data.attendees[1]");
    let no_topic = event(
        "knowledge_shared",
        json!({"presenter": "lars", "audience_division": "service"}),
    );
    assert_eq!(refused(&c, &s, no_topic).await.1, "data.topic");
    let typo = event(
        "knowledge_shared",
        json!({"presenter": "lars", "audience_division": "service", "topic": "x", "attendee": ["ida"]}),
    );
    assert_eq!(refused(&c, &s, typo).await.1, "data.attendee");

    // Points: presenter 10, each attendee 3 (default rules).
    let (_, lars) = get(&c, &s.url("/api/v1/sellers/lars?window=all")).await;
    assert_eq!(lars["points_by_kind"]["knowledge_presented"], 10, "{lars}");
    assert_eq!(lars["knowledge"], json!({"presented": 1, "attended": 0}));
    let (_, per) = get(&c, &s.url("/api/v1/sellers/per?window=all")).await;
    assert_eq!(per["points_by_kind"]["knowledge_attended"], 3, "{per}");
    assert_eq!(per["knowledge"]["attended"], 1);

    let (status, k) = get(&c, &s.url("/api/v1/knowledge?window=all")).await;
    assert_eq!(status, 200, "{k}");
    assert_eq!(
        k["rows"],
        json!([
            {"from": "energy", "to": "service", "sessions": 1, "attendees": 2},
            {"from": "service", "to": "energy", "sessions": 1, "attendees": 0},
        ])
    );
    let (status, e) = get(&c, &s.url("/api/v1/knowledge?window=fortnight")).await;
    assert_eq!(
        (status, e["error"]["field"].as_str()),
        (400, Some("window"))
    );

    // The log shows the event as posted.
    let events = common::all_events(&c, &s).await;
    let shared = events
        .iter()
        .find(|e| e["type"] == "knowledge_shared")
        .unwrap();
    assert_eq!(shared["data"]["attendees"], json!(["ida", "per"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lead_fields_quality_board_commission_and_seller_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    let token = |seller: &str| {
        let (ok, out, err) = run_cli(&[
            "token", "create", "--data", d, "--role", "seller", "--seller", seller,
        ]);
        assert!(ok, "{out}{err}");
        out.trim().to_string()
    };
    let (lars_t, ida_t) = (token("lars"), token("ida"));
    let (ok, out, err) = run_cli(&["token", "create", "--data", d, "--role", "leader"]);
    assert!(ok, "{out}{err}");
    let s = Server::start(&data);
    let leader = client_with_token(out.trim());
    org(&leader, &s).await;
    let lars = client_with_token(&lars_t);
    let ida = client_with_token(&ida_t);
    let url = s.url("/api/v1/events");

    // A qualified lead from lars, as lars: 20 + 5.
    let q = event(
        "lead_given",
        json!({"lead": "L1", "from": "lars", "to_division": "service", "customer": "Volvo",
               "need": "new plant heating", "timing": "quarter", "contact": "Eva, facilities"}),
    );
    let (status, v) = post(&lars, &url, &q).await;
    assert_eq!(status, 201, "{v}");
    let events = common::all_events(&leader, &s).await;
    let given = events.iter().find(|e| e["data"]["lead"] == "L1").unwrap();
    assert_eq!(
        (given["type"].as_str(), given["data"]["timing"].as_str()),
        (Some("lead_given"), Some("quarter"))
    );

    // Refusals name the field; a seller token writes only as itself.
    let bad_timing = event(
        "lead_given",
        json!({"lead": "L9", "from": "lars", "to_division": "service", "customer": "V", "timing": "soon"}),
    );
    assert_eq!(
        refused(&lars, &s, bad_timing).await,
        (422, "data.timing".into())
    );
    let as_other = event(
        "lead_given",
        json!({"lead": "L9", "from": "ida", "to_division": "energy", "customer": "V", "need": "n"}),
    );
    assert_eq!(
        refused(&lars, &s, as_other).await,
        (403, "data.from".into())
    );
    let teach_as_other = event(
        "knowledge_shared",
        json!({"presenter": "ida", "audience_division": "energy", "topic": "x"}),
    );
    assert_eq!(
        refused(&lars, &s, teach_as_other.clone()).await,
        (403, "data.presenter".into())
    );
    let (status, v) = post(&ida, &url, &teach_as_other).await;
    assert_eq!(status, 201, "{v}");

    // Staged credit: meeting booked → won (pending) → order (paid).
    let fb = |status: &str| {
        event(
            "lead_feedback",
            json!({"lead": "L1", "by": "ida", "status": status}),
        )
    };
    assert_eq!(post(&ida, &url, &fb("meeting_booked")).await.0, 201);
    let (_, p) = get(&lars, &s.url("/api/v1/sellers/lars?window=all")).await;
    assert_eq!(p["points"], 20 + 5 + 5, "{p}");
    assert_eq!(p["points_by_kind"]["lead_meeting"], 5);
    assert_eq!(p["points_by_kind"]["lead_qualified"], 5);
    assert_eq!(post(&ida, &url, &fb("won")).await.0, 201);
    let order = event(
        "order_closed",
        json!({"order": "O1", "seller": "ida", "customer": "Volvo", "amount": 123_456,
               "currency": "EUR", "lead": "L1"}),
    );
    assert_eq!(post(&ida, &url, &order).await.0, 201);
    // 1,234.56 EUR ≈ 14,197.44 SEK = 1 unit: 21 points; lars 25 % = 5, won 15.
    let (_, p) = get(&lars, &s.url("/api/v1/sellers/lars?window=all")).await;
    assert_eq!(p["points"], 30 + 5 + 15, "{p}");
    assert_eq!(p["lead_quality"], 1.0);
    assert_eq!(p["lead_quality_counts"], json!({"leads": 1, "reached": 1}));

    // Commission: 5 % default of 123,456 cents = 6,172 (down); giver 25 %: 1,543.
    let (_, c) = get(&leader, &s.url("/api/v1/collaboration?window=all")).await;
    assert_eq!(c["collaboration_value"], json!({"EUR": 123_456}), "{c}");
    assert_eq!(c["commission_value"], json!({"EUR": 6_172}));
    assert_eq!(c["giver_commission_value"], json!({"EUR": 1_543}));
    assert_eq!(p["stats"]["giver_commission_value"], json!({"EUR": 1_543}));

    // The quality board: default minimum 5 leads keeps lars off it.
    let (status, b) = get(&leader, &s.url("/api/v1/boards/quality?window=all")).await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(
        (b["min_leads"].as_u64(), b["rows"].as_array().map(Vec::len)),
        (Some(5), Some(0))
    );
    let (_, b) = get(
        &leader,
        &s.url("/api/v1/boards/quality?window=all&min_leads=1"),
    )
    .await;
    assert_eq!(b["rows"][0]["id"], "lars", "{b}");
    assert_eq!(b["rows"][0]["quality"], 1.0);
    let (status, e) = get(&leader, &s.url("/api/v1/boards/quality?min_leads=many")).await;
    assert_eq!(
        (status, e["error"]["field"].as_str()),
        (400, Some("min_leads"))
    );

    // Rules: new fields published, refused by name when wrong.
    let (_, rules) = get(&leader, &s.url("/api/v1/rules")).await;
    assert_eq!(rules["rules"]["commission_pct"], json!({"default": 5}));
    assert_eq!(rules["rules"]["quality_min_leads"], 5);
    let put = leader
        .put(s.url("/api/v1/rules"))
        .header("if-match", "0")
        .json(&json!({"rules": {"commission_pct": {"service": 101}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status().as_u16(), 422);
    let v: Value = put.json().await.unwrap();
    assert_eq!(v["error"]["field"], "rules.commission_pct.service", "{v}");
}
