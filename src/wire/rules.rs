//! Rule sets in requests: the `rules` member of a body, validated, with the
//! offending field named as `rules.<path>`.

use serde_json::Value;

use crate::domain::rules::RuleSet;
use crate::wire::error::ApiError;
use crate::wire::fields::Fields;

/// Parses the `rules` member of a body into a validated rule set, naming
/// the offending field as `rules.<path>`.
pub fn rules_member(f: &mut Fields, name: &'static str) -> Result<Option<RuleSet>, ApiError> {
    match f.take(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => RuleSet::from_json(v).map(Some).map_err(|e| {
            let field = if e.field.is_empty() {
                name.to_string()
            } else {
                format!("{name}.{}", e.field)
            };
            ApiError::field(field, "invalid_rules", e.message)
        }),
    }
}
