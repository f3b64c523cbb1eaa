//! A browser on another site must not be able to use a crossboard it can
//! reach: foreign origins cannot write, bodies must say they are JSON,
//! foreign host names (DNS rebinding) are refused, pages forbid framing and
//! inline scripts, an open API is never put on the network by accident and
//! the last leader token is not revoked by accident.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{client, get, run_cli, Server};
use serde_json::{json, Value};

fn division(id: &str) -> Value {
    json!({"type": "division_created", "data": {"id": id, "name": id}})
}

async fn post_with(
    c: &reqwest::Client,
    url: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (u16, Value) {
    let mut req = c.post(url).body(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn json_bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).expect("json")
}

#[tokio::test]
async fn cross_origin_writes_are_refused_unless_allowed() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::start(&tmp.path().join("data"));
    let c = client();
    let url = s.url("/api/v1/events");
    let ct = ("content-type", "application/json");

    let (code, v) = post_with(
        &c,
        &url,
        &[ct, ("origin", "https://evil.example")],
        json_bytes(&division("a")),
    )
    .await;
    assert_eq!(code, 403, "{v}");
    assert_eq!(v["error"]["code"], "forbidden_origin", "{v}");
    let (code, v) = post_with(
        &c,
        &url,
        &[ct, ("origin", "null")],
        json_bytes(&division("a")),
    )
    .await;
    assert_eq!(
        (code, v["error"]["code"].clone()),
        (403, json!("forbidden_origin"))
    );
    // Our own pages send our own origin.
    let own = s.base.clone();
    let (code, v) = post_with(
        &c,
        &url,
        &[ct, ("origin", &own)],
        json_bytes(&division("a")),
    )
    .await;
    assert_eq!(code, 201, "{v}");
    // Reads are not state-changing: a foreign Origin on a GET is fine.
    let r = c
        .get(s.url("/api/v1/boards/sellers"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status().as_u16(), 200);
    let (_, h) = get(&c, &s.url("/healthz")).await;
    assert_eq!(h["seq"], 1, "only our own origin wrote");
    drop(s);

    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::start_with(
        &tmp.path().join("data"),
        &[
            "--allowed-origins",
            "https://intranet.example,https://other.example:8443",
        ],
        &[],
    );
    let url = s.url("/api/v1/events");
    let (code, v) = post_with(
        &c,
        &url,
        &[ct, ("origin", "https://intranet.example")],
        json_bytes(&division("b")),
    )
    .await;
    assert_eq!(code, 201, "{v}");
    let (code, _) = post_with(
        &c,
        &url,
        &[ct, ("origin", "https://other.example:8443")],
        json_bytes(&division("c")),
    )
    .await;
    assert_eq!(code, 201);
    let (code, v) = post_with(
        &c,
        &url,
        &[ct, ("origin", "https://evil.example")],
        json_bytes(&division("d")),
    )
    .await;
    assert_eq!(
        (code, v["error"]["code"].clone()),
        (403, json!("forbidden_origin"))
    );
}

#[tokio::test]
async fn json_bodies_need_a_json_content_type() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::start(&tmp.path().join("data"));
    let c = client();
    let body = json_bytes(&division("a"));
    for (path, headers) in [
        ("/api/v1/events", vec![("content-type", "text/plain")]),
        ("/api/v1/events", vec![]),
        (
            "/api/v1/events",
            vec![("content-type", "application/x-www-form-urlencoded")],
        ),
        ("/api/v1/competitions", vec![]),
        ("/api/v1/events/batch", vec![]),
        ("/api/v1/events/batch", vec![("content-type", "text/plain")]),
        ("/api/v1/events/batch", vec![("content-type", "text/csv")]),
    ] {
        let (code, v) = post_with(&c, &s.url(path), &headers, body.clone()).await;
        assert_eq!(code, 415, "{path} {headers:?}: {v}");
        assert_eq!(v["error"]["code"], "unsupported_media_type", "{v}");
    }
    let (_, h) = get(&c, &s.url("/healthz")).await;
    assert_eq!(h["seq"], 0, "nothing written");
    let (code, v) = post_with(
        &c,
        &s.url("/api/v1/events"),
        &[("content-type", "application/json; charset=utf-8")],
        body,
    )
    .await;
    assert_eq!(code, 201, "{v}");
}

#[tokio::test]
async fn a_foreign_host_name_is_refused() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::start(&tmp.path().join("data"));
    let c = client();
    let port = s.base.rsplit(':').next().expect("port").to_string();
    for host in [format!("evil.example:{port}"), "10.1.2.3".to_string()] {
        let r = c
            .get(s.url("/api/v1/boards/sellers"))
            .header("host", &host)
            .send()
            .await
            .expect("get");
        assert_eq!(r.status().as_u16(), 421, "{host}");
        let v: Value = r.json().await.expect("json");
        assert_eq!(v["error"]["code"], "unknown_host", "{v}");
    }
    for host in [format!("localhost:{port}"), format!("127.0.0.1:{port}")] {
        let r = c
            .get(s.url("/healthz"))
            .header("host", &host)
            .send()
            .await
            .expect("get");
        assert_eq!(r.status().as_u16(), 200, "{host}");
    }
    drop(s);

    // Behind a proxy: the public name is ours.
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::start_with(
        &tmp.path().join("data"),
        &["--public-url", "https://board.example.com"],
        &[],
    );
    let r = c
        .post(s.url("/api/v1/events"))
        .header("host", "board.example.com")
        .header("origin", "https://board.example.com")
        .json(&division("a"))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 201);
    let r = c
        .get(s.url("/healthz"))
        .header("host", "board.example.com.evil.net")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status().as_u16(), 421);
}

#[tokio::test]
async fn pages_forbid_framing_and_inline_scripts() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::start(&tmp.path().join("data"));
    let c = client();
    for page in ["/", "/wall", "/me", "/log", "/admin"] {
        let r = c.get(s.url(page)).send().await.expect("page");
        assert_eq!(r.status().as_u16(), 200, "{page}");
        let h = r.headers().clone();
        let header = |name: &str| {
            h.get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        let csp = header("content-security-policy");
        assert!(csp.contains("default-src 'self'"), "{page}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{page}: {csp}");
        assert!(csp.contains("script-src 'self';"), "{page}: {csp}");
        assert_eq!(header("x-frame-options"), "DENY", "{page}");
        assert_eq!(header("referrer-policy"), "no-referrer", "{page}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{page}");
        // The policy allows no inline script, so the pages must have none.
        let html = r.text().await.expect("html");
        for tag in html.split("<script").skip(1) {
            let open = tag.split('>').next().unwrap_or("");
            assert!(
                open.contains("src="),
                "{page}: inline script <script{open}>"
            );
        }
        assert!(!html.contains(" onclick="), "{page}: inline handler");
    }
}

#[test]
fn an_open_api_is_not_served_to_the_network_by_accident() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    let data_arg = data.to_str().expect("utf-8 path");
    let (ok, _, err) = run_cli(&["serve", "--addr", "0.0.0.0:0", "--data", data_arg]);
    assert!(!ok, "served an open API on every interface");
    assert!(err.contains("CROSSBOARD_LEADER_TOKEN"), "{err}");
    assert!(err.contains("crossboard token create"), "{err}");
    assert!(err.contains("--insecure-open"), "{err}");

    // On purpose, it starts.
    let mut child = Command::new(env!("CARGO_BIN_EXE_crossboard"))
        .args([
            "serve",
            "--addr",
            "0.0.0.0:0",
            "--insecure-open",
            "--data",
            data_arg,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let started = rx
        .recv_timeout(Duration::from_secs(60))
        .is_ok_and(|l| l.starts_with("crossboard listening on http://0.0.0.0:"));
    let _ = child.kill();
    let _ = child.wait();
    assert!(started, "--insecure-open did not start");
}

/// `token create` prints the id on stderr: "created leader token <id>...".
fn created_id(stderr: &str) -> String {
    stderr
        .split_whitespace()
        .skip_while(|w| *w != "token")
        .nth(1)
        .expect("token id")
        .trim_end_matches(';')
        .to_string()
}

#[test]
fn the_last_leader_token_is_kept_without_force() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    let d = data.to_str().expect("utf-8 path");
    let (ok, _, err) = run_cli(&["token", "create", "--role", "leader", "--data", d]);
    assert!(ok, "{err}");
    let first = created_id(&err);
    let (ok, _, err) = run_cli(&["token", "create", "--role", "screen", "--data", d]);
    assert!(ok, "{err}");
    let (ok, _, err) = run_cli(&["token", "revoke", &first, "--data", d]);
    assert!(!ok, "the last leader token was revoked");
    assert!(
        err.contains("last leader") && err.contains("--force"),
        "{err}"
    );

    let (ok, _, err) = run_cli(&["token", "create", "--role", "leader", "--data", d]);
    assert!(ok, "{err}");
    let second = created_id(&err);
    let (ok, out, err) = run_cli(&["token", "revoke", &first, "--data", d]);
    assert!(ok, "another leader remains: {err}");
    assert!(out.contains(&first));
    let (ok, _, _) = run_cli(&["token", "revoke", &second, "--data", d]);
    assert!(!ok);
    let (ok, _, err) = run_cli(&["token", "revoke", &second, "--force", "--data", d]);
    assert!(ok, "{err}");
}
