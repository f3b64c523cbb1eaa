//! Scale check for the DESIGN's targets that need a running server:
//! cold start with a large log, resident memory with many sellers and open
//! sockets, and event-to-screen latency under a steady event rate.
//!
//! ```sh
//! cargo build --release && cargo run --release --example scale -- --events 1000000 --sockets 1000 --rate 1000
//! ```
//!
//! It writes a synthetic log straight into a fresh data dir (through the
//! store, as the writer would), starts the real `crossboard` binary on it,
//! opens websocket clients on loopback, posts events at a fixed rate for a
//! bounded time, and prints what it measured. All traffic stays on 127.0.0.1.

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use parking_lot::Mutex;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

#[derive(Parser)]
struct Args {
    /// Events in the synthetic log.
    #[arg(long, default_value_t = 1_000_000)]
    events: u64,
    /// Sellers in the synthetic org.
    #[arg(long, default_value_t = 10_000)]
    sellers: usize,
    /// Websocket clients, each subscribed to the sellers board.
    #[arg(long, default_value_t = 1000)]
    sockets: usize,
    /// Events per second posted while measuring latency.
    #[arg(long, default_value_t = 1000)]
    rate: u64,
    /// Seconds to post for.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Keep the generated log here (and reuse it if it already exists)
    /// instead of a temp dir, to repeat cold starts without regenerating.
    #[arg(long)]
    data: Option<std::path::PathBuf>,
}

fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

/// The `"seq"` of a board frame (boards carry it as a top-level number).
fn frame_seq(text: &str) -> Option<u64> {
    let at = text.find("\"seq\":")? + 6;
    let digits: String = text[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let reuse = args.data.as_ref().is_some_and(|d| d.exists());
    let data = args.data.clone().unwrap_or_else(|| dir.path().join("data"));

    // 1. A large log on disk, written in big batches as the writer would.
    let t = Instant::now();
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
    if reuse {
        println!("reusing the log in {}", data.display());
    } else {
        println!(
            "wrote {} events in {:.1} s",
            args.events,
            t.elapsed().as_secs_f64()
        );
    }

    // 2. Cold start: spawn to healthy.
    let exe = std::env::current_exe()?;
    let bin = exe
        .parent()
        .and_then(|p| p.parent())
        .map(|p| p.join("crossboard"))
        .expect("target dir");
    let started = Instant::now();
    let mut child = Command::new(&bin)
        .args(["serve", "--addr", "127.0.0.1:18099", "--data"])
        .arg(&data)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()?;
    let http = reqwest::Client::new();
    let base = "http://127.0.0.1:18099";
    loop {
        if let Ok(r) = http.get(format!("{base}/healthz")).send().await {
            if r.status().is_success() {
                break;
            }
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            anyhow::bail!("not healthy after 120 s");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let cold = started.elapsed().as_secs_f64();
    println!(
        "cold start with {} events: {:.2} s to healthy; RSS {:.0} MiB",
        args.events,
        cold,
        rss_mib(child.id())
    );

    // 3. Sockets: every client records when each board seq reached it.
    let arrivals: Arc<Mutex<Vec<(u64, Instant)>>> = Arc::new(Mutex::new(Vec::new()));
    let mut clients = Vec::new();
    for _ in 0..args.sockets {
        let (mut ws, _) =
            tokio_tungstenite::connect_async("ws://127.0.0.1:18099/api/v1/live").await?;
        ws.send(Message::text(
            json!({"subscribe": "sellers", "window": "week", "limit": 20}).to_string(),
        ))
        .await?;
        let arrivals = arrivals.clone();
        clients.push(tokio::spawn(async move {
            while let Some(Ok(msg)) = ws.next().await {
                if let Message::Text(t) = msg {
                    let now = Instant::now();
                    // Only the seq matters here; a full parse of every frame
                    // in 1000 clients would measure this process, not the server.
                    if let Some(seq) = frame_seq(&t) {
                        arrivals.lock().push((seq, now));
                    }
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    println!(
        "{} sockets open; RSS {:.0} MiB",
        args.sockets,
        rss_mib(child.id())
    );

    // 4. Steady events; remember when each seq was acknowledged.
    let (_, sellers) = {
        let r = http
            .get(format!("{base}/api/v1/sellers"))
            .send()
            .await?
            .json::<serde_json::Value>()
            .await?;
        ((), r["sellers"].as_array().cloned().unwrap_or_default())
    };
    let ids: Vec<String> = sellers
        .iter()
        .filter_map(|s| s["id"].as_str().map(String::from))
        .take(100)
        .collect();
    let acked: Arc<Mutex<HashMap<u64, Instant>>> = Arc::new(Mutex::new(HashMap::new()));
    arrivals.lock().clear();
    let total = args.rate * args.seconds;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..total {
        let due = start + Duration::from_micros(i * 1_000_000 / args.rate);
        tokio::time::sleep_until(due.into()).await;
        let (http, acked) = (http.clone(), acked.clone());
        let seller = ids[i as usize % ids.len()].clone();
        tasks.push(tokio::spawn(async move {
            let body =
                json!({"type": "meeting_held", "data": {"seller": seller, "customer": "Scale AB"}});
            let sent = Instant::now();
            if let Ok(r) = http
                .post(format!("{base}/api/v1/events"))
                .json(&body)
                .send()
                .await
            {
                if let Ok(v) = r.json::<serde_json::Value>().await {
                    if let Some(seq) = v["seq"].as_u64() {
                        acked.lock().insert(seq, sent);
                    }
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    println!(
        "posted {} events at {} /s; RSS {:.0} MiB",
        total,
        args.rate,
        rss_mib(child.id())
    );

    // 5. Latency: for each frame a client got, from the send of the newest
    //    event it shows (push overhead), and for every event, from its send
    //    to the first frame that includes it (what a viewer waits, including
    //    the deliberate 100 ms coalescing).
    let acked = acked.lock().clone();
    let arrivals = arrivals.lock().clone();
    let mut newest: Vec<f64> = arrivals
        .iter()
        .filter_map(|(seq, at)| {
            acked
                .get(seq)
                .map(|sent| at.duration_since(*sent).as_secs_f64() * 1000.0)
        })
        .collect();
    newest.sort_by(f64::total_cmp);
    let mut frames: Vec<u64> = arrivals.iter().map(|(s, _)| *s).collect();
    frames.sort_unstable();
    frames.dedup();
    let mut first_arrival: HashMap<u64, Instant> = HashMap::new();
    for (seq, at) in &arrivals {
        let e = first_arrival.entry(*seq).or_insert(*at);
        if at > e {
            // keep the last client's arrival: the whole wall has it then
            *e = *at;
        }
    }
    let mut every: Vec<f64> = acked
        .iter()
        .filter_map(|(seq, sent)| {
            let frame = frames.iter().find(|f| *f >= seq)?;
            Some(
                first_arrival
                    .get(frame)?
                    .duration_since(*sent)
                    .as_secs_f64()
                    * 1000.0,
            )
        })
        .collect();
    every.sort_by(f64::total_cmp);
    println!(
        "event-to-screen, newest event of each frame, all {} clients: p50 {:.1} ms p99 {:.1} ms ({} frames)",
        args.sockets,
        pct(&newest, 0.5),
        pct(&newest, 0.99),
        frames.len()
    );
    println!(
        "event-to-screen, every event until the last client shows it (incl. 100 ms coalescing): p50 {:.1} ms p99 {:.1} ms",
        pct(&every, 0.5),
        pct(&every, 0.99)
    );
    let _ = child.kill();
    for c in clients {
        c.abort();
    }
    Ok(())
}
