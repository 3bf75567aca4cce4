//! GetItem.

use serde_json::{json, Value};

use super::{attributes_json, projection, reject_legacy, table_name};
use crate::error::DynamoError;
use crate::expr::{project, ExprContext};
use crate::Dynamo;

pub fn run(d: &Dynamo, body: &Value) -> Result<Value, DynamoError> {
    let name = table_name(body)?;
    reject_legacy(body, &["AttributesToGet"])?;
    super::consistent_read(body)?;
    let ctx = ExprContext::from_request(body)?;
    let proj = projection(body, &ctx)?;
    if proj.is_none() {
        ctx.check_names_without_expressions()?;
    }
    ctx.check_all_used()?;
    let table = d.table(name)?;
    let t = table.read();
    let key = t.def.key_from_param(body.get("Key"))?;
    Ok(match t.get(&key) {
        Some(item) => {
            let item = match &proj {
                Some(p) => project(item, p),
                None => item.clone(),
            };
            json!({ "Item": attributes_json(&item) })
        }
        None => json!({}),
    })
}
