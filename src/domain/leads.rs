//! The lead list: every lead with where its loop stands (open, answered,
//! overdue), filtered and paged for `GET /api/v1/leads` and the `/me`
//! page's one-tap report-back.
//!
//! One pass over the leads in log order, stopping once a page is full, so a
//! page costs the leads it skips over plus the ones it shows; each row's
//! state is read from the lead's own feedback (a handful of seqs).

use serde::Serialize;

use crate::domain::event::FeedbackStatus;
use crate::domain::org::{DivisionIx, Lead, SellerIx};
use crate::domain::projection::Projection;
use crate::domain::score::{Fact, Facts};
use crate::domain::sla::{hours_between, is_overdue};
use crate::domain::time::format_us;

/// Where a lead's loop stands: `open` until the first feedback, then the
/// latest status reported (by business time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoopStatus {
    Open,
    Reported(FeedbackStatus),
}

impl LoopStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LoopStatus::Open => "open",
            LoopStatus::Reported(s) => s.as_str(),
        }
    }
}

/// What `status=` asks for. `open` is every lead without feedback, overdue
/// or not; `overdue` only those past their SLA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    Open,
    Overdue,
    Is(FeedbackStatus),
}

impl StatusFilter {
    pub fn parse(s: &str) -> Option<StatusFilter> {
        match s {
            "open" => Some(StatusFilter::Open),
            "overdue" => Some(StatusFilter::Overdue),
            other => FeedbackStatus::parse(other).map(StatusFilter::Is),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct LeadQuery {
    pub status: Option<StatusFilter>,
    /// The receiving division.
    pub division: Option<DivisionIx>,
    /// The giver, or the receiver (named or claimed).
    pub seller: Option<SellerIx>,
    /// Only leads that name nobody and nobody has claimed yet.
    pub unassigned: bool,
    /// Leads given within `[from_us, to_us)`.
    pub from_us: i64,
    pub to_us: i64,
    /// Leads after this seq (the previous page's `next`).
    pub after: u64,
    pub limit: usize,
}

/// One row of `GET /api/v1/leads`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeadRow {
    pub lead: String,
    pub seq: u64,
    pub customer: String,
    pub from: String,
    pub from_division: String,
    pub to_division: String,
    /// The receiver: named in the lead, or who claimed it.
    pub to_seller: Option<String>,
    pub claimed: bool,
    pub given_at: String,
    pub status: &'static str,
    pub first_feedback_at: Option<String>,
    /// Hours since the lead was given, as of "now".
    pub age_hours: f64,
    pub overdue: bool,
    /// When feedback is due (the SLA of the rules in force when the lead
    /// was given).
    pub due_at: String,
}

/// A page of rows and the `after` for the next one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeadPage {
    pub leads: Vec<LeadRow>,
    pub next: Option<u64>,
}

/// The loop of one lead: first feedback (business time) and the latest
/// status, both by business time with log order breaking ties.
pub fn loop_of(p: &Projection, l: &Lead) -> (Option<i64>, LoopStatus) {
    let mut first: Option<i64> = None;
    let mut latest: Option<((i64, u64), FeedbackStatus)> = None;
    for seq in &l.feedback {
        let Some(rec) = p.facts.fact(*seq).filter(|r| !r.voided) else {
            continue;
        };
        if let Fact::Feedback { status, .. } = rec.fact {
            first = Some(first.map_or(rec.at_us, |f| f.min(rec.at_us)));
            if latest.is_none_or(|(k, _)| (rec.at_us, *seq) > k) {
                latest = Some(((rec.at_us, *seq), status));
            }
        }
    }
    let status = latest.map_or(LoopStatus::Open, |(_, s)| LoopStatus::Reported(s));
    (first, status)
}

/// Lists leads as `q` asks, as of `now_us`. Pure.
pub fn list_leads(p: &Projection, q: &LeadQuery, now_us: i64) -> LeadPage {
    let org = &p.org;
    let start = org.leads.partition_point(|l| l.seq <= q.after);
    let mut leads = Vec::new();
    let mut next = None;
    for l in &org.leads[start..] {
        if l.voided || l.at_us < q.from_us || l.at_us >= q.to_us {
            continue;
        }
        if q.division.is_some_and(|d| d != l.to_division)
            || q.seller
                .is_some_and(|s| s != l.giver && l.owner() != Some(s))
            || (q.unassigned && l.owner().is_some())
        {
            continue;
        }
        let (first, status) = loop_of(p, l);
        let rules = p.score.timeline.at(l.at_us);
        let overdue = first.is_none() && is_overdue(l.at_us, rules, p.tz, now_us);
        let keep = match q.status {
            None => true,
            Some(StatusFilter::Open) => first.is_none(),
            Some(StatusFilter::Overdue) => overdue,
            Some(StatusFilter::Is(s)) => status == LoopStatus::Reported(s),
        };
        if !keep {
            continue;
        }
        if leads.len() == q.limit {
            next = leads.last().map(|r: &LeadRow| r.seq);
            break;
        }
        let name = |s: SellerIx| org.sellers[s as usize].id.clone();
        leads.push(LeadRow {
            lead: l.id.clone(),
            seq: l.seq,
            customer: l.customer.clone(),
            from: name(l.giver),
            from_division: org.divisions[l.giver_division as usize].id.clone(),
            to_division: org.divisions[l.to_division as usize].id.clone(),
            to_seller: l.owner().map(name),
            claimed: l.claim.is_some(),
            given_at: format_us(l.at_us),
            status: status.as_str(),
            first_feedback_at: first.map(format_us),
            age_hours: hours_between(l.at_us, now_us).max(0.0),
            overdue,
            due_at: format_us(crate::domain::sla::deadline_us(l.at_us, rules, p.tz)),
        });
    }
    LeadPage { leads, next }
}

/// Every overdue lead as of `now_us`, grouped by receiving division in
/// division order, oldest first within each: what the daily
/// `feedback_overdue` digest and the forum's overdue section say. One pass
/// over the leads (the digest runs once a day; the forum reads it per pair).
pub fn overdue_by_division(p: &Projection, now_us: i64) -> Vec<(DivisionIx, Vec<LeadRow>)> {
    let q = LeadQuery {
        status: Some(StatusFilter::Overdue),
        from_us: i64::MIN,
        to_us: i64::MAX,
        limit: usize::MAX,
        ..LeadQuery::default()
    };
    let mut groups: std::collections::BTreeMap<DivisionIx, Vec<LeadRow>> = Default::default();
    for row in list_leads(p, &q, now_us).leads {
        if let Some(d) = p.org.division(&row.to_division) {
            groups.entry(d).or_default().push(row);
        }
    }
    groups
        .into_iter()
        .map(|(d, mut rows)| {
            // By business time (leads are kept in seq order, so the search
            // finds each); the strings would not sort: "…00.5Z" < "…00Z".
            let at = |seq: u64| {
                let leads = &p.org.leads;
                leads
                    .binary_search_by_key(&seq, |l| l.seq)
                    .map_or(i64::MAX, |i| leads[i].at_us)
            };
            rows.sort_by_key(|r| (at(r.seq), r.seq));
            (d, rows)
        })
        .collect()
}
