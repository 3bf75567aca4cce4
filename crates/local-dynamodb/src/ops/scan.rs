//! Scan of a table or index, in key order (partition key, then sort key), resuming after
//! `ExclusiveStartKey`.

use std::ops::Bound;

use serde_json::Value;

use super::read::{self, start_key};
use super::{reject_legacy, table_name};
use crate::error::DynamoError;
use crate::expr::ExprContext;
use crate::table::PrimaryKey;
use crate::value::KeyVal;
use crate::Dynamo;

pub fn run(d: &Dynamo, body: &Value) -> Result<Value, DynamoError> {
    let name = table_name(body)?;
    reject_legacy(
        body,
        &["ScanFilter", "AttributesToGet", "ConditionalOperator"],
    )?;
    let segment = segment(body)?;
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
    let keys: Box<dyn Iterator<Item = PrimaryKey> + '_> = match segment {
        Some((seg, total)) => Box::new(keys.filter(move |k| segment_of(&k.0, total) == seg)),
        None => keys,
    };
    let page = read::read_page(&t, &p, keys);
    Ok(read::page_json(page, p.select))
}

/// `(Segment, TotalSegments)` of a parallel scan.
fn segment(body: &Value) -> Result<Option<(u64, u64)>, DynamoError> {
    let get = |f: &str| aws_json::member(body, f);
    match (get("Segment"), get("TotalSegments")) {
        (None, None) => Ok(None),
        (Some(s), Some(t)) => {
            let (s, t) = match (s.as_u64(), t.as_u64()) {
                (Some(s), Some(t)) => (s, t),
                _ => {
                    return Err(DynamoError::Serialization(
                        "Segment and TotalSegments must be numbers".into(),
                    ))
                }
            };
            if !(1..=1_000_000).contains(&t) {
                return Err(DynamoError::validation(format!(
                    "1 validation error detected: Value '{t}' at 'totalSegments' failed to satisfy constraint: Member must have value between 1 and 1000000"
                )));
            }
            if s >= t {
                return Err(DynamoError::validation(format!(
                    "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: {s} is not less than TotalSegments: {t}"
                )));
            }
            Ok(Some((s, t)))
        }
        (Some(_), None) => Err(DynamoError::validation(
            "The TotalSegments parameter is required but was not present in the request when Segment parameter is present",
        )),
        (None, Some(_)) => Err(DynamoError::validation(
            "The Segment parameter is required but was not present in the request when parameter TotalSegments is present",
        )),
    }
}

/// Partitions are spread over segments by a stable hash (FNV-1a) of their key.
fn segment_of(k: &KeyVal, total: u64) -> u64 {
    let bytes: Vec<u8> = match k {
        KeyVal::S(s) => s.as_bytes().to_vec(),
        KeyVal::N(n) => n.to_string().into_bytes(),
        KeyVal::B(b) => b.clone(),
    };
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    h % total
}
