//! The first step of reading a template: its parameters (deploy-time values, checked as
//! CloudFormation checks them), pseudo parameters, mappings and conditions.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::{LoadOptions, TemplateError, ACCOUNT_ID};
use crate::intrinsics::{scalar, IntrinsicError, Scope};

/// What intrinsics can see before any resource is known.
pub(super) fn scope(root: &Map<String, Value>, opts: &LoadOptions) -> Result<Scope, TemplateError> {
    let mut scope = Scope {
        pseudo: pseudo_parameters(opts),
        parameters: parameters(root.get("Parameters"), &opts.parameters)?,
        mappings: match root.get("Mappings") {
            Some(Value::Object(m)) => m.clone(),
            _ => Map::new(),
        },
        ..Scope::default()
    };
    evaluate_conditions(&mut scope, root.get("Conditions"))?;
    Ok(scope)
}

fn pseudo_parameters(opts: &LoadOptions) -> HashMap<String, Value> {
    let (partition, suffix) = if opts.region.starts_with("cn-") {
        ("aws-cn", "amazonaws.com.cn")
    } else if opts.region.starts_with("us-gov-") {
        ("aws-us-gov", "amazonaws.com")
    } else {
        ("aws", "amazonaws.com")
    };
    let stack_id = format!(
        "arn:{partition}:cloudformation:{}:{ACCOUNT_ID}:stack/{}/00000000-0000-0000-0000-000000000000",
        opts.region, opts.stack_name
    );
    [
        ("AWS::Region", opts.region.clone()),
        ("AWS::AccountId", ACCOUNT_ID.to_string()),
        ("AWS::StackName", opts.stack_name.clone()),
        ("AWS::StackId", stack_id),
        ("AWS::Partition", partition.to_string()),
        ("AWS::URLSuffix", suffix.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), Value::String(v)))
    .collect()
}

/// Each declared parameter's value: the `--param` given last for it, else its `Default`.
fn parameters(
    decl: Option<&Value>,
    overrides: &[(String, String)],
) -> Result<HashMap<String, Value>, TemplateError> {
    let decl = decl.and_then(Value::as_object).cloned().unwrap_or_default();
    if let Some((unknown, _)) = overrides.iter().find(|(k, _)| !decl.contains_key(k)) {
        return Err(TemplateError::UnknownParameter(unknown.clone()));
    }
    let mut out = HashMap::new();
    for (name, p) in &decl {
        let given = overrides
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone());
        let value = given
            .or_else(|| default_value(p))
            .ok_or_else(|| TemplateError::MissingParameter(name.clone()))?;
        check_constraints(name, p, &value)?;
        out.insert(name.clone(), typed_value(p, value));
    }
    Ok(out)
}

/// `Default` as text; a list default is written back comma-separated.
fn default_value(p: &Value) -> Option<String> {
    match p.get("Default")? {
        Value::Array(items) => Some(
            items
                .iter()
                .filter_map(scalar)
                .collect::<Vec<_>>()
                .join(","),
        ),
        other => scalar(other),
    }
}

/// List types (`CommaDelimitedList`, `List<...>`) resolve to lists, the others to strings.
fn typed_value(p: &Value, value: String) -> Value {
    let ty = p.get("Type").and_then(Value::as_str).unwrap_or("String");
    if ty == "CommaDelimitedList" || ty.starts_with("List<") {
        Value::Array(
            value
                .split(',')
                .map(|s| Value::String(s.trim().to_string()))
                .collect(),
        )
    } else {
        Value::String(value)
    }
}

/// The constraints CloudFormation checks before deploying (AllowedValues, Min/MaxValue,
/// Min/MaxLength), so a value `sam deploy` would refuse is refused here too.
fn check_constraints(name: &str, p: &Value, value: &str) -> Result<(), TemplateError> {
    let fail = |message: String| {
        Err(TemplateError::InvalidParameter {
            name: name.to_string(),
            message,
        })
    };
    if let Some(Value::Array(allowed)) = p.get("AllowedValues") {
        let allowed: Vec<String> = allowed.iter().filter_map(scalar).collect();
        if !allowed.iter().any(|a| a == value) {
            return fail(format!("'{value}' is not one of {}", allowed.join(", ")));
        }
    }
    let bound = |k: &str| {
        p.get(k)
            .and_then(scalar)
            .and_then(|s| s.parse::<f64>().ok())
    };
    if p.get("Type").and_then(Value::as_str) == Some("Number") {
        let Ok(n) = value.parse::<f64>() else {
            return fail(format!("'{value}' is not a number"));
        };
        if let Some(min) = bound("MinValue").filter(|m| n < *m) {
            return fail(format!("{value} is below MinValue {min}"));
        }
        if let Some(max) = bound("MaxValue").filter(|m| n > *m) {
            return fail(format!("{value} is above MaxValue {max}"));
        }
    }
    let len = value.chars().count() as f64;
    if let Some(min) = bound("MinLength").filter(|m| len < *m) {
        return fail(format!("'{value}' is shorter than MinLength {min}"));
    }
    if let Some(max) = bound("MaxLength").filter(|m| len > *m) {
        return fail(format!("'{value}' is longer than MaxLength {max}"));
    }
    Ok(())
}

/// Conditions may refer to one another, so they are evaluated in rounds.
fn evaluate_conditions(scope: &mut Scope, decl: Option<&Value>) -> Result<(), TemplateError> {
    let Some(Value::Object(decl)) = decl else {
        return Ok(());
    };
    let mut pending: Vec<(&String, &Value)> = decl.iter().collect();
    while !pending.is_empty() {
        let mut still = Vec::new();
        let mut progressed = false;
        let mut last = None;
        for (name, expr) in pending {
            match scope.resolve(expr) {
                Ok(Some(Value::Bool(b))) => {
                    scope.conditions.insert(name.clone(), b);
                    progressed = true;
                }
                Ok(other) => {
                    return Err(TemplateError::Condition {
                        condition: name.clone(),
                        source: IntrinsicError::Invalid {
                            function: "Conditions".into(),
                            message: format!("does not evaluate to a boolean: {other:?}"),
                        },
                    })
                }
                Err(IntrinsicError::UnknownCondition(c)) if decl.contains_key(&c) => {
                    still.push((name, expr));
                }
                Err(source) => {
                    last = Some(TemplateError::Condition {
                        condition: name.clone(),
                        source,
                    });
                    still.push((name, expr));
                }
            }
        }
        if let Some(e) = last {
            return Err(e);
        }
        if !progressed {
            let names: Vec<&str> = still.iter().map(|(n, _)| n.as_str()).collect();
            return Err(TemplateError::Shape(format!(
                "conditions refer to each other in a cycle: {}",
                names.join(", ")
            )));
        }
        pending = still;
    }
    Ok(())
}
