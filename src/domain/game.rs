//! The game's state in the projection: an index of each seller's events,
//! and the challenges, targets, holidays and frozen seasons the log
//! declares.
//!
//! Badges, streaks, levels and progress are *not* stored: they are read
//! from the facts on demand (see [`crate::domain::achievements`],
//! [`crate::domain::tally`]), so a void, a late event or a retroactive rule
//! changes them exactly as it changes points. What is stored is only what
//! the log declares (a challenge, a target, a holiday) and what must not
//! change once announced (a challenge's result at its end, a season's hall
//! of fame), frozen by the same rule as competitions: the first event
//! recorded after the end.

use std::collections::BTreeMap;

use crate::domain::challenges::{Answer, Challenge, Side};
use crate::domain::event::{Envelope, Event};
use crate::domain::metric::{participants, Metric};
use crate::domain::org::{DivisionIx, Org, Rejection, SellerIx};
use crate::domain::projection::Projection;
use crate::domain::seasons::Seasons;
use crate::domain::time::{day_index, parse_iso_week, Day};
use crate::domain::validate::Context;

/// What `target_set` declares; the latest setting of an id stands.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub id: String,
    /// `None` for the whole org.
    pub division: Option<DivisionIx>,
    pub metric: Metric,
    pub value: i64,
    pub start_us: i64,
    pub end_us: i64,
    pub start_day: Day,
    pub end_day: Day,
    pub seq: u64,
}

#[derive(Debug, Clone)]
pub struct Game {
    /// Per seller, the seqs (log order) of the events that may add to
    /// their measures, voided ones included (readers skip those): one
    /// seller's badges cost a walk over their own events, not the log.
    pub by_seller: Vec<Vec<u64>>,
    /// Per local day, the seqs of the activities dated that day (voided
    /// ones included): a division's or the org's measure over a week reads
    /// that week's events, not the whole log.
    pub by_day: BTreeMap<Day, Vec<u64>>,
    pub challenges: Vec<Challenge>,
    pub targets: Vec<Target>,
    /// Holiday weeks by the local day of their Monday, with their names.
    pub holidays: BTreeMap<Day, String>,
    pub seasons: Seasons,
    /// Counted measures per day and division, kept with the credits.
    pub counts: crate::domain::day_counts::DayCounts,
    pub(crate) contrib: Vec<crate::domain::metric::Contribution>,
    /// The earliest end of an accepted challenge not yet frozen
    /// (`i64::MAX` if none): the fold checks one number per event.
    pub next_freeze: i64,
    scratch: Vec<SellerIx>,
}

impl Default for Game {
    fn default() -> Self {
        Game {
            by_seller: Vec::new(),
            by_day: BTreeMap::new(),
            challenges: Vec::new(),
            targets: Vec::new(),
            holidays: BTreeMap::new(),
            seasons: Seasons::default(),
            counts: Default::default(),
            contrib: Vec::new(),
            next_freeze: i64::MAX,
            scratch: Vec::new(),
        }
    }
}

impl Game {
    /// Recomputes [`Game::next_freeze`].
    pub fn plan_freeze(&mut self) {
        self.next_freeze = self
            .challenges
            .iter()
            .filter(|c| c.frozen.is_none() && c.answer.is_some_and(|a| a.accepted))
            .map(|c| c.end_us)
            .min()
            .unwrap_or(i64::MAX);
    }
}

/// The days `[start_day, end_day)` that a period of instants `[start, end)`
/// touches: games count whole local days, like boards.
pub fn day_span(start_us: i64, end_us: i64, tz: chrono_tz::Tz) -> (Day, Day) {
    (
        day_index(start_us, tz),
        day_index(end_us.saturating_sub(1), tz) + 1,
    )
}

impl Game {
    /// The seqs of activities dated in local days `[from, to)`.
    pub fn seqs_between(&self, from: Day, to: Day) -> impl Iterator<Item = u64> + '_ {
        (from < to)
            .then(|| self.by_day.range(from..to))
            .into_iter()
            .flatten()
            .flat_map(|(_, seqs)| seqs.iter().copied())
    }

    pub fn seqs_of(&self, seller: SellerIx) -> &[u64] {
        self.by_seller
            .get(seller as usize)
            .map_or(&[][..], Vec::as_slice)
    }

    pub fn challenge(&self, id: &str) -> Option<&Challenge> {
        self.challenges.iter().find(|c| c.id == id)
    }

    pub fn target(&self, id: &str) -> Option<&Target> {
        self.targets.iter().find(|t| t.id == id)
    }
}

/// Indexes the fact just folded in at `seq` under every seller it may add
/// to.
pub fn index(p: &mut Projection, seq: u64) {
    let mut who = std::mem::take(&mut p.game.scratch);
    who.clear();
    let mut day = None;
    if let Some(rec) = p.facts.get(seq as usize - 1) {
        participants(p, &rec.fact, &mut who);
        day = (!who.is_empty()).then_some(rec.day);
    }
    let game = &mut p.game;
    if let Some(day) = day {
        game.by_day.entry(day).or_default().push(seq);
    }
    for s in &who {
        let i = *s as usize;
        if game.by_seller.len() <= i {
            game.by_seller.resize_with(i + 1, Vec::new);
        }
        game.by_seller[i].push(seq);
    }
    game.scratch = who;
}

/// Records a game declaration that passed [`check`].
pub fn declare(p: &mut Projection, env: &Envelope) {
    let tz = p.tz;
    let org = &p.org;
    let game = &mut p.game;
    match &env.event {
        Event::ChallengeIssued {
            id,
            challenger,
            opponent,
            metric,
            start,
            end,
            stake,
        } => {
            let (Some(a), Some(b), Some(metric)) = (
                side(org, challenger),
                side(org, opponent),
                Metric::parse(metric),
            ) else {
                return;
            };
            if game.challenge(id).is_some() {
                return;
            }
            let (start_day, end_day) = day_span(*start, *end, tz);
            game.challenges.push(Challenge {
                id: id.clone(),
                challenger: a,
                opponent: b,
                metric,
                start_us: *start,
                end_us: *end,
                start_day,
                end_day,
                stake: stake.clone(),
                issued_seq: env.seq,
                issued_at: env.occurred_at,
                answer: None,
                frozen: None,
            });
        }
        Event::ChallengeAccepted { id, .. } | Event::ChallengeDeclined { id, .. } => {
            let accepted = matches!(env.event, Event::ChallengeAccepted { .. });
            if let Some(c) = game.challenges.iter_mut().find(|c| c.id == *id) {
                if c.answer.is_none() {
                    c.answer = Some(Answer {
                        accepted,
                        seq: env.seq,
                        at_us: env.occurred_at,
                    });
                }
            }
            game.plan_freeze();
        }
        Event::TargetSet {
            id,
            division,
            metric,
            value,
            start,
            end,
        } => {
            let Some(metric) = Metric::parse(metric) else {
                return;
            };
            let division = match division.as_str() {
                "org" => None,
                d => match org.division(d) {
                    Some(d) => Some(d),
                    None => return,
                },
            };
            let (start_day, end_day) = day_span(*start, *end, tz);
            let t = Target {
                id: id.clone(),
                division,
                metric,
                value: *value,
                start_us: *start,
                end_us: *end,
                start_day,
                end_day,
                seq: env.seq,
            };
            match game.targets.iter_mut().find(|x| x.id == *id) {
                Some(old) => *old = t,
                None => game.targets.push(t),
            }
        }
        Event::HolidayDeclared { week, name } => {
            if let Some(monday) = parse_iso_week(week) {
                game.holidays.insert(monday, name.clone());
            }
        }
        _ => {}
    }
}

/// A challenge side by id: a seller, else a division.
pub fn side(org: &Org, id: &str) -> Option<Side> {
    org.seller(id)
        .map(Side::Seller)
        .or_else(|| org.division(id).map(Side::Division))
}

/// The game's checks on an append, beyond the org's: kudos within the
/// weekly limit, and challenges, targets and holidays well formed.
pub fn check(p: &Projection, event: &Event, ctx: &Context) -> Result<(), Rejection> {
    let org = &p.org;
    match event {
        Event::KudosGiven { from, .. } => {
            let Some(s) = org.seller(from) else {
                return Ok(());
            };
            let limit = p.score.timeline.at(ctx.occurred_at).kudos.weekly_limit;
            let week = crate::domain::time::week_of_day(day_index(ctx.occurred_at, p.tz));
            let given = org
                .kudos_of(s)
                .iter()
                .filter_map(|q| p.facts.get(*q as usize - 1))
                .filter(|f| !f.voided && crate::domain::time::week_of_day(f.day) == week)
                .count() as i64;
            if given >= limit {
                return Err(Rejection::invalid(
                    "kudos_limit",
                    "data.from",
                    format!("'{from}' has given {given} kudos this week; the limit is {limit}"),
                ));
            }
        }
        Event::ChallengeIssued {
            id,
            challenger,
            opponent,
            metric,
            start,
            end,
            ..
        } => {
            if p.game.challenge(id).is_some() {
                return Err(Rejection::conflict(
                    "duplicate_id",
                    "data.id",
                    format!("challenge '{id}' already exists"),
                ));
            }
            let a = active_side(org, challenger, "data.challenger")?;
            let b = active_side(org, opponent, "data.opponent")?;
            match (a, b) {
                (Side::Seller(_), Side::Seller(_)) | (Side::Division(_), Side::Division(_)) => {}
                _ => {
                    return Err(Rejection::invalid(
                        "mixed_sides",
                        "data.opponent",
                        "a seller challenges a seller, a division a division",
                    ))
                }
            }
            if a == b {
                return Err(Rejection::invalid(
                    "self_challenge",
                    "data.opponent",
                    "a challenge needs two different sides",
                ));
            }
            additive_metric(metric, "data.metric")?;
            period(*start, *end)?;
            if *end <= ctx.now_us {
                return Err(Rejection::invalid(
                    "already_over",
                    "data.end",
                    "a challenge must end in the future",
                ));
            }
        }
        Event::ChallengeAccepted { id, by } | Event::ChallengeDeclined { id, by } => {
            let Some(c) = p.game.challenge(id) else {
                return Err(Rejection::invalid(
                    "unknown_challenge",
                    "data.id",
                    format!("there is no challenge '{id}'"),
                ));
            };
            if side(org, by) != Some(c.opponent) {
                return Err(Rejection::invalid(
                    "not_the_opponent",
                    "data.by",
                    format!("only the opponent answers challenge '{id}'"),
                ));
            }
            if c.answer.is_some() {
                return Err(Rejection::conflict(
                    "already_answered",
                    "data.id",
                    format!("challenge '{id}' is already answered"),
                ));
            }
            if c.end_us <= ctx.now_us {
                return Err(Rejection::conflict(
                    "expired",
                    "data.id",
                    format!("challenge '{id}' has ended unanswered"),
                ));
            }
        }
        Event::TargetSet {
            division,
            metric,
            value,
            start,
            end,
            ..
        } => {
            if division != "org" && org.division(division).is_none() {
                return Err(Rejection::invalid(
                    "unknown_division",
                    "data.division",
                    format!("there is no division '{division}' (or say \"org\")"),
                ));
            }
            additive_metric(metric, "data.metric")?;
            if !(1..=crate::domain::rules::MAX_ORDER_AMOUNT).contains(value) {
                return Err(Rejection::invalid(
                    "invalid_value",
                    "data.value",
                    "data.value must be a positive whole number",
                ));
            }
            period(*start, *end)?;
        }
        Event::HolidayDeclared { week, .. } if parse_iso_week(week).is_none() => {
            return Err(Rejection::invalid(
                "invalid_week",
                "data.week",
                "data.week must be an ISO week such as 2026-W52",
            ));
        }
        _ => {}
    }
    Ok(())
}

fn active_side(org: &Org, id: &str, field: &str) -> Result<Side, Rejection> {
    match side(org, id) {
        Some(Side::Seller(s)) if org.sellers[s as usize].left => Err(Rejection::invalid(
            "seller_left",
            field,
            format!("seller '{id}' has left"),
        )),
        Some(s) => Ok(s),
        None => Err(Rejection::invalid(
            "unknown_id",
            field,
            format!("there is no seller or division '{id}'"),
        )),
    }
}

fn additive_metric(metric: &str, field: &str) -> Result<Metric, Rejection> {
    Metric::parse(metric)
        .filter(|m| m.is_additive())
        .ok_or_else(|| {
            Rejection::invalid(
                "invalid_metric",
                field,
                format!("{field} must be one of {}", Metric::additive_names()),
            )
        })
}

fn period(start: i64, end: i64) -> Result<(), Rejection> {
    if end <= start {
        return Err(Rejection::invalid(
            "invalid_period",
            "data.end",
            "data.end must be after data.start",
        ));
    }
    if end - start > 5 * 366 * 86_400_000_000 {
        return Err(Rejection::invalid(
            "invalid_period",
            "data.end",
            "a period may last at most five years",
        ));
    }
    Ok(())
}
