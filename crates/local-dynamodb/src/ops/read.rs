//! What Query and Scan share: the read parameters, the start key, and the page loop
//! (Limit counts evaluated items, the filter runs after it, pages stop at 1 MB).

use std::ops::Bound;

use serde_json::{json, Map, Value};

use super::{opt_limit, projection};
use crate::error::DynamoError;
use crate::expr::{eval_condition, opt_str, parse_condition, project, Cond, ExprContext, Path};
use crate::table::{IndexDef, PrimaryKey, Table};
use crate::value::{item_from_json, item_size, item_to_json, Item, KeyVal};

/// DynamoDB stops a page once it has read 1 MB.
const PAGE_BYTES: usize = 1024 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Select {
    All,
    Projected,
    Specific,
    Count,
}

pub struct ReadParams {
    pub index: Option<usize>,
    pub limit: Option<usize>,
    pub filter: Option<Cond>,
    pub projection: Option<Vec<Path>>,
    pub select: Select,
}

/// Parses the parameters common to Query and Scan. The key condition (Query) must be parsed
/// with the same context before `ctx.check_all_used()`, so the caller does that.
pub fn params(body: &Value, t: &Table, ctx: &ExprContext) -> Result<ReadParams, DynamoError> {
    let consistent = super::consistent_read(body)?;
    let index = match opt_str(body, "IndexName")? {
        Some(name) => {
            super::check_name(name)?;
            let (i, def) = t.def.index(name).ok_or_else(|| {
                DynamoError::validation(format!(
                    "The table does not have the specified index: {name}"
                ))
            })?;
            if !def.local && consistent {
                return Err(DynamoError::validation(
                    "Consistent reads are not supported on global secondary indexes",
                ));
            }
            Some(i)
        }
        None => None,
    };
    let limit = opt_limit(body, "Limit")?;
    let filter = opt_str(body, "FilterExpression")?
        .map(|s| parse_condition(s, ctx, "FilterExpression"))
        .transpose()?;
    let projection = projection(body, ctx)?;
    let select = match opt_str(body, "Select")? {
        None => match (&projection, index) {
            (Some(_), _) => Select::Specific,
            (None, Some(_)) => Select::Projected,
            (None, None) => Select::All,
        },
        Some("ALL_ATTRIBUTES") => Select::All,
        Some("ALL_PROJECTED_ATTRIBUTES") => Select::Projected,
        Some("SPECIFIC_ATTRIBUTES") => Select::Specific,
        Some("COUNT") => Select::Count,
        Some(_) => {
            return Err(DynamoError::validation(
                "Select must be ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES, COUNT, or SPECIFIC_ATTRIBUTES",
            ))
        }
    };
    match (select, &projection) {
        (Select::Specific, None) => {
            return Err(DynamoError::validation(
                "Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES",
            ))
        }
        (Select::All | Select::Projected | Select::Count, Some(_)) => {
            return Err(DynamoError::validation(
                "One or more parameter values were invalid: Can only use ProjectionExpression with Select type SPECIFIC_ATTRIBUTES",
            ))
        }
        _ => {}
    }
    if select == Select::Projected && index.is_none() {
        return Err(DynamoError::validation(format!(
            "ALL_PROJECTED_ATTRIBUTES can be used only when {} using an IndexName",
            if body.get("KeyConditionExpression").is_some() {
                "Querying"
            } else {
                "Scanning"
            }
        )));
    }
    if let (Select::All, Some(i)) = (select, index) {
        let def = &t.def.indexes[i];
        if def.projection != crate::table::ProjectionKind::All {
            return Err(DynamoError::validation(format!(
                "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index {} because its projection type is not ALL",
                def.name
            )));
        }
    }
    Ok(ReadParams {
        index,
        limit,
        filter,
        projection,
        select,
    })
}

fn bad_start_key() -> DynamoError {
    DynamoError::validation(
        "The provided starting key is invalid: The provided key element does not match the schema",
    )
}

/// Where a page resumes: the table key of the last evaluated item, plus its index key for
/// index reads.
pub struct StartKey {
    pub table: PrimaryKey,
    pub index: Option<(KeyVal, Option<KeyVal>)>,
}

pub fn start_key(
    body: &Value,
    t: &Table,
    index: Option<&IndexDef>,
) -> Result<Option<StartKey>, DynamoError> {
    let Some(v) = aws_json::member(body, "ExclusiveStartKey") else {
        return Ok(None);
    };
    let item = item_from_json(v)?;
    let key_len = t.def.key.names().count();
    if index.is_none() && item.len() != key_len {
        return Err(DynamoError::validation(
            "Exclusive Start Key must have same size as table's key schema",
        ));
    }
    let mut table_part = Item::new();
    for n in t.def.key.names() {
        table_part.insert(n.clone(), item.get(n).cloned().ok_or_else(bad_start_key)?);
    }
    let table = t
        .def
        .key_from_item_exact(&table_part)
        .map_err(|_| bad_start_key())?;
    let index = match index {
        Some(idx) => {
            let expected = t
                .def
                .key
                .names()
                .chain(idx.key.names())
                .collect::<std::collections::BTreeSet<_>>();
            if item.len() != expected.len() || !item.keys().all(|k| expected.contains(k)) {
                return Err(bad_start_key());
            }
            Some(
                t.def
                    .index_key_of(idx, &item)
                    .map_err(|_| bad_start_key())?
                    .ok_or_else(bad_start_key)?,
            )
        }
        None => None,
    };
    Ok(Some(StartKey { table, index }))
}

/// The tighter of two lower bounds.
pub fn max_lower<T: Ord>(a: Bound<T>, b: Bound<T>) -> Bound<T> {
    use Bound::*;
    match (a, b) {
        (Unbounded, x) | (x, Unbounded) => x,
        (Included(x), Included(y)) => Included(x.max(y)),
        (Excluded(x), Excluded(y)) => Excluded(x.max(y)),
        (Included(x), Excluded(y)) | (Excluded(y), Included(x)) => {
            if x > y {
                Included(x)
            } else {
                Excluded(y)
            }
        }
    }
}

/// The tighter of two upper bounds.
pub fn min_upper<T: Ord>(a: Bound<T>, b: Bound<T>) -> Bound<T> {
    use Bound::*;
    match (a, b) {
        (Unbounded, x) | (x, Unbounded) => x,
        (Included(x), Included(y)) => Included(x.min(y)),
        (Excluded(x), Excluded(y)) => Excluded(x.min(y)),
        (Included(x), Excluded(y)) | (Excluded(y), Included(x)) => {
            if x < y {
                Included(x)
            } else {
                Excluded(y)
            }
        }
    }
}

/// `BTreeMap::range` panics on an empty or inverted range; this tells whether it is safe.
pub fn nonempty<T: Ord>(lo: &Bound<T>, hi: &Bound<T>) -> bool {
    use Bound::*;
    match (lo, hi) {
        (Unbounded, _) | (_, Unbounded) => true,
        (Included(a), Included(b)) => a <= b,
        (Included(a), Excluded(b)) | (Excluded(a), Included(b)) => a < b,
        (Excluded(a), Excluded(b)) => a < b,
    }
}

pub struct Page {
    pub items: Vec<Item>,
    pub count: usize,
    pub scanned: usize,
    pub last_key: Option<Item>,
}

/// Reads items in `keys` order until Limit or 1 MB, then filters and projects them.
pub fn read_page(t: &Table, p: &ReadParams, keys: impl Iterator<Item = PrimaryKey>) -> Page {
    let index = p.index.map(|i| &t.def.indexes[i]);
    let mut page = Page {
        items: Vec::new(),
        count: 0,
        scanned: 0,
        last_key: None,
    };
    let mut bytes = 0usize;
    for key in keys {
        let Some(stored) = t.get(&key) else { continue };
        let view = match index {
            Some(idx) => t.def.project_for_index(idx, stored),
            None => stored.clone(),
        };
        page.scanned += 1;
        bytes += item_size(&view);
        let stop = p.limit.is_some_and(|l| page.scanned >= l) || bytes >= PAGE_BYTES;
        if stop {
            let mut lk = t.def.key_item(&key);
            if let Some(idx) = index {
                for n in idx.key.names() {
                    if let Some(v) = stored.get(n) {
                        lk.insert(n.clone(), v.clone());
                    }
                }
            }
            page.last_key = Some(lk);
        }
        if p.filter.as_ref().is_none_or(|f| eval_condition(&view, f)) {
            page.count += 1;
            if p.select != Select::Count {
                page.items.push(match &p.projection {
                    Some(paths) => project(&view, paths),
                    None => view,
                });
            }
        }
        if stop {
            break;
        }
    }
    page
}

pub fn page_json(page: Page, select: Select) -> Value {
    let mut out = Map::new();
    if select != Select::Count {
        out.insert(
            "Items".into(),
            Value::Array(
                page.items
                    .iter()
                    .map(|i| Value::Object(item_to_json(i)))
                    .collect(),
            ),
        );
    }
    out.insert("Count".into(), json!(page.count));
    out.insert("ScannedCount".into(), json!(page.scanned));
    if let Some(k) = page.last_key {
        out.insert("LastEvaluatedKey".into(), Value::Object(item_to_json(&k)));
    }
    Value::Object(out)
}
