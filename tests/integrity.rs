//! Corruption is loud: a record that cannot be decoded stops start-up with
//! a message naming its seq, `crossboard verify` lists every problem and
//! exits non-zero, `crossboard replay` reports, and offline commands on a
//! data dir the server holds say so.

mod common;

use common::run_cli as run;

use std::path::Path;

use serde_json::json;

/// A data dir with `n` events, the server stopped.
async fn log_with(data: &Path, n: usize) {
    let s = common::Server::start(data);
    let c = common::client();
    let url = s.url("/api/v1/events");
    let (code, b) = common::post(
        &c,
        &url,
        &json!({"type": "division_created", "data": {"id": "d", "name": "D"}}),
    )
    .await;
    assert_eq!(code, 201, "{b}");
    for i in 1..n {
        let (code, b) = common::post(
            &c,
            &url,
            &json!({"id": format!("s{i}"), "type": "seller_joined",
                    "data": {"id": format!("s{i}"), "name": "S", "division": "d"}}),
        )
        .await;
        assert_eq!(code, 201, "{b}");
    }
    assert!(s.terminate().success());
}

#[tokio::test]
async fn verify_and_replay_report_on_a_healthy_log() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    log_with(&data, 12).await;
    let d = data.to_str().unwrap();

    let (ok, out, err) = run(&["verify", "--data", d]);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("ok: 12 records (last seq 12), 12 index entries, 0 problems"),
        "{out}"
    );

    let (ok, out, err) = run(&["replay", "--data", d]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("replayed 12 events in"), "{out}");
    assert!(out.contains("events/s"), "{out}");
    assert!(out.contains("1 divisions, 11 sellers"), "{out}");

    // A typo in --data is not an empty, healthy log.
    let missing = dir.path().join("nope");
    let (ok, _, err) = run(&["verify", "--data", missing.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("there is no data dir at"), "{err}");
    assert!(!missing.exists(), "verify created the dir");
}

#[tokio::test]
async fn a_corrupt_record_stops_start_up_naming_its_seq() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    log_with(&data, 6).await;
    {
        let log = crossboard::store::Log::open(&data).expect("open");
        log.overwrite_raw_record(4, b"\x01\x00\xff\xff not bincode")
            .expect("corrupt");
    }
    let d = data.to_str().unwrap();

    let (ok, out, err) = run(&["serve", "--addr", "127.0.0.1:0", "--data", d]);
    assert!(!ok, "served a corrupt log: {out}");
    assert!(err.contains("corrupt at seq 4"), "{err}");
    assert!(err.contains("crossboard verify"), "{err}");
    assert!(!out.contains("listening"), "{out}");

    let (ok, out, _) = run(&["verify", "--data", d]);
    assert!(!ok);
    assert!(out.contains("problem: seq 4: cannot be decoded"), "{out}");
    assert!(out.contains("DAMAGED: 6 records"), "{out}");

    let (ok, _, err) = run(&["replay", "--data", d]);
    assert!(!ok);
    assert!(err.contains("corrupt at seq 4"), "{err}");
}

#[tokio::test]
async fn a_gap_a_misplaced_record_and_a_broken_index_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    log_with(&data, 6).await;
    {
        // A stray copy of seq 3's record at 9 (a gap, and a record under
        // the wrong key), and s5's index entry points at seq 2.
        let log = crossboard::store::Log::open(&data).expect("open");
        let bytes = crossboard::store::codec::encode(&log.get(3).unwrap().unwrap()).unwrap();
        log.overwrite_raw_record(9, &bytes).unwrap();
        log.overwrite_raw_id("s5", &2u64.to_be_bytes()).unwrap();
    }
    let d = data.to_str().unwrap();
    let (ok, out, _) = run(&["verify", "--data", d]);
    assert!(!ok);
    assert!(out.contains("seq 9: seqs jump from 6 to 9"), "{out}");
    assert!(out.contains("seq 9: the record claims seq 3"), "{out}");
    assert!(
        out.contains("seq 6: its id 's5' is indexed to seq 2"),
        "{out}"
    );
    assert!(
        out.contains("index entry 's5' points at an event with id"),
        "{out}"
    );

    let (ok, _, err) = run(&["serve", "--addr", "127.0.0.1:0", "--data", d]);
    assert!(!ok);
    assert!(err.contains("corrupt at seq"), "{err}");
}

#[tokio::test]
async fn offline_commands_say_the_server_holds_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = common::Server::start(&data);
    let d = data.to_str().unwrap();
    for cmd in ["verify", "replay", "export"] {
        let (ok, _, err) = run(&[cmd, "--data", d]);
        assert!(!ok, "{cmd} ran beside the server");
        assert!(
            err.contains("in use by another crossboard process"),
            "{cmd}: {err}"
        );
    }
    let (ok, _, err) = run(&["serve", "--addr", "127.0.0.1:0", "--data", d]);
    assert!(!ok);
    assert!(
        err.contains("in use by another crossboard process"),
        "{err}"
    );
    drop(s);
}

/// A data dir nobody can write to, root included (root ignores permission
/// bits, so `tests/failure.rs`'s read-only dir cannot bite it): a regular
/// file where the dir should be, and a dir whose store file is a directory.
/// Start-up must fail with a message naming the path and a non-zero exit,
/// without a panic, without listening, and without touching the file.
#[test]
fn a_data_dir_that_cannot_be_written_fails_start_up_even_as_root() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data-is-a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let blocked = dir.path().join("data-with-a-dir-for-its-store");
    std::fs::create_dir_all(blocked.join("db")).unwrap();
    std::fs::create_dir_all(blocked.join("conf")).unwrap();

    for data in [&file, &blocked] {
        let path = data.to_str().unwrap();
        let (ok, out, err) = run(&["serve", "--addr", "127.0.0.1:0", "--data", path]);
        assert!(!ok, "served from {path}: {out}");
        assert!(!out.contains("listening"), "{out}");
        assert!(err.starts_with("error: "), "{err}");
        assert!(err.contains("cannot open the data dir"), "{err}");
        assert!(err.contains(path), "{err}");
        assert!(!err.contains("panicked"), "{err}");
        // So does an offline command, naming the path.
        let (ok, _, err) = run(&["export", "--data", path]);
        assert!(!ok);
        assert!(err.starts_with("error: ") && err.contains(path), "{err}");
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "not a directory");
    assert!(blocked.join("db").is_dir());
}
