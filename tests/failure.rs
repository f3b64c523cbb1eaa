//! Clean failure: a data dir that cannot be used stops start-up with a
//! clear error; a flush that fails while serving answers 503 and
//! acknowledges nothing; SIGTERM lets in-flight appends finish and exits 0.

mod common;

use common::run_cli as run;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
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
    // One client for all writers: building one loads the TLS trust store,
    // and 32 of them would still be starting when the test stops the server.
    let client = common::client();
    for w in 0..writers {
        let url = format!("{base}/api/v1/events");
        let c = client.clone();
        handles.push(tokio::spawn(async move {
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

/// How the server goes down after a flush failed.
#[derive(Debug, Clone, Copy)]
enum Stop {
    /// SIGKILL at once: nothing more is flushed.
    Kill,
    /// SIGTERM: the shutdown path flushes the log once more.
    Term,
    /// SIGKILL after long enough for sled's background flusher (every
    /// 500 ms by default) to have written whatever sled holds in memory.
    KillAfterIdle,
}

/// The number of events in the batch whose flush failed, from the
/// server's log line (ANSI colour codes stripped).
fn failed_batch_size(data: &Path) -> Option<usize> {
    let raw = std::fs::read_to_string(data.with_extension("stderr.log")).ok()?;
    let mut text = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(ch) = chars.next() {
        if ch == '\u{1b}' {
            chars.by_ref().find(|c| c.is_ascii_alphabetic());
        } else {
            text.push(ch);
        }
    }
    let line = text.lines().find(|l| l.contains("flush failed"))?;
    let rest = &line[line.find("events=")? + "events=".len()..];
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// Like [`load`], but each client first opens its connection, then one
/// `lead` append goes alone, and while its (slow) flush runs all clients
/// start at once: their first appends queue up behind it and form the next
/// batch together rather than trickling in one by one.
async fn burst(
    base: &str,
    writers: usize,
    per_writer: usize,
) -> HashMap<String, (u16, Option<u64>)> {
    let (ready, go) = (
        Arc::new(tokio::sync::Barrier::new(writers + 1)),
        Arc::new(tokio::sync::Barrier::new(writers + 1)),
    );
    let url = format!("{base}/api/v1/events");
    let mut handles = Vec::new();
    for w in 0..writers {
        let (url, health) = (url.clone(), format!("{base}/healthz"));
        let (ready, go) = (ready.clone(), go.clone());
        handles.push(tokio::spawn(async move {
            let c = common::client();
            let _ = c.get(&health).send().await;
            ready.wait().await;
            go.wait().await;
            let mut out = Vec::new();
            for n in 0..per_writer {
                let id = format!("w{w}-{n}");
                let (code, body) = common::post(&c, &url, &meeting(&id)).await;
                out.push((id, (code, body["seq"].as_u64())));
            }
            out
        }));
    }
    // The lead's client is built and connected before anything starts:
    // building one loads the TLS trust store, which under load took longer
    // than the head start below and let the burst overtake the lead.
    let lead_client = common::client();
    let _ = lead_client.get(format!("{base}/healthz")).send().await;
    ready.wait().await;
    let lead = tokio::spawn(async move {
        let (code, body) = common::post(&lead_client, &url, &meeting("lead")).await;
        vec![("lead".to_string(), (code, body["seq"].as_u64()))]
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    go.wait().await;
    handles.push(lead);
    let mut all = HashMap::new();
    for h in handles {
        all.extend(h.await.expect("writer"));
    }
    all
}

/// Many concurrent appends form batches; the fourth flush fails, so the
/// batch that queued while the third one flushed is refused as a whole
/// (issue 11: the failed flush must hold many concurrent requests).
/// After a restart without the fault, nothing that was answered 503 is in
/// the log, seqs run contiguously, and every refused id can be retried as
/// a new event (201), which proves no index entry of it survived either.
async fn refused_events_are_absent_after(stop: Stop) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let c = common::client();
    // Two setup events and the burst's lead flush; then all fail. Flushes
    // are slow, so the burst queues behind the lead's and forms the batch
    // that fails.
    let faults = [
        ("CROSSBOARD_FAIL_FLUSH_AFTER", "3"),
        ("CROSSBOARD_SLOW_FLUSH_MS", "400"),
    ];
    let s = common::Server::start_with(&data, &[], &faults);
    setup(&c, &s).await;

    let answers = burst(&s.base, 32, 4).await;
    let acked: HashMap<&str, u64> = answers
        .iter()
        .filter(|(_, (code, _))| *code == 201)
        .map(|(id, (_, seq))| (id.as_str(), seq.expect("a 201 names its seq")))
        .collect();
    let refused: Vec<&str> = answers
        .iter()
        .filter(|(_, (code, _))| *code == 503)
        .map(|(id, _)| id.as_str())
        .collect();
    assert_eq!(acked.len() + refused.len(), answers.len(), "{answers:?}");
    assert_eq!(answers.len(), 1 + 32 * 4, "a request failed: {answers:?}");
    assert_eq!(acked.get("lead"), Some(&3), "{answers:?}");
    let batch = failed_batch_size(&data).expect("the server logs the failed flush");
    println!(
        "{stop:?}: {} acknowledged, {} refused, {batch} of them in the failed batch",
        acked.len(),
        refused.len()
    );
    assert!(
        batch > 1,
        "the failed flush held one event; no batch formed"
    );

    // Readers never see what was refused, and nothing is taken any more.
    assert_eq!(common::all_events(&c, &s).await.len(), 2 + acked.len());
    let (code, h) = common::get(&c, &s.url("/healthz")).await;
    assert_eq!(code, 503, "{h}");
    let (code, b) = common::post(&c, &s.url("/api/v1/events"), &meeting("late")).await;
    assert_eq!(code, 503, "{b}");
    assert_eq!(b["error"]["code"], "unavailable", "{b}");

    match stop {
        Stop::Kill => s.kill(),
        Stop::Term => assert!(s.terminate().success(), "SIGTERM after a failed flush"),
        Stop::KillAfterIdle => {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            s.kill();
        }
    }

    // Restarted without the fault: what was acknowledged is there at its
    // seq, nothing refused is, and seqs run 1, 2, 3, ... without a gap.
    let s = common::Server::start(&data);
    let events = common::all_events(&c, &s).await;
    let by_id: HashMap<&str, u64> = events
        .iter()
        .filter_map(|e| Some((e["id"].as_str()?, e["seq"].as_u64()?)))
        .collect();
    for (id, seq) in &acked {
        assert_eq!(by_id.get(id), Some(seq), "{id} lost or moved");
    }
    let ghosts: Vec<&&str> = refused
        .iter()
        .filter(|id| by_id.contains_key(**id))
        .collect();
    assert!(
        ghosts.is_empty(),
        "{stop:?}: refused yet stored: {ghosts:?}"
    );
    assert!(!by_id.contains_key("late"), "refused yet stored: late");
    let seqs: Vec<u64> = events.iter().filter_map(|e| e["seq"].as_u64()).collect();
    let expected: Vec<u64> = (1..=events.len() as u64).collect();
    assert_eq!(seqs, expected, "seqs are not contiguous");

    // A refused id is new to the log: its retry is created, at the next seq.
    let mut next = events.len() as u64;
    for id in refused.iter().copied().chain(["late"]) {
        let (code, b) = common::post(&c, &s.url("/api/v1/events"), &meeting(id)).await;
        next += 1;
        assert_eq!(code, 201, "{stop:?}: retry of refused {id}: {b}");
        assert_eq!(b["seq"].as_u64(), Some(next), "{b}");
    }
    drop(s);
    let (ok, out, err) = run(&["verify", "--data", data.to_str().unwrap()]);
    assert!(ok, "{out}{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_flush_acknowledges_nothing() {
    refused_events_are_absent_after(Stop::Kill).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refused_events_stay_absent_through_the_shutdown_flush() {
    refused_events_are_absent_after(Stop::Term).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refused_events_stay_absent_through_sleds_background_flush() {
    refused_events_are_absent_after(Stop::KillAfterIdle).await;
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
