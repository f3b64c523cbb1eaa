//! Settings precedence: flags over `CROSSBOARD_*` over the TOML file over
//! defaults, observed through which data dir `export` reads.

mod common;

use std::path::Path;
use std::process::Output;

fn crossboard(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = common::command();
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run crossboard")
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// A data dir holding one division named `name`.
fn data_dir(root: &Path, name: &str) -> std::path::PathBuf {
    let dir = root.join(name);
    let file = root.join(format!("{name}.jsonl"));
    std::fs::write(
        &file,
        format!("{{\"type\":\"division_created\",\"data\":{{\"id\":\"{name}\",\"name\":\"{name}\"}}}}\n"),
    )
    .expect("write");
    let out = crossboard(&["import", p(&file), "--data", p(&dir)], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

fn exported(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(text.trim()).expect("one JSON line");
    v["data"]["id"].as_str().unwrap_or_default().to_string()
}

#[test]
fn flags_beat_environment_beat_the_file() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (a, b, c) = (
        data_dir(tmp.path(), "file"),
        data_dir(tmp.path(), "env"),
        data_dir(tmp.path(), "flag"),
    );
    let conf = tmp.path().join("crossboard.toml");
    std::fs::write(&conf, format!("data = {:?}\nlog_json = true\n", p(&a))).expect("write");

    let file_only = crossboard(&["export", "--config", p(&conf)], &[]);
    assert_eq!(exported(&file_only), "file");
    let by_env_var = crossboard(&["export"], &[("CROSSBOARD_CONFIG", p(&conf))]);
    assert_eq!(exported(&by_env_var), "file");
    let env = crossboard(
        &["export", "--config", p(&conf)],
        &[("CROSSBOARD_DATA", p(&b))],
    );
    assert_eq!(exported(&env), "env");
    let flag = crossboard(
        &["export", "--config", p(&conf), "--data", p(&c)],
        &[("CROSSBOARD_DATA", p(&b))],
    );
    assert_eq!(exported(&flag), "flag");

    std::fs::write(&conf, "dta = \"/tmp/x\"\n").expect("write");
    let typo = crossboard(&["export", "--config", p(&conf)], &[]);
    assert!(!typo.status.success());
    let err = String::from_utf8_lossy(&typo.stderr);
    assert!(
        err.contains("unknown key 'dta'") && err.contains("data"),
        "{err}"
    );
}

#[test]
fn help_shows_every_layer() {
    let out = crossboard(&["serve", "--help"], &[]);
    let help = String::from_utf8_lossy(&out.stdout);
    for s in [
        "--config <FILE>",
        "CROSSBOARD_CONFIG",
        "CROSSBOARD_ADDR",
        "CROSSBOARD_DATA",
    ] {
        assert!(help.contains(s), "{s} missing from\n{help}");
    }
}
