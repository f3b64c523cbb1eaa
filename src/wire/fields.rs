//! Reading one JSON object field by field, naming the field at fault.
//!
//! Every parser of client JSON (events, rule sets, competitions, webhooks,
//! import records) goes through [`Fields`], so a missing, mistyped or
//! unknown member is refused the same way everywhere: a 422 whose `field`
//! is the member's full path (`data.guests[1]`).

use serde_json::{Map, Value};

use crate::domain::event::FeedbackStatus;
use crate::domain::time::micros;
use crate::wire::error::ApiError;

pub const MAX_ID: usize = 64;
pub const MAX_NAME: usize = 200;
pub const MAX_NOTE: usize = 2000;
/// Amounts above this (in minor units) are surely a mistake.
const MAX_AMOUNT: i64 = 1_000_000_000_000_000;

/// How far ahead a period (a competition's, a challenge's, a target's) may
/// reach: a typo of a century should not become a goal.
pub const FAR_FUTURE_US: i64 = 10 * 365 * 86_400_000_000;

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

    /// A non-empty-string list of names (customers), at most 50.
    pub fn name_list(&mut self, name: &'static str) -> Result<Vec<String>, ApiError> {
        let v = self.required(name)?;
        let arr = v
            .as_array()
            .ok_or_else(|| self.type_error(name, "a list of names"))?;
        if arr.len() > 50 {
            let path = self.path(name);
            return Err(ApiError::field(
                &path,
                "too_long",
                format!("{path} lists more than 50 names"),
            ));
        }
        let mut out = Vec::with_capacity(arr.len());
        for (i, item) in arr.iter().enumerate() {
            let path = format!("{}{}[{i}]", self.prefix, name);
            let s = item.as_str().ok_or_else(|| {
                ApiError::field(&path, "invalid_type", format!("{path} must be a string"))
            })?;
            if s.trim().is_empty() || s.chars().count() > MAX_NAME {
                return Err(ApiError::field(
                    &path,
                    "invalid_value",
                    format!("{path} must be a name of 1 to {MAX_NAME} characters"),
                ));
            }
            out.push(s.to_string());
        }
        Ok(out)
    }

    /// A string that names one of a fixed set (`parse` knows them; `names`
    /// lists them for the message).
    pub fn one_of<T>(
        &mut self,
        name: &'static str,
        parse: impl Fn(&str) -> Option<T>,
        names: &str,
    ) -> Result<T, ApiError> {
        let v = self.required(name)?;
        let s = v
            .as_str()
            .ok_or_else(|| self.type_error(name, "a string"))?;
        parse(s).ok_or_else(|| {
            let path = self.path(name);
            ApiError::field(
                &path,
                "invalid_value",
                format!("{path} must be one of {names}"),
            )
        })
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

    /// A required RFC 3339 time, at most a day after `cap_us`.
    pub fn time(&mut self, name: &'static str, cap_us: i64) -> Result<i64, ApiError> {
        let v = self.take(name).unwrap_or(&Value::Null);
        parse_time(v, &self.path(name), cap_us)
    }

    pub fn opt_seq(&mut self, name: &'static str) -> Result<Option<u64>, ApiError> {
        match self.obj.get(name) {
            None | Some(Value::Null) => {
                self.take(name);
                Ok(None)
            }
            Some(_) => self.seq(name).map(Some),
        }
    }

    /// A required whole number from 1 up.
    pub fn positive(&mut self, name: &'static str) -> Result<i64, ApiError> {
        let v = self.required(name)?;
        let n = self.integer(name, v)?;
        self.amount_range(name, n, 1).map(|_| n)
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
