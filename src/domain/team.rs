//! Team selling and promises kept: the checks for `mastermind_held`,
//! `customer_event` and `order_delivered`, kept beside (not inside) the
//! older fair-play checks in `validate.rs`.
//!
//! The fair-play idea carries over: a mastermind must bring in another
//! division (otherwise it is an ordinary team meeting), a customer event
//! must be staffed from at least two divisions, and a delivery report must
//! hang on a live order and not predate it. Who may report a delivery (the
//! order's seller or a leader) depends on the caller's token, which the
//! domain does not know; the HTTP ring checks it against [`Org::orders`].

use std::collections::HashSet;

use crate::domain::credit::Fact;
use crate::domain::event::Event;
use crate::domain::org::{DivisionIx, Org, Rejection, SellerIx, SeqInfo};

impl Org {
    /// Checks the team-selling and delivery events. `at` is the business
    /// time; `seqs` describes the log so far.
    pub(crate) fn check_team(
        &self,
        event: &Event,
        at: i64,
        seqs: &dyn Fn(u64) -> Option<SeqInfo>,
    ) -> Result<(), Rejection> {
        match event {
            Event::MastermindHeld { host, helpers, .. } => {
                let h = self.active_seller(host, "data.host")?;
                let helper_ixs = self.distinct_sellers(helpers, "data.helpers", Some(host))?;
                let home = self.division_at(h, at);
                if !helper_ixs.iter().any(|s| self.division_at(*s, at) != home) {
                    return Err(Rejection::invalid(
                        "no_other_division",
                        "data.helpers",
                        "a mastermind needs at least one helper from another division than the host",
                    ));
                }
            }
            Event::CustomerEvent {
                organiser,
                customers,
                sellers,
                ..
            } => {
                self.active_seller(organiser, "data.organiser")?;
                if customers.is_empty() {
                    return Err(Rejection::invalid(
                        "no_customers",
                        "data.customers",
                        "a customer event needs at least one customer",
                    ));
                }
                let mut seen = HashSet::new();
                for (i, c) in customers.iter().enumerate() {
                    if !seen.insert(crate::domain::customers::normalise(c)) {
                        return Err(Rejection::invalid(
                            "duplicate_customer",
                            &format!("data.customers[{i}]"),
                            format!("customer '{c}' is listed twice"),
                        ));
                    }
                }
                let ixs = self.distinct_sellers(sellers, "data.sellers", None)?;
                let divisions: HashSet<DivisionIx> =
                    ixs.iter().map(|s| self.division_at(*s, at)).collect();
                if divisions.len() < 2 {
                    return Err(Rejection::invalid(
                        "one_division",
                        "data.sellers",
                        "a customer event is staffed by sellers from at least two divisions",
                    ));
                }
            }
            Event::OrderDelivered { order, .. } => {
                let o = self.order(order).ok_or_else(|| {
                    Rejection::invalid(
                        "unknown_order",
                        "data.order",
                        format!("there is no order '{order}'"),
                    )
                })?;
                let rec = &self.orders[o as usize];
                if seqs(rec.seq).is_some_and(|i| i.voided) {
                    return Err(Rejection::invalid(
                        "order_voided",
                        "data.order",
                        format!("order '{order}' was voided"),
                    ));
                }
                if at < rec.at_us {
                    return Err(Rejection::invalid(
                        "before_order",
                        "occurred_at",
                        format!(
                            "order '{order}' was closed at {}; its delivery cannot be earlier",
                            crate::domain::time::format_us(rec.at_us)
                        ),
                    ));
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// A non-empty list of active sellers, each once, without `except`.
    fn distinct_sellers(
        &self,
        ids: &[String],
        field: &str,
        except: Option<&String>,
    ) -> Result<Vec<SellerIx>, Rejection> {
        if ids.is_empty() {
            return Err(Rejection::invalid(
                "empty_list",
                field,
                format!("{field} must name at least one seller"),
            ));
        }
        let mut seen = HashSet::new();
        let mut out = Vec::with_capacity(ids.len());
        for (i, id) in ids.iter().enumerate() {
            let item = format!("{field}[{i}]");
            if Some(id) == except {
                return Err(Rejection::invalid(
                    "host_among_helpers",
                    &item,
                    format!("the host '{id}' cannot also be a helper"),
                ));
            }
            if !seen.insert(id.as_str()) {
                return Err(Rejection::invalid(
                    "duplicate_seller",
                    &item,
                    format!("seller '{id}' is listed twice"),
                ));
            }
            out.push(self.active_seller(id, &item)?);
        }
        Ok(out)
    }
}

/// The fact of a mastermind or customer event, each seller's division
/// resolved at the event's business time. Sellers the org does not know
/// (a hand-edited log) are skipped; the organiser is paid once even when
/// also listed among the staff.
pub(crate) fn team_fact(org: &Org, event: &Event, at_us: i64) -> Fact {
    let with_div = |ids: &[String], skip: SellerIx| -> Box<[(SellerIx, DivisionIx)]> {
        let mut out: Vec<(SellerIx, DivisionIx)> = Vec::with_capacity(ids.len());
        for s in ids.iter().filter_map(|id| org.seller(id)) {
            if s != skip && !out.iter().any(|(o, _)| *o == s) {
                out.push((s, org.division_at(s, at_us)));
            }
        }
        out.into_boxed_slice()
    };
    match event {
        Event::MastermindHeld { host, helpers, .. } => match org.seller(host) {
            Some(h) => Fact::Mastermind {
                host: h,
                host_division: org.division_at(h, at_us),
                helpers: with_div(helpers, h),
            },
            None => Fact::Other,
        },
        Event::CustomerEvent {
            organiser, sellers, ..
        } => match org.seller(organiser) {
            Some(o) => Fact::CustomerEvent {
                organiser: o,
                organiser_division: org.division_at(o, at_us),
                sellers: with_div(sellers, o),
            },
            None => Fact::Other,
        },
        _ => Fact::Other,
    }
}
