//! Who belonged where, and when: the one membership history that both
//! crediting (which division earns an event) and headcounts (how many
//! sellers a division had in a period) read, so per-seller scoring can
//! never divide a division's points by zero heads.

use std::cmp::Ordering;
use std::collections::HashSet;

use crate::domain::org::{DivisionIx, Org, SellerIx};

impl Org {
    /// The division a seller belonged to at an instant: the latest move (or
    /// joining) at or before it, later log entries winning ties; before
    /// joining, the division they joined.
    pub fn division_at(&self, seller: SellerIx, at_us: i64) -> DivisionIx {
        let s = &self.sellers[seller as usize];
        let mut best: Option<(i64, DivisionIx)> = None;
        for (t, d) in &s.moves {
            if *t <= at_us && best.is_none_or(|(bt, _)| *t >= bt) {
                best = Some((*t, *d));
            }
        }
        best.map(|(_, d)| d)
            .or_else(|| s.moves.first().map(|(_, d)| *d))
            .unwrap_or(s.division)
    }

    /// The earliest instant the log places a seller in any division.
    pub fn joined_at(&self, seller: SellerIx) -> i64 {
        let s = &self.sellers[seller as usize];
        s.moves.iter().map(|(t, _)| *t).min().unwrap_or(i64::MIN)
    }
}

/// Sellers who belonged to each division at some instant of
/// `[from_us, to_us)`, by the same history crediting uses; a seller who
/// moved counts for each division they were in. `credited` lists the
/// (seller, division) pairs that earned points in the period: they count
/// too, so history back-dated before a join still has a head behind it.
pub fn headcounts(
    org: &Org,
    from_us: i64,
    to_us: i64,
    credited: impl IntoIterator<Item = (SellerIx, DivisionIx)>,
) -> Vec<usize> {
    let mut members: HashSet<(SellerIx, DivisionIx)> = credited.into_iter().collect();
    for (i, s) in org.sellers.iter().enumerate() {
        let ix = i as SellerIx;
        let lo = from_us.max(org.joined_at(ix));
        let hi = to_us.min(s.left_at.unwrap_or(i64::MAX));
        if lo >= hi {
            continue;
        }
        members.insert((ix, org.division_at(ix, lo)));
        for (t, _) in s.moves.iter().filter(|(t, _)| lo < *t && *t < hi) {
            members.insert((ix, org.division_at(ix, *t)));
        }
    }
    let mut heads = vec![0usize; org.divisions.len()];
    for (_, d) in members {
        if let Some(h) = heads.get_mut(d as usize) {
            *h += 1;
        }
    }
    heads
}

/// Points per head rounded to one decimal for display; nobody scores 0.
/// Never rank by this: use [`cmp_per_seller`].
pub fn per_seller(points: i64, heads: usize) -> f64 {
    if heads == 0 {
        0.0
    } else {
        (points as f64 / heads as f64 * 10.0).round() / 10.0
    }
}

/// Compares two points-per-seller ratios exactly (`a_total / a_heads`
/// against `b_total / b_heads`) by cross-multiplying in i128, so 100/3 and
/// 333/10 are different however they round. No heads means a ratio of 0.
pub fn cmp_per_seller(a: (i64, usize), b: (i64, usize)) -> Ordering {
    let norm = |(t, h): (i64, usize)| {
        if h == 0 {
            (0i128, 1i128)
        } else {
            (t as i128, h as i128)
        }
    };
    let (at, ah) = norm(a);
    let (bt, bh) = norm(b);
    (at * bh).cmp(&(bt * ah))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::Event;

    #[test]
    fn per_seller_rounds_and_handles_empty() {
        assert_eq!(per_seller(10, 3), 3.3);
        assert_eq!(per_seller(10, 0), 0.0);
    }

    #[test]
    fn ratios_compare_exactly() {
        // Both display as 33.3, but 100/3 = 33.33.. > 333/10 = 33.3.
        assert_eq!(per_seller(100, 3), per_seller(333, 10));
        assert_eq!(cmp_per_seller((100, 3), (333, 10)), Ordering::Greater);
        assert_eq!(cmp_per_seller((200, 6), (100, 3)), Ordering::Equal);
        assert_eq!(cmp_per_seller((5, 0), (0, 4)), Ordering::Equal);
    }

    #[test]
    fn division_at_follows_moves_and_heads_follow_it() {
        let mut o = crate::domain::org::test_org();
        let mv = Event::SellerMoved {
            seller: "anna".into(),
            division: "b".into(),
        };
        o.apply(9, 100, &mv);
        assert_eq!(o.division_at(0, 99), 0);
        assert_eq!(o.division_at(0, 100), 1);
        // anna was in a and b during [0, 200): both count her.
        assert_eq!(headcounts(&o, 0, 200, []), vec![2, 2]);
        assert_eq!(headcounts(&o, 100, 200, []), vec![1, 2]);
        // Before anyone joined nobody counts, unless credited.
        assert_eq!(headcounts(&o, -50, -1, []), vec![0, 0]);
        assert_eq!(headcounts(&o, -50, -1, [(1, 1)]), vec![0, 1]);
    }
}
