//! crossboard: cross-selling between sales divisions as a live game.
//!
//! Layers, from the ground floor up; imports only point down, and no ring
//! imports another ring (`tests/layers.rs` checks it):
//!
//! * [`domain`] is pure: events, validation against state, point rules, time
//!   windows, ranking and the projection fold. No I/O, no clocks, no locks.
//! * [`store`] is the only module that knows sled and bincode; [`metrics`]
//!   is a registry every layer may record into.
//! * [`writer`] sequences, commits and publishes; [`app`] opens a data dir
//!   and replays it; [`verify`] checks a log.
//! * [`wire`] turns JSON into domain values and back for every ring;
//!   [`tokens`] is the token store under both the CLI and HTTP auth.
//! * Rings: [`http`] (routes, auth middleware, live socket, pages),
//!   [`transfer`] (offline import/export), [`webhooks`], [`demo`] and
//!   [`synth`] (generated organisations).
//! * [`server`] wires the rings for `serve`; [`config`] and `main.rs` are
//!   the CLI.

pub mod app;
pub mod config;
pub mod demo;
pub mod domain;
pub mod http;
pub mod metrics;
pub mod server;
pub mod store;
pub mod synth;
pub mod tokens;
pub mod transfer;
pub mod verify;
pub mod webhooks;
pub mod wire;
pub mod writer;
