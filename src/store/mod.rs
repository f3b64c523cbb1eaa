//! The durable log on sled. The only module that knows sled exists, so
//! another engine could take its place without touching the domain. It
//! imports only `domain` (the envelope it stores); everything else reads
//! and writes the log through it.
//!
//! Layout, all in one tree so that a batch is atomic:
//! `c` + first seq (u64 big-endian) → a chunk of up to [`CHUNK_EVENTS`]
//! consecutive encoded envelopes; `i` + event id → seq (the idempotency
//! index, kept forever); `m` + name → metadata; `t` + SHA-256 of a token's
//! secret → the token's record (never the secret).
//!
//! Why chunks: sled pays a few microseconds per key on insert and on
//! iteration, which made one key per event the bottleneck of both ingest
//! and replay (about 4.5 µs per event to read back). A writer batch is
//! stored as a few chunks, so replay walks ~64 times fewer keys. Each
//! envelope keeps its own length frame inside the chunk, so damage is still
//! reported by seq.

mod chunk;
pub mod codec;
mod faults;

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::domain::event::Envelope;
use chunk::{chunk_frames, encode_chunk};
use faults::Faults;
pub use faults::{FAIL_FLUSH_AFTER, SLOW_FLUSH_MS};

/// Per-event keys of early development builds; such a data dir is refused.
const LEGACY_EVENT: u8 = b'e';
const CHUNK: u8 = b'c';
/// Most envelopes in one chunk, and roughly most bytes: small enough that
/// reading one event back decodes little, big enough that keys are few.
pub const CHUNK_EVENTS: usize = 64;
const CHUNK_BYTES: usize = 64 * 1024;
const ID: u8 = b'i';
const META: u8 = b'm';
/// sled's page cache. Reads of the log are sequential (replay, export,
/// paging) or rare (idempotent retries), so they gain little from more.
const CACHE_BYTES: u64 = 32 * 1024 * 1024;
const TOKEN: u8 = b't';

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
    /// A key under an event prefix that the layout cannot hold, named in
    /// hex: start-up must say which key is bad rather than panic on it.
    #[error("the log holds a malformed key {key} (hex): {message}")]
    BadKey { key: String, message: String },
    /// A failed append whose removal could not be made durable either: the
    /// refused batch may still be on disk, so the writer must not go on.
    #[error("{cause}; taking the batch back out failed too: {undo}")]
    NotTakenBack {
        cause: Box<StoreError>,
        undo: Box<StoreError>,
    },
}

#[derive(Clone)]
pub struct Log {
    db: sled::Db,
    /// Fault injection for tests; none unless the environment asks.
    faults: Faults,
}

fn chunk_key(first: u64) -> [u8; 9] {
    let mut k = [CHUNK; 9];
    k[1..].copy_from_slice(&first.to_be_bytes());
    k
}

/// Decodes one frame that should hold `seq`.
fn decode_frame(seq: u64, frame: &[u8]) -> Result<Envelope, StoreError> {
    let env = codec::decode(frame).map_err(|message| StoreError::Corrupt { seq, message })?;
    if env.seq != seq {
        return Err(StoreError::Corrupt {
            seq,
            message: format!("record claims seq {}", env.seq),
        });
    }
    Ok(env)
}

fn id_key(id: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(id.len() + 1);
    k.push(ID);
    k.extend_from_slice(id.as_bytes());
    k
}

/// One record as `verify` sees it: its seq and the envelope, or why it
/// could not be decoded.
pub type RawRecord = Result<(u64, Result<Envelope, String>), StoreError>;

/// A stored token: the hash of its secret and its encoded record.
pub type RawToken = (Vec<u8>, Vec<u8>);

fn token_key(hash: &[u8]) -> Vec<u8> {
    let mut k = vec![TOKEN];
    k.extend_from_slice(hash);
    k
}

fn meta_key(name: &str) -> Vec<u8> {
    let mut k = vec![META];
    k.extend_from_slice(name.as_bytes());
    k
}

/// The first seq a chunk key names. Keys come from disk, so a wrong length
/// is damage to report, never an index to panic on.
fn seq_of(key: &[u8]) -> Result<u64, StoreError> {
    match key.get(1..).map(<[u8; 8]>::try_from) {
        Some(Ok(b)) if key.len() == 9 => Ok(u64::from_be_bytes(b)),
        _ => Err(StoreError::BadKey {
            key: hex::encode(key),
            message: format!("a chunk key is 9 bytes, this one {}", key.len()),
        }),
    }
}

/// The sled batch that stores `batch` as chunks plus index entries, and
/// the one that removes exactly those keys again.
fn write_and_undo(batch: &[Envelope]) -> Result<(sled::Batch, sled::Batch), StoreError> {
    let (mut write, mut undo) = (sled::Batch::default(), sled::Batch::default());
    let mut records: Vec<Vec<u8>> = Vec::with_capacity(CHUNK_EVENTS);
    let (mut first, mut size) = (0u64, 0usize);
    let mut put_chunk = |first: u64, records: &[Vec<u8>]| {
        write.insert(&chunk_key(first), encode_chunk(records));
        undo.remove(&chunk_key(first));
    };
    for env in batch {
        let bytes = codec::encode(env).map_err(|message| StoreError::Corrupt {
            seq: env.seq,
            message,
        })?;
        // A chunk holds consecutive seqs only.
        let contiguous = records.is_empty() || env.seq == first + records.len() as u64;
        if !records.is_empty()
            && (!contiguous || records.len() == CHUNK_EVENTS || size >= CHUNK_BYTES)
        {
            put_chunk(first, &records);
            records.clear();
            size = 0;
        }
        if records.is_empty() {
            first = env.seq;
        }
        size += bytes.len();
        records.push(bytes);
    }
    if !records.is_empty() {
        put_chunk(first, &records);
    }
    for env in batch {
        write.insert(id_key(&env.id), &env.seq.to_be_bytes());
        undo.remove(id_key(&env.id));
    }
    Ok((write, undo))
}

impl Log {
    pub fn open(dir: &Path) -> Result<Log, StoreError> {
        if let Err(e) = std::fs::create_dir_all(dir) {
            return Err(StoreError::Open {
                path: dir.to_path_buf(),
                source: sled::Error::Io(e),
            });
        }
        let faults = Faults::from_env();
        // sled caches up to 1 GiB of pages by default; the projection keeps
        // everything hot in memory already, so a small cache is enough.
        // Every write path flushes explicitly when it needs durability, so
        // sled's background flusher (every 500 ms by default) would only add
        // a way for a batch that is being refused to reach disk before it is
        // taken back out (see [`Log::append`]).
        match sled::Config::new()
            .path(dir)
            .cache_capacity(CACHE_BYTES)
            .flush_every_ms(None)
            .open()
        {
            Ok(db) => {
                if db.scan_prefix([LEGACY_EVENT]).next().is_some() {
                    return Err(StoreError::Corrupt {
                        seq: 0,
                        message: format!(
                            "{} holds a log in the per-event layout of an early development build; export it with that build and import it here",
                            dir.display()
                        ),
                    });
                }
                Ok(Log { db, faults })
            }
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
        let Some((k, v)) = self.db.scan_prefix([CHUNK]).next_back().transpose()? else {
            return Ok(0);
        };
        let first = seq_of(&k)?;
        let frames = chunk_frames(&v).map_err(|message| StoreError::Corrupt {
            seq: first,
            message,
        })?;
        Ok(first + frames.len().max(1) as u64 - 1)
    }

    /// The chunk holding `seq`: its first seq and raw value.
    fn chunk_of(&self, seq: u64) -> Result<Option<(u64, sled::IVec)>, StoreError> {
        let found = self
            .db
            .range(chunk_key(0)..=chunk_key(seq))
            .next_back()
            .transpose()?;
        found.map(|(k, v)| Ok((seq_of(&k)?, v))).transpose()
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
        let Some((first, bytes)) = self.chunk_of(seq)? else {
            return Ok(None);
        };
        let frames = chunk_frames(&bytes).map_err(|message| StoreError::Corrupt {
            seq: first,
            message,
        })?;
        match frames.get((seq - first) as usize) {
            None => Ok(None),
            Some(frame) => decode_frame(seq, frame).map(Some),
        }
    }

    /// Writes a batch atomically and waits until it is on disk. This is the
    /// group commit: one flush for everything in the batch.
    ///
    /// When the write or its flush fails, the caller answers 503, so the
    /// batch must never be found later: any later flush (shutdown, a token
    /// write) would otherwise make the refused events durable, and a client
    /// that retried with a fresh id would see them twice. So the batch is
    /// taken back out (its chunk and index keys removed) and that removal is
    /// flushed before returning; [`StoreError::NotTakenBack`] says it could
    /// not be. sled persists its log in order, so once the removal is on
    /// disk no flush can bring the batch back.
    ///
    /// Exact only because the writer appends past the log's end and only
    /// ids new to the index: every key written here was absent before.
    pub fn append(&self, batch: &[Envelope]) -> Result<(), StoreError> {
        let (write, undo) = write_and_undo(batch)?;
        let written = self
            .db
            .apply_batch(write)
            .map_err(StoreError::from)
            .and_then(|()| self.flush_append());
        let Err(cause) = written else {
            return Ok(());
        };
        // Also after a failed `apply_batch`, which may have applied a part.
        let undone = self.db.apply_batch(undo).and_then(|()| self.db.flush());
        match undone {
            Ok(_) => Err(cause),
            Err(undo) => Err(StoreError::NotTakenBack {
                cause: Box::new(cause),
                undo: Box::new(undo.into()),
            }),
        }
    }

    /// The flush of an append, or the injected failure that replaces it.
    fn flush_append(&self) -> Result<(), StoreError> {
        self.faults.before_append_flush()?;
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
        let from = after.saturating_add(1);
        // Start at the chunk that holds `from`, which may begin before it.
        let start = match self.chunk_of(from) {
            Ok(Some((first, _))) => first,
            _ => from,
        };
        let chunks = if from > until {
            None
        } else {
            Some(self.db.range(chunk_key(start)..=chunk_key(until)))
        };
        chunks.into_iter().flatten().flat_map(move |item| {
            let envs: Vec<Result<Envelope, StoreError>> = match item {
                Err(e) => vec![Err(e.into())],
                Ok((k, v)) => {
                    let first = match seq_of(&k) {
                        Ok(first) => first,
                        Err(e) => return vec![Err(e)],
                    };
                    match chunk_frames(&v) {
                        Err(message) => vec![Err(StoreError::Corrupt {
                            seq: first.max(from),
                            message,
                        })],
                        Ok(frames) => frames
                            .iter()
                            .enumerate()
                            .map(|(i, f)| (first + i as u64, f))
                            .filter(|(seq, _)| *seq >= from && *seq <= until)
                            .map(|(seq, f)| decode_frame(seq, f))
                            .collect(),
                    }
                }
            };
            envs
        })
    }

    /// Every event record in key order, decoded or not: what `verify` needs
    /// to report all damage instead of stopping at the first.
    pub fn records(&self) -> impl Iterator<Item = RawRecord> + '_ {
        self.db.scan_prefix([CHUNK]).flat_map(|item| {
            let out: Vec<RawRecord> = match item {
                Err(e) => vec![Err(e.into())],
                Ok((k, v)) => {
                    let first = match seq_of(&k) {
                        Ok(first) => first,
                        Err(e) => return vec![Ok((0, Err(e.to_string())))],
                    };
                    match chunk_frames(&v) {
                        Err(e) => vec![Ok((first, Err(format!("chunk at {first}: {e}"))))],
                        Ok(frames) => frames
                            .iter()
                            .enumerate()
                            .map(|(i, f)| Ok((first + i as u64, codec::decode(f))))
                            .collect(),
                    }
                }
            };
            out
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
        let chunk = self.chunk_of(seq)?.and_then(|(first, v)| {
            let frames = chunk_frames(&v).ok()?;
            let i = (seq - first) as usize;
            (i < frames.len()).then(|| {
                (
                    first,
                    i,
                    frames.iter().map(|f| f.to_vec()).collect::<Vec<_>>(),
                )
            })
        });
        match chunk {
            Some((first, i, mut frames)) => {
                frames[i] = bytes.to_vec();
                self.db.insert(chunk_key(first), encode_chunk(&frames))?;
            }
            // No chunk holds it: store a chunk of its own there (a gap).
            None => {
                self.db
                    .insert(chunk_key(seq), encode_chunk(&[bytes.to_vec()]))?;
            }
        }
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

    /// Stores an access token's record under the hash of its secret.
    pub fn put_token(&self, hash: &[u8], record: &[u8]) -> Result<(), StoreError> {
        self.db.insert(token_key(hash), record)?;
        self.db.flush()?;
        Ok(())
    }

    /// Every token: (hash of the secret, record).
    pub fn tokens(&self) -> Result<Vec<RawToken>, StoreError> {
        self.db
            .scan_prefix([TOKEN])
            .map(|item| {
                let (k, v) = item?;
                Ok((k[1..].to_vec(), v.to_vec()))
            })
            .collect()
    }

    /// Moves a token record from one secret's hash to another in one sled
    /// transaction, if the record under `old` is still exactly `expected`:
    /// a one-time sign-in code is redeemed at most once even when two
    /// browsers race, and a crash halfway leaves either the old or the new
    /// key, never both or neither. `false` when `old` no longer holds
    /// `expected` (already redeemed or revoked).
    pub fn swap_token(
        &self,
        old: &[u8],
        expected: &[u8],
        new: &[u8],
        record: &[u8],
    ) -> Result<bool, StoreError> {
        use sled::transaction::{ConflictableTransactionError, TransactionError};
        let (old, new) = (token_key(old), token_key(new));
        let done = self.db.transaction(|tx| {
            if tx.get(&old)?.as_deref() != Some(expected) {
                return Err(ConflictableTransactionError::Abort(()));
            }
            tx.remove(old.as_slice())?;
            tx.insert(new.as_slice(), record)?;
            Ok(())
        });
        match done {
            Ok(()) => {
                self.db.flush()?;
                Ok(true)
            }
            Err(TransactionError::Abort(())) => Ok(false),
            Err(TransactionError::Storage(e)) => Err(e.into()),
        }
    }

    /// Deletes a token; `false` if there was none under that hash.
    pub fn remove_token(&self, hash: &[u8]) -> Result<bool, StoreError> {
        let gone = self.db.remove(token_key(hash))?.is_some();
        self.db.flush()?;
        Ok(gone)
    }

    pub fn size_on_disk(&self) -> u64 {
        self.db.size_on_disk().unwrap_or(0)
    }

    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
