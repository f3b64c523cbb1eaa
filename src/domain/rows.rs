//! Board rows: sellers and divisions ranked for one window. The ground
//! the boards, profiles and previews all stand on.

use serde::Serialize;

use crate::domain::membership::{cmp_per_seller, headcounts, per_seller};
use crate::domain::projection::Projection;
use crate::domain::ranking::{rank_by, rank_top, rank_with};
use crate::domain::score::Scoreboard;
use crate::domain::time::Window;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SellerRow {
    pub rank: u32,
    pub id: String,
    pub name: String,
    pub division: String,
    pub division_name: String,
    pub points: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DivisionRow {
    pub rank: u32,
    pub id: String,
    pub name: String,
    pub points: i64,
    /// Sellers who belonged to the division at any time in the window.
    pub sellers: usize,
    /// Points per seller, to compare divisions of different sizes.
    pub per_seller: f64,
}

/// How a division board is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DivisionScoring {
    Sum,
    PerSeller,
}

/// Sellers ranked by points in a window. Everyone still on the team is
/// listed (a zero is information too); people who left appear only while
/// they have points in the window.
pub fn seller_board(p: &Projection, score: &Scoreboard, window: &Window) -> Vec<SellerRow> {
    let org = &p.org;
    let points = score.seller_points(window, org.sellers.len());
    let mut rows: Vec<SellerRow> = org
        .sellers
        .iter()
        .zip(&points)
        .filter(|(s, pts)| !s.left || **pts != 0)
        .map(|(s, pts)| {
            let d = &org.divisions[s.division as usize];
            SellerRow {
                rank: 0,
                id: s.id.clone(),
                name: s.name.clone(),
                division: d.id.clone(),
                division_name: d.name.clone(),
                points: *pts,
            }
        })
        .collect();
    let ranks = rank_by(&mut rows, |r| r.points, |r| &r.id);
    for (row, rank) in rows.iter_mut().zip(ranks) {
        row.rank = rank;
    }
    rows
}

/// The top of a board and what the cut left out, so a frame stays bounded
/// whatever the ties and still says how much it does not show.
#[derive(Debug, Clone, PartialEq)]
pub struct Top<R> {
    /// At most `limit` rows, in rank order, with the ranks of the whole board.
    pub rows: R,
    /// Rows on the whole board, zeros included (what [`seller_board`] lists).
    pub total: usize,
    /// Rows past the cut that share the last kept row's rank.
    pub tied_beyond: usize,
    /// Rows with 0 points left out because zeros were not asked for.
    pub zeros_omitted: usize,
}

/// The best `limit` rows of [`seller_board`], without building or sorting
/// the other rows: at the start of every window most of 10,000 sellers tie
/// at 0, and a frame that kept every tie at the cut carried all of them.
/// With `zeros` false, sellers at 0 points are counted instead of listed;
/// rows below 0 then rank behind every omitted zero, as on the full board.
pub fn seller_top(
    p: &Projection,
    score: &Scoreboard,
    window: &Window,
    limit: Option<usize>,
    zeros: bool,
) -> Top<Vec<SellerRow>> {
    let org = &p.org;
    let points = score.seller_points(window, org.sellers.len());
    let mut total = 0;
    let mut zeros_omitted = 0;
    // (points, seller index): 16 bytes a seller, no strings cloned.
    let mut candidates: Vec<(i64, usize)> = Vec::new();
    for (i, (s, &pts)) in org.sellers.iter().zip(&points).enumerate() {
        if s.left && pts == 0 {
            continue;
        }
        total += 1;
        if pts == 0 && !zeros {
            zeros_omitted += 1;
        } else {
            candidates.push((pts, i));
        }
    }
    let (ranks, tied_beyond) = rank_top(
        &mut candidates,
        limit.unwrap_or(usize::MAX),
        |a, b| {
            b.0.cmp(&a.0)
                .then_with(|| org.sellers[a.1].id.cmp(&org.sellers[b.1].id))
        },
        |a, b| a.0 == b.0,
    );
    let behind_zeros = u32::try_from(zeros_omitted).unwrap_or(u32::MAX);
    let rows = candidates
        .iter()
        .zip(ranks)
        .map(|(&(pts, i), rank)| {
            let s = &org.sellers[i];
            let d = &org.divisions[s.division as usize];
            SellerRow {
                rank: if pts < 0 {
                    rank.saturating_add(behind_zeros)
                } else {
                    rank
                },
                id: s.id.clone(),
                name: s.name.clone(),
                division: d.id.clone(),
                division_name: d.name.clone(),
                points: pts,
            }
        })
        .collect();
    Top {
        rows,
        total,
        tied_beyond,
        zeros_omitted,
    }
}

/// Divisions ranked by total points, or by points per seller.
pub fn division_board(
    p: &Projection,
    score: &Scoreboard,
    window: &Window,
    scoring: DivisionScoring,
) -> Vec<DivisionRow> {
    let org = &p.org;
    let points = score.division_points(window, org.divisions.len());
    let (from, to) = window_us(window);
    let heads = headcounts(org, from, to, score.credited(window));
    let mut rows: Vec<DivisionRow> = org
        .divisions
        .iter()
        .enumerate()
        .map(|(i, d)| DivisionRow {
            rank: 0,
            id: d.id.clone(),
            name: d.name.clone(),
            points: points[i],
            sellers: heads[i],
            per_seller: per_seller(points[i], heads[i]),
        })
        .collect();
    // Per seller ranks on the exact ratio: 100/3 beats 333/10 even though
    // both show as 33.3.
    let ranks = match scoring {
        DivisionScoring::Sum => rank_by(&mut rows, |r| r.points, |r| &r.id),
        DivisionScoring::PerSeller => rank_with(
            &mut rows,
            |a, b| cmp_per_seller((a.points, a.sellers), (b.points, b.sellers)),
            |r| &r.id,
        ),
    };
    for (row, rank) in rows.iter_mut().zip(ranks) {
        row.rank = rank;
    }
    rows
}

/// A window as a range of UTC microseconds.
pub fn window_us(window: &Window) -> (i64, i64) {
    (
        window
            .start
            .map(crate::domain::time::micros)
            .unwrap_or(i64::MIN),
        window
            .end
            .map(crate::domain::time::micros)
            .unwrap_or(i64::MAX),
    )
}
