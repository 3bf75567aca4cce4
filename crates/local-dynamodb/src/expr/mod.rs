//! Expressions: tokenizer and recursive-descent parser for condition, filter, key-condition,
//! update and projection expressions, plus their evaluation against items.

mod eval;
mod lexer;
mod parser;
mod projection;
mod reserved;
mod update;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use aws_json::member;
use serde_json::Value;

use crate::error::DynamoError;
use crate::value::{item_from_json, AttrValue};

pub use eval::{eval_condition, resolve};
pub use parser::{parse_condition, parse_projection, parse_update};
pub use projection::project;
pub use update::apply_update;

#[derive(Clone, Debug, PartialEq)]
pub enum PathElem {
    Attr(String),
    Index(usize),
}

pub type Path = Vec<PathElem>;

/// Every document path a condition reads (Query refuses filters on key attributes).
pub fn condition_paths<'a>(c: &'a Cond, out: &mut Vec<&'a Path>) {
    let operand = |o: &'a Operand, out: &mut Vec<&'a Path>| {
        if let Operand::Path(p) | Operand::Size(p) = o {
            out.push(p);
        }
    };
    match c {
        Cond::Or(a, b) | Cond::And(a, b) => {
            condition_paths(a, out);
            condition_paths(b, out);
        }
        Cond::Not(a) => condition_paths(a, out),
        Cond::Cmp(a, _, b) | Cond::BeginsWith(a, b) | Cond::Contains(a, b) => {
            operand(a, out);
            operand(b, out);
        }
        Cond::Between(a, b, d) => {
            operand(a, out);
            operand(b, out);
            operand(d, out);
        }
        Cond::In(a, list) => {
            operand(a, out);
            list.iter().for_each(|o| operand(o, out));
        }
        Cond::Exists(p) | Cond::NotExists(p) => out.push(p),
        Cond::Type(p, t) => {
            out.push(p);
            operand(t, out);
        }
    }
}

/// Renders a path the way DynamoDB's messages do: `[a, b, [2]]`.
pub fn path_display(path: &[PathElem]) -> String {
    let parts: Vec<String> = path
        .iter()
        .map(|e| match e {
            PathElem::Attr(a) => a.clone(),
            PathElem::Index(i) => format!("[{i}]"),
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    Path(Path),
    Value(AttrValue),
    Size(Path),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "<>",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Cond {
    Or(Box<Cond>, Box<Cond>),
    And(Box<Cond>, Box<Cond>),
    Not(Box<Cond>),
    Cmp(Operand, CmpOp, Operand),
    Between(Operand, Operand, Operand),
    In(Operand, Vec<Operand>),
    Exists(Path),
    NotExists(Path),
    Type(Path, Operand),
    BeginsWith(Operand, Operand),
    Contains(Operand, Operand),
}

#[derive(Clone, Debug, PartialEq)]
pub enum SetOperand {
    Path(Path),
    Value(AttrValue),
    IfNotExists(Path, Box<SetOperand>),
    ListAppend(Box<SetOperand>, Box<SetOperand>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum SetValue {
    One(SetOperand),
    Plus(SetOperand, SetOperand),
    Minus(SetOperand, SetOperand),
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Update {
    pub set: Vec<(Path, SetValue)>,
    pub remove: Vec<Path>,
    pub add: Vec<(Path, AttrValue)>,
    pub delete: Vec<(Path, AttrValue)>,
}

impl Update {
    /// Every document path the update writes, for overlap checks and UPDATED_* return values.
    pub fn paths(&self) -> Vec<&Path> {
        self.set
            .iter()
            .map(|(p, _)| p)
            .chain(self.remove.iter())
            .chain(self.add.iter().map(|(p, _)| p))
            .chain(self.delete.iter().map(|(p, _)| p))
            .collect()
    }
}

/// The request's `ExpressionAttributeNames`/`Values`, recording which ones the expressions used
/// so that unused ones can be refused as DynamoDB does.
pub struct ExprContext {
    names: Option<BTreeMap<String, String>>,
    values: Option<BTreeMap<String, AttrValue>>,
    used_names: RefCell<BTreeSet<String>>,
    used_values: RefCell<BTreeSet<String>>,
}

impl ExprContext {
    pub fn from_request(body: &Value) -> Result<Self, DynamoError> {
        let names = match member(body, "ExpressionAttributeNames") {
            None => None,
            Some(Value::Object(m)) => {
                if m.is_empty() {
                    return Err(DynamoError::validation(
                        "ExpressionAttributeNames must not be empty",
                    ));
                }
                let mut out = BTreeMap::new();
                for (k, v) in m {
                    if !k.starts_with('#') || k.len() < 2 {
                        return Err(DynamoError::validation(format!(
                            "ExpressionAttributeNames contains invalid key: Syntax error; key: \"{k}\""
                        )));
                    }
                    let s = v.as_str().ok_or_else(|| {
                        DynamoError::Serialization(
                            "ExpressionAttributeNames values must be strings".into(),
                        )
                    })?;
                    out.insert(k.clone(), s.to_string());
                }
                Some(out)
            }
            Some(_) => {
                return Err(DynamoError::Serialization(
                    "ExpressionAttributeNames must be a map".into(),
                ))
            }
        };
        let values = match member(body, "ExpressionAttributeValues") {
            None => None,
            Some(v) => {
                if let Some(bad) = v
                    .as_object()
                    .and_then(|o| o.keys().find(|k| !k.starts_with(':') || k.len() < 2))
                {
                    return Err(DynamoError::validation(format!(
                        "ExpressionAttributeValues contains invalid key: Syntax error; key: \"{bad}\""
                    )));
                }
                let m = item_from_json(v).map_err(|e| match e {
                    DynamoError::Validation(msg) => DynamoError::validation(format!(
                        "ExpressionAttributeValues contains invalid value: {msg} for key {}",
                        first_invalid_key(v).unwrap_or_default()
                    )),
                    other => other,
                })?;
                if m.is_empty() {
                    return Err(DynamoError::validation(
                        "ExpressionAttributeValues must not be empty",
                    ));
                }
                Some(m)
            }
        };
        Ok(ExprContext {
            names,
            values,
            used_names: RefCell::new(BTreeSet::new()),
            used_values: RefCell::new(BTreeSet::new()),
        })
    }

    pub fn empty() -> Self {
        ExprContext {
            names: None,
            values: None,
            used_names: RefCell::new(BTreeSet::new()),
            used_values: RefCell::new(BTreeSet::new()),
        }
    }

    pub fn has_names(&self) -> bool {
        self.names.is_some()
    }

    pub fn has_values(&self) -> bool {
        self.values.is_some()
    }

    fn name(&self, key: &str) -> Option<String> {
        let v = self.names.as_ref()?.get(key)?.clone();
        self.used_names.borrow_mut().insert(key.to_string());
        Some(v)
    }

    fn value(&self, key: &str) -> Option<AttrValue> {
        let v = self.values.as_ref()?.get(key)?.clone();
        self.used_values.borrow_mut().insert(key.to_string());
        Some(v)
    }

    /// Refuses names given when the request has no expression at all.
    pub fn check_names_without_expressions(&self) -> Result<(), DynamoError> {
        if self.names.is_some() {
            return Err(DynamoError::validation(
                "ExpressionAttributeNames can only be specified when using expressions",
            ));
        }
        Ok(())
    }

    /// Refuses values given when no expression that takes values is present; `absent` names
    /// those expression fields, e.g. `["ConditionExpression"]`, as DynamoDB's message does.
    pub fn check_values_without_expressions(&self, absent: &[&str]) -> Result<(), DynamoError> {
        if self.values.is_some() {
            let null_list = if absent.len() == 1 {
                format!("{} is null", absent[0])
            } else {
                format!("{} are null", absent.join(" and "))
            };
            return Err(DynamoError::validation(format!(
                "ExpressionAttributeValues can only be specified when using expressions: {null_list}"
            )));
        }
        Ok(())
    }

    /// Called after every expression of the request was parsed.
    pub fn check_all_used(&self) -> Result<(), DynamoError> {
        if let Some(names) = &self.names {
            refuse_unused(
                "ExpressionAttributeNames",
                names.keys(),
                &self.used_names.borrow(),
            )?;
        }
        if let Some(values) = &self.values {
            refuse_unused(
                "ExpressionAttributeValues",
                values.keys(),
                &self.used_values.borrow(),
            )?;
        }
        Ok(())
    }
}

/// Refuses placeholders of `member` that no expression used, naming them as DynamoDB does.
fn refuse_unused<'k>(
    member: &str,
    declared: impl Iterator<Item = &'k String>,
    used: &BTreeSet<String>,
) -> Result<(), DynamoError> {
    let unused: Vec<&str> = declared
        .filter(|k| !used.contains(*k))
        .map(String::as_str)
        .collect();
    if unused.is_empty() {
        return Ok(());
    }
    Err(DynamoError::validation(format!(
        "Value provided in {member} unused in expressions: keys: {{{}}}",
        unused.join(", ")
    )))
}

fn first_invalid_key(v: &Value) -> Option<String> {
    let obj = v.as_object()?;
    obj.iter()
        .find(|(_, val)| AttrValue::from_json(val).is_err())
        .map(|(k, _)| k.clone())
}

/// Reads an optional string field of the request.
pub fn opt_str<'a>(body: &'a Value, field: &str) -> Result<Option<&'a str>, DynamoError> {
    match member(body, field) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(wrong_type(field, "a string")),
    }
}

/// Reads an optional boolean field of the request.
pub fn opt_bool(body: &Value, field: &str) -> Result<Option<bool>, DynamoError> {
    match member(body, field) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(wrong_type(field, "a boolean")),
    }
}

/// A field of another JSON type than its shape says: the body cannot be deserialized.
pub fn wrong_type(field: &str, expected: &str) -> DynamoError {
    DynamoError::Serialization(format!(
        "Unexpected value type in payload: {field} must be {expected}"
    ))
}
