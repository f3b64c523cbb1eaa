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
}
