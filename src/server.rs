//! `crossboard serve`: open the data dir, replay, optionally seed the demo,
//! listen, and on SIGINT/SIGTERM stop accepting, let in-flight appends
//! finish, flush and exit cleanly.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::http::guard::{Guard, Hardening, Rate};
use crate::http::listen::{self, Listen};
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
    /// Local time of the daily `feedback_overdue` digest; `None`: off.
    pub feedback_digest_at: Option<chrono::NaiveTime>,
    pub exposure: Exposure,
}

/// Who may reach the server and how much: the browser-safety and
/// connection-limit flags of `crossboard serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct Exposure {
    /// The address users open, such as https://board.example.com behind a
    /// proxy: requests naming that host are answered and pages from that
    /// origin may write. Without it only loopback names and the listening
    /// address are answered (against DNS rebinding).
    #[arg(long, env = "CROSSBOARD_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// Other sites whose pages may send writes (comma-separated origins,
    /// e.g. https://intranet.example). Writes from any other foreign
    /// origin are refused with 403.
    #[arg(
        long,
        env = "CROSSBOARD_ALLOWED_ORIGINS",
        value_delimiter = ',',
        value_name = "ORIGINS"
    )]
    pub allowed_origins: Vec<String>,
    /// Serve on a non-loopback address although no access token exists
    /// (anyone who can reach the server may then write).
    #[arg(long, env = "CROSSBOARD_INSECURE_OPEN")]
    pub insecure_open: bool,
    /// Open connections at most; past it a new one gets a 503 and is closed.
    #[arg(long, default_value_t = 4096, env = "CROSSBOARD_MAX_CONNECTIONS")]
    pub max_connections: usize,
    /// What wall screens learn about people: `names`, `initials` (initials
    /// and pseudonymous ids instead of names) or `divisions` (teams only).
    /// Enforced by the server for screen tokens and tokenless readers on the
    /// live socket and the board routes; sellers and leaders see names.
    #[arg(
        long,
        value_enum,
        default_value = "names",
        env = "CROSSBOARD_WALL_PRIVACY",
        value_name = "LEVEL"
    )]
    pub wall_privacy: crate::http::privacy::WallPrivacy,
    /// Live websockets at most; past it an upgrade is a 503 (too_many_sockets).
    #[arg(long, default_value_t = 2000, env = "CROSSBOARD_MAX_LIVE_SOCKETS")]
    pub max_live_sockets: usize,
    /// Requests per second and burst per seller or screen token, as
    /// RATE/BURST, or `off`; past it a 429 with Retry-After. Leader tokens
    /// and POST /api/v1/events/batch are not limited.
    #[arg(long, default_value = "20/100", env = "CROSSBOARD_RATE_LIMIT")]
    pub rate_limit: String,
    /// Seconds a client has to send a request's headers; also how long an
    /// idle keep-alive connection stays open.
    #[arg(
        long,
        default_value_t = 10.0,
        env = "CROSSBOARD_HEADER_TIMEOUT",
        value_name = "SECS"
    )]
    pub header_timeout: f64,
    /// Seconds without a byte read or written before a connection is closed
    /// (a stalled upload, a client that stopped reading).
    #[arg(
        long,
        default_value_t = 60.0,
        env = "CROSSBOARD_IDLE_TIMEOUT",
        value_name = "SECS"
    )]
    pub idle_timeout: f64,
}

fn seconds(flag: &str, v: f64) -> anyhow::Result<Duration> {
    if v.is_finite() && v > 0.0 && v <= 86_400.0 {
        Ok(Duration::from_secs_f64(v))
    } else {
        anyhow::bail!("{flag} must be a number of seconds above 0 (got {v})")
    }
}

impl Exposure {
    fn listen(&self) -> anyhow::Result<Listen> {
        Ok(Listen {
            max_connections: self.max_connections.max(1),
            header_timeout: seconds("--header-timeout", self.header_timeout)?,
            idle_timeout: seconds("--idle-timeout", self.idle_timeout)?,
        })
    }

    fn hardening(&self) -> anyhow::Result<Hardening> {
        Ok(Hardening {
            public_url: self.public_url.clone(),
            allowed_origins: self.allowed_origins.clone(),
            max_live_sockets: self.max_live_sockets,
            rate: Rate::parse(&self.rate_limit)
                .map_err(|e| anyhow::anyhow!("--rate-limit: {e}"))?,
        })
    }
}

pub async fn serve(opts: ServeOptions) -> anyhow::Result<()> {
    // Flag mistakes before the data dir is opened.
    let limits = opts.exposure.listen()?;
    let hardening = opts.exposure.hardening()?;
    let core = crate::app::start(&opts.data, opts.tz.as_deref())?;
    crate::metrics::replayed(core.replay.events, core.replay.seconds);
    // Celebrations flow from start-up, not from the first webhooks request.
    let _webhooks = crate::webhooks::Webhooks::start(
        &core.shared,
        crate::webhooks::Options {
            allow_private: opts.webhook_allow_private,
            digest_at: opts.feedback_digest_at,
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
    if !auth.enabled() && !opts.addr.ip().is_loopback() && !opts.exposure.insecure_open {
        anyhow::bail!(
            "refusing to serve on {} without an access token: anyone who can reach it \
             could rewrite the log. Set {} to a secret of 16+ characters, or create one with \
             `crossboard token create --role leader --data {}`; or pass --insecure-open \
             to serve an open API on purpose",
            opts.addr,
            crate::tokens::LEADER_TOKEN_ENV,
            opts.data.display()
        );
    }

    let listener = TcpListener::bind(opts.addr)
        .await
        .with_context(|| format!("cannot listen on {}", opts.addr))?;
    let local = listener.local_addr()?;
    let api = Api {
        shared: core.shared.clone(),
        writer: core.writer.clone(),
        auth,
        guard: std::sync::Arc::new(Guard::new(&hardening, local)?),
        privacy: opts.exposure.wall_privacy,
    };
    // Tests and scripts read this line to find the port when --addr uses :0.
    println!("crossboard listening on http://{local}");
    // Links that open each page already signed in, so the demo is one click.
    // The secret rides in the fragment, which browsers never send: it stays
    // out of access logs and proxies, and the page removes it at once.
    for (t, secret) in &demo_tokens {
        let pages: &[&str] = match t.role {
            crate::tokens::Role::Screen => &["wall"],
            crate::tokens::Role::Seller => &["log", "me"],
            crate::tokens::Role::Leader => &["admin"],
        };
        for page in pages {
            println!("  open http://{local}/{page}#token={secret}");
        }
    }
    tracing::info!(addr = %local, data = %opts.data.display(), "serving");

    listen::serve(
        listener,
        router(api, crate::webhooks::routes()),
        limits,
        shutdown_signal(),
    )
    .await;

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
