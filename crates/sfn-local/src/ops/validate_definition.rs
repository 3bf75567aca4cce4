use crate::error::SfnError;
use crate::req::Req;
use serde_json::{json, Value};

/// Diagnostics, not an error: ValidateStateMachineDefinition answers FAIL with the list.
pub(crate) fn run(body: &Value) -> Result<Value, SfnError> {
    let r = Req::new(body)?;
    let definition = r
        .bounded("definition", 1, 1_048_576)?
        .ok_or_else(|| SfnError::null("definition"))?;
    let kind = match r.opt_str("type")? {
        None => crate::model::MachineType::Standard,
        Some(t) => crate::model::MachineType::parse(t).ok_or_else(|| {
            SfnError::constraint(
                &format!("'{t}'"),
                "type",
                "Member must satisfy enum value set: [STANDARD, EXPRESS]",
            )
        })?,
    };
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
    let mut diags = asl::validate(definition);
    if diags.is_empty() && kind == crate::model::MachineType::Express {
        diags = super::express_problems(definition)
            .into_iter()
            .map(|(location, message)| asl::Diagnostic {
                code: "SCHEMA_VALIDATION_FAILED".into(),
                message,
                location,
            })
            .collect();
    }
    let truncated = diags.len() > max;
    let list: Vec<Value> = diags
        .iter()
        .take(max)
        .map(|d| {
            let mut v = json!({"severity": "ERROR", "code": d.code, "message": d.message});
            // Some diagnostics (a workflow with no terminal state) have no location.
            if !d.location.is_empty() {
                v["location"] = json!(d.location);
            }
            v
        })
        .collect();
    Ok(json!({
        "result": if diags.is_empty() { "OK" } else { "FAIL" },
        "diagnostics": list,
        "truncated": truncated,
    }))
}
