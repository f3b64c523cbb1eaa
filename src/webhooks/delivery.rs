//! Delivery: one worker per webhook posts `{"text": ...}` with retries and
//! exponential backoff, recording every attempt for the status view.
//!
//! Permanent, never retried: a 3xx (redirects are not followed), a 4xx other
//! than 429, and a target that is not a public address (unless private ones
//! are allowed): none of these gets better by asking again.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use parking_lot::Mutex;
use serde::Serialize;
use serde_json::json;
use tokio::sync::mpsc;

use crate::domain::time::format_us;
use crate::webhooks::address::{address_reason, refusal};
use crate::webhooks::{Celebration, MAX_ATTEMPTS, RECENT};

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
    pub(crate) fn record(&mut self, a: Attempt) {
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

pub(super) async fn worker(
    client: reqwest::Client,
    url: String,
    status: Arc<Mutex<DeliveryStatus>>,
    mut rx: mpsc::Receiver<Celebration>,
    backoff: Duration,
    allow_private: bool,
) {
    // A registration made while private targets were allowed, served by a
    // server that no longer allows them: the resolver never sees an address
    // literal, so it is checked here (names, `localhost` too, are the
    // resolver's to check).
    let literal = reqwest::Url::parse(&url)
        .ok()
        .and_then(|u| address_reason(&u))
        .filter(|_| !allow_private);
    while let Some(c) = rx.recv().await {
        let body = json!({"text": c.text});
        for attempt in 1..=MAX_ATTEMPTS {
            let sent = match literal {
                Some(reason) => Err(format!(
                    "url points at {reason}, which webhooks may not reach \
                     (see --webhook-allow-private)"
                )),
                None => Ok(client.post(&url).json(&body).send().await),
            };
            let last = attempt == MAX_ATTEMPTS;
            let (outcome, http_status, error) = match sent {
                Err(refused) => ("failed", None, Some(refused)),
                Ok(Ok(r)) if r.status().is_success() => {
                    ("delivered", Some(r.status().as_u16()), None)
                }
                Ok(Ok(r)) if r.status().is_redirection() => (
                    "failed",
                    Some(r.status().as_u16()),
                    Some(format!(
                        "the receiver answered {}; redirects are not followed",
                        r.status()
                    )),
                ),
                Ok(Ok(r)) => {
                    let s = r.status();
                    let retry = s.is_server_error() || s == reqwest::StatusCode::TOO_MANY_REQUESTS;
                    let outcome = if retry && !last { "retrying" } else { "failed" };
                    (
                        outcome,
                        Some(s.as_u16()),
                        Some(format!("the receiver answered {s}")),
                    )
                }
                // Without the URL: it holds the receiver's credential.
                Ok(Err(e)) => match refusal(&e) {
                    Some(np) => ("failed", None, Some(np.to_string())),
                    None => {
                        let outcome = if last { "failed" } else { "retrying" };
                        (outcome, None, Some(error_text(e)))
                    }
                },
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

/// A client error for leaders: reqwest's own text is often just "error
/// sending request", so the causes (unknown CA, connection refused, ...)
/// are appended; the URL is stripped first, it holds the credential.
fn error_text(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = c.source();
    }
    text
}
