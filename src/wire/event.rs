//! Turning a client's JSON into an [`Event`], naming the field at fault.
//!
//! Parsing is by hand over `serde_json::Value` rather than derived: a derived
//! deserializer stops at the first problem with a message meant for
//! programmers, while clients need `data.amount` and a sentence. Unknown
//! fields are refused so that a typo never silently drops data.

use serde_json::Value;

use crate::domain::event::{CustomerEventKind, DeliveryStatus, Event, LeadTiming};
use crate::wire::error::ApiError;
use crate::wire::fields::{parse_time, Fields, FAR_FUTURE_US, MAX_ID, MAX_NAME, MAX_NOTE};

/// A parsed `POST /api/v1/events` body.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRequest {
    pub id: Option<String>,
    pub occurred_at: Option<i64>,
    pub event: Event,
}

/// The event types a client may post; rules and competitions have their own
/// endpoints.
pub const POSTABLE_TYPES: [&str; 22] = [
    "division_created",
    "seller_joined",
    "lead_given",
    "lead_feedback",
    "joint_visit",
    "meeting_held",
    "order_closed",
    "event_voided",
    "division_renamed",
    "seller_moved",
    "seller_left",
    "mastermind_held",
    "customer_event",
    "order_delivered",
    "lead_claimed",
    "knowledge_shared",
    "kudos_given",
    "challenge_issued",
    "challenge_accepted",
    "challenge_declined",
    "target_set",
    "holiday_declared",
];

pub fn parse_event_request(body: &Value, now_us: i64) -> Result<EventRequest, ApiError> {
    let mut top = Fields::new(body, "")?;
    let id = top.opt_id("id")?;
    let ty = top.string("type", MAX_ID)?;
    let occurred_at = match top.take("occurred_at") {
        None | Some(Value::Null) => None,
        Some(v) => Some(parse_time(v, "occurred_at", now_us)?),
    };
    let data = top
        .take("data")
        .ok_or_else(|| ApiError::field("data", "missing_field", "data is required"))?;
    top.finish()?;
    let mut d = Fields::new(data, "data.")?;
    let event = match ty.as_str() {
        "division_created" => Event::DivisionCreated {
            id: d.id("id")?,
            name: d.string("name", MAX_NAME)?,
        },
        "seller_joined" => Event::SellerJoined {
            id: d.id("id")?,
            name: d.string("name", MAX_NAME)?,
            division: d.id("division")?,
        },
        "lead_given" => lead_given(&mut d)?,
        "knowledge_shared" => Event::KnowledgeShared {
            presenter: d.id("presenter")?,
            audience_division: d.id("audience_division")?,
            topic: d.string("topic", MAX_NAME)?,
            attendees: if data.get("attendees").is_some_and(|v| !v.is_null()) {
                d.id_list("attendees")?
            } else {
                d.take("attendees");
                Vec::new()
            },
            note: d.opt_string("note", MAX_NOTE)?,
        },
        "lead_feedback" => Event::LeadFeedback {
            lead: d.id("lead")?,
            by: d.id("by")?,
            status: d.status("status")?,
            note: d.opt_string("note", MAX_NOTE)?,
        },
        "joint_visit" => Event::JointVisit {
            host: d.id("host")?,
            guests: d.id_list("guests")?,
            customer: d.string("customer", MAX_NAME)?,
        },
        "meeting_held" => Event::MeetingHeld {
            seller: d.id("seller")?,
            customer: d.string("customer", MAX_NAME)?,
            lead: d.opt_id("lead")?,
        },
        "order_closed" => Event::OrderClosed {
            order: d.id("order")?,
            seller: d.id("seller")?,
            customer: d.string("customer", MAX_NAME)?,
            amount: d.amount("amount")?,
            currency: d.currency("currency")?,
            lead: d.opt_id("lead")?,
        },
        "event_voided" => Event::EventVoided {
            seq: d.seq("seq")?,
            reason: d.string("reason", MAX_NOTE)?,
        },
        "division_renamed" => Event::DivisionRenamed {
            id: d.id("id")?,
            name: d.string("name", MAX_NAME)?,
        },
        "seller_moved" => Event::SellerMoved {
            seller: d.id("seller")?,
            division: d.id("division")?,
        },
        "seller_left" => Event::SellerLeft {
            seller: d.id("seller")?,
        },
        "mastermind_held" => Event::MastermindHeld {
            host: d.id("host")?,
            customer: d.string("customer", MAX_NAME)?,
            customer_id: d.opt_id("customer_id")?,
            helpers: d.id_list("helpers")?,
            note: d.opt_string("note", MAX_NOTE)?,
        },
        "customer_event" => Event::CustomerEvent {
            kind: d.one_of("kind", CustomerEventKind::parse, "seminar, interview_round")?,
            organiser: d.id("organiser")?,
            customers: d.name_list("customers")?,
            sellers: d.id_list("sellers")?,
            title: d.opt_string("title", MAX_NAME)?,
        },
        "order_delivered" => Event::OrderDelivered {
            order: d.id("order")?,
            status: d.one_of(
                "status",
                DeliveryStatus::parse,
                "delivered, delayed, problem",
            )?,
            note: d.opt_string("note", MAX_NOTE)?,
        },
        "lead_claimed" => Event::LeadClaimed {
            lead: d.id("lead")?,
            by: d.id("by")?,
        },
        "kudos_given" => Event::KudosGiven {
            from: d.id("from")?,
            to: d.id("to")?,
            reason: d.string("reason", MAX_NAME)?,
            seq: d.opt_seq("seq")?,
        },
        "challenge_issued" => Event::ChallengeIssued {
            id: d.id("id")?,
            challenger: d.id("challenger")?,
            opponent: d.id("opponent")?,
            metric: d.string("metric", MAX_ID)?,
            start: d.time("start", now_us.saturating_add(FAR_FUTURE_US))?,
            end: d.time("end", now_us.saturating_add(FAR_FUTURE_US))?,
            stake: d.opt_string("stake", MAX_NAME)?,
        },
        "challenge_accepted" => Event::ChallengeAccepted {
            id: d.id("id")?,
            by: d.id("by")?,
        },
        "challenge_declined" => Event::ChallengeDeclined {
            id: d.id("id")?,
            by: d.id("by")?,
        },
        "target_set" => Event::TargetSet {
            id: d.id("id")?,
            division: d.id("division")?,
            metric: d.string("metric", MAX_ID)?,
            value: d.positive("value")?,
            start: d.time("start", now_us.saturating_add(FAR_FUTURE_US))?,
            end: d.time("end", now_us.saturating_add(FAR_FUTURE_US))?,
        },
        "holiday_declared" => Event::HolidayDeclared {
            week: d.string("week", MAX_ID)?,
            name: d.string("name", MAX_NAME)?,
        },
        other => {
            return Err(ApiError::field(
                "type",
                "unknown_type",
                format!(
                    "unknown event type '{other}'; expected one of {}",
                    POSTABLE_TYPES.join(", ")
                ),
            ))
        }
    };
    d.finish()?;
    Ok(EventRequest {
        id,
        occurred_at,
        event,
    })
}

/// `lead_given`, in its original stored shape when it names none of
/// `need`, `timing` and `contact`, so that old clients write what they
/// always wrote.
fn lead_given(d: &mut Fields) -> Result<Event, ApiError> {
    let (lead, from, to_division, to_seller, customer, note, estimated_value) = (
        d.id("lead")?,
        d.id("from")?,
        d.id("to_division")?,
        d.opt_id("to_seller")?,
        d.string("customer", MAX_NAME)?,
        d.opt_string("note", MAX_NOTE)?,
        d.opt_amount("estimated_value", 0)?,
    );
    let need = d.opt_string("need", MAX_NOTE)?;
    let timing = match d.opt_string("timing", MAX_ID)? {
        None => None,
        Some(t) => Some(LeadTiming::parse(&t).ok_or_else(|| {
            ApiError::field(
                "data.timing",
                "invalid_value",
                "data.timing must be one of now, quarter, year, unknown",
            )
        })?),
    };
    let contact = d.opt_string("contact", MAX_NAME)?;
    Ok(if need.is_none() && timing.is_none() && contact.is_none() {
        Event::LeadGiven {
            lead,
            from,
            to_division,
            to_seller,
            customer,
            note,
            estimated_value,
        }
    } else {
        Event::LeadGivenQualified {
            lead,
            from,
            to_division,
            to_seller,
            customer,
            note,
            estimated_value,
            need,
            timing,
            contact,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::micros;
    use serde_json::json;

    fn parse(v: Value) -> Result<EventRequest, ApiError> {
        parse_event_request(&v, 0)
    }

    #[test]
    fn parses_an_order() {
        let r = parse(json!({"id": "o-1", "type": "order_closed", "data": {
            "order": "o1", "seller": "anna", "customer": "Acme", "amount": 1500, "currency": "SEK"}}))
        .unwrap();
        assert_eq!(r.id.as_deref(), Some("o-1"));
        assert!(matches!(r.event, Event::OrderClosed { amount: 1500, .. }));
    }

    #[test]
    fn names_the_field_at_fault() {
        let f = |v| parse(v).unwrap_err().field.unwrap();
        assert_eq!(
            f(json!({"type": "seller_joined", "data": {"id": "a", "name": "A"}})),
            "data.division"
        );
        assert_eq!(
            f(
                json!({"type": "order_closed", "data": {"order": "o", "seller": "s", "customer": "c", "amount": 1.5, "currency": "SEK"}})
            ),
            "data.amount"
        );
        assert_eq!(
            f(
                json!({"type": "order_closed", "data": {"order": "o", "seller": "s", "customer": "c", "amount": -3, "currency": "SEK"}})
            ),
            "data.amount"
        );
        assert_eq!(
            f(
                json!({"type": "order_closed", "data": {"order": "o", "seller": "s", "customer": "c", "amount": 3, "currency": "KRONOR"}})
            ),
            "data.currency"
        );
        assert_eq!(
            f(json!({"type": "seller_left", "data": {"seller": "s", "extra": 1}})),
            "data.extra"
        );
        assert_eq!(f(json!({"type": "nope", "data": {}})), "type");
        assert_eq!(
            f(json!({"type": "seller_left", "occurred_at": "yesterday", "data": {"seller": "s"}})),
            "occurred_at"
        );
        assert_eq!(
            f(
                json!({"type": "joint_visit", "data": {"host": "a", "guests": ["b", 3], "customer": "c"}})
            ),
            "data.guests[1]"
        );
        assert_eq!(
            f(json!({"id": "x".repeat(65), "type": "seller_left", "data": {"seller": "s"}})),
            "id"
        );
    }

    #[test]
    fn lead_quality_fields_and_knowledge() {
        let lead = |extra: Value| {
            let mut data = json!({"lead": "l", "from": "a", "to_division": "b", "customer": "c"});
            for (k, v) in extra.as_object().unwrap() {
                data[k] = v.clone();
            }
            parse(json!({"type": "lead_given", "data": data}))
        };
        assert!(matches!(
            lead(json!({})).unwrap().event,
            Event::LeadGiven { .. }
        ));
        let e = lead(json!({"need": "pumps", "timing": "quarter", "contact": "Eva"}))
            .unwrap()
            .event;
        assert!(matches!(
            e,
            Event::LeadGivenQualified {
                timing: Some(LeadTiming::Quarter),
                ..
            }
        ));
        assert_eq!(e.type_name(), "lead_given");
        let f = |v| lead(v).unwrap_err().field.unwrap();
        assert_eq!(f(json!({"timing": "soon"})), "data.timing");
        assert_eq!(f(json!({"need": 3})), "data.need");
        assert_eq!(f(json!({"contact": "x".repeat(201)})), "data.contact");
        let k = parse(json!({"type": "knowledge_shared", "data": {
            "presenter": "a", "audience_division": "b", "topic": "heat pumps"}}))
        .unwrap();
        assert!(
            matches!(k.event, Event::KnowledgeShared { ref attendees, .. } if attendees.is_empty())
        );
        let e = parse(json!({"type": "knowledge_shared", "data": {
            "presenter": "a", "audience_division": "b", "topic": "t", "attendees": ["x", 1]}}))
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("data.attendees[1]"));
        let e = parse(json!({"type": "knowledge_shared", "data": {
            "presenter": "a", "audience_division": "b"}}))
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("data.topic"));
    }

    #[test]
    fn refuses_times_more_than_a_day_ahead() {
        // Relative to now, so that the test means the same in any year.
        let now = chrono::Utc::now();
        let at = |t: chrono::DateTime<chrono::Utc>| {
            parse_event_request(
                &json!({"type": "seller_left", "occurred_at": t.to_rfc3339(), "data": {"seller": "s"}}),
                micros(now),
            )
        };
        let e = at(now + chrono::Duration::days(2)).unwrap_err();
        assert_eq!(e.code, "in_future");
        assert!(at(now + chrono::Duration::hours(12)).is_ok());
        assert!(at(now - chrono::Duration::days(400)).is_ok());
    }
}
