//! DescribeTimeToLive.

use serde_json::{json, Value};

use super::table_name;
use crate::error::DynamoError;
use crate::Dynamo;

pub fn run(d: &Dynamo, body: &Value) -> Result<Value, DynamoError> {
    let name = table_name(body)?;
    let t = d.table(name)?;
    let t = t.read();
    Ok(match &t.def.ttl_attribute {
        Some(a) => {
            json!({"TimeToLiveDescription": {"TimeToLiveStatus": "ENABLED", "AttributeName": a}})
        }
        None => json!({"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}}),
    })
}
