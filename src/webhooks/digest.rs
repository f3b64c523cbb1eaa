//! The daily `feedback_overdue` digest: once a day, at a local time of the
//! organisation's zone (`--feedback-digest-at`, default 08:00), every
//! overdue lead by receiving division, read from the projection (the same
//! fold as `GET /api/v1/leads?status=overdue`).
//!
//! **Once a day, across restarts.** The local date of the last digest is
//! kept in the store's metadata (`m` + [`SENT_KEY`]) and written *before*
//! the messages are queued. A restart on the same day therefore finds the
//! date and stays quiet; a crash between the write and the delivery loses
//! that day's digest rather than posting it twice. At most once is the
//! right side to err on for a reminder that comes back tomorrow anyway,
//! and it costs one small metadata write a day, no log event (the log is
//! for what the organisation did, not for what the server posted).
//!
//! **Catching up.** The digest is due from its time until the end of the
//! local day: a server that was down at 08:00 and starts at 10:00 sends it
//! at 10:00. A day with nothing overdue is marked done without a message.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

use crate::domain::leads::overdue_by_division;
use crate::domain::time::micros;
use crate::domain::Projection;
use crate::webhooks::celebrations::{escape, Audience, Celebration};

/// Metadata key holding the local date (YYYY-MM-DD) of the last digest.
pub(crate) const SENT_KEY: &str = "feedback_digest_sent";
/// Leads listed per division; the rest are counted ("and 12 more").
const LINES: usize = 15;

/// `--feedback-digest-at`: a local time, or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigestAt(pub Option<NaiveTime>);

/// Parses `HH:MM` (24-hour, the org's time zone) or `off`.
pub fn parse_digest_at(s: &str) -> Result<DigestAt, String> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("off") {
        return Ok(DigestAt(None));
    }
    NaiveTime::parse_from_str(s, "%H:%M")
        .map(|t| DigestAt(Some(t)))
        .map_err(|_| format!("'{s}' is not a time of day as HH:MM (24-hour) or 'off'"))
}

/// The local date whose digest is due at `now`: today, once the local
/// clock has reached `at`.
pub(super) fn due_date(now: DateTime<Utc>, tz: Tz, at: NaiveTime) -> Option<NaiveDate> {
    let local = now.with_timezone(&tz);
    (local.time() >= at).then(|| local.date_naive())
}

/// The digest's messages as of `now_us`: the whole organisation's (for
/// registrations without a division filter) and one per division with
/// overdue leads (for registrations filtered to it). Empty when nothing is
/// overdue.
pub(super) fn digest(p: &Projection, now_us: i64) -> Vec<Celebration> {
    let groups = overdue_by_division(p, now_us);
    if groups.is_empty() {
        return Vec::new();
    }
    let sections: Vec<(String, String)> = groups
        .iter()
        .filter_map(|(d, rows)| {
            let division = p.org.divisions.get(*d as usize)?;
            let mut text = format!("*{}*: {} overdue", escape(&division.name), rows.len());
            for r in rows.iter().take(LINES) {
                let name = |id: &str| {
                    p.org
                        .seller(id)
                        .and_then(|s| p.org.sellers.get(s as usize))
                        .map_or_else(|| escape(id), |s| escape(&s.name))
                };
                let owner = r
                    .to_seller
                    .as_deref()
                    .map_or_else(|| "nobody has claimed it".to_string(), name);
                text.push_str(&format!(
                    "\n• {} from {}, waiting {} h ({owner})",
                    escape(&r.customer),
                    name(&r.from),
                    r.age_hours.round() as i64,
                ));
            }
            if rows.len() > LINES {
                text.push_str(&format!("\n• … and {} more", rows.len() - LINES));
            }
            Some((division.id.clone(), text))
        })
        .collect();
    let total: usize = groups.iter().map(|(_, r)| r.len()).sum();
    let head = |n: usize| {
        format!(
            ":hourglass: Feedback overdue: {n} lead{} waiting past the SLA",
            if n == 1 { "" } else { "s" }
        )
    };
    let seq = p.seq();
    let mut out = vec![Celebration {
        kind: "feedback_overdue",
        seq,
        text: std::iter::once(head(total))
            .chain(sections.iter().map(|(_, t)| t.clone()))
            .collect::<Vec<_>>()
            .join("\n"),
        audience: Audience::Unfiltered,
    }];
    for ((id, text), (_, rows)) in sections.into_iter().zip(&groups) {
        out.push(Celebration {
            kind: "feedback_overdue",
            seq,
            text: format!("{}\n{text}", head(rows.len())),
            audience: Audience::Only(id),
        });
    }
    out
}

/// The digest if one is due at `now` and was not sent for that local date
/// (`last`): the date to record and the messages.
pub(super) fn check(
    p: &Projection,
    at: NaiveTime,
    now: DateTime<Utc>,
    last: Option<NaiveDate>,
) -> Option<(NaiveDate, Vec<Celebration>)> {
    let day = due_date(now, p.tz, at)?;
    if last.is_some_and(|l| l >= day) {
        return None;
    }
    Some((day, digest(p, micros(now))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn parses_times_and_off() {
        assert_eq!(
            parse_digest_at("08:00"),
            Ok(DigestAt(NaiveTime::from_hms_opt(8, 0, 0)))
        );
        assert_eq!(parse_digest_at("off"), Ok(DigestAt(None)));
        assert!(parse_digest_at("8am").is_err());
        assert!(parse_digest_at("25:00").is_err());
    }

    #[test]
    fn due_from_the_local_time_until_midnight() {
        let tz = chrono_tz::Europe::Stockholm;
        let at = NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default();
        // 06:59 UTC is 07:59 in Stockholm in winter (CET): not yet.
        let before = Utc.with_ymd_and_hms(2026, 1, 14, 6, 59, 0).unwrap();
        assert_eq!(due_date(before, tz, at), None);
        let after = Utc.with_ymd_and_hms(2026, 1, 14, 7, 0, 0).unwrap();
        assert_eq!(
            due_date(after, tz, at),
            NaiveDate::from_ymd_opt(2026, 1, 14)
        );
        // In summer (CEST) 08:00 local is 06:00 UTC.
        let summer = Utc.with_ymd_and_hms(2026, 7, 14, 6, 0, 0).unwrap();
        assert_eq!(
            due_date(summer, tz, at),
            NaiveDate::from_ymd_opt(2026, 7, 14)
        );
        // 23:30 UTC on the 14th is already the 15th in Stockholm.
        let late = Utc.with_ymd_and_hms(2026, 1, 14, 23, 30, 0).unwrap();
        assert_eq!(due_date(late, tz, at), None);
    }

    #[test]
    fn sent_once_per_local_date() {
        let p = Projection::new(chrono_tz::UTC);
        let at = NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default();
        let now = Utc.with_ymd_and_hms(2026, 1, 14, 9, 0, 0).unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 1, 14);
        let (day, msgs) = check(&p, at, now, None).expect("due");
        assert_eq!(Some(day), today);
        assert!(msgs.is_empty(), "nothing is overdue in an empty org");
        assert!(check(&p, at, now, today).is_none());
        let yesterday = NaiveDate::from_ymd_opt(2026, 1, 13);
        assert!(check(&p, at, now, yesterday).is_some());
    }
}
