//! Turning a client's JSON into an [`Event`], naming the field at fault.
//!
//! Parsing is by hand over `serde_json::Value` rather than derived: a derived
//! deserializer stops at the first problem with a message meant for
//! programmers, while clients need `data.amount` and a sentence. Unknown
//! fields are refused so that a typo never silently drops data.

use serde_json::{Map, Value};

use crate::api::error::ApiError;
use crate::domain::event::{Event, FeedbackStatus};
use crate::domain::time::micros;

pub const MAX_ID: usize = 64;
const MAX_NAME: usize = 200;
const MAX_NOTE: usize = 2000;
/// Amounts above this (in minor units) are surely a mistake.
const MAX_AMOUNT: i64 = 1_000_000_000_000_000;

/// A parsed `POST /api/v1/events` body.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRequest {
    pub id: Option<String>,
    pub occurred_at: Option<i64>,
    pub event: Event,
}

/// The event types a client may post; rules and competitions have their own
/// endpoints.
pub const POSTABLE_TYPES: [&str; 11] = [
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
        "lead_given" => Event::LeadGiven {
            lead: d.id("lead")?,
            from: d.id("from")?,
            to_division: d.id("to_division")?,
            to_seller: d.opt_id("to_seller")?,
            customer: d.string("customer", MAX_NAME)?,
            note: d.opt_string("note", MAX_NOTE)?,
            estimated_value: d.opt_amount("estimated_value", 0)?,
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

/// Parses an RFC 3339 time, refusing one more than a day in the future.
pub fn parse_time(v: &Value, field: &str, now_us: i64) -> Result<i64, ApiError> {
    let s = v.as_str().ok_or_else(|| {
        ApiError::field(
            field,
            "invalid_type",
            format!("{field} must be an RFC 3339 string"),
        )
    })?;
    let t = chrono::DateTime::parse_from_rfc3339(s).map_err(|e| {
        ApiError::field(
            field,
            "invalid_time",
            format!("{field} is not RFC 3339 ({e}): '{s}'"),
        )
    })?;
    let us = micros(t.with_timezone(&chrono::Utc));
    if us > now_us + 86_400_000_000 {
        return Err(ApiError::field(
            field,
            "in_future",
            format!("{field} is more than a day in the future"),
        ));
    }
    Ok(us)
}

/// Reads the fields of one JSON object and remembers which were used, so
/// that leftovers can be refused by name.
pub struct Fields<'a> {
    obj: &'a Map<String, Value>,
    prefix: &'static str,
    used: Vec<&'static str>,
}

impl<'a> Fields<'a> {
    pub fn new(v: &'a Value, prefix: &'static str) -> Result<Self, ApiError> {
        let obj = v.as_object().ok_or_else(|| {
            let what = if prefix.is_empty() {
                "the body"
            } else {
                "data"
            };
            let e = ApiError::field(
                prefix.trim_end_matches('.'),
                "invalid_type",
                format!("{what} must be a JSON object"),
            );
            if prefix.is_empty() {
                ApiError { field: None, ..e }
            } else {
                e
            }
        })?;
        Ok(Fields {
            obj,
            prefix,
            used: Vec::new(),
        })
    }

    fn path(&self, name: &str) -> String {
        format!("{}{}", self.prefix, name)
    }

    pub fn take(&mut self, name: &'static str) -> Option<&'a Value> {
        self.used.push(name);
        self.obj.get(name)
    }

    fn required(&mut self, name: &'static str) -> Result<&'a Value, ApiError> {
        match self.take(name) {
            None | Some(Value::Null) => {
                let path = self.path(name);
                Err(ApiError::field(
                    &path,
                    "missing_field",
                    format!("{path} is required"),
                ))
            }
            Some(v) => Ok(v),
        }
    }

    fn type_error(&self, name: &str, what: &str) -> ApiError {
        let path = self.path(name);
        ApiError::field(&path, "invalid_type", format!("{path} must be {what}"))
    }

    fn check_text(&self, name: &str, s: &str, max: usize) -> Result<(), ApiError> {
        let path = self.path(name);
        if s.trim().is_empty() {
            return Err(ApiError::field(
                &path,
                "invalid_value",
                format!("{path} must not be empty"),
            ));
        }
        if s.chars().count() > max {
            return Err(ApiError::field(
                &path,
                "too_long",
                format!("{path} is longer than {max} characters"),
            ));
        }
        Ok(())
    }

    pub fn string(&mut self, name: &'static str, max: usize) -> Result<String, ApiError> {
        let v = self.required(name)?;
        let s = v
            .as_str()
            .ok_or_else(|| self.type_error(name, "a string"))?;
        self.check_text(name, s, max)?;
        Ok(s.to_string())
    }

    pub fn opt_string(
        &mut self,
        name: &'static str,
        max: usize,
    ) -> Result<Option<String>, ApiError> {
        match self.take(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => {
                let s = v
                    .as_str()
                    .ok_or_else(|| self.type_error(name, "a string"))?;
                if s.chars().count() > max {
                    let path = self.path(name);
                    return Err(ApiError::field(
                        &path,
                        "too_long",
                        format!("{path} is longer than {max} characters"),
                    ));
                }
                Ok(Some(s.to_string()).filter(|s| !s.trim().is_empty()))
            }
        }
    }

    fn check_id(&self, name: &str, s: &str) -> Result<(), ApiError> {
        self.check_text(name, s, MAX_ID)?;
        if s.chars().any(char::is_control) {
            let path = self.path(name);
            return Err(ApiError::field(
                &path,
                "invalid_value",
                format!("{path} must not contain control characters"),
            ));
        }
        Ok(())
    }

    pub fn id(&mut self, name: &'static str) -> Result<String, ApiError> {
        let v = self.required(name)?;
        let s = v
            .as_str()
            .ok_or_else(|| self.type_error(name, "a string id"))?;
        self.check_id(name, s)?;
        Ok(s.to_string())
    }

    pub fn opt_id(&mut self, name: &'static str) -> Result<Option<String>, ApiError> {
        match self.take(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => {
                let s = v
                    .as_str()
                    .ok_or_else(|| self.type_error(name, "a string id"))?;
                self.check_id(name, s)?;
                Ok(Some(s.to_string()))
            }
        }
    }

    pub fn id_list(&mut self, name: &'static str) -> Result<Vec<String>, ApiError> {
        let v = self.required(name)?;
        let arr = v
            .as_array()
            .ok_or_else(|| self.type_error(name, "a list of string ids"))?;
        if arr.len() > 50 {
            let path = self.path(name);
            return Err(ApiError::field(
                &path,
                "too_long",
                format!("{path} lists more than 50 ids"),
            ));
        }
        let mut out = Vec::with_capacity(arr.len());
        for (i, item) in arr.iter().enumerate() {
            let path = format!("{}{}[{i}]", self.prefix, name);
            let s = item.as_str().ok_or_else(|| {
                ApiError::field(&path, "invalid_type", format!("{path} must be a string id"))
            })?;
            if s.trim().is_empty() || s.chars().count() > MAX_ID || s.chars().any(char::is_control)
            {
                return Err(ApiError::field(
                    &path,
                    "invalid_value",
                    format!("{path} is not a valid id"),
                ));
            }
            out.push(s.to_string());
        }
        Ok(out)
    }

    fn integer(&self, name: &str, v: &Value) -> Result<i64, ApiError> {
        if let Some(i) = v.as_i64() {
            return Ok(i);
        }
        let path = self.path(name);
        if v.is_number() {
            Err(ApiError::field(
                &path,
                "invalid_value",
                format!("{path} must be a whole number within range"),
            ))
        } else {
            Err(self.type_error(name, "an integer"))
        }
    }

    /// Minor units, strictly positive.
    pub fn amount(&mut self, name: &'static str) -> Result<i64, ApiError> {
        let v = self.required(name)?;
        let n = self.integer(name, v)?;
        self.amount_range(name, n, 1).map(|_| n)
    }

    pub fn opt_amount(&mut self, name: &'static str, min: i64) -> Result<Option<i64>, ApiError> {
        match self.take(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => {
                let n = self.integer(name, v)?;
                self.amount_range(name, n, min).map(|_| Some(n))
            }
        }
    }

    fn amount_range(&self, name: &str, n: i64, min: i64) -> Result<(), ApiError> {
        if n < min || n > MAX_AMOUNT {
            let path = self.path(name);
            let what = if min > 0 {
                "greater than 0"
            } else {
                "0 or more"
            };
            return Err(ApiError::field(
                &path,
                "invalid_value",
                format!("{path} must be {what} (minor units, at most {MAX_AMOUNT})"),
            ));
        }
        Ok(())
    }

    pub fn seq(&mut self, name: &'static str) -> Result<u64, ApiError> {
        let v = self.required(name)?;
        let n = self.integer(name, v)?;
        if n < 1 {
            let path = self.path(name);
            return Err(ApiError::field(
                &path,
                "invalid_value",
                format!("{path} must be a seq (1 or more)"),
            ));
        }
        Ok(n as u64)
    }

    pub fn currency(&mut self, name: &'static str) -> Result<String, ApiError> {
        let v = self.required(name)?;
        let s = v
            .as_str()
            .ok_or_else(|| self.type_error(name, "an ISO 4217 code such as \"SEK\""))?;
        if !crate::domain::org::is_currency(s) {
            let path = self.path(name);
            return Err(ApiError::field(
                &path,
                "invalid_currency",
                format!("{path} '{s}' is not an ISO 4217 currency code"),
            ));
        }
        Ok(s.to_string())
    }

    pub fn status(&mut self, name: &'static str) -> Result<FeedbackStatus, ApiError> {
        let v = self.required(name)?;
        let s = v
            .as_str()
            .ok_or_else(|| self.type_error(name, "a string"))?;
        FeedbackStatus::parse(s).ok_or_else(|| {
            let path = self.path(name);
            ApiError::field(
                &path,
                "invalid_value",
                format!("{path} must be one of contacted, meeting_booked, won, lost, not_relevant"),
            )
        })
    }

    pub fn bool(&mut self, name: &'static str) -> Result<Option<bool>, ApiError> {
        match self.take(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.type_error(name, "true or false")),
        }
    }

    /// Refuses fields nobody asked for.
    pub fn finish(self) -> Result<(), ApiError> {
        if let Some(k) = self.obj.keys().find(|k| !self.used.contains(&k.as_str())) {
            let path = self.path(k);
            return Err(ApiError::field(
                &path,
                "unknown_field",
                format!("unknown field {path}"),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
    fn refuses_times_more_than_a_day_ahead() {
        let e = parse_event_request(
            &json!({"type": "seller_left", "occurred_at": "2030-01-01T00:00:00Z", "data": {"seller": "s"}}),
            micros(chrono::Utc::now()),
        )
        .unwrap_err();
        assert_eq!(e.code, "in_future");
    }
}
