//! The game over HTTP against the real binary: kudos, challenges, targets
//! and holidays accepted, refused with their field and held to the role
//! rules (a seller acts only as themselves, only the opponent answers,
//! targets and holidays are a leader's), and the reads that show them.

mod common;

use common::{client_with_token, get, post, run_cli, Server};
use serde_json::{json, Value};

use common::typed as event;

use common::refused;

async fn accepted(c: &reqwest::Client, s: &Server, body: Value) -> u64 {
    let (status, v) = post(c, &s.url("/api/v1/events"), &body).await;
    assert_eq!(status, 201, "{v}");
    v["seq"].as_u64().expect("seq")
}

fn rfc3339(offset_days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(offset_days)).to_rfc3339()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kudos_challenges_targets_and_holidays_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    let token = |args: &[&str]| {
        let mut all = vec!["token", "create", "--data", d];
        all.extend_from_slice(args);
        let (ok, out, err) = run_cli(&all);
        assert!(ok, "{out}{err}");
        out.trim().to_string()
    };
    let leader = client_with_token(&token(&["--role", "leader"]));
    let lars = client_with_token(&token(&["--role", "seller", "--seller", "lars"]));
    let ida = client_with_token(&token(&["--role", "seller", "--seller", "ida"]));
    let per = client_with_token(&token(&["--role", "seller", "--seller", "per"]));
    let s = Server::start(&data);
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
        accepted(&leader, &s, body).await;
    }
    let lead = accepted(
        &lars,
        &s,
        event(
            "lead_given",
            json!({"lead": "L1", "from": "lars", "to_division": "service", "customer": "Volvo"}),
        ),
    )
    .await;

    // Kudos: as oneself, to a colleague, for a real event.
    let kudos = |from: &str, to: &str, extra: Value| {
        let mut data = json!({"from": from, "to": to, "reason": "the Volvo lead"});
        for (k, v) in extra.as_object().unwrap() {
            data[k] = v.clone();
        }
        event("kudos_given", data)
    };
    accepted(&ida, &s, kudos("ida", "lars", json!({"seq": lead}))).await;
    assert_eq!(
        refused(&ida, &s, kudos("lars", "per", json!({}))).await,
        (403, "data.from".into())
    );
    assert_eq!(
        refused(&ida, &s, kudos("ida", "ida", json!({}))).await,
        (422, "data.to".into())
    );
    assert_eq!(
        refused(&ida, &s, kudos("ida", "lars", json!({"seq": 999}))).await,
        (422, "data.seq".into())
    );
    assert_eq!(
        refused(
            &ida,
            &s,
            event("kudos_given", json!({"from": "ida", "to": "lars"}))
        )
        .await
        .1,
        "data.reason"
    );
    for _ in 0..4 {
        accepted(&ida, &s, kudos("ida", "per", json!({}))).await;
    }
    assert_eq!(
        refused(&ida, &s, kudos("ida", "lars", json!({}))).await,
        (422, "data.from".into()),
        "five a week by default"
    );

    let (status, me) = get(&lars, &s.url("/api/v1/sellers/lars?window=all")).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["points_by_kind"]["kudos"], 2, "{me}");
    // 20 for the lead (10, doubled across divisions) and 2 for the kudos.
    assert_eq!(me["level"]["points"], 22);
    assert_eq!(me["level"]["name"], "Rookie");
    assert_eq!(me["level"]["next_at"], 100);
    assert_eq!(me["streak"]["current"], 1);
    let ids: Vec<&str> = me["achievements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["first_lead", "bridge_builder"], "{me}");
    assert_eq!(me["achievements"][0]["seq"], lead);

    // Challenges: a seller issues as themselves, only the opponent answers.
    let duel = |id: &str, a: &str, b: &str, metric: &str, end: i64| {
        event(
            "challenge_issued",
            json!({"id": id, "challenger": a, "opponent": b, "metric": metric,
                   "start": rfc3339(-1), "end": rfc3339(end), "stake": "fika"}),
        )
    };
    accepted(&lars, &s, duel("d1", "lars", "ida", "leads_given", 6)).await;
    assert_eq!(
        refused(&lars, &s, duel("d2", "ida", "lars", "points", 6)).await,
        (403, "data.challenger".into())
    );
    assert_eq!(
        refused(&lars, &s, duel("d2", "energy", "service", "points", 6)).await,
        (403, "data.challenger".into()),
        "division against division is a leader's"
    );
    assert_eq!(
        refused(&lars, &s, duel("d1", "lars", "per", "points", 6))
            .await
            .1,
        "data.id"
    );
    assert_eq!(
        refused(&lars, &s, duel("d2", "lars", "per", "mood", 6))
            .await
            .1,
        "data.metric"
    );
    assert_eq!(
        refused(&lars, &s, duel("d2", "lars", "per", "points", -2))
            .await
            .1,
        "data.end"
    );
    assert_eq!(
        refused(&lars, &s, duel("d2", "lars", "service", "points", 6))
            .await
            .1,
        "data.opponent"
    );
    accepted(&leader, &s, duel("div", "energy", "service", "points", 6)).await;
    let answer = |ty: &str, id: &str, by: &str| event(ty, json!({"id": id, "by": by}));
    assert_eq!(
        refused(&lars, &s, answer("challenge_accepted", "d1", "lars")).await,
        (422, "data.by".into())
    );
    assert_eq!(
        refused(&per, &s, answer("challenge_accepted", "d1", "ida")).await,
        (403, "data.by".into())
    );
    assert_eq!(
        refused(&ida, &s, answer("challenge_accepted", "nope", "ida"))
            .await
            .1,
        "data.id"
    );
    accepted(&ida, &s, answer("challenge_accepted", "d1", "ida")).await;
    assert_eq!(
        refused(&ida, &s, answer("challenge_declined", "d1", "ida")).await,
        (409, "data.id".into())
    );
    accepted(&leader, &s, answer("challenge_declined", "div", "service")).await;
    accepted(
        &lars,
        &s,
        event(
            "lead_given",
            json!({"lead": "L2", "from": "lars", "to_division": "service", "customer": "Scania"}),
        ),
    )
    .await;
    let (status, c) = get(&ida, &s.url("/api/v1/challenges/d1")).await;
    assert_eq!(status, 200, "{c}");
    assert_eq!(c["status"], "running");
    assert_eq!(c["stake"], "fika");
    assert_eq!(
        c["standings"],
        json!([
            {"id": "lars", "name": "Lars", "value": 2, "rank": 1},
            {"id": "ida", "name": "Ida", "value": 0, "rank": 2},
        ])
    );
    assert_eq!(c["winner"], Value::Null, "no winner while running");
    let (_, mine) = get(&per, &s.url("/api/v1/challenges?seller=per")).await;
    let listed: Vec<(&str, &str)> = mine["challenges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap(), c["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        listed,
        vec![("div", "declined")],
        "per takes part through service"
    );
    let (status, e) = get(&per, &s.url("/api/v1/challenges?seller=ghost")).await;
    assert_eq!(
        (status, e["error"]["field"].as_str()),
        (422, Some("seller"))
    );
    let (status, _) = get(&per, &s.url("/api/v1/challenges/ghost")).await;
    assert_eq!(status, 404);

    // Targets and holidays are a leader's.
    let target = |division: &str, metric: &str, value: i64| {
        event(
            "target_set",
            json!({"id": "t1", "division": division, "metric": metric, "value": value,
                   "start": rfc3339(-1), "end": rfc3339(30)}),
        )
    };
    assert_eq!(
        refused(&lars, &s, target("energy", "leads_given", 3)).await,
        (403, "type".into())
    );
    assert_eq!(
        refused(&leader, &s, target("nope", "leads_given", 3))
            .await
            .1,
        "data.division"
    );
    assert_eq!(
        refused(&leader, &s, target("energy", "leads_given", 0))
            .await
            .1,
        "data.value"
    );
    assert_eq!(
        refused(&leader, &s, target("energy", "streak_weeks", 3))
            .await
            .1,
        "data.metric"
    );
    accepted(&leader, &s, target("energy", "leads_given", 2)).await;
    let (status, t) = get(&lars, &s.url("/api/v1/targets")).await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["targets"][0]["value"], 2);
    assert_eq!(t["targets"][0]["progress"], 2);
    assert_eq!(t["targets"][0]["percent"], 100.0);
    assert!(t["targets"][0]["reached_at"].is_string(), "{t}");
    let holiday = |week: &str| event("holiday_declared", json!({"week": week, "name": "Jul"}));
    assert_eq!(
        refused(&lars, &s, holiday("2026-W52")).await,
        (403, "type".into())
    );
    assert_eq!(
        refused(&leader, &s, holiday("2026-52")).await.1,
        "data.week"
    );
    accepted(&leader, &s, holiday("2026-W52")).await;

    // Seasons: boards take window=season; the hall of fame answers.
    let (status, b) = get(&lars, &s.url("/api/v1/boards/sellers?window=season")).await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(b["window"]["kind"], "season");
    assert_eq!(b["rows"][0]["id"], "lars");
    let (status, h) = get(&lars, &s.url("/api/v1/hall-of-fame")).await;
    assert_eq!(status, 200, "{h}");
    assert_eq!(h["season"], "quarter");
    assert!(
        h["seasons"].is_array() && h["lifetime_best"].is_array(),
        "{h}"
    );

    // The rules carry the game, and refuse a broken achievement by field.
    let (_, r) = get(&leader, &s.url("/api/v1/rules")).await;
    assert!(
        r["rules"]["achievements"].as_array().unwrap().len() >= 8,
        "{r}"
    );
    assert_eq!(r["rules"]["kudos"], json!({"points": 2, "weekly_limit": 5}));
    let version = r["version"].as_u64().unwrap();
    let res = leader
        .put(s.url("/api/v1/rules"))
        .header("If-Match", version.to_string())
        .json(&json!({"rules": {"achievements": [{"id": "x", "name": "X", "metric": "mood", "threshold": 1}]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 422);
    let v: Value = res.json().await.unwrap();
    assert!(
        v["error"]["field"]
            .as_str()
            .unwrap()
            .ends_with("achievements[0].metric"),
        "{v}"
    );
    // A preview shows who would gain or lose a badge or a level.
    let (status, pv) = post(
        &leader,
        &s.url("/api/v1/rules/preview?window=all"),
        &json!({"rules": {"achievements": [{"id": "one", "name": "One", "metric": "leads_given", "threshold": 1}],
                          "levels": [{"name": "Start", "points": 0}, {"name": "Next", "points": 30}]},
                "retroactive": true}),
    )
    .await;
    assert_eq!(status, 200, "{pv}");
    let lars_change = pv["game"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == "lars")
        .unwrap_or_else(|| panic!("{pv}"));
    assert_eq!(lars_change["gained"], json!(["one"]));
    assert_eq!(lars_change["lost"], json!(["first_lead", "bridge_builder"]));
    assert_eq!(
        (
            lars_change["level"].as_u64(),
            lars_change["draft_level"].as_u64()
        ),
        (Some(1), Some(2))
    );
    // The log shows the game's events as posted.
    let events = common::all_events(&leader, &s).await;
    let issued = events
        .iter()
        .find(|e| e["type"] == "challenge_issued")
        .unwrap();
    assert_eq!(issued["data"]["metric"], "leads_given");
    assert!(issued["data"]["start"].as_str().unwrap().ends_with('Z'));
}

#[derive(Default)]
struct Inbox {
    texts: Vec<String>,
}

/// A webhook receiver on 127.0.0.1 that keeps every text it is sent.
async fn receiver() -> (String, std::sync::Arc<parking_lot::Mutex<Inbox>>) {
    use axum::extract::State;
    use axum::routing::post as route_post;
    use axum::{Json, Router};
    type Shared = std::sync::Arc<parking_lot::Mutex<Inbox>>;
    let state: Shared = Default::default();
    async fn hook(State(s): State<Shared>, Json(body): Json<Value>) -> axum::http::StatusCode {
        s.lock()
            .texts
            .push(body["text"].as_str().unwrap_or_default().to_string());
        axum::http::StatusCode::OK
    }
    let app = Router::new()
        .route("/hook", route_post(hook))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/hook"), state)
}

/// Waits until some received text contains `needle`.
async fn heard(inbox: &std::sync::Arc<parking_lot::Mutex<Inbox>>, needle: &str) -> String {
    for _ in 0..300 {
        if let Some(t) = inbox.lock().texts.iter().find(|t| t.contains(needle)) {
            return t.clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no '{needle}' in {:?}", inbox.lock().texts);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_game_celebrates_over_webhooks() {
    let (url, inbox) = receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start_with(
        &dir.path().join("data"),
        &[],
        &[("CROSSBOARD_WEBHOOK_ALLOW_PRIVATE", "true")],
    );
    let c = common::client();
    let kinds = [
        "achievement_earned",
        "challenge_won",
        "target_reached",
        "kudos",
    ];
    let (status, v) = post(
        &c,
        &s.url("/api/v1/webhooks"),
        &json!({"url": url, "kinds": kinds}),
    )
    .await;
    assert_eq!(status, 201, "{v}");
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
            json!({"id": "lars", "name": "Lars <!channel>", "division": "energy"}),
        ),
        event(
            "seller_joined",
            json!({"id": "ida", "name": "Ida", "division": "service"}),
        ),
        event(
            "target_set",
            json!({"id": "t", "division": "energy", "metric": "leads_given", "value": 1,
                   "start": rfc3339(-1), "end": rfc3339(5)}),
        ),
        event(
            "challenge_issued",
            json!({"id": "duel", "challenger": "lars", "opponent": "ida", "metric": "points",
                   "start": rfc3339(-1),
                   "end": (chrono::Utc::now() + chrono::Duration::seconds(3)).to_rfc3339()}),
        ),
        event("challenge_accepted", json!({"id": "duel", "by": "ida"})),
        event(
            "lead_given",
            json!({"lead": "L1", "from": "lars", "to_division": "service", "customer": "Volvo"}),
        ),
        event(
            "kudos_given",
            json!({"from": "ida", "to": "lars", "reason": "the Volvo lead"}),
        ),
    ] {
        accepted(&c, &s, body).await;
    }
    // Names are escaped for Slack on the way out.
    let medal = heard(&inbox, "First bridge").await;
    assert_eq!(medal, ":medal: Lars &lt;!channel&gt; earned “First bridge”");
    heard(&inbox, "earned “Bridge builder”").await;
    assert_eq!(
        heard(&inbox, ":dart:").await,
        ":dart: Energy reached 1 leads given"
    );
    assert_eq!(
        heard(&inbox, ":clap:").await,
        ":clap: Ida thanked Lars &lt;!channel&gt;: the Volvo lead"
    );
    assert_eq!(
        heard(&inbox, ":crossed_swords:").await,
        ":crossed_swords: Lars &lt;!channel&gt; won the challenge Lars &lt;!channel&gt; vs Ida (points)"
    );
}
