//! The CSV form of the import/export record: one header row naming
//! columns in any order, data fields as `data.<name>` columns. See
//! [`record`](crate::wire::record) for what a record is.
//!
//! # Formula prefixes
//!
//! A spreadsheet runs a cell that starts with `=`, `+`, `-`, `@`, a tab or
//! a carriage return as a formula, so a customer named
//! `=HYPERLINK("http://evil","y")` would turn an export into an attack on
//! whoever opens it. The export therefore writes such a text cell with a
//! leading `'` (which spreadsheets show as "this is text"), and the import
//! takes that `'` off again, so a round trip is lossless. Text that itself
//! starts with `'`s followed by one of those characters gets one more `'`,
//! so the import never strips one that was part of the value. Numbers are
//! written plainly: they are never text and never negative in a record.

use std::io::Read;

use serde_json::{Map, Value};

use crate::domain::event::Envelope;
use crate::wire::error::ApiError;
use crate::wire::record::{
    export_json, FileError, Row, BOOL_FIELDS, DATA_FIELDS, INT_FIELDS, JSON_FIELDS, LIST_FIELDS,
};

/// The CSV header row, newline included.
pub fn csv_header() -> Vec<u8> {
    let mut cols: Vec<String> = ["seq", "id", "type", "occurred_at", "recorded_at", "actor"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    cols.extend(DATA_FIELDS.iter().map(|f| format!("data.{f}")));
    csv_line(&cols)
}

/// One CSV row, in [`csv_header`]'s columns, newline included.
pub fn csv_row(env: &Envelope) -> Vec<u8> {
    let v = export_json(env);
    let top = |k: &str| cell(v.get(k).unwrap_or(&Value::Null));
    let mut cols = vec![
        top("seq"),
        top("id"),
        top("type"),
        top("occurred_at"),
        top("recorded_at"),
        top("actor"),
    ];
    let data = v.get("data").and_then(Value::as_object);
    for f in DATA_FIELDS {
        cols.push(cell(data.and_then(|d| d.get(f)).unwrap_or(&Value::Null)));
    }
    csv_line(&cols)
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => neutralise(s.clone()),
        Value::Array(items) => neutralise(
            items
                .iter()
                .map(|i| match i {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(";"),
        ),
        other => other.to_string(),
    }
}

/// What makes a spreadsheet read a cell as a formula (see the module docs).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether text would be read as a formula, or would lose a `'` of its own
/// to [`unneutralise`]: any number of `'` followed by a formula start.
fn needs_quote(s: &str) -> bool {
    s.trim_start_matches('\'')
        .starts_with(|c: char| FORMULA_STARTS.contains(&c))
}

/// A text cell as exported: with a leading `'` when it needs one.
fn neutralise(s: String) -> String {
    if needs_quote(&s) {
        format!("'{s}")
    } else {
        s
    }
}

/// A cell as imported: without the `'` that [`neutralise`] added.
fn unneutralise(raw: &str) -> &str {
    match raw.strip_prefix('\'') {
        Some(rest) if needs_quote(rest) => rest,
        _ => raw,
    }
}

fn csv_line(cols: &[String]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    // Writing into a Vec cannot fail.
    let _ = w.write_record(cols);
    w.into_inner().unwrap_or_default()
}

/// Where a CSV column goes in the record.
#[derive(Debug, Clone, Copy)]
enum Column {
    Top(&'static str),
    Data(&'static str),
}

fn column(name: &str) -> Option<Column> {
    let name = name.trim().trim_start_matches('\u{feff}');
    const TOP: [&str; 6] = ["id", "type", "occurred_at", "seq", "recorded_at", "actor"];
    if let Some(t) = TOP.iter().find(|t| **t == name) {
        return Some(Column::Top(t));
    }
    let field = name.strip_prefix("data.")?;
    DATA_FIELDS
        .iter()
        .find(|f| **f == field)
        .map(|f| Column::Data(f))
}

/// The rows of a CSV stream with a header row (see the module docs).
pub fn csv_rows<R: Read>(
    reader: R,
) -> Result<impl Iterator<Item = Result<Row, FileError>>, FileError> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(reader);
    let headers = r.headers().map_err(|e| FileError {
        line: 1,
        message: format!("cannot read the CSV header: {e}"),
    })?;
    let mut columns = Vec::with_capacity(headers.len());
    for h in headers.iter() {
        columns.push(column(h).ok_or_else(|| FileError {
            line: 1,
            message: format!(
                "unknown column '{h}'; expected id, type, occurred_at, seq, recorded_at, actor or data.<field> with a field among {}",
                DATA_FIELDS.join(", ")
            ),
        })?);
    }
    if !columns.iter().any(|c| matches!(c, Column::Top("type"))) {
        return Err(FileError {
            line: 1,
            message: "the CSV header has no 'type' column".into(),
        });
    }
    Ok(r.into_records().map(move |rec| match rec {
        Ok(rec) => {
            let line = rec.position().map_or(0, |p| p.line());
            Ok(Row {
                line,
                record: Ok(csv_record(&columns, &rec)),
            })
        }
        Err(e) => {
            let line = e.position().map_or(0, |p| p.line());
            match e.kind() {
                csv::ErrorKind::Io(_) => Err(FileError {
                    line,
                    message: format!("cannot read: {e}"),
                }),
                _ => Ok(Row {
                    line,
                    record: Err(ApiError::bad_request("invalid_csv", e.to_string())),
                }),
            }
        }
    }))
}

fn csv_record(columns: &[Column], rec: &csv::StringRecord) -> Value {
    let mut top = Map::new();
    let mut data = Map::new();
    for (col, raw) in columns.iter().zip(rec.iter()) {
        let raw = unneutralise(raw);
        if raw.is_empty() {
            continue;
        }
        match *col {
            Column::Top(name) => {
                top.insert(name.into(), Value::String(raw.into()));
            }
            Column::Data(name) => {
                data.insert(name.into(), typed_cell(name, raw));
            }
        }
    }
    top.insert("data".into(), Value::Object(data));
    Value::Object(top)
}

/// A CSV cell as the JSON value its field takes. A cell that does not fit
/// stays a string, so validation names the field and says what it wants.
fn typed_cell(field: &str, raw: &str) -> Value {
    if INT_FIELDS.contains(&field) {
        if let Ok(n) = raw.trim().parse::<i64>() {
            return n.into();
        }
    } else if LIST_FIELDS.contains(&field) {
        return Value::Array(
            raw.split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.into()))
                .collect(),
        );
    } else if BOOL_FIELDS.contains(&field) {
        match raw.trim().to_ascii_lowercase().as_str() {
            "true" => return true.into(),
            "false" => return false.into(),
            _ => {}
        }
    } else if JSON_FIELDS.contains(&field) {
        if let Ok(v) = serde_json::from_str::<Value>(raw) {
            return v;
        }
    }
    Value::String(raw.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_get_a_quote_and_lose_it_again() {
        for (value, written) in [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "'=HYPERLINK(\"http://x\",\"y\")",
            ),
            ("-5 apples", "'-5 apples"),
            ("+46 8 123", "'+46 8 123"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("'=x", "''=x"),
            ("''-x", "'''-x"),
            ("Acme", "Acme"),
            ("'quoted'", "'quoted'"),
            ("'", "'"),
            ("a=b", "a=b"),
        ] {
            assert_eq!(neutralise(value.into()), written, "{value:?}");
            assert_eq!(unneutralise(written), value, "{written:?}");
        }
    }

    #[test]
    fn numbers_stay_numbers_and_lists_are_one_cell() {
        assert_eq!(cell(&Value::from(1234)), "1234");
        assert_eq!(cell(&serde_json::json!(["-a", "b"])), "'-a;b");
        assert_eq!(
            typed_cell("guests", unneutralise("'-a;b")),
            serde_json::json!(["-a", "b"])
        );
        assert_eq!(
            typed_cell("amount", unneutralise("1234")),
            Value::from(1234)
        );
    }
}
