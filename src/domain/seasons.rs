//! Seasons and the hall of fame.
//!
//! A season is a calendar window of `rules.season` (a quarter by default).
//! A season the server lived through is frozen into the hall of fame by
//! the first event recorded more than [`GRACE_US`] after its end (late
//! reports of its last days still count, then nothing changes it), keeping
//! the top three sellers, the top division and every seller's total, so a
//! seller's lifetime best season survives every later season and reset.
//! Seasons that were already over when their events were recorded (an
//! imported history) have nothing to freeze against: they are read from
//! the log as it stands, and marked so.

use crate::domain::org::{DivisionIx, SellerIx};
use crate::domain::projection::Projection;
use crate::domain::rules::RuleSet;
use crate::domain::time::{from_micros, micros, Day, Window, WindowKind};

/// Late reports for a season's last days count for this long after it.
pub const GRACE_US: i64 = 2 * 86_400_000_000;

/// One season's result.
#[derive(Debug, Clone, PartialEq)]
pub struct SeasonResult {
    pub kind: WindowKind,
    pub start_day: Day,
    pub end_day: Day,
    pub start_us: i64,
    pub end_us: i64,
    /// Top three sellers (ties at the third place included), by points.
    pub top_sellers: Vec<(SellerIx, i64)>,
    /// The top division (the first by id on a tie).
    pub top_division: Option<(DivisionIx, i64)>,
    /// Every seller's points in the season, by seller index.
    pub points: Vec<i64>,
    /// Frozen by the fold (`true`), or read from the log as it stands.
    pub frozen: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Seasons {
    /// Frozen seasons, oldest first.
    pub frozen: Vec<SeasonResult>,
    /// The season the last recorded event fell in, awaiting its freeze:
    /// its window, its end and when the freeze is due (end + grace).
    live: Option<(Window, i64, i64)>,
}

/// The season containing `at_us`.
pub fn season_at(rules: &RuleSet, at_us: i64, tz: chrono_tz::Tz) -> Window {
    Window::containing(rules.season_kind(), from_micros(at_us), tz)
}

/// A season's result from the projection as it stands.
pub fn result(p: &Projection, w: &Window, frozen: bool) -> SeasonResult {
    let org = &p.org;
    let points = p.score.seller_points(w, org.sellers.len());
    let mut ranked: Vec<(SellerIx, i64)> = points
        .iter()
        .enumerate()
        .filter(|(_, pts)| **pts > 0)
        .map(|(s, pts)| (s as SellerIx, *pts))
        .collect();
    ranked.sort_by(|a, b| {
        b.1.cmp(&a.1).then_with(|| {
            org.sellers[a.0 as usize]
                .id
                .cmp(&org.sellers[b.0 as usize].id)
        })
    });
    let third = ranked.get(2).map(|r| r.1);
    let top_sellers = ranked
        .iter()
        .enumerate()
        .take_while(|(i, r)| *i < 3 || Some(r.1) == third)
        .map(|(_, r)| *r)
        .collect();
    let division_points = p.score.division_points(w, org.divisions.len());
    let top_division = division_points
        .iter()
        .enumerate()
        .filter(|(_, pts)| **pts > 0)
        .max_by(|a, b| {
            a.1.cmp(b.1)
                .then_with(|| org.divisions[b.0].id.cmp(&org.divisions[a.0].id))
        })
        .map(|(d, pts)| (d as DivisionIx, *pts));
    SeasonResult {
        kind: w.kind,
        start_day: w.start_day,
        end_day: w.end_day,
        start_us: w.start.map(micros).unwrap_or(i64::MIN),
        end_us: w.end.map(micros).unwrap_or(i64::MAX),
        top_sellers,
        top_division,
        points,
        frozen,
    }
}

/// Freezes the live season once an event is recorded past its end and
/// grace, then follows the season of `recorded_at`. Cheap on every event:
/// one comparison until a season ends.
pub fn on_record(p: &mut Projection, recorded_at: i64) {
    if let Some((w, end, due)) = p.game.seasons.live {
        if recorded_at < end {
            return;
        }
        if recorded_at < due {
            // In the grace: late reports still count for it.
            return;
        }
        if !p
            .game
            .seasons
            .frozen
            .iter()
            .any(|s| s.start_day == w.start_day)
        {
            let r = result(p, &w, true);
            p.game.seasons.frozen.push(r);
        }
    }
    let w = season_at(p.rules(), recorded_at, p.tz);
    let end = w.end.map(micros).unwrap_or(i64::MAX);
    p.game.seasons.live = Some((w, end, end.saturating_add(GRACE_US)));
}

/// Every season that has ended by `now_us`, oldest first: frozen ones as
/// frozen, the others (history, or one still in its grace) as they stand.
pub fn ended(p: &Projection, now_us: i64) -> Vec<SeasonResult> {
    let Some(first) = p.score.first_day() else {
        return p.game.seasons.frozen.clone();
    };
    let kind = p.rules().season_kind();
    let first_date = crate::domain::time::day_to_date(first);
    let start = crate::domain::time::local_midnight(first_date, p.tz);
    let mut w = Window::containing(kind, start, p.tz);
    let mut out: Vec<SeasonResult> = Vec::new();
    while let Some(end) = w.end.filter(|e| micros(*e) <= now_us) {
        match p
            .game
            .seasons
            .frozen
            .iter()
            .find(|s| s.start_day == w.start_day)
        {
            Some(s) => out.push(s.clone()),
            None => out.push(result(p, &w, false)),
        }
        w = Window::containing(kind, end, p.tz);
    }
    // Frozen seasons of another length (the rule changed) stay in the hall.
    for s in &p.game.seasons.frozen {
        if !out
            .iter()
            .any(|o| o.start_day == s.start_day && o.kind == s.kind)
        {
            out.push(s.clone());
        }
    }
    out.sort_by_key(|s| (s.start_day, s.end_day));
    out
}

/// Each seller's best season among `seasons`: (seller, points, index into
/// `seasons`), best first (earlier season first on a tie). Sellers who
/// never scored are left out.
pub fn lifetime_best(seasons: &[SeasonResult]) -> Vec<(SellerIx, i64, usize)> {
    let mut best: std::collections::HashMap<SellerIx, (i64, usize)> =
        std::collections::HashMap::new();
    for (i, s) in seasons.iter().enumerate() {
        for (seller, pts) in s.points.iter().enumerate() {
            if *pts <= 0 {
                continue;
            }
            let e = best.entry(seller as SellerIx).or_insert((*pts, i));
            if *pts > e.0 {
                *e = (*pts, i);
            }
        }
    }
    let mut out: Vec<(SellerIx, i64, usize)> =
        best.into_iter().map(|(s, (p, i))| (s, p, i)).collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)).then(a.0.cmp(&b.0)));
    out
}
