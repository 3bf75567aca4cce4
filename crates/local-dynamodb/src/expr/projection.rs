//! ProjectionExpression: keeps only the named document paths; selected list elements are
//! returned in index order, compacted, as DynamoDB does.

use std::collections::BTreeMap;

use super::{resolve, Path, PathElem};
use crate::value::{AttrValue, Item};

enum Node {
    Leaf(AttrValue),
    Map(BTreeMap<String, Node>),
    List(BTreeMap<usize, Node>),
}

impl Node {
    fn into_value(self) -> AttrValue {
        match self {
            Node::Leaf(v) => v,
            Node::Map(m) => AttrValue::M(m.into_iter().map(|(k, n)| (k, n.into_value())).collect()),
            Node::List(l) => AttrValue::L(l.into_values().map(Node::into_value).collect()),
        }
    }
}

fn insert(map: &mut BTreeMap<String, Node>, path: &[PathElem], value: AttrValue) {
    let Some((PathElem::Attr(first), rest)) = path.split_first() else {
        return;
    };
    if rest.is_empty() {
        map.insert(first.clone(), Node::Leaf(value));
        return;
    }
    let child = map.entry(first.clone()).or_insert_with(|| match rest[0] {
        PathElem::Attr(_) => Node::Map(BTreeMap::new()),
        PathElem::Index(_) => Node::List(BTreeMap::new()),
    });
    insert_node(child, rest, value);
}

fn insert_node(node: &mut Node, path: &[PathElem], value: AttrValue) {
    match (node, path.first()) {
        (Node::Map(m), Some(PathElem::Attr(_))) => insert(m, path, value),
        (Node::List(l), Some(PathElem::Index(i))) => {
            let rest = &path[1..];
            if rest.is_empty() {
                l.insert(*i, Node::Leaf(value));
                return;
            }
            let child = l.entry(*i).or_insert_with(|| match rest[0] {
                PathElem::Attr(_) => Node::Map(BTreeMap::new()),
                PathElem::Index(_) => Node::List(BTreeMap::new()),
            });
            insert_node(child, rest, value);
        }
        _ => {}
    }
}

pub fn project(item: &Item, paths: &[Path]) -> Item {
    let mut out: BTreeMap<String, Node> = BTreeMap::new();
    for p in paths {
        if let Some(v) = resolve(item, p) {
            insert(&mut out, p, v.clone());
        }
    }
    out.into_iter().map(|(k, n)| (k, n.into_value())).collect()
}

#[cfg(test)]
mod tests {
    use super::super::{parse_projection, ExprContext};
    use super::*;
    use crate::value::{item_from_json, item_to_json};
    use serde_json::json;

    #[test]
    fn nested_paths_and_list_elements() {
        let item = item_from_json(&json!({
            "a": {"M": {"b": {"S": "x"}, "c": {"S": "y"}}},
            "l": {"L": [{"N": "0"}, {"N": "1"}, {"N": "2"}]},
            "z": {"S": "z"}
        }))
        .unwrap();
        let paths = parse_projection("a.b, l[2], l[0], nosuch, z", &ExprContext::empty()).unwrap();
        let got = item_to_json(&project(&item, &paths));
        assert_eq!(
            serde_json::Value::Object(got),
            json!({"a": {"M": {"b": {"S": "x"}}}, "l": {"L": [{"N": "0"}, {"N": "2"}]}, "z": {"S": "z"}})
        );
    }
}
