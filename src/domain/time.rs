//! Time windows cut in the organisation's time zone.
//!
//! Every window is a whole number of local calendar days, so the score
//! projection keys points by local day ([`day_index`]) and a board for any
//! window is a sum over a day range. DST only matters when turning local
//! midnights back into UTC instants, which [`local_midnight`] does carefully.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

/// Days since 1970-01-01 of a local calendar date.
pub type Day = i32;

const EPOCH: NaiveDate = match NaiveDate::from_ymd_opt(1970, 1, 1) {
    Some(d) => d,
    None => panic!("1970-01-01 is a date"),
};

pub fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

pub fn from_micros(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// RFC 3339 in UTC with a `Z`, seconds precision unless sub-seconds exist.
pub fn format_us(us: i64) -> String {
    from_micros(us).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

pub fn date_to_day(date: NaiveDate) -> Day {
    (date - EPOCH).num_days() as Day
}

pub fn day_to_date(day: Day) -> NaiveDate {
    EPOCH + Duration::days(day as i64)
}

/// The local calendar day (in `tz`) of a UTC instant. Instants outside the
/// years 1000..9000 (such as the `i64::MIN` of "since the beginning") are
/// clamped so time zone arithmetic never leaves chrono's range.
pub fn day_index(us: i64, tz: Tz) -> Day {
    const LOW: i64 = -30_610_224_000_000_000; // 1000-01-01
    const HIGH: i64 = 221_845_392_000_000_000; // 9000-01-01
    date_to_day(
        from_micros(us.clamp(LOW, HIGH))
            .with_timezone(&tz)
            .date_naive(),
    )
}

/// The Monday (local day) that begins the ISO week of `day`. Day 0,
/// 1970-01-01, was a Thursday.
pub fn week_of_day(day: Day) -> Day {
    day - (day + 3).rem_euclid(7)
}

/// The Monday of an ISO week written `2026-W52`, when it is one.
pub fn parse_iso_week(s: &str) -> Option<Day> {
    let (year, week) = s.split_once("-W")?;
    if year.len() != 4 || week.len() != 2 {
        return None;
    }
    let (year, week) = (year.parse::<i32>().ok()?, week.parse::<u32>().ok()?);
    NaiveDate::from_isoywd_opt(year, week, chrono::Weekday::Mon).map(date_to_day)
}

/// The `2026-W52` name of the ISO week that `monday` begins.
pub fn iso_week_name(monday: Day) -> String {
    let w = day_to_date(monday).iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}

/// The UTC instant at which local `date` begins in `tz`.
///
/// Where a DST gap swallows midnight (some zones switch at 00:00), the day
/// begins at the first local time that exists; where a fold repeats it, at
/// the earlier of the two.
pub fn local_midnight(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let mut t = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    for _ in 0..(4 * 24) {
        match tz.from_local_datetime(&t) {
            LocalResult::Single(dt) => return dt.with_timezone(&Utc),
            LocalResult::Ambiguous(early, _) => return early.with_timezone(&Utc),
            LocalResult::None => t += Duration::minutes(15),
        }
    }
    Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).unwrap_or_default())
}

/// The kinds of window a board can be cut by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowKind {
    Day,
    Week,
    Month,
    Quarter,
    Year,
    All,
    /// The rule set's season (`rules.season`); resolved by
    /// `Projection::window`, and a quarter where no rules are at hand.
    Season,
}

impl WindowKind {
    pub const ALL: [WindowKind; 7] = [
        WindowKind::Day,
        WindowKind::Week,
        WindowKind::Month,
        WindowKind::Quarter,
        WindowKind::Year,
        WindowKind::All,
        WindowKind::Season,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WindowKind::Day => "day",
            WindowKind::Week => "week",
            WindowKind::Month => "month",
            WindowKind::Quarter => "quarter",
            WindowKind::Year => "year",
            WindowKind::All => "all",
            WindowKind::Season => "season",
        }
    }

    pub fn parse(s: &str) -> Option<WindowKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A concrete window: local days `[start_day, end_day)` and the UTC instants
/// where they begin and end. `All` spans every representable day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub kind: WindowKind,
    pub start_day: Day,
    pub end_day: Day,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
}

impl Window {
    /// The window of `kind` that contains the instant `at`, in `tz`.
    pub fn containing(kind: WindowKind, at: DateTime<Utc>, tz: Tz) -> Window {
        let local = at.with_timezone(&tz).date_naive();
        let (first, next) = match kind {
            WindowKind::All => {
                return Window {
                    kind,
                    start_day: Day::MIN,
                    end_day: Day::MAX,
                    start: None,
                    end: None,
                }
            }
            WindowKind::Day => (local, local + Duration::days(1)),
            WindowKind::Week => {
                // ISO weeks start on Monday.
                let monday = local - Duration::days(local.weekday().num_days_from_monday() as i64);
                (monday, monday + Duration::days(7))
            }
            WindowKind::Month => {
                let first = first_of_month(local.year(), local.month());
                (first, add_months(first, 1))
            }
            WindowKind::Quarter | WindowKind::Season => {
                let q_month = (local.month0() / 3) * 3 + 1;
                let first = first_of_month(local.year(), q_month);
                (first, add_months(first, 3))
            }
            WindowKind::Year => {
                let first = first_of_month(local.year(), 1);
                (first, first_of_month(local.year() + 1, 1))
            }
        };
        Window {
            kind,
            start_day: date_to_day(first),
            end_day: date_to_day(next),
            start: Some(local_midnight(first, tz)),
            end: Some(local_midnight(next, tz)),
        }
    }

    /// The local days `[start_day, end_day)`, without instants: for
    /// periods that are not calendar windows (challenges, targets).
    pub fn days(start_day: Day, end_day: Day) -> Window {
        Window {
            kind: WindowKind::All,
            start_day,
            end_day,
            start: None,
            end: None,
        }
    }

    pub fn contains_day(&self, day: Day) -> bool {
        self.start_day <= day && day < self.end_day
    }

    /// The window as boards show it: kind and RFC 3339 bounds (`null`
    /// for the open ends of `all`).
    pub fn view(&self) -> WindowView {
        let fmt = |t: Option<DateTime<Utc>>| t.map(|t| format_us(micros(t)));
        WindowView {
            kind: self.kind,
            start: fmt(self.start),
            end: fmt(self.end),
        }
    }
}

/// A window in the shape the API sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WindowView {
    pub kind: WindowKind,
    pub start: Option<String>,
    pub end: Option<String>,
}

fn first_of_month(year: i32, month: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(EPOCH)
}

fn add_months(first: NaiveDate, months: u32) -> NaiveDate {
    let m0 = first.month0() + months;
    first_of_month(first.year() + (m0 / 12) as i32, m0 % 12 + 1)
}

/// Parses an IANA zone name such as `Europe/Stockholm`.
pub fn parse_tz(name: &str) -> Option<Tz> {
    name.parse::<Tz>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    const STO: Tz = chrono_tz::Europe::Stockholm;

    #[test]
    fn day_is_cut_at_local_midnight() {
        // 23:30 UTC on 1 June is 01:30 on 2 June in Stockholm (UTC+2).
        let w = Window::containing(WindowKind::Day, utc("2026-06-01T23:30:00Z"), STO);
        assert_eq!(w.start, Some(utc("2026-06-01T22:00:00Z")));
        assert_eq!(w.end, Some(utc("2026-06-02T22:00:00Z")));
        assert_eq!(w.end_day - w.start_day, 1);
    }

    #[test]
    fn week_starts_monday_local() {
        // Sunday 2026-11-22 23:30 UTC is Monday 00:30 in Stockholm (UTC+1).
        let w = Window::containing(WindowKind::Week, utc("2026-11-22T23:30:00Z"), STO);
        assert_eq!(w.start, Some(utc("2026-11-22T23:00:00Z")));
        assert_eq!(w.end, Some(utc("2026-11-29T23:00:00Z")));
        // One UTC hour earlier it is still Sunday: the previous week.
        let w = Window::containing(WindowKind::Week, utc("2026-11-22T22:30:00Z"), STO);
        assert_eq!(w.start, Some(utc("2026-11-15T23:00:00Z")));
    }

    #[test]
    fn week_containing_spring_dst_switch_is_167_hours() {
        // Stockholm springs forward on Sunday 2026-03-29 at 02:00.
        let w = Window::containing(WindowKind::Week, utc("2026-03-27T12:00:00Z"), STO);
        assert_eq!(w.start, Some(utc("2026-03-22T23:00:00Z")));
        assert_eq!(w.end, Some(utc("2026-03-29T22:00:00Z")));
        assert_eq!((w.end.unwrap() - w.start.unwrap()).num_hours(), 167);
        assert_eq!(w.end_day - w.start_day, 7);
    }

    #[test]
    fn week_containing_autumn_dst_switch_is_169_hours() {
        // Stockholm falls back on Sunday 2026-10-25 at 03:00.
        let w = Window::containing(WindowKind::Week, utc("2026-10-25T01:30:00Z"), STO);
        assert_eq!(w.start, Some(utc("2026-10-18T22:00:00Z")));
        assert_eq!(w.end, Some(utc("2026-10-25T23:00:00Z")));
        assert_eq!((w.end.unwrap() - w.start.unwrap()).num_hours(), 169);
        // Both 02:30s of the repeated hour belong to the same local day.
        let first = day_index(micros(utc("2026-10-25T00:30:00Z")), STO);
        let second = day_index(micros(utc("2026-10-25T01:30:00Z")), STO);
        assert_eq!(first, second);
    }

    #[test]
    fn iso_weeks_by_name_and_day() {
        let monday = parse_iso_week("2026-W01").unwrap();
        assert_eq!(
            day_to_date(monday),
            NaiveDate::from_ymd_opt(2025, 12, 29).unwrap()
        );
        assert_eq!(iso_week_name(monday), "2026-W01");
        for d in monday..monday + 7 {
            assert_eq!(week_of_day(d), monday);
        }
        assert_eq!(week_of_day(monday + 7), monday + 7);
        assert_eq!(week_of_day(monday - 1), monday - 7);
        assert_eq!(parse_iso_week("2025-W53"), None, "2025 has 52 ISO weeks");
        assert!(
            parse_iso_week("2026-W53").is_some(),
            "2026 begins on a Thursday"
        );
        for bad in ["2026-52", "2026-W5", "26-W05", "2026-Wxx", ""] {
            assert_eq!(parse_iso_week(bad), None, "{bad}");
        }
    }

    #[test]
    fn iso_week_one_can_start_in_december() {
        // 2025-12-29 (Monday) begins ISO week 1 of 2026.
        let w = Window::containing(WindowKind::Week, utc("2026-01-01T12:00:00Z"), STO);
        let start_local = day_to_date(w.start_day);
        assert_eq!(start_local, NaiveDate::from_ymd_opt(2025, 12, 29).unwrap());
        assert_eq!(start_local.iso_week().week(), 1);
        assert_eq!(start_local.iso_week().year(), 2026);
        assert_eq!(w.start, Some(utc("2025-12-28T23:00:00Z")));
    }

    #[test]
    fn month_quarter_year_bounds() {
        let at = utc("2026-05-15T10:00:00Z");
        let m = Window::containing(WindowKind::Month, at, STO);
        assert_eq!(m.start, Some(utc("2026-04-30T22:00:00Z")));
        assert_eq!(m.end, Some(utc("2026-05-31T22:00:00Z")));
        let q = Window::containing(WindowKind::Quarter, at, STO);
        assert_eq!(q.start, Some(utc("2026-03-31T22:00:00Z")));
        assert_eq!(q.end, Some(utc("2026-06-30T22:00:00Z")));
        let y = Window::containing(WindowKind::Year, at, STO);
        assert_eq!(y.start, Some(utc("2025-12-31T23:00:00Z")));
        assert_eq!(y.end, Some(utc("2026-12-31T23:00:00Z")));
        let q4 = Window::containing(WindowKind::Quarter, utc("2026-12-31T12:00:00Z"), STO);
        assert_eq!(q4.end, Some(utc("2026-12-31T23:00:00Z")));
        assert_eq!(
            day_to_date(q4.end_day),
            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()
        );
    }

    #[test]
    fn midnight_swallowed_by_dst_gap_starts_at_first_valid_time() {
        // America/Santiago sprang forward at 00:00 on 2022-09-11.
        let tz: Tz = chrono_tz::America::Santiago;
        let t = local_midnight(NaiveDate::from_ymd_opt(2022, 9, 11).unwrap(), tz);
        assert_eq!(t, utc("2022-09-11T04:00:00Z"));
    }

    #[test]
    fn all_window_contains_everything() {
        let w = Window::containing(WindowKind::All, utc("2026-05-15T10:00:00Z"), STO);
        assert!(w.contains_day(Day::MIN) && w.contains_day(0) && w.contains_day(Day::MAX - 1));
        assert_eq!(w.start, None);
    }

    #[test]
    fn window_kinds_round_trip_their_names() {
        for k in WindowKind::ALL {
            assert_eq!(WindowKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(WindowKind::parse("fortnight"), None);
    }
}
