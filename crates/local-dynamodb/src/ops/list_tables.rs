//! ListTables, in name order, paginated by `ExclusiveStartTableName`.

use std::ops::Bound;

use serde_json::{json, Value};

use super::opt_limit;
use crate::error::DynamoError;
use crate::expr::opt_str;
use crate::Dynamo;

pub fn run(d: &Dynamo, body: &Value) -> Result<Value, DynamoError> {
    let limit = opt_limit(body, "Limit")?.unwrap_or(100);
    if limit > 100 {
        return Err(DynamoError::validation(format!(
            "1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100"
        )));
    }
    let start = opt_str(body, "ExclusiveStartTableName")?;
    let tables = d.tables.read();
    let lower = match start {
        Some(s) => Bound::Excluded(s.to_string()),
        None => Bound::Unbounded,
    };
    let mut names = tables
        .range((lower, Bound::Unbounded))
        .map(|(k, _)| k.clone());
    let page: Vec<String> = names.by_ref().take(limit).collect();
    let mut out = json!({ "TableNames": page });
    if page.len() == limit && names.next().is_some() {
        out["LastEvaluatedTableName"] = json!(page.last());
    }
    Ok(out)
}
