//! Scan of a table or index, in key order (partition key, then sort key), resuming after
//! `ExclusiveStartKey`.

use std::ops::Bound;

use serde_json::Value;

use super::read::{self, start_key};
use super::{reject_legacy, table_name};
use crate::error::DynamoError;
use crate::expr::ExprContext;
use crate::table::PrimaryKey;
use crate::Dynamo;

pub fn run(d: &Dynamo, body: &Value) -> Result<Value, DynamoError> {
    let name = table_name(body)?;
    reject_legacy(
        body,
        &["ScanFilter", "AttributesToGet", "ConditionalOperator"],
    )?;
    if body.get("Segment").is_some_and(|v| !v.is_null())
        || body.get("TotalSegments").is_some_and(|v| !v.is_null())
    {
        return Err(DynamoError::validation(
            "Parallel scan (Segment/TotalSegments) is not supported by this local DynamoDB",
        ));
    }
    let ctx = ExprContext::from_request(body)?;
    let table = d.table(name)?;
    let t = table.read();
    let p = read::params(body, &t, &ctx)?;
    if p.filter.is_none() {
        if p.projection.is_none() {
            ctx.check_names_without_expressions()?;
        }
        ctx.check_values_without_expressions(&["FilterExpression"])?;
    }
    ctx.check_all_used()?;
    let index = p.index.map(|i| &t.def.indexes[i]);
    let start = start_key(body, &t, index)?;
    let keys: Box<dyn Iterator<Item = PrimaryKey> + '_> = match p.index {
        None => {
            let (first, rest_from) = match &start {
                Some(s) => {
                    let (h, r) = s.table.clone();
                    let head: Vec<PrimaryKey> = t
                        .items
                        .get(&h)
                        .map(|part| {
                            part.range((Bound::Excluded(r), Bound::Unbounded))
                                .map(|(k, _)| (h.clone(), k.clone()))
                                .collect()
                        })
                        .unwrap_or_default();
                    (head, Bound::Excluded(h))
                }
                None => (Vec::new(), Bound::Unbounded),
            };
            let tail = t
                .items
                .range((rest_from, Bound::Unbounded))
                .flat_map(|(h, part)| part.keys().map(move |r| (h.clone(), r.clone())));
            Box::new(first.into_iter().chain(tail))
        }
        Some(i) => {
            let data = &t.index_data[i];
            let (head, rest_from) = match &start {
                Some(s) => {
                    let (ih, ir) = s.index.clone().ok_or_else(|| {
                        DynamoError::validation(
                            "The provided starting key is invalid: The provided key element does not match the schema",
                        )
                    })?;
                    let mut head: Vec<PrimaryKey> = Vec::new();
                    if let Some(part) = data.get(&ih) {
                        if let Some(set) = part.get(&ir) {
                            head.extend(
                                set.range((Bound::Excluded(s.table.clone()), Bound::Unbounded))
                                    .cloned(),
                            );
                        }
                        for set in part
                            .range((Bound::Excluded(ir), Bound::Unbounded))
                            .map(|(_, s)| s)
                        {
                            head.extend(set.iter().cloned());
                        }
                    }
                    (head, Bound::Excluded(ih))
                }
                None => (Vec::new(), Bound::Unbounded),
            };
            let tail = data
                .range((rest_from, Bound::Unbounded))
                .flat_map(|(_, part)| part.values().flat_map(|set| set.iter().cloned()));
            Box::new(head.into_iter().chain(tail))
        }
    };
    let page = read::read_page(&t, &p, keys);
    Ok(read::page_json(page, p.select))
}
