//! Hidden fault injection for tests that prove what a failing or slow disk
//! does to appends. Read from the environment once, when the log opens, and
//! not in `--help` on purpose.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::StoreError;

/// With `CROSSBOARD_FAIL_FLUSH_AFTER=N`, the first N appends flush normally
/// and every later one reports a flush failure after writing its batch (as
/// a full or failing disk would). The flush that takes such a batch back
/// out is real, as after a disk that failed once.
pub const FAIL_FLUSH_AFTER: &str = "CROSSBOARD_FAIL_FLUSH_AFTER";

/// With `CROSSBOARD_SLOW_FLUSH_MS=N`, every append's flush first waits N ms
/// (as a slow disk would), so that concurrent appends deterministically
/// queue up behind it and form the next batch.
pub const SLOW_FLUSH_MS: &str = "CROSSBOARD_SLOW_FLUSH_MS";

#[derive(Clone, Default)]
pub struct Faults {
    /// Flushes of appends that may still succeed before every one fails.
    pub flushes_left: Option<Arc<AtomicU64>>,
    pub slow_flush: Option<Duration>,
}

impl Faults {
    pub fn from_env() -> Faults {
        let number = |name: &str| -> Option<u64> { std::env::var(name).ok()?.trim().parse().ok() };
        Faults {
            flushes_left: number(FAIL_FLUSH_AFTER).map(|n| Arc::new(AtomicU64::new(n))),
            slow_flush: number(SLOW_FLUSH_MS).map(Duration::from_millis),
        }
    }

    /// Runs before an append's flush: waits, or fails in its place.
    pub fn before_append_flush(&self) -> Result<(), StoreError> {
        if let Some(pause) = self.slow_flush {
            std::thread::sleep(pause);
        }
        if let Some(left) = &self.flushes_left {
            let before =
                left.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
            if before.is_err() {
                return Err(StoreError::Io(sled::Error::Io(std::io::Error::other(
                    format!("injected flush failure ({FAIL_FLUSH_AFTER})"),
                ))));
            }
        }
        Ok(())
    }
}
