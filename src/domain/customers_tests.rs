use super::*;
use crate::domain::event::{CustomerEventKind, DeliveryStatus, Envelope, FORMAT_VERSION};
use crate::domain::Projection;

const HOUR: i64 = 3_600_000_000;
/// 2026-01-05T00:00:00Z, a Monday.
const T0: i64 = 1_767_571_200_000_000;

fn s(x: &str) -> String {
    x.to_string()
}

/// Applies `events` in order, seq 1.., an hour apart, checking each like the
/// writer does, so the fixture can only hold what the server accepts.
fn fold(events: Vec<Event>) -> Projection {
    let mut p = Projection::new(chrono_tz::UTC);
    for (i, event) in events.into_iter().enumerate() {
        let at = T0 + i as i64 * HOUR;
        let ctx = crate::domain::Context::privileged_at(at);
        if let Err(e) = p.check(&event, &ctx) {
            panic!("event {} refused: {e:?}", i + 1);
        }
        p.apply(&Envelope {
            format: FORMAT_VERSION,
            seq: p.seq() + 1,
            id: format!("e{}", i + 1),
            occurred_at: at,
            recorded_at: at,
            actor: s("test"),
            event,
        });
    }
    p
}

/// Divisions a, b, c; anna (a), bo (b), cia (c), dan (a).
fn org() -> Vec<Event> {
    let mut v = Vec::new();
    for d in ["a", "b", "c"] {
        v.push(Event::DivisionCreated {
            id: s(d),
            name: d.to_uppercase(),
        });
    }
    for (id, d) in [("anna", "a"), ("bo", "b"), ("cia", "c"), ("dan", "a")] {
        v.push(Event::SellerJoined {
            id: s(id),
            name: s(id),
            division: s(d),
        });
    }
    v
}

fn lead(id: &str, from: &str, to: &str, customer: &str) -> Event {
    Event::LeadGiven {
        lead: s(id),
        from: s(from),
        to_division: s(to),
        to_seller: None,
        customer: s(customer),
        note: None,
        estimated_value: None,
    }
}

fn meeting(seller: &str, customer: &str) -> Event {
    Event::MeetingHeld {
        seller: s(seller),
        customer: s(customer),
        lead: None,
    }
}

fn order(id: &str, seller: &str, customer: &str, lead: Option<&str>) -> Event {
    Event::OrderClosed {
        order: s(id),
        seller: s(seller),
        customer: s(customer),
        amount: 100_000,
        currency: s("SEK"),
        lead: lead.map(s),
    }
}

fn reach(p: &Projection, key: &str) -> Vec<(&'static str, &'static str)> {
    let c = p.customers.find(key).expect("customer");
    let cust = p.customers.get(c).expect("customer");
    ["a", "b", "c"]
        .iter()
        .map(|d| {
            let ix = p.org.division(d).expect("division");
            (
                p.org.divisions[ix as usize].id.as_str(),
                cust.reach(ix).as_str(),
            )
        })
        .map(|(d, r)| {
            (
                if d == "a" {
                    "a"
                } else if d == "b" {
                    "b"
                } else {
                    "c"
                },
                r,
            )
        })
        .collect()
}

#[test]
fn keys_are_trimmed_case_folded_and_collapsed() {
    assert_eq!(normalise("Volvo Cars"), "volvo cars");
    assert_eq!(normalise("  VOLVO \t  cars\n"), "volvo cars");
    assert_eq!(normalise("Åhléns   City"), "åhléns city");
    assert_eq!(normalise("ÖSTERMALMS\u{a0}SALUHALL"), "östermalms saluhall");
    assert_eq!(normalise("   "), "");
    assert_ne!(normalise("Volvo Cars"), normalise("VolvoCars"));
}

#[test]
fn furthest_state_per_division() {
    let mut ev = org();
    ev.extend([
        // seq 8: a lead to b about Volvo, written sloppily.
        lead("L1", "anna", "b", "  volvo   CARS "),
        // seq 9: b meets Volvo.
        meeting("bo", "Volvo Cars"),
        // seq 10: a lead to c about Volvo: c reaches `lead`.
        lead("L2", "anna", "c", "Volvo Cars"),
        // seq 11: b closes an order with Volvo.
        order("O1", "bo", "VOLVO CARS", Some("L1")),
        // seq 12: a meets Scania; nothing else there.
        meeting("dan", "Scania"),
        // seq 13: a lead from b to a about Scania; a is further already.
        lead("L3", "bo", "a", "Scania"),
    ]);
    let p = fold(ev);
    assert_eq!(p.customers.list.len(), 2);
    assert_eq!(
        reach(&p, "Volvo Cars"),
        vec![("a", "none"), ("b", "order"), ("c", "lead")]
    );
    assert_eq!(
        reach(&p, "scania"),
        vec![("a", "meeting"), ("b", "none"), ("c", "none")]
    );
    let volvo = p.customers.find("volvo cars").expect("volvo");
    assert_eq!(p.customers.list[volvo as usize].key, "volvo cars");
    assert_eq!(p.customers.list[volvo as usize].name, "volvo   CARS");
    assert_eq!(p.customers.list[volvo as usize].seqs, vec![8, 9, 10, 11]);
}

#[test]
fn a_void_takes_a_customers_state_back() {
    let mut ev = org();
    ev.extend([
        lead("L1", "anna", "b", "Volvo"), // 8
        meeting("bo", "Volvo"),           // 9
        order("O1", "bo", "Volvo", None), // 10
        Event::EventVoided {
            seq: 10,
            reason: s("typo"),
        }, // 11
    ]);
    let p = fold(ev.clone());
    assert_eq!(
        reach(&p, "volvo"),
        vec![("a", "none"), ("b", "meeting"), ("c", "none")]
    );
    ev.push(Event::EventVoided {
        seq: 9,
        reason: s("typo"),
    });
    let p = fold(ev.clone());
    assert_eq!(
        reach(&p, "volvo"),
        vec![("a", "none"), ("b", "lead"), ("c", "none")]
    );
    ev.push(Event::EventVoided {
        seq: 8,
        reason: s("typo"),
    });
    let p = fold(ev);
    assert_eq!(
        reach(&p, "volvo"),
        vec![("a", "none"), ("b", "none"), ("c", "none")]
    );
}

#[test]
fn team_events_and_deliveries_join_the_timeline_in_business_time_order() {
    let mut ev = org();
    ev.extend([
        lead("L1", "anna", "b", "Volvo"), // 8
        Event::MastermindHeld {
            host: s("bo"),
            customer: s("Volvo AB"),
            customer_id: Some(s("crm-1")),
            helpers: vec![s("anna")],
            note: None,
        }, // 9: a new name with an id
        Event::MastermindHeld {
            host: s("bo"),
            customer: s("Volvo Group"),
            customer_id: Some(s("crm-1")),
            helpers: vec![s("cia")],
            note: None,
        }, // 10: another name, same id: the same customer as 9
        Event::CustomerEvent {
            kind: CustomerEventKind::Seminar,
            organiser: s("cia"),
            customers: vec![s("volvo"), s("Scania")],
            sellers: vec![s("cia"), s("bo")],
            title: None,
        }, // 11
        order("O1", "bo", "Volvo", Some("L1")), // 12
        Event::OrderDelivered {
            order: s("O1"),
            status: DeliveryStatus::Delivered,
            note: None,
        }, // 13
        Event::LeadFeedback {
            lead: s("L1"),
            by: s("bo"),
            status: crate::domain::FeedbackStatus::Won,
            note: None,
        }, // 14
    ]);
    let p = fold(ev);
    let volvo = p.customers.find("Volvo").expect("volvo");
    assert_eq!(
        p.customers.list[volvo as usize].seqs,
        vec![8, 11, 12, 13, 14]
    );
    let ab = p.customers.find("crm-1").expect("by id");
    assert_eq!(p.customers.find("volvo ab"), Some(ab));
    assert_eq!(p.customers.list[ab as usize].seqs, vec![9, 10]);
    assert_eq!(p.customers.find("volvo group"), None);
    let scania = p.customers.find("scania").expect("scania");
    assert_eq!(p.customers.list[scania as usize].seqs, vec![11]);
    assert_eq!(
        p.customers.timeline(volvo, &p.facts),
        vec![8, 11, 12, 13, 14]
    );
    // Search is by key, paged in key order.
    let (hits, more) = p.customers.search("VOLVO", None, 1);
    assert_eq!((hits, more), (vec![volvo], true));
    let (hits, more) = p.customers.search("volvo", Some("volvo"), 10);
    assert_eq!((hits, more), (vec![ab], false));
}
