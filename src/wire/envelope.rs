//! Events as the API shows them: `GET /api/v1/events`, exports and the
//! customer timeline all use these shapes, which are also what clients
//! post (`data` as sent, times as RFC 3339, rule sets as JSON).

use serde_json::{json, Value};

use crate::domain::event::{Envelope, Event};
use crate::domain::time::format_us;

/// The `data` object of the JSON API, in the same shape clients send.
pub fn event_data(event: &Event) -> Value {
    let tagged = serde_json::to_value(event).unwrap_or(Value::Null);
    let mut data = match tagged {
        Value::Object(map) => map
            .into_iter()
            .next()
            .map(|(_, v)| v)
            .unwrap_or(Value::Null),
        other => other,
    };
    if let Value::Object(map) = &mut data {
        map.retain(|_, v| !v.is_null());
        // Times inside events are stored as microseconds; show RFC 3339.
        for key in ["effective_from", "start", "end"] {
            if let Some(us) = map.get(key).and_then(Value::as_i64) {
                map.insert(key.into(), Value::String(format_us(us)));
            }
        }
        // Rule sets are stored as JSON text; show them as JSON.
        if let Some(Value::String(text)) = map.get("rules") {
            if let Ok(parsed) = serde_json::from_str::<Value>(text) {
                map.insert("rules".into(), parsed);
            }
        }
    }
    data
}

/// The JSON form served by `GET /api/v1/events` and exports.
pub fn envelope_json(env: &Envelope) -> Value {
    json!({
        "seq": env.seq,
        "id": env.id,
        "type": env.event.type_name(),
        "occurred_at": format_us(env.occurred_at),
        "recorded_at": format_us(env.recorded_at),
        "actor": env.actor,
        "data": event_data(&env.event),
    })
}
