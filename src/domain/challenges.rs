//! Head-to-head challenges: one seller against another, or one division
//! against another, on one measure over a period.
//!
//! Standings are a [`crate::domain::tally`] of each side while the
//! challenge runs. At its end the values are frozen by the first event
//! recorded after `end` (the competitions' rule), so a result once shown
//! never changes; until then nothing recorded later exists, so the live
//! figure *is* the frozen one. A tie is a shared win, and nobody wins a
//! challenge in which neither side scored.

use crate::domain::metric::Metric;
use crate::domain::org::{DivisionIx, Org, SellerIx};
use crate::domain::projection::Projection;
use crate::domain::tally::{progress, Scope};
use crate::domain::time::Day;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Seller(SellerIx),
    Division(DivisionIx),
}

impl Side {
    pub fn scope(self) -> Scope {
        match self {
            Side::Seller(s) => Scope::Seller(s),
            Side::Division(d) => Scope::Division(d),
        }
    }

    pub fn id(self, org: &Org) -> &str {
        match self {
            Side::Seller(s) => &org.sellers[s as usize].id,
            Side::Division(d) => &org.divisions[d as usize].id,
        }
    }

    pub fn name(self, org: &Org) -> &str {
        match self {
            Side::Seller(s) => &org.sellers[s as usize].name,
            Side::Division(d) => &org.divisions[d as usize].name,
        }
    }
}

/// The opponent's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    pub accepted: bool,
    pub seq: u64,
    pub at_us: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Challenge {
    pub id: String,
    pub challenger: Side,
    pub opponent: Side,
    pub metric: Metric,
    pub start_us: i64,
    pub end_us: i64,
    pub start_day: Day,
    pub end_day: Day,
    pub stake: Option<String>,
    pub issued_seq: u64,
    pub issued_at: i64,
    pub answer: Option<Answer>,
    /// Challenger's and opponent's values at the end, once frozen.
    pub frozen: Option<[i64; 2]>,
}

/// Where a challenge stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Waiting for the opponent's answer.
    Issued,
    Declined,
    /// Ended without an answer.
    Expired,
    Upcoming,
    Running,
    Closed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Issued => "issued",
            Status::Declined => "declined",
            Status::Expired => "expired",
            Status::Upcoming => "upcoming",
            Status::Running => "running",
            Status::Closed => "closed",
        }
    }
}

/// One side's row.
#[derive(Debug, Clone, PartialEq)]
pub struct ChallengeRow {
    pub side: Side,
    pub value: i64,
    pub rank: u32,
}

/// A challenge as read: its status, standings and winners.
#[derive(Debug, Clone, PartialEq)]
pub struct ChallengeView<'a> {
    pub challenge: &'a Challenge,
    pub status: Status,
    /// Empty unless accepted.
    pub standings: Vec<ChallengeRow>,
    /// Rank-1 sides with a value above 0, once closed; two on a tie.
    pub winners: Vec<Side>,
}

impl Challenge {
    pub fn status(&self, now_us: i64) -> Status {
        match self.answer {
            None if now_us >= self.end_us => Status::Expired,
            None => Status::Issued,
            Some(a) if !a.accepted => Status::Declined,
            Some(_) if self.frozen.is_some() || now_us >= self.end_us => Status::Closed,
            Some(_) if now_us < self.start_us => Status::Upcoming,
            Some(_) => Status::Running,
        }
    }

    /// Both sides' values now: frozen ones once frozen.
    pub fn values(&self, p: &Projection) -> [i64; 2] {
        if let Some(v) = self.frozen {
            return v;
        }
        let span = (self.start_day, self.end_day);
        [self.challenger, self.opponent]
            .map(|side| progress(p, side.scope(), self.metric, span, None).value)
    }

    /// Whether `seller` takes part, themselves or through their division
    /// now.
    pub fn involves(&self, org: &Org, seller: SellerIx) -> bool {
        let division = org.sellers.get(seller as usize).map(|s| s.division);
        [self.challenger, self.opponent]
            .iter()
            .any(|side| match side {
                Side::Seller(s) => *s == seller,
                Side::Division(d) => Some(*d) == division,
            })
    }
}

/// A challenge's standings and winners at `now_us`.
pub fn view<'a>(p: &Projection, c: &'a Challenge, now_us: i64) -> ChallengeView<'a> {
    let status = c.status(now_us);
    let accepted = matches!(status, Status::Upcoming | Status::Running | Status::Closed);
    let mut standings = Vec::new();
    let mut winners = Vec::new();
    if accepted {
        let [a, b] = c.values(p);
        let rank = |me: i64, other: i64| if me >= other { 1 } else { 2 };
        standings.push(ChallengeRow {
            side: c.challenger,
            value: a,
            rank: rank(a, b),
        });
        standings.push(ChallengeRow {
            side: c.opponent,
            value: b,
            rank: rank(b, a),
        });
        standings.sort_by_key(|r| r.rank);
        if status == Status::Closed {
            winners = standings
                .iter()
                .filter(|r| r.rank == 1 && r.value > 0)
                .map(|r| r.side)
                .collect();
        }
    }
    ChallengeView {
        challenge: c,
        status,
        standings,
        winners,
    }
}

/// Freezes every accepted challenge that ended before `recorded_at`: the
/// first event recorded after a challenge's end closes it, before that
/// event counts.
pub fn freeze_ended(p: &mut Projection, recorded_at: i64) {
    let due: Vec<usize> = p
        .game
        .challenges
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            c.frozen.is_none() && c.end_us <= recorded_at && c.answer.is_some_and(|a| a.accepted)
        })
        .map(|(i, _)| i)
        .collect();
    for i in due {
        let values = p.game.challenges[i].values(p);
        p.game.challenges[i].frozen = Some(values);
    }
    p.game.plan_freeze();
}
