//! A seller's page and the collaboration figures a leader reads: the lead
//! loop (given, received, answered, won) and the value it created.

use std::collections::BTreeMap;

use serde::Serialize;

pub use crate::domain::collaboration::{
    collaboration, collaboration_points, Collaboration, DivisionCollaboration, SellerCollaboration,
};
use crate::domain::event::FeedbackStatus;
use crate::domain::knowledge::{seller_knowledge, KnowledgeCounts};
pub use crate::domain::lead_stats::{lead_stats, LeadStats, Who};
use crate::domain::org::SellerIx;
use crate::domain::projection::Projection;
use crate::domain::quality::{giver_quality, QualityCounts};
use crate::domain::rows::{seller_board, window_us};
use crate::domain::rules::ScoreKind;
use crate::domain::score::{credits, lead_has_order, Fact, Facts};
use crate::domain::time::Window;

/// One seller's page: rank, points by kind, the lead loop and recent credits.
#[derive(Debug, Clone, Serialize)]
pub struct Profile {
    pub id: String,
    pub name: String,
    pub division: String,
    pub division_name: String,
    pub left: bool,
    pub rank: Option<u32>,
    pub points: i64,
    pub points_by_kind: BTreeMap<&'static str, i64>,
    /// Won bonuses on this seller's leads still waiting for an order on the
    /// lead: a "won" report alone pays nothing.
    pub pending_points: i64,
    pub stats: LeadStats,
    /// Share of this seller's leads given in the window that reached a
    /// meeting or better (see [`crate::domain::quality`]); `None` without
    /// leads. Counts in `lead_quality_counts`.
    pub lead_quality: Option<f64>,
    pub lead_quality_counts: QualityCounts,
    /// `knowledge_shared` sessions presented and attended in the window.
    pub knowledge: KnowledgeCounts,
    pub leads_given: Vec<LeadSummary>,
    pub leads_received: Vec<LeadSummary>,
    pub recent: Vec<RecentCredit>,
    /// Orders the seller's leads became, with their delivery status.
    pub deliveries: Vec<crate::domain::delivery::DeliverySummary>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LeadSummary {
    pub lead: String,
    pub seq: u64,
    pub customer: String,
    pub giver: String,
    pub to_division: String,
    pub to_seller: Option<String>,
    pub status: Option<FeedbackStatus>,
    pub occurred_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RecentCredit {
    pub seq: u64,
    pub occurred_at: String,
    pub kind: ScoreKind,
    pub points: i64,
}

/// One seller's page; overdue counts as of `now_us`.
pub fn profile(p: &Projection, seller: SellerIx, window: &Window, now_us: i64) -> Profile {
    let org = &p.org;
    let s = &org.sellers[seller as usize];
    let board = seller_board(p, &p.score, window);
    let row = board.iter().find(|r| r.id == s.id);
    let kinds = p.score.seller_kinds(seller, window);
    let (from, to) = window_us(window);
    let mut stats = lead_stats(p, Who::Seller(seller), from, to, now_us);
    let quality = giver_quality(p, seller, from, to);
    stats.collaboration_points = collaboration_points(&kinds);
    let summary = |l: &crate::domain::org::Lead| LeadSummary {
        lead: l.id.clone(),
        seq: l.seq,
        customer: l.customer.clone(),
        giver: org.sellers[l.giver as usize].id.clone(),
        to_division: org.divisions[l.to_division as usize].id.clone(),
        to_seller: l.owner().map(|t| org.sellers[t as usize].id.clone()),
        status: org.lead_status(org.lead(&l.id).unwrap_or_default(), |seq| {
            match p.facts.fact(seq) {
                Some(rec) if !rec.voided => match rec.fact {
                    Fact::Feedback { status, .. } => Some(status),
                    _ => None,
                },
                _ => None,
            }
        }),
        occurred_at: crate::domain::time::format_us(l.at_us),
    };
    let live = org.leads.iter().rev().filter(|l| !l.voided);
    let leads_given = live
        .clone()
        .filter(|l| l.giver == seller)
        .take(50)
        .map(summary)
        .collect();
    let leads_received = live
        .filter(|l| {
            l.owner() == Some(seller) || (l.owner().is_none() && l.to_division == s.division)
        })
        .take(50)
        .map(summary)
        .collect();
    Profile {
        id: s.id.clone(),
        name: s.name.clone(),
        division: org.divisions[s.division as usize].id.clone(),
        division_name: org.divisions[s.division as usize].name.clone(),
        left: s.left,
        rank: row.map(|r| r.rank),
        points: row.map(|r| r.points).unwrap_or(0),
        points_by_kind: ScoreKind::ALL
            .iter()
            .map(|k| (k.as_str(), kinds[k.index()]))
            .collect(),
        pending_points: pending_points(p, seller, from, to),
        stats,
        lead_quality: quality.ratio(),
        lead_quality_counts: quality,
        knowledge: seller_knowledge(p, seller, from, to),
        leads_given,
        leads_received,
        recent: recent_credits(p, seller, 20),
        deliveries: crate::domain::delivery::deliveries_for_giver(p, seller),
    }
}

/// Won bonuses the seller would get for their leads reported won within
/// `[from_us, to_us)` that no order has proven yet.
pub fn pending_points(p: &Projection, seller: SellerIx, from_us: i64, to_us: i64) -> i64 {
    let mut pending = 0i64;
    for l in p
        .org
        .leads
        .iter()
        .filter(|l| l.giver == seller && !l.voided)
    {
        if lead_has_order(l, &p.facts) {
            continue;
        }
        let first_won = l
            .feedback
            .iter()
            .filter_map(|s| p.facts.fact(*s).filter(|f| !f.voided).map(|f| (f, *s)))
            .filter(|(f, _)| {
                matches!(
                    f.fact,
                    Fact::Feedback {
                        status: FeedbackStatus::Won,
                        ..
                    }
                )
            })
            .min_by_key(|(f, s)| (f.at_us, *s));
        if let Some((f, _)) = first_won.filter(|(f, _)| f.at_us >= from_us && f.at_us < to_us) {
            let bonus = p.score.timeline.at(f.at_us).lead_won_bonus;
            pending = pending.saturating_add(bonus);
        }
    }
    pending
}

/// The latest events that credited `seller`, newest first. Looks back over
/// a bounded stretch of the log so the page stays cheap on a huge log.
pub fn recent_credits(p: &Projection, seller: SellerIx, limit: usize) -> Vec<RecentCredit> {
    let mut out = Vec::new();
    let mut buf = Vec::new();
    for seq in (1..=p.seq()).rev().take(100_000) {
        buf.clear();
        credits(seq, &p.facts, &p.org, &p.score.timeline, &mut buf);
        for c in buf.iter().filter(|c| c.seller == seller) {
            out.push(RecentCredit {
                seq,
                occurred_at: crate::domain::time::format_us(p.facts[seq as usize - 1].at_us),
                kind: c.kind,
                points: c.points,
            });
        }
        if out.len() >= limit {
            break;
        }
    }
    out.truncate(limit);
    out
}
