//! What AWS refuses only in EXPRESS machines: the engine validates a definition without
//! knowing the machine type.

use serde_json::Value;

/// (location, message) for every Task that waits (`.sync`, `.waitForTaskToken`).
pub(crate) fn problems(definition: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Ok(v) = serde_json::from_str::<Value>(definition) {
        walk(&v, "", &mut out);
    }
    out
}

fn walk(machine: &Value, prefix: &str, out: &mut Vec<(String, String)>) {
    let Some(states) = machine.get("States").and_then(Value::as_object) else {
        return;
    };
    for (name, st) in states {
        let at = format!("{prefix}/States/{name}");
        if let Some(r) = st.get("Resource").and_then(Value::as_str) {
            let pattern = [".waitForTaskToken", ".sync:2", ".sync"]
                .into_iter()
                .find(|s| r.ends_with(s));
            if let Some(p) = pattern {
                out.push((
                    format!("{at}/Resource"),
                    format!("State '{name}': field 'Resource' uses the '{p}' integration pattern, which EXPRESS state machines do not support"),
                ));
            }
        }
        if let Some(branches) = st.get("Branches").and_then(Value::as_array) {
            for (i, b) in branches.iter().enumerate() {
                walk(b, &format!("{at}/Branches[{i}]"), out);
            }
        }
        for key in ["Iterator", "ItemProcessor"] {
            if let Some(inner) = st.get(key) {
                walk(inner, &format!("{at}/{key}"), out);
            }
        }
    }
}
