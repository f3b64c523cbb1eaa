//! Standard competition ranking: equal points share a rank and the next
//! rank skips (1, 2, 2, 4), so a tie never hides how many are ahead of you.

/// Sorts `rows` by points (highest first, then by `tiebreak` for a stable
/// order) and returns each row's rank in that order.
pub fn rank_by<T>(
    rows: &mut [T],
    points: impl Fn(&T) -> i64,
    tiebreak: impl Fn(&T) -> &str,
) -> Vec<u32> {
    rows.sort_by(|a, b| {
        points(b)
            .cmp(&points(a))
            .then_with(|| tiebreak(a).cmp(tiebreak(b)))
    });
    let mut ranks = Vec::with_capacity(rows.len());
    for i in 0..rows.len() {
        if i > 0 && points(&rows[i]) == points(&rows[i - 1]) {
            ranks.push(ranks[i - 1]);
        } else {
            ranks.push(i as u32 + 1);
        }
    }
    ranks
}

/// Like [`rank_by`] for values that are not plain integers (exact ratios):
/// `cmp(a, b)` says how `a`'s value compares to `b`'s, and rows share a
/// rank exactly when it says `Equal`.
pub fn rank_with<T>(
    rows: &mut [T],
    cmp: impl Fn(&T, &T) -> std::cmp::Ordering,
    tiebreak: impl Fn(&T) -> &str,
) -> Vec<u32> {
    rows.sort_by(|a, b| cmp(b, a).then_with(|| tiebreak(a).cmp(tiebreak(b))));
    let mut ranks: Vec<u32> = Vec::with_capacity(rows.len());
    for i in 0..rows.len() {
        if i > 0 && cmp(&rows[i], &rows[i - 1]).is_eq() {
            ranks.push(ranks[i - 1]);
        } else {
            ranks.push(i as u32 + 1);
        }
    }
    ranks
}

/// The best `limit` of `rows`, ranked, without sorting the rest: a board of
/// 10,000 sellers cut to 100 rows costs O(n) selection plus O(limit log
/// limit), not a full sort per frame.
///
/// `order` is the board's total order (best first, ties broken so no two
/// rows compare equal) and `tied(a, b)` says whether two rows share a rank.
/// `rows` is left holding exactly the kept rows, in rank order; returns
/// their ranks (1, 2, 2, 4, as [`rank_by`]) and how many rows past the cut
/// share the last kept rank. Ranks stay right because every row that beats
/// a kept row sorts before it, so it is kept too.
pub fn rank_top<T>(
    rows: &mut Vec<T>,
    limit: usize,
    order: impl Fn(&T, &T) -> std::cmp::Ordering,
    tied: impl Fn(&T, &T) -> bool,
) -> (Vec<u32>, usize) {
    let keep = limit.min(rows.len());
    let mut tied_beyond = 0;
    if keep == 0 {
        rows.clear();
    } else if keep < rows.len() {
        rows.select_nth_unstable_by(keep - 1, &order);
        let (kept, rest) = rows.split_at(keep);
        // The last kept row: the greatest of the kept part in `order`.
        if let Some(last) = kept.iter().max_by(|a, b| order(a, b)) {
            tied_beyond = rest.iter().filter(|r| tied(r, last)).count();
        }
        rows.truncate(keep);
    }
    rows.sort_unstable_by(&order);
    let mut ranks: Vec<u32> = Vec::with_capacity(rows.len());
    for i in 0..rows.len() {
        if i > 0 && tied(&rows[i], &rows[i - 1]) {
            ranks.push(ranks[i - 1]);
        } else {
            ranks.push(i as u32 + 1);
        }
    }
    (ranks, tied_beyond)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_a_rank_and_the_next_skips() {
        let mut rows = vec![("d", 5), ("a", 10), ("c", 7), ("b", 7)];
        let ranks = rank_by(&mut rows, |r| r.1, |r| r.0);
        assert_eq!(rows, vec![("a", 10), ("b", 7), ("c", 7), ("d", 5)]);
        assert_eq!(ranks, vec![1, 2, 2, 4]);
    }

    #[test]
    fn all_tied_all_first() {
        let mut rows = vec![("x", 0), ("y", 0), ("z", 0)];
        assert_eq!(rank_by(&mut rows, |r| r.1, |r| r.0), vec![1, 1, 1]);
        assert!(rank_by(&mut Vec::<(&str, i64)>::new(), |r| r.1, |r| r.0).is_empty());
    }

    fn by_points(a: &(&str, i64), b: &(&str, i64)) -> std::cmp::Ordering {
        b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0))
    }

    #[test]
    fn top_cuts_exactly_and_counts_the_ties_left_out() {
        let mut rows = vec![("e", 1), ("d", 7), ("a", 10), ("c", 7), ("b", 7), ("f", 0)];
        let (ranks, tied) = rank_top(&mut rows, 3, by_points, |a, b| a.1 == b.1);
        assert_eq!(rows, vec![("a", 10), ("b", 7), ("c", 7)]);
        assert_eq!(ranks, vec![1, 2, 2]);
        assert_eq!(tied, 1, "d shares rank 2 past the cut");

        let mut rows = vec![("d", 5), ("a", 10), ("c", 7), ("b", 7), ("e", 1)];
        let (ranks, tied) = rank_top(&mut rows, 4, by_points, |a, b| a.1 == b.1);
        assert_eq!(ranks, vec![1, 2, 2, 4]);
        assert_eq!(rows[3], ("d", 5));
        assert_eq!(tied, 0);
    }

    #[test]
    fn top_of_a_board_where_everyone_ties() {
        let mut rows: Vec<(String, i64)> = (0..1000).map(|i| (format!("s{i:04}"), 0)).collect();
        let (ranks, tied) = rank_top(
            &mut rows,
            10,
            |a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)),
            |a, b| a.1 == b.1,
        );
        assert_eq!(rows.len(), 10);
        assert_eq!(rows[0].0, "s0000");
        assert_eq!(rows[9].0, "s0009");
        assert!(ranks.iter().all(|r| *r == 1), "{ranks:?}");
        assert_eq!(tied, 990);
    }

    #[test]
    fn top_matches_a_full_ranking() {
        // Deterministic pseudo-random points with many ties.
        let mut x: u64 = 7;
        let all: Vec<(String, i64)> = (0..500)
            .map(|i| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (format!("s{i}"), ((x >> 33) % 9) as i64 - 2)
            })
            .collect();
        let mut full = all.clone();
        let full_ranks = rank_by(&mut full, |r| r.1, |r| &r.0);
        for limit in [0, 1, 2, 17, 100, 499, 500, 600] {
            let mut top = all.clone();
            let (ranks, tied) = rank_top(
                &mut top,
                limit,
                |a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)),
                |a, b| a.1 == b.1,
            );
            let keep = limit.min(all.len());
            assert_eq!(top, full[..keep], "limit {limit}");
            assert_eq!(ranks, full_ranks[..keep], "limit {limit}");
            let expect = match keep.checked_sub(1) {
                Some(i) => full[keep..].iter().filter(|r| r.1 == full[i].1).count(),
                None => 0,
            };
            assert_eq!(tied, expect, "limit {limit}");
        }
    }
}
