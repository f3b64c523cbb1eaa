//! Integrity of the log, checked rather than assumed.
//!
//! The log is the product: boards, ranks and competitions are all folds of
//! it. So damage must be loud. Start-up replays through the same record
//! checks as `crossboard verify` ([`next_in_order`], [`check_tail`]) and
//! refuses to serve a log it cannot read, naming the seq; `crossboard verify`
//! walks everything, including the idempotency index, and reports every
//! problem rather than the first.
//!
//! What a healthy log looks like:
//! * every record decodes and claims the seq it is stored under;
//! * seqs run contiguously from 1;
//! * every envelope's id is in the idempotency index, pointing back at it
//!   (so no id appears twice);
//! * every index entry points at an existing record with that id.

use std::fmt;
use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context};

use crate::domain::event::Envelope;
use crate::store::{Log, StoreError};

/// Problems beyond this many are counted, not listed: a report of a badly
/// damaged log must stay readable.
const MAX_LISTED: usize = 1000;

/// How many of the newest events start-up checks against the index. A crash
/// would damage the tail, and a bounded check keeps cold start fast.
pub const TAIL: u64 = 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The seq at fault, when one is.
    pub seq: Option<u64>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.seq {
            Some(seq) => write!(f, "seq {seq}: {}", self.message),
            None => write!(f, "{}", self.message),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Event records found (decodable or not).
    pub records: u64,
    /// The highest seq found.
    pub last_seq: u64,
    /// Entries in the idempotency index.
    pub ids: u64,
    /// Up to [`MAX_LISTED`] problems, in the order found.
    pub problems: Vec<Problem>,
    /// All problems, listed or not.
    pub problem_count: u64,
    pub seconds: f64,
}

impl Report {
    pub fn is_ok(&self) -> bool {
        self.problem_count == 0
    }

    fn problem(&mut self, seq: Option<u64>, message: String) {
        self.problem_count += 1;
        if self.problems.len() < MAX_LISTED {
            self.problems.push(Problem { seq, message });
        }
    }
}

/// The contiguity check of replay: `env` must be the seq after `last`.
pub fn next_in_order(last: u64, env: Envelope) -> Result<Envelope, StoreError> {
    let expected = last + 1;
    if env.seq != expected {
        return Err(StoreError::Corrupt {
            seq: expected,
            message: format!("missing; the next record is seq {}", env.seq),
        });
    }
    Ok(env)
}

/// Checks that the newest `n` events up to `last` are in the idempotency
/// index pointing back at their own seq.
pub fn check_tail(log: &Log, last: u64, n: u64) -> Result<(), StoreError> {
    for item in log.read(last.saturating_sub(n), last) {
        let env = item?;
        index_points_back(log, &env).map_err(|message| StoreError::Corrupt {
            seq: env.seq,
            message,
        })?;
    }
    Ok(())
}

fn index_points_back(log: &Log, env: &Envelope) -> Result<(), String> {
    match log.seq_for_id(&env.id).map_err(|e| e.to_string())? {
        Some(seq) if seq == env.seq => Ok(()),
        Some(seq) => Err(format!(
            "its id '{}' is indexed to seq {seq} (the id appears twice?)",
            env.id
        )),
        None => Err(format!(
            "its id '{}' is missing from the idempotency index",
            env.id
        )),
    }
}

/// Walks the whole log and its index. `Err` only when storage itself fails;
/// damage is in the report.
pub fn verify(log: &Log) -> Result<Report, StoreError> {
    let started = Instant::now();
    let mut r = Report::default();
    let mut expected = 1u64;
    for item in log.records() {
        let (seq, decoded) = item?;
        r.records += 1;
        r.last_seq = r.last_seq.max(seq);
        if seq != expected {
            let message = if seq > expected {
                format!(
                    "seqs jump from {} to {seq} ({} missing)",
                    expected - 1,
                    seq - expected
                )
            } else {
                format!("out of order after seq {}", expected - 1)
            };
            r.problem(Some(seq), message);
        }
        expected = seq.saturating_add(1);
        match decoded {
            Err(e) => r.problem(Some(seq), format!("cannot be decoded: {e}")),
            Ok(env) if env.seq != seq => {
                r.problem(Some(seq), format!("the record claims seq {}", env.seq))
            }
            Ok(env) => {
                if let Err(message) = index_points_back(log, &env) {
                    r.problem(Some(seq), message);
                }
            }
        }
    }
    for item in log.ids() {
        let (id, seq) = item?;
        r.ids += 1;
        let Some(seq) = seq else {
            r.problem(None, format!("index entry '{id}' does not hold a seq"));
            continue;
        };
        match log.get(seq) {
            Ok(None) => r.problem(
                Some(seq),
                format!("index entry '{id}' points at seq {seq}, which does not exist"),
            ),
            Ok(Some(env)) if env.id != id => r.problem(
                Some(seq),
                format!("index entry '{id}' points at an event with id '{}'", env.id),
            ),
            Ok(Some(_)) => {}
            // Already reported by the record walk.
            Err(StoreError::Corrupt { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    r.seconds = started.elapsed().as_secs_f64();
    Ok(r)
}

/// Opens an existing data dir for an offline command. Unlike `serve`, it
/// never creates one: a typo in `--data` should not verify an empty log.
pub fn open_existing(dir: &Path) -> anyhow::Result<Log> {
    if !dir.is_dir() {
        bail!("there is no data dir at {}", dir.display());
    }
    Ok(Log::open(dir)?)
}

/// `crossboard verify`: prints a report; `Ok(false)` when the log is damaged.
pub fn run_verify(dir: &Path) -> anyhow::Result<bool> {
    let log = open_existing(dir)?;
    let r = verify(&log).with_context(|| format!("cannot read the log in {}", dir.display()))?;
    for p in &r.problems {
        println!("problem: {p}");
    }
    if r.problem_count > r.problems.len() as u64 {
        println!(
            "... and {} more problems",
            r.problem_count - r.problems.len() as u64
        );
    }
    println!(
        "{}: {} records (last seq {}), {} index entries, {} problems, checked in {:.3}s",
        if r.is_ok() { "ok" } else { "DAMAGED" },
        r.records,
        r.last_seq,
        r.ids,
        r.problem_count,
        r.seconds
    );
    Ok(r.is_ok())
}

/// `crossboard replay`: rebuilds every projection from the log, exactly as
/// start-up does, and reports what it found and how fast.
pub fn run_replay(dir: &Path) -> anyhow::Result<()> {
    let log = open_existing(dir)?;
    // Read the zone without fixing one: an offline command writes nothing.
    let tz_name = log.meta("tz")?.unwrap_or_else(|| "Europe/Stockholm".into());
    let tz = crate::domain::time::parse_tz(&tz_name)
        .with_context(|| format!("the data dir names an unknown time zone '{tz_name}'"))?;
    let (p, report) = crate::app::replay(&log, tz)
        .with_context(|| format!("cannot replay the log in {}", dir.display()))?;
    let rate = if report.seconds > 0.0 {
        report.events as f64 / report.seconds
    } else {
        0.0
    };
    println!(
        "replayed {} events in {:.3}s ({:.0} events/s)",
        report.events, report.seconds, rate
    );
    println!(
        "time zone {tz_name}; {} divisions, {} sellers, {} leads, {} competitions, rules version {}",
        p.org.divisions.len(),
        p.org.sellers.len(),
        p.org.leads.len(),
        p.competitions.len(),
        p.rules_version
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::{Event, FORMAT_VERSION};

    fn env(seq: u64, id: &str) -> Envelope {
        Envelope {
            format: FORMAT_VERSION,
            seq,
            id: id.into(),
            occurred_at: 1,
            recorded_at: 2,
            actor: "test".into(),
            event: Event::DivisionCreated {
                id: format!("d{seq}"),
                name: "D".into(),
            },
        }
    }

    fn log_of(n: u64) -> (tempfile::TempDir, Log) {
        let dir = tempfile::tempdir().unwrap();
        let log = Log::open(&dir.path().join("data")).unwrap();
        let batch: Vec<Envelope> = (1..=n).map(|s| env(s, &format!("id{s}"))).collect();
        log.append(&batch).unwrap();
        (dir, log)
    }

    #[test]
    fn a_healthy_log_verifies() {
        let (_d, log) = log_of(20);
        let r = verify(&log).unwrap();
        assert!(r.is_ok(), "{:?}", r.problems);
        assert_eq!((r.records, r.last_seq, r.ids), (20, 20, 20));
        check_tail(&log, 20, TAIL).unwrap();
    }

    #[test]
    fn undecodable_record_is_named() {
        let (_d, log) = log_of(5);
        log.overwrite_raw_record(3, b"\x01\x00garbage").unwrap();
        let r = verify(&log).unwrap();
        assert_eq!(r.problem_count, 1, "{:?}", r.problems);
        assert_eq!(r.problems[0].seq, Some(3));
        assert!(r.problems[0].message.contains("decoded"));
    }

    #[test]
    fn gaps_wrong_seqs_and_broken_index_are_found() {
        let (_d, log) = log_of(5);
        // A record stored under 7 (gap of 6) that claims seq 9.
        log.append(&[env(9, "id9")]).ok();
        let bytes = crate::store::codec::encode(&env(9, "id9")).unwrap();
        log.overwrite_raw_record(7, &bytes).unwrap();
        // Two records with one id; an index entry pointing nowhere; one
        // that is not a seq.
        log.append(&[env(10, "id2")]).unwrap();
        log.overwrite_raw_id("ghost", &100u64.to_be_bytes())
            .unwrap();
        log.overwrite_raw_id("junk", b"xyz").unwrap();
        let r = verify(&log).unwrap();
        let text: Vec<String> = r.problems.iter().map(|p| p.to_string()).collect();
        let has = |s: &str| text.iter().any(|t| t.contains(s));
        assert!(has("seq 7: seqs jump from 5 to 7"), "{text:?}");
        assert!(has("seq 7: the record claims seq 9"), "{text:?}");
        assert!(has("seq 2: its id 'id2' is indexed to seq 10"), "{text:?}");
        assert!(has("'ghost' points at seq 100"), "{text:?}");
        assert!(has("'junk' does not hold a seq"), "{text:?}");
        // The index entry id9 → 9 points at the record at 9; fine.
        assert!(!has("id9' points"), "{text:?}");
    }

    #[test]
    fn tail_check_names_the_seq() {
        let (_d, log) = log_of(5);
        log.overwrite_raw_id("id4", &2u64.to_be_bytes()).unwrap();
        match check_tail(&log, 5, TAIL) {
            Err(StoreError::Corrupt { seq: 4, .. }) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn contiguity_names_the_missing_seq() {
        match next_in_order(4, env(6, "x")) {
            Err(StoreError::Corrupt { seq: 5, message }) => assert!(message.contains("6")),
            other => panic!("{other:?}"),
        }
    }
}
