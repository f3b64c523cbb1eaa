//! Restart = same state. A realistic history goes in over HTTP, everything a
//! user can read is snapshotted, the server is killed (SIGKILL, no chance to
//! flush) or stopped (SIGTERM), started again on the same data dir, and every
//! byte of the log and every board must be as before.

mod common;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use common::{all_events, client, get, post, Server};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

/// Boards are read at fixed instants so the snapshot does not depend on the
/// clock: the last day of the history, and the night Stockholm falls back.
const AT: [&str; 2] = ["2026-11-20T12:00:00Z", "2026-10-25T01:30:00Z"];
const WINDOWS: [&str; 6] = ["day", "week", "month", "quarter", "year", "all"];
const PROFILED: [&str; 3] = ["anna", "bo", "dina"];

/// The org as the test believes it is, so it only sends valid events.
struct Org {
    /// seller → (division, still here)
    sellers: BTreeMap<String, (String, bool)>,
    divisions: Vec<String>,
    /// Seqs of activities that can still be voided.
    voidable: Vec<u64>,
    next: u64,
}

impl Org {
    fn active_in(&self, division: &str) -> Vec<String> {
        self.sellers
            .iter()
            .filter(|(_, (d, here))| *here && d == division)
            .map(|(s, _)| s.clone())
            .collect()
    }

    fn active(&self) -> Vec<String> {
        self.sellers
            .iter()
            .filter(|(_, (_, here))| *here)
            .map(|(s, _)| s.clone())
            .collect()
    }

    fn id(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}{}", self.next)
    }
}

async fn send(c: &reqwest::Client, s: &Server, ty: &str, at: DateTime<Utc>, data: Value) -> u64 {
    let body = json!({"type": ty, "occurred_at": at.to_rfc3339(), "data": data});
    let (code, resp) = post(c, &s.url("/api/v1/events"), &body).await;
    assert_eq!(code, 201, "{body} -> {resp}");
    resp["seq"].as_u64().expect("seq")
}

/// Ten weeks of cross-selling across the autumn DST switch: leads with
/// feedback, joint visits, meetings, orders in two currencies, voids, a
/// rename, a move and a departure. Seeded, so every run sends the same log.
async fn realistic_history(c: &reqwest::Client, s: &Server) {
    let mut rng = StdRng::seed_from_u64(20261005);
    let start: DateTime<Utc> = "2026-09-07T07:00:00Z".parse().unwrap();
    let mut org = Org {
        sellers: BTreeMap::new(),
        divisions: vec!["energy".into(), "service".into(), "digital".into()],
        voidable: Vec::new(),
        next: 0,
    };
    for d in org.divisions.clone() {
        send(
            c,
            s,
            "division_created",
            start,
            json!({"id": d, "name": d.to_uppercase()}),
        )
        .await;
    }
    let people = [
        ("anna", 0),
        ("bo", 1),
        ("cia", 2),
        ("dina", 0),
        ("erik", 1),
        ("frida", 2),
        ("gus", 0),
        ("hedda", 1),
        ("ivar", 2),
    ];
    for (p, d) in people {
        let division = org.divisions[d].clone();
        send(
            c,
            s,
            "seller_joined",
            start,
            json!({"id": p, "name": p, "division": division}),
        )
        .await;
        org.sellers.insert(p.into(), (division, true));
    }

    for day in 0..70 {
        let mut t = start + Duration::days(day) + Duration::minutes(rng.gen_range(0..120));
        match day {
            20 => {
                send(
                    c,
                    s,
                    "division_renamed",
                    t,
                    json!({"id": "digital", "name": "Digital & AI"}),
                )
                .await;
            }
            30 => {
                send(
                    c,
                    s,
                    "seller_moved",
                    t,
                    json!({"seller": "gus", "division": "service"}),
                )
                .await;
                org.sellers.insert("gus".into(), ("service".into(), true));
            }
            45 => {
                send(c, s, "seller_left", t, json!({"seller": "ivar"})).await;
                org.sellers.insert("ivar".into(), ("digital".into(), false));
            }
            _ => {}
        }
        for _ in 0..rng.gen_range(1..4) {
            t += Duration::minutes(rng.gen_range(10..90));
            story(c, s, &mut org, &mut rng, t).await;
        }
        if day % 9 == 4 && !org.voidable.is_empty() {
            let i = rng.gen_range(0..org.voidable.len());
            let seq = org.voidable.swap_remove(i);
            send(
                c,
                s,
                "event_voided",
                t + Duration::hours(1),
                json!({"seq": seq, "reason": "logged in error"}),
            )
            .await;
        }
    }
}

/// One lead's life: given, maybe answered, visited, met, closed.
async fn story(c: &reqwest::Client, s: &Server, org: &mut Org, rng: &mut StdRng, t: DateTime<Utc>) {
    let giver = org.active().choose(rng).cloned().unwrap();
    let giver_div = org.sellers[&giver].0.clone();
    let to_div = org
        .divisions
        .iter()
        .filter(|d| **d != giver_div)
        .collect::<Vec<_>>()
        .choose(rng)
        .map(|d| d.to_string())
        .unwrap();
    let receivers = org.active_in(&to_div);
    let Some(receiver) = receivers.choose(rng).cloned() else {
        return;
    };
    let customer = ["Volvo", "Scania", "SKF", "Saab", "Epiroc"]
        .choose(rng)
        .unwrap();
    let lead = org.id("L");
    let seq = send(c, s, "lead_given", t, json!({"lead": lead, "from": giver, "to_division": to_div,
        "to_seller": receiver, "customer": customer, "estimated_value": rng.gen_range(1..500) * 100_000})).await;
    org.voidable.push(seq);
    if rng.gen_bool(0.8) {
        let later = t + Duration::hours(rng.gen_range(1..96));
        let status = ["contacted", "meeting_booked", "lost"].choose(rng).unwrap();
        let seq = send(
            c,
            s,
            "lead_feedback",
            later,
            json!({"lead": lead, "by": receiver, "status": status}),
        )
        .await;
        org.voidable.push(seq);
    }
    if rng.gen_bool(0.4) {
        let seq = send(
            c,
            s,
            "joint_visit",
            t + Duration::hours(2),
            json!({"host": receiver, "guests": [giver], "customer": customer}),
        )
        .await;
        org.voidable.push(seq);
    }
    if rng.gen_bool(0.5) {
        let seq = send(
            c,
            s,
            "meeting_held",
            t + Duration::hours(3),
            json!({"seller": receiver, "customer": customer, "lead": lead}),
        )
        .await;
        org.voidable.push(seq);
    }
    if rng.gen_bool(0.35) {
        let order = org.id("O");
        let currency = ["SEK", "SEK", "EUR"].choose(rng).unwrap();
        let seq = send(c, s, "order_closed", t + Duration::hours(4), json!({"order": order, "seller": receiver,
            "customer": customer, "amount": rng.gen_range(1..400) * 100_000, "currency": currency, "lead": lead})).await;
        org.voidable.push(seq);
        let seq = send(
            c,
            s,
            "lead_feedback",
            t + Duration::hours(5),
            json!({"lead": lead, "by": receiver, "status": "won"}),
        )
        .await;
        org.voidable.push(seq);
    }
    // Some work is not cross-selling at all.
    if rng.gen_bool(0.3) {
        let order = org.id("O");
        send(
            c,
            s,
            "order_closed",
            t + Duration::hours(6),
            json!({"order": order, "seller": giver,
            "customer": customer, "amount": rng.gen_range(1..100) * 10_000, "currency": "SEK"}),
        )
        .await;
    }
}

/// Everything a user can read: the log, every board for every window at
/// fixed instants, a few profiles, and the org lists.
async fn snapshot(c: &reqwest::Client, s: &Server) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    out.insert("events".into(), Value::Array(all_events(c, s).await));
    let mut paths = vec![
        "/api/v1/sellers".to_string(),
        "/api/v1/divisions".to_string(),
    ];
    for at in AT {
        for w in WINDOWS {
            paths.push(format!("/api/v1/boards/sellers?window={w}&at={at}"));
            paths.push(format!("/api/v1/boards/divisions?window={w}&at={at}"));
            paths.push(format!(
                "/api/v1/boards/divisions?window={w}&at={at}&scoring=per_seller"
            ));
        }
        for p in PROFILED {
            paths.push(format!("/api/v1/sellers/{p}?window=all&at={at}"));
            paths.push(format!("/api/v1/sellers/{p}?window=month&at={at}"));
        }
    }
    for path in paths {
        let (code, body) = get(c, &s.url(&path)).await;
        assert_eq!(code, 200, "{path}: {body}");
        out.insert(path, body);
    }
    out
}

/// Compares key by key so a failure names the board that changed.
fn assert_same(before: &BTreeMap<String, Value>, after: &BTreeMap<String, Value>, when: &str) {
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    for (k, v) in before {
        assert_eq!(&after[k], v, "{k} differs {when}");
    }
}

#[tokio::test]
async fn sigkill_then_restart_gives_the_same_log_and_boards() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let c = client();
    let s = Server::start(&data);
    realistic_history(&c, &s).await;
    let before = snapshot(&c, &s).await;
    // The history is big enough to mean something, and the boards are not
    // all zeros (a snapshot of nothing would compare equal to nothing).
    assert!(before["events"].as_array().unwrap().len() > 200);
    let all = &before[&format!("/api/v1/boards/sellers?window=all&at={}", AT[0])];
    assert!(all["rows"][0]["points"].as_i64().unwrap() > 0, "{all}");
    assert!(before["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["type"] == "event_voided"));
    s.kill();

    let s = Server::start(&data);
    assert_same(
        &before,
        &snapshot(&c, &s).await,
        "after SIGKILL and restart",
    );
    // And the restarted server carries on from the next seq.
    let next = before["events"].as_array().unwrap().len() as u64 + 1;
    let (code, resp) = post(
        &c,
        &s.url("/api/v1/events"),
        &json!({"type": "meeting_held", "data": {"seller": "anna", "customer": "Volvo"}}),
    )
    .await;
    assert_eq!(code, 201, "{resp}");
    assert_eq!(resp["seq"], next);
}

#[tokio::test]
async fn sigterm_exits_cleanly_and_restart_is_identical() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let c = client();
    let s = Server::start(&data);
    realistic_history(&c, &s).await;
    let before = snapshot(&c, &s).await;
    let status = s.terminate();
    assert!(status.success(), "SIGTERM should exit 0, got {status}");

    let s = Server::start(&data);
    assert_same(
        &before,
        &snapshot(&c, &s).await,
        "after SIGTERM and restart",
    );
    // Twice in a row changes nothing either.
    assert!(s.terminate().success());
    let s = Server::start(&data);
    assert_same(&before, &snapshot(&c, &s).await, "after a second restart");
}

#[tokio::test]
async fn concurrent_acknowledged_appends_survive_sigkill() {
    const TASKS: usize = 16;
    const EACH: usize = 50;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let c = client();
    let s = Server::start(&data);
    let (code, _) = post(
        &c,
        &s.url("/api/v1/events"),
        &json!({"type": "division_created", "data": {"id": "a", "name": "A"}}),
    )
    .await;
    assert_eq!(code, 201);
    for t in 0..TASKS {
        let (code, _) = post(&c, &s.url("/api/v1/events"),
            &json!({"type": "seller_joined", "data": {"id": format!("s{t}"), "name": "S", "division": "a"}})).await;
        assert_eq!(code, 201);
    }
    let setup = 1 + TASKS as u64;

    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let c = c.clone();
        let url = s.url("/api/v1/events");
        tasks.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            for i in 0..EACH {
                let id = format!("t{t}-{i}");
                let body = json!({"id": id, "type": "meeting_held",
                    "data": {"seller": format!("s{t}"), "customer": format!("C{i}")}});
                let (code, resp) = post(&c, &url, &body).await;
                assert_eq!(code, 201, "{resp}");
                acked.push((resp["seq"].as_u64().unwrap(), id));
            }
            acked
        }));
    }
    let mut acked: Vec<(u64, String)> = Vec::new();
    for task in tasks {
        acked.extend(task.await.unwrap());
    }
    s.kill();

    let s = Server::start(&data);
    let events = all_events(&c, &s).await;
    let total = setup + (TASKS * EACH) as u64;
    let seqs: Vec<u64> = events.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(
        seqs,
        (1..=total).collect::<Vec<_>>(),
        "seqs are not contiguous from 1"
    );
    let by_seq: BTreeMap<u64, &str> = events
        .iter()
        .map(|e| (e["seq"].as_u64().unwrap(), e["id"].as_str().unwrap()))
        .collect();
    for (seq, id) in &acked {
        assert_eq!(
            by_seq.get(seq),
            Some(&id.as_str()),
            "acknowledged {id} at {seq} is gone"
        );
    }
    // Every task's own events kept their order in the log.
    for t in 0..TASKS {
        let mine: Vec<u64> = acked
            .iter()
            .filter(|(_, id)| id.starts_with(&format!("t{t}-")))
            .map(|(seq, _)| *seq)
            .collect();
        assert!(mine.windows(2).all(|w| w[0] < w[1]), "task {t}: {mine:?}");
    }
    // Each seller's 50 meetings are all on the board (5 points each).
    let (_, board) = get(&c, &s.url("/api/v1/boards/sellers?window=all")).await;
    for row in board["rows"].as_array().unwrap() {
        assert_eq!(row["points"], 5 * EACH as i64, "{row}");
    }
}
