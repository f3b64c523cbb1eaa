//! Boards: the rankings people look at, cut from the projection for one
//! window, and the frames the API and the live socket send. Pure functions
//! of the projection. Profiles and collaboration figures live in
//! [`crate::domain::profile`] (re-exported here).

use serde::Serialize;

use crate::domain::competition::CompetitionView;
use crate::domain::projection::Projection;
use crate::domain::time::{Window, WindowView};

pub use crate::domain::profile::{
    collaboration, collaboration_points, lead_stats, pending_points, profile, recent_credits,
    Collaboration, LeadStats, LeadSummary, Profile, RecentCredit, Who,
};
pub use crate::domain::rows::{
    division_board, seller_board, window_us, DivisionRow, DivisionScoring, SellerRow,
};

/// Which board: the unit of HTTP reads and live subscriptions.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BoardSpec {
    pub kind: BoardKind,
    pub window: crate::domain::time::WindowKind,
    /// Send only the top rows (ties at the cut included). A wall shows a
    /// dozen; 10,000 sellers in every frame to every screen would be
    /// megabytes per change.
    pub limit: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BoardKind {
    Sellers,
    Divisions { per_seller: bool },
    Competition(String),
}

impl BoardSpec {
    /// The name a live subscription uses: `sellers`, `divisions`,
    /// `competition:<id>`.
    pub fn name(&self) -> String {
        match &self.kind {
            BoardKind::Sellers => "sellers".into(),
            BoardKind::Divisions { .. } => "divisions".into(),
            BoardKind::Competition(id) => format!("competition:{id}"),
        }
    }
}

/// A frame as the API and the live socket send it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Frame {
    Board(BoardFrame),
    Competition(Box<CompetitionView>),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BoardFrame {
    pub seq: u64,
    pub board: String,
    pub window: WindowView,
    /// Rows before the `limit` cut.
    pub total: usize,
    /// How a division board is ranked (the name alone does not say).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scoring: Option<&'static str>,
    pub rows: Rows,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Rows {
    Sellers(Vec<SellerRow>),
    Divisions(Vec<DivisionRow>),
}

/// Renders a board as the API and the live socket send it. `None` when it
/// names a competition that does not exist.
pub fn render(
    p: &Projection,
    spec: &BoardSpec,
    at: chrono::DateTime<chrono::Utc>,
) -> Option<Frame> {
    let window = Window::containing(spec.window, at, p.tz);
    let cut = |rows: usize| spec.limit.unwrap_or(usize::MAX).min(rows);
    let (total, scoring, rows) = match &spec.kind {
        BoardKind::Sellers => {
            let mut rows = seller_board(p, &p.score, &window);
            let total = rows.len();
            let keep = cut(rows.len());
            // Keep everyone who shares the last kept rank.
            let keep = match keep.checked_sub(1).map(|i| rows[i].rank) {
                Some(last) => rows.iter().take_while(|r| r.rank <= last).count(),
                None => 0,
            };
            rows.truncate(keep);
            (total, None, Rows::Sellers(rows))
        }
        BoardKind::Divisions { per_seller } => {
            let (scoring, name) = if *per_seller {
                (DivisionScoring::PerSeller, "per_seller")
            } else {
                (DivisionScoring::Sum, "sum")
            };
            let rows = division_board(p, &p.score, &window, scoring);
            (rows.len(), Some(name), Rows::Divisions(rows))
        }
        BoardKind::Competition(id) => {
            let c = p.competition(id)?;
            let mut v = crate::domain::competition::view(p, c, at);
            v.seq = Some(p.seq());
            v.board = Some(spec.name());
            return Some(Frame::Competition(Box::new(v)));
        }
    };
    Some(Frame::Board(BoardFrame {
        seq: p.seq(),
        board: spec.name(),
        window: window.view(),
        total,
        scoring,
        rows,
    }))
}
