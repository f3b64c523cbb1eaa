//! The feedback clock: when a lead without feedback becomes overdue.
//!
//! Hours are real elapsed hours. With `feedback_sla_business_days`,
//! Saturdays and Sundays of the org's time zone do not count: the clock
//! runs only inside local Monday–Friday days, each from its local midnight
//! to the next, so a day with a DST change counts its 23 or 25 real hours.
//! Pure: callers pass the instant they call "now".

use chrono::{Datelike, Weekday};
use chrono_tz::Tz;

use crate::domain::rules::RuleSet;
use crate::domain::time::{day_index, day_to_date, local_midnight, micros};

const HOUR_US: i64 = 3_600_000_000;

/// The instant at which a lead given at `given_us` becomes overdue under
/// `rules`: feedback at the deadline itself is on time (overdue means
/// `now > deadline`).
pub fn deadline_us(given_us: i64, rules: &RuleSet, tz: Tz) -> i64 {
    let budget = rules.feedback_sla_hours.max(0).saturating_mul(HOUR_US);
    if rules.feedback_sla_business_days {
        business_deadline(given_us, budget, tz)
    } else {
        given_us.saturating_add(budget)
    }
}

/// Whether a lead given at `given_us` and still unanswered is overdue at
/// `now_us`.
pub fn is_overdue(given_us: i64, rules: &RuleSet, tz: Tz, now_us: i64) -> bool {
    let budget = rules.feedback_sla_hours.max(0).saturating_mul(HOUR_US);
    // Business time never runs faster than real time: no need to walk the
    // calendar for a lead younger than its budget.
    if now_us.saturating_sub(given_us) <= budget {
        return false;
    }
    now_us > deadline_us(given_us, rules, tz)
}

fn midnight_us(day: i32, tz: Tz) -> i64 {
    micros(local_midnight(day_to_date(day), tz))
}

/// Spends `budget` microseconds of weekday time from `start`, skipping
/// whole weeks at once so a long SLA costs a few steps per week.
fn business_deadline(start: i64, mut budget: i64, tz: Tz) -> i64 {
    let mut day = day_index(start, tz);
    let mut from = start;
    // At most a year of budget: ~75 weeks of steps, bounded either way.
    for _ in 0..2_000 {
        let weekday = day_to_date(day).weekday();
        let weekend = matches!(weekday, Weekday::Sat | Weekday::Sun);
        if weekday == Weekday::Mon && from == midnight_us(day, tz) {
            // A whole Monday–Friday: its real length, DST included.
            let week = midnight_us(day + 5, tz) - from;
            if budget > week {
                budget -= week;
                day += 7;
                from = midnight_us(day, tz);
                continue;
            }
        }
        let next = midnight_us(day + 1, tz);
        if !weekend {
            let span = next - from;
            if budget <= span {
                return from + budget;
            }
            budget -= span;
        }
        day += 1;
        from = next;
    }
    from.saturating_add(budget)
}

/// Hours from `from_us` to `to_us`, to one decimal.
pub fn hours_between(from_us: i64, to_us: i64) -> f64 {
    ((to_us - from_us) as f64 / HOUR_US as f64 * 10.0).round() / 10.0
}

/// The median of whole-microsecond durations, in hours to one decimal.
/// Reorders `durations` in place: a selection (linear), not a sort, since
/// the all-time matrix asks this of every answered lead at once.
pub fn median_hours(durations: &mut [i64]) -> Option<f64> {
    if durations.is_empty() {
        return None;
    }
    let n = durations.len();
    let (below, upper, _) = durations.select_nth_unstable(n / 2);
    let upper = *upper as f64;
    let mid = if n % 2 == 1 {
        upper
    } else {
        // The lower middle is the largest of the half below.
        let lower = below.iter().copied().max().unwrap_or_default() as f64;
        (lower + upper) / 2.0
    };
    Some((mid / HOUR_US as f64 * 10.0).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};

    const STOCKHOLM: Tz = chrono_tz::Europe::Stockholm;

    fn local(y: i32, m: u32, d: u32, h: u32) -> i64 {
        let t = NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_opt(h, 0, 0))
            .unwrap();
        micros(STOCKHOLM.from_local_datetime(&t).unwrap().to_utc())
    }

    fn rules(hours: i64, business: bool) -> RuleSet {
        RuleSet {
            feedback_sla_hours: hours,
            feedback_sla_business_days: business,
            ..RuleSet::default()
        }
    }

    #[test]
    fn plain_hours_are_real_hours() {
        let given = local(2026, 3, 4, 10); // a Wednesday
        assert_eq!(
            deadline_us(given, &rules(48, false), STOCKHOLM),
            local(2026, 3, 6, 10)
        );
        // Across the spring-forward night (Sun 29 March): 48 real hours
        // from Saturday 12:00 CET end at Monday 13:00 CEST on the clock.
        let sat = local(2026, 3, 28, 12);
        assert_eq!(
            deadline_us(sat, &rules(48, false), STOCKHOLM),
            local(2026, 3, 30, 13)
        );
    }

    #[test]
    fn friday_afternoon_is_not_late_on_sunday() {
        // Friday 16:00 + 48 business hours: 8 h on Friday, 24 h on
        // Monday, 16 h on Tuesday → Tuesday 16:00.
        let fri = local(2026, 3, 6, 16);
        let r = rules(48, true);
        let due = deadline_us(fri, &r, STOCKHOLM);
        assert_eq!(due, local(2026, 3, 10, 16));
        assert!(
            !is_overdue(fri, &r, STOCKHOLM, local(2026, 3, 8, 17)),
            "Sunday"
        );
        assert!(!is_overdue(fri, &r, STOCKHOLM, local(2026, 3, 10, 15)));
        assert!(is_overdue(fri, &r, STOCKHOLM, local(2026, 3, 10, 17)));
        // Given on a Saturday, the clock starts on Monday 00:00.
        let sat = local(2026, 3, 7, 11);
        assert_eq!(deadline_us(sat, &r, STOCKHOLM), local(2026, 3, 11, 0));
    }

    #[test]
    fn business_days_across_dst_count_local_days() {
        // The weekend of 28–29 March 2026 is 47 real hours (spring
        // forward); the deadline is still Tuesday 16:00 local (CEST).
        let fri = local(2026, 3, 27, 16);
        assert_eq!(
            deadline_us(fri, &rules(48, true), STOCKHOLM),
            local(2026, 3, 31, 16)
        );
        // And in autumn (25 October, 49 real hours).
        let fri = local(2026, 10, 23, 16);
        assert_eq!(
            deadline_us(fri, &rules(48, true), STOCKHOLM),
            local(2026, 10, 27, 16)
        );
    }

    #[test]
    fn long_budgets_skip_whole_weeks() {
        // 3 business weeks = 360 h from a Monday 00:00 run out at the end
        // of the third Friday; from a Wednesday 09:00, 240 h end two weeks
        // on at the same hour.
        let mon = local(2026, 1, 5, 0);
        assert_eq!(
            deadline_us(mon, &rules(360, true), STOCKHOLM),
            local(2026, 1, 24, 0)
        );
        let wed = local(2026, 1, 7, 9);
        assert_eq!(
            deadline_us(wed, &rules(240, true), STOCKHOLM),
            local(2026, 1, 21, 9)
        );
        // A year of business hours ends, and within reason.
        let far = deadline_us(mon, &rules(8_760, true), STOCKHOLM);
        assert!(far > mon + 365 * 24 * HOUR_US && far < mon + 600 * 24 * HOUR_US);
    }

    #[test]
    fn medians() {
        assert_eq!(median_hours(&mut []), None);
        assert_eq!(
            median_hours(&mut [5 * HOUR_US, HOUR_US, 3 * HOUR_US]),
            Some(3.0)
        );
        assert_eq!(median_hours(&mut [HOUR_US, 2 * HOUR_US]), Some(1.5));
    }
}
