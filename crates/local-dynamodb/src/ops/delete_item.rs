//! DeleteItem, optionally under a condition.

use serde_json::Value;

use super::{lock_live, reject_legacy, table_name, ConditionalWrite};
use crate::error::DynamoError;
use crate::Dynamo;

pub fn run(d: &Dynamo, body: &Value) -> Result<Value, DynamoError> {
    let name = table_name(body)?;
    reject_legacy(body, &["Expected", "ConditionalOperator"])?;
    let write = ConditionalWrite::parse(body)?;
    let table = d.table(name)?;
    let mut t = lock_live(&table)?;
    let key = t.def.key_from_param(body.get("Key"))?;
    write.check(t.get(&key))?;
    let old = d.delete_logged(&mut t, &key)?;
    Ok(write.reply(old))
}
