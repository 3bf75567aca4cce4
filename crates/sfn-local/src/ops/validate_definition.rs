use crate::error::SfnError;
use crate::req::Req;
use serde_json::{json, Value};

/// Diagnostics, not an error: ValidateStateMachineDefinition answers FAIL with the list.
pub(crate) fn run(body: &Value) -> Result<Value, SfnError> {
    let r = Req::new(body)?;
    let definition = r
        .bounded("definition", 1, 1_048_576)?
        .ok_or_else(|| SfnError::null("definition"))?;
    if let Some(t) = r.opt_str("type")? {
        if crate::model::MachineType::parse(t).is_none() {
            return Err(SfnError::constraint(
                &format!("'{t}'"),
                "type",
                "Member must satisfy enum value set: [STANDARD, EXPRESS]",
            ));
        }
    }
    let max = match r.opt_i64("maxResults")? {
        None | Some(0) => 100,
        Some(n) if (1..=100).contains(&n) => n as usize,
        Some(n) => {
            return Err(SfnError::constraint(
                &format!("'{n}'"),
                "maxResults",
                "Member must have value less than or equal to 100",
            ))
        }
    };
    let diags = asl::validate(definition);
    let truncated = diags.len() > max;
    let list: Vec<Value> = diags
        .iter()
        .take(max)
        .map(|d| json!({"severity": "ERROR", "code": d.code, "message": d.message, "location": d.location}))
        .collect();
    Ok(json!({
        "result": if diags.is_empty() { "OK" } else { "FAIL" },
        "diagnostics": list,
        "truncated": truncated,
    }))
}
