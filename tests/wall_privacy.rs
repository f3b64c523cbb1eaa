//! `--wall-privacy`: what the server itself sends a wall screen about
//! people, over a real websocket and the board routes; and the activity
//! feed the wall shows. Set here through the config file
//! (`wall_privacy = "..."`), which maps to `CROSSBOARD_WALL_PRIVACY` and
//! the flag like every other key.

mod common;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use common::{client_with_token, get, post, Server};

fn start(dir: &tempfile::TempDir, level: &str) -> Server {
    let config = dir.path().join("crossboard.toml");
    std::fs::write(&config, format!("wall_privacy = \"{level}\"\n")).unwrap();
    Server::start_with(
        &dir.path().join("data"),
        &["--demo", "--demo-every", "100000"],
        &[("CROSSBOARD_CONFIG", config.to_str().unwrap())],
    )
}

/// (id, full name, division name) of every seller, as a leader sees them.
async fn people(s: &Server, leader: &reqwest::Client) -> Vec<(String, String, String)> {
    let (_, sellers) = get(leader, &s.url("/api/v1/sellers")).await;
    let (_, divisions) = get(leader, &s.url("/api/v1/divisions")).await;
    let division = |id: &Value| {
        divisions["divisions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| &d["id"] == id)
            .map(|d| d["name"].as_str().unwrap().to_string())
            .unwrap()
    };
    sellers["sellers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["id"].as_str().unwrap().to_string(),
                x["name"].as_str().unwrap().to_string(),
                division(&x["division"]),
            )
        })
        .collect()
}

/// Opens the socket as `token`, subscribes to every seller, the divisions
/// and the feed, then logs a cross-division order from a lead as the
/// leader; returns every frame until both its highlight and its activity
/// line arrived, and the id of the seller who closed the order.
async fn frames(
    s: &Server,
    token: &str,
    leader: &reqwest::Client,
    tag: &str,
) -> (Vec<Value>, String) {
    let url = format!(
        "{}?token={token}",
        s.url("/api/v1/live").replacen("http://", "ws://", 1)
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.expect("socket");
    for sub in [
        json!({"subscribe": "sellers", "window": "all", "zeros": true, "limit": 1000,
            "day_move": true}),
        json!({"subscribe": "divisions", "window": "all"}),
        json!({"subscribe": "feed"}),
    ] {
        ws.send(Message::Text(sub.to_string().into()))
            .await
            .unwrap();
    }
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    // The board as it was before the order, for the movement it causes.
    while !out.iter().any(|f: &Value| f["board"] == "sellers") {
        let msg = tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("a first board")
            .expect("socket open")
            .expect("frame");
        if let Message::Text(t) = msg {
            out.push(serde_json::from_str(t.as_str()).unwrap());
        }
    }
    let (_, board) = get(leader, &s.url("/api/v1/boards/sellers?window=all")).await;
    let rows = board["rows"].as_array().unwrap();
    let last = &rows[rows.len() - 1];
    let giver = rows
        .iter()
        .find(|r| r["division"] != last["division"])
        .unwrap();
    let lead = format!("PRIV-L-{tag}");
    for body in [
        json!({"type": "lead_given", "data": {"lead": lead, "from": giver["id"],
            "to_division": last["division"], "to_seller": last["id"], "customer": "Privacy AB"}}),
        json!({"type": "order_closed", "data": {"order": format!("PRIV-O-{tag}"),
            "seller": last["id"], "customer": "Privacy AB", "amount": 500_000_000i64,
            "currency": "SEK", "lead": lead}}),
    ] {
        let (code, v) = post(leader, &s.url("/api/v1/events"), &body).await;
        assert_eq!(code, 201, "{v}");
    }
    let (mut highlight, mut activity) = (false, false);
    // A board frame after the order, with the climber no longer last:
    // boards are coalesced, so it may come after the highlight.
    let climber = last["id"].as_str().unwrap().to_string();
    let mut moved = false;
    while !(highlight && activity && moved) {
        let msg = tokio::time::timeout_at(deadline, ws.next())
            .await
            .unwrap_or_else(|_| panic!("no highlight and activity line in time: {out:?}"))
            .expect("socket open")
            .expect("frame");
        if let Message::Text(t) = msg {
            let v: Value = serde_json::from_str(t.as_str()).unwrap();
            highlight |= v["highlight"]["kind"] == "cross_sell_order";
            moved |= v["board"] == "sellers"
                && v["rows"].as_array().is_some_and(|rows| {
                    rows.iter()
                        .any(|r| r["id"] == climber.as_str() && r["rank"] != last["rank"])
                        || !rows.iter().any(|r| r["id"] == climber.as_str())
                });
            activity |= v["activity"]["text"]
                .as_str()
                .is_some_and(|t| t.contains("closed an order"));
            out.push(v);
        }
    }
    (out, last["id"].as_str().unwrap().to_string())
}

fn seller_rows(frames: &[Value]) -> Vec<Value> {
    frames
        .iter()
        .filter(|f| f["board"] == "sellers")
        .flat_map(|f| f["rows"].as_array().cloned().unwrap_or_default())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn initials_mode_sends_a_screen_no_full_name_and_a_leader_every_name() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(&dir, "initials");
    let leader_token = s.demo_token("leader").unwrap();
    let screen_token = s.demo_token("screen").unwrap();
    let leader = client_with_token(&leader_token);
    let screen = client_with_token(&screen_token);
    let people = people(&s, &leader).await;
    assert!(people.len() >= 20);

    let (_, me) = get(&screen, &s.url("/api/v1/me")).await;
    assert_eq!(me["wall_privacy"], "initials", "{me}");
    let (_, me) = get(&leader, &s.url("/api/v1/me")).await;
    assert_eq!(me["wall_privacy"], "names", "{me}");

    let (seen, _) = frames(&s, &screen_token, &leader, "screen").await;
    let text = serde_json::to_string(&seen).unwrap();
    for (id, name, _) in &people {
        assert!(!text.contains(name.as_str()), "{name} sent to a screen");
        assert!(
            !text.contains(&format!("\"id\":\"{id}\"")),
            "seller id {id} sent to a screen"
        );
    }
    let rows = seller_rows(&seen);
    assert!(rows.len() >= people.len(), "every seller listed: {rows:?}");
    let initials: Vec<String> = people
        .iter()
        .map(|(_, n, _)| {
            let w: Vec<&str> = n.split_whitespace().collect();
            format!(
                "{}{}",
                w[0].chars().next().unwrap(),
                w[w.len() - 1].chars().next().unwrap()
            )
        })
        .collect();
    assert!(
        rows.iter()
            .all(|r| initials.contains(&r["name"].as_str().unwrap().to_string())),
        "initials instead of names: {rows:?}"
    );
    let line = seen
        .iter()
        .find(|f| {
            f["activity"]["text"]
                .as_str()
                .is_some_and(|t| t.contains("closed an order"))
        })
        .expect("the order's activity line");
    let text = line["activity"]["text"].as_str().unwrap();
    assert!(text.contains("closed an order from"), "{line}");
    assert!(
        initials
            .iter()
            .any(|i| text.starts_with(&format!("{i} closed"))),
        "the line names the seller by initials: {line}"
    );

    // The board route too, and the feed's backlog for a late subscriber.
    let (_, board) = get(&screen, &s.url("/api/v1/boards/sellers?window=all")).await;
    let text = board.to_string();
    assert!(
        people.iter().all(|(_, n, _)| !text.contains(n.as_str())),
        "{board}"
    );

    // A leader's socket and board carry the names.
    let (seen, climber) = frames(&s, &leader_token, &leader, "leader").await;
    let text = serde_json::to_string(&seen).unwrap();
    assert!(
        people.iter().any(|(_, n, _)| text.contains(n.as_str())),
        "a leader sees names"
    );
    let line = seen
        .iter()
        .rev()
        .find(|f| {
            f["activity"]["text"]
                .as_str()
                .is_some_and(|t| t.contains("closed an order"))
        })
        .unwrap();
    // Rank movement since the morning: the order's climb adds exactly the
    // ranks gained to the climber's `day_move`.
    let row = |f: &Value| {
        f["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == climber.as_str())
            .cloned()
            .expect("the climber's row")
    };
    let boards: Vec<&Value> = seen.iter().filter(|f| f["board"] == "sellers").collect();
    let (before, after) = (row(boards[0]), row(boards[boards.len() - 1]));
    let gained = before["rank"].as_i64().unwrap() - after["rank"].as_i64().unwrap();
    assert!(gained > 0, "{before} → {after}");
    assert_eq!(
        after["day_move"].as_i64().unwrap() - before["day_move"].as_i64().unwrap(),
        gained,
        "{before} → {after}"
    );
    let named = people.iter().any(|(_, n, _)| {
        line["activity"]["text"]
            .as_str()
            .unwrap()
            .starts_with(n.as_str())
    });
    assert!(named, "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn divisions_mode_shows_a_screen_teams_only() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(&dir, "divisions");
    let leader = client_with_token(&s.demo_token("leader").unwrap());
    let screen_token = s.demo_token("screen").unwrap();
    let people = people(&s, &leader).await;
    let (seen, _) = frames(&s, &screen_token, &leader, "div").await;
    let text = serde_json::to_string(&seen).unwrap();
    for (id, name, _) in &people {
        assert!(!text.contains(name.as_str()), "{name} sent to a screen");
        assert!(!text.contains(&format!("\"id\":\"{id}\"")), "{id}");
    }
    let divisions: Vec<&str> = people.iter().map(|(_, _, d)| d.as_str()).collect();
    let rows = seller_rows(&seen);
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|r| divisions.contains(&r["name"].as_str().unwrap())),
        "a seller shows as their division: {rows:?}"
    );
}
