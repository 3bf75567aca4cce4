//! BatchGetItem: up to 100 keys over several tables. Nothing is ever left unprocessed.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use super::get_item::ItemProjection;
use super::{check_name, null_member, reject_legacy, request_items};
use crate::error::DynamoError;
use crate::value::{item_from_json, item_to_json};
use crate::Dynamo;

pub fn run(d: &Dynamo, body: &Value) -> Result<Value, DynamoError> {
    let req = request_items(body)?;
    if req.is_empty() {
        return Err(DynamoError::validation(
            "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ));
    }
    let total: usize = req
        .values()
        .map(|v| v.get("Keys").and_then(Value::as_array).map_or(0, Vec::len))
        .sum();
    if total > 100 {
        return Err(DynamoError::validation(
            "Too many items requested for the BatchGetItem call",
        ));
    }
    let mut responses = Map::new();
    for (name, spec) in req {
        check_name(name)?;
        reject_legacy(spec, &["AttributesToGet"])?;
        super::consistent_read(spec)?;
        let keys = spec
            .get("Keys")
            .and_then(Value::as_array)
            .ok_or_else(|| null_member("requestItems.member.keys"))?;
        if keys.is_empty() {
            return Err(DynamoError::validation(
                "1 validation error detected: Value '[]' at 'requestItems.member.keys' failed to satisfy constraint: Member must have length greater than or equal to 1",
            ));
        }
        let proj = ItemProjection::parse(spec)?;
        let table = d.table(name)?;
        let t = table.read();
        let mut seen = BTreeSet::new();
        let mut found = Vec::new();
        for k in keys {
            let key = t.def.key_from_item_exact(&item_from_json(k)?)?;
            if !seen.insert(key.clone()) {
                return Err(DynamoError::validation(
                    "Provided list of item keys contains duplicates",
                ));
            }
            if let Some(item) = t.get(&key) {
                found.push(Value::Object(item_to_json(&proj.apply(item))));
            }
        }
        responses.insert(name.clone(), Value::Array(found));
    }
    Ok(json!({ "Responses": responses, "UnprocessedKeys": {} }))
}
