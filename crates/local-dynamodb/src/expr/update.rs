//! Applies an UpdateExpression. Every right-hand side is evaluated against the item as it was
//! before the update, so the order of actions inside the expression does not matter.

use super::{resolve, Path, PathElem, SetOperand, SetValue, Update};
use crate::error::DynamoError;
use crate::value::{AttrValue, Item};

fn missing() -> DynamoError {
    DynamoError::validation(
        "The provided expression refers to an attribute that does not exist in the item",
    )
}

fn bad_type() -> DynamoError {
    DynamoError::validation("An operand in the update expression has an incorrect data type")
}

fn bad_path() -> DynamoError {
    DynamoError::validation(
        "The document path provided in the update expression is invalid for update",
    )
}

fn operand(item: &Item, op: &SetOperand) -> Result<AttrValue, DynamoError> {
    match op {
        SetOperand::Value(v) => Ok(v.clone()),
        SetOperand::Path(p) => resolve(item, p).cloned().ok_or_else(missing),
        SetOperand::IfNotExists(p, default) => match resolve(item, p) {
            Some(v) => Ok(v.clone()),
            None => operand(item, default),
        },
        SetOperand::ListAppend(a, b) => match (operand(item, a)?, operand(item, b)?) {
            (AttrValue::L(mut x), AttrValue::L(y)) => {
                x.extend(y);
                Ok(AttrValue::L(x))
            }
            _ => Err(bad_type()),
        },
    }
}

fn set_value(item: &Item, v: &SetValue) -> Result<AttrValue, DynamoError> {
    match v {
        SetValue::One(o) => operand(item, o),
        SetValue::Plus(a, b) | SetValue::Minus(a, b) => {
            match (operand(item, a)?, operand(item, b)?) {
                (AttrValue::N(x), AttrValue::N(y)) => {
                    Ok(AttrValue::N(if matches!(v, SetValue::Plus(..)) {
                        x.add(&y)?
                    } else {
                        x.sub(&y)?
                    }))
                }
                _ => Err(bad_type()),
            }
        }
    }
}

/// The container holding the last path element, created on demand only at the top level.
fn parent_mut<'a>(
    item: &'a mut Item,
    path: &[PathElem],
) -> Result<Option<&'a mut AttrValue>, DynamoError> {
    let Some((PathElem::Attr(first), rest)) = path.split_first() else {
        return Err(bad_path());
    };
    if rest.is_empty() {
        return Ok(None);
    }
    let mut cur = item.get_mut(first).ok_or_else(bad_path)?;
    for elem in &rest[..rest.len() - 1] {
        cur = match (elem, cur) {
            (PathElem::Attr(a), AttrValue::M(m)) => m.get_mut(a).ok_or_else(bad_path)?,
            (PathElem::Index(i), AttrValue::L(l)) => l.get_mut(*i).ok_or_else(bad_path)?,
            _ => return Err(bad_path()),
        };
    }
    Ok(Some(cur))
}

fn put_path(item: &mut Item, path: &[PathElem], value: AttrValue) -> Result<(), DynamoError> {
    let last = path.last().ok_or_else(bad_path)?;
    match (parent_mut(item, path)?, last) {
        (None, PathElem::Attr(a)) => {
            item.insert(a.clone(), value);
        }
        (Some(AttrValue::M(m)), PathElem::Attr(a)) => {
            m.insert(a.clone(), value);
        }
        (Some(AttrValue::L(l)), PathElem::Index(i)) => {
            if *i < l.len() {
                l[*i] = value;
            } else {
                l.push(value);
            }
        }
        _ => return Err(bad_path()),
    }
    Ok(())
}

fn remove_path(item: &mut Item, path: &[PathElem]) -> Result<(), DynamoError> {
    let Some(last) = path.last() else {
        return Ok(());
    };
    let parent = match parent_mut(item, path) {
        Ok(p) => p,
        // Removing below a missing parent is a no-op, as in DynamoDB.
        Err(_) => return Ok(()),
    };
    match (parent, last) {
        (None, PathElem::Attr(a)) => {
            item.remove(a);
        }
        (Some(AttrValue::M(m)), PathElem::Attr(a)) => {
            m.remove(a);
        }
        (Some(AttrValue::L(l)), PathElem::Index(i)) if *i < l.len() => {
            l.remove(*i);
        }
        _ => {}
    }
    Ok(())
}

fn add_value(current: Option<&AttrValue>, v: &AttrValue) -> Result<AttrValue, DynamoError> {
    Ok(match (current, v) {
        (None, v) => v.clone(),
        (Some(AttrValue::N(a)), AttrValue::N(b)) => AttrValue::N(a.add(b)?),
        (Some(AttrValue::SS(a)), AttrValue::SS(b)) => AttrValue::SS(union(a, b)),
        (Some(AttrValue::NS(a)), AttrValue::NS(b)) => AttrValue::NS(union(a, b)),
        (Some(AttrValue::BS(a)), AttrValue::BS(b)) => AttrValue::BS(union(a, b)),
        _ => return Err(bad_type()),
    })
}

fn union<T: Clone + PartialEq>(a: &[T], b: &[T]) -> Vec<T> {
    let mut out = a.to_vec();
    for x in b {
        if !out.contains(x) {
            out.push(x.clone());
        }
    }
    out
}

/// `None` means the set became empty and the attribute disappears.
fn delete_value(current: &AttrValue, v: &AttrValue) -> Result<Option<AttrValue>, DynamoError> {
    fn minus<T: Clone + PartialEq>(a: &[T], b: &[T]) -> Vec<T> {
        a.iter().filter(|x| !b.contains(x)).cloned().collect()
    }
    let out = match (current, v) {
        (AttrValue::SS(a), AttrValue::SS(b)) => AttrValue::SS(minus(a, b)),
        (AttrValue::NS(a), AttrValue::NS(b)) => AttrValue::NS(minus(a, b)),
        (AttrValue::BS(a), AttrValue::BS(b)) => AttrValue::BS(minus(a, b)),
        _ => return Err(bad_type()),
    };
    let empty = match &out {
        AttrValue::SS(s) => s.is_empty(),
        AttrValue::NS(s) => s.is_empty(),
        AttrValue::BS(s) => s.is_empty(),
        _ => false,
    };
    Ok(if empty { None } else { Some(out) })
}

pub fn apply_update(old: &Item, update: &Update) -> Result<Item, DynamoError> {
    let mut item = old.clone();
    let mut sets: Vec<(&Path, AttrValue)> = Vec::new();
    for (p, v) in &update.set {
        sets.push((p, set_value(old, v)?));
    }
    for (p, v) in sets {
        put_path(&mut item, p, v)?;
    }
    // Remove higher list indexes first so that lower ones still name the original elements.
    let mut removes: Vec<&Path> = update.remove.iter().collect();
    removes.sort_by(|a, b| {
        b.len()
            .cmp(&a.len())
            .then_with(|| index_key(b).cmp(&index_key(a)))
    });
    for p in removes {
        remove_path(&mut item, p)?;
    }
    for (p, v) in &update.add {
        let new = add_value(resolve(old, p), v)?;
        put_path(&mut item, p, new)?;
    }
    for (p, v) in &update.delete {
        if let Some(cur) = resolve(old, p) {
            match delete_value(cur, v)? {
                Some(new) => put_path(&mut item, p, new)?,
                None => remove_path(&mut item, p)?,
            }
        }
    }
    Ok(item)
}

fn index_key(p: &Path) -> Option<usize> {
    match p.last() {
        Some(PathElem::Index(i)) => Some(*i),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{parse_update, ExprContext};
    use super::*;
    use crate::value::{item_from_json, item_to_json};
    use serde_json::{json, Value};

    fn run(item: Value, expr: &str, values: Value) -> Result<Value, DynamoError> {
        let item = item_from_json(&item).unwrap();
        let ctx =
            ExprContext::from_request(&json!({ "ExpressionAttributeValues": values })).unwrap();
        let u = parse_update(expr, &ctx)?;
        apply_update(&item, &u).map(|i| Value::Object(item_to_json(&i)))
    }

    #[test]
    fn set_arithmetic_and_functions() {
        let out = run(
            json!({"n": {"N": "1"}, "l": {"L": [{"S": "a"}]}}),
            "SET n = n + :one, m = if_not_exists(m, :zero) - :one, l = list_append(l, :l)",
            json!({":one": {"N": "1"}, ":zero": {"N": "0"}, ":l": {"L": [{"S": "b"}]}}),
        )
        .unwrap();
        assert_eq!(out["n"], json!({"N": "2"}));
        assert_eq!(out["m"], json!({"N": "-1"}));
        assert_eq!(out["l"], json!({"L": [{"S": "a"}, {"S": "b"}]}));
    }

    #[test]
    fn nested_set_and_remove() {
        let out = run(
            json!({"m": {"M": {"a": {"S": "x"}}}, "l": {"L": [{"N": "0"}, {"N": "1"}, {"N": "2"}]}}),
            "SET m.b = :v, l[10] = :v REMOVE l[0], l[1]",
            json!({":v": {"S": "v"}}),
        )
        .unwrap();
        assert_eq!(out["m"], json!({"M": {"a": {"S": "x"}, "b": {"S": "v"}}}));
        assert_eq!(out["l"], json!({"L": [{"N": "2"}, {"S": "v"}]}));
        let err = run(json!({}), "SET m.b = :v", json!({":v": {"S": "v"}})).unwrap_err();
        assert!(err.message().contains("document path provided"));
    }

    #[test]
    fn add_and_delete_on_sets() {
        let out = run(
            json!({"s": {"SS": ["a", "b"]}, "n": {"N": "5"}, "gone": {"SS": ["x"]}}),
            "ADD s :c, n :n, fresh :n DELETE gone :x",
            json!({":c": {"SS": ["b", "c"]}, ":n": {"N": "2.5"}, ":x": {"SS": ["x"]}}),
        )
        .unwrap();
        assert_eq!(out["s"], json!({"SS": ["a", "b", "c"]}));
        assert_eq!(out["n"], json!({"N": "7.5"}));
        assert_eq!(out["fresh"], json!({"N": "2.5"}));
        assert!(out.get("gone").is_none());
    }

    #[test]
    fn type_errors() {
        let e = run(
            json!({"s": {"S": "x"}}),
            "SET s = s + :n",
            json!({":n": {"N": "1"}}),
        )
        .unwrap_err();
        assert_eq!(
            e.message(),
            "An operand in the update expression has an incorrect data type"
        );
        let e = run(json!({}), "SET a = b", json!({":n": {"N": "1"}})).unwrap_err();
        assert!(e.message().contains("does not exist"));
    }
}
