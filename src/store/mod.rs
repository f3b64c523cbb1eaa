//! The durable log on sled. The only module that knows sled exists, so
//! another engine could take its place without touching the domain.
//!
//! Layout, all in one tree so that a batch is atomic:
//! `e` + seq (u64 big-endian) → encoded envelope; `i` + event id → seq
//! (the idempotency index, kept forever); `m` + name → metadata.

pub mod codec;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use thiserror::Error;

use crate::domain::event::Envelope;

const EVENT: u8 = b'e';
const ID: u8 = b'i';
const META: u8 = b'm';

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("the data dir {0} is in use by another crossboard process (sled holds its lock); stop it first")]
    Locked(PathBuf),
    #[error("cannot open the data dir {path}: {source}")]
    Open { path: PathBuf, source: sled::Error },
    #[error("storage error: {0}")]
    Io(#[from] sled::Error),
    #[error("the log is corrupt at seq {seq}: {message}")]
    Corrupt { seq: u64, message: String },
}

#[derive(Clone)]
pub struct Log {
    db: sled::Db,
    /// Fault injection for tests (see [`FAIL_FLUSH_AFTER`]): flushes of
    /// appends that may still succeed before every one fails.
    flushes_left: Option<Arc<AtomicU64>>,
}

/// Hidden, for tests that prove a failed flush is never acknowledged: with
/// `CROSSBOARD_FAIL_FLUSH_AFTER=N` in the environment, the first N appends
/// flush normally and every later one reports a flush failure after writing
/// its batch (as a full or failing disk would). Not in `--help` on purpose.
pub const FAIL_FLUSH_AFTER: &str = "CROSSBOARD_FAIL_FLUSH_AFTER";

fn event_key(seq: u64) -> [u8; 9] {
    let mut k = [EVENT; 9];
    k[1..].copy_from_slice(&seq.to_be_bytes());
    k
}

fn id_key(id: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(id.len() + 1);
    k.push(ID);
    k.extend_from_slice(id.as_bytes());
    k
}

fn meta_key(name: &str) -> Vec<u8> {
    let mut k = vec![META];
    k.extend_from_slice(name.as_bytes());
    k
}

fn seq_of(key: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&key[1..9]);
    u64::from_be_bytes(b)
}

impl Log {
    pub fn open(dir: &Path) -> Result<Log, StoreError> {
        if let Err(e) = std::fs::create_dir_all(dir) {
            return Err(StoreError::Open {
                path: dir.to_path_buf(),
                source: sled::Error::Io(e),
            });
        }
        let flushes_left = std::env::var(FAIL_FLUSH_AFTER)
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .map(|n| Arc::new(AtomicU64::new(n)));
        match sled::Config::new().path(dir).open() {
            Ok(db) => Ok(Log { db, flushes_left }),
            Err(sled::Error::Io(e))
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.to_string().contains("could not acquire lock") =>
            {
                Err(StoreError::Locked(dir.to_path_buf()))
            }
            Err(source) => Err(StoreError::Open {
                path: dir.to_path_buf(),
                source,
            }),
        }
    }

    /// The highest seq on disk (0 for an empty log).
    pub fn last_seq(&self) -> Result<u64, StoreError> {
        Ok(self
            .db
            .scan_prefix([EVENT])
            .next_back()
            .transpose()?
            .map(|(k, _)| seq_of(&k))
            .unwrap_or(0))
    }

    pub fn meta(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .db
            .get(meta_key(name))?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    pub fn set_meta(&self, name: &str, value: &str) -> Result<(), StoreError> {
        self.db.insert(meta_key(name), value.as_bytes())?;
        self.db.flush()?;
        Ok(())
    }

    /// The seq an event id was appended under, if any.
    pub fn seq_for_id(&self, id: &str) -> Result<Option<u64>, StoreError> {
        Ok(self.db.get(id_key(id))?.filter(|v| v.len() == 8).map(|v| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&v);
            u64::from_be_bytes(b)
        }))
    }

    pub fn get(&self, seq: u64) -> Result<Option<Envelope>, StoreError> {
        match self.db.get(event_key(seq))? {
            None => Ok(None),
            Some(bytes) => codec::decode(&bytes)
                .map(Some)
                .map_err(|message| StoreError::Corrupt { seq, message }),
        }
    }

    /// Writes a batch atomically and waits until it is on disk. This is the
    /// group commit: one flush for everything in the batch.
    pub fn append(&self, batch: &[Envelope]) -> Result<(), StoreError> {
        let mut b = sled::Batch::default();
        for env in batch {
            let bytes = codec::encode(env).map_err(|message| StoreError::Corrupt {
                seq: env.seq,
                message,
            })?;
            b.insert(&event_key(env.seq), bytes);
            b.insert(id_key(&env.id), &env.seq.to_be_bytes());
        }
        self.db.apply_batch(b)?;
        if let Some(left) = &self.flushes_left {
            let before =
                left.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
            if before.is_err() {
                return Err(StoreError::Io(sled::Error::Io(std::io::Error::other(
                    format!("injected flush failure ({FAIL_FLUSH_AFTER})"),
                ))));
            }
        }
        self.db.flush()?;
        Ok(())
    }

    /// Envelopes with seq > `after`, in order, up to `until` inclusive.
    /// Each item names its seq when it cannot be decoded.
    pub fn read(
        &self,
        after: u64,
        until: u64,
    ) -> impl Iterator<Item = Result<Envelope, StoreError>> + '_ {
        let start = event_key(after.saturating_add(1));
        let end = event_key(until);
        self.db.range(start..=end).map(|item| {
            let (k, v) = item?;
            let seq = seq_of(&k);
            let env = codec::decode(&v).map_err(|message| StoreError::Corrupt { seq, message })?;
            if env.seq != seq {
                return Err(StoreError::Corrupt {
                    seq,
                    message: format!("record claims seq {}", env.seq),
                });
            }
            Ok(env)
        })
    }

    /// Every event record in key order, decoded or not: what `verify` needs
    /// to report all damage instead of stopping at the first.
    pub fn records(
        &self,
    ) -> impl Iterator<Item = Result<(u64, Result<Envelope, String>), StoreError>> + '_ {
        self.db.scan_prefix([EVENT]).map(|item| {
            let (k, v) = item?;
            if k.len() != 9 {
                return Ok((0, Err(format!("malformed event key of {} bytes", k.len()))));
            }
            Ok((seq_of(&k), codec::decode(&v)))
        })
    }

    /// Every entry of the idempotency index: the id (lossily decoded) and
    /// the seq it names, `None` when the value is not a seq.
    pub fn ids(&self) -> impl Iterator<Item = Result<(String, Option<u64>), StoreError>> + '_ {
        self.db.scan_prefix([ID]).map(|item| {
            let (k, v) = item?;
            let id = String::from_utf8_lossy(&k[1..]).into_owned();
            let seq = <[u8; 8]>::try_from(&v[..]).ok().map(u64::from_be_bytes);
            Ok((id, seq))
        })
    }

    /// Overwrites the raw bytes of one event record, bypassing the codec.
    /// Only for tests that prove corruption is detected and named.
    #[doc(hidden)]
    pub fn overwrite_raw_record(&self, seq: u64, bytes: &[u8]) -> Result<(), StoreError> {
        self.db.insert(event_key(seq), bytes)?;
        self.db.flush()?;
        Ok(())
    }

    /// Overwrites the raw value of one idempotency index entry. Only for
    /// tests that prove a broken index is detected.
    #[doc(hidden)]
    pub fn overwrite_raw_id(&self, id: &str, value: &[u8]) -> Result<(), StoreError> {
        self.db.insert(id_key(id), value)?;
        self.db.flush()?;
        Ok(())
    }

    pub fn size_on_disk(&self) -> u64 {
        self.db.size_on_disk().unwrap_or(0)
    }

    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }
}
