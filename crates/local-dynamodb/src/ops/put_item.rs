//! PutItem: replaces the whole item, optionally under a condition.

use serde_json::{json, Value};

use super::{
    check_condition, condition, reject_legacy, return_old_on_failure, return_values, table_name,
    with_attributes, ReturnValues,
};
use crate::error::DynamoError;
use crate::expr::ExprContext;
use crate::persist::Record;
use crate::value::{item_from_json, item_to_json};
use crate::Dynamo;

pub fn run(d: &Dynamo, body: &Value) -> Result<Value, DynamoError> {
    let name = table_name(body)?;
    reject_legacy(body, &["Expected", "ConditionalOperator"])?;
    let table = d.table(name)?;
    let item_json = body
        .get("Item")
        .filter(|v| !v.is_null())
        .ok_or_else(|| DynamoError::validation("Item to put in PutItem cannot be null"))?;
    let item = item_from_json(item_json)?;
    let ctx = ExprContext::from_request(body)?;
    let cond = condition(body, &ctx)?;
    if cond.is_none() {
        ctx.check_names_without_expressions()?;
        ctx.check_values_without_expressions(&["ConditionExpression"])?;
    }
    ctx.check_all_used()?;
    let rv = return_values(body, false)?;
    let return_old = return_old_on_failure(body)?;
    let mut t = table.write();
    if t.deleted {
        return Err(DynamoError::not_found());
    }
    let key = t.def.key_of_item(&item)?;
    t.validate_item(&item)?;
    check_condition(cond.as_ref(), t.get(&key), return_old)?;
    d.persist(Record::Put {
        table: name.to_string(),
        item: Value::Object(item_to_json(&item)),
    })?;
    let old = t.put(key, item);
    Ok(match rv {
        ReturnValues::AllOld => with_attributes(old),
        _ => json!({}),
    })
}
