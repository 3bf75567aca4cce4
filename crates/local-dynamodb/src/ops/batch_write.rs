//! BatchWriteItem: up to 25 puts/deletes over several tables, each applied like PutItem /
//! DeleteItem without conditions. Nothing is ever left unprocessed.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::{check_name, lock_live, null_member, request_items};
use crate::error::DynamoError;
use crate::table::PrimaryKey;
use crate::value::{item_from_json, Item};
use crate::Dynamo;

enum Write {
    Put(PrimaryKey, Item),
    Delete(PrimaryKey),
}

pub fn run(d: &Dynamo, body: &Value) -> Result<Value, DynamoError> {
    let req = request_items(body)?;
    let total: usize = req.values().map(|v| v.as_array().map_or(0, Vec::len)).sum();
    if req.is_empty() {
        return Err(DynamoError::validation(
            "BatchWriteItem cannot have a null or no requests set",
        ));
    }
    if total > 25 {
        return Err(DynamoError::validation(
            "Too many items requested for the BatchWriteItem call",
        ));
    }
    // Validate everything first so that a bad request changes nothing.
    let mut plan = Vec::new();
    for (name, list) in req {
        check_name(name)?;
        let list = list.as_array().ok_or_else(|| {
            DynamoError::Serialization("RequestItems values must be lists".into())
        })?;
        if list.is_empty() {
            return Err(DynamoError::validation(
                "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length greater than or equal to 1]",
            ));
        }
        let table = d.table(name)?;
        let t = table.read();
        let mut seen = BTreeSet::new();
        let mut writes = Vec::new();
        for w in list {
            let put = aws_json::member(w, "PutRequest");
            let del = aws_json::member(w, "DeleteRequest");
            let write = match (put, del) {
                (Some(p), None) => {
                    let item = item_from_json(p.get("Item").ok_or_else(|| null_member("item"))?)?;
                    let key = t.def.key_of_item(&item)?;
                    t.validate_item(&item)?;
                    Write::Put(key, item)
                }
                (None, Some(dr)) => Write::Delete(t.def.key_from_param(dr.get("Key"))?),
                _ => {
                    return Err(DynamoError::validation(
                        "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
                    ))
                }
            };
            let key = match &write {
                Write::Put(k, _) | Write::Delete(k) => k.clone(),
            };
            if !seen.insert(key) {
                return Err(DynamoError::validation(
                    "Provided list of item keys contains duplicates",
                ));
            }
            writes.push(write);
        }
        drop(t);
        plan.push((table, writes));
    }
    for (table, writes) in plan {
        let mut t = lock_live(&table)?;
        for w in writes {
            match w {
                Write::Put(key, item) => d.put_logged(&mut t, key, item)?,
                Write::Delete(key) => d.delete_logged(&mut t, &key)?,
            };
        }
    }
    Ok(json!({ "UnprocessedItems": {} }))
}
