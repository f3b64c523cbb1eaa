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
//!
//! Celebrations start from the moment the server starts: events appended
//! while it was down (or imported offline) are history, not news.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use chrono::Utc;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::api::error::ApiError;
use crate::api::input::Fields;
use crate::api::{json_body, Api};
use crate::domain::competition::{self, Status as CompetitionStatus};
use crate::domain::event::{Envelope, Event, FeedbackStatus};
use crate::domain::time::format_us;
use crate::domain::Projection;
use crate::writer::Shared;

/// The celebrations a webhook can subscribe to.
pub const KINDS: [&str; 3] = ["order_from_lead", "lead_won", "competition_won"];
/// Metadata key of the registrations.
const META_KEY: &str = "webhooks";
/// Most webhooks one organisation may register.
const MAX_HOOKS: usize = 50;
const MAX_URL: usize = 2048;
/// Messages waiting per webhook; past this the newest is dropped.
const QUEUE: usize = 256;
/// Attempts per message, the first included.
const MAX_ATTEMPTS: u32 = 6;
/// Attempts kept per webhook for the status view.
const RECENT: usize = 10;
/// Envelopes read per change; a bigger burst (an import) is not news.
const MAX_SCAN: u64 = 2_000;
/// How often competitions are checked for having ended by the clock.
const COMPETITION_TICK: Duration = Duration::from_secs(15);
/// Hidden, for tests: the first retry delay in milliseconds (default 1000).
pub const BACKOFF_ENV: &str = "CROSSBOARD_WEBHOOK_BACKOFF_MS";

/// A stored registration.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Registration {
    pub id: String,
    pub url: String,
    pub kinds: Vec<String>,
    pub created_at: String,
}

/// One delivery attempt, for leaders to see what happened.
#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    pub at: String,
    /// The seq of the event celebrated (0 for a competition ended by time).
    pub seq: u64,
    pub kind: &'static str,
    pub attempt: u32,
    /// delivered, retrying, failed or dropped.
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct DeliveryStatus {
    pub delivered: u64,
    pub failed: u64,
    /// Messages queued or being retried.
    pub pending: u64,
    pub last_attempt: Option<Attempt>,
    pub recent: VecDeque<Attempt>,
}

impl DeliveryStatus {
    fn record(&mut self, a: Attempt) {
        crate::metrics::webhook_delivery(a.outcome);
        match a.outcome {
            "delivered" => self.delivered += 1,
            "failed" | "dropped" => self.failed += 1,
            _ => {}
        }
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(a.clone());
        self.last_attempt = Some(a);
    }
}

/// A message to post: `{"text": text}`.
#[derive(Debug, Clone)]
pub struct Celebration {
    pub kind: &'static str,
    pub seq: u64,
    pub text: String,
}

struct Hook {
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

impl Webhooks {
    /// The webhooks of the server over `shared`, loading registrations and
    /// starting the follower on first use. `serve` calls it at start-up so
    /// celebrations flow before anyone opens the webhooks API.
    pub fn for_shared(shared: &Arc<Shared>) -> anyhow::Result<Arc<Webhooks>> {
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
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .user_agent(concat!("crossboard/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let w = Arc::new(Webhooks {
            shared: shared.clone(),
            hooks: Mutex::new(Vec::new()),
            client,
            backoff,
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

    fn spawn_worker(&self, reg: Registration) -> Hook {
        let (tx, rx) = mpsc::channel(QUEUE);
        let status = Arc::new(Mutex::new(DeliveryStatus::default()));
        let worker = tokio::spawn(worker(
            self.client.clone(),
            reg.url.clone(),
            status.clone(),
            rx,
            self.backoff,
        ));
        Hook {
            reg,
            status,
            tx,
            worker,
        }
    }

    /// Queues a celebration for every webhook that wants its kind.
    fn dispatch(&self, c: &Celebration) {
        for h in self.hooks.lock().iter() {
            if !h.reg.kinds.iter().any(|k| k == c.kind) {
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

    async fn save(&self) -> Result<(), ApiError> {
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

    fn view(h: &Hook) -> Value {
        let mut v = serde_json::to_value(&h.reg).unwrap_or_default();
        v["status"] = serde_json::to_value(&*h.status.lock()).unwrap_or_default();
        v
    }
}

// ---------------------------------------------------------------------------
// Finding celebrations in the log.

fn seller_name(p: &Projection, ix: u32) -> String {
    p.org
        .sellers
        .get(ix as usize)
        .map_or_else(|| "?".into(), |s| s.name.clone())
}

fn seller_name_by_id(p: &Projection, id: &str) -> String {
    p.org
        .seller(id)
        .map_or_else(|| id.to_string(), |ix| seller_name(p, ix))
}

/// "450 000 SEK" from minor units.
fn money(amount: i64, currency: &str) -> String {
    let whole = (amount / 100).to_string();
    let mut out = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    format!("{out} {currency}")
}

/// The celebration an envelope deserves, if any.
pub fn celebration(p: &Projection, env: &Envelope) -> Option<Celebration> {
    let voided = p
        .facts
        .get((env.seq as usize).checked_sub(1)?)
        .is_none_or(|f| f.voided);
    if voided {
        return None;
    }
    let (kind, text) = match &env.event {
        Event::OrderClosed {
            seller,
            customer,
            amount,
            currency,
            lead: Some(lead),
            ..
        } => {
            let l = p.org.leads.get(p.org.lead(lead)? as usize)?;
            (
                "order_from_lead",
                format!(
                    ":tada: {} closed an order of {} with {} from {}'s lead",
                    seller_name_by_id(p, seller),
                    money(*amount, currency),
                    customer,
                    seller_name(p, l.giver)
                ),
            )
        }
        Event::LeadFeedback {
            lead,
            by,
            status: FeedbackStatus::Won,
            ..
        } => {
            let l = p.org.leads.get(p.org.lead(lead)? as usize)?;
            (
                "lead_won",
                format!(
                    ":trophy: {} won {}'s lead at {}",
                    seller_name_by_id(p, by),
                    seller_name(p, l.giver),
                    l.customer
                ),
            )
        }
        _ => return None,
    };
    Some(Celebration {
        kind,
        seq: env.seq,
        text,
    })
}

/// Competitions that are over (closed by a leader or by their end time).
fn ended_competitions(p: &Projection) -> HashSet<String> {
    let now = Utc::now();
    p.competitions
        .iter()
        .filter(|c| competition::status(c, now) == CompetitionStatus::Closed)
        .map(|c| c.id.clone())
        .collect()
}

fn competition_won(p: &Projection, id: &str) -> Option<Celebration> {
    let c = p.competition(id)?;
    let rows = competition::standings(p, c);
    let winners: Vec<&str> = competition::winners(&rows)
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    let text = match winners.as_slice() {
        [] => return None,
        [one] => format!(":trophy: {one} won {}!", c.name),
        many => format!(
            ":trophy: {} share the win in {}!",
            many.join(" and "),
            c.name
        ),
    };
    Some(Celebration {
        kind: "competition_won",
        seq: p.seq(),
        text,
    })
}

async fn follow(shared: Arc<Shared>, hooks: Weak<Webhooks>) {
    let mut changes = shared.changes.subscribe();
    let mut seen = *changes.borrow_and_update();
    let mut announced = ended_competitions(&shared.projection.read());
    let mut tick = tokio::time::interval(COMPETITION_TICK);
    loop {
        tokio::select! {
            changed = changes.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            _ = tick.tick() => {}
        }
        let committed = *changes.borrow_and_update();
        let mut found = Vec::new();
        if committed > seen {
            let from = seen.max(committed.saturating_sub(MAX_SCAN));
            seen = committed;
            let log = shared.log.clone();
            let envs: Vec<Envelope> = tokio::task::spawn_blocking(move || {
                log.read(from, committed).filter_map(Result::ok).collect()
            })
            .await
            .unwrap_or_default();
            let p = shared.projection.read();
            found.extend(envs.iter().filter_map(|e| celebration(&p, e)));
        }
        {
            let p = shared.projection.read();
            let ended = ended_competitions(&p);
            for id in ended.difference(&announced) {
                found.extend(competition_won(&p, id));
            }
            announced = ended;
        }
        let Some(hooks) = hooks.upgrade() else { return };
        for c in &found {
            hooks.dispatch(c);
        }
    }
}

// ---------------------------------------------------------------------------
// Delivery.

async fn worker(
    client: reqwest::Client,
    url: String,
    status: Arc<Mutex<DeliveryStatus>>,
    mut rx: mpsc::Receiver<Celebration>,
    backoff: Duration,
) {
    while let Some(c) = rx.recv().await {
        let body = json!({"text": c.text});
        for attempt in 1..=MAX_ATTEMPTS {
            let (outcome, http_status, error) = match client.post(&url).json(&body).send().await {
                Ok(r) if r.status().is_success() => ("delivered", Some(r.status().as_u16()), None),
                Ok(r) => {
                    let s = r.status();
                    let retry = s.is_server_error() || s == reqwest::StatusCode::TOO_MANY_REQUESTS;
                    let outcome = if retry && attempt < MAX_ATTEMPTS {
                        "retrying"
                    } else {
                        "failed"
                    };
                    (
                        outcome,
                        Some(s.as_u16()),
                        Some(format!("the receiver answered {s}")),
                    )
                }
                // Without the URL: it holds the receiver's credential.
                Err(e) => {
                    let outcome = if attempt < MAX_ATTEMPTS {
                        "retrying"
                    } else {
                        "failed"
                    };
                    (outcome, None, Some(e.without_url().to_string()))
                }
            };
            {
                let mut st = status.lock();
                if outcome != "retrying" {
                    st.pending = st.pending.saturating_sub(1);
                }
                st.record(Attempt {
                    at: format_us(crate::domain::time::micros(Utc::now())),
                    seq: c.seq,
                    kind: c.kind,
                    attempt,
                    outcome,
                    http_status,
                    error,
                });
            }
            if outcome != "retrying" {
                break;
            }
            let delay = backoff
                .saturating_mul(1 << (attempt - 1))
                .min(Duration::from_secs(300));
            tokio::time::sleep(delay).await;
        }
    }
}

// ---------------------------------------------------------------------------
// HTTP: leaders register, list and remove webhooks.

pub fn routes() -> Router<Api> {
    Router::new()
        .route("/api/v1/webhooks", get(list).post(create))
        .route("/api/v1/webhooks/{id}", delete(remove))
}

fn hooks_of(api: &Api) -> Result<Arc<Webhooks>, ApiError> {
    Webhooks::for_shared(&api.shared).map_err(|e| {
        tracing::error!(error = %e, "webhooks unavailable");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "webhooks are unavailable; see the server log",
        )
    })
}

fn parse_url(v: Option<&Value>) -> Result<String, ApiError> {
    let s = match v {
        None | Some(Value::Null) => {
            return Err(ApiError::field("url", "missing_field", "url is required"))
        }
        Some(Value::String(s)) => s.trim().to_string(),
        Some(_) => {
            return Err(ApiError::field(
                "url",
                "invalid_type",
                "url must be a string",
            ))
        }
    };
    if s.len() > MAX_URL {
        return Err(ApiError::field(
            "url",
            "too_long",
            format!("url is longer than {MAX_URL} characters"),
        ));
    }
    let u = reqwest::Url::parse(&s)
        .map_err(|e| ApiError::field("url", "invalid_value", format!("url is not a URL: {e}")))?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none_or(str::is_empty) {
        return Err(ApiError::field(
            "url",
            "invalid_value",
            "url must be an http:// or https:// URL with a host",
        ));
    }
    Ok(s)
}

fn parse_kinds(v: Option<&Value>) -> Result<Vec<String>, ApiError> {
    let arr = match v {
        None | Some(Value::Null) => return Ok(KINDS.iter().map(|k| k.to_string()).collect()),
        Some(Value::Array(a)) => a,
        Some(_) => {
            return Err(ApiError::field(
                "kinds",
                "invalid_type",
                "kinds must be a list of highlight kinds",
            ))
        }
    };
    if arr.is_empty() {
        return Err(ApiError::field(
            "kinds",
            "invalid_value",
            format!("kinds must name at least one of {}", KINDS.join(", ")),
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for (i, k) in arr.iter().enumerate() {
        match k.as_str().filter(|k| KINDS.contains(k)) {
            Some(k) => {
                if !out.iter().any(|o| o == k) {
                    out.push(k.to_string());
                }
            }
            None => {
                return Err(ApiError::field(
                    format!("kinds[{i}]"),
                    "invalid_value",
                    format!("kinds[{i}] must be one of {}", KINDS.join(", ")),
                ))
            }
        }
    }
    Ok(out)
}

async fn create(
    State(api): State<Api>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = json_body(&headers, body)?;
    let mut f = Fields::new(&body, "")?;
    let url = parse_url(f.take("url"))?;
    let kinds = parse_kinds(f.take("kinds"))?;
    f.finish()?;
    let hooks = hooks_of(&api)?;
    let reg = Registration {
        id: uuid::Uuid::new_v4().to_string(),
        url,
        kinds,
        created_at: format_us(crate::domain::time::micros(Utc::now())),
    };
    let view = {
        let mut all = hooks.hooks.lock();
        if all.len() >= MAX_HOOKS {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "too_many_webhooks",
                format!("at most {MAX_HOOKS} webhooks; delete one first"),
            ));
        }
        let hook = hooks.spawn_worker(reg);
        let view = Webhooks::view(&hook);
        all.push(hook);
        view
    };
    if let Err(e) = hooks.save().await {
        let id = view["id"].as_str().unwrap_or_default().to_string();
        hooks.hooks.lock().retain(|h| h.reg.id != id);
        return Err(e);
    }
    tracing::info!(webhook = %view["id"], "webhook registered");
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

async fn list(State(api): State<Api>) -> Result<Json<Value>, ApiError> {
    let hooks = hooks_of(&api)?;
    let all: Vec<Value> = hooks.hooks.lock().iter().map(Webhooks::view).collect();
    Ok(Json(json!({"kinds": KINDS, "webhooks": all})))
}

async fn remove(State(api): State<Api>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let hooks = hooks_of(&api)?;
    let removed = {
        let mut all = hooks.hooks.lock();
        let before = all.len();
        all.retain(|h| {
            let keep = h.reg.id != id;
            if !keep {
                h.worker.abort();
            }
            keep
        });
        before != all.len()
    };
    if !removed {
        return Err(ApiError::not_found(format!("there is no webhook '{id}'")));
    }
    hooks.save().await?;
    tracing::info!(webhook = %id, "webhook removed");
    Ok(StatusCode::NO_CONTENT.into_response())
}
