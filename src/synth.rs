//! A deterministic synthetic log: a seeded stream of valid envelopes for an
//! organisation of any size, for benchmarks and load generators.
//!
//! It is pure (no I/O, no clock) and seeded, so a benchmark measures the
//! same log on every run and a failure can be replayed exactly. It keeps a
//! small model of the organisation (who is in which division, which leads
//! are still open, which activities were voided) so that every envelope it
//! yields passes [`Projection::check`](crate::domain::Projection::check):
//! a benchmark of rejected events would measure nothing useful.
//!
//! The mix roughly follows the demo's: leads, feedback on them, joint
//! visits, meetings, orders (some from leads, a few in EUR), a few voids and
//! the rare move between divisions. Speed matters as much as realism here:
//! a million envelopes take well under a second or two, so a benchmark's
//! setup does not dwarf what it measures.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::domain::event::{Envelope, Event, FeedbackStatus, FORMAT_VERSION};

/// How big a world to make and how to spread it over time.
#[derive(Debug, Clone)]
pub struct SynthConfig {
    pub seed: u64,
    /// At least 1; with 1, leads stay inside the division.
    pub divisions: usize,
    /// At least 2, so joint visits have a guest.
    pub sellers: usize,
    /// Total envelopes, organisation events included.
    pub events: u64,
    /// Business time of the first envelope (UTC microseconds).
    pub start_us: i64,
    /// Business time spanned by the whole log.
    pub span_us: i64,
    /// Voids per thousand activities.
    pub voids_per_mille: u32,
}

impl Default for SynthConfig {
    /// 10,000 sellers in 20 divisions over one year from 2026-01-01: the
    /// shape of the DESIGN's memory and replay targets.
    fn default() -> Self {
        SynthConfig {
            seed: 42,
            divisions: 20,
            sellers: 10_000,
            events: 1_000_000,
            start_us: 1_767_225_600_000_000, // 2026-01-01T00:00:00Z
            span_us: 365 * 86_400_000_000,
            voids_per_mille: 5,
        }
    }
}

/// A lead as the generator remembers it, while it is recent enough to get
/// feedback and orders.
#[derive(Debug, Clone)]
struct OpenLead {
    id: u64,
    giver: u32,
    to_division: u32,
    to_seller: Option<u32>,
    voided: bool,
}

/// How many recent leads and activities stay eligible for follow-ups and
/// voids. Bounded so the generator's memory does not grow with the log.
const RECENT: usize = 4096;

const CUSTOMERS: [&str; 12] = [
    "Volvo Cars",
    "Scania",
    "SKF",
    "Sandvik",
    "Atlas Copco",
    "Ericsson",
    "Alfa Laval",
    "Husqvarna",
    "Electrolux",
    "Vattenfall",
    "Epiroc",
    "Saab",
];

/// The generator. An iterator of exactly `config.events` envelopes with
/// seqs 1, 2, 3, ...
pub struct Synth {
    cfg: SynthConfig,
    rng: StdRng,
    seq: u64,
    /// Current division of each seller.
    division_of: Vec<u32>,
    /// Sellers of each division.
    members: Vec<Vec<u32>>,
    seller_ids: Vec<String>,
    division_ids: Vec<String>,
    leads: Vec<OpenLead>,
    /// Ring of recent activity seqs that are not voided yet (0 = empty).
    activities: Vec<u64>,
    /// Seq of each lead in `leads`, by position, to mark a voided lead.
    lead_seqs: Vec<u64>,
    next_lead: u64,
    next_order: u64,
}

impl Synth {
    pub fn new(cfg: SynthConfig) -> Synth {
        let divisions = cfg.divisions.max(1);
        let sellers = cfg.sellers.max(2);
        let cfg = SynthConfig {
            divisions,
            sellers,
            ..cfg
        };
        let division_of: Vec<u32> = (0..sellers).map(|s| (s % divisions) as u32).collect();
        let mut members = vec![Vec::new(); divisions];
        for (s, d) in division_of.iter().enumerate() {
            members[*d as usize].push(s as u32);
        }
        Synth {
            rng: StdRng::seed_from_u64(cfg.seed),
            seq: 0,
            seller_ids: (0..sellers).map(|s| format!("s{s}")).collect(),
            division_ids: (0..divisions).map(|d| format!("d{d}")).collect(),
            division_of,
            members,
            leads: Vec::with_capacity(RECENT),
            lead_seqs: Vec::with_capacity(RECENT),
            activities: vec![0; RECENT],
            next_lead: 0,
            next_order: 0,
            cfg,
        }
    }

    fn org_events(&self) -> u64 {
        (self.cfg.divisions + self.cfg.sellers) as u64
    }

    /// Business time of the envelope at `seq`: evenly spread over the span
    /// with a little jitter, so some events arrive slightly backdated.
    fn time_of(&mut self, seq: u64) -> i64 {
        let n = self.cfg.events.max(1) as i128;
        let base = self.cfg.start_us as i128 + self.cfg.span_us as i128 * seq as i128 / n;
        base as i64 - self.rng.gen_range(0..600_000_000)
    }

    /// Business time of `seq` without jitter: non-decreasing in seq.
    fn base_time(&self, seq: u64) -> i64 {
        let n = self.cfg.events.max(1) as i128;
        (self.cfg.start_us as i128 + self.cfg.span_us as i128 * seq as i128 / n) as i64
    }

    fn seller(&self, s: u32) -> String {
        self.seller_ids[s as usize].clone()
    }

    fn random_seller(&mut self) -> u32 {
        self.rng.gen_range(0..self.cfg.sellers as u32)
    }

    fn member_of(&mut self, division: u32) -> Option<u32> {
        let m = &self.members[division as usize];
        (!m.is_empty()).then(|| m[self.rng.gen_range(0..m.len())])
    }

    /// A recent lead that is not voided, if one turns up quickly.
    fn open_lead(&mut self) -> Option<usize> {
        if self.leads.is_empty() {
            return None;
        }
        for _ in 0..4 {
            let i = self.rng.gen_range(0..self.leads.len());
            if !self.leads[i].voided {
                return Some(i);
            }
        }
        None
    }

    fn org_event(&self, seq: u64) -> Event {
        let i = (seq - 1) as usize;
        if i < self.cfg.divisions {
            Event::DivisionCreated {
                id: self.division_ids[i].clone(),
                name: format!("Division {i}"),
            }
        } else {
            let s = i - self.cfg.divisions;
            Event::SellerJoined {
                id: self.seller_ids[s].clone(),
                name: format!("Seller {s}"),
                division: self.division_ids[self.division_of[s] as usize].clone(),
            }
        }
    }

    fn lead_given(&mut self) -> Event {
        let giver = self.random_seller();
        let giver_division = self.division_of[giver as usize];
        let d = self.cfg.divisions as u32;
        let to_division = if d > 1 {
            (giver_division + self.rng.gen_range(1..d)) % d
        } else {
            giver_division
        };
        let to_seller = if self.rng.gen_bool(0.5) {
            self.member_of(to_division).filter(|s| *s != giver)
        } else {
            None
        };
        let id = self.next_lead;
        self.next_lead += 1;
        let lead = OpenLead {
            id,
            giver,
            to_division,
            to_seller,
            voided: false,
        };
        if self.leads.len() < RECENT {
            self.leads.push(lead);
            self.lead_seqs.push(self.seq);
        } else {
            let i = (id as usize) % RECENT;
            self.leads[i] = lead;
            self.lead_seqs[i] = self.seq;
        }
        Event::LeadGiven {
            lead: format!("L{id}"),
            from: self.seller(giver),
            to_division: self.division_ids[to_division as usize].clone(),
            to_seller: to_seller.map(|s| self.seller(s)),
            customer: self.customer(),
            note: None,
            estimated_value: self
                .rng
                .gen_bool(0.3)
                .then(|| self.rng.gen_range(1..1_000) * 100_000),
        }
    }

    fn customer(&mut self) -> String {
        CUSTOMERS[self.rng.gen_range(0..CUSTOMERS.len())].to_string()
    }

    fn lead_feedback(&mut self) -> Option<Event> {
        let i = self.open_lead()?;
        let lead = self.leads[i].clone();
        // The named receiver answers while still in the division; anyone
        // there may answer otherwise.
        let by = match lead.to_seller {
            Some(s) if self.division_of[s as usize] == lead.to_division => s,
            _ => self.member_of(lead.to_division)?,
        };
        if by == lead.giver {
            return None;
        }
        let status = FeedbackStatus::ALL[self.rng.gen_range(0..5)];
        Some(Event::LeadFeedback {
            lead: format!("L{}", lead.id),
            by: self.seller(by),
            status,
            note: None,
        })
    }

    fn joint_visit(&mut self) -> Event {
        let host = self.random_seller();
        let mut guests = Vec::with_capacity(2);
        for _ in 0..self.rng.gen_range(1..3) {
            let g = self.random_seller();
            if g != host && !guests.contains(&g) {
                guests.push(g);
            }
        }
        if guests.is_empty() {
            guests.push((host + 1) % self.cfg.sellers as u32);
        }
        Event::JointVisit {
            host: self.seller(host),
            guests: guests.into_iter().map(|g| self.seller(g)).collect(),
            customer: self.customer(),
        }
    }

    fn meeting_held(&mut self) -> Event {
        let seller = self.random_seller();
        let lead = if self.rng.gen_bool(0.3) {
            self.open_lead().map(|i| format!("L{}", self.leads[i].id))
        } else {
            None
        };
        Event::MeetingHeld {
            seller: self.seller(seller),
            customer: self.customer(),
            lead,
        }
    }

    fn order_closed(&mut self) -> Event {
        let (seller, lead) = match self.rng.gen_bool(0.4).then(|| self.open_lead()).flatten() {
            Some(i) => {
                // Only a seller of the receiving division may close an
                // order on the lead.
                let l = self.leads[i].clone();
                let closer = l
                    .to_seller
                    .filter(|s| self.division_of[*s as usize] == l.to_division)
                    .or_else(|| self.member_of(l.to_division));
                match closer {
                    Some(c) => (c, Some(format!("L{}", l.id))),
                    None => (self.random_seller(), None),
                }
            }
            None => (self.random_seller(), None),
        };
        let order = self.next_order;
        self.next_order += 1;
        let currency = if self.rng.gen_bool(0.1) { "EUR" } else { "SEK" };
        Event::OrderClosed {
            order: format!("O{order}"),
            seller: self.seller(seller),
            customer: self.customer(),
            amount: self.rng.gen_range(1..5_000) * 10_000,
            currency: currency.into(),
            lead,
        }
    }

    /// Voids a recent activity that is not voided yet.
    fn event_voided(&mut self) -> Option<Event> {
        let i = self.rng.gen_range(0..RECENT);
        let target = std::mem::take(&mut self.activities[i]);
        if target == 0 {
            return None;
        }
        if let Some(l) = self.lead_seqs.iter().position(|s| *s == target) {
            self.leads[l].voided = true;
        }
        Some(Event::EventVoided {
            seq: target,
            reason: "logged in error".into(),
        })
    }

    fn seller_moved(&mut self) -> Option<Event> {
        if self.cfg.divisions < 2 {
            return None;
        }
        let s = self.random_seller();
        let from = self.division_of[s as usize];
        let d = self.cfg.divisions as u32;
        let to = (from + self.rng.gen_range(1..d)) % d;
        self.members[from as usize].retain(|m| *m != s);
        self.members[to as usize].push(s);
        self.division_of[s as usize] = to;
        Some(Event::SellerMoved {
            seller: self.seller(s),
            division: self.division_ids[to as usize].clone(),
        })
    }

    fn activity(&mut self) -> Event {
        loop {
            let roll = self.rng.gen_range(0..1000u32);
            let event = if roll < self.cfg.voids_per_mille {
                self.event_voided()
            } else if roll == 999 {
                self.seller_moved()
            } else {
                match roll % 20 {
                    0..=4 => Some(self.lead_given()),
                    5..=8 => self.lead_feedback(),
                    9..=10 => Some(self.joint_visit()),
                    11..=14 => Some(self.meeting_held()),
                    _ => Some(self.order_closed()),
                }
            };
            if let Some(e) = event {
                return e;
            }
        }
    }
}

impl Iterator for Synth {
    type Item = Envelope;

    fn next(&mut self) -> Option<Envelope> {
        if self.seq >= self.cfg.events {
            return None;
        }
        self.seq += 1;
        let seq = self.seq;
        let (event, occurred_at) = if seq <= self.org_events() {
            (self.org_event(seq), self.cfg.start_us)
        } else {
            let e = self.activity();
            if e.is_activity() {
                self.activities[seq as usize % RECENT] = seq;
            }
            // Events whose checks compare times (leads, what hangs on them,
            // moves) keep log order in business time; the rest jitter.
            let ordered = matches!(
                e,
                Event::LeadGiven { .. }
                    | Event::LeadFeedback { .. }
                    | Event::SellerMoved { .. }
                    | Event::OrderClosed { lead: Some(_), .. }
            );
            let at = self.time_of(seq);
            (e, if ordered { self.base_time(seq) } else { at })
        };
        Some(Envelope {
            format: FORMAT_VERSION,
            seq,
            id: format!("syn-{seq}"),
            occurred_at,
            recorded_at: occurred_at.max(self.cfg.start_us),
            actor: "synth".into(),
            event,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = (self.cfg.events - self.seq) as usize;
        (left, Some(left))
    }
}

/// All envelopes of a synthetic log, in seq order.
/// How many events a benchmark folds: `CROSSBOARD_BENCH_EVENTS`, else the
/// DESIGN's 1,000,000.
pub fn bench_events() -> u64 {
    std::env::var("CROSSBOARD_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

/// The default synthetic organisation (10,000 sellers) with `events`
/// events folded into a projection, and the last instant of its span: the
/// setup every read benchmark shares, so their figures describe one log.
pub fn projection(events: u64) -> (crate::domain::Projection, chrono::DateTime<chrono::Utc>) {
    let cfg = SynthConfig {
        events,
        ..SynthConfig::default()
    };
    let end = crate::domain::time::from_micros(cfg.start_us + cfg.span_us - 1);
    let mut p = crate::domain::Projection::new(chrono_tz::Europe::Stockholm);
    for env in Synth::new(cfg) {
        p.apply(&env);
    }
    (p, end)
}

/// Writes a synthetic log straight into a fresh data dir, through the
/// store in writer-sized batches, for the scale examples: a million events
/// take seconds this way instead of minutes over HTTP.
pub fn write_log(data: &std::path::Path, cfg: SynthConfig) -> anyhow::Result<()> {
    let (log, _) = crate::app::open_log(data, Some("Europe/Stockholm"))?;
    let mut batch = Vec::with_capacity(10_000);
    for env in Synth::new(cfg) {
        batch.push(env);
        if batch.len() == 10_000 {
            log.append(&batch)?;
            batch.clear();
        }
    }
    log.append(&batch)?;
    log.flush()?;
    Ok(())
}

pub fn generate(cfg: SynthConfig) -> Vec<Envelope> {
    Synth::new(cfg).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Projection;

    fn small(seed: u64, events: u64) -> SynthConfig {
        SynthConfig {
            seed,
            divisions: 4,
            sellers: 30,
            events,
            voids_per_mille: 40,
            ..SynthConfig::default()
        }
    }

    #[test]
    fn every_envelope_passes_the_writers_checks() {
        for seed in 0..5 {
            let mut p = Projection::new(chrono_tz::Europe::Stockholm);
            let envs = generate(small(seed, 5_000));
            assert_eq!(envs.len(), 5_000);
            for env in &envs {
                assert_eq!(env.seq, p.seq() + 1);
                let ctx = crate::domain::Context {
                    now_us: env.recorded_at,
                    occurred_at: env.occurred_at,
                    privileged: true,
                };
                if let Err(r) = p.check(&env.event, &ctx) {
                    panic!("seed {seed}: seq {} rejected: {r:?}\n{env:?}", env.seq);
                }
                p.apply(env);
            }
            let count = |name: &str| envs.iter().filter(|e| e.event.type_name() == name).count();
            for name in [
                "lead_given",
                "lead_feedback",
                "joint_visit",
                "meeting_held",
                "order_closed",
                "event_voided",
            ] {
                assert!(count(name) > 0, "seed {seed}: no {name}");
            }
            let all = crate::domain::time::Window::containing(
                crate::domain::time::WindowKind::All,
                chrono::Utc::now(),
                p.tz,
            );
            assert!(p.score.seller_points(&all, 30).iter().sum::<i64>() > 0);
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_log() {
        assert_eq!(generate(small(7, 2_000)), generate(small(7, 2_000)));
        assert_ne!(generate(small(7, 2_000)), generate(small(8, 2_000)));
    }

    #[test]
    fn times_stay_within_the_span() {
        let cfg = small(3, 3_000);
        let end = cfg.start_us + cfg.span_us;
        for env in generate(cfg.clone()) {
            assert!(env.occurred_at >= cfg.start_us - 600_000_000);
            assert!(env.occurred_at <= end);
        }
    }
}
