//! The `crossboard` command line.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// crossboard: cross-selling between sales divisions as a live game.
///
/// An event-sourced leaderboard: leads, joint visits, meetings and orders are
/// immutable events in a durable log; points, ranks and team standings are
/// projections of it, pushed live to wall screens and browsers.
#[derive(Parser)]
#[command(name = "crossboard", version, about, long_about)]
struct Cli {
    /// Log as JSON lines instead of human-readable text.
    #[arg(long, global = true, env = "CROSSBOARD_LOG_JSON")]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server: JSON API, live boards and web pages.
    Serve {
        /// Address to listen on (port 0 picks a free port and prints it).
        #[arg(long, default_value = "127.0.0.1:8080", env = "CROSSBOARD_ADDR")]
        addr: SocketAddr,
        /// Data directory (the sled log lives here).
        #[arg(long, default_value = "./data", env = "CROSSBOARD_DATA")]
        data: PathBuf,
        /// Seed a demo organisation into an empty data dir and keep a
        /// trickle of new activity flowing.
        #[arg(long, env = "CROSSBOARD_DEMO")]
        demo: bool,
        /// Organisation time zone (IANA name) for a new data dir; an
        /// existing data dir keeps the zone it was created with.
        /// [default: Europe/Stockholm]
        #[arg(long, env = "CROSSBOARD_TZ")]
        tz: Option<String>,
        /// Mean seconds between demo trickle events.
        #[arg(long, default_value_t = 4.0, env = "CROSSBOARD_DEMO_EVERY")]
        demo_every: f64,
    },
}

fn init_tracing(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_env("CROSSBOARD_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.log_json);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve {
                addr,
                data,
                demo,
                tz,
                demo_every,
            } => {
                crossboard::server::serve(crossboard::server::ServeOptions {
                    addr,
                    data,
                    demo,
                    tz,
                    demo_every,
                })
                .await
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
