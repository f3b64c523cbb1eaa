//! Load generator for durable ingest: many concurrent HTTP clients appending
//! events to a running crossboard, each waiting for its acknowledgement
//! (which crossboard gives only after the flush). Prints throughput and
//! latency percentiles so runs can be compared side by side with the peers
//! that `scripts/bench-peers.sh` starts.
//!
//! Requests are bounded by `--seconds` and go only to the given URL, which
//! should be a loopback address.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use serde_json::json;

#[derive(Parser)]
#[command(
    name = "loadgen",
    about = "Durable ingest load generator for crossboard"
)]
struct Args {
    /// Base URL of a running crossboard.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Concurrent clients, each with one request in flight.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// How long to run.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Bearer token, if the server requires one.
    #[arg(long, env = "CROSSBOARD_TOKEN")]
    token: Option<String>,
}

async fn post(c: &reqwest::Client, args: &Args, body: &serde_json::Value) -> anyhow::Result<u16> {
    let mut req = c.post(format!("{}/api/v1/events", args.url)).json(body);
    if let Some(t) = &args.token {
        req = req.bearer_auth(t);
    }
    Ok(req.send().await?.status().as_u16())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let host = reqwest::Url::parse(&args.url).context("--url")?;
    if !matches!(host.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")) {
        bail!("loadgen only targets loopback addresses");
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.clients)
        .build()?;

    // An org to write against; ids make the setup idempotent across runs.
    for d in ["load-a", "load-b"] {
        let s = post(&client, &args, &json!({"id": format!("setup-{d}"), "type": "division_created", "data": {"id": d, "name": d}})).await?;
        if s >= 300 {
            bail!("setup failed with HTTP {s}");
        }
    }
    for i in 0..args.clients {
        let div = if i % 2 == 0 { "load-a" } else { "load-b" };
        let id = format!("load-s{i}");
        let body = json!({"id": format!("setup-{id}"), "type": "seller_joined", "data": {"id": id, "name": id, "division": div}});
        post(&client, &args, &body).await?;
    }

    let run = format!("{:x}", rand::random::<u32>());
    let deadline = Instant::now() + Duration::from_secs_f64(args.seconds);
    let started = Instant::now();
    let args = std::sync::Arc::new(args);
    let mut workers = Vec::new();
    for w in 0..args.clients {
        let (client, args, run) = (client.clone(), args.clone(), run.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            let mut i = 0u64;
            let other = if w % 2 == 0 { "load-b" } else { "load-a" };
            while Instant::now() < deadline {
                i += 1;
                let body = json!({
                    "id": format!("{run}-{w}-{i}"),
                    "type": "lead_given",
                    "data": {"lead": format!("{run}-{w}-{i}"), "from": format!("load-s{w}"),
                             "to_division": other, "customer": "Load Test AB"}
                });
                let t = Instant::now();
                match post(&client, &args, &body).await {
                    Ok(201) => latencies.push(t.elapsed().as_micros() as u64),
                    _ => errors += 1,
                }
            }
            (latencies, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for w in workers {
        let (l, e) = w.await?;
        all.extend(l);
        errors += e;
    }
    let secs = started.elapsed().as_secs_f64();
    all.sort_unstable();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0) as f64
            / 1000.0
    };
    println!(
        "crossboard durable ingest: {} events in {:.1} s = {:.0} events/s with {} clients; latency p50 {:.2} ms p99 {:.2} ms; errors {}",
        all.len(),
        secs,
        all.len() as f64 / secs,
        args.clients,
        pct(0.5),
        pct(0.99),
        errors
    );
    Ok(())
}
