//! One file per operation; this module holds the dispatch and the request helpers they share.

pub mod batch_get;
pub mod batch_write;
pub mod create_table;
pub mod delete_item;
pub mod delete_table;
pub mod describe_table;
pub mod describe_time_to_live;
pub mod get_item;
pub mod list_tables;
pub mod put_item;
pub mod query;
mod read;
pub mod scan;
pub mod update_item;
pub mod update_time_to_live;

use aws_json::member;
use parking_lot::{RwLock, RwLockWriteGuard};
use serde_json::{json, Map, Value};

use crate::error::DynamoError;
use crate::expr::{self, eval_condition, opt_str, parse_condition, wrong_type, ExprContext, Path};
use crate::table::Table;
use crate::value::{item_to_json, Item};
use crate::Dynamo;

pub fn dispatch(d: &Dynamo, op: &str, body: &Value) -> Result<Value, DynamoError> {
    match op {
        "CreateTable" => create_table::run(d, body),
        "DescribeTable" => describe_table::run(d, body),
        "ListTables" => list_tables::run(d, body),
        "DeleteTable" => delete_table::run(d, body),
        "PutItem" => put_item::run(d, body),
        "GetItem" => get_item::run(d, body),
        "UpdateItem" => update_item::run(d, body),
        "DeleteItem" => delete_item::run(d, body),
        "Query" => query::run(d, body),
        "Scan" => scan::run(d, body),
        "BatchWriteItem" => batch_write::run(d, body),
        "BatchGetItem" => batch_get::run(d, body),
        "UpdateTimeToLive" => update_time_to_live::run(d, body),
        "DescribeTimeToLive" => describe_time_to_live::run(d, body),
        _ => Err(DynamoError::UnknownOperation),
    }
}

/// Validates a table or index name the way DynamoDB does.
pub fn check_name(name: &str) -> Result<(), DynamoError> {
    let ok = (3..=255).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(DynamoError::validation(
            "Invalid table/index name.  Table/index names must be between 3 and 255 characters long, and may contain only the characters a-z, A-Z, 0-9, '_', '-', and '.'",
        ))
    }
}

pub fn null_member(field: &str) -> DynamoError {
    DynamoError::validation(format!(
        "Value null at '{field}' failed to satisfy constraint: Member must not be null"
    ))
}

pub fn table_name(body: &Value) -> Result<&str, DynamoError> {
    let name = opt_str(body, "TableName")?.ok_or_else(|| null_member("tableName"))?;
    check_name(name)?;
    Ok(name)
}

/// The table locked for a write; a table deleted after its lookup is not found.
pub fn lock_live(table: &RwLock<Table>) -> Result<RwLockWriteGuard<'_, Table>, DynamoError> {
    let t = table.write();
    if t.deleted {
        return Err(DynamoError::not_found());
    }
    Ok(t)
}

/// `RequestItems` of a batch: table name -> that table's requests.
pub fn request_items(body: &Value) -> Result<&Map<String, Value>, DynamoError> {
    member(body, "RequestItems")
        .ok_or_else(|| null_member("requestItems"))?
        .as_object()
        .ok_or_else(|| DynamoError::Serialization("RequestItems must be a map".into()))
}

/// `ConsistentRead`: absent, null or a boolean.
pub fn consistent_read(body: &Value) -> Result<bool, DynamoError> {
    match member(body, "ConsistentRead") {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(DynamoError::validation(format!(
            "1 validation error detected: Value '{other}' at 'consistentRead' failed to satisfy constraint: Member must be a boolean"
        ))),
    }
}

/// Pre-expression parameters are not implemented; refusing them beats silently ignoring them.
pub fn reject_legacy(body: &Value, fields: &[&str]) -> Result<(), DynamoError> {
    for f in fields {
        if member(body, f).is_some() {
            return Err(DynamoError::validation(format!(
                "The legacy parameter {f} is not supported by this local DynamoDB; use expressions instead"
            )));
        }
    }
    Ok(())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReturnValues {
    None,
    AllOld,
    UpdatedOld,
    AllNew,
    UpdatedNew,
}

pub fn return_values(body: &Value, allowed_all: bool) -> Result<ReturnValues, DynamoError> {
    let rv = match opt_str(body, "ReturnValues")? {
        None | Some("NONE") => ReturnValues::None,
        Some("ALL_OLD") => ReturnValues::AllOld,
        Some("UPDATED_OLD") => ReturnValues::UpdatedOld,
        Some("ALL_NEW") => ReturnValues::AllNew,
        Some("UPDATED_NEW") => ReturnValues::UpdatedNew,
        Some(_) => {
            return Err(DynamoError::validation(
                "Return values set to invalid value",
            ))
        }
    };
    if !allowed_all && !matches!(rv, ReturnValues::None | ReturnValues::AllOld) {
        return Err(DynamoError::validation(
            "Return values set to invalid value",
        ));
    }
    Ok(rv)
}

/// Whether a failed condition should return the old item.
pub fn return_old_on_failure(body: &Value) -> Result<bool, DynamoError> {
    match opt_str(body, "ReturnValuesOnConditionCheckFailure")? {
        None | Some("NONE") => Ok(false),
        Some("ALL_OLD") => Ok(true),
        Some(other) => Err(DynamoError::validation(format!(
            "1 validation error detected: Value '{other}' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]"
        ))),
    }
}

/// What PutItem and DeleteItem read besides the item or key: the condition and what to return.
pub struct ConditionalWrite {
    pub condition: Option<expr::Cond>,
    pub return_values: ReturnValues,
    /// Whether a failed condition returns the old item.
    pub return_old_on_failure: bool,
}

impl ConditionalWrite {
    pub fn parse(body: &Value) -> Result<ConditionalWrite, DynamoError> {
        let ctx = ExprContext::from_request(body)?;
        let cond = condition(body, &ctx)?;
        if cond.is_none() {
            ctx.check_names_without_expressions()?;
            ctx.check_values_without_expressions(&["ConditionExpression"])?;
        }
        ctx.check_all_used()?;
        Ok(ConditionalWrite {
            condition: cond,
            return_values: return_values(body, false)?,
            return_old_on_failure: return_old_on_failure(body)?,
        })
    }

    /// Checks the condition against the item the write replaces (or removes).
    pub fn check(&self, old: Option<&Item>) -> Result<(), DynamoError> {
        check_condition(self.condition.as_ref(), old, self.return_old_on_failure)
    }

    /// The reply: the old item when `ReturnValues` is `ALL_OLD`.
    pub fn reply(&self, old: Option<Item>) -> Value {
        match self.return_values {
            ReturnValues::AllOld => with_attributes(old),
            _ => json!({}),
        }
    }
}

/// Parses the optional ConditionExpression of a write.
pub fn condition(body: &Value, ctx: &ExprContext) -> Result<Option<expr::Cond>, DynamoError> {
    opt_str(body, "ConditionExpression")?
        .map(|s| parse_condition(s, ctx, "ConditionExpression"))
        .transpose()
}

/// Evaluates a write's condition against the current item (absent item = empty item).
pub fn check_condition(
    cond: Option<&expr::Cond>,
    old: Option<&Item>,
    return_old: bool,
) -> Result<(), DynamoError> {
    let Some(cond) = cond else { return Ok(()) };
    let empty = Item::new();
    if eval_condition(old.unwrap_or(&empty), cond) {
        Ok(())
    } else {
        Err(DynamoError::ConditionalCheckFailed(
            old.filter(|_| return_old).map(item_to_json),
        ))
    }
}

pub fn projection(body: &Value, ctx: &ExprContext) -> Result<Option<Vec<Path>>, DynamoError> {
    opt_str(body, "ProjectionExpression")?
        .map(|s| expr::parse_projection(s, ctx))
        .transpose()
}

pub fn attributes_json(item: &Item) -> Value {
    Value::Object(item_to_json(item))
}

pub fn with_attributes(item: Option<Item>) -> Value {
    let mut out = Map::new();
    if let Some(i) = item.filter(|i| !i.is_empty()) {
        out.insert("Attributes".into(), attributes_json(&i));
    }
    Value::Object(out)
}

/// Reads an optional positive integer field such as `Limit`.
pub fn opt_limit(body: &Value, field: &str) -> Result<Option<usize>, DynamoError> {
    match member(body, field) {
        None => Ok(None),
        Some(v) => {
            let n = v.as_i64().ok_or_else(|| wrong_type(field, "a number"))?;
            if n < 1 {
                return Err(DynamoError::validation(format!(
                    "{field} must be greater than or equal to 1"
                )));
            }
            Ok(Some(n as usize))
        }
    }
}
