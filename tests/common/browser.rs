//! What the browser tests share: chromedriver and Chromium started for a
//! test and killed when it ends, polling a page until a condition holds,
//! and screenshots to `target/screenshots/`. Included by each browser
//! test file with `#[path = "common/browser.rs"] mod kit;` (the other
//! tests need no browser).
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder};
use serde_json::{json, Value};

pub const WAIT: Duration = Duration::from_secs(30);

pub fn find_binary(env: &str, candidates: &[&str]) -> PathBuf {
    if let Ok(p) = std::env::var(env) {
        return PathBuf::from(p);
    }
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| {
            panic!(
                "{} not found (set {env}); install Debian's chromium and chromium-driver \
                 (scripts/test.sh does)",
                candidates[0]
            )
        })
}

/// A child process (chromedriver, or a restarted server) that is killed and
/// reaped when the test ends, however it ends.
pub struct Driver {
    pub child: Child,
    pub url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

pub async fn start_driver() -> Driver {
    let bin = find_binary("CHROMEDRIVER", &["/usr/bin/chromedriver"]);
    let port = free_port();
    let child = Command::new(bin)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return driver;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not listen on {port}");
}

pub async fn browser(driver: &Driver, profile: &Path) -> Client {
    let chromium = find_binary(
        "CHROME_BIN",
        &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
    );
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a chromium session")
}

pub fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map(|t| t.join("screenshots"))
        .unwrap_or_else(|| PathBuf::from("target/screenshots"));
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

pub async fn screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).expect("write screenshot");
}

/// Polls a JS expression until it is truthy; returns its value. On timeout
/// saves a screenshot named after `what` and fails.
pub async fn until(c: &Client, what: &str, js: &str) -> Value {
    let script = format!("return ({js});");
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let v = c.execute(&script, vec![]).await.unwrap_or(Value::Null);
        let truthy = match &v {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Number(n) => n.as_f64() != Some(0.0),
            Value::String(s) => !s.is_empty(),
            _ => true,
        };
        if truthy {
            return v;
        }
        if tokio::time::Instant::now() > deadline {
            screenshot(c, &format!("failed-{}", what.replace(' ', "-"))).await;
            panic!("timed out waiting for {what}: {js}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn js(c: &Client, script: &str) -> Value {
    c.execute(script, vec![]).await.expect("script")
}

pub async fn event(http: &reqwest::Client, s: &crate::common::Server, body: Value) -> u64 {
    let (code, v) = crate::common::post(http, &s.url("/api/v1/events"), &body).await;
    assert_eq!(code, 201, "{v}");
    v["seq"].as_u64().expect("seq")
}

/// Starts `crossboard serve` on a fixed address (to come back on the same
/// port after a restart), waiting until it listens.
pub fn serve_at(addr: &str, data: &Path) -> Driver {
    let child = crate::common::command()
        .args(["serve", "--addr", addr, "--data"])
        .arg(data)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("restart crossboard");
    // Killed and reaped on drop, like chromedriver.
    let server = Driver {
        child,
        url: format!("http://{addr}"),
    };
    for _ in 0..300 {
        if std::net::TcpStream::connect(addr).is_ok() {
            return server;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("crossboard did not come back on {addr}");
}
