//! Who first worked with whom: the (giver, receiver) pairs behind the
//! first-pair bonus.
//!
//! A giver's lead *reaches* a colleague when it names them (`lead_given`
//! with `to_seller`) or when they claim it (`lead_claimed`), at that
//! event's business time. Whoever merely answers first is not a reach: the
//! bonus must be decidable when the lead arrives, not by a race to answer.
//! The earliest live reach of a pair earns the bonus
//! ([`crate::domain::credit::first_reach`]); the org keeps every reach
//! per pair so that a void or a back-dated reach moves it exactly.

use crate::domain::credit::{first_reach, Facts};
use crate::domain::event::Event;
use crate::domain::org::{Org, SellerIx};

/// The pair a new event would reach, if it is a reach.
pub fn pair_of(org: &Org, event: &Event) -> Option<(SellerIx, SellerIx)> {
    match event {
        // Both shapes of `lead_given`: the qualified one reaches as well
        // (missing it left a back-dated qualified lead beside the old first
        // reach, both with the bonus, until a replay).
        Event::LeadGiven {
            from,
            to_seller: Some(to),
            ..
        }
        | Event::LeadGivenQualified {
            from,
            to_seller: Some(to),
            ..
        } => org.seller(from).zip(org.seller(to)),
        Event::LeadClaimed { lead, by } => org
            .lead(lead)
            .and_then(|l| org.leads.get(l as usize))
            .map(|l| l.giver)
            .zip(org.seller(by)),
        _ => None,
    }
}

/// Adds to `group` the seq whose credits a new reach may change: the
/// pair's current first reach, which an earlier-dated newcomer displaces.
/// (The newcomer itself is scored as it is folded in.) Only the first can
/// lose, so one seq is enough however often the pair worked together.
pub fn reach_group(org: &Org, facts: &impl Facts, event: &Event, group: &mut Vec<u64>) {
    let Some(pair) = pair_of(org, event) else {
        return;
    };
    if let Some(s) = first_reach(org, facts, pair.0, pair.1) {
        if !group.contains(&s) {
            group.push(s);
            group.sort_unstable();
        }
    }
}
