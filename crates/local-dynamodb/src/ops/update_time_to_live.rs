//! UpdateTimeToLive: turns TTL on (naming the attribute) or off. The change is active at
//! once; DynamoDB takes up to an hour, which no caller can rely on.

use serde_json::{json, Value};

use super::{null_member, table_name};
use crate::error::DynamoError;
use crate::expr::{opt_bool, opt_str, wrong_type};
use crate::persist::Record;
use crate::Dynamo;

pub fn run(d: &Dynamo, body: &Value) -> Result<Value, DynamoError> {
    let name = table_name(body)?;
    let spec = aws_json::member(body, "TimeToLiveSpecification")
        .ok_or_else(|| DynamoError::validation("TimeToLiveSpecification cannot be null"))?;
    if !spec.is_object() {
        return Err(wrong_type("TimeToLiveSpecification", "a structure"));
    }
    let enabled =
        opt_bool(spec, "Enabled")?.ok_or_else(|| null_member("timeToLiveSpecification.enabled"))?;
    let attribute = opt_str(spec, "AttributeName")?.ok_or_else(|| {
        DynamoError::validation("AttributeName cannot be null when time to live is being enabled")
    })?;
    if !(1..=255).contains(&attribute.len()) {
        return Err(DynamoError::validation(
            "Names of key attributes and attributes projected into an index must be between 1 and 255 characters, inclusive",
        ));
    }
    let table = d.table(name)?;
    let mut t = super::lock_live(&table)?;
    match (&t.def.ttl_attribute, enabled) {
        (Some(current), _) if current != attribute => {
            return Err(DynamoError::validation(
                "TimeToLive is active on a different AttributeName",
            ))
        }
        (Some(_), true) => return Err(DynamoError::validation("TimeToLive is already enabled")),
        (None, false) => return Err(DynamoError::validation("TimeToLive is already disabled")),
        _ => {}
    }
    let new = enabled.then(|| attribute.to_string());
    d.persist(Record::Ttl {
        table: name.to_string(),
        attribute: new.clone(),
    })?;
    t.def.ttl_attribute = new;
    Ok(json!({
        "TimeToLiveSpecification": {"Enabled": enabled, "AttributeName": attribute}
    }))
}
