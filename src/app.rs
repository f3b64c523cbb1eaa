//! Opening a data dir: the log, its time zone, the replayed projection and
//! the writer thread, wired together for the server and the CLI.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context};
use chrono_tz::Tz;
use parking_lot::RwLock;
use tokio::sync::watch;

use crate::domain::time::parse_tz;
use crate::domain::Projection;
use crate::store::{Log, StoreError};
use crate::writer::{Shared, Writer};

/// Figures from a replay, for logs and the `replay` command.
#[derive(Debug, Clone, Copy)]
pub struct ReplayReport {
    pub events: u64,
    pub seconds: f64,
}

/// Opens the log in `dir`, fixing its time zone on first use.
///
/// The zone is stored with the data: boards cut by a different zone than the
/// one history was recorded under would silently move points between days.
pub fn open_log(dir: &Path, tz_flag: Option<&str>) -> anyhow::Result<(Log, Tz)> {
    let log = Log::open(dir)?;
    let tz_name = match log.meta("tz")? {
        Some(stored) => {
            if let Some(flag) = tz_flag {
                if flag != stored {
                    tracing::warn!(stored = %stored, flag = %flag, "the data dir keeps its own time zone; --tz ignored");
                }
            }
            stored
        }
        None => {
            let name = tz_flag.unwrap_or("Europe/Stockholm").to_string();
            if parse_tz(&name).is_none() {
                bail!("unknown time zone '{name}': use an IANA name such as Europe/Stockholm");
            }
            log.set_meta("tz", &name)?;
            name
        }
    };
    let tz = parse_tz(&tz_name)
        .with_context(|| format!("the data dir names an unknown time zone '{tz_name}'"))?;
    Ok((log, tz))
}

/// Folds the whole log into a fresh projection, checking that seqs run
/// contiguously from 1 and naming the seq of any record that will not decode.
pub fn replay(log: &Log, tz: Tz) -> Result<(Projection, ReplayReport), StoreError> {
    let started = Instant::now();
    let p = fold(log, tz, log.last_seq()?)?;
    crate::verify::check_tail(log, p.seq(), crate::verify::TAIL)?;
    let report = ReplayReport {
        events: p.seq(),
        seconds: started.elapsed().as_secs_f64(),
    };
    Ok((p, report))
}

/// Folds the log's first `until` events into a fresh projection, checking
/// that seqs run contiguously from 1. Start-up and the writer's recovery
/// from a failed flush both rebuild state this one way.
pub fn fold(log: &Log, tz: Tz, until: u64) -> Result<Projection, StoreError> {
    let mut p = Projection::new(tz);
    if until > 0 {
        for item in log.read(0, until) {
            let env = crate::verify::next_in_order(p.seq(), item?)?;
            p.apply(&env);
        }
    }
    Ok(p)
}

/// A running core: shared state plus the writer thread.
pub struct Core {
    pub shared: Arc<Shared>,
    pub writer: Writer,
    pub writer_thread: std::thread::JoinHandle<()>,
    pub replay: ReplayReport,
}

pub fn start(dir: &Path, tz_flag: Option<&str>) -> anyhow::Result<Core> {
    let (log, tz) = open_log(dir, tz_flag)?;
    let (projection, report) = replay(&log, tz).with_context(|| {
        format!(
            "cannot replay the log in {} (`crossboard verify --data {}` lists all damage)",
            dir.display(),
            dir.display()
        )
    })?;
    let seq = projection.seq();
    let (changes, _) = watch::channel(seq);
    let shared = Arc::new(Shared {
        log,
        projection: RwLock::new(projection),
        committed: AtomicU64::new(seq),
        failed: AtomicBool::new(false),
        changes,
    });
    let (writer, writer_thread) = Writer::start(shared.clone());
    Ok(Core {
        shared,
        writer,
        writer_thread,
        replay: report,
    })
}
