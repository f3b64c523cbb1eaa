//! Knowledge shared between divisions: a seller teaches another division
//! what their own sells, so its sellers recognise a lead when they see
//! one. The check a session must pass, and who has learned whose business.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use crate::domain::org::{Org, Rejection};
use crate::domain::projection::Projection;
use crate::domain::rows::window_us;
use crate::domain::score::{Fact, Facts};
use crate::domain::time::{Window, WindowView};

impl Org {
    /// A session teaches *another* division: the audience is not the
    /// presenter's own division at the session's business time, and every
    /// attendee belongs to the audience division then.
    pub(crate) fn check_knowledge(
        &self,
        presenter: &str,
        audience_division: &str,
        attendees: &[String],
        at: i64,
    ) -> Result<(), Rejection> {
        let p = self.active_seller(presenter, "data.presenter")?;
        let d = self.known_division(audience_division, "data.audience_division")?;
        if self.division_at(p, at) == d {
            return Err(Rejection::invalid(
                "own_division",
                "data.audience_division",
                format!(
                    "'{presenter}' is in division '{audience_division}'; knowledge is shared with another division"
                ),
            ));
        }
        let mut seen = HashSet::new();
        for (i, a) in attendees.iter().enumerate() {
            let field = format!("data.attendees[{i}]");
            if a == presenter {
                return Err(Rejection::invalid(
                    "presenter_among_attendees",
                    &field,
                    format!("the presenter '{presenter}' cannot also attend"),
                ));
            }
            if !seen.insert(a.as_str()) {
                return Err(Rejection::invalid(
                    "duplicate_attendee",
                    &field,
                    format!("attendee '{a}' is listed twice"),
                ));
            }
            let s = self.active_seller(a, &field)?;
            if self.division_at(s, at) != d {
                return Err(Rejection::invalid(
                    "not_in_division",
                    &field,
                    format!("seller '{a}' is not in division '{audience_division}'"),
                ));
            }
        }
        Ok(())
    }
}

/// One pair of divisions: `to` has learned `from`'s business (the
/// presenter's division at the session) in `sessions` sessions with
/// `attendees` attendances in all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KnowledgeRow {
    pub from: String,
    pub to: String,
    pub sessions: u64,
    pub attendees: u64,
}

/// `GET /api/v1/knowledge`: who has learned whose business in a window.
#[derive(Debug, Clone, Serialize)]
pub struct KnowledgeView {
    pub seq: u64,
    pub window: WindowView,
    pub rows: Vec<KnowledgeRow>,
}

/// One seller's sessions in a window: presented, and attended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct KnowledgeCounts {
    pub presented: u64,
    pub attended: u64,
}

/// Calls `f` with every live session dated within `[from_us, to_us)`.
/// Reads only the sessions' seqs, never the whole log.
fn each_session(p: &Projection, from_us: i64, to_us: i64, mut f: impl FnMut(&Fact)) {
    for seq in &p.org.knowledge {
        if let Some(rec) = p.facts.fact(*seq) {
            if !rec.voided && rec.at_us >= from_us && rec.at_us < to_us {
                f(&rec.fact);
            }
        }
    }
}

/// Sessions and attendances per (presenter's division, audience division),
/// sorted by division ids.
pub fn knowledge(p: &Projection, window: &Window) -> KnowledgeView {
    let (from, to) = window_us(window);
    let mut pairs: BTreeMap<(u32, u32), (u64, u64)> = BTreeMap::new();
    each_session(p, from, to, |fact| {
        if let Fact::Knowledge {
            presenter_division,
            audience_division,
            attendees,
            ..
        } = fact
        {
            let e = pairs
                .entry((*presenter_division, *audience_division))
                .or_default();
            e.0 += 1;
            e.1 += attendees.len() as u64;
        }
    });
    let id = |d: u32| {
        p.org
            .divisions
            .get(d as usize)
            .map_or_else(String::new, |d| d.id.clone())
    };
    let mut rows: Vec<KnowledgeRow> = pairs
        .into_iter()
        .map(|((f, t), (sessions, attendees))| KnowledgeRow {
            from: id(f),
            to: id(t),
            sessions,
            attendees,
        })
        .collect();
    rows.sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
    KnowledgeView {
        seq: p.seq(),
        window: window.view(),
        rows,
    }
}

/// How many sessions one seller presented and attended in a window.
pub fn seller_knowledge(p: &Projection, seller: u32, from_us: i64, to_us: i64) -> KnowledgeCounts {
    let mut c = KnowledgeCounts::default();
    each_session(p, from_us, to_us, |fact| {
        if let Fact::Knowledge {
            presenter,
            attendees,
            ..
        } = fact
        {
            c.presented += u64::from(*presenter == seller);
            c.attended += attendees.iter().filter(|(a, _)| *a == seller).count() as u64;
        }
    });
    c
}
