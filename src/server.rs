//! `crossboard serve`: open the data dir, replay, optionally seed the demo,
//! listen, and on SIGINT/SIGTERM stop accepting, let in-flight appends
//! finish, flush and exit cleanly.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::http::{router, Api};

#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub addr: SocketAddr,
    pub data: PathBuf,
    pub demo: bool,
    pub tz: Option<String>,
    /// Seconds between demo trickle events (on average).
    pub demo_every: f64,
    /// Boards, the live socket and the wall readable without a token.
    pub public_boards: bool,
    /// Webhooks may reach loopback and private addresses.
    pub webhook_allow_private: bool,
}

pub async fn serve(opts: ServeOptions) -> anyhow::Result<()> {
    let core = crate::app::start(&opts.data, opts.tz.as_deref())?;
    crate::metrics::replayed(core.replay.events, core.replay.seconds);
    // Celebrations flow from start-up, not from the first webhooks request.
    let _webhooks = crate::webhooks::Webhooks::start(
        &core.shared,
        crate::webhooks::Options {
            allow_private: opts.webhook_allow_private,
        },
    )?;
    tracing::info!(
        events = core.replay.events,
        seconds = core.replay.seconds,
        "log replayed"
    );
    let mut trickle = None;
    if opts.demo {
        if core
            .shared
            .committed
            .load(std::sync::atomic::Ordering::Acquire)
            == 0
        {
            let n = crate::demo::seed(&core.writer).await?;
            tracing::info!(events = n, "demo organisation seeded");
        }
        trickle = Some(crate::demo::spawn_trickle(
            core.writer.clone(),
            Duration::from_secs_f64(opts.demo_every.max(0.05)),
        ));
    }

    // Tokens after the demo seed: the demo's seller token needs a seller.
    let demo_seller = match opts.demo {
        true => (core.shared.projection.read().org.sellers.first()).map(|s| s.id.clone()),
        false => None,
    };
    let (auth, demo_tokens) =
        crate::tokens::start(&core.shared.log, opts.public_boards, demo_seller.as_deref())?;
    for (t, secret) in &demo_tokens {
        let seller = t
            .seller
            .as_ref()
            .map(|s| format!(" (seller {s})"))
            .unwrap_or_default();
        println!("demo {} token{seller}: {secret}", t.role.as_str());
    }
    let api = Api {
        shared: core.shared.clone(),
        writer: core.writer.clone(),
        auth,
    };

    let listener = TcpListener::bind(opts.addr)
        .await
        .with_context(|| format!("cannot listen on {}", opts.addr))?;
    let local = listener.local_addr()?;
    // Tests and scripts read this line to find the port when --addr uses :0.
    println!("crossboard listening on http://{local}");
    // Links that open each page already signed in, so the demo is one click.
    for (t, secret) in &demo_tokens {
        let pages: &[&str] = match t.role {
            crate::tokens::Role::Screen => &["wall"],
            crate::tokens::Role::Seller => &["log", "me"],
            crate::tokens::Role::Leader => &["admin"],
        };
        for page in pages {
            println!("  open http://{local}/{page}?token={secret}");
        }
    }
    tracing::info!(addr = %local, data = %opts.data.display(), "serving");

    axum::serve(listener, router(api, crate::webhooks::routes()))
        .with_graceful_shutdown(shutdown_signal())
        .await?;

    tracing::info!("stopping: finishing in-flight appends");
    if let Some(t) = trickle {
        t.abort();
    }
    core.writer.stop().await;
    let thread = core.writer_thread;
    tokio::task::spawn_blocking(move || thread.join())
        .await?
        .ok();
    core.shared.log.flush()?;
    tracing::info!("stopped cleanly");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
