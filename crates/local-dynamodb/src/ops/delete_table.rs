//! DeleteTable: returns the description as it was, with status DELETING as AWS does.

use serde_json::{json, Value};

use super::table_name;
use crate::error::DynamoError;
use crate::persist::Record;
use crate::Dynamo;

pub fn run(d: &Dynamo, body: &Value) -> Result<Value, DynamoError> {
    let name = table_name(body)?;
    let mut tables = d.tables.write();
    let table = tables
        .get(name)
        .cloned()
        .ok_or_else(DynamoError::not_found)?;
    let mut t = table.write();
    d.persist(Record::DeleteTable(name.to_string()))?;
    t.deleted = true;
    tables.remove(name);
    let desc = t.describe(&d.region, &d.account);
    Ok(json!({ "TableDescription": desc }))
}
