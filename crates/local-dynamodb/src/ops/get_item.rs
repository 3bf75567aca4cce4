//! GetItem.

use serde_json::{json, Value};

use super::{attributes_json, projection, reject_legacy, table_name};
use crate::error::DynamoError;
use crate::expr::{project, ExprContext, Path};
use crate::value::Item;
use crate::Dynamo;

pub fn run(d: &Dynamo, body: &Value) -> Result<Value, DynamoError> {
    let name = table_name(body)?;
    reject_legacy(body, &["AttributesToGet"])?;
    super::consistent_read(body)?;
    let proj = ItemProjection::parse(body)?;
    let table = d.table(name)?;
    let t = table.read();
    let key = t.def.key_from_param(body.get("Key"))?;
    Ok(match t.get(&key) {
        Some(item) => json!({ "Item": attributes_json(&proj.apply(item)) }),
        None => json!({}),
    })
}

/// The `ProjectionExpression` of a GetItem, or of one table of a BatchGetItem, with its
/// placeholders checked; none means whole items.
pub struct ItemProjection(Option<Vec<Path>>);

impl ItemProjection {
    pub fn parse(spec: &Value) -> Result<ItemProjection, DynamoError> {
        let ctx = ExprContext::from_request(spec)?;
        let proj = projection(spec, &ctx)?;
        if proj.is_none() {
            ctx.check_names_without_expressions()?;
        }
        ctx.check_all_used()?;
        Ok(ItemProjection(proj))
    }

    /// The part of `item` the request asked for.
    pub fn apply(&self, item: &Item) -> Item {
        match &self.0 {
            Some(paths) => project(item, paths),
            None => item.clone(),
        }
    }
}
