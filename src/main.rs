//! The `crossboard` command line.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{CommandFactory, Parser, Subcommand};

/// crossboard: cross-selling between sales divisions as a live game.
///
/// An event-sourced leaderboard: leads, joint visits, meetings and orders are
/// immutable events in a durable log; points, ranks and team standings are
/// projections of it, pushed live to wall screens and browsers.
///
/// Settings come from flags, else the `CROSSBOARD_*` environment variables
/// shown with each flag, else a TOML file (`--config FILE` or
/// `CROSSBOARD_CONFIG`) whose keys are those variables without the prefix,
/// in lower case (`addr = "0.0.0.0:8080"`, `data = "/var/lib/crossboard"`,
/// `tz`, `demo`, `log_json`, `leader_token`, `log`), else the defaults.
#[derive(Parser)]
#[command(name = "crossboard", version, about, long_about)]
struct Cli {
    /// Log as JSON lines instead of human-readable text.
    #[arg(long, global = true, env = "CROSSBOARD_LOG_JSON")]
    log_json: bool,
    /// A TOML file of settings, below flags and environment in precedence.
    #[arg(long, global = true, value_name = "FILE", env = "CROSSBOARD_CONFIG")]
    config: Option<PathBuf>,
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
        /// Let boards, the live socket and /wall be read without a token
        /// (for a wall screen on a trusted network).
        #[arg(long, env = "CROSSBOARD_PUBLIC_BOARDS")]
        public_boards: bool,
        /// Let webhooks reach loopback, private and link-local addresses
        /// (refused otherwise, so a webhook cannot probe the local network).
        #[arg(long, env = "CROSSBOARD_WEBHOOK_ALLOW_PRIVATE")]
        webhook_allow_private: bool,
        /// Local time (HH:MM, the organisation's time zone) of the daily
        /// `feedback_overdue` webhook digest, or `off`. Sent once a day,
        /// also across restarts; a server down at that time sends it when
        /// it starts later the same day.
        #[arg(
            long,
            default_value = "08:00",
            env = "CROSSBOARD_FEEDBACK_DIGEST_AT",
            value_parser = crossboard::webhooks::parse_digest_at,
            value_name = "HH:MM"
        )]
        feedback_digest_at: crossboard::webhooks::DigestAt,
        #[command(flatten)]
        exposure: crossboard::server::Exposure,
    },
    /// Manage access tokens (roles leader, seller, screen). Secrets are
    /// shown once and stored only as hashes. While no token exists the API
    /// is open; the first one (or CROSSBOARD_LEADER_TOKEN) closes it.
    Token {
        #[command(subcommand)]
        cmd: TokenCommand,
    },
    /// Append events from a CSV or JSONL file through the writer's
    /// validation (the server must be stopped: it holds the data dir's lock).
    ///
    /// JSONL: one `POST /api/v1/events` body per line (an export's extra
    /// `seq`, `recorded_at` and `actor` are ignored). CSV: a header row with
    /// `id,type,occurred_at` and `data.<field>` columns; lists such as
    /// `data.guests` are `;`-separated. Rows with an id are idempotent; a row
    /// without one gets an id derived from its content, so re-running an
    /// import appends nothing new. Each rejected row is reported with its
    /// line number and field; the exit status is 1 if any was.
    Import {
        /// The file to import (`-` for standard input).
        file: PathBuf,
        /// Data directory (the sled log lives here).
        #[arg(long, default_value = "./data", env = "CROSSBOARD_DATA")]
        data: PathBuf,
        /// jsonl or csv [default: csv for *.csv, else jsonl]
        #[arg(long)]
        format: Option<String>,
        /// Organisation time zone (IANA name) if the data dir is new.
        /// [default: Europe/Stockholm]
        #[arg(long, env = "CROSSBOARD_TZ")]
        tz: Option<String>,
        /// Print progress to stderr every this many rows (0: never).
        #[arg(long, default_value_t = 10_000)]
        progress_every: u64,
    },
    /// Write the log to standard output as JSONL or CSV, in the shape
    /// `import` reads (the server must be stopped: it holds the lock; while
    /// it runs use `GET /api/v1/export`).
    Export {
        /// jsonl or csv.
        #[arg(long, default_value = "jsonl")]
        format: String,
        /// Only events with a seq above this.
        #[arg(long, default_value_t = 0)]
        after: u64,
        /// Data directory (the sled log lives here).
        #[arg(long, default_value = "./data", env = "CROSSBOARD_DATA")]
        data: PathBuf,
    },
    /// Check the whole log: every record decodes, seqs run contiguously
    /// from 1, and the idempotency index and the records agree. Lists every
    /// problem with its seq; exits non-zero if there is any. The server
    /// must be stopped (it holds the data dir's lock).
    Verify {
        /// Data directory (the sled log lives here).
        #[arg(long, default_value = "./data", env = "CROSSBOARD_DATA")]
        data: PathBuf,
    },
    /// Rebuild every projection from the log, as start-up does, and report
    /// counts, time and events/s. Writes nothing; the server must be
    /// stopped (it holds the data dir's lock).
    Replay {
        /// Data directory (the sled log lives here).
        #[arg(long, default_value = "./data", env = "CROSSBOARD_DATA")]
        data: PathBuf,
    },
}

fn transfer_format(s: &str) -> anyhow::Result<crossboard::wire::record::Format> {
    crossboard::wire::record::Format::parse(s)
        .ok_or_else(|| anyhow::anyhow!("unknown format '{s}': use jsonl or csv"))
}

async fn import(opts: crossboard::transfer::ImportOptions) -> anyhow::Result<()> {
    use crossboard::transfer::describe_rejection;
    let report = crossboard::transfer::run_import(&opts).await?;
    for (line, e) in &report.rejected {
        eprintln!("{}", describe_rejection(*line, e));
    }
    println!(
        "imported {} rows in {:.2}s: {} appended, {} already present, {} rejected",
        report.rows,
        report.seconds,
        report.appended,
        report.existing,
        report.rejected.len()
    );
    if !report.rejected.is_empty() {
        anyhow::bail!(
            "{} of {} rows were rejected (listed above); the others were imported",
            report.rejected.len(),
            report.rows
        );
    }
    Ok(())
}

fn export(data: &std::path::Path, format: &str, after: u64) -> anyhow::Result<()> {
    let format = transfer_format(format)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    match crossboard::transfer::run_export(data, format, after, &mut out) {
        Ok(_) => Ok(()),
        // `crossboard export | head` is not an error.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            Ok(())
        }
        Err(e) => Err(e),
    }
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
    // Before clap and before any thread: the file layer sets variables.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Err(e) = crossboard::config::apply_file_layer(&args, &Cli::command()) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
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
                public_boards,
                webhook_allow_private,
                feedback_digest_at,
                exposure,
            } => {
                crossboard::server::serve(crossboard::server::ServeOptions {
                    addr,
                    data,
                    demo,
                    tz,
                    demo_every,
                    public_boards,
                    webhook_allow_private,
                    feedback_digest_at: feedback_digest_at.0,
                    exposure,
                })
                .await
            }
            Command::Token { cmd } => run_token_command(cmd),
            Command::Import {
                file,
                data,
                format,
                tz,
                progress_every,
            } => {
                let format = format.as_deref().map(transfer_format).transpose()?;
                import(crossboard::transfer::ImportOptions {
                    file,
                    data,
                    format,
                    tz,
                    progress_every,
                })
                .await
            }
            Command::Export {
                format,
                after,
                data,
            } => export(&data, &format, after),
            Command::Verify { data } => match crossboard::verify::run_verify(&data) {
                Ok(true) => Ok(()),
                Ok(false) => Err(anyhow::anyhow!(
                    "the log in {} is damaged (problems listed above)",
                    data.display()
                )),
                Err(e) => Err(e),
            },
            Command::Replay { data } => crossboard::verify::run_replay(&data),
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

/// `crossboard token ...`
#[derive(Debug, clap::Subcommand)]
enum TokenCommand {
    /// Create a token and print its secret (once: only its hash is kept).
    ///
    /// The secret alone goes to standard output, so
    /// `TOKEN=$(crossboard token create --role screen)` works. While the
    /// server runs it holds the data dir: manage tokens in /admin (or
    /// /api/v1/tokens) instead, where changes count at once.
    Create {
        #[arg(long, value_enum)]
        role: crossboard::tokens::Role,
        /// The seller a seller token acts as.
        #[arg(long)]
        seller: Option<String>,
        /// A note for `token list`, such as who or what holds it.
        #[arg(long)]
        label: Option<String>,
        /// Data directory (the sled log lives here).
        #[arg(long, default_value = "./data", env = "CROSSBOARD_DATA")]
        data: PathBuf,
    },
    /// List tokens (never their secrets).
    List {
        /// Data directory (the sled log lives here).
        #[arg(long, default_value = "./data", env = "CROSSBOARD_DATA")]
        data: PathBuf,
    },
    /// Revoke a token by its id (see `token list`), with the server stopped
    /// (a running server revokes from /admin, at once).
    Revoke {
        id: String,
        /// Revoke even the last leader token (without one, nobody can
        /// manage rules and tokens; with no token at all the API is open).
        #[arg(long)]
        force: bool,
        /// Data directory (the sled log lives here).
        #[arg(long, default_value = "./data", env = "CROSSBOARD_DATA")]
        data: PathBuf,
    },
}

fn run_token_command(cmd: TokenCommand) -> anyhow::Result<()> {
    match cmd {
        TokenCommand::Create {
            role,
            seller,
            label,
            data,
        } => {
            let log = crossboard::store::Log::open(&data)?;
            if let Some(s) = &seller {
                warn_unknown_seller(&log, s);
            }
            let (secret, record) = crossboard::tokens::create(&log, role, seller, label)?;
            let who = record
                .seller
                .as_ref()
                .map(|s| format!(" for seller '{s}'"))
                .unwrap_or_default();
            eprintln!(
                "created {} token {}{who}; its secret is shown once, below (only its hash is stored)",
                role.as_str(),
                record.id
            );
            println!("{secret}");
        }
        TokenCommand::List { data } => {
            let log = crossboard::verify::open_existing(&data)?;
            let tokens = crossboard::tokens::list(&log)?;
            if tokens.is_empty() {
                println!("no tokens: the API is open (create one with `crossboard token create --role leader`)");
            }
            for t in tokens {
                println!(
                    "{}  {:<6}  {:<16}  {}  {}",
                    t.id,
                    t.role.as_str(),
                    t.seller.as_deref().unwrap_or("-"),
                    t.created_at,
                    t.label.as_deref().unwrap_or(""),
                );
                if let Some(signin) = &t.signin {
                    println!(
                        "    (sign-in link not redeemed yet; expires {})",
                        signin.expires_at
                    );
                }
            }
        }
        TokenCommand::Revoke { id, force, data } => {
            let log = crossboard::verify::open_existing(&data)?;
            let record = crossboard::tokens::revoke(&log, &id, force)
                .with_context(|| format!("cannot revoke in {}", data.display()))?;
            println!("revoked {} token {}", record.role.as_str(), record.id);
        }
    }
    Ok(())
}

/// A token for a seller the log does not know is allowed (the seller may be
/// imported later) but probably a typo.
fn warn_unknown_seller(log: &crossboard::store::Log, seller: &str) {
    let tz = log
        .meta("tz")
        .ok()
        .flatten()
        .and_then(|n| crossboard::domain::time::parse_tz(&n))
        .unwrap_or(chrono_tz::Europe::Stockholm);
    if let Ok((p, _)) = crossboard::app::replay(log, tz) {
        if p.org.seller(seller).is_none() {
            eprintln!("warning: the log has no seller '{seller}' (yet)");
        }
    }
}
