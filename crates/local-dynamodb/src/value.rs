//! Attribute values: validated once on the way in so the rest of the crate works on typed data.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::{json, Map, Value};

use crate::error::DynamoError;
use crate::number::Number;

pub type Item = BTreeMap<String, AttrValue>;

#[derive(Clone, Debug, PartialEq)]
pub enum AttrValue {
    S(String),
    N(Number),
    B(Vec<u8>),
    Bool(bool),
    Null,
    M(BTreeMap<String, AttrValue>),
    L(Vec<AttrValue>),
    /// Sets keep their insertion order (DynamoDB does not promise one) and never hold duplicates.
    SS(Vec<String>),
    NS(Vec<Number>),
    BS(Vec<Vec<u8>>),
}

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn serialization(msg: impl Into<String>) -> DynamoError {
    DynamoError::Serialization(msg.into())
}

fn expect_str<'a>(v: &'a Value, what: &str) -> Result<&'a str, DynamoError> {
    v.as_str().ok_or_else(|| {
        serialization(format!(
            "Unexpected value type in payload: {what} must be a string"
        ))
    })
}

fn expect_array<'a>(v: &'a Value, what: &str) -> Result<&'a Vec<Value>, DynamoError> {
    v.as_array().ok_or_else(|| {
        serialization(format!(
            "Unexpected value type in payload: {what} must be a list"
        ))
    })
}

fn decode_b64(s: &str) -> Result<Vec<u8>, DynamoError> {
    B64.decode(s.as_bytes()).map_err(|_| {
        serialization("Base64 encoded length is expected a multiple of 4 bytes but found: invalid")
    })
}

impl AttrValue {
    /// Parses the wire form `{"S": "x"}` etc.
    pub fn from_json(v: &Value) -> Result<AttrValue, DynamoError> {
        let obj = v.as_object().ok_or_else(|| {
            serialization("Unexpected value type in payload: AttributeValue must be an object")
        })?;
        let set: Vec<(&String, &Value)> = obj.iter().filter(|(_, v)| !v.is_null()).collect();
        if set.is_empty() {
            return Err(DynamoError::validation(
                "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
            ));
        }
        if set.len() > 1 {
            return Err(DynamoError::validation(
                "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
            ));
        }
        let (tag, inner) = set[0];
        Ok(match tag.as_str() {
            "S" => AttrValue::S(expect_str(inner, "S")?.to_string()),
            "N" => AttrValue::N(Number::parse(expect_str(inner, "N")?)?),
            "B" => AttrValue::B(decode_b64(expect_str(inner, "B")?)?),
            "BOOL" => AttrValue::Bool(inner.as_bool().ok_or_else(|| {
                serialization("Unexpected value type in payload: BOOL must be a boolean")
            })?),
            "NULL" => {
                let b = inner.as_bool().ok_or_else(|| {
                    serialization("Unexpected value type in payload: NULL must be a boolean")
                })?;
                if !b {
                    return Err(DynamoError::validation(
                        "One or more parameter values were invalid: Null attribute value types must have the value of true",
                    ));
                }
                AttrValue::Null
            }
            "M" => {
                let m = inner.as_object().ok_or_else(|| {
                    serialization("Unexpected value type in payload: M must be an object")
                })?;
                let mut out = BTreeMap::new();
                for (k, v) in m {
                    check_attribute_name(k)?;
                    out.insert(k.clone(), AttrValue::from_json(v)?);
                }
                AttrValue::M(out)
            }
            "L" => {
                let l = expect_array(inner, "L")?;
                AttrValue::L(
                    l.iter()
                        .map(AttrValue::from_json)
                        .collect::<Result<_, _>>()?,
                )
            }
            "SS" => {
                let l = expect_array(inner, "SS")?;
                let items: Vec<String> = l
                    .iter()
                    .map(|v| expect_str(v, "SS element").map(str::to_string))
                    .collect::<Result<_, _>>()?;
                if items.is_empty() {
                    return Err(DynamoError::validation(
                        "One or more parameter values were invalid: An string set  may not be empty",
                    ));
                }
                check_dups(&items, |a, b| a == b, || format!("[{}]", items.join(", ")))?;
                AttrValue::SS(items)
            }
            "NS" => {
                let l = expect_array(inner, "NS")?;
                let items: Vec<Number> = l
                    .iter()
                    .map(|v| expect_str(v, "NS element").and_then(Number::parse))
                    .collect::<Result<_, _>>()?;
                if items.is_empty() {
                    return Err(DynamoError::validation(
                        "One or more parameter values were invalid: An number set  may not be empty",
                    ));
                }
                if has_dups(&items, |a, b| a == b) {
                    return Err(DynamoError::validation(
                        "Input collection contains duplicates",
                    ));
                }
                AttrValue::NS(items)
            }
            "BS" => {
                let l = expect_array(inner, "BS")?;
                let items: Vec<Vec<u8>> = l
                    .iter()
                    .map(|v| expect_str(v, "BS element").and_then(decode_b64))
                    .collect::<Result<_, _>>()?;
                if items.is_empty() {
                    return Err(DynamoError::validation(
                        "One or more parameter values were invalid: Binary sets should not be empty",
                    ));
                }
                if has_dups(&items, |a, b| a == b) {
                    return Err(DynamoError::validation(
                        "Input collection contains duplicates",
                    ));
                }
                AttrValue::BS(items)
            }
            other => {
                return Err(serialization(format!(
                    "Unexpected field type in AttributeValue: {other}"
                )))
            }
        })
    }

    pub fn to_json(&self) -> Value {
        match self {
            AttrValue::S(s) => json!({ "S": s }),
            AttrValue::N(n) => json!({ "N": n.to_string() }),
            AttrValue::B(b) => json!({ "B": B64.encode(b) }),
            AttrValue::Bool(b) => json!({ "BOOL": b }),
            AttrValue::Null => json!({ "NULL": true }),
            AttrValue::M(m) => json!({ "M": item_to_json(m) }),
            AttrValue::L(l) => json!({ "L": l.iter().map(AttrValue::to_json).collect::<Vec<_>>() }),
            AttrValue::SS(s) => json!({ "SS": s }),
            AttrValue::NS(s) => {
                json!({ "NS": s.iter().map(|n| n.to_string()).collect::<Vec<_>>() })
            }
            AttrValue::BS(s) => {
                json!({ "BS": s.iter().map(|b| B64.encode(b)).collect::<Vec<_>>() })
            }
        }
    }

    /// The type descriptor used by `attribute_type` and in error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            AttrValue::S(_) => "S",
            AttrValue::N(_) => "N",
            AttrValue::B(_) => "B",
            AttrValue::Bool(_) => "BOOL",
            AttrValue::Null => "NULL",
            AttrValue::M(_) => "M",
            AttrValue::L(_) => "L",
            AttrValue::SS(_) => "SS",
            AttrValue::NS(_) => "NS",
            AttrValue::BS(_) => "BS",
        }
    }

    /// Size as DynamoDB bills and limits it (attribute name not included).
    pub fn size(&self) -> usize {
        match self {
            AttrValue::S(s) => s.len(),
            AttrValue::N(n) => n.size(),
            AttrValue::B(b) => b.len(),
            AttrValue::Bool(_) | AttrValue::Null => 1,
            AttrValue::M(m) => 3 + m.iter().map(|(k, v)| k.len() + v.size() + 1).sum::<usize>(),
            AttrValue::L(l) => 3 + l.iter().map(|v| v.size() + 1).sum::<usize>(),
            AttrValue::SS(s) => s.iter().map(String::len).sum(),
            AttrValue::NS(s) => s.iter().map(Number::size).sum(),
            AttrValue::BS(s) => s.iter().map(Vec::len).sum(),
        }
    }

    /// Equality as expressions see it: sets compare as sets.
    pub fn same(&self, other: &AttrValue) -> bool {
        match (self, other) {
            (AttrValue::SS(a), AttrValue::SS(b)) => set_eq(a, b),
            (AttrValue::NS(a), AttrValue::NS(b)) => set_eq(a, b),
            (AttrValue::BS(a), AttrValue::BS(b)) => set_eq(a, b),
            (AttrValue::L(a), AttrValue::L(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same(y))
            }
            (AttrValue::M(a), AttrValue::M(b)) => {
                a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| v.same(w)))
            }
            _ => self == other,
        }
    }

    /// Ordering for `<`, `>`, BETWEEN: only between two scalars of the same ordered type.
    pub fn compare(&self, other: &AttrValue) -> Option<Ordering> {
        match (self, other) {
            (AttrValue::S(a), AttrValue::S(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
            (AttrValue::N(a), AttrValue::N(b)) => Some(a.cmp(b)),
            (AttrValue::B(a), AttrValue::B(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

fn set_eq<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.contains(x))
}

fn has_dups<T>(items: &[T], eq: impl Fn(&T, &T) -> bool) -> bool {
    items
        .iter()
        .enumerate()
        .any(|(i, a)| items[i + 1..].iter().any(|b| eq(a, b)))
}

fn check_dups<T>(
    items: &[T],
    eq: impl Fn(&T, &T) -> bool,
    show: impl Fn() -> String,
) -> Result<(), DynamoError> {
    if has_dups(items, eq) {
        return Err(DynamoError::validation(format!(
            "One or more parameter values were invalid: Input collection {} contains duplicates",
            show()
        )));
    }
    Ok(())
}

pub fn item_to_json(item: &BTreeMap<String, AttrValue>) -> Map<String, Value> {
    item.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()
}

/// Parses an attribute map such as `Item`, `Key` or `ExpressionAttributeValues`.
pub fn item_from_json(v: &Value) -> Result<Item, DynamoError> {
    let obj = v.as_object().ok_or_else(|| {
        serialization("Unexpected value type in payload: expected an attribute map")
    })?;
    let mut out = BTreeMap::new();
    for (k, v) in obj {
        check_attribute_name(k)?;
        out.insert(k.clone(), AttrValue::from_json(v)?);
    }
    Ok(out)
}

/// DynamoDB's limit on an attribute name (64 KB).
pub const MAX_ATTRIBUTE_NAME_BYTES: usize = 65_535;

/// Attribute names, at any depth of a map, are 1 to 65,535 bytes.
pub fn check_attribute_name(name: &str) -> Result<(), DynamoError> {
    if name.is_empty() {
        return Err(DynamoError::validation("Empty attribute name"));
    }
    if name.len() > MAX_ATTRIBUTE_NAME_BYTES {
        return Err(DynamoError::validation(format!(
            "One or more parameter values were invalid: An attribute name is {} bytes long; the limit is {MAX_ATTRIBUTE_NAME_BYTES} bytes",
            name.len()
        )));
    }
    Ok(())
}

/// Item size as DynamoDB limits it: names plus values.
pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + v.size()).sum()
}

/// A key attribute value: the only types allowed in keys, with DynamoDB's sort order
/// (numbers numerically, strings and binaries bytewise).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeyVal {
    S(String),
    N(Number),
    B(Vec<u8>),
}

impl KeyVal {
    pub fn from_attr(v: &AttrValue) -> Option<KeyVal> {
        match v {
            AttrValue::S(s) => Some(KeyVal::S(s.clone())),
            AttrValue::N(n) => Some(KeyVal::N(n.clone())),
            AttrValue::B(b) => Some(KeyVal::B(b.clone())),
            _ => None,
        }
    }

    pub fn to_attr(&self) -> AttrValue {
        match self {
            KeyVal::S(s) => AttrValue::S(s.clone()),
            KeyVal::N(n) => AttrValue::N(n.clone()),
            KeyVal::B(b) => AttrValue::B(b.clone()),
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            KeyVal::S(_) => "S",
            KeyVal::N(_) => "N",
            KeyVal::B(_) => "B",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_type() {
        let v = json!({"M": {
            "s": {"S": "x"}, "n": {"N": "1.50"}, "b": {"B": "AAE="}, "t": {"BOOL": true},
            "z": {"NULL": true}, "l": {"L": [{"S": "a"}, {"N": "2"}]},
            "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2.0"]}, "bs": {"BS": ["AA=="]}
        }});
        let parsed = AttrValue::from_json(&v).unwrap();
        let back = parsed.to_json();
        assert_eq!(back["M"]["n"], json!({"N": "1.5"}));
        assert_eq!(back["M"]["ns"], json!({"NS": ["1", "2"]}));
        assert_eq!(back["M"]["b"], json!({"B": "AAE="}));
        assert_eq!(AttrValue::from_json(&back).unwrap(), parsed);
    }

    #[test]
    fn rejects_invalid_values() {
        for bad in [
            json!({}),
            json!({"S": "a", "N": "1"}),
            json!({"SS": []}),
            json!({"SS": ["a", "a"]}),
            json!({"NS": ["1", "1.0"]}),
            json!({"NULL": false}),
            json!({"N": "x"}),
        ] {
            assert!(
                matches!(AttrValue::from_json(&bad), Err(DynamoError::Validation(_))),
                "{bad}"
            );
        }
        for bad in [
            json!({"S": 1}),
            json!({"X": "a"}),
            json!("a"),
            json!({"B": "!!"}),
        ] {
            assert!(
                matches!(
                    AttrValue::from_json(&bad),
                    Err(DynamoError::Serialization(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn key_order_is_numeric_for_numbers_and_bytewise_for_strings() {
        let n = |s: &str| KeyVal::N(Number::parse(s).unwrap());
        assert!(n("9") < n("10"));
        assert!(KeyVal::S("B".into()) < KeyVal::S("a".into()));
        assert!(KeyVal::B(vec![1]) < KeyVal::B(vec![1, 0]));
    }
}
