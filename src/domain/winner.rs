//! Who won: one rule for every surface (competition API, wall highlights,
//! webhooks), so a screen never celebrates someone the API does not name.

use serde::Serialize;

/// One division's row in a contest's standings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Standing {
    pub rank: u32,
    pub id: String,
    pub name: String,
    /// What the ranking shows: the sum, or points per seller rounded to a
    /// tenth for display. Ranks come from the exact values, never this.
    pub points: f64,
    pub total: i64,
    pub sellers: usize,
}

/// The winners of ranked standings: everyone at rank 1, provided they
/// earned something. A contest nobody scored in has no winner (a 0-point
/// "win" is not worth a trophy); a tie at the top is a shared win.
pub fn winners(rows: &[Standing]) -> Vec<&Standing> {
    rows.iter().filter(|r| r.rank == 1 && r.total > 0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(rank: u32, id: &str, total: i64) -> Standing {
        Standing {
            rank,
            id: id.into(),
            name: id.into(),
            points: total as f64,
            total,
            sellers: 1,
        }
    }

    #[test]
    fn zero_point_ties_have_no_winner_and_ties_share() {
        assert!(winners(&[row(1, "a", 0), row(1, "b", 0)]).is_empty());
        let rows = [row(1, "a", 5), row(1, "b", 5), row(3, "c", 1)];
        let ids: Vec<&str> = winners(&rows).iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, vec!["a", "b"]);
        assert_eq!(winners(&[row(1, "a", 7), row(2, "b", 3)]).len(), 1);
    }
}
