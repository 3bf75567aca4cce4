//! DescribeTable.

use serde_json::{json, Value};

use super::table_name;
use crate::error::DynamoError;
use crate::Dynamo;

pub fn run(d: &Dynamo, body: &Value) -> Result<Value, DynamoError> {
    let name = table_name(body)?;
    let t = d.table(name)?;
    let t = t.read();
    Ok(json!({ "Table": t.describe(&d.region, &d.account) }))
}
