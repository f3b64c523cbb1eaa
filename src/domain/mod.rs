//! The pure core: everything here is deterministic and free of I/O, so the
//! same code serves live updates, full replay and what-if previews.

pub mod board;
pub mod competition;
pub mod event;
pub mod org;
pub mod projection;
pub mod ranking;
pub mod rules;
pub mod score;
pub mod time;

pub use event::{Envelope, Event, FeedbackStatus};
pub use projection::Projection;
pub use rules::RuleSet;
