//! The projection: everything the log implies, folded one envelope at a time.
//!
//! `apply` is the one fold used for live appends and for replay at start-up,
//! so a restart cannot disagree with the running server. Scoring is kept in
//! a [`Scoreboard`] that can be rebuilt from the interned facts alone, which
//! is how retroactive rules and what-if previews re-score history without
//! reading the disk.
//!
//! Over 500 lines on purpose: `apply` and `void` are one concern (what an
//! envelope does to every index), and splitting them would hide the order
//! in which credits are taken back and given again.

use std::sync::Arc;

use chrono_tz::Tz;

pub use crate::domain::contest::Competition;
use crate::domain::customers::Customers;
use crate::domain::event::{Envelope, Event};
use crate::domain::matrix::LoopIndex;
use crate::domain::org::{LeadIx, Org, Rejection, SeqInfo};
use crate::domain::rules::RuleSet;
use crate::domain::score::{Fact, FactRec, Scoreboard, Timeline};
use crate::domain::time::{day_index, Window, WindowKind};
use crate::domain::validate::Context;

/// Longest grace period a competition may have: a quarter.
pub const MAX_GRACE_HOURS: u32 = 24 * 92;

#[derive(Debug, Clone)]
pub struct Projection {
    pub tz: Tz,
    pub org: Org,
    /// One per seq: `facts[seq - 1]`.
    pub facts: Vec<FactRec>,
    pub score: Scoreboard,
    /// Version of the rules in force; 0 is the built-in default set.
    pub rules_version: u32,
    pub competitions: Vec<Competition>,
    /// Customer memory (white space and timelines), see
    /// [`crate::domain::customers`].
    pub customers: Customers,
    /// Challenges, targets, holidays, seasons and the per-seller index the
    /// game reads (see [`crate::domain::game`]).
    pub game: crate::domain::game::Game,
    /// Per-lead figures of the loop for the matrix, see
    /// [`crate::domain::matrix`].
    pub loops: LoopIndex,
}

impl Projection {
    pub fn new(tz: Tz) -> Self {
        Projection {
            tz,
            org: Org::default(),
            facts: Vec::new(),
            score: Scoreboard::new(Timeline::new(RuleSet::default())),
            rules_version: 0,
            competitions: Vec::new(),
            customers: Customers::default(),
            game: crate::domain::game::Game::default(),
            loops: LoopIndex::default(),
        }
    }

    /// The last applied seq.
    pub fn seq(&self) -> u64 {
        self.facts.len() as u64
    }

    pub fn rules(&self) -> &RuleSet {
        self.score.timeline.current()
    }

    /// The window of `kind` containing `at`, with `season` resolved to the
    /// rule set's season length (the window still says `season`).
    pub fn window(&self, kind: WindowKind, at: chrono::DateTime<chrono::Utc>) -> Window {
        let real = match kind {
            WindowKind::Season => self.rules().season_kind(),
            k => k,
        };
        let mut w = Window::containing(real, at, self.tz);
        w.kind = kind;
        w
    }

    pub fn seq_info(&self, seq: u64) -> Option<SeqInfo> {
        let f = seq
            .checked_sub(1)
            .and_then(|i| self.facts.get(i as usize))?;
        Some(SeqInfo {
            activity: !matches!(f.fact, Fact::Other),
            voided: f.voided,
        })
    }

    pub fn competition(&self, id: &str) -> Option<&Competition> {
        self.competitions.iter().find(|c| c.id == id)
    }

    /// Checks an event against the state, as appended in `ctx`. Pure.
    pub fn check(&self, event: &Event, ctx: &Context) -> Result<(), Rejection> {
        let rules = self.score.timeline.at(ctx.now_us);
        self.org
            .check(event, ctx, rules, &|seq| self.seq_info(seq))?;
        match event {
            Event::RulesPublished { version, rules, .. } => {
                if *version != self.rules_version + 1 {
                    return Err(Rejection::conflict(
                        "stale_version",
                        "version",
                        format!(
                            "rules are at version {}; the next is {}",
                            self.rules_version,
                            self.rules_version + 1
                        ),
                    ));
                }
                parse_rules(rules)
                    .map_err(|(field, msg)| Rejection::invalid("invalid_rules", &field, msg))?;
            }
            Event::CompetitionCreatedWithGrace { grace_hours, .. }
                if *grace_hours > MAX_GRACE_HOURS =>
            {
                return Err(Rejection::invalid(
                    "invalid_value",
                    "grace_hours",
                    format!("grace_hours must be at most {MAX_GRACE_HOURS}"),
                ));
            }
            Event::CompetitionCreated {
                id,
                start,
                end,
                divisions,
                rules,
                ..
            }
            | Event::CompetitionCreatedWithGrace {
                id,
                start,
                end,
                divisions,
                rules,
                ..
            } => {
                if self.competition(id).is_some() {
                    return Err(Rejection::conflict(
                        "duplicate_id",
                        "id",
                        format!("competition '{id}' already exists"),
                    ));
                }
                if end <= start {
                    return Err(Rejection::invalid(
                        "invalid_period",
                        "end",
                        "end must be after start",
                    ));
                }
                if divisions.is_empty() {
                    return Err(Rejection::invalid(
                        "no_divisions",
                        "divisions",
                        "name at least one division",
                    ));
                }
                for (i, d) in divisions.iter().enumerate() {
                    if self.org.division(d).is_none() {
                        return Err(Rejection::invalid(
                            "unknown_division",
                            &format!("divisions[{i}]"),
                            format!("there is no division '{d}'"),
                        ));
                    }
                    if divisions[..i].contains(d) {
                        return Err(Rejection::invalid(
                            "duplicate_division",
                            &format!("divisions[{i}]"),
                            format!("division '{d}' is listed twice"),
                        ));
                    }
                }
                if let Some(rules) = rules {
                    parse_rules(rules).map_err(|(field, msg)| {
                        Rejection::invalid("invalid_rules", &format!("rules.{field}"), msg)
                    })?;
                }
            }
            Event::KudosGiven { .. }
            | Event::ChallengeIssued { .. }
            | Event::ChallengeAccepted { .. }
            | Event::ChallengeDeclined { .. }
            | Event::TargetSet { .. }
            | Event::HolidayDeclared { .. } => crate::domain::game::check(self, event, ctx)?,
            Event::CompetitionClosed { id } => match self.competition(id) {
                None => {
                    return Err(Rejection::invalid(
                        "unknown_competition",
                        "id",
                        format!("there is no competition '{id}'"),
                    ))
                }
                Some(c) if c.closed => {
                    return Err(Rejection::conflict(
                        "already_closed",
                        "id",
                        format!("competition '{id}' is closed"),
                    ))
                }
                Some(_) => {}
            },
            _ => {}
        }
        Ok(())
    }

    /// Folds one envelope in. Total: replay never panics on a strange log.
    pub fn apply(&mut self, env: &Envelope) {
        // A competition past `end + grace` closes before the first event
        // recorded after that instant: a pure function of the log, so a
        // replay freezes it at exactly the same point.
        let last = self.seq();
        for c in self
            .competitions
            .iter_mut()
            .filter(|c| !c.closed && c.auto_close_us() < env.recorded_at)
        {
            let at = c.auto_close_us();
            c.freeze(&self.org, at, last);
        }
        // Challenges and seasons freeze by the same rule, before this
        // event counts.
        if self.game.next_freeze <= env.recorded_at {
            crate::domain::challenges::freeze_ended(self, env.recorded_at);
        }
        crate::domain::seasons::on_record(self, env.recorded_at);
        // Feedback and orders change what the other events on their lead
        // earn (first report, won bonus waiting for an order): take the
        // lead's credits back now and give them again once this is in.
        let mut group = self.group_of(&env.event).unwrap_or_default();
        // A new reach of a (giver, receiver) pair may take the first-pair
        // bonus from the one that had it.
        crate::domain::pairs::reach_group(&self.org, &self.facts, &env.event, &mut group);
        for s in &group {
            self.score_change(*s, false);
        }
        let day = day_index(env.occurred_at, self.tz);
        self.org.apply(env.seq, env.occurred_at, &env.event);
        let fact = self.fact_of(&env.event, env.occurred_at);
        self.facts.push(FactRec {
            at_us: env.occurred_at,
            day,
            voided: false,
            fact,
        });
        let seq = self.seq();
        if let Some(rec) = self.facts.last() {
            self.customers.apply(seq, &env.event, &rec.fact, &self.org);
        }
        crate::domain::game::index(self, seq);
        crate::domain::game::declare(self, env);
        for s in &group {
            self.score_change(*s, true);
        }
        if let Some(lead) = self
            .facts
            .last()
            .and_then(|r| LoopIndex::lead_of(&self.org, seq, &r.fact))
        {
            self.refresh_loop(lead);
        }
        match &env.event {
            Event::EventVoided { seq: target, .. } => self.void(*target),
            Event::RulesPublished {
                version,
                rules,
                effective_from,
                retroactive,
            } => {
                if let Ok(rules) = parse_rules(rules) {
                    let mut timeline = self.score.timeline.clone();
                    let from_day = day_index(*effective_from, self.tz);
                    timeline.publish_version(
                        *version,
                        *effective_from,
                        from_day,
                        Arc::new(rules),
                        *retroactive,
                    );
                    self.rules_version = *version;
                    self.score = Scoreboard::build(timeline, &self.facts, &self.org);
                    self.game.counts = crate::domain::day_counts::DayCounts::build(self);
                    // Deadlines and points both follow the rules.
                    self.loops =
                        LoopIndex::rebuild(&self.org, &self.facts, &self.score.timeline, self.tz);
                    let open = self
                        .competitions
                        .iter_mut()
                        .filter(|c| c.rules.is_none() && !c.closed);
                    for c in open {
                        let (start, end) = (c.start_us, c.end_us);
                        c.score = Scoreboard::build_where(
                            self.score.timeline.clone(),
                            &self.facts,
                            &self.org,
                            |r| start <= r.at_us && r.at_us < end,
                        );
                    }
                }
            }
            Event::CompetitionCreated {
                id,
                name,
                start,
                end,
                divisions,
                per_seller,
                rules,
            } => self.create_competition(
                seq,
                (id, name, *start, *end, 0),
                divisions,
                *per_seller,
                rules,
            ),
            Event::CompetitionCreatedWithGrace {
                id,
                name,
                start,
                end,
                divisions,
                per_seller,
                rules,
                grace_hours,
            } => self.create_competition(
                seq,
                (id, name, *start, *end, *grace_hours),
                divisions,
                *per_seller,
                rules,
            ),
            Event::CompetitionClosed { id } => {
                if let Some(c) = self.competitions.iter_mut().find(|c| c.id == *id) {
                    c.freeze(&self.org, env.recorded_at, last);
                }
            }
            _ => self.score_change(seq, true),
        }
    }

    fn create_competition(
        &mut self,
        seq: u64,
        (id, name, start, end, grace_hours): (&str, &str, i64, i64, u32),
        divisions: &[String],
        per_seller: bool,
        rules: &Option<String>,
    ) {
        let mut c = Competition {
            id: id.to_string(),
            name: name.to_string(),
            start_us: start,
            end_us: end,
            grace_us: i64::from(grace_hours) * 3_600_000_000,
            divisions: divisions
                .iter()
                .filter_map(|d| self.org.division(d))
                .collect(),
            per_seller,
            rules: rules
                .as_deref()
                .and_then(|r| parse_rules(r).ok())
                .map(Arc::new),
            closed: false,
            closed_at: None,
            frozen: None,
            closed_seq: None,
            created_seq: seq,
            score: Scoreboard::new(self.score.timeline.clone()),
        };
        c.score = Scoreboard::build_where(
            c.timeline(&self.score.timeline),
            &self.facts,
            &self.org,
            |r| start <= r.at_us && r.at_us < end,
        );
        self.competitions.push(c);
    }

    /// The seqs whose credits a new event changes: the events on its lead
    /// (first report, won bonus waiting for an order), or the other
    /// delivery reports on its order (first `delivered`).
    fn group_of(&self, event: &Event) -> Option<Vec<u64>> {
        match event {
            Event::LeadFeedback { lead, .. }
            | Event::OrderClosed {
                lead: Some(lead), ..
            } => self.org.lead(lead).map(|l| self.lead_group(l)),
            Event::OrderDelivered { order, .. } => self
                .org
                .order(order)
                .map(|o| self.org.orders[o as usize].deliveries.clone()),
            // The weekly kudos limit: a new one can take the place of a
            // later-dated one that counted.
            Event::KudosGiven { from, .. } => {
                self.org.seller(from).map(|s| self.org.kudos_of(s).to_vec())
            }
            _ => None,
        }
    }

    /// The delivery reports on the order closed at `seq` (orders are kept
    /// in log order, so a binary search finds it).
    fn deliveries_of(&self, order_seq: u64) -> &[u64] {
        let orders = &self.org.orders;
        orders
            .binary_search_by_key(&order_seq, |o| o.seq)
            .map_or(&[][..], |i| &orders[i].deliveries)
    }

    /// The seqs whose credits depend on a lead: the lead itself, its
    /// feedback, its orders and their delivery reports.
    fn lead_group(&self, lead: LeadIx) -> Vec<u64> {
        let Some(l) = self.org.leads.get(lead as usize) else {
            return Vec::new();
        };
        let mut group: Vec<u64> = l.feedback.iter().chain(&l.orders).copied().collect();
        for o in &l.orders {
            group.extend_from_slice(self.deliveries_of(*o));
        }
        group.push(l.seq);
        group.sort_unstable();
        group.dedup();
        group
    }

    /// Interns an event into the fact the scorer reads, resolving each
    /// seller's division as it was at the event's business time (a meeting
    /// logged late, after a move, still counts for the old division).
    fn fact_of(&self, event: &Event, at_us: i64) -> Fact {
        let org = &self.org;
        let div = |s: u32| org.division_at(s, at_us);
        match event {
            Event::LeadGiven { lead, .. } | Event::LeadGivenQualified { lead, .. } => {
                match org.lead(lead) {
                    Some(l) => {
                        let rec = &org.leads[l as usize];
                        Fact::Lead {
                            lead: l,
                            giver: rec.giver,
                            giver_division: rec.giver_division,
                            to_division: rec.to_division,
                        }
                    }
                    None => Fact::Other,
                }
            }
            Event::LeadFeedback {
                lead, by, status, ..
            } => match (org.lead(lead), org.seller(by)) {
                (Some(l), Some(b)) => Fact::Feedback {
                    lead: l,
                    by: b,
                    by_division: div(b),
                    status: *status,
                    giver_division: div(org.leads[l as usize].giver),
                },
                _ => Fact::Other,
            },
            Event::JointVisit { host, guests, .. } => match org.seller(host) {
                Some(h) => Fact::JointVisit {
                    host: h,
                    host_division: div(h),
                    guests: guests
                        .iter()
                        .filter_map(|g| org.seller(g))
                        .map(|g| (g, div(g)))
                        .collect(),
                },
                None => Fact::Other,
            },
            Event::MeetingHeld { seller, .. } => match org.seller(seller) {
                Some(s) => Fact::Meeting {
                    seller: s,
                    division: div(s),
                },
                None => Fact::Other,
            },
            Event::LeadClaimed { lead, by } => match (org.lead(lead), org.seller(by)) {
                (Some(l), Some(b)) => Fact::Claim {
                    lead: l,
                    by: b,
                    by_division: div(b),
                    giver_division: div(org.leads[l as usize].giver),
                },
                _ => Fact::Other,
            },
            Event::OrderClosed {
                seller,
                amount,
                currency,
                lead,
                ..
            } => match org.seller(seller) {
                Some(s) => {
                    let lead = lead.as_deref().and_then(|l| org.lead(l));
                    Fact::Order {
                        seller: s,
                        division: div(s),
                        amount: *amount,
                        currency: org.currency(currency).unwrap_or(u16::MAX),
                        lead: lead.map(|l| (l, div(org.leads[l as usize].giver))),
                    }
                }
                None => Fact::Other,
            },
            Event::MastermindHeld { .. } | Event::CustomerEvent { .. } => {
                crate::domain::team::team_fact(org, event, at_us)
            }
            Event::OrderDelivered { order, status, .. } => match org.order(order) {
                Some(o) => Fact::Delivery {
                    order: o,
                    status: *status,
                },
                None => Fact::Other,
            },
            Event::KudosGiven { from, to, .. } => match (org.seller(from), org.seller(to)) {
                (Some(f), Some(t)) => Fact::Kudos {
                    from: f,
                    from_division: div(f),
                    to: t,
                    to_division: div(t),
                },
                _ => Fact::Other,
            },
            Event::KnowledgeShared {
                presenter,
                audience_division,
                attendees,
                ..
            } => match (org.seller(presenter), org.division(audience_division)) {
                (Some(s), Some(d)) => Fact::Knowledge {
                    presenter: s,
                    presenter_division: div(s),
                    audience_division: d,
                    attendees: attendees
                        .iter()
                        .filter_map(|a| org.seller(a))
                        .map(|a| (a, div(a)))
                        .collect(),
                },
                _ => Fact::Other,
            },
            _ => Fact::Other,
        }
    }

    /// Adds (or removes) an event's credits on the main board and on every
    /// competition whose period covers it, and the main board's sum to the
    /// lead it is on (the matrix's points).
    fn score_change(&mut self, seq: u64, add: bool) {
        let Some(at) = self.facts.get(seq as usize - 1).map(|r| r.at_us) else {
            return;
        };
        // The game's day counts move with the credits (see
        // `crate::domain::day_counts`).
        let mut counts = std::mem::take(&mut self.game.counts);
        let mut buf = std::mem::take(&mut self.game.contrib);
        counts.change(self, seq, add, &mut buf);
        self.game.counts = counts;
        self.game.contrib = buf;
        let sum = if add {
            self.score.add(seq, &self.facts, &self.org)
        } else {
            self.score
                .remove(seq, &self.facts, &self.org)
                .wrapping_neg()
        };
        if sum != 0 {
            let lead = self
                .facts
                .get(seq as usize - 1)
                .and_then(|r| LoopIndex::lead_of(&self.org, seq, &r.fact));
            if let Some(lead) = lead {
                self.loops.add_points(lead, sum);
            }
        }
        let boards = self
            .competitions
            .iter_mut()
            .filter(|c| !c.closed && c.covers(at))
            .map(|c| &mut c.score);
        for board in boards {
            if add {
                board.add(seq, &self.facts, &self.org);
            } else {
                board.remove(seq, &self.facts, &self.org);
            }
        }
    }

    /// Takes back what `target` gave, and re-scores the events whose points
    /// hang on it (everything on the same lead), so the result equals a log
    /// in which `target` never counted.
    fn void(&mut self, target: u64) {
        let Some(rec) = target
            .checked_sub(1)
            .and_then(|i| self.facts.get(i as usize))
        else {
            return;
        };
        if rec.voided {
            return;
        }
        let lead = match &rec.fact {
            Fact::Lead { lead, .. } | Fact::Feedback { lead, .. } | Fact::Claim { lead, .. } => {
                Some(*lead)
            }
            Fact::Order {
                lead: Some((lead, _)),
                ..
            } => Some(*lead),
            _ => None,
        };
        let mut group = lead.map(|l| self.lead_group(l)).unwrap_or_default();
        match &rec.fact {
            Fact::Order { .. } => group.extend_from_slice(self.deliveries_of(target)),
            Fact::Delivery { order, .. } => {
                if let Some(o) = self.org.orders.get(*order as usize) {
                    group.extend_from_slice(&o.deliveries);
                }
            }
            Fact::Kudos { from, .. } => group.extend_from_slice(self.org.kudos_of(*from)),
            _ => {}
        }
        // The lead's claims and the pairs it touched: a void passes the
        // first-pair bonus on to the next reach of the pair.
        if let Some(l) = lead {
            group.extend(self.org.pair_seqs(l));
        }
        if !group.contains(&target) {
            group.push(target);
        }
        group.sort_unstable();
        group.dedup();
        self.customers.void(target, &rec.fact);
        for s in &group {
            self.score_change(*s, false);
        }
        if let Some(rec) = self.facts.get_mut(target as usize - 1) {
            rec.voided = true;
        }
        match self.facts.get(target as usize - 1).map(|r| &r.fact) {
            Some(Fact::Lead { lead, .. }) => {
                if let Some(l) = self.org.leads.get_mut(*lead as usize) {
                    l.voided = true;
                }
            }
            Some(Fact::Claim { lead, .. }) => {
                let lead = *lead;
                self.org.unclaim(lead, target);
            }
            _ => {}
        }
        for s in &group {
            self.score_change(*s, true);
        }
        if let Some(l) = lead {
            self.refresh_loop(l);
        }
    }

    /// Works out a lead's matrix figures (all but points) again.
    fn refresh_loop(&mut self, lead: LeadIx) {
        self.loops
            .refresh(lead, &self.org, &self.facts, &self.score.timeline, self.tz);
    }
}

/// Parses stored or submitted rule-set JSON text.
pub fn parse_rules(text: &str) -> Result<RuleSet, (String, String)> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| (String::new(), e.to_string()))?;
    RuleSet::from_json(&value).map_err(|e| (e.field, e.message))
}
