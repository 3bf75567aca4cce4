//! EventBridge event patterns (content filtering), so a rule delivers locally exactly the
//! events it would deliver on AWS: exact values, `prefix`, `suffix`, `anything-but`,
//! `numeric`, `exists`, `equals-ignore-case`, `wildcard` and `$or`. A part of a pattern this
//! runtime does not know (e.g. `cidr`) matches nothing, so a rule never fires by mistake.

use serde_json::{Map, Value};

/// Whether `event` matches `pattern` (both JSON objects).
pub fn matches(pattern: &Value, event: &Value) -> bool {
    match pattern {
        Value::Object(p) => object_matches(p, Some(event)),
        _ => false,
    }
}

fn object_matches(pattern: &Map<String, Value>, event: Option<&Value>) -> bool {
    pattern.iter().all(|(key, p)| {
        if key == "$or" {
            return p.as_array().is_some_and(|alts| {
                alts.iter().any(|alt| {
                    alt.as_object()
                        .is_some_and(|alt| object_matches(alt, event))
                })
            });
        }
        let field = event.and_then(|e| e.get(key));
        match p {
            Value::Object(nested) => object_matches(nested, field.filter(|f| f.is_object())),
            Value::Array(matchers) => field_matches(matchers, field),
            _ => false,
        }
    })
}

/// A field matches when any of its values (an array field has several) matches any matcher.
fn field_matches(matchers: &[Value], field: Option<&Value>) -> bool {
    let values: Vec<&Value> = match field {
        None => Vec::new(),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(v) => vec![v],
    };
    matchers.iter().any(|m| match m {
        Value::Object(op) => {
            if let Some(exists) = op.get("exists") {
                return exists.as_bool() == Some(field.is_some());
            }
            values.iter().any(|v| operator_matches(op, v))
        }
        scalar => values.iter().any(|v| equal(scalar, v)),
    })
}

fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn operator_matches(op: &Map<String, Value>, v: &Value) -> bool {
    if op.len() != 1 {
        return false;
    }
    let Some((name, arg)) = op.iter().next() else {
        return false;
    };
    match name.as_str() {
        "prefix" => string_test(arg, v, |s, p| s.starts_with(p)),
        "suffix" => string_test(arg, v, |s, p| s.ends_with(p)),
        "equals-ignore-case" => match (arg, v) {
            (Value::String(a), Value::String(s)) => a.to_lowercase() == s.to_lowercase(),
            _ => false,
        },
        "wildcard" => match (arg, v) {
            (Value::String(p), Value::String(s)) => wildcard(p, s),
            _ => false,
        },
        "numeric" => v
            .as_f64()
            .is_some_and(|n| arg.as_array().is_some_and(|c| numeric(c, n))),
        "anything-but" => match arg {
            Value::Array(list) => !list.iter().any(|x| equal(x, v)),
            Value::Object(inner) => !operator_matches(inner, v),
            scalar => !equal(scalar, v),
        },
        _ => false,
    }
}

/// `prefix`/`suffix` take a string or `{"equals-ignore-case": s}`.
fn string_test(arg: &Value, v: &Value, f: fn(&str, &str) -> bool) -> bool {
    let Value::String(s) = v else {
        return false;
    };
    match arg {
        Value::String(p) => f(s, p),
        Value::Object(m) => match m.get("equals-ignore-case") {
            Some(Value::String(p)) if m.len() == 1 => f(&s.to_lowercase(), &p.to_lowercase()),
            _ => false,
        },
        _ => false,
    }
}

/// `["<", 10, ">=", 0]`: every comparison must hold.
fn numeric(conds: &[Value], n: f64) -> bool {
    if conds.is_empty() || !conds.len().is_multiple_of(2) {
        return false;
    }
    conds.chunks(2).all(|c| {
        let (Some(op), Some(x)) = (c[0].as_str(), c[1].as_f64()) else {
            return false;
        };
        match op {
            "<" => n < x,
            "<=" => n <= x,
            "=" => n == x,
            ">" => n > x,
            ">=" => n >= x,
            _ => false,
        }
    })
}

/// `*` matches any run of characters (`\*` is a literal star).
fn wildcard(pattern: &str, s: &str) -> bool {
    let mut parts: Vec<String> = vec![String::new()];
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let (Some(next), Some(last)) = (chars.next(), parts.last_mut()) {
                    last.push(next);
                }
            }
            '*' => parts.push(String::new()),
            other => {
                if let Some(last) = parts.last_mut() {
                    last.push(other);
                }
            }
        }
    }
    let (first, rest) = match parts.split_first() {
        Some(x) => x,
        None => return s.is_empty(),
    };
    let Some(mut tail) = s.strip_prefix(first.as_str()) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return tail.is_empty();
    };
    for m in middle {
        match tail.find(m.as_str()) {
            Some(i) => tail = &tail[i + m.len()..],
            None => return false,
        }
    }
    tail.len() >= last.len() && tail.ends_with(last.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event() -> Value {
        json!({
            "source": "aws.states",
            "detail-type": "Step Functions Execution Status Change",
            "resources": ["arn:aws:states:us-east-1:1:execution:M:e1"],
            "detail": {
                "stateMachineArn": "arn:aws:states:us-east-1:1:stateMachine:M",
                "status": "FAILED",
                "startDate": 1000,
                "error": null
            }
        })
    }

    #[test]
    fn exact_values_and_nesting() {
        assert!(matches(&json!({"source": ["aws.states"]}), &event()));
        assert!(!matches(&json!({"source": ["aws.lambda"]}), &event()));
        assert!(matches(
            &json!({"detail": {"status": ["SUCCEEDED", "FAILED"],
                "stateMachineArn": ["arn:aws:states:us-east-1:1:stateMachine:M"]}}),
            &event()
        ));
        assert!(!matches(
            &json!({"detail": {"stateMachineArn": ["arn:aws:states:us-east-1:1:stateMachine:Other"]}}),
            &event()
        ));
        assert!(!matches(&json!({"detail": {"missing": ["x"]}}), &event()));
        assert!(matches(&json!({"detail": {"error": [null]}}), &event()));
        assert!(matches(
            &json!({"detail": {"startDate": [1000.0]}}),
            &event()
        ));
        // An array field matches when any element does.
        assert!(matches(
            &json!({"resources": [{"suffix": ":e1"}]}),
            &event()
        ));
        assert!(matches(&json!({}), &event()));
    }

    #[test]
    fn operators() {
        let e = event();
        let m = |p: Value| matches(&p, &e);
        assert!(m(json!({"source": [{"prefix": "aws."}]})));
        assert!(!m(json!({"source": [{"prefix": "x"}]})));
        assert!(m(
            json!({"source": [{"prefix": {"equals-ignore-case": "AWS."}}]})
        ));
        assert!(m(
            json!({"detail": {"status": [{"anything-but": ["SUCCEEDED", "RUNNING"]}]}})
        ));
        assert!(!m(
            json!({"detail": {"status": [{"anything-but": "FAILED"}]}})
        ));
        assert!(m(
            json!({"detail": {"status": [{"anything-but": {"prefix": "SUC"}}]}})
        ));
        assert!(m(
            json!({"detail": {"status": [{"equals-ignore-case": "failed"}]}})
        ));
        assert!(m(
            json!({"detail": {"startDate": [{"numeric": [">", 0, "<=", 1000]}]}})
        ));
        assert!(!m(
            json!({"detail": {"startDate": [{"numeric": [">", 1000]}]}})
        ));
        assert!(m(json!({"detail": {"output": [{"exists": false}]}})));
        assert!(!m(json!({"detail": {"status": [{"exists": false}]}})));
        assert!(m(json!({"detail": {"status": [{"exists": true}]}})));
        assert!(m(json!({"detail-type": [{"wildcard": "Step*Status*"}]})));
        assert!(!m(json!({"detail-type": [{"wildcard": "Step*Lambda*"}]})));
        assert!(!m(json!({"source": [{"cidr": "10.0.0.0/24"}]})));
        assert!(m(
            json!({"$or": [{"source": ["nope"]}, {"detail": {"status": ["FAILED"]}}]})
        ));
        assert!(!m(
            json!({"$or": [{"source": ["nope"]}, {"detail": {"status": ["RUNNING"]}}]})
        ));
    }

    #[test]
    fn wildcards() {
        assert!(wildcard("*", ""));
        assert!(wildcard("a*c", "abbbc"));
        assert!(!wildcard("a*c", "abbb"));
        assert!(wildcard("a\\*c", "a*c"));
        assert!(!wildcard("a\\*c", "abc"));
        assert!(wildcard("*.json", "x.json"));
        assert!(!wildcard("ab*ba", "aba"));
    }
}
