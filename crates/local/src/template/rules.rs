//! EventBridge rules of the template: SAM `EventBridgeRule`/`CloudWatchEvent` function events
//! and `AWS::Events::Rule` resources with Lambda targets. Rules on another bus, disabled rules
//! and non-Lambda targets are left out: nothing local would deliver to them.

use serde_json::Value;

use super::{EventRule, TemplateError};
use crate::intrinsics::scalar;

fn on_default_bus(p: &Value) -> bool {
    match p.get("EventBusName").and_then(scalar) {
        None => true,
        Some(b) => b == "default" || b.ends_with(":event-bus/default"),
    }
}

fn enabled(p: &Value) -> bool {
    let flag = match p.get("Enabled") {
        Some(Value::Bool(b)) => *b,
        Some(v) => scalar(v).is_none_or(|s| !s.eq_ignore_ascii_case("false")),
        None => true,
    };
    let state = p
        .get("State")
        .and_then(scalar)
        .is_none_or(|s| s.eq_ignore_ascii_case("ENABLED"));
    flag && state
}

/// A pattern may be written as a mapping or, in `AWS::Events::Rule`, as a JSON string.
fn pattern(owner: &str, v: Option<&Value>) -> Result<Value, TemplateError> {
    match v {
        Some(Value::Object(m)) => Ok(Value::Object(m.clone())),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(v @ Value::Object(_)) => Ok(v),
            _ => Err(TemplateError::Shape(format!(
                "{owner}: the event pattern is not a JSON object"
            ))),
        },
        _ => Err(TemplateError::Shape(format!(
            "{owner}: an event rule needs a pattern (a mapping)"
        ))),
    }
}

fn input(owner: &str, v: Option<&Value>) -> Result<Option<Value>, TemplateError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => serde_json::from_str(s)
            .map(Some)
            .map_err(|e| TemplateError::Shape(format!("{owner}: Input is not valid JSON: {e}"))),
        Some(other) => Ok(Some(other.clone())),
    }
}

/// The rules a function's `Events` declare for itself.
pub fn function_rules(
    id: &str,
    arn: &str,
    events: Option<Value>,
) -> Result<Vec<EventRule>, TemplateError> {
    let Some(Value::Object(events)) = events else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (ev_name, ev) in &events {
        let ty = ev.get("Type").and_then(Value::as_str).unwrap_or("");
        if ty != "EventBridgeRule" && ty != "CloudWatchEvent" {
            continue;
        }
        let owner = format!("{id}.Events.{ev_name}");
        let p = ev.get("Properties").cloned().unwrap_or(Value::Null);
        if !enabled(&p) || !on_default_bus(&p) {
            tracing::debug!(rule = %owner, "disabled or on another bus: not delivered locally");
            continue;
        }
        out.push(EventRule {
            name: owner.clone(),
            pattern: pattern(&owner, p.get("Pattern"))?,
            target: if arn.is_empty() {
                id.to_string()
            } else {
                arn.to_string()
            },
            input: input(&owner, p.get("Input"))?,
            input_path: p.get("InputPath").and_then(scalar),
        });
    }
    Ok(out)
}

/// One rule per Lambda target of an `AWS::Events::Rule` (resolved properties).
pub fn rule_resource(id: &str, props: &Value) -> Result<Vec<EventRule>, TemplateError> {
    if !enabled(props) || !on_default_bus(props) {
        return Ok(Vec::new());
    }
    let Some(raw_pattern) = props.get("EventPattern") else {
        // A schedule rule: no event of this runtime can match it.
        return Ok(Vec::new());
    };
    let pattern = pattern(id, Some(raw_pattern))?;
    let empty = Vec::new();
    let targets = props
        .get("Targets")
        .and_then(Value::as_array)
        .unwrap_or(&empty);
    let mut out = Vec::new();
    for t in targets {
        let Some(arn) = t.get("Arn").and_then(scalar) else {
            continue;
        };
        if !arn.contains(":lambda:") && arn.starts_with("arn:") {
            tracing::debug!(rule = id, target = %arn, "not a Lambda target: not delivered locally");
            continue;
        }
        let target_id = t.get("Id").and_then(scalar).unwrap_or_default();
        let owner = format!("{id}.{target_id}");
        out.push(EventRule {
            name: owner.clone(),
            pattern: pattern.clone(),
            target: arn,
            input: input(&owner, t.get("Input"))?,
            input_path: t.get("InputPath").and_then(scalar),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn function_events_become_rules_unless_disabled() {
        let events = json!({
            "Api": {"Type": "Api", "Properties": {"Path": "/x", "Method": "get"}},
            "Changes": {"Type": "EventBridgeRule", "Properties": {
                "Pattern": {"source": ["aws.states"]}, "InputPath": "$.detail"}},
            "Old": {"Type": "CloudWatchEvent", "Properties": {
                "Pattern": {"source": ["aws.states"]}, "Enabled": false}},
            "Other": {"Type": "EventBridgeRule", "Properties": {
                "Pattern": {"source": ["x"]}, "EventBusName": "custom"}},
            "Legacy": {"Type": "CloudWatchEvent", "Properties": {
                "Pattern": {"source": ["aws.states"]}, "Input": "{\"a\":1}"}},
        });
        let rules = function_rules("F", "arn:f", Some(events)).expect("rules");
        let names: Vec<&str> = rules.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["F.Events.Changes", "F.Events.Legacy"]);
        assert_eq!(rules[0].input_path.as_deref(), Some("$.detail"));
        assert_eq!(rules[1].input, Some(json!({"a": 1})));
        assert!(rules.iter().all(|r| r.target == "arn:f"));
    }

    #[test]
    fn rule_resources_keep_lambda_targets_only() {
        let props = json!({
            "EventPattern": "{\"source\":[\"aws.states\"]}",
            "Targets": [
                {"Arn": "arn:aws:lambda:us-east-1:123456789012:function:F", "Id": "fn"},
                {"Arn": "arn:aws:sqs:us-east-1:123456789012:q", "Id": "queue"}
            ]
        });
        let rules = rule_resource("R", &props).expect("rules");
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].name, "R.fn");
        assert_eq!(rules[0].pattern, json!({"source": ["aws.states"]}));
        let disabled = json!({"State": "DISABLED", "EventPattern": {"a": [1]},
            "Targets": [{"Arn": "arn:aws:lambda:r:1:function:F", "Id": "x"}]});
        assert!(rule_resource("R", &disabled).expect("ok").is_empty());
        let bad = json!({"EventPattern": "[1]", "Targets": []});
        assert!(rule_resource("R", &bad).is_err());
    }

    #[test]
    fn a_rule_without_pattern_is_an_error() {
        let events = json!({"E": {"Type": "EventBridgeRule", "Properties": {}}});
        assert!(function_rules("F", "arn:f", Some(events)).is_err());
    }
}
