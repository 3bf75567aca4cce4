//! PutItem: replaces the whole item, optionally under a condition.

use serde_json::Value;

use super::{lock_live, reject_legacy, table_name, ConditionalWrite};
use crate::error::DynamoError;
use crate::value::item_from_json;
use crate::Dynamo;

pub fn run(d: &Dynamo, body: &Value) -> Result<Value, DynamoError> {
    let name = table_name(body)?;
    reject_legacy(body, &["Expected", "ConditionalOperator"])?;
    let table = d.table(name)?;
    let item_json = aws_json::member(body, "Item")
        .ok_or_else(|| DynamoError::validation("Item to put in PutItem cannot be null"))?;
    let item = item_from_json(item_json)?;
    let write = ConditionalWrite::parse(body)?;
    let mut t = lock_live(&table)?;
    let key = t.def.key_of_item(&item)?;
    t.validate_item(&item)?;
    write.check(t.get(&key))?;
    let old = d.put_logged(&mut t, key, item)?;
    Ok(write.reply(old))
}
