//! UpdateItem: creates the item if missing (as DynamoDB does), applies the UpdateExpression
//! against the current item and returns what `ReturnValues` asks for.

use serde_json::{json, Value};

use super::{
    check_condition, condition, lock_live, reject_legacy, return_old_on_failure, return_values,
    table_name, with_attributes, ReturnValues,
};
use crate::error::DynamoError;
use crate::expr::{apply_update, opt_str, parse_update, project, ExprContext, Path, PathElem};
use crate::table::MAX_ITEM_SIZE;
use crate::value::item_size;
use crate::Dynamo;

pub fn run(d: &Dynamo, body: &Value) -> Result<Value, DynamoError> {
    let name = table_name(body)?;
    reject_legacy(
        body,
        &["Expected", "ConditionalOperator", "AttributeUpdates"],
    )?;
    let ctx = ExprContext::from_request(body)?;
    let update = opt_str(body, "UpdateExpression")?
        .map(|s| parse_update(s, &ctx))
        .transpose()?;
    let cond = condition(body, &ctx)?;
    match (&update, &cond) {
        (None, None) => {
            ctx.check_names_without_expressions()?;
            ctx.check_values_without_expressions(&["UpdateExpression", "ConditionExpression"])?;
        }
        _ => ctx.check_all_used()?,
    }
    let rv = return_values(body, true)?;
    let return_old = return_old_on_failure(body)?;
    let table = d.table(name)?;
    let mut t = lock_live(&table)?;
    let key = t.def.key_from_param(body.get("Key"))?;
    if let Some(u) = &update {
        for p in u.paths() {
            if let Some(PathElem::Attr(first)) = p.first() {
                if t.def.key.names().any(|k| k == first) {
                    return Err(DynamoError::validation(format!(
                        "One or more parameter values were invalid: Cannot update attribute {first}. This attribute is part of the key"
                    )));
                }
            }
        }
    }
    let old = t.get(&key).cloned();
    check_condition(cond.as_ref(), old.as_ref(), return_old)?;
    let base = old.clone().unwrap_or_else(|| t.def.key_item(&key));
    let new = match &update {
        Some(u) => apply_update(&base, u)?,
        None => base,
    };
    if item_size(&new) > MAX_ITEM_SIZE {
        return Err(DynamoError::validation(
            "Item size to update has exceeded the maximum allowed size",
        ));
    }
    t.validate_item(&new)?;
    d.put_logged(&mut t, key, new.clone())?;
    // Like DynamoDB Local, UPDATED_* return whole top-level attributes that the update touched.
    let mut paths: Vec<Path> = Vec::new();
    for p in update.as_ref().map(|u| u.paths()).unwrap_or_default() {
        let top: Path = p.iter().take(1).cloned().collect();
        if !paths.contains(&top) {
            paths.push(top);
        }
    }
    Ok(match rv {
        ReturnValues::None => json!({}),
        ReturnValues::AllOld => with_attributes(old),
        ReturnValues::AllNew => with_attributes(Some(new)),
        ReturnValues::UpdatedOld => with_attributes(old.map(|o| project(&o, &paths))),
        ReturnValues::UpdatedNew => with_attributes(Some(project(&new, &paths))),
    })
}
