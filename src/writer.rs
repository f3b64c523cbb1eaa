//! The single writer: the only code that appends to the log.
//!
//! It runs on its own OS thread because its work is a blocking loop of
//! validate → write → fsync. Whatever queued up while the previous flush ran
//! becomes the next batch, so under load many events share one flush (group
//! commit) and at idle an event is flushed alone without waiting.
//!
//! The projection is updated under its write lock, and that lock is held
//! until the batch is on disk: a reader never sees an event that is not yet
//! durable, and a caller is answered only after the flush returned.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::{RwLock, RwLockWriteGuard};
use tokio::sync::{mpsc, oneshot, watch};

use crate::domain::event::{Envelope, Event, FORMAT_VERSION};
use crate::domain::org::Rejection;
use crate::domain::Projection;
use crate::store::{Log, StoreError};

/// Most events in one batch; bounds the time readers wait on one flush.
const MAX_BATCH: usize = 4096;

/// A request to append one event.
#[derive(Debug, Clone)]
pub struct Append {
    /// Client id for idempotent retries; a UUID is generated when absent.
    pub id: Option<String>,
    /// Business time in UTC microseconds; now when absent.
    pub occurred_at: Option<i64>,
    pub actor: String,
    pub event: Event,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    /// A new event at this seq.
    Created(u64),
    /// A retry of an event already in the log at this seq.
    Existing(u64),
}

impl Appended {
    pub fn seq(self) -> u64 {
        match self {
            Appended::Created(s) | Appended::Existing(s) => s,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum AppendError {
    Rejected(Rejection),
    /// The id is taken by a different event.
    IdConflict {
        id: String,
        seq: u64,
    },
    /// Storage failed or the writer stopped: nothing was acknowledged.
    Unavailable(String),
}

pub type Reply = Result<(Appended, String), AppendError>;

enum Msg {
    /// The instant it was queued, for the append latency metric.
    Append(Box<Append>, oneshot::Sender<Reply>, std::time::Instant),
    Stop,
}

/// The state every ring shares: the log, the projection and the writer.
pub struct Shared {
    pub log: Log,
    pub projection: RwLock<Projection>,
    /// Highest seq that is on disk; readers of the log stop there.
    pub committed: AtomicU64,
    /// Set when a flush failed: the writer refuses further appends until a
    /// restart, since memory and disk may disagree.
    pub failed: AtomicBool,
    /// Ticks with the committed seq after every batch (live push listens).
    pub changes: watch::Sender<u64>,
}

/// The handle callers use to reach the writer thread.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Msg>,
}

impl Writer {
    /// Starts the writer thread over an already replayed projection.
    pub fn start(shared: Arc<Shared>) -> (Writer, std::thread::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(MAX_BATCH);
        let handle = std::thread::Builder::new()
            .name("crossboard-writer".into())
            .spawn(move || run(shared, rx))
            .unwrap_or_else(|e| panic!("cannot start the writer thread: {e}"));
        (Writer { tx }, handle)
    }

    /// Queues an append and returns where its answer will arrive. Queuing in
    /// order keeps order, so a caller may queue many before awaiting any.
    pub async fn submit(&self, append: Append) -> oneshot::Receiver<Reply> {
        let (tx, rx) = oneshot::channel();
        // A closed channel drops `tx`, which the receiver reports as stopped.
        let queued = std::time::Instant::now();
        let _ = self
            .tx
            .send(Msg::Append(Box::new(append), tx, queued))
            .await;
        rx
    }

    pub async fn append(&self, append: Append) -> Reply {
        self.submit(append)
            .await
            .await
            .unwrap_or_else(|_| Err(AppendError::Unavailable("the writer has stopped".into())))
    }

    /// Whether the writer thread still takes appends. It owns the receiving
    /// end of the queue, so the queue closes when the thread ends for any
    /// reason (stopped, or a panic unwinding it): `/healthz` reports that
    /// instead of a server that looks fine but answers every append 503.
    pub fn is_alive(&self) -> bool {
        !self.tx.is_closed()
    }

    /// Asks the writer to finish what is queued and stop.
    pub async fn stop(&self) {
        let _ = self.tx.send(Msg::Stop).await;
    }
}

fn run(shared: Arc<Shared>, mut rx: mpsc::Receiver<Msg>) {
    let mut msgs = Vec::with_capacity(MAX_BATCH);
    loop {
        msgs.clear();
        match rx.blocking_recv() {
            Some(m) => msgs.push(m),
            None => return,
        }
        while msgs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(m) => msgs.push(m),
                Err(_) => break,
            }
        }
        let stop = msgs.iter().any(|m| matches!(m, Msg::Stop));
        commit_batch(&shared, std::mem::take(&mut msgs));
        if stop {
            return;
        }
    }
}

/// Validates, sequences, writes and flushes one batch, then answers.
fn commit_batch(shared: &Shared, msgs: Vec<Msg>) {
    let mut state = shared.projection.write();
    let mut batch: Vec<Envelope> = Vec::with_capacity(msgs.len());
    let mut by_id: HashMap<String, usize> = HashMap::new();
    // Answers wait until the flush; an answer that does not depend on this
    // batch being durable could go early, but ordering them is simpler.
    let mut pending: Vec<(oneshot::Sender<Reply>, Reply)> = Vec::with_capacity(msgs.len());
    let mut queued_at = Vec::with_capacity(msgs.len());
    for msg in msgs {
        let Msg::Append(append, reply, queued) = msg else {
            continue;
        };
        queued_at.push(queued);
        let outcome = if shared.failed.load(Ordering::Acquire) {
            Err(AppendError::Unavailable(
                "storage failed earlier; restart crossboard".into(),
            ))
        } else {
            sequence(shared, &mut state, &mut batch, &mut by_id, *append)
        };
        pending.push((reply, outcome));
    }
    if !batch.is_empty() {
        let flush_started = std::time::Instant::now();
        if let Err(e) = shared.log.append(&batch) {
            // `append` has taken the batch back out of the log, so what is
            // answered 503 below is absent after any restart; it says when
            // even that removal failed.
            if matches!(e, StoreError::NotTakenBack { .. }) {
                tracing::error!(error = %e, events = batch.len(), "flush failed and the refused batch may still be on disk; refusing appends until restart");
            } else {
                tracing::error!(error = %e, events = batch.len(), "flush failed; the batch was taken back out; refusing appends until restart");
            }
            // Refusing until a restart, even once the removal is durable:
            // after a failed fsync the kernel may have dropped pages, so
            // later flushes of this process prove little.
            shared.failed.store(true, Ordering::Release);
            // The projection already folded this batch in: put back the
            // durable prefix so that no reader sees what was refused.
            let durable = shared.committed.load(Ordering::Acquire);
            match crate::app::fold(&shared.log, state.tz, durable) {
                Ok(p) => *state = p,
                Err(e) => tracing::error!(error = %e, "cannot rebuild the projection"),
            }
            for (_, outcome) in pending.iter_mut() {
                if outcome.is_ok() {
                    *outcome = Err(AppendError::Unavailable(format!("not stored: {e}")));
                }
            }
        } else {
            let last = batch[batch.len() - 1].seq;
            shared.committed.store(last, Ordering::Release);
            crate::metrics::batch_flushed(batch.len(), flush_started.elapsed().as_secs_f64());
            for env in &batch {
                crate::metrics::event_appended(env.event.type_name());
            }
            tracing::debug!(events = batch.len(), last_seq = last, "batch committed");
        }
    }
    RwLockWriteGuard::unlock_fair(state);
    if let Some(env) = batch.last() {
        if !shared.failed.load(Ordering::Acquire) {
            shared.changes.send_replace(env.seq);
        }
    }
    for (reply, outcome) in pending {
        match &outcome {
            Err(AppendError::Rejected(r)) => crate::metrics::event_rejected(r.code),
            Err(AppendError::IdConflict { .. }) => crate::metrics::event_rejected("id_conflict"),
            Err(AppendError::Unavailable(_)) => crate::metrics::event_rejected("unavailable"),
            Ok(_) => {}
        }
        let _ = reply.send(outcome);
    }
    for queued in queued_at {
        crate::metrics::append_latency(queued.elapsed().as_secs_f64());
    }
}

fn sequence(
    shared: &Shared,
    state: &mut Projection,
    batch: &mut Vec<Envelope>,
    by_id: &mut HashMap<String, usize>,
    append: Append,
) -> Reply {
    if let Some(id) = &append.id {
        // A retry: in this batch, or already on disk.
        let earlier = match by_id.get(id) {
            Some(i) => Some(batch[*i].clone()),
            None => match shared.log.seq_for_id(id) {
                Ok(Some(seq)) => match shared.log.get(seq) {
                    Ok(env) => env,
                    Err(e) => return Err(AppendError::Unavailable(e.to_string())),
                },
                Ok(None) => None,
                Err(e) => return Err(AppendError::Unavailable(e.to_string())),
            },
        };
        if let Some(prev) = earlier {
            let same_time = append.occurred_at.is_none_or(|t| t == prev.occurred_at);
            return if prev.event == append.event && same_time {
                Ok((Appended::Existing(prev.seq), prev.id))
            } else {
                Err(AppendError::IdConflict {
                    id: id.clone(),
                    seq: prev.seq,
                })
            };
        }
    }
    let now = crate::domain::time::micros(chrono::Utc::now());
    // Sellers log their own recent work; everyone else (leaders, imports,
    // the demo) may record history. The actor string is the role's name.
    let ctx = crate::domain::Context {
        now_us: now,
        occurred_at: append.occurred_at.unwrap_or(now),
        privileged: !append.actor.starts_with("seller:"),
    };
    state
        .check(&append.event, &ctx)
        .map_err(AppendError::Rejected)?;
    let env = Envelope {
        format: FORMAT_VERSION,
        seq: state.seq() + 1,
        id: append
            .id
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        occurred_at: append.occurred_at.unwrap_or(now),
        recorded_at: now,
        actor: append.actor,
        event: append.event,
    };
    state.apply(&env);
    by_id.insert(env.id.clone(), batch.len());
    let reply = Ok((Appended::Created(env.seq), env.id.clone()));
    batch.push(env);
    reply
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn is_alive_until_the_thread_ends() {
        let dir = tempfile::tempdir().unwrap();
        let core = crate::app::start(&dir.path().join("data"), None).unwrap();
        assert!(core.writer.is_alive());
        core.writer.stop().await;
        tokio::task::spawn_blocking(move || core.writer_thread.join())
            .await
            .unwrap()
            .unwrap();
        assert!(!core.writer.is_alive());
    }
}
