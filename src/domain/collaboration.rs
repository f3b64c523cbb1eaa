//! What a leader reads to see whether cross-selling happens: every
//! division's and seller's lead-loop figures and collaboration points in a
//! window, with the organisation's totals.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::lead_stats::{lead_stats_all, LeadStats};
use crate::domain::projection::Projection;
use crate::domain::rows::window_us;
use crate::domain::rules::{ScoreKind, KIND_COUNT};
use crate::domain::time::{Window, WindowView};

/// Collaboration figures for every division and seller in a window: what a
/// leader reads to see whether cross-selling is happening. Overdue counts
/// are as of `now_us`.
pub fn collaboration(p: &Projection, window: &Window, now_us: i64) -> Collaboration {
    let (from, to) = window_us(window);
    let kinds = p.score.kind_totals(window);
    let mut seller_kinds = vec![[0i64; KIND_COUNT]; p.org.sellers.len()];
    let mut division_kinds = vec![[0i64; KIND_COUNT]; p.org.divisions.len()];
    for ((s, d), k) in &kinds {
        for i in 0..KIND_COUNT {
            seller_kinds[*s as usize][i] += k[i];
            division_kinds[*d as usize][i] += k[i];
        }
    }
    let (mut seller_stats, mut division_stats, total) = lead_stats_all(p, from, to, now_us);
    let mut delivery = crate::domain::delivery::division_delivery(p, from, to);
    let divisions: Vec<DivisionCollaboration> = p
        .org
        .divisions
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let mut st = std::mem::take(&mut division_stats[i]);
            st.collaboration_points = collaboration_points(&division_kinds[i]);
            DivisionCollaboration {
                id: d.id.clone(),
                name: d.name.clone(),
                stats: st,
                delivery: std::mem::take(&mut delivery[i]),
            }
        })
        .collect();
    let sellers: Vec<SellerCollaboration> = p
        .org
        .sellers
        .iter()
        .enumerate()
        .filter(|(i, s)| !s.left || seller_kinds[*i].iter().any(|k| *k != 0))
        .map(|(i, s)| {
            let mut st = std::mem::take(&mut seller_stats[i]);
            st.collaboration_points = collaboration_points(&seller_kinds[i]);
            SellerCollaboration {
                id: s.id.clone(),
                name: s.name.clone(),
                division: p.org.divisions[s.division as usize].id.clone(),
                stats: st,
            }
        })
        .collect();
    let total_points: i64 = division_kinds.iter().map(collaboration_points).sum();
    Collaboration {
        seq: p.seq(),
        window: window.view(),
        collaboration_value: total.collaboration_value,
        commission_value: total.commission_value,
        giver_commission_value: total.giver_commission_value,
        collaboration_points: total_points,
        divisions,
        sellers,
    }
}

/// Collaboration figures of a window, as `GET /api/v1/collaboration` sends.
#[derive(Debug, Clone, Serialize)]
pub struct Collaboration {
    pub seq: u64,
    pub window: WindowView,
    /// Order value from leads, per currency; each order counted once.
    pub collaboration_value: BTreeMap<String, i64>,
    /// Commission those orders created, per currency; each order once.
    pub commission_value: BTreeMap<String, i64>,
    /// The givers' share of that commission, per currency.
    pub giver_commission_value: BTreeMap<String, i64>,
    pub collaboration_points: i64,
    pub divisions: Vec<DivisionCollaboration>,
    pub sellers: Vec<SellerCollaboration>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DivisionCollaboration {
    pub id: String,
    pub name: String,
    pub stats: LeadStats,
    /// Delivery reports on the division's orders closed in the window.
    pub delivery: crate::domain::delivery::DeliveryStats,
}

#[derive(Debug, Clone, Serialize)]
pub struct SellerCollaboration {
    pub id: String,
    pub name: String,
    pub division: String,
    pub stats: LeadStats,
}

const COLLABORATION_KINDS: [ScoreKind; 13] = [
    ScoreKind::Lead,
    ScoreKind::Feedback,
    ScoreKind::JointVisit,
    ScoreKind::LeadShare,
    ScoreKind::LeadWon,
    ScoreKind::Mastermind,
    ScoreKind::CustomerEvent,
    ScoreKind::Delivered,
    ScoreKind::FirstPair,
    ScoreKind::LeadQualified,
    ScoreKind::LeadMeeting,
    ScoreKind::KnowledgePresented,
    ScoreKind::KnowledgeAttended,
];

pub fn collaboration_points(kinds: &[i64; KIND_COUNT]) -> i64 {
    COLLABORATION_KINDS.iter().map(|k| kinds[k.index()]).sum()
}
