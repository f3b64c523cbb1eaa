//! The on-disk encoding of envelopes: bincode 1.3 (pinned; see DESIGN.md).
//!
//! Kept in one place so a later build can switch encodings: every record
//! begins with the envelope's `format` (u16, little-endian), which a decoder
//! can read before choosing how to decode the rest.

use crate::domain::event::{Envelope, FORMAT_VERSION};

pub fn encode(env: &Envelope) -> Result<Vec<u8>, String> {
    bincode::serialize(env).map_err(|e| e.to_string())
}

pub fn decode(bytes: &[u8]) -> Result<Envelope, String> {
    let format = bytes.get(..2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    match format {
        Some(FORMAT_VERSION) => bincode::deserialize(bytes).map_err(|e| e.to_string()),
        Some(other) => Err(format!("unknown record format {other}")),
        None => Err("record too short".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::Event;

    #[test]
    fn round_trip_and_format_check() {
        let env = Envelope {
            format: FORMAT_VERSION,
            seq: 7,
            id: "x".into(),
            occurred_at: 1,
            recorded_at: 2,
            actor: "a".into(),
            event: Event::SellerLeft { seller: "s".into() },
        };
        let bytes = encode(&env).unwrap();
        assert_eq!(decode(&bytes).unwrap(), env);
        let mut bad = bytes.clone();
        bad[0] = 9;
        assert!(decode(&bad).unwrap_err().contains("format 9"));
        assert!(decode(&bytes[..bytes.len() - 1]).is_err());
    }
}
