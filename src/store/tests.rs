//! The store's promises that only a real sled dir can show: a refused
//! append leaves nothing behind, and a damaged key is named, not a panic.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use super::*;
use crate::domain::event::{Event, FORMAT_VERSION};

fn env(seq: u64, id: &str) -> Envelope {
    Envelope {
        format: FORMAT_VERSION,
        seq,
        id: id.into(),
        occurred_at: 1,
        recorded_at: 2,
        actor: "test".into(),
        event: Event::DivisionCreated {
            id: format!("d{seq}"),
            name: "D".into(),
        },
    }
}

fn envs(seqs: std::ops::RangeInclusive<u64>) -> Vec<Envelope> {
    seqs.map(|s| env(s, &format!("id{s}"))).collect()
}

#[test]
fn a_failed_append_is_taken_back_out_of_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    {
        let mut log = Log::open(&data).unwrap();
        log.append(&envs(1..=3)).unwrap();
        // Every later flush fails; this batch spans three chunks.
        log.faults.flushes_left = Some(Arc::new(AtomicU64::new(0)));
        let refused = envs(4..=4 + 2 * CHUNK_EVENTS as u64);
        assert!(log.append(&refused).is_err());
        assert_eq!(log.last_seq().unwrap(), 3);
        assert_eq!(log.get(4).unwrap(), None);
        assert_eq!(log.seq_for_id("id4").unwrap(), None);
        // A later flush (as at shutdown) must not bring it back.
        log.flush().unwrap();
    }
    let log = Log::open(&data).unwrap();
    assert_eq!(log.last_seq().unwrap(), 3);
    assert_eq!(log.read(0, u64::MAX).count(), 3);
    assert_eq!(log.ids().count(), 3);
    // The refused seqs and ids are free again.
    log.append(&envs(4..=5)).unwrap();
    assert_eq!(log.last_seq().unwrap(), 5);
    assert_eq!(log.seq_for_id("id5").unwrap(), Some(5));
}

#[test]
fn a_malformed_chunk_key_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    Log::open(&data).unwrap().append(&envs(1..=2)).unwrap();
    {
        // Written behind the store's back, as damage or a foreign tool would.
        let db = sled::open(&data).unwrap();
        db.insert(b"c\x00\x00\x07", &b"x"[..]).unwrap();
        db.flush().unwrap();
    }
    let log = Log::open(&data).unwrap();
    let named = |e: StoreError| {
        let text = e.to_string();
        assert!(text.contains("malformed key 63000007"), "{text}");
    };
    named(log.last_seq().unwrap_err());
    named(log.read(0, u64::MAX).find_map(Result::err).unwrap());
    let tz = crate::domain::time::parse_tz("UTC").unwrap();
    named(crate::app::replay(&log, tz).err().unwrap());
    let verified = crate::verify::verify(&log).unwrap();
    assert!(
        verified
            .problems
            .iter()
            .any(|p| p.message.contains("63000007")),
        "{:?}",
        verified.problems
    );
}
