//! Competitions between divisions: a bounded period, a set of divisions,
//! and scoring by sum or per seller so that a small division can beat a
//! large one on effort rather than headcount.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::board::{headcounts, per_seller};
use crate::domain::projection::{Competition, Projection};
use crate::domain::ranking::rank_by;
use crate::domain::time::{day_index, format_us, Day, Window, WindowKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Upcoming,
    Running,
    Closed,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Standing {
    pub rank: u32,
    pub id: String,
    pub name: String,
    /// What the ranking uses: the sum, or points per seller.
    pub points: f64,
    pub total: i64,
    pub sellers: usize,
}

pub fn status(c: &Competition, now: DateTime<Utc>) -> Status {
    let now_us = crate::domain::time::micros(now);
    if c.closed || now_us >= c.end_us {
        Status::Closed
    } else if now_us < c.start_us {
        Status::Upcoming
    } else {
        Status::Running
    }
}

/// Standings of a competition: each participating division's points from
/// events that happened in the period, credited to the division each seller
/// was in at the time, under the competition's own rules if it has them.
pub fn standings(p: &Projection, c: &Competition) -> Vec<Standing> {
    let board = &c.score;
    let all = Window::containing(WindowKind::All, Utc::now(), p.tz);
    let totals = board.division_points(&all, p.org.divisions.len());
    let start_day: Day = day_index(c.start_us, p.tz);
    let end_day: Day = day_index(c.end_us - 1, p.tz) + 1;
    let heads = headcounts(&p.org, start_day, end_day);
    let mut rows: Vec<Standing> = c
        .divisions
        .iter()
        .map(|d| {
            let d = *d as usize;
            let total = totals.get(d).copied().unwrap_or(0);
            let sellers = heads.get(d).copied().unwrap_or(0);
            Standing {
                rank: 0,
                id: p.org.divisions[d].id.clone(),
                name: p.org.divisions[d].name.clone(),
                points: if c.per_seller {
                    per_seller(total, sellers)
                } else {
                    total as f64
                },
                total,
                sellers,
            }
        })
        .collect();
    let ranks = rank_by(&mut rows, |r| (r.points * 100.0).round() as i64, |r| &r.id);
    for (row, rank) in rows.iter_mut().zip(ranks) {
        row.rank = rank;
    }
    rows
}

/// The competition as the API shows it, with standings and, once closed,
/// the winner (or the tied winners).
pub fn standings_json(p: &Projection, c: &Competition, now: DateTime<Utc>) -> serde_json::Value {
    let rows = standings(p, c);
    let st = status(c, now);
    let mut v = serde_json::json!({
        "id": c.id,
        "name": c.name,
        "start": format_us(c.start_us),
        "end": format_us(c.end_us),
        "divisions": c.divisions.iter().map(|d| p.org.divisions[*d as usize].id.clone()).collect::<Vec<_>>(),
        "scoring": if c.per_seller { "per_seller" } else { "sum" },
        "rules": c.rules.as_ref().map(|r| r.to_json()),
        "status": st,
        "standings": rows,
    });
    if st == Status::Closed {
        let winners: Vec<&str> = rows
            .iter()
            .filter(|r| r.rank == 1)
            .map(|r| r.id.as_str())
            .collect();
        v["winners"] = serde_json::json!(winners);
        v["winner"] = if winners.len() == 1 {
            winners[0].into()
        } else {
            serde_json::Value::Null
        };
        v["tie"] = (winners.len() > 1).into();
    }
    v
}
