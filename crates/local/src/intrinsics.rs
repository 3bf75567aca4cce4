//! CloudFormation intrinsic functions, evaluated the way CloudFormation would at deploy time,
//! so the local runtime sees the same names, ARNs and settings as the deployed stack.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

/// Why a value could not be resolved; the loader adds the resource and property.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntrinsicError {
    #[error("unsupported intrinsic function {0}")]
    Unsupported(String),
    #[error("{function}: {message}")]
    Invalid { function: String, message: String },
    #[error("Ref to unknown parameter or resource {0}")]
    UnknownRef(String),
    #[error("Fn::GetAtt on unknown resource {0}")]
    UnknownResource(String),
    #[error("Fn::GetAtt {resource}.{attribute}: the local runtime does not know this attribute")]
    UnknownAttribute { resource: String, attribute: String },
    #[error("unknown condition {0}")]
    UnknownCondition(String),
}

fn invalid(function: &str, message: impl Into<String>) -> IntrinsicError {
    IntrinsicError::Invalid {
        function: function.to_string(),
        message: message.into(),
    }
}

/// What a resource answers to `Ref` and `Fn::GetAtt`.
#[derive(Debug, Clone, Default)]
pub struct ResourceIds {
    pub reference: Value,
    pub attributes: BTreeMap<String, Value>,
    /// Any attribute answers with a synthetic value (resources the runtime does not model).
    pub any_attribute: Option<String>,
}

/// Everything intrinsics can refer to.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub parameters: HashMap<String, Value>,
    pub pseudo: HashMap<String, Value>,
    pub resources: HashMap<String, ResourceIds>,
    pub conditions: HashMap<String, bool>,
    pub mappings: Map<String, Value>,
}

/// Result of resolving: `None` is `AWS::NoValue` (the property disappears).
pub type Resolved = Result<Option<Value>, IntrinsicError>;

impl Scope {
    /// Resolves every intrinsic inside `v`.
    pub fn resolve(&self, v: &Value) -> Resolved {
        match v {
            Value::Object(m) => {
                if m.len() == 1 {
                    if let Some((k, arg)) = m.iter().next() {
                        // `Condition` is an intrinsic only with a name (IAM statements
                        // have a `Condition` map of their own).
                        if k == "Ref"
                            || k.starts_with("Fn::")
                            || (k == "Condition" && arg.is_string())
                        {
                            return self.intrinsic(k, arg);
                        }
                    }
                }
                let mut out = Map::new();
                for (k, x) in m {
                    if let Some(r) = self.resolve(x)? {
                        out.insert(k.clone(), r);
                    }
                }
                Ok(Some(Value::Object(out)))
            }
            Value::Array(a) => {
                let mut out = Vec::with_capacity(a.len());
                for x in a {
                    if let Some(r) = self.resolve(x)? {
                        out.push(r);
                    }
                }
                Ok(Some(Value::Array(out)))
            }
            other => Ok(Some(other.clone())),
        }
    }

    /// Resolves a value that must exist (NoValue is an error here).
    fn must(&self, function: &str, v: &Value) -> Result<Value, IntrinsicError> {
        self.resolve(v)?
            .ok_or_else(|| invalid(function, "AWS::NoValue is not allowed here"))
    }

    fn intrinsic(&self, name: &str, arg: &Value) -> Resolved {
        match name {
            "Ref" => self.reference(arg),
            "Condition" => {
                let n = arg
                    .as_str()
                    .ok_or_else(|| invalid("Condition", "expects a condition name"))?;
                Ok(Some(Value::Bool(self.condition(n)?)))
            }
            "Fn::Sub" => self.sub(arg).map(Some),
            "Fn::GetAtt" => self.get_att(arg).map(Some),
            "Fn::Join" => self.join(arg).map(Some),
            "Fn::Select" => self.select(arg),
            "Fn::Split" => self.split(arg).map(Some),
            "Fn::If" => self.if_(arg),
            "Fn::Equals" => {
                let a = self.args(name, arg, 2)?;
                let l = self.must(name, &a[0])?;
                let r = self.must(name, &a[1])?;
                Ok(Some(Value::Bool(scalar(&l) == scalar(&r))))
            }
            "Fn::Not" => {
                let a = self.args(name, arg, 1)?;
                Ok(Some(Value::Bool(!self.truth(name, &a[0])?)))
            }
            "Fn::And" | "Fn::Or" => {
                let items = arg
                    .as_array()
                    .ok_or_else(|| invalid(name, "expects a list of conditions"))?;
                let mut acc = name == "Fn::And";
                for c in items {
                    let t = self.truth(name, c)?;
                    acc = if name == "Fn::And" {
                        acc && t
                    } else {
                        acc || t
                    };
                }
                Ok(Some(Value::Bool(acc)))
            }
            "Fn::Base64" => {
                use base64::Engine as _;
                let s = self.must(name, arg)?;
                let s = scalar(&s).ok_or_else(|| invalid(name, "expects a string"))?;
                Ok(Some(Value::String(
                    base64::engine::general_purpose::STANDARD.encode(s),
                )))
            }
            "Fn::FindInMap" => self.find_in_map(arg).map(Some),
            "Fn::GetAZs" => {
                let region = self
                    .pseudo
                    .get("AWS::Region")
                    .and_then(Value::as_str)
                    .unwrap_or("us-east-1")
                    .to_string();
                Ok(Some(Value::Array(
                    ["a", "b", "c"]
                        .iter()
                        .map(|z| Value::String(format!("{region}{z}")))
                        .collect(),
                )))
            }
            other => Err(IntrinsicError::Unsupported(other.to_string())),
        }
    }

    fn args(&self, name: &str, arg: &Value, n: usize) -> Result<Vec<Value>, IntrinsicError> {
        match arg.as_array() {
            Some(a) if a.len() == n => Ok(a.clone()),
            _ => Err(invalid(name, format!("expects a list of {n} elements"))),
        }
    }

    fn truth(&self, name: &str, v: &Value) -> Result<bool, IntrinsicError> {
        match self.must(name, v)? {
            Value::Bool(b) => Ok(b),
            Value::String(s) if s == "true" => Ok(true),
            Value::String(s) if s == "false" => Ok(false),
            other => Err(invalid(name, format!("expects a condition, got {other}"))),
        }
    }

    /// A named condition's value (conditions are evaluated once, before resources).
    pub fn condition(&self, n: &str) -> Result<bool, IntrinsicError> {
        self.conditions
            .get(n)
            .copied()
            .ok_or_else(|| IntrinsicError::UnknownCondition(n.to_string()))
    }

    fn reference(&self, arg: &Value) -> Resolved {
        let n = arg
            .as_str()
            .ok_or_else(|| invalid("Ref", "expects a name"))?;
        if n == "AWS::NoValue" {
            return Ok(None);
        }
        if let Some(v) = self.parameters.get(n).or_else(|| self.pseudo.get(n)) {
            return Ok(Some(v.clone()));
        }
        if let Some(r) = self.resources.get(n) {
            return Ok(Some(r.reference.clone()));
        }
        Err(IntrinsicError::UnknownRef(n.to_string()))
    }

    fn attribute(&self, resource: &str, attribute: &str) -> Result<Value, IntrinsicError> {
        let r = self
            .resources
            .get(resource)
            .ok_or_else(|| IntrinsicError::UnknownResource(resource.to_string()))?;
        if let Some(v) = r.attributes.get(attribute) {
            return Ok(v.clone());
        }
        if let Some(prefix) = &r.any_attribute {
            return Ok(Value::String(format!("{prefix}/{attribute}")));
        }
        Err(IntrinsicError::UnknownAttribute {
            resource: resource.to_string(),
            attribute: attribute.to_string(),
        })
    }

    fn get_att(&self, arg: &Value) -> Result<Value, IntrinsicError> {
        let (res, att) = match arg {
            Value::String(s) => split_dotted(s)
                .ok_or_else(|| invalid("Fn::GetAtt", "expects Resource.Attribute"))?,
            Value::Array(a) if a.len() == 2 => {
                let res = a[0]
                    .as_str()
                    .ok_or_else(|| invalid("Fn::GetAtt", "resource must be a name"))?
                    .to_string();
                let att = self.must("Fn::GetAtt", &a[1])?;
                let att = scalar(&att)
                    .ok_or_else(|| invalid("Fn::GetAtt", "attribute must be a string"))?;
                (res, att)
            }
            _ => return Err(invalid("Fn::GetAtt", "expects [Resource, Attribute]")),
        };
        self.attribute(&res, &att)
    }

    fn sub(&self, arg: &Value) -> Result<Value, IntrinsicError> {
        let (template, vars) = match arg {
            Value::String(s) => (s.clone(), Map::new()),
            Value::Array(a) if a.len() == 2 => {
                let t = a[0]
                    .as_str()
                    .ok_or_else(|| invalid("Fn::Sub", "first element must be a string"))?;
                let vars = match self.must("Fn::Sub", &a[1])? {
                    Value::Object(m) => m,
                    _ => return Err(invalid("Fn::Sub", "second element must be a map")),
                };
                (t.to_string(), vars)
            }
            _ => return Err(invalid("Fn::Sub", "expects a string or [string, map]")),
        };
        let mut out = String::with_capacity(template.len());
        let mut rest = template.as_str();
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                return Err(invalid(
                    "Fn::Sub",
                    format!("unterminated ${{ in {template:?}"),
                ));
            };
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else {
                let name = name.trim();
                let v = if let Some(v) = vars.get(name) {
                    v.clone()
                } else if let Some(v) = self.parameters.get(name).or_else(|| self.pseudo.get(name))
                {
                    v.clone()
                } else if let Some(r) = self.resources.get(name) {
                    r.reference.clone()
                } else if let Some((res, att)) = split_dotted(name) {
                    self.attribute(&res, &att)?
                } else {
                    return Err(IntrinsicError::UnknownRef(name.to_string()));
                };
                let s = scalar(&v).ok_or_else(|| {
                    invalid("Fn::Sub", format!("${{{name}}} is not a string value"))
                })?;
                out.push_str(&s);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(Value::String(out))
    }

    fn join(&self, arg: &Value) -> Result<Value, IntrinsicError> {
        let a = self.args("Fn::Join", arg, 2)?;
        let delim = a[0]
            .as_str()
            .ok_or_else(|| invalid("Fn::Join", "delimiter must be a string"))?;
        let items = match self.must("Fn::Join", &a[1])? {
            Value::Array(items) => items,
            _ => return Err(invalid("Fn::Join", "second element must be a list")),
        };
        let parts = items
            .iter()
            .map(|x| scalar(x).ok_or_else(|| invalid("Fn::Join", "list items must be strings")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Value::String(parts.join(delim)))
    }

    fn select(&self, arg: &Value) -> Resolved {
        let a = self.args("Fn::Select", arg, 2)?;
        let idx = self.must("Fn::Select", &a[0])?;
        let idx: usize = scalar(&idx)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| invalid("Fn::Select", "index must be a non-negative number"))?;
        match self.must("Fn::Select", &a[1])? {
            Value::Array(items) => items
                .get(idx)
                .cloned()
                .map(Some)
                .ok_or_else(|| invalid("Fn::Select", format!("index {idx} out of range"))),
            _ => Err(invalid("Fn::Select", "second element must be a list")),
        }
    }

    fn split(&self, arg: &Value) -> Result<Value, IntrinsicError> {
        let a = self.args("Fn::Split", arg, 2)?;
        let delim = a[0]
            .as_str()
            .ok_or_else(|| invalid("Fn::Split", "delimiter must be a string"))?;
        let s = self.must("Fn::Split", &a[1])?;
        let s = scalar(&s).ok_or_else(|| invalid("Fn::Split", "source must be a string"))?;
        if delim.is_empty() {
            return Err(invalid("Fn::Split", "delimiter must not be empty"));
        }
        Ok(Value::Array(
            s.split(delim)
                .map(|p| Value::String(p.to_string()))
                .collect(),
        ))
    }

    fn if_(&self, arg: &Value) -> Resolved {
        let a = self.args("Fn::If", arg, 3)?;
        let cond = a[0]
            .as_str()
            .ok_or_else(|| invalid("Fn::If", "first element must be a condition name"))?;
        if self.condition(cond)? {
            self.resolve(&a[1])
        } else {
            self.resolve(&a[2])
        }
    }

    fn find_in_map(&self, arg: &Value) -> Result<Value, IntrinsicError> {
        let a = self.args("Fn::FindInMap", arg, 3)?;
        let mut keys = Vec::new();
        for k in &a {
            let v = self.must("Fn::FindInMap", k)?;
            keys.push(scalar(&v).ok_or_else(|| invalid("Fn::FindInMap", "keys must be strings"))?);
        }
        self.mappings
            .get(&keys[0])
            .and_then(|m| m.get(&keys[1]))
            .and_then(|m| m.get(&keys[2]))
            .cloned()
            .ok_or_else(|| invalid("Fn::FindInMap", format!("no entry {}", keys.join("."))))
    }
}

/// `A.B.C` -> (`A`, `B.C`), as CloudFormation splits GetAtt short forms.
fn split_dotted(s: &str) -> Option<(String, String)> {
    let (a, b) = s.split_once('.')?;
    if a.is_empty() || b.is_empty() {
        return None;
    }
    Some((a.to_string(), b.to_string()))
}

/// A scalar as CloudFormation stringifies it (numbers and booleans become their text).
pub fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Converts YAML to JSON, turning short-form tags (`!Ref`, `!Sub`, `!GetAtt`, ...) into the
/// long form so one resolver handles both spellings.
pub fn yaml_to_json(v: &serde_yaml_ng::Value) -> Result<Value, String> {
    use serde_yaml_ng::Value as Y;
    Ok(match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(*b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .ok_or_else(|| format!("number {n} cannot be represented"))?
            }
        }
        Y::String(s) => Value::String(s.clone()),
        Y::Sequence(s) => Value::Array(s.iter().map(yaml_to_json).collect::<Result<_, _>>()?),
        Y::Mapping(m) => {
            let mut out = Map::new();
            for (k, x) in m {
                let key = match k {
                    Y::String(s) => s.clone(),
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    other => return Err(format!("unsupported mapping key {other:?}")),
                };
                out.insert(key, yaml_to_json(x)?);
            }
            Value::Object(out)
        }
        Y::Tagged(t) => {
            let tag = t.tag.to_string();
            let tag = tag.trim_start_matches('!');
            let inner = yaml_to_json(&t.value)?;
            let mut m = Map::new();
            match tag {
                "Ref" => {
                    m.insert("Ref".into(), inner);
                }
                "Condition" => {
                    m.insert("Condition".into(), inner);
                }
                "GetAtt" => {
                    let arg = match inner {
                        Value::String(s) => match split_dotted(&s) {
                            Some((a, b)) => Value::Array(vec![Value::String(a), Value::String(b)]),
                            None => Value::String(s),
                        },
                        other => other,
                    };
                    m.insert("Fn::GetAtt".into(), arg);
                }
                other => {
                    m.insert(format!("Fn::{other}"), inner);
                }
            }
            Value::Object(m)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn scope() -> Scope {
        let mut s = Scope::default();
        s.parameters.insert("Stage".into(), json!("v1"));
        s.parameters.insert("Empty".into(), json!(""));
        s.pseudo.insert("AWS::Region".into(), json!("eu-west-1"));
        s.resources.insert(
            "Table".into(),
            ResourceIds {
                reference: json!("Jobs"),
                attributes: [("Arn".to_string(), json!("arn:table/Jobs"))].into(),
                any_attribute: None,
            },
        );
        s.conditions.insert("Yes".into(), true);
        s.conditions.insert("No".into(), false);
        s
    }

    fn yaml(s: &str) -> Value {
        let y: serde_yaml_ng::Value = serde_yaml_ng::from_str(s).expect("test yaml");
        yaml_to_json(&y).expect("convertible")
    }

    #[test]
    fn short_and_long_forms_agree() {
        let s = scope();
        let short = yaml("a: !Sub '${Table}-${Stage}-${AWS::Region}-${Table.Arn}-${!Lit}'");
        let long =
            json!({"a": {"Fn::Sub": "${Table}-${Stage}-${AWS::Region}-${Table.Arn}-${!Lit}"}});
        assert_eq!(s.resolve(&short).unwrap(), s.resolve(&long).unwrap());
        assert_eq!(
            s.resolve(&long).unwrap().unwrap(),
            json!({"a": "Jobs-v1-eu-west-1-arn:table/Jobs-${Lit}"})
        );
    }

    #[test]
    fn sub_with_variables_and_getatt_forms() {
        let s = scope();
        let v = yaml("x: !Sub ['${A}/${Stage}', {A: !GetAtt Table.Arn}]\ny: !GetAtt [Table, Arn]");
        assert_eq!(
            s.resolve(&v).unwrap().unwrap(),
            json!({"x": "arn:table/Jobs/v1", "y": "arn:table/Jobs"})
        );
    }

    #[test]
    fn conditions_join_select_split_and_novalue() {
        let s = scope();
        let v = yaml(
            "a: !If [Yes, on, off]\nb: !If [No, on, !Ref AWS::NoValue]\nc: !Join ['-', [x, !Ref Stage]]\nd: !Select [1, !Split [',', 'p,q,r']]\ne: !Not [!Equals [!Ref Empty, '']]\nf: !Equals [1, '1']",
        );
        assert_eq!(
            s.resolve(&v).unwrap().unwrap(),
            json!({"a": "on", "c": "x-v1", "d": "q", "e": false, "f": true})
        );
    }

    #[test]
    fn errors_name_the_problem() {
        let s = scope();
        assert_eq!(
            s.resolve(&yaml("a: !ImportValue x")).unwrap_err(),
            IntrinsicError::Unsupported("Fn::ImportValue".into())
        );
        assert_eq!(
            s.resolve(&yaml("a: !Ref Nope")).unwrap_err(),
            IntrinsicError::UnknownRef("Nope".into())
        );
        assert!(matches!(
            s.resolve(&yaml("a: !GetAtt Table.Foo")).unwrap_err(),
            IntrinsicError::UnknownAttribute { .. }
        ));
        assert!(s.resolve(&yaml("a: !Sub '${Oops'")).is_err());
        assert!(s.resolve(&yaml("a: !If [Maybe, 1, 2]")).is_err());
    }
}
