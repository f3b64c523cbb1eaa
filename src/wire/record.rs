//! The import/export record: what one event looks like in a JSONL or CSV
//! file, shared by `crossboard import` / `export` (the transfer ring) and
//! the HTTP batch and export routes. The formats themselves are in
//! [`csv`](crate::wire::csv) and [`jsonl`](crate::wire::jsonl).
//!
//! Both formats carry the same record: the `POST /api/v1/events` body
//! (`id`, `type`, `occurred_at`, `data`) plus the informational `seq`,
//! `recorded_at` and `actor` an export writes and an import ignores (those
//! are facts of the log they came from, not of the event). So an export is
//! always importable, and a round trip into an empty data dir reproduces the
//! log's seqs, ids and business times, hence identical boards.
//!
//! Every record goes through [`parse_record`], which is
//! [`parse_event_request`] for the event types clients post, extended with
//! the three leadership events (`rules_published`, `competition_created`,
//! `competition_closed`) that an export contains. Then it goes through the
//! single writer like any other append: there is one validation path.
//!
//! # CSV columns
//!
//! One header row naming columns in any order: `id`, `type` (required),
//! `occurred_at`, the ignored `seq`, `recorded_at`, `actor`, and the data
//! fields as `data.<name>` (see [`DATA_FIELDS`]) — the same name an error
//! reports as its `field`. Empty cells are absent fields. List fields
//! (`data.guests`, `data.divisions`) are `;`-separated, rule sets are JSON
//! text, integers and booleans are written plainly. Text that a spreadsheet
//! would run as a formula is written with a leading `'` that the import
//! removes (see [`csv`](crate::wire::csv)).
//!
//! # Rows without an id
//!
//! A row without `id` is given a deterministic one: a UUID v5 of its
//! canonical content and how many identical rows came before it in the same
//! file. Re-running an import therefore appends nothing new, while two
//! identical rows in one file (two meetings at one customer on a day) both
//! count. The HTTP batch does not do this: like `POST /api/v1/events`, an
//! item without `id` gets a random one.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use crate::domain::event::{Envelope, Event};
use crate::wire::envelope::envelope_json;
use crate::wire::error::ApiError;
use crate::wire::event::{parse_event_request, EventRequest};
use crate::wire::fields::{parse_time, Fields, FAR_FUTURE_US, MAX_ID};
use crate::wire::rules::rules_member;

/// Members of an exported record that describe where it sat in its old log.
/// An import ignores them; the new log assigns its own.
pub const INFO_FIELDS: [&str; 3] = ["seq", "recorded_at", "actor"];

/// Every `data` member of every event type, in CSV column order.
pub const DATA_FIELDS: [&str; 42] = [
    "id",
    "name",
    "division",
    "lead",
    "from",
    "to_division",
    "to_seller",
    "customer",
    "note",
    "estimated_value",
    "by",
    "status",
    "host",
    "guests",
    "seller",
    "order",
    "amount",
    "currency",
    "seq",
    "reason",
    "version",
    "rules",
    "effective_from",
    "retroactive",
    "start",
    "end",
    "divisions",
    "per_seller",
    "customer_id",
    "helpers",
    "kind",
    "organiser",
    "customers",
    "sellers",
    "title",
    "need",
    "timing",
    "contact",
    "presenter",
    "audience_division",
    "topic",
    "attendees",
];

pub const INT_FIELDS: [&str; 4] = ["estimated_value", "amount", "seq", "version"];
pub const LIST_FIELDS: [&str; 6] = [
    "guests",
    "divisions",
    "helpers",
    "customers",
    "sellers",
    "attendees",
];
pub const BOOL_FIELDS: [&str; 2] = ["retroactive", "per_seller"];
pub const JSON_FIELDS: [&str; 1] = ["rules"];

/// The two file formats.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    Csv,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s.to_ascii_lowercase().as_str() {
            "jsonl" | "ndjson" | "json" => Some(Format::Jsonl),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }

    /// Guesses from a file name: `.csv` is CSV, anything else JSONL.
    pub fn from_path(path: &Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("csv") => Format::Csv,
            _ => Format::Jsonl,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Jsonl => "application/x-ndjson",
            Format::Csv => "text/csv; charset=utf-8",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
        }
    }
}

/// The exported record of an envelope: the `GET /api/v1/events` shape,
/// which is also an importable `POST /api/v1/events` body.
pub fn export_json(env: &Envelope) -> Value {
    let mut v = envelope_json(env);
    if let Event::RulesPublished {
        retroactive: true, ..
    } = env.event
    {
        // "Since the beginning of time" has no RFC 3339 form; `retroactive`
        // already says it.
        if let Some(data) = v.get_mut("data").and_then(Value::as_object_mut) {
            data.remove("effective_from");
        }
    }
    v
}

/// One row of an import file: its line number (1-based, where the record
/// starts) and the record as JSON, or why it is not one.
#[derive(Debug)]
pub struct Row {
    pub line: u64,
    pub record: Result<Value, ApiError>,
}

/// A problem with the file as a whole (unreadable, bad CSV header).
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct FileError {
    pub line: u64,
    pub message: String,
}

/// Parses one record: a `POST /api/v1/events` body, an exported record
/// (whose `seq`, `recorded_at` and `actor` are ignored), or one of the
/// leadership events an export holds.
pub fn parse_record(v: &Value, now_us: i64) -> Result<EventRequest, ApiError> {
    let Some(obj) = v.as_object() else {
        return Err(ApiError::bad_request(
            "invalid_type",
            "a record must be a JSON object",
        ));
    };
    let stripped;
    let v = if INFO_FIELDS.iter().any(|k| obj.contains_key(*k)) {
        let mut o = obj.clone();
        for k in INFO_FIELDS {
            o.remove(k);
        }
        stripped = Value::Object(o);
        &stripped
    } else {
        v
    };
    match v.get("type").and_then(Value::as_str) {
        Some("rules_published" | "competition_created" | "competition_closed") => {
            parse_leadership(v, now_us)
        }
        _ => parse_event_request(v, now_us),
    }
}

fn parse_leadership(v: &Value, now_us: i64) -> Result<EventRequest, ApiError> {
    let mut top = Fields::new(v, "")?;
    let id = top.opt_id("id")?;
    let ty = top.string("type", MAX_ID)?;
    let occurred_at = match top.take("occurred_at") {
        None | Some(Value::Null) => None,
        Some(t) => Some(parse_time(t, "occurred_at", now_us)?),
    };
    let data = top
        .take("data")
        .ok_or_else(|| ApiError::field("data", "missing_field", "data is required"))?;
    top.finish()?;
    let mut d = Fields::new(data, "data.")?;
    let far = now_us.saturating_add(FAR_FUTURE_US);
    let event = match ty.as_str() {
        "rules_published" => {
            let version = d.seq("version")?;
            let version = u32::try_from(version).map_err(|_| {
                ApiError::field("data.version", "invalid_value", "data.version is too large")
            })?;
            let rules = rules_member(&mut d, "rules")?
                .ok_or_else(|| {
                    ApiError::field("data.rules", "missing_field", "data.rules is required")
                })
                .map_err(|e| prefix_field(e, "data."))?;
            let retroactive = d.bool("retroactive")?.unwrap_or(false);
            let effective_from = if retroactive {
                d.take("effective_from");
                i64::MIN
            } else {
                match d.take("effective_from") {
                    None | Some(Value::Null) => occurred_at.unwrap_or(now_us),
                    Some(t) => parse_time(t, "data.effective_from", far)?,
                }
            };
            Event::RulesPublished {
                version,
                rules: rules.to_json().to_string(),
                effective_from,
                retroactive,
            }
        }
        "competition_created" => {
            let id = d.id("id")?;
            let name = d.string("name", 200)?;
            let start = d.time("start", far)?;
            let end = d.time("end", far)?;
            let divisions = d.id_list("divisions")?;
            let per_seller = d.bool("per_seller")?.unwrap_or(false);
            let rules = rules_member(&mut d, "rules").map_err(|e| prefix_field(e, "data."))?;
            Event::CompetitionCreated {
                id,
                name,
                start,
                end,
                divisions,
                per_seller,
                rules: rules.map(|r| r.to_json().to_string()),
            }
        }
        _ => Event::CompetitionClosed { id: d.id("id")? },
    };
    d.finish()?;
    Ok(EventRequest {
        id,
        occurred_at,
        event,
    })
}

/// `rules_member` names fields from the top of a body; here they sit in `data`.
fn prefix_field(mut e: ApiError, prefix: &str) -> ApiError {
    if let Some(f) = &e.field {
        if !f.starts_with(prefix) {
            e.field = Some(format!("{prefix}{f}"));
        }
    }
    e
}

/// Gives rows without an id a deterministic one (see the module docs).
#[derive(Default)]
pub struct DerivedIds {
    seen: HashMap<String, u32>,
}

impl DerivedIds {
    /// The id for a record that has none: a UUID v5 of its canonical JSON
    /// (keys sorted, `seq`/`recorded_at`/`actor` left out) and of how many
    /// identical records this file had before.
    pub fn derive(&mut self, record: &Value) -> String {
        let mut canonical = String::new();
        canonical_json(record, &mut canonical, true);
        let n = self.seen.entry(canonical.clone()).or_insert(0);
        *n += 1;
        canonical.push_str(&format!("\n#{n}"));
        uuid::Uuid::new_v5(&IMPORT_NAMESPACE, canonical.as_bytes()).to_string()
    }
}

/// Namespace of derived import ids (a fixed random UUID).
const IMPORT_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x6b1f_0c55_2c1e_4f5e_9d8a_31a4_e0c7_b2d1);

fn canonical_json(v: &Value, out: &mut String, top: bool) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map
                .keys()
                .filter(|k| !top || !(INFO_FIELDS.contains(&k.as_str()) || *k == "id"))
                .collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push(':');
                canonical_json(&map[*k], out, false);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical_json(item, out, false);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
#[path = "record_tests.rs"]
mod tests;
