//! The transfer ring: the offline drivers behind `crossboard import` and
//! `crossboard export`, over a data dir the server does not hold.
//!
//! The record formats are the wire layer's ([`crate::wire::record`],
//! [`crate::wire::csv`], [`crate::wire::jsonl`]), shared with the HTTP
//! batch and export routes; every imported row goes through the single
//! writer like any other append, so there is one validation path. This
//! ring may import `wire`, `writer`, `app`, `store` and `domain`; never
//! `http` or `webhooks`.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::wire::csv::{csv_header, csv_row, csv_rows};
use crate::wire::error::ApiError;
use crate::wire::jsonl::{jsonl_line, jsonl_rows};
use crate::wire::record::{parse_record, DerivedIds, FileError, Format, Row};
use crate::writer::{Append, AppendError, Appended, Reply, Writer};

/// What `crossboard import` was asked to do.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// `-` reads standard input.
    pub file: PathBuf,
    pub data: PathBuf,
    /// Guessed from the file name when absent.
    pub format: Option<Format>,
    pub tz: Option<String>,
    /// Rows between progress lines on stderr (0: none).
    pub progress_every: u64,
}

/// The outcome of an import.
#[derive(Debug, Default, Clone)]
pub struct ImportReport {
    pub rows: u64,
    pub appended: u64,
    /// Rows whose id was already in the log with the same event.
    pub existing: u64,
    /// `(line, error)` of each refused row, in line order.
    pub rejected: Vec<(u64, ApiError)>,
    pub seconds: f64,
}

/// How a rejected row reads on the terminal: `line 7: data.amount: ...`.
pub fn describe_rejection(line: u64, e: &ApiError) -> String {
    match &e.field {
        Some(f) => format!("line {line}: {f}: {} ({})", e.message, e.code),
        None => format!("line {line}: {} ({})", e.message, e.code),
    }
}

/// Appends after this many outstanding rows are awaited: enough for the
/// writer to group-commit large batches, bounded so memory stays flat.
const IN_FLIGHT: usize = 4096;

/// Runs an import through a started core's writer. Rows go to the writer in
/// file order (so a seller joins before their first lead), many in flight
/// at once so they share flushes.
pub async fn import_rows<I>(
    writer: &Writer,
    rows: I,
    actor: &str,
    mut progress: impl FnMut(&ImportReport),
    progress_every: u64,
) -> anyhow::Result<ImportReport>
where
    I: Iterator<Item = Result<Row, FileError>>,
{
    let started = Instant::now();
    let mut report = ImportReport::default();
    let mut ids = DerivedIds::default();
    let mut pending: std::collections::VecDeque<(u64, tokio::sync::oneshot::Receiver<Reply>)> =
        std::collections::VecDeque::with_capacity(IN_FLIGHT);
    let now = crate::domain::time::micros(chrono::Utc::now());
    for row in rows {
        let row = row?;
        report.rows += 1;
        let parsed = row
            .record
            .and_then(|v| parse_record(&v, now).map(|req| (req, v)));
        match parsed {
            Err(e) => report.rejected.push((row.line, e)),
            Ok((req, raw)) => {
                let id = req.id.or_else(|| Some(ids.derive(&raw)));
                let rx = writer
                    .submit(Append {
                        id,
                        occurred_at: req.occurred_at,
                        actor: actor.to_string(),
                        event: req.event,
                    })
                    .await;
                pending.push_back((row.line, rx));
            }
        }
        if pending.len() >= IN_FLIGHT {
            // Drain half, so the writer always has the rest queued.
            while pending.len() > IN_FLIGHT / 2 {
                if let Some((line, rx)) = pending.pop_front() {
                    settle(&mut report, line, rx.await)?;
                }
            }
        }
        if progress_every > 0 && report.rows % progress_every == 0 {
            report.seconds = started.elapsed().as_secs_f64();
            progress(&report);
        }
    }
    while let Some((line, rx)) = pending.pop_front() {
        settle(&mut report, line, rx.await)?;
    }
    report.rejected.sort_by_key(|(line, _)| *line);
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

fn settle(
    report: &mut ImportReport,
    line: u64,
    reply: Result<Reply, tokio::sync::oneshot::error::RecvError>,
) -> anyhow::Result<()> {
    match reply {
        Ok(Ok((Appended::Created(_), _))) => report.appended += 1,
        Ok(Ok((Appended::Existing(_), _))) => report.existing += 1,
        Ok(Err(AppendError::Unavailable(msg))) => {
            anyhow::bail!("line {line}: storage unavailable, import stopped: {msg}")
        }
        Ok(Err(e)) => report.rejected.push((line, e.into())),
        Err(_) => anyhow::bail!("line {line}: the writer stopped, import stopped"),
    }
    Ok(())
}

/// `crossboard import`: opens the data dir (which a running server holds
/// locked), replays it, and appends the file through the writer.
pub async fn run_import(opts: &ImportOptions) -> anyhow::Result<ImportReport> {
    use anyhow::Context;
    let format = opts.format.unwrap_or_else(|| Format::from_path(&opts.file));
    let input: Box<dyn Read + Send> = if opts.file.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(
            std::fs::File::open(&opts.file)
                .with_context(|| format!("cannot open {}", opts.file.display()))?,
        )
    };
    let core = crate::app::start(&opts.data, opts.tz.as_deref())?;
    let reader = std::io::BufReader::with_capacity(1 << 16, input);
    let every = opts.progress_every;
    let progress = |r: &ImportReport| {
        eprintln!(
            "import: {} rows, {} appended, {} already present, {} rejected ({:.0} rows/s)",
            r.rows,
            r.appended,
            r.existing,
            r.rejected.len(),
            r.rows as f64 / r.seconds.max(1e-9)
        );
    };
    let result = match format {
        Format::Jsonl => {
            import_rows(&core.writer, jsonl_rows(reader), "import", progress, every).await
        }
        Format::Csv => match csv_rows(reader) {
            Ok(rows) => import_rows(&core.writer, rows, "import", progress, every).await,
            Err(e) => Err(e.into()),
        },
    };
    core.writer.stop().await;
    let thread = core.writer_thread;
    let _ = tokio::task::spawn_blocking(move || thread.join()).await;
    core.shared.log.flush()?;
    result
}

/// `crossboard export`: writes every envelope after `after` to `out`.
/// Returns how many were written.
pub fn run_export(
    data: &Path,
    format: Format,
    after: u64,
    out: &mut dyn Write,
) -> anyhow::Result<u64> {
    if !data.join("conf").exists() && !data.join("db").exists() {
        anyhow::bail!("there is no crossboard data dir at {}", data.display());
    }
    let log = crate::store::Log::open(data)?;
    let last = log.last_seq()?;
    if format == Format::Csv {
        out.write_all(&csv_header())?;
    }
    let mut n = 0;
    if last > after {
        for env in log.read(after, last) {
            let env = env?;
            match format {
                Format::Jsonl => out.write_all(&jsonl_line(&env))?,
                Format::Csv => out.write_all(&csv_row(&env))?,
            }
            n += 1;
        }
    }
    out.flush()?;
    Ok(n)
}
