//! Evaluates conditions against an item. A missing attribute makes a comparison false
//! (except `<>`, which is the negation of `=`), as in DynamoDB.

use std::borrow::Cow;
use std::cmp::Ordering;

use super::{CmpOp, Cond, Operand, PathElem};
use crate::number::Number;
use crate::value::{AttrValue, Item};

pub fn resolve<'a>(item: &'a Item, path: &[PathElem]) -> Option<&'a AttrValue> {
    let (first, rest) = path.split_first()?;
    let mut cur = match first {
        PathElem::Attr(a) => item.get(a)?,
        PathElem::Index(_) => return None,
    };
    for elem in rest {
        cur = match (elem, cur) {
            (PathElem::Attr(a), AttrValue::M(m)) => m.get(a)?,
            (PathElem::Index(i), AttrValue::L(l)) => l.get(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn operand<'a>(item: &'a Item, op: &'a Operand) -> Option<Cow<'a, AttrValue>> {
    match op {
        Operand::Path(p) => resolve(item, p).map(Cow::Borrowed),
        Operand::Value(v) => Some(Cow::Borrowed(v)),
        Operand::Size(p) => {
            let n = match resolve(item, p)? {
                AttrValue::S(s) => s.chars().count(),
                AttrValue::B(b) => b.len(),
                AttrValue::SS(s) => s.len(),
                AttrValue::NS(s) => s.len(),
                AttrValue::BS(s) => s.len(),
                AttrValue::L(l) => l.len(),
                AttrValue::M(m) => m.len(),
                _ => return None,
            };
            Number::parse(&n.to_string())
                .ok()
                .map(|n| Cow::Owned(AttrValue::N(n)))
        }
    }
}

pub fn eval_condition(item: &Item, cond: &Cond) -> bool {
    match cond {
        Cond::Or(a, b) => eval_condition(item, a) || eval_condition(item, b),
        Cond::And(a, b) => eval_condition(item, a) && eval_condition(item, b),
        Cond::Not(a) => !eval_condition(item, a),
        Cond::Cmp(a, op, b) => {
            let (va, vb) = (operand(item, a), operand(item, b));
            match op {
                CmpOp::Eq => matches!((&va, &vb), (Some(x), Some(y)) if x.same(y)),
                CmpOp::Ne => !matches!((&va, &vb), (Some(x), Some(y)) if x.same(y)),
                _ => {
                    let ord = match (&va, &vb) {
                        (Some(x), Some(y)) => x.compare(y),
                        _ => None,
                    };
                    match ord {
                        None => false,
                        Some(o) => match op {
                            CmpOp::Lt => o == Ordering::Less,
                            CmpOp::Le => o != Ordering::Greater,
                            CmpOp::Gt => o == Ordering::Greater,
                            _ => o != Ordering::Less,
                        },
                    }
                }
            }
        }
        Cond::Between(a, lo, hi) => {
            match (operand(item, a), operand(item, lo), operand(item, hi)) {
                (Some(v), Some(l), Some(h)) => {
                    matches!(v.compare(&l), Some(Ordering::Greater | Ordering::Equal))
                        && matches!(v.compare(&h), Some(Ordering::Less | Ordering::Equal))
                }
                _ => false,
            }
        }
        Cond::In(a, list) => match operand(item, a) {
            Some(v) => list
                .iter()
                .any(|o| operand(item, o).is_some_and(|w| v.same(&w))),
            None => false,
        },
        Cond::Exists(p) => resolve(item, p).is_some(),
        Cond::NotExists(p) => resolve(item, p).is_none(),
        Cond::Type(p, t) => match (resolve(item, p), operand(item, t)) {
            (Some(v), Some(t)) => matches!(t.as_ref(), AttrValue::S(s) if s == v.type_name()),
            _ => false,
        },
        Cond::BeginsWith(a, b) => match (operand(item, a), operand(item, b)) {
            (Some(x), Some(y)) => match (x.as_ref(), y.as_ref()) {
                (AttrValue::S(s), AttrValue::S(p)) => s.starts_with(p.as_str()),
                (AttrValue::B(s), AttrValue::B(p)) => s.starts_with(p),
                _ => false,
            },
            _ => false,
        },
        Cond::Contains(a, b) => match (operand(item, a), operand(item, b)) {
            (Some(x), Some(y)) => contains(&x, &y),
            _ => false,
        },
    }
}

fn contains(haystack: &AttrValue, needle: &AttrValue) -> bool {
    match (haystack, needle) {
        (AttrValue::S(s), AttrValue::S(n)) => s.contains(n.as_str()),
        (AttrValue::B(s), AttrValue::B(n)) => {
            n.is_empty() || s.windows(n.len()).any(|w| w == n.as_slice())
        }
        (AttrValue::SS(s), AttrValue::S(n)) => s.contains(n),
        (AttrValue::NS(s), AttrValue::N(n)) => s.contains(n),
        (AttrValue::BS(s), AttrValue::B(n)) => s.contains(n),
        (AttrValue::L(l), v) => l.iter().any(|e| e.same(v)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{parse_condition, ExprContext};
    use super::*;
    use crate::value::item_from_json;
    use serde_json::json;

    fn check(expr: &str, values: serde_json::Value) -> bool {
        let item = item_from_json(&json!({
            "s": {"S": "hello"}, "n": {"N": "10"}, "l": {"L": [{"S": "x"}, {"N": "2"}]},
            "m": {"M": {"inr": {"M": {"deep": {"N": "7"}}}}}, "ss": {"SS": ["a", "b"]},
            "b": {"B": "AAEC"}
        }))
        .unwrap();
        let ctx =
            ExprContext::from_request(&json!({ "ExpressionAttributeValues": values })).unwrap();
        let c = parse_condition(expr, &ctx, "ConditionExpression").unwrap();
        eval_condition(&item, &c)
    }

    #[test]
    fn comparisons_are_typed() {
        assert!(check("n > :v", json!({":v": {"N": "9.5"}})));
        assert!(!check("n > :v", json!({":v": {"S": "9"}})));
        assert!(check("n <> :v", json!({":v": {"S": "10"}})));
        assert!(check("nosuch <> :v", json!({":v": {"S": "10"}})));
        assert!(!check("nosuch = :v", json!({":v": {"S": "10"}})));
        assert!(!check("nosuch < :v", json!({":v": {"S": "10"}})));
        assert!(check(
            "s BETWEEN :a AND :b",
            json!({":a": {"S": "h"}, ":b": {"S": "i"}})
        ));
        assert!(check(
            "n IN (:a, :b)",
            json!({":a": {"S": "h"}, ":b": {"N": "1e1"}})
        ));
    }

    #[test]
    fn functions() {
        assert!(check("begins_with(s, :p)", json!({":p": {"S": "he"}})));
        assert!(check("contains(ss, :p)", json!({":p": {"S": "b"}})));
        assert!(check("contains(l, :p)", json!({":p": {"N": "2.0"}})));
        assert!(check("contains(s, :p)", json!({":p": {"S": "ell"}})));
        assert!(check("size(l) = :p", json!({":p": {"N": "2"}})));
        assert!(check("size(b) = :p", json!({":p": {"N": "3"}})));
        assert!(check("attribute_type(m, :t)", json!({":t": {"S": "M"}})));
        assert!(check(
            "m.inr.deep = :p AND l[0] = :x",
            json!({":p": {"N": "7"}, ":x": {"S": "x"}})
        ));
        assert!(check(
            "attribute_exists(m.inr) AND attribute_not_exists(l[5]) OR n = :p",
            json!({":p": {"N": "0"}})
        ));
        assert!(check("NOT (n = :p OR s = :p)", json!({":p": {"N": "0"}})));
    }
}
