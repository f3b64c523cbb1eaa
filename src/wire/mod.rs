//! The wire format: JSON in and out of the domain, shared by every ring.
//!
//! Owns the field-by-field parser ([`fields`]), event requests ([`event`]),
//! request bodies and query strings ([`body`]), the API's one error shape
//! ([`error`]) and the import/export record formats ([`record`], [`csv`],
//! [`jsonl`]). It may import `domain`, `writer` (for its error type) and
//! nothing above: HTTP, import/export and webhooks all build on it, so a
//! field is named the same way whichever door a value came in by.

pub mod body;
pub mod csv;
pub mod envelope;
pub mod error;
pub mod event;
pub mod fields;
pub mod game;
pub mod jsonl;
pub mod record;
pub mod rules;
pub mod text;
