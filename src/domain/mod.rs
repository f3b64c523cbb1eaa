//! The pure core: everything here is deterministic and free of I/O, so the
//! same code serves live updates, full replay and what-if previews.
//!
//! It owns events, the organisation and its membership history, validation,
//! point rules, scoring, boards, competitions, the loop (SLA, claims, leads,
//! matrix, customers, team selling, deliveries), the practice figures
//! (commission, knowledge, lead quality) and the game (achievements,
//! streaks, levels, challenges, kudos, targets, seasons). It imports nothing of the crate
//! outside `domain/`, knows no JSON, HTTP or disk, and returns typed values.
//!
//! Roughly bottom up: event, time, rules, org, membership, validate,
//! timeline, credit, cells, score (facade), winner, ranking, contest,
//! projection, then the read models: rows, lead_stats, collaboration,
//! profile, leads, matrix, forum, customers, delivery, commission, knowledge,
//! quality, competition, board, rules_view; the game: game_rules, metric,
//! game (state), tally, achievements, challenges, seasons, game_news.

pub mod achievements;
pub mod board;
pub mod cells;
pub mod challenges;
pub mod collaboration;
pub mod commission;
pub mod competition;
pub mod contest;
pub mod credit;
pub mod customers;
pub mod day_counts;
pub mod delivery;
pub mod event;
pub mod forum;
pub mod game;
pub mod game_news;
pub mod game_rules;
pub mod knowledge;
pub mod lead_stats;
pub mod leads;
pub mod matrix;
pub mod membership;
pub mod metric;
pub mod org;
pub mod pairs;
pub mod profile;
pub mod projection;
pub mod quality;
pub mod ranking;
pub mod rows;
pub mod rules;
pub mod rules_view;
pub mod score;
pub mod seasons;
pub mod sla;
pub mod tally;
pub mod team;
pub mod time;
pub mod timeline;
pub mod validate;
pub mod winner;

pub use event::{Envelope, Event, FeedbackStatus};
pub use projection::Projection;
pub use rules::RuleSet;
pub use validate::Context;

#[cfg(test)]
mod game_tests;
#[cfg(test)]
mod loop_tests;
