//! `variableReferences` of DescribeStateMachine: for each JSONPath state, the variables its
//! paths and intrinsic functions read (JSONata states are not listed, as on AWS).

use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Fields whose value is one path or intrinsic call.
const PATH_FIELDS: &[&str] = &[
    "InputPath",
    "OutputPath",
    "ItemsPath",
    "SecondsPath",
    "TimestampPath",
    "TimeoutSecondsPath",
    "HeartbeatSecondsPath",
    "ErrorPath",
    "CausePath",
    "MaxConcurrencyPath",
    "ToleratedFailurePercentagePath",
    "ToleratedFailureCountPath",
];
/// Fields holding payload templates (`"key.$": "<path or intrinsic>"`).
const TEMPLATE_FIELDS: &[&str] = &["Parameters", "ResultSelector", "ItemSelector", "Assign"];

/// The `$name` variables a path or an intrinsic call reads.
fn names_in(text: &str, out: &mut BTreeSet<String>) {
    let b: Vec<char> = text.chars().collect();
    let mut quoted = false;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            '\\' => i += 1,
            '\'' => quoted = !quoted,
            '$' if !quoted && b.get(i + 1).is_some_and(|c| c.is_alphabetic() || *c == '_') => {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && (b[j].is_alphanumeric() || b[j] == '_') {
                    j += 1;
                }
                out.insert(b[start..j].iter().collect());
                i = j;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
}

fn in_template(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.ends_with(".$"), x) {
                    (true, Value::String(s)) => names_in(s, out),
                    _ => in_template(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| in_template(x, out)),
        _ => {}
    }
}

fn in_rule(rule: &Value, out: &mut BTreeSet<String>) {
    let Some(m) = rule.as_object() else { return };
    for (k, x) in m {
        match (k.as_str(), x) {
            ("And" | "Or", Value::Array(a)) => a.iter().for_each(|r| in_rule(r, out)),
            ("Not", r) => in_rule(r, out),
            ("Assign", a) => in_template(a, out),
            ("Variable", Value::String(s)) => names_in(s, out),
            (op, Value::String(s)) if op.ends_with("Path") => names_in(s, out),
            _ => {}
        }
    }
}

fn in_machine(m: &Map<String, Value>, top_jsonata: bool, out: &mut BTreeMap<String, Vec<String>>) {
    let Some(states) = m.get("States").and_then(Value::as_object) else {
        return;
    };
    for (name, st) in states {
        let Some(st) = st.as_object() else { continue };
        let jsonata = match st.get("QueryLanguage").and_then(Value::as_str) {
            Some(q) => q == "JSONata",
            None => top_jsonata,
        };
        if !jsonata {
            let mut names = BTreeSet::new();
            for f in PATH_FIELDS {
                if let Some(Value::String(s)) = st.get(*f) {
                    names_in(s, &mut names);
                }
            }
            for f in TEMPLATE_FIELDS {
                if let Some(t) = st.get(*f) {
                    in_template(t, &mut names);
                }
            }
            for r in st
                .get("Choices")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                in_rule(r, &mut names);
            }
            for c in st
                .get("Catch")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(a) = c.get("Assign") {
                    in_template(a, &mut names);
                }
            }
            if !names.is_empty() {
                out.insert(name.clone(), names.into_iter().collect());
            }
        }
        for b in st
            .get("Branches")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(b) = b.as_object() {
                in_machine(b, top_jsonata, out);
            }
        }
        for f in ["ItemProcessor", "Iterator"] {
            if let Some(p) = st.get(f).and_then(Value::as_object) {
                in_machine(p, top_jsonata, out);
            }
        }
    }
}

/// State name -> the variables its JSONPath fields read, sorted.
pub(crate) fn variable_references(definition: &Value) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    if let Some(m) = definition.as_object() {
        let jsonata = m.get("QueryLanguage").and_then(Value::as_str) == Some("JSONata");
        in_machine(m, jsonata, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_the_variables_of_jsonpath_states_only() {
        let def = json!({"StartAt": "CheckAnswer", "States": {
            "CheckAnswer": {"Type": "Choice", "Choices": [{"Variable": "$guess", "StringEqualsPath": "$answer", "Next": "Right"}], "Default": "WrongAnswer"},
            "WrongAnswer": {"Type": "Pass", "Parameters": {"a.$": "States.Format('$nope {}', $answer)", "b.$": "$.x", "c.$": "$$.State"}, "Next": "Right"},
            "Right": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $answer %}", "End": true}}});
        let refs = variable_references(&def);
        assert_eq!(refs.len(), 2);
        assert_eq!(refs["CheckAnswer"], vec!["answer", "guess"]);
        assert_eq!(refs["WrongAnswer"], vec!["answer"]);
    }
}
