//! Outgoing webhooks: celebrations posted to Slack, Teams or anything that
//! takes `{"text": "..."}`.
//!
//! * **Registrations** live in the store's metadata (`m` + `webhooks`, one
//!   JSON array), not in the event log. A webhook URL is a secret (Slack and
//!   Teams put the credential in the path), and the log is forever, exported
//!   and verified; metadata can be deleted for real and never leaves the box.
//! * A **follower** task watches `shared.changes` and reads the newly
//!   committed envelopes from the log, exactly like a late reader: the
//!   writer never waits for it, and a slow receiver never slows an append.
//! * Each webhook has its own **worker** with a bounded queue, so one dead
//!   receiver cannot hold up another, messages to one receiver keep their
//!   order, and memory is bounded (a full queue drops the newest message and
//!   says so in the status).
//! * A delivery is retried on network errors, 429 and 5xx with exponential
//!   backoff; any other 4xx is permanent. Every attempt lands in the
//!   webhook's status, which `GET /api/v1/webhooks` shows to leaders.
//! * **https** with rustls and the system trust store, or the PEM file
//!   named by `SSL_CERT_FILE` (rustls-native-certs reads it *instead of* the
//!   system store, as OpenSSL does). Redirects are never followed: a 3xx is a
//!   permanent failure, since following one would carry the message (and
//!   the receiver's trust) to a URL nobody registered and nobody checked.
//! * Targets must be **public addresses** ([`address`]), unless the server
//!   runs with `--webhook-allow-private`.
//!
//! Celebrations start from the moment the server starts: events appended
//! while it was down (or imported offline) are history, not news.
//!
//! **Nudges** close the lead loop: `lead_received` tells a division's
//! channel of each lead given to it, and the daily `feedback_overdue`
//! digest ([`digest`]) lists unanswered leads past their SLA. A
//! registration may name a `division`: it then hears only that division's
//! leads and digest section (celebrations of the whole org still reach
//! it). Both kinds are opt-in: a registration that names no kinds gets
//! [`DEFAULT_KINDS`], the celebrations, so a leaders' channel does not
//! start hearing of every lead (or every badge, kudos and target of the
//! game) after an upgrade: those are opt-in by name.
//!
//! The ring may import `wire`, `writer`, `store`, `domain` and `metrics`;
//! never `http` or `transfer`. Its routes for leaders ([`routes`]) are
//! merged into the HTTP router by `server.rs`.

mod address;
mod celebrations;
mod delivery;
mod digest;
mod follower;
mod routes;

pub use celebrations::{celebration, Audience, Celebration};
pub use delivery::{Attempt, DeliveryStatus};
pub use digest::{parse_digest_at, DigestAt};
pub use routes::routes;

use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use axum::http::StatusCode;
use chrono::Utc;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::domain::time::format_us;
use crate::wire::error::ApiError;
use crate::writer::Shared;
use delivery::worker;
use follower::follow;

/// The messages a webhook can subscribe to.
pub const KINDS: [&str; 10] = [
    "order_from_lead",
    "lead_won",
    "competition_won",
    "delivery_problem",
    "achievement_earned",
    "challenge_won",
    "target_reached",
    "kudos",
    "lead_received",
    "feedback_overdue",
];
/// What a registration that names no kinds gets: the celebrations, not the
/// per-lead nudges (see the module note).
pub const DEFAULT_KINDS: [&str; 4] = [
    "order_from_lead",
    "lead_won",
    "competition_won",
    "delivery_problem",
];
/// Metadata key of the registrations.
pub(crate) const META_KEY: &str = "webhooks";
/// Most webhooks one organisation may register.
pub(crate) const MAX_HOOKS: usize = 50;
pub(crate) const MAX_URL: usize = 2048;
/// Messages waiting per webhook; past this the newest is dropped.
pub(crate) const QUEUE: usize = 256;
/// Attempts per message, the first included.
pub(crate) const MAX_ATTEMPTS: u32 = 6;
/// Attempts kept per webhook for the status view.
pub(crate) const RECENT: usize = 10;
/// Envelopes read per change; a bigger burst (an import) is not news.
pub(crate) const MAX_SCAN: u64 = 2_000;
/// How often competitions are checked for having ended by the clock.
pub(crate) const COMPETITION_TICK: Duration = Duration::from_secs(15);
/// Hidden, for tests: the first retry delay in milliseconds (default 1000).
pub const BACKOFF_ENV: &str = "CROSSBOARD_WEBHOOK_BACKOFF_MS";

/// How the server was started, as far as webhooks care.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Let webhooks reach loopback, private and link-local addresses.
    pub allow_private: bool,
    /// Local time (org time zone) of the daily `feedback_overdue` digest;
    /// `None`: no digest.
    pub digest_at: Option<chrono::NaiveTime>,
}

/// A stored registration.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Registration {
    pub id: String,
    pub url: String,
    pub kinds: Vec<String>,
    /// Only this division's `lead_received` and digest section (a
    /// division id); `None`: the whole organisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division: Option<String>,
    pub created_at: String,
}

pub(crate) struct Hook {
    reg: Registration,
    status: Arc<Mutex<DeliveryStatus>>,
    tx: mpsc::Sender<Celebration>,
    worker: JoinHandle<()>,
}

/// The webhooks of one server.
pub struct Webhooks {
    shared: Arc<Shared>,
    hooks: Mutex<Vec<Hook>>,
    client: reqwest::Client,
    backoff: Duration,
    allow_private: bool,
    digest_at: Option<chrono::NaiveTime>,
    follower: Mutex<Option<JoinHandle<()>>>,
    /// Serializes writes of the registrations to the store.
    saving: tokio::sync::Mutex<()>,
}

impl Drop for Webhooks {
    fn drop(&mut self) {
        if let Some(f) = self.follower.lock().take() {
            f.abort();
        }
        for h in self.hooks.lock().iter() {
            h.worker.abort();
        }
    }
}

type Registry = Mutex<Vec<(Weak<Shared>, Arc<Webhooks>)>>;

fn registry() -> &'static Registry {
    static HOOKS: OnceLock<Registry> = OnceLock::new();
    HOOKS.get_or_init(|| Mutex::new(Vec::new()))
}

/// The client every webhook posts with. No proxy: the address check must
/// hold for the connection actually made, and a proxy would resolve and
/// connect on our behalf (`HTTP_PROXY` and friends are ignored here).
fn client(allow_private: bool) -> anyhow::Result<reqwest::Client> {
    if let Some(file) = std::env::var_os("SSL_CERT_FILE") {
        // rustls-native-certs skips an unreadable file silently and then
        // trusts nothing: say so once rather than fail every delivery quietly.
        if std::fs::metadata(&file).is_err() {
            tracing::warn!(
                file = %std::path::Path::new(&file).display(),
                "SSL_CERT_FILE cannot be read; https webhooks will not be trusted"
            );
        }
    }
    let mut b = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .user_agent(concat!("crossboard/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy();
    if !allow_private {
        b = b.dns_resolver(Arc::new(address::PublicOnly));
    }
    Ok(b.build()?)
}

impl Webhooks {
    /// The webhooks of the server over `shared`, loading registrations and
    /// starting the follower on first use, with default [`Options`]. The
    /// routes use this to find what `serve` started with [`Webhooks::start`].
    pub fn for_shared(shared: &Arc<Shared>) -> anyhow::Result<Arc<Webhooks>> {
        Self::start(shared, Options::default())
    }

    /// Like [`Webhooks::for_shared`] with `opts`, which only the first call
    /// for a server decides. `serve` calls it at start-up so celebrations
    /// flow before anyone opens the webhooks API.
    pub fn start(shared: &Arc<Shared>, opts: Options) -> anyhow::Result<Arc<Webhooks>> {
        let mut all = registry().lock();
        all.retain(|(s, _)| s.strong_count() > 0);
        if let Some((_, w)) = all
            .iter()
            .find(|(s, _)| std::ptr::eq(s.as_ptr(), Arc::as_ptr(shared)))
        {
            return Ok(w.clone());
        }
        let regs: Vec<Registration> = match shared.log.meta(META_KEY)? {
            None => Vec::new(),
            Some(text) => serde_json::from_str(&text).map_err(|e| {
                anyhow::anyhow!("the stored webhook registrations do not parse: {e}")
            })?,
        };
        let backoff = std::env::var(BACKOFF_ENV)
            .ok()
            .and_then(|v| v.parse().ok())
            .map_or(Duration::from_secs(1), Duration::from_millis);
        let client = client(opts.allow_private)?;
        let w = Arc::new(Webhooks {
            shared: shared.clone(),
            hooks: Mutex::new(Vec::new()),
            client,
            backoff,
            allow_private: opts.allow_private,
            digest_at: opts.digest_at,
            follower: Mutex::new(None),
            saving: tokio::sync::Mutex::new(()),
        });
        {
            let mut hooks = w.hooks.lock();
            for reg in regs {
                hooks.push(w.spawn_worker(reg));
            }
        }
        *w.follower.lock() = Some(tokio::spawn(follow(shared.clone(), Arc::downgrade(&w))));
        all.push((Arc::downgrade(shared), w.clone()));
        Ok(w)
    }

    pub(crate) fn spawn_worker(&self, reg: Registration) -> Hook {
        let (tx, rx) = mpsc::channel(QUEUE);
        let status = Arc::new(Mutex::new(DeliveryStatus::default()));
        let worker = tokio::spawn(worker(
            self.client.clone(),
            reg.url.clone(),
            status.clone(),
            rx,
            self.backoff,
            self.allow_private,
        ));
        Hook {
            reg,
            status,
            tx,
            worker,
        }
    }

    /// Queues a message for every webhook that wants its kind and whose
    /// division filter it passes.
    pub(crate) fn dispatch(&self, c: &Celebration) {
        for h in self.hooks.lock().iter() {
            if !h.reg.kinds.iter().any(|k| k == c.kind)
                || !c.audience.reaches(h.reg.division.as_deref())
            {
                continue;
            }
            match h.tx.try_send(c.clone()) {
                Ok(()) => h.status.lock().pending += 1,
                Err(_) => h.status.lock().record(Attempt {
                    at: format_us(crate::domain::time::micros(Utc::now())),
                    seq: c.seq,
                    kind: c.kind,
                    attempt: 0,
                    outcome: "dropped",
                    http_status: None,
                    error: Some("the queue for this webhook is full".into()),
                }),
            }
        }
    }

    pub(crate) async fn save(&self) -> Result<(), ApiError> {
        let _guard = self.saving.lock().await;
        let regs: Vec<Registration> = self.hooks.lock().iter().map(|h| h.reg.clone()).collect();
        let text = serde_json::to_string(&regs).unwrap_or_else(|_| "[]".into());
        let shared = self.shared.clone();
        tokio::task::spawn_blocking(move || shared.log.set_meta(META_KEY, &text))
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()))
            .map_err(|e| {
                tracing::error!(error = %e, "cannot store webhook registrations");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "cannot store the webhook registration",
                )
            })
    }

    pub(crate) fn view(h: &Hook) -> Value {
        let mut v = serde_json::to_value(&h.reg).unwrap_or_default();
        v["status"] = serde_json::to_value(&*h.status.lock()).unwrap_or_default();
        v
    }
}
