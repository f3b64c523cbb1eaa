//! Wall privacy (`--wall-privacy names|initials|divisions`): what a wall
//! screen may learn about people.
//!
//! A works council may allow a leaderboard on the office TV only with
//! initials, or with teams only. Hiding names in the page is not enough —
//! anyone can open the socket the TV uses — so the server itself scrubs
//! what it sends to a **screen** token (and to a reader without a token
//! under `--public-boards`) on the live socket and the board routes. Seller
//! and leader tokens see names: they can read the organisation anyway.
//!
//! Scrubbing works on the JSON that would be sent, so every board and
//! highlight shape, including ones added later, is covered without knowing
//! it: a string or object key equal to a seller's full name becomes the
//! initials (or the seller's division), one equal to a seller id becomes a
//! pseudonym (ids are often first names), and in free text (`text`,
//! `title`) a full name is replaced wherever it occurs.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use parking_lot::Mutex;
use rand::RngCore;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::domain::Projection;
use crate::http::auth::{access, Access};
use crate::http::Api;
use crate::tokens::{Identity, Role};
use crate::writer::Shared;

/// How much a wall screen may learn about people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, clap::ValueEnum)]
pub enum WallPrivacy {
    /// Full names (the default).
    #[default]
    Names,
    /// Initials instead of names ("IB"), pseudonyms instead of seller ids.
    Initials,
    /// No person at all: a seller shows as their division.
    Divisions,
}

impl WallPrivacy {
    pub fn as_str(self) -> &'static str {
        match self {
            WallPrivacy::Names => "names",
            WallPrivacy::Initials => "initials",
            WallPrivacy::Divisions => "divisions",
        }
    }

    /// The level that applies to this caller: the configured one for a
    /// screen or a tokenless reader, names for sellers and leaders.
    pub fn for_caller(self, who: &Identity) -> WallPrivacy {
        match who.role {
            Some(Role::Seller | Role::Leader) => WallPrivacy::Names,
            Some(Role::Screen) | None => self,
        }
    }
}

/// "Ida Berg" → "IB"; "Ida" → "I"; "" → "?".
pub fn initials(name: &str) -> String {
    let words: Vec<&str> = name.split_whitespace().collect();
    let first = |w: &&str| {
        w.chars()
            .next()
            .map(|c| c.to_uppercase().collect::<String>())
    };
    match (
        words.first().and_then(first),
        words.get(1..).and_then(|r| r.last()).and_then(first),
    ) {
        (Some(a), Some(b)) => a + &b,
        (Some(a), None) => a,
        _ => "?".into(),
    }
}

/// A stable stand-in for a seller id within this process: the row keys of
/// a wall stay put between frames, yet nothing maps back to the person.
fn pseudonym(id: &str) -> String {
    static SALT: OnceLock<[u8; 16]> = OnceLock::new();
    let salt = SALT.get_or_init(|| {
        let mut s = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut s);
        s
    });
    let mut h = Sha256::new();
    h.update(salt);
    h.update(id.as_bytes());
    format!("p-{}", &hex::encode(h.finalize())[..10])
}

/// Replacements for one level over one state of the organisation.
#[derive(Debug, Default)]
pub struct Scrubber {
    /// Whole strings and keys: full name → stand-in, seller id → pseudonym.
    exact: HashMap<String, String>,
    /// Full names in free text, longest first ("Ida Berg" before "Ida").
    names: Vec<(String, String)>,
}

impl Scrubber {
    pub fn new(p: &Projection, level: WallPrivacy) -> Scrubber {
        let mut out = Scrubber::default();
        if level == WallPrivacy::Names {
            return out;
        }
        for s in &p.org.sellers {
            let stand_in = match level {
                WallPrivacy::Divisions => p
                    .org
                    .divisions
                    .get(s.division as usize)
                    .map_or_else(|| "?".to_string(), |d| d.name.clone()),
                _ => initials(&s.name),
            };
            out.exact.insert(s.id.clone(), pseudonym(&s.id));
            if !s.name.trim().is_empty() {
                out.exact.insert(s.name.clone(), stand_in.clone());
                out.names.push((s.name.clone(), stand_in));
            }
        }
        // A division named like a seller stays a division.
        for d in &p.org.divisions {
            out.exact.remove(&d.name);
            out.exact.remove(&d.id);
        }
        out.names.sort_by_key(|n| std::cmp::Reverse(n.0.len()));
        out
    }

    fn text(&self, s: &str) -> String {
        let mut out = s.to_string();
        for (name, stand_in) in &self.names {
            if out.contains(name.as_str()) {
                out = out.replace(name.as_str(), stand_in);
            }
        }
        out
    }

    /// Scrubs a JSON value in place.
    pub fn value(&self, v: &mut Value) {
        self.walk(v, false);
    }

    fn walk(&self, v: &mut Value, free_text: bool) {
        match v {
            Value::String(s) => {
                if let Some(r) = self.exact.get(s.as_str()) {
                    *s = r.clone();
                } else if free_text {
                    *s = self.text(s);
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|i| self.walk(i, free_text)),
            Value::Object(map) => {
                let old = std::mem::take(map);
                let mut new = Map::new();
                for (k, mut item) in old {
                    let text = matches!(k.as_str(), "text" | "title" | "message");
                    self.walk(&mut item, text);
                    let k = self.exact.get(&k).cloned().unwrap_or(k);
                    new.insert(k, item);
                }
                *map = new;
            }
            _ => {}
        }
    }

    /// A serialized frame, scrubbed; unparsable text passes unchanged (the
    /// server made it, so that never happens).
    pub fn frame(&self, text: &str) -> String {
        match serde_json::from_str::<Value>(text) {
            Ok(mut v) => {
                self.value(&mut v);
                v.to_string()
            }
            Err(_) => text.to_string(),
        }
    }
}

/// The scrubber for the current organisation, built once per change of the
/// log and level and shared by every socket and request: a thousand wall
/// screens receiving one highlight build it once.
pub fn scrubber(shared: &Arc<Shared>, level: WallPrivacy) -> Arc<Scrubber> {
    type Cache = Mutex<Vec<(usize, u64, WallPrivacy, Arc<Scrubber>)>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let key = Arc::as_ptr(shared) as usize;
    let p = shared.projection.read();
    let seq = p.seq();
    let cache = CACHE.get_or_init(|| Mutex::new(Vec::new()));
    if let Some((.., s)) = cache
        .lock()
        .iter()
        .find(|(k, q, l, _)| *k == key && *q == seq && *l == level)
    {
        return s.clone();
    }
    let built = Arc::new(Scrubber::new(&p, level));
    drop(p);
    let mut c = cache.lock();
    c.retain(|(k, _, l, _)| !(*k == key && *l == level));
    // Servers in one process are few (tests); keep the list short anyway.
    if c.len() >= 16 {
        c.remove(0);
    }
    c.push((key, seq, level, built.clone()));
    built
}

/// Middleware: the JSON of board routes, scrubbed for a screen when the
/// level asks for it. The live socket scrubs its own frames.
pub async fn scrub_boards(State(api): State<Api>, req: Request, next: Next) -> Response {
    let level = match req.extensions().get::<Identity>() {
        Some(who) => api.privacy.for_caller(who),
        None => api.privacy,
    };
    let board_route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str() != "/api/v1/live" && access(req.method(), m.as_str()) == Access::Board)
        .unwrap_or(false);
    if level == WallPrivacy::Names || !board_route {
        return next.run(req).await;
    }
    let res = next.run(req).await;
    let json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !json {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return crate::wire::error::ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the board could not be read",
        )
        .into_response();
    };
    let text = String::from_utf8_lossy(&bytes);
    let scrubbed = scrubber(&api.shared, level).frame(&text);
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(scrubbed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn initials_of_names() {
        assert_eq!(initials("Ida Berg"), "IB");
        assert_eq!(initials("anna maria lind"), "AL");
        assert_eq!(initials("Åsa"), "Å");
        assert_eq!(initials("  "), "?");
    }

    #[test]
    fn names_and_ids_go_text_is_rewritten_divisions_stay() {
        let s = Scrubber {
            exact: [
                ("Ida Berg".to_string(), "IB".to_string()),
                ("ida".to_string(), "p-1".to_string()),
            ]
            .into_iter()
            .collect(),
            names: vec![("Ida Berg".into(), "IB".into())],
        };
        let mut v = json!({"rows": [{"id": "ida", "name": "Ida Berg", "division_name": "Service"}],
            "highlight": {"text": "Ida Berg closed an order", "customer": "Ida Berg AB"},
            "by_seller": {"ida": 3}});
        s.value(&mut v);
        assert_eq!(
            v,
            json!({"rows": [{"id": "p-1", "name": "IB", "division_name": "Service"}],
            "highlight": {"text": "IB closed an order", "customer": "Ida Berg AB"},
            "by_seller": {"p-1": 3}})
        );
    }
}
