//! Query on a table or a secondary index: one partition, a range of sort keys, in either
//! direction, resuming after `ExclusiveStartKey`. Costs O(log n + page).

use std::ops::Bound;

use aws_json::member;
use serde_json::Value;

use super::read::{self, max_lower, min_upper, nonempty, start_key, StartKey};
use super::{reject_legacy, table_name};
use crate::error::DynamoError;
use crate::expr::{opt_str, parse_condition, CmpOp, Cond, ExprContext, Operand, PathElem};
use crate::table::{KeySchema, PrimaryKey, Table};
use crate::value::KeyVal;
use crate::Dynamo;

/// The sort-key part of a key condition.
enum RangeCond {
    Cmp(CmpOp, KeyVal),
    Between(KeyVal, KeyVal),
    BeginsWith(KeyVal),
}

fn invalid_op(op: &str) -> DynamoError {
    DynamoError::validation(format!(
        "Invalid operator used in KeyConditionExpression: {op}"
    ))
}

fn flatten(c: Cond, out: &mut Vec<Cond>) -> Result<(), DynamoError> {
    match c {
        Cond::And(a, b) => {
            flatten(*a, out)?;
            flatten(*b, out)
        }
        Cond::Or(..) => Err(invalid_op("OR")),
        Cond::Not(..) => Err(invalid_op("NOT")),
        Cond::In(..) => Err(invalid_op("IN")),
        Cond::Exists(..) => Err(invalid_op("attribute_exists")),
        Cond::NotExists(..) => Err(invalid_op("attribute_not_exists")),
        Cond::Type(..) => Err(invalid_op("attribute_type")),
        Cond::Contains(..) => Err(invalid_op("contains")),
        Cond::Cmp(_, CmpOp::Ne, _) => Err(invalid_op("<>")),
        other => {
            out.push(other);
            Ok(())
        }
    }
}

fn attr_name(o: &Operand) -> Result<&str, DynamoError> {
    match o {
        Operand::Path(p) => match p.as_slice() {
            [PathElem::Attr(a)] => Ok(a),
            _ => Err(DynamoError::validation(
                "KeyConditionExpressions cannot contain nested attributes",
            )),
        },
        Operand::Size(_) => Err(invalid_op("size")),
        Operand::Value(_) => Err(DynamoError::validation(
            "Invalid KeyConditionExpression: The key condition must name a key attribute on the left-hand side",
        )),
    }
}

fn key_value(o: &Operand, expected: &str) -> Result<KeyVal, DynamoError> {
    let mismatch = || {
        DynamoError::validation(
            "One or more parameter values were invalid: Condition parameter type does not match schema type",
        )
    };
    match o {
        Operand::Value(v) => KeyVal::from_attr(v)
            .filter(|k| k.type_name() == expected)
            .ok_or_else(mismatch),
        _ => Err(DynamoError::validation(
            "Invalid KeyConditionExpression: The key condition must compare a key attribute with a value",
        )),
    }
}

fn analyse(
    cond: Cond,
    t: &Table,
    key: &KeySchema,
) -> Result<(KeyVal, Option<RangeCond>), DynamoError> {
    let mut parts = Vec::new();
    flatten(cond, &mut parts)?;
    let mut named: Vec<&str> = Vec::new();
    for part in &parts {
        if let Cond::Cmp(a, _, _) | Cond::Between(a, _, _) | Cond::BeginsWith(a, _) = part {
            let n = attr_name(a)?;
            if named.contains(&n) {
                return Err(DynamoError::validation(
                    "KeyConditionExpressions must only contain one condition per key",
                ));
            }
            named.push(n);
        }
    }
    if parts.len() > 2 {
        return Err(DynamoError::validation(
            "Conditions can be of length 1 or 2 only",
        ));
    }
    let mut hash = None;
    let mut range = None;
    for part in parts {
        let named = match &part {
            Cond::Cmp(a, _, _) | Cond::Between(a, _, _) | Cond::BeginsWith(a, _) => attr_name(a)?,
            _ => return Err(DynamoError::validation("Query key condition not supported")),
        };
        if named != key.hash && key.range.as_deref() != Some(named) {
            return Err(DynamoError::validation(
                "Query condition missed key schema element",
            ));
        }
        let (name, rc) = match &part {
            Cond::Cmp(a, op, b) => {
                let name = attr_name(a)?;
                let ty = t.def.attr_type(name).unwrap_or("S");
                (name.to_string(), RangeCond::Cmp(*op, key_value(b, ty)?))
            }
            Cond::Between(a, lo, hi) => {
                let name = attr_name(a)?;
                let ty = t.def.attr_type(name).unwrap_or("S");
                (
                    name.to_string(),
                    RangeCond::Between(key_value(lo, ty)?, key_value(hi, ty)?),
                )
            }
            Cond::BeginsWith(a, b) => {
                let name = attr_name(a)?;
                let ty = t.def.attr_type(name).unwrap_or("S");
                if ty == "N" {
                    return Err(DynamoError::validation(
                        "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N",
                    ));
                }
                (name.to_string(), RangeCond::BeginsWith(key_value(b, ty)?))
            }
            _ => return Err(DynamoError::validation("Query key condition not supported")),
        };
        if name == key.hash {
            if hash.is_some() {
                return Err(DynamoError::validation(
                    "KeyConditionExpressions must only contain one condition per key",
                ));
            }
            match rc {
                RangeCond::Cmp(CmpOp::Eq, v) => hash = Some(v),
                _ => return Err(DynamoError::validation("Query key condition not supported")),
            }
        } else if key.range.as_deref() == Some(name.as_str()) {
            if range.is_some() {
                return Err(DynamoError::validation(
                    "KeyConditionExpressions must only contain one condition per key",
                ));
            }
            range = Some(rc);
        } else {
            return Err(DynamoError::validation(
                "Query condition missed key schema element",
            ));
        }
    }
    let hash =
        hash.ok_or_else(|| DynamoError::validation("Query condition missed key schema element"))?;
    Ok((hash, range))
}

type Bounds = (Bound<Option<KeyVal>>, Bound<Option<KeyVal>>);

fn bounds(range: &Option<RangeCond>) -> Bounds {
    use Bound::*;
    let s = |k: &KeyVal| Some(k.clone());
    match range {
        None => (Unbounded, Unbounded),
        Some(RangeCond::Cmp(op, k)) => match op {
            CmpOp::Eq => (Included(s(k)), Included(s(k))),
            CmpOp::Lt => (Unbounded, Excluded(s(k))),
            CmpOp::Le => (Unbounded, Included(s(k))),
            CmpOp::Gt => (Excluded(s(k)), Unbounded),
            CmpOp::Ge => (Included(s(k)), Unbounded),
            CmpOp::Ne => (Unbounded, Unbounded),
        },
        Some(RangeCond::Between(a, b)) => (Included(s(a)), Included(s(b))),
        Some(RangeCond::BeginsWith(p)) => (Included(s(p)), prefix_upper(p)),
    }
}

/// An upper bound just above every key starting with `p`.
fn prefix_upper(p: &KeyVal) -> Bound<Option<KeyVal>> {
    match p {
        KeyVal::S(s) => {
            let mut upper = s.clone();
            upper.push_str(&"\u{10FFFF}".repeat(4));
            Bound::Included(Some(KeyVal::S(upper)))
        }
        KeyVal::B(b) => {
            let mut up = b.clone();
            while let Some(last) = up.pop() {
                if last < 0xFF {
                    up.push(last + 1);
                    return Bound::Excluded(Some(KeyVal::B(up)));
                }
            }
            Bound::Unbounded
        }
        KeyVal::N(_) => Bound::Unbounded,
    }
}

fn begins(k: &Option<KeyVal>, range: &Option<RangeCond>) -> bool {
    match (range, k) {
        (Some(RangeCond::BeginsWith(KeyVal::S(p))), Some(KeyVal::S(s))) => {
            s.starts_with(p.as_str())
        }
        (Some(RangeCond::BeginsWith(KeyVal::B(p))), Some(KeyVal::B(b))) => b.starts_with(p),
        (Some(RangeCond::BeginsWith(_)), _) => false,
        _ => true,
    }
}

pub fn run(d: &Dynamo, body: &Value) -> Result<Value, DynamoError> {
    let name = table_name(body)?;
    reject_legacy(
        body,
        &[
            "KeyConditions",
            "QueryFilter",
            "AttributesToGet",
            "ConditionalOperator",
        ],
    )?;
    let ctx = ExprContext::from_request(body)?;
    if member(body, "KeyConditionExpression").is_none()
        && member(body, "FilterExpression").is_none()
    {
        if member(body, "ProjectionExpression").is_none() {
            ctx.check_names_without_expressions()?;
        }
        ctx.check_values_without_expressions(&["FilterExpression", "KeyConditionExpression"])?;
    }
    let kce = opt_str(body, "KeyConditionExpression")?.ok_or_else(|| {
        DynamoError::validation(
            "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
        )
    })?;
    let cond = parse_condition(kce, &ctx, "KeyConditionExpression")?;
    let table = d.table(name)?;
    let t = table.read();
    let p = read::params(body, &t, &ctx)?;
    ctx.check_all_used()?;
    let forward = body
        .get("ScanIndexForward")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let index = p.index.map(|i| &t.def.indexes[i]);
    let key = index.map(|i| &i.key).unwrap_or(&t.def.key);
    let (hash, range) = analyse(cond, &t, key)?;
    let (mut lo, mut hi) = bounds(&range);
    let start: Option<StartKey> = start_key(body, &t, index)?;
    if let Some(f) = &p.filter {
        let mut paths = Vec::new();
        crate::expr::condition_paths(f, &mut paths);
        for path in paths {
            if let Some(PathElem::Attr(a)) = path.first() {
                if key.names().any(|k| k == a) {
                    return Err(DynamoError::validation(format!(
                        "Filter Expression can only contain non-primary key attributes: Primary key attribute: {a}"
                    )));
                }
            }
        }
    }
    let outside = || {
        DynamoError::validation("The provided starting key does not match the range key predicate")
    };

    let keys: Box<dyn Iterator<Item = PrimaryKey> + '_> = match p.index {
        None => {
            // Resume strictly after the start key's sort key, in the direction of travel.
            if let Some(s) = &start {
                if s.table.0 != hash {
                    return Err(outside());
                }
                let b = Bound::Excluded(s.table.1.clone());
                if forward {
                    lo = max_lower(lo, b);
                } else {
                    hi = min_upper(hi, b);
                }
            }
            match t.items.get(&hash) {
                Some(part) if nonempty(&lo, &hi) => {
                    let h = hash.clone();
                    let range_ref = &range;
                    let it = part
                        .range((lo, hi))
                        .filter(move |(k, _)| begins(k, range_ref))
                        .map(move |(k, _)| (h.clone(), k.clone()));
                    if forward {
                        Box::new(it)
                    } else {
                        Box::new(it.rev())
                    }
                }
                _ => Box::new(std::iter::empty()),
            }
        }
        Some(i) => match t.index_data[i].get(&hash) {
            None => Box::new(std::iter::empty()),
            Some(part) => {
                // First the rest of the start key's own sort-key group, then the groups after it.
                let mut head: Vec<PrimaryKey> = Vec::new();
                if let Some(s) = &start {
                    let (ih, ir) = s.index.clone().ok_or_else(read_bad)?;
                    if ih != hash {
                        return Err(outside());
                    }
                    if let Some(set) = part.get(&ir) {
                        if in_bounds(&ir, &lo, &hi) && begins(&ir, &range) {
                            let after = (Bound::Excluded(s.table.clone()), Bound::Unbounded);
                            let before = (Bound::Unbounded, Bound::Excluded(s.table.clone()));
                            head = if forward {
                                set.range(after).cloned().collect()
                            } else {
                                set.range(before).rev().cloned().collect()
                            };
                        }
                    }
                    let b = Bound::Excluded(ir);
                    if forward {
                        lo = max_lower(lo, b);
                    } else {
                        hi = min_upper(hi, b);
                    }
                }
                let tail: Box<dyn Iterator<Item = PrimaryKey> + '_> = if nonempty(&lo, &hi) {
                    let range_ref = &range;
                    let groups = part
                        .range((lo, hi))
                        .filter(move |(k, _)| begins(k, range_ref));
                    if forward {
                        Box::new(groups.flat_map(|(_, set)| set.iter().cloned()))
                    } else {
                        Box::new(groups.rev().flat_map(|(_, set)| set.iter().rev().cloned()))
                    }
                } else {
                    Box::new(std::iter::empty())
                };
                Box::new(head.into_iter().chain(tail))
            }
        },
    };
    let page = read::read_page(&t, &p, keys);
    Ok(read::page_json(page, p.select))
}

fn read_bad() -> DynamoError {
    DynamoError::validation(
        "The provided starting key is invalid: The provided key element does not match the schema",
    )
}

fn in_bounds(k: &Option<KeyVal>, lo: &Bound<Option<KeyVal>>, hi: &Bound<Option<KeyVal>>) -> bool {
    let above = match lo {
        Bound::Included(l) => k >= l,
        Bound::Excluded(l) => k > l,
        Bound::Unbounded => true,
    };
    let below = match hi {
        Bound::Included(h) => k <= h,
        Bound::Excluded(h) => k < h,
        Bound::Unbounded => true,
    };
    above && below
}
