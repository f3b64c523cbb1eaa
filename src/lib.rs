//! crossboard: cross-selling between sales divisions as a live game.
//!
//! The crate is layered like an onion so the core can be replayed anywhere:
//!
//! * [`domain`] is pure: events, validation against state, point rules, time
//!   windows, ranking and the projection fold. No I/O, no clocks, no locks.
//! * [`store`] is the only module that knows sled and bincode.
//! * [`writer`] is the single task that sequences, commits and publishes.
//! * [`api`] and [`live`] are thin HTTP and websocket rings around them.

pub mod api;
pub mod app;
pub mod auth;
pub mod config;
pub mod demo;
pub mod domain;
pub mod live;
pub mod metrics;
pub mod server;
pub mod store;
pub mod synth;
pub mod transfer;
pub mod verify;
pub mod web;
pub mod webhooks;
pub mod writer;
