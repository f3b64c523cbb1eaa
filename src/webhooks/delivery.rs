//! Delivery: one worker per webhook posts `{"text": ...}` with retries and
//! exponential backoff, recording every attempt for the status view.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use parking_lot::Mutex;
use serde::Serialize;
use serde_json::json;
use tokio::sync::mpsc;

use crate::domain::time::format_us;
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
