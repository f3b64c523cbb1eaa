//! The checks a new event must pass against the organisation: who may do
//! what, when. Kept apart from the org's bookkeeping so the rules of fair
//! play read in one place.

use std::collections::HashSet;

use crate::domain::event::Event;
use crate::domain::org::{is_currency, DivisionIx, LeadIx, Org, Rejection, SellerIx, SeqInfo};
use crate::domain::rules::{RuleSet, MAX_ORDER_AMOUNT};

/// 2000-01-01T00:00:00Z: nothing the org tracks happened earlier, and a
/// year-1900 date is a typo that would sink into an unreadable window.
pub const EARLIEST_US: i64 = 946_684_800_000_000;

const DAY_US: i64 = 86_400_000_000;

/// What the writer knows about an append beyond the event itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Context {
    /// The writer's clock (UTC microseconds).
    pub now_us: i64,
    /// The event's business time.
    pub occurred_at: i64,
    /// Leaders and imports record history; sellers only log their own
    /// recent work, within `backdate_days` and `order.max_amount`.
    pub privileged: bool,
}

impl Context {
    /// A leader-level append happening now: for tests, tools and replays.
    pub fn privileged_at(now_us: i64) -> Context {
        Context {
            now_us,
            occurred_at: now_us,
            privileged: true,
        }
    }
}

impl Org {
    /// Checks `event` against the org as it stands; `seqs` describes the log
    /// so far (for voids), `rules` is the rule set in force now (back-dating
    /// and order limits) and `ctx` says when and by whom. Pure.
    pub fn check(
        &self,
        event: &Event,
        ctx: &Context,
        rules: &RuleSet,
        seqs: &dyn Fn(u64) -> Option<SeqInfo>,
    ) -> Result<(), Rejection> {
        check_time(ctx, rules)?;
        let at = ctx.occurred_at;
        match event {
            Event::DivisionCreated { id, .. } => {
                if self.division(id).is_some() {
                    return Err(Rejection::conflict(
                        "duplicate_id",
                        "data.id",
                        format!("division '{id}' already exists"),
                    ));
                }
            }
            Event::SellerJoined { id, division, .. } => {
                if self.seller(id).is_some() {
                    return Err(Rejection::conflict(
                        "duplicate_id",
                        "data.id",
                        format!("seller '{id}' already exists"),
                    ));
                }
                self.known_division(division, "data.division")?;
            }
            Event::LeadGiven {
                lead,
                from,
                to_division,
                to_seller,
                ..
            }
            | Event::LeadGivenQualified {
                lead,
                from,
                to_division,
                to_seller,
                ..
            } => {
                if self.lead(lead).is_some() {
                    return Err(Rejection::conflict(
                        "duplicate_id",
                        "data.lead",
                        format!("lead '{lead}' already exists"),
                    ));
                }
                let giver = self.active_seller(from, "data.from")?;
                let div = self.known_division(to_division, "data.to_division")?;
                if self.division_at(giver, at) == div {
                    return Err(Rejection::invalid(
                        "own_division",
                        "data.to_division",
                        format!(
                            "'{from}' is in division '{to_division}'; a lead goes to another division"
                        ),
                    ));
                }
                if let Some(to) = to_seller {
                    let s = self.active_seller(to, "data.to_seller")?;
                    if self.division_at(s, at) != div {
                        return Err(Rejection::invalid(
                            "not_in_division",
                            "data.to_seller",
                            format!("seller '{to}' is not in division '{to_division}'"),
                        ));
                    }
                    if to == from {
                        return Err(Rejection::invalid(
                            "lead_to_self",
                            "data.to_seller",
                            "a lead cannot be given to its own giver",
                        ));
                    }
                }
            }
            Event::LeadFeedback { lead, by, .. } => {
                let l = self.open_lead(lead, "data.lead")?;
                let s = self.active_seller(by, "data.by")?;
                if s == self.leads[l as usize].giver {
                    return Err(Rejection::invalid(
                        "feedback_by_giver",
                        "data.by",
                        format!("'{by}' gave lead '{lead}'; feedback comes from its receivers"),
                    ));
                }
                self.not_before_lead(l, at)?;
                if self.division_at(s, at) != self.leads[l as usize].to_division {
                    let div = &self.divisions[self.leads[l as usize].to_division as usize].id;
                    return Err(Rejection::invalid(
                        "not_in_receiving_division",
                        "data.by",
                        format!("seller '{by}' is not in division '{div}', which received lead '{lead}'"),
                    ));
                }
            }
            Event::LeadClaimed { lead, by } => self.check_claim(lead, by, at)?,
            Event::JointVisit { host, guests, .. } => {
                self.active_seller(host, "data.host")?;
                if guests.is_empty() {
                    return Err(Rejection::invalid(
                        "no_guests",
                        "data.guests",
                        "a joint visit needs at least one guest",
                    ));
                }
                let mut seen = HashSet::new();
                for (i, g) in guests.iter().enumerate() {
                    let field = format!("data.guests[{i}]");
                    if g == host {
                        return Err(Rejection::invalid(
                            "host_among_guests",
                            &field,
                            format!("the host '{host}' cannot also be a guest"),
                        ));
                    }
                    if !seen.insert(g.as_str()) {
                        return Err(Rejection::invalid(
                            "duplicate_guest",
                            &field,
                            format!("guest '{g}' is listed twice"),
                        ));
                    }
                    self.active_seller(g, &field)?;
                }
            }
            Event::MeetingHeld { seller, lead, .. } => {
                self.active_seller(seller, "data.seller")?;
                if let Some(lead) = lead {
                    self.open_lead(lead, "data.lead")?;
                }
            }
            Event::OrderClosed {
                order,
                seller,
                currency,
                lead,
                amount,
                ..
            } => {
                if self.has_order(order) {
                    return Err(Rejection::conflict(
                        "duplicate_id",
                        "data.order",
                        format!("order '{order}' already exists"),
                    ));
                }
                let s = self.active_seller(seller, "data.seller")?;
                if !is_currency(currency) {
                    return Err(Rejection::invalid(
                        "invalid_currency",
                        "data.currency",
                        format!("'{currency}' is not an ISO 4217 currency code"),
                    ));
                }
                check_amount(*amount, currency, ctx, rules)?;
                if let Some(lead) = lead {
                    let l = self.open_lead(lead, "data.lead")?;
                    self.not_before_lead(l, at)?;
                    let to = self.leads[l as usize].to_division;
                    if self.division_at(s, at) != to {
                        let div = &self.divisions[to as usize].id;
                        return Err(Rejection::invalid(
                            "not_in_receiving_division",
                            "data.lead",
                            format!(
                                "seller '{seller}' is not in division '{div}', which received lead '{lead}'"
                            ),
                        ));
                    }
                }
            }
            Event::KnowledgeShared {
                presenter,
                audience_division,
                attendees,
                ..
            } => self.check_knowledge(presenter, audience_division, attendees, at)?,
            Event::EventVoided { seq, .. } => match seqs(*seq) {
                None => {
                    return Err(Rejection::invalid(
                        "unknown_seq",
                        "data.seq",
                        format!("there is no event with seq {seq}"),
                    ))
                }
                Some(info) if !info.activity => {
                    return Err(Rejection::invalid(
                        "not_voidable",
                        "data.seq",
                        format!("event {seq} is not an activity; only activities can be voided"),
                    ))
                }
                Some(info) if info.voided => {
                    return Err(Rejection::conflict(
                        "already_voided",
                        "data.seq",
                        format!("event {seq} is already voided"),
                    ))
                }
                Some(_) => {}
            },
            Event::DivisionRenamed { id, .. } => {
                self.known_division(id, "data.id")?;
            }
            Event::SellerMoved { seller, division } => {
                let s = self.active_seller(seller, "data.seller")?;
                let d = self.known_division(division, "data.division")?;
                if self.sellers[s as usize].division == d {
                    return Err(Rejection::invalid(
                        "same_division",
                        "data.division",
                        format!("seller '{seller}' is already in division '{division}'"),
                    ));
                }
            }
            Event::SellerLeft { seller } => {
                self.active_seller(seller, "data.seller")?;
            }
            Event::MastermindHeld { .. }
            | Event::CustomerEvent { .. }
            | Event::OrderDelivered { .. } => self.check_team(event, at, seqs)?,
            Event::KudosGiven { from, to, seq, .. } => {
                let f = self.active_seller(from, "data.from")?;
                let t = self.active_seller(to, "data.to")?;
                if f == t {
                    return Err(Rejection::invalid(
                        "kudos_to_self",
                        "data.to",
                        "kudos go to a colleague, never to oneself",
                    ));
                }
                if let Some(seq) = seq {
                    if seqs(*seq).is_none_or(|i| !i.activity || i.voided) {
                        return Err(Rejection::invalid(
                            "unknown_seq",
                            "data.seq",
                            format!("there is no live activity with seq {seq} to thank for"),
                        ));
                    }
                }
            }
            // Rules, competitions and the game's leadership events are
            // checked by the projection, which knows their state.
            Event::RulesPublished { .. }
            | Event::CompetitionCreated { .. }
            | Event::CompetitionCreatedWithGrace { .. }
            | Event::CompetitionClosed { .. }
            | Event::ChallengeIssued { .. }
            | Event::ChallengeAccepted { .. }
            | Event::ChallengeDeclined { .. }
            | Event::TargetSet { .. }
            | Event::HolidayDeclared { .. } => {}
        }
        Ok(())
    }

    /// A claim takes an unnamed lead for a seller of its receiving
    /// division; the first one stands until voided, later ones are refused
    /// so two colleagues never both think it is theirs.
    fn check_claim(&self, lead: &str, by: &str, at: i64) -> Result<(), Rejection> {
        let l = self.open_lead(lead, "data.lead")?;
        let s = self.active_seller(by, "data.by")?;
        let rec = &self.leads[l as usize];
        if s == rec.giver {
            return Err(Rejection::invalid(
                "claim_by_giver",
                "data.by",
                format!("'{by}' gave lead '{lead}'; a receiver claims it"),
            ));
        }
        if let Some(named) = rec.to_seller {
            let who = &self.sellers[named as usize].id;
            return Err(Rejection::conflict(
                "lead_named",
                "data.lead",
                format!("lead '{lead}' was given to '{who}'; only a lead naming nobody is claimed"),
            ));
        }
        if let Some(c) = rec.claim {
            let who = &self.sellers[c.by as usize].id;
            return Err(Rejection::conflict(
                "already_claimed",
                "data.lead",
                format!("lead '{lead}' was already claimed by '{who}'"),
            ));
        }
        self.not_before_lead(l, at)?;
        if self.division_at(s, at) != rec.to_division {
            let div = &self.divisions[rec.to_division as usize].id;
            return Err(Rejection::invalid(
                "not_in_receiving_division",
                "data.by",
                format!("seller '{by}' is not in division '{div}', which received lead '{lead}'"),
            ));
        }
        Ok(())
    }

    pub(crate) fn known_division(&self, id: &str, field: &str) -> Result<DivisionIx, Rejection> {
        self.division(id).ok_or_else(|| {
            Rejection::invalid(
                "unknown_division",
                field,
                format!("there is no division '{id}'"),
            )
        })
    }

    pub(crate) fn active_seller(&self, id: &str, field: &str) -> Result<SellerIx, Rejection> {
        let s = self.seller(id).ok_or_else(|| {
            Rejection::invalid(
                "unknown_seller",
                field,
                format!("there is no seller '{id}'"),
            )
        })?;
        if self.sellers[s as usize].left {
            return Err(Rejection::invalid(
                "seller_left",
                field,
                format!("seller '{id}' has left"),
            ));
        }
        Ok(s)
    }

    fn open_lead(&self, id: &str, field: &str) -> Result<LeadIx, Rejection> {
        let l = self.lead(id).ok_or_else(|| {
            Rejection::invalid("unknown_lead", field, format!("there is no lead '{id}'"))
        })?;
        if self.leads[l as usize].voided {
            return Err(Rejection::invalid(
                "lead_voided",
                field,
                format!("lead '{id}' was voided"),
            ));
        }
        Ok(l)
    }

    /// Feedback or an order dated before its lead is a typo or a game:
    /// neither can have come from the lead.
    fn not_before_lead(&self, lead: LeadIx, at: i64) -> Result<(), Rejection> {
        let l = &self.leads[lead as usize];
        if at < l.at_us {
            return Err(Rejection::invalid(
                "before_lead",
                "occurred_at",
                format!(
                    "lead '{}' was given at {}; this cannot be earlier",
                    l.id,
                    crate::domain::time::format_us(l.at_us)
                ),
            ));
        }
        Ok(())
    }
}

/// Business time bounds: never before 2000, and for sellers no further back
/// than the rules allow.
fn check_time(ctx: &Context, rules: &RuleSet) -> Result<(), Rejection> {
    if ctx.occurred_at < EARLIEST_US {
        return Err(Rejection::invalid(
            "too_old",
            "occurred_at",
            "occurred_at must be 2000-01-01 or later",
        ));
    }
    let limit = ctx
        .now_us
        .saturating_sub(rules.backdate_days.saturating_mul(DAY_US));
    if !ctx.privileged && ctx.occurred_at < limit {
        return Err(Rejection::invalid(
            "backdated_too_far",
            "occurred_at",
            format!(
                "sellers may date events at most {} days back; ask a leader",
                rules.backdate_days
            ),
        ));
    }
    Ok(())
}

/// An order must fit exact arithmetic under the rules in force, and a
/// seller's must stay within `order.max_amount`.
fn check_amount(
    amount: i64,
    currency: &str,
    ctx: &Context,
    rules: &RuleSet,
) -> Result<(), Rejection> {
    if !(1..=MAX_ORDER_AMOUNT).contains(&amount) {
        return Err(Rejection::invalid(
            "invalid_value",
            "data.amount",
            format!("data.amount must be from 1 to {MAX_ORDER_AMOUNT} minor units"),
        ));
    }
    if rules.order_points_checked(amount, currency).is_none() {
        return Err(Rejection::invalid(
            "amount_too_large",
            "data.amount",
            "this order would earn more points than one event may",
        ));
    }
    let reference = rules
        .reference_amount(amount, currency)
        .unwrap_or(amount as i128);
    if !ctx.privileged && reference > rules.order.max_amount as i128 {
        return Err(Rejection::invalid(
            "amount_too_large",
            "data.amount",
            format!(
                "orders above {} {} minor units need a leader",
                rules.order.max_amount, rules.order.currency
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
