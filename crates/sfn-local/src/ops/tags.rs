//! Tags on state machines, kept in memory only (nothing here acts on them).

use super::machine;
use crate::error::SfnError;
use crate::model::lock;
use crate::req::Req;
use crate::service::Core;
use serde_json::{json, Value};

pub(crate) fn pairs(v: Option<&Value>) -> Result<Vec<(String, String)>, SfnError> {
    let Some(v) = v else { return Ok(Vec::new()) };
    let list = v
        .as_array()
        .ok_or_else(|| SfnError::Serialization("Expected a list for member 'tags'".into()))?;
    list.iter()
        .map(|t| {
            let key = t.get("key").and_then(Value::as_str);
            let value = t.get("value").and_then(Value::as_str).unwrap_or("");
            match key {
                Some(k) if !k.is_empty() && k.len() <= 128 && value.len() <= 256 => {
                    Ok((k.to_string(), value.to_string()))
                }
                _ => Err(SfnError::Validation(
                    "Tag keys must be 1 to 128 characters and values at most 256".into(),
                )),
            }
        })
        .collect()
}

pub(crate) fn set(core: &Core, arn: &str, new: Vec<(String, String)>) -> Result<(), SfnError> {
    let mut reg = lock(&core.reg);
    let entry = reg.tags.entry(arn.to_string()).or_default();
    for (k, v) in new {
        entry.insert(k, v);
    }
    Ok(())
}

pub(crate) fn tag(core: &Core, body: &Value) -> Result<Value, SfnError> {
    let r = Req::new(body)?;
    let arn = r.str("resourceArn")?;
    tagged(core, arn)?;
    let new = pairs(Some(
        r.opt_value("tags").ok_or_else(|| SfnError::null("tags"))?,
    ))?;
    set(core, arn, new)?;
    Ok(json!({}))
}

pub(crate) fn untag(core: &Core, body: &Value) -> Result<Value, SfnError> {
    let r = Req::new(body)?;
    let arn = r.str("resourceArn")?;
    tagged(core, arn)?;
    let keys = r
        .opt_value("tagKeys")
        .and_then(Value::as_array)
        .ok_or_else(|| SfnError::null("tagKeys"))?;
    let mut reg = lock(&core.reg);
    if let Some(t) = reg.tags.get_mut(arn) {
        for k in keys.iter().filter_map(Value::as_str) {
            t.remove(k);
        }
    }
    Ok(json!({}))
}

pub(crate) fn list(core: &Core, body: &Value) -> Result<Value, SfnError> {
    let r = Req::new(body)?;
    let arn = r.str("resourceArn")?;
    tagged(core, arn)?;
    let reg = lock(&core.reg);
    let tags: Vec<Value> = reg
        .tags
        .get(arn)
        .map(|t| {
            t.iter()
                .map(|(k, v)| json!({"key": k, "value": v}))
                .collect()
        })
        .unwrap_or_default();
    Ok(json!({ "tags": tags }))
}

/// A resource that takes tags: a state machine or an activity.
fn tagged(core: &Core, arn: &str) -> Result<(), SfnError> {
    if crate::arn::activity_name(arn).is_ok() {
        return super::describe_activity::activity(core, arn)
            .map(|_| ())
            .map_err(|e| SfnError::ResourceNotFound(e.message()));
    }
    machine(core, arn).map(|_| ()).map_err(not_found)
}

fn not_found(e: SfnError) -> SfnError {
    match e {
        SfnError::StateMachineDoesNotExist(m) => SfnError::ResourceNotFound(m),
        other => other,
    }
}
