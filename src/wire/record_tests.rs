//! Unit tests of `record.rs`, kept beside it so the module itself stays one
//! screenful of logic.

use super::*;
use crate::wire::csv::{csv_header, csv_row, csv_rows};
use crate::wire::jsonl::{jsonl_line, jsonl_rows};
use serde_json::json;

fn env(seq: u64, event: Event) -> Envelope {
    Envelope {
        format: 1,
        seq,
        id: format!("e{seq}"),
        occurred_at: 1_700_000_000_000_000 + seq as i64,
        recorded_at: 1_700_000_000_000_000,
        actor: "api".into(),
        event,
    }
}

fn round_trip_csv(e: &Envelope) -> EventRequest {
    let mut text = csv_header();
    text.extend(csv_row(e));
    let mut rows = csv_rows(&text[..]).unwrap();
    let row = rows.next().unwrap().unwrap();
    assert_eq!(row.line, 2);
    parse_record(&row.record.unwrap(), i64::MAX / 2).unwrap()
}

fn round_trip_jsonl(e: &Envelope) -> EventRequest {
    let line = jsonl_line(e);
    let row = jsonl_rows(&line[..]).next().unwrap().unwrap();
    parse_record(&row.record.unwrap(), i64::MAX / 2).unwrap()
}

#[test]
fn every_kind_of_event_survives_both_formats() {
    let rules = crate::domain::rules::RuleSet::default()
        .to_json()
        .to_string();
    let events = vec![
        Event::LeadGivenQualified {
            lead: "L1".into(),
            from: "a".into(),
            to_division: "d".into(),
            to_seller: None,
            customer: "Acme".into(),
            note: None,
            estimated_value: Some(5),
            need: Some("pumps; two".into()),
            timing: Some(crate::domain::event::LeadTiming::Year),
            contact: Some("Eva".into()),
        },
        Event::KnowledgeShared {
            presenter: "a".into(),
            audience_division: "d".into(),
            topic: "Heat pumps".into(),
            attendees: vec!["b".into(), "c".into()],
            note: Some("lunch".into()),
        },
        Event::KnowledgeShared {
            presenter: "a".into(),
            audience_division: "d".into(),
            topic: "Heat pumps".into(),
            attendees: vec![],
            note: None,
        },
        Event::JointVisit {
            host: "a".into(),
            guests: vec!["b".into(), "c".into()],
            customer: "Acme, \"Inc\"\nline two".into(),
        },
        Event::OrderClosed {
            order: "o1".into(),
            seller: "a".into(),
            customer: "Acme".into(),
            amount: 123_456,
            currency: "SEK".into(),
            lead: Some("L1".into()),
        },
        Event::EventVoided {
            seq: 3,
            reason: "twice".into(),
        },
        Event::RulesPublished {
            version: 2,
            rules: rules.clone(),
            effective_from: i64::MIN,
            retroactive: true,
        },
        Event::RulesPublished {
            version: 3,
            rules,
            effective_from: 1_700_000_000_000_000,
            retroactive: false,
        },
        Event::CompetitionCreated {
            id: "c1".into(),
            name: "Spring".into(),
            start: 1_700_000_000_000_000,
            end: 1_800_000_000_000_000,
            divisions: vec!["x".into(), "y".into()],
            per_seller: true,
            rules: None,
        },
        Event::CompetitionClosed { id: "c1".into() },
    ];
    for (i, e) in events.into_iter().enumerate() {
        let env = env(i as u64 + 1, e);
        for req in [round_trip_csv(&env), round_trip_jsonl(&env)] {
            assert_eq!(req.event, env.event);
            assert_eq!(req.id.as_deref(), Some(env.id.as_str()));
            assert_eq!(req.occurred_at, Some(env.occurred_at));
        }
    }
}

#[test]
fn csv_neutralises_formulas_and_gets_the_text_back() {
    for (i, customer) in [
        "=HYPERLINK(\"http://x\",\"y\")",
        "-5 apples",
        "@SUM(A1)",
        "+1",
        "\tTab",
        "\rReturn",
        "'=already quoted",
    ]
    .into_iter()
    .enumerate()
    {
        let env = env(
            i as u64 + 1,
            Event::OrderClosed {
                order: format!("o{i}"),
                seller: "a".into(),
                customer: customer.into(),
                amount: 5,
                currency: "SEK".into(),
                lead: None,
            },
        );
        let row = String::from_utf8(csv_row(&env)).unwrap();
        let cells: Vec<String> = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(row.as_bytes())
            .records()
            .next()
            .unwrap()
            .unwrap()
            .iter()
            .map(String::from)
            .collect();
        assert!(
            cells.contains(&format!("'{customer}")),
            "{customer:?} is not neutralised in {row:?}"
        );
        assert!(
            cells
                .iter()
                .all(|c| !c.starts_with(['=', '+', '-', '@', '\t', '\r'])),
            "a cell of {row:?} would be a formula"
        );
        let req = round_trip_csv(&env);
        assert_eq!(req.event, env.event);
    }
}

#[test]
fn csv_names_the_field_at_fault_by_its_column() {
    let text = "type,data.order,data.seller,data.customer,data.amount,data.currency\n\
                order_closed,o1,anna,Acme,lots,SEK\n";
    let row = csv_rows(text.as_bytes()).unwrap().next().unwrap().unwrap();
    let e = parse_record(&row.record.unwrap(), 0).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("data.amount"));
    let bad = csv_rows("type,data.colour\n".as_bytes()).err().unwrap();
    assert_eq!(bad.line, 1);
    assert!(bad.message.contains("data.colour"));
}

#[test]
fn derived_ids_are_stable_and_count_duplicates() {
    let a = json!({"type": "seller_left", "data": {"seller": "s"}});
    let b = json!({"data": {"seller": "s"}, "type": "seller_left", "seq": 9});
    let (mut x, mut y) = (DerivedIds::default(), DerivedIds::default());
    let first = x.derive(&a);
    assert_eq!(first, y.derive(&b));
    let second = x.derive(&a);
    assert_ne!(first, second);
    assert_eq!(second, y.derive(&a));
}
