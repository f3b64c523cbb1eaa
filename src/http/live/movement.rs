//! Rank movement since the start of the day (▲3 / ▼1 on the wall): with
//! `"day_move": true` in its subscription, each row of a live seller board
//! carries `day_move`, this morning's rank minus today's (positive =
//! climbed), for the same window cut at the organisation's local midnight.
//! Opt-in, so that a plain subscription still gets exactly the HTTP
//! board's rows and pays nothing for it.
//!
//! The morning ranks are a full ranking of every seller, so a publisher
//! keeps them and recomputes at most every [`MORNING_REFRESH`] (or when
//! the day turns): the morning only changes through a backdated event or
//! a void, and a minute's delay there is invisible on a wall.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio::time::Instant;

use crate::domain::board::{BoardKind, BoardSpec};
use crate::domain::rows::seller_top;
use crate::domain::time::{Window, WindowKind};
use crate::domain::Projection;

const MORNING_REFRESH: Duration = Duration::from_secs(60);

/// A publisher's memory of this morning's ranks.
pub(super) struct Morning {
    /// The subscription asked for `day_move`.
    pub(super) enabled: bool,
    /// The local day the ranks belong to, and when they were computed.
    day: Option<(i64, Instant)>,
    ranks: HashMap<String, u32>,
}

impl Morning {
    pub(super) fn new(enabled: bool) -> Morning {
        Morning {
            enabled,
            day: None,
            ranks: HashMap::new(),
        }
    }

    /// Adds `day_move` to each row of a seller board frame. Boards whose
    /// window began today (a day board, a Monday's week) have no morning.
    pub(super) fn annotate(
        &mut self,
        p: &Projection,
        spec: &BoardSpec,
        now: DateTime<Utc>,
        frame: &mut Value,
    ) {
        if !self.enabled
            || !matches!(spec.kind, BoardKind::Sellers)
            || spec.window == WindowKind::Day
        {
            return;
        }
        let window = Window::containing(spec.window, now, p.tz);
        let today = Window::containing(WindowKind::Day, now, p.tz);
        if today.start_day <= window.start_day {
            return;
        }
        let day = i64::from(today.start_day);
        let fresh = self
            .day
            .is_some_and(|(d, at)| d == day && at.elapsed() < MORNING_REFRESH);
        if !fresh {
            let morning = Window {
                end_day: today.start_day,
                end: today.start,
                ..window
            };
            let top = seller_top(p, &p.score, &morning, None, true);
            self.ranks = top.rows.into_iter().map(|r| (r.id, r.rank)).collect();
            self.day = Some((day, Instant::now()));
        }
        let Some(rows) = frame.get_mut("rows").and_then(Value::as_array_mut) else {
            return;
        };
        for row in rows {
            let before = row["id"].as_str().and_then(|id| self.ranks.get(id));
            if let (Some(before), Some(now)) = (before, row["rank"].as_u64()) {
                row["day_move"] = (i64::from(*before) - now as i64).into();
            }
        }
    }
}
