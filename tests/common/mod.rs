//! Test harness: runs the real `crossboard` binary on 127.0.0.1 with a real
//! temp data dir, so integration tests exercise exactly what users run.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The `crossboard` binary with every `CROSSBOARD_*` variable of this
/// process removed, so a developer's environment (a `CROSSBOARD_DATA`, a
/// `CROSSBOARD_LEADER_TOKEN`, a `CROSSBOARD_CONFIG` file) cannot change
/// what a test sees. Tests add their own variables afterwards.
pub fn command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_crossboard"));
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("CROSSBOARD_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

pub struct Server {
    child: Child,
    pub base: String,
    pub data: PathBuf,
    /// What the server printed before its address (e.g. `--demo` tokens).
    pub banner: Vec<String>,
}

impl Server {
    /// Starts `crossboard serve` on a free port over `data` with extra args
    /// and environment, and waits until it prints its address.
    pub fn start_with(data: &Path, args: &[&str], env: &[(&str, &str)]) -> Server {
        let log = std::fs::File::create(data.with_extension("stderr.log")).expect("stderr log");
        let mut cmd = command();
        cmd.arg("serve")
            .arg("--addr")
            .arg("127.0.0.1:0")
            .arg("--data")
            .arg(data)
            .args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("spawn crossboard");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            let mut banner = Vec::new();
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if !sent {
                    if let Some(url) = line.strip_prefix("crossboard listening on ") {
                        let _ = tx.send((url.trim().to_string(), std::mem::take(&mut banner)));
                        sent = true;
                    } else {
                        banner.push(line);
                    }
                }
                // Keep draining so the child never blocks on a full pipe.
            }
        });
        let (base, banner) = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(started) => started,
            Err(_) => {
                let _ = child.kill();
                let err =
                    std::fs::read_to_string(data.with_extension("stderr.log")).unwrap_or_default();
                panic!("crossboard did not start: {err}");
            }
        };
        Server {
            child,
            base,
            data: data.to_path_buf(),
            banner,
        }
    }

    /// A token `--demo` printed: `leader`, `seller` or `screen`.
    pub fn demo_token(&self, role: &str) -> Option<String> {
        let prefix = format!("demo {role} token");
        self.banner
            .iter()
            .find_map(|l| l.strip_prefix(&prefix)?.rsplit(": ").next())
            .map(str::to_string)
    }

    pub fn start(data: &Path) -> Server {
        Self::start_with(data, &[], &[])
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// SIGKILL: no chance to flush or clean up.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then waits for the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        self.child.wait().expect("wait for crossboard")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Tests speak plain HTTP to 127.0.0.1, so the client skips loading the
/// system's trust store: with it, building a client took long enough under
/// load to reorder requests that a test starts "first".
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .tls_built_in_root_certs(false)
        .build()
        .expect("client")
}

/// A client that sends `Authorization: Bearer <token>` with every request.
pub fn client_with_token(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    let value = format!("Bearer {token}").parse().expect("header value");
    headers.insert(reqwest::header::AUTHORIZATION, value);
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .tls_built_in_root_certs(false)
        .default_headers(headers)
        .build()
        .expect("client")
}

/// POSTs JSON and returns the status code and the JSON body (Null if none).
pub async fn post(c: &reqwest::Client, url: &str, body: &Value) -> (u16, Value) {
    let r = c.post(url).json(body).send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

pub async fn get(c: &reqwest::Client, url: &str) -> (u16, Value) {
    let r = c.get(url).send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Every event in the log, via the paged API.
pub async fn all_events(c: &reqwest::Client, s: &Server) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let (code, page) = get(
            c,
            &s.url(&format!("/api/v1/events?after={after}&limit=1000")),
        )
        .await;
        assert_eq!(code, 200, "{page}");
        let events = page["events"].as_array().cloned().unwrap_or_default();
        if events.is_empty() {
            return out;
        }
        after = page["next"].as_u64().expect("next");
        out.extend(events);
    }
}

/// Runs the binary to completion (killing it after 60 s) and returns its
/// exit status, stdout and stderr. The pipes are drained while it runs, so
/// a large export cannot block on a full pipe and be taken for a hang.
pub fn run_cli(args: &[&str]) -> (bool, String, String) {
    let mut child = command()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn crossboard");
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("crossboard {args:?} did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (
        status.success(),
        stdout.join().expect("stdout"),
        stderr.join().expect("stderr"),
    )
}

/// `{"type": ty, "data": data}`: an event body.
pub fn typed(ty: &str, data: Value) -> Value {
    serde_json::json!({"type": ty, "data": data})
}

/// Posts an event that must be refused with a 4xx; returns the status and
/// the field the error names.
pub async fn refused(c: &reqwest::Client, s: &Server, body: Value) -> (u16, String) {
    let (status, v) = post(c, &s.url("/api/v1/events"), &body).await;
    assert!((400..500).contains(&status), "{body} -> {status} {v}");
    (
        status,
        v["error"]["field"].as_str().unwrap_or("").to_string(),
    )
}
