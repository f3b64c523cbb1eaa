//! The JSONL form of the import/export record: one JSON object per line.

use std::io::BufRead;

use serde_json::Value;

use crate::domain::event::Envelope;
use crate::wire::error::ApiError;
use crate::wire::record::{export_json, FileError, Row};

/// One JSONL line, newline included.
pub fn jsonl_line(env: &Envelope) -> Vec<u8> {
    let mut line = export_json(env).to_string().into_bytes();
    line.push(b'\n');
    line
}

/// The rows of a JSONL stream: one JSON object per non-blank line.
pub fn jsonl_rows<R: BufRead>(reader: R) -> impl Iterator<Item = Result<Row, FileError>> {
    reader.lines().enumerate().filter_map(|(i, line)| {
        let line_no = i as u64 + 1;
        match line {
            Err(e) => Some(Err(FileError {
                line: line_no,
                message: format!("cannot read: {e}"),
            })),
            Ok(l) if l.trim().is_empty() => None,
            Ok(l) => Some(Ok(Row {
                line: line_no,
                record: serde_json::from_str::<Value>(l.trim_start_matches('\u{feff}')).map_err(
                    |e| ApiError::bad_request("invalid_json", format!("not valid JSON: {e}")),
                ),
            })),
        }
    })
}
