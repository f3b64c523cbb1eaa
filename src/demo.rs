//! Demo data: a plausible organisation with a few weeks of cross-selling
//! history, then a trickle of new activity so a wall screen is alive on
//! first start. Everything goes through the real writer and validation, so
//! the demo exercises the same path as production traffic.

use std::time::Duration;

use chrono::{Duration as Span, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use crate::domain::event::{Event, FeedbackStatus};
use crate::domain::time::micros;
use crate::writer::{Append, Writer};

const DIVISIONS: [(&str, &str); 4] = [
    ("automation", "Industrial Automation"),
    ("energy", "Energy Solutions"),
    ("service", "Service & Support"),
    ("digital", "Digital Services"),
];

const SELLERS: [(&str, &str, usize); 24] = [
    ("anna", "Anna Lindqvist", 0),
    ("erik", "Erik Johansson", 0),
    ("maja", "Maja Karlsson", 0),
    ("oskar", "Oskar Nilsson", 0),
    ("sara", "Sara Eriksson", 0),
    ("jonas", "Jonas Berg", 0),
    ("elin", "Elin Holm", 0),
    ("lars", "Lars Persson", 1),
    ("karin", "Karin Olsson", 1),
    ("nils", "Nils Andersson", 1),
    ("emma", "Emma Svensson", 1),
    ("johan", "Johan Gustafsson", 1),
    ("ida", "Ida Larsson", 2),
    ("per", "Per Lindberg", 2),
    ("linnea", "Linnéa Ström", 2),
    ("mikael", "Mikael Åberg", 2),
    ("frida", "Frida Sandberg", 2),
    ("anders", "Anders Wikström", 2),
    ("hanna", "Hanna Björk", 2),
    ("viktor", "Viktor Ek", 3),
    ("sofia", "Sofia Nyström", 3),
    ("david", "David Lund", 3),
    ("klara", "Klara Hedlund", 3),
    ("axel", "Axel Forsberg", 3),
];

const CUSTOMERS: [&str; 24] = [
    "Volvo Cars",
    "Scania",
    "SKF",
    "Sandvik",
    "Atlas Copco",
    "Ericsson",
    "ABB Sweden",
    "Alfa Laval",
    "Husqvarna",
    "Electrolux",
    "SSAB",
    "Boliden",
    "Holmen",
    "Stora Enso",
    "Vattenfall",
    "Assa Abloy",
    "Epiroc",
    "Getinge",
    "Trelleborg",
    "Saab",
    "Hexagon",
    "Nibe",
    "Lindab",
    "Munters",
];

struct OpenLead {
    id: String,
    to_division: usize,
    receiver: usize,
    status: Option<FeedbackStatus>,
}

/// A small model of the demo org that proposes the next plausible event.
pub struct DemoWorld {
    rng: StdRng,
    leads: Vec<OpenLead>,
    next_lead: u64,
    next_order: u64,
    /// Distinguishes ids of trickle events across restarts.
    tag: String,
}

impl DemoWorld {
    pub fn new(seed: u64, tag: &str) -> Self {
        DemoWorld {
            rng: StdRng::seed_from_u64(seed),
            leads: Vec::new(),
            next_lead: 1,
            next_order: 1,
            tag: tag.into(),
        }
    }

    fn seller_in(&mut self, division: usize) -> usize {
        let ids: Vec<usize> = (0..SELLERS.len())
            .filter(|i| SELLERS[*i].2 == division)
            .collect();
        *ids.choose(&mut self.rng).unwrap_or(&0)
    }

    fn customer(&mut self) -> String {
        CUSTOMERS
            .choose(&mut self.rng)
            .copied()
            .unwrap_or("Acme")
            .to_string()
    }

    /// The organisation itself: divisions, then sellers.
    pub fn org_events() -> Vec<Event> {
        let mut out: Vec<Event> = DIVISIONS
            .iter()
            .map(|(id, name)| Event::DivisionCreated {
                id: (*id).into(),
                name: (*name).into(),
            })
            .collect();
        out.extend(SELLERS.iter().map(|(id, name, d)| Event::SellerJoined {
            id: (*id).into(),
            name: (*name).into(),
            division: DIVISIONS[*d].0.into(),
        }));
        out
    }

    /// The next activity, weighted like a working sales floor. A lead
    /// reported won comes with the order it turned into.
    pub fn next_activities(&mut self) -> Vec<Event> {
        let roll = self.rng.gen_range(0..100);
        let open: Vec<usize> = (0..self.leads.len())
            .filter(|i| {
                !matches!(
                    self.leads[*i].status,
                    Some(FeedbackStatus::Won | FeedbackStatus::Lost | FeedbackStatus::NotRelevant)
                )
            })
            .collect();
        if roll < 30 || open.is_empty() {
            return vec![self.new_lead()];
        }
        if roll < 62 {
            let i = *open.choose(&mut self.rng).unwrap_or(&0);
            return self.feedback(i);
        }
        if roll < 75 {
            let host = self.rng.gen_range(0..SELLERS.len());
            let mut guest = self.rng.gen_range(0..SELLERS.len());
            while guest == host {
                guest = self.rng.gen_range(0..SELLERS.len());
            }
            return vec![Event::JointVisit {
                host: SELLERS[host].0.into(),
                guests: vec![SELLERS[guest].0.into()],
                customer: self.customer(),
            }];
        }
        if roll < 88 {
            let seller = self.rng.gen_range(0..SELLERS.len());
            let lead = open
                .choose(&mut self.rng)
                .map(|i| &self.leads[*i])
                .filter(|l| l.receiver == seller);
            let lead = lead.map(|l| l.id.clone());
            return vec![Event::MeetingHeld {
                seller: SELLERS[seller].0.into(),
                customer: self.customer(),
                lead,
            }];
        }
        let seller = self.rng.gen_range(0..SELLERS.len());
        vec![self.order(seller, None)]
    }

    fn new_lead(&mut self) -> Event {
        let giver = self.rng.gen_range(0..SELLERS.len());
        let mut to_division = self.rng.gen_range(0..DIVISIONS.len());
        // Leads cross divisions: one to the giver's own is refused.
        if to_division == SELLERS[giver].2 {
            to_division = (to_division + 1) % DIVISIONS.len();
        }
        let receiver = self.seller_in(to_division);
        let named = self.rng.gen_bool(0.7) && receiver != giver;
        let id = format!("lead-{}{}", self.tag, self.next_lead);
        self.next_lead += 1;
        self.leads.push(OpenLead {
            id: id.clone(),
            to_division,
            receiver,
            status: None,
        });
        let customer = self.customer();
        Event::LeadGiven {
            lead: id,
            from: SELLERS[giver].0.into(),
            to_division: DIVISIONS[to_division].0.into(),
            to_seller: named.then(|| SELLERS[receiver].0.into()),
            note: Some(format!(
                "{customer} is expanding and asked about your offer"
            )),
            customer,
            estimated_value: Some(self.rng.gen_range(5..200) * 1_000_000),
        }
    }

    fn feedback(&mut self, i: usize) -> Vec<Event> {
        let status = match self.leads[i].status {
            None => FeedbackStatus::Contacted,
            Some(FeedbackStatus::Contacted) => {
                if self.rng.gen_bool(0.7) {
                    FeedbackStatus::MeetingBooked
                } else {
                    FeedbackStatus::NotRelevant
                }
            }
            _ => {
                if self.rng.gen_bool(0.55) {
                    FeedbackStatus::Won
                } else {
                    FeedbackStatus::Lost
                }
            }
        };
        self.leads[i].status = Some(status);
        let l = &self.leads[i];
        debug_assert_eq!(SELLERS[l.receiver].2, l.to_division);
        let mut out = vec![Event::LeadFeedback {
            lead: l.id.clone(),
            by: SELLERS[l.receiver].0.into(),
            status,
            note: None,
        }];
        if status == FeedbackStatus::Won {
            // A won lead becomes an order, closed by its receiver.
            let (receiver, lead) = (l.receiver, l.id.clone());
            out.push(self.order(receiver, Some(lead)));
        }
        out
    }

    fn order(&mut self, seller: usize, lead: Option<String>) -> Event {
        let id = format!("order-{}{}", self.tag, self.next_order);
        self.next_order += 1;
        Event::OrderClosed {
            order: id,
            seller: SELLERS[seller].0.into(),
            customer: self.customer(),
            amount: self.rng.gen_range(1..50) * 1_000_000,
            currency: if self.rng.gen_bool(0.85) {
                "SEK"
            } else {
                "EUR"
            }
            .into(),
            lead,
        }
    }
}

fn demo_append(event: Event, occurred_at: Option<i64>) -> Append {
    Append {
        id: None,
        occurred_at,
        actor: "demo".into(),
        event,
    }
}

/// Seeds an empty log with the demo org and about four weeks of history.
/// Returns how many events were written.
pub async fn seed(writer: &Writer) -> anyhow::Result<u64> {
    let now = Utc::now();
    let start = now - Span::days(29);
    let mut world = DemoWorld::new(42, "");
    let mut appends: Vec<Append> = DemoWorld::org_events()
        .into_iter()
        .map(|e| demo_append(e, Some(micros(start - Span::days(1)))))
        .collect();
    // Working hours (07:00-17:00 UTC) of each of the last 29 days and of
    // today up to now, so "today" and "this week" have points at once.
    for day in 0..=29 {
        let date = (start + Span::days(day))
            .date_naive()
            .and_hms_opt(7, 0, 0)
            .map(|t| t.and_utc())
            .unwrap_or(start);
        let busy = !matches!(
            chrono::Datelike::weekday(&date),
            chrono::Weekday::Sat | chrono::Weekday::Sun
        );
        let count = if busy {
            world.rng.gen_range(12..30)
        } else {
            world.rng.gen_range(0..3)
        };
        let mut times: Vec<i64> = (0..count)
            .map(|_| micros(date) + world.rng.gen_range(0..10 * 3_600_000_000i64))
            .filter(|t| *t < micros(now))
            .collect();
        times.sort_unstable();
        for t in times {
            for event in world.next_activities() {
                appends.push(demo_append(event, Some(t)));
            }
        }
    }
    // Queue everything in order first, then wait: the writer batches them.
    let mut answers = Vec::with_capacity(appends.len());
    for a in appends {
        answers.push(writer.submit(a).await);
    }
    let mut written = 0;
    for answer in answers {
        match answer.await {
            Ok(Ok(_)) => written += 1,
            Ok(Err(e)) => tracing::warn!(error = ?e, "demo event refused"),
            Err(_) => anyhow::bail!("the writer stopped while seeding demo data"),
        }
    }
    Ok(written)
}

/// Keeps new demo activity flowing every few seconds until aborted.
pub fn spawn_trickle(writer: Writer, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let tag = format!("{}-", Utc::now().timestamp());
        let mut world = DemoWorld::new(rand::random(), &tag);
        loop {
            let jitter = world.rng.gen_range(0.5..1.5);
            tokio::time::sleep(every.mul_f64(jitter)).await;
            for event in world.next_activities() {
                if let Err(e) = writer.append(demo_append(event, None)).await {
                    tracing::debug!(error = ?e, "demo trickle event refused");
                }
            }
        }
    })
}
