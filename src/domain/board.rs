//! Boards: the rankings people look at, cut from the projection for one
//! window, and the frames the API and the live socket send. Pure functions
//! of the projection. Profiles and collaboration figures live in
//! [`crate::domain::profile`] (re-exported here).

use serde::Serialize;

use crate::domain::competition::CompetitionView;
use crate::domain::projection::Projection;
use crate::domain::time::WindowView;

pub use crate::domain::profile::{
    collaboration, collaboration_points, lead_stats, pending_points, profile, recent_credits,
    Collaboration, LeadStats, LeadSummary, Profile, RecentCredit, Who,
};
pub use crate::domain::rows::{
    division_board, seller_board, seller_top, window_us, DivisionRow, DivisionScoring, SellerRow,
    Top,
};

/// Which board: the unit of HTTP reads and live subscriptions.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BoardSpec {
    pub kind: BoardKind,
    pub window: crate::domain::time::WindowKind,
    /// Send at most this many top rows, cut exactly: ties past the cut are
    /// counted (`tied_beyond`), not sent. A wall shows a dozen; 10,000
    /// sellers in every frame to every screen would be megabytes per change,
    /// and at the start of a window everyone ties.
    pub limit: Option<usize>,
    /// List sellers with 0 points. The HTTP board does (everyone still on
    /// the team is listed); live frames count them (`zeros_omitted`) unless
    /// a subscription asks, since on a quiet Monday they are nearly every
    /// row. Division boards always list every division: they are few, and
    /// a division at 0 is part of the standings.
    pub zeros: bool,
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
    /// Rows on the whole board (zeros included), before any cut.
    pub total: usize,
    /// Rows past the `limit` cut that share the last sent row's rank: the
    /// cut is exact, so a tie at it is told rather than sent.
    pub tied_beyond: usize,
    /// Rows at 0 points left out (live frames unless `zeros` is asked), so
    /// a wall can say "N more at 0".
    pub zeros_omitted: usize,
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
    let window = p.window(spec.window, at);
    let limit = spec.limit.unwrap_or(usize::MAX);
    let (top, scoring) = match &spec.kind {
        BoardKind::Sellers => {
            let t = seller_top(p, &p.score, &window, spec.limit, spec.zeros);
            (
                Top {
                    rows: Rows::Sellers(t.rows),
                    total: t.total,
                    tied_beyond: t.tied_beyond,
                    zeros_omitted: t.zeros_omitted,
                },
                None,
            )
        }
        BoardKind::Divisions { per_seller } => {
            let (scoring, name) = if *per_seller {
                (DivisionScoring::PerSeller, "per_seller")
            } else {
                (DivisionScoring::Sum, "sum")
            };
            // A handful of rows: ranking them all is cheap.
            let mut rows = division_board(p, &p.score, &window, scoring);
            let total = rows.len();
            let tied_beyond = cut_ranked(&mut rows, limit, |r| r.rank);
            (
                Top {
                    rows: Rows::Divisions(rows),
                    total,
                    tied_beyond,
                    zeros_omitted: 0,
                },
                Some(name),
            )
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
        total: top.total,
        tied_beyond: top.tied_beyond,
        zeros_omitted: top.zeros_omitted,
        scoring,
        rows: top.rows,
    }))
}

/// Cuts fully ranked `rows` to `limit` exactly; returns how many rows past
/// the cut share the last kept rank.
fn cut_ranked<R>(rows: &mut Vec<R>, limit: usize, rank: impl Fn(&R) -> u32) -> usize {
    let keep = limit.min(rows.len());
    let tied = match keep.checked_sub(1).map(|i| rank(&rows[i])) {
        Some(last) => rows[keep..].iter().take_while(|r| rank(r) == last).count(),
        None => 0,
    };
    rows.truncate(keep);
    tied
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::{Envelope, Event, FORMAT_VERSION};
    use crate::domain::time::WindowKind;
    use chrono::{TimeZone, Utc};

    /// A Wednesday noon: the week window runs from the Monday before.
    fn noon() -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 11, 12, 0, 0).unwrap()
    }

    fn apply(p: &mut Projection, event: Event) {
        let at = crate::domain::time::micros(noon());
        p.apply(&Envelope {
            format: FORMAT_VERSION,
            seq: p.seq() + 1,
            id: format!("e{}", p.seq() + 1),
            occurred_at: at,
            recorded_at: at,
            actor: "test".into(),
            event,
        });
    }

    /// Two divisions and `n` sellers `s00000..`, nobody with points yet.
    fn org(n: usize) -> Projection {
        let mut p = Projection::new(chrono_tz::Europe::Stockholm);
        for d in ["a", "b"] {
            apply(
                &mut p,
                Event::DivisionCreated {
                    id: d.into(),
                    name: d.to_uppercase(),
                },
            );
        }
        for i in 0..n {
            apply(
                &mut p,
                Event::SellerJoined {
                    id: format!("s{i:05}"),
                    name: format!("Seller {i}"),
                    division: if i % 2 == 0 { "a" } else { "b" }.into(),
                },
            );
        }
        p
    }

    fn meetings(p: &mut Projection, seller: &str, n: usize) {
        for _ in 0..n {
            apply(
                p,
                Event::MeetingHeld {
                    seller: seller.into(),
                    customer: "Acme".into(),
                    lead: None,
                },
            );
        }
    }

    fn sellers(p: &Projection, limit: usize, zeros: bool) -> BoardFrame {
        let spec = BoardSpec {
            kind: BoardKind::Sellers,
            window: WindowKind::Week,
            limit: Some(limit),
            zeros,
        };
        match render(p, &spec, noon()) {
            Some(Frame::Board(f)) => f,
            other => panic!("a seller board, got {other:?}"),
        }
    }

    fn seller_rows(f: &BoardFrame) -> Vec<(String, u32, i64)> {
        match &f.rows {
            Rows::Sellers(rows) => rows
                .iter()
                .map(|r| (r.id.clone(), r.rank, r.points))
                .collect(),
            Rows::Divisions(_) => panic!("seller rows"),
        }
    }

    #[test]
    fn everyone_at_zero_stays_bounded() {
        let p = org(10_000);
        let f = sellers(&p, 100, true);
        let rows = seller_rows(&f);
        assert_eq!(rows.len(), 100);
        assert!(rows.iter().all(|(_, rank, pts)| *rank == 1 && *pts == 0));
        assert_eq!(rows[0].0, "s00000", "ties in id order");
        assert_eq!(rows[99].0, "s00099");
        assert_eq!(
            (f.total, f.tied_beyond, f.zeros_omitted),
            (10_000, 9_900, 0)
        );

        // Live mode: zeros are counted, not sent.
        let f = sellers(&p, 100, false);
        assert!(seller_rows(&f).is_empty());
        assert_eq!(
            (f.total, f.tied_beyond, f.zeros_omitted),
            (10_000, 0, 10_000)
        );
        let json = serde_json::to_value(Frame::Board(f)).unwrap();
        assert_eq!(json["rows"], serde_json::json!([]));
        assert_eq!(json["tied_beyond"], 0);
        assert_eq!(json["zeros_omitted"], 10_000);
        assert_eq!(json["total"], 10_000);
    }

    #[test]
    fn few_with_points_and_the_rest_at_zero() {
        let mut p = org(10_000);
        meetings(&mut p, "s00500", 2);
        meetings(&mut p, "s00007", 1);
        let f = sellers(&p, 100, false);
        let rows = seller_rows(&f);
        assert_eq!(
            rows.iter().map(|r| (r.0.as_str(), r.1)).collect::<Vec<_>>(),
            [("s00500", 1), ("s00007", 2)]
        );
        assert_eq!(
            (f.total, f.tied_beyond, f.zeros_omitted),
            (10_000, 0, 9_998)
        );

        // With zeros: exactly 100 rows, the zeros ranked 3 behind them.
        let f = sellers(&p, 100, true);
        let rows = seller_rows(&f);
        assert_eq!(rows.len(), 100);
        assert_eq!(rows[2], ("s00000".to_string(), 3, 0));
        assert_eq!((f.tied_beyond, f.zeros_omitted), (9_998 - 98, 0));
    }

    #[test]
    fn ties_at_the_cut_are_counted_and_ranks_kept() {
        let mut p = org(8);
        meetings(&mut p, "s00003", 3);
        for s in ["s00001", "s00002", "s00005"] {
            meetings(&mut p, s, 2);
        }
        meetings(&mut p, "s00000", 1);
        let ranks = |f: &BoardFrame| {
            seller_rows(f)
                .into_iter()
                .map(|(id, rank, _)| (id, rank))
                .collect::<Vec<_>>()
        };
        let f = sellers(&p, 3, true);
        assert_eq!(
            ranks(&f),
            [
                ("s00003".into(), 1),
                ("s00001".into(), 2),
                ("s00002".into(), 2)
            ]
        );
        assert_eq!(f.tied_beyond, 1, "s00005 shares rank 2 past the cut");

        let f = sellers(&p, 5, true);
        let r = ranks(&f);
        assert_eq!(
            r.iter().map(|(_, rank)| *rank).collect::<Vec<_>>(),
            [1, 2, 2, 2, 5]
        );
        assert_eq!(r[4].0, "s00000");
        assert_eq!(f.tied_beyond, 0);

        // Cut inside the zeros: 3 more at 0 share rank 6.
        let f = sellers(&p, 6, true);
        assert_eq!(ranks(&f)[5], ("s00004".into(), 6));
        assert_eq!((f.total, f.tied_beyond), (8, 2));
    }

    #[test]
    fn the_cut_is_the_head_of_the_full_board() {
        let mut p = org(300);
        for i in 0..300 {
            meetings(&mut p, &format!("s{i:05}"), (i * 7919) % 5);
        }
        let window = crate::domain::time::Window::containing(WindowKind::Week, noon(), p.tz);
        let full = seller_board(&p, &p.score, &window);
        let zeros = full.iter().filter(|r| r.points == 0).count();
        assert!(zeros > 0 && zeros < 300);
        for limit in [1, 10, 59, 60, 61, 250, 300, 1000] {
            let f = sellers(&p, limit, true);
            let Rows::Sellers(rows) = &f.rows else {
                panic!("seller rows")
            };
            assert_eq!(rows[..], full[..limit.min(300)], "limit {limit}");
            let last = rows[rows.len() - 1].rank;
            let beyond = full[rows.len()..].iter().filter(|r| r.rank == last).count();
            assert_eq!(f.tied_beyond, beyond, "limit {limit}");

            let f = sellers(&p, limit, false);
            let Rows::Sellers(rows) = &f.rows else {
                panic!("seller rows")
            };
            let nonzero: Vec<&SellerRow> = full.iter().filter(|r| r.points != 0).collect();
            let keep = limit.min(nonzero.len());
            assert_eq!(
                rows.iter().collect::<Vec<_>>(),
                nonzero[..keep],
                "limit {limit}"
            );
            assert_eq!(f.zeros_omitted, zeros);
        }
    }

    #[test]
    fn division_boards_are_cut_too() {
        let p = org(4);
        let spec = BoardSpec {
            kind: BoardKind::Divisions { per_seller: false },
            window: WindowKind::Week,
            limit: Some(1),
            zeros: false,
        };
        let Some(Frame::Board(f)) = render(&p, &spec, noon()) else {
            panic!("a division board")
        };
        let Rows::Divisions(rows) = &f.rows else {
            panic!("division rows")
        };
        assert_eq!(rows.len(), 1, "divisions at 0 are listed, up to the limit");
        assert_eq!((f.total, f.tied_beyond, f.zeros_omitted), (2, 1, 0));
    }
}
