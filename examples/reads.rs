//! Every GET at scale, and whether a heavy read stalls the writer: the
//! DESIGN's "≤ 50 ms median; none stalls the writer" at 1,000,000 events /
//! 10,000 sellers, measured against the real server.
//!
//! ```sh
//! cargo build --release && cargo run --release --example reads -- --data /tmp/cb-1m
//! ```
//!
//! It writes a synthetic log into a data dir (or reuses one), starts the
//! release `crossboard` binary on it, times each read path over `--rounds`
//! requests (median and p90), then posts appends one after another while
//! other clients keep the heaviest read (`collaboration?window=all`) busy,
//! and reports the appends' latency. All traffic stays on 127.0.0.1 and
//! every loop is bounded.

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::json;

#[derive(Parser)]
struct Args {
    /// Events in the synthetic log.
    #[arg(long, default_value_t = 1_000_000)]
    events: u64,
    /// Sellers in the synthetic org.
    #[arg(long, default_value_t = 10_000)]
    sellers: usize,
    /// Requests per read path.
    #[arg(long, default_value_t = 21)]
    rounds: usize,
    /// Appends timed while collaboration reads run.
    #[arg(long, default_value_t = 300)]
    appends: usize,
    /// Keep the generated log here (and reuse it if it already exists).
    #[arg(long)]
    data: Option<std::path::PathBuf>,
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

const BASE: &str = "http://127.0.0.1:18098";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let reuse = args.data.as_ref().is_some_and(|d| d.exists());
    let data = args.data.clone().unwrap_or_else(|| dir.path().join("data"));
    if !reuse {
        crossboard::synth::write_log(
            &data,
            crossboard::synth::SynthConfig {
                events: args.events,
                sellers: args.sellers,
                ..Default::default()
            },
        )?;
    }
    let exe = std::env::current_exe()?;
    let bin = exe
        .parent()
        .and_then(|p| p.parent())
        .map(|p| p.join("crossboard"))
        .ok_or_else(|| anyhow::anyhow!("no target dir"))?;
    let mut child = Command::new(&bin)
        .args(["serve", "--addr", "127.0.0.1:18098", "--data"])
        .arg(&data)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let http = reqwest::Client::new();
    let started = Instant::now();
    while !http
        .get(format!("{BASE}/healthz"))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            anyhow::bail!("not healthy after 120 s");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let sellers: serde_json::Value = http
        .get(format!("{BASE}/api/v1/sellers"))
        .send()
        .await?
        .json()
        .await?;
    let seller = sellers["sellers"][0]["id"]
        .as_str()
        .unwrap_or("s0")
        .to_string();
    let committed = http
        .get(format!("{BASE}/healthz"))
        .send()
        .await?
        .json::<serde_json::Value>()
        .await?["seq"]
        .as_u64()
        .unwrap_or(0);

    // 1. Each read path: median and p90 over `rounds`, after one warm-up.
    let paths = [
        "/api/v1/boards/sellers?window=week&limit=100".to_string(),
        "/api/v1/boards/sellers?window=all&limit=100".to_string(),
        "/api/v1/boards/divisions?window=month&scoring=per_seller".to_string(),
        format!("/api/v1/sellers/{seller}?window=month"),
        "/api/v1/sellers".to_string(),
        "/api/v1/collaboration?window=week".to_string(),
        "/api/v1/collaboration?window=month".to_string(),
        "/api/v1/collaboration?window=all".to_string(),
        "/api/v1/competitions".to_string(),
        "/api/v1/rules".to_string(),
        format!("/api/v1/events?after={}&limit=100", committed / 2),
    ];
    println!(
        "{} events, {} sellers: read path, median / p90 over {} requests",
        committed, args.sellers, args.rounds
    );
    for path in &paths {
        let url = format!("{BASE}{path}");
        let _ = http.get(&url).send().await?.bytes().await?;
        let mut ms = Vec::with_capacity(args.rounds);
        for _ in 0..args.rounds {
            let t = Instant::now();
            let r = http.get(&url).send().await?;
            let status = r.status();
            let _ = r.bytes().await?;
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
            anyhow::ensure!(status.is_success(), "{path}: {status}");
        }
        ms.sort_by(f64::total_cmp);
        println!(
            "  {path:<62} {:>8.1} ms {:>8.1} ms",
            pct(&ms, 0.5),
            pct(&ms, 0.9)
        );
    }
    // Export: time to the first byte of the stream.
    let mut ms = Vec::new();
    for _ in 0..args.rounds {
        let t = Instant::now();
        let mut r = http
            .get(format!("{BASE}/api/v1/export?format=jsonl"))
            .send()
            .await?;
        let _ = r.chunk().await?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    println!(
        "  {:<62} {:>8.1} ms {:>8.1} ms",
        "/api/v1/export?format=jsonl (first byte)",
        pct(&ms, 0.5),
        pct(&ms, 0.9)
    );

    // 2. Appends while two clients keep reading collaboration over all time.
    let busy = Arc::new(AtomicBool::new(true));
    let reads = Arc::new(AtomicU64::new(0));
    let mut readers = Vec::new();
    for _ in 0..2 {
        let (http, busy, reads) = (http.clone(), busy.clone(), reads.clone());
        readers.push(tokio::spawn(async move {
            let url = format!("{BASE}/api/v1/collaboration?window=all");
            let deadline = Instant::now() + Duration::from_secs(120);
            while busy.load(Ordering::Relaxed) && Instant::now() < deadline {
                if let Ok(r) = http.get(&url).send().await {
                    let _ = r.bytes().await;
                    reads.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut ms = Vec::with_capacity(args.appends);
    for _ in 0..args.appends {
        let body =
            json!({"type": "meeting_held", "data": {"seller": seller, "customer": "Reads AB"}});
        let t = Instant::now();
        let r = http
            .post(format!("{BASE}/api/v1/events"))
            .json(&body)
            .send()
            .await?;
        let status = r.status();
        let _ = r.bytes().await?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(status.is_success(), "append: {status}");
    }
    busy.store(false, Ordering::Relaxed);
    for r in readers {
        let _ = r.await;
    }
    ms.sort_by(f64::total_cmp);
    println!(
        "append while collaboration?window=all is read ({} reads meanwhile): p50 {:.1} ms p99 {:.1} ms max {:.1} ms",
        reads.load(Ordering::Relaxed),
        pct(&ms, 0.5),
        pct(&ms, 0.99),
        ms.last().copied().unwrap_or(f64::NAN)
    );
    let _ = child.kill();
    Ok(())
}
