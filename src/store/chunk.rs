//! The framing of a chunk value: the magic byte, a frame count, then each
//! encoded envelope with its own length. Kept apart from the key layout so
//! that damage inside a chunk can be reported by seq.

use super::CHUNK_EVENTS;

/// First byte of every chunk value, so a stray value is not misread.
const CHUNK_MAGIC: u8 = 0xC7;

/// Frames encoded envelopes into one chunk value.
pub fn encode_chunk(records: &[Vec<u8>]) -> Vec<u8> {
    let len: usize = records.iter().map(|r| r.len() + 4).sum();
    let mut out = Vec::with_capacity(5 + len);
    out.push(CHUNK_MAGIC);
    out.extend_from_slice(&(records.len() as u32).to_le_bytes());
    for r in records {
        out.extend_from_slice(&(r.len() as u32).to_le_bytes());
        out.extend_from_slice(r);
    }
    out
}

/// Splits a chunk value into its envelope frames.
pub fn chunk_frames(bytes: &[u8]) -> Result<Vec<&[u8]>, String> {
    if bytes.first() != Some(&CHUNK_MAGIC) || bytes.len() < 5 {
        return Err("not a chunk of this format".into());
    }
    let count = u32::from_le_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]) as usize;
    let mut frames = Vec::with_capacity(count.min(CHUNK_EVENTS * 4));
    let mut at = 5;
    for i in 0..count {
        let len = bytes
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
            .ok_or_else(|| format!("frame {i} of {count} is cut short"))?;
        let frame = bytes
            .get(at + 4..at + 4 + len)
            .ok_or_else(|| format!("frame {i} of {count} is cut short"))?;
        frames.push(frame);
        at += 4 + len;
    }
    if at != bytes.len() {
        return Err(format!(
            "{} stray bytes after {count} frames",
            bytes.len() - at
        ));
    }
    Ok(frames)
}
