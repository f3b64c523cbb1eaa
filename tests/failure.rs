//! Clean failure: a data dir that cannot be used stops start-up with a
//! clear error; a flush that fails while serving answers 503 and
//! acknowledges nothing; SIGTERM lets in-flight appends finish and exits 0.

mod common;

use common::run_cli as run;

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};

fn serve_fails(data: &Path) -> String {
    let (ok, out, err) = run(&[
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--data",
        data.to_str().expect("utf-8 path"),
    ]);
    assert!(!ok, "served from {}: {out}", data.display());
    assert!(!out.contains("listening"), "{out}");
    err
}

#[test]
fn an_unusable_data_dir_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a directory").unwrap();

    let err = serve_fails(&file.join("data"));
    assert!(err.contains("cannot open the data dir"), "{err}");
    assert!(err.contains("a-file/data"), "{err}");

    let err = serve_fails(&file);
    assert!(err.contains("cannot open the data dir"), "{err}");

    // A read-only dir; root ignores permissions, so only when they bite.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let ro = dir.path().join("read-only");
        std::fs::create_dir(&ro).unwrap();
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
        if std::fs::write(ro.join("probe"), "x").is_err() {
            let err = serve_fails(&ro.join("data"));
            assert!(err.contains("cannot open the data dir"), "{err}");
            let err = serve_fails(&ro);
            assert!(err.starts_with("error: "), "{err}");
        } else {
            println!("running as root: the read-only case cannot be provoked");
        }
    }
}

async fn setup(c: &reqwest::Client, s: &common::Server) {
    for body in [
        json!({"id": "div", "type": "division_created", "data": {"id": "d", "name": "D"}}),
        json!({"id": "anna", "type": "seller_joined", "data": {"id": "anna", "name": "Anna", "division": "d"}}),
    ] {
        let (code, b) = common::post(c, &s.url("/api/v1/events"), &body).await;
        assert_eq!(code, 201, "{b}");
    }
}

fn meeting(id: &str) -> Value {
    json!({"id": id, "type": "meeting_held",
           "data": {"seller": "anna", "customer": format!("Customer {id}")}})
}

/// Posts `meeting(id)` from `writers` concurrent clients until each has
/// sent `per_writer` or its connection fails. Returns every answer: id → (status,
/// seq if any); ids whose request failed are absent.
async fn load(
    base: &str,
    writers: usize,
    per_writer: usize,
) -> HashMap<String, (u16, Option<u64>)> {
    let mut handles = Vec::new();
    for w in 0..writers {
        let url = format!("{base}/api/v1/events");
        handles.push(tokio::spawn(async move {
            let c = common::client();
            let mut out = Vec::new();
            for n in 0..per_writer {
                let id = format!("w{w}-{n}");
                match c.post(&url).json(&meeting(&id)).send().await {
                    Ok(r) => {
                        let code = r.status().as_u16();
                        let body: Value = r.json().await.unwrap_or(Value::Null);
                        out.push((id, (code, body["seq"].as_u64())));
                    }
                    Err(_) => break,
                }
            }
            out
        }));
    }
    let mut all = HashMap::new();
    for h in handles {
        all.extend(h.await.expect("writer"));
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_flush_acknowledges_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let c = common::client();
    // Two setup events and one meeting flush; everything after fails.
    let s = common::Server::start_with(&data, &[], &[("CROSSBOARD_FAIL_FLUSH_AFTER", "3")]);
    setup(&c, &s).await;
    let (code, b) = common::post(&c, &s.url("/api/v1/events"), &meeting("ok")).await;
    assert_eq!(code, 201, "{b}");

    let (code, b) = common::post(
        &c,
        &s.url("/api/v1/events"),
        &json!({"id": "lost", "type": "division_created", "data": {"id": "x", "name": "X"}}),
    )
    .await;
    assert_eq!(code, 503, "{b}");
    assert_eq!(b["error"]["code"], "unavailable", "{b}");
    // Readers never see what was refused, and nothing is taken any more.
    let (_, divisions) = common::get(&c, &s.url("/api/v1/divisions")).await;
    assert_eq!(
        divisions["divisions"].as_array().map(Vec::len),
        Some(1),
        "{divisions}"
    );
    assert_eq!(common::all_events(&c, &s).await.len(), 3);
    let (code, h) = common::get(&c, &s.url("/healthz")).await;
    assert_eq!(code, 503, "{h}");

    let answers = load(&s.base, 16, 20).await;
    let mut refused = 0;
    for (id, (code, _)) in &answers {
        assert_eq!(*code, 503, "{id} was answered {code} after a failed flush");
        refused += 1;
    }
    assert!(refused > 0);
    s.kill();

    // After a restart without the fault: what was acknowledged is there,
    // and what was refused can be retried with its id exactly once.
    let s = common::Server::start(&data);
    let events = common::all_events(&c, &s).await;
    let ids: Vec<&str> = events.iter().filter_map(|e| e["id"].as_str()).collect();
    assert_eq!(&ids[..3], &["div", "anna", "ok"], "{events:?}");
    let (code, b) = common::post(
        &c,
        &s.url("/api/v1/events"),
        &json!({"id": "lost", "type": "division_created", "data": {"id": "x", "name": "X"}}),
    )
    .await;
    assert!(code == 200 || code == 201, "{code} {b}");
    for id in answers.keys() {
        let (code, b) = common::post(&c, &s.url("/api/v1/events"), &meeting(id)).await;
        assert!(code == 200 || code == 201, "{code} {b}");
    }
    let events = common::all_events(&c, &s).await;
    assert_eq!(events.len(), 3 + 1 + answers.len(), "an id appears twice");
    drop(s);
    let (ok, out, err) = run(&["verify", "--data", data.to_str().unwrap()]);
    assert!(ok, "{out}{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_finishes_in_flight_appends_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let c = common::client();
    let s = common::Server::start(&data);
    setup(&c, &s).await;

    let pid = s.pid();
    let loader = {
        let base = s.base.clone();
        tokio::spawn(async move { load(&base, 32, 100_000).await })
    };
    tokio::time::sleep(Duration::from_millis(700)).await;
    let status = s.terminate();
    assert!(status.success(), "exit status {status:?} after SIGTERM");
    let answers = loader.await.expect("loader");
    let acked: HashMap<&String, u64> = answers
        .iter()
        .filter(|(_, (code, _))| *code == 201)
        .map(|(id, (_, seq))| (id, seq.expect("seq")))
        .collect();
    assert!(
        answers.values().all(|(code, _)| *code == 201),
        "non-201 answers during shutdown: {:?}",
        answers
            .values()
            .filter(|(c, _)| *c != 201)
            .take(5)
            .collect::<Vec<_>>()
    );
    assert!(acked.len() > 32, "too little load to prove anything");
    println!(
        "pid {pid}: {} appends acknowledged before SIGTERM finished",
        acked.len()
    );

    let s = common::Server::start(&data);
    let events = common::all_events(&c, &s).await;
    let by_id: HashMap<&str, u64> = events
        .iter()
        .filter_map(|e| Some((e["id"].as_str()?, e["seq"].as_u64()?)))
        .collect();
    for (id, seq) in &acked {
        assert_eq!(by_id.get(id.as_str()), Some(seq), "{id} lost or moved");
    }
    drop(s);
    let (ok, out, err) = run(&["verify", "--data", data.to_str().unwrap()]);
    assert!(ok, "{out}{err}");
}
