//! What an execution's history says about each state, for the graph: not reached (absent),
//! `running`, `waiting` (for a task token, or in a Wait state), `succeeded`, `failed`, or
//! `caught` (it failed and a Catch led on).

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{Map, Value};

/// Steps followed along `previousEventId` to find the state an event belongs to.
const MAX_CHAIN: usize = 64;

#[derive(Debug, Default, Serialize, PartialEq)]
pub struct View {
    /// State name -> status.
    pub states: Map<String, Value>,
    /// Wait states waiting now, and until when (RFC 3339, when it can be told).
    pub waits: Vec<Value>,
}

fn entered_name(e: &Value) -> Option<&str> {
    e.get("stateEnteredEventDetails")?.get("name")?.as_str()
}

fn exited_name(e: &Value) -> Option<&str> {
    e.get("stateExitedEventDetails")?.get("name")?.as_str()
}

fn id_of(e: &Value) -> u64 {
    e.get("id").and_then(Value::as_u64).unwrap_or(0)
}

/// The name of the state an event happened in: its own, or that of the `StateEntered`
/// event its `previousEventId` chain leads back to.
fn owner<'a>(by_id: &HashMap<u64, &'a Value>, e: &'a Value) -> Option<&'a str> {
    let mut cur = e;
    for _ in 0..MAX_CHAIN {
        if let Some(n) = entered_name(cur).or_else(|| exited_name(cur)) {
            return Some(n);
        }
        let prev = cur.get("previousEventId").and_then(Value::as_u64)?;
        cur = by_id.get(&prev)?;
    }
    None
}

/// The state a `TaskScheduled` event (by id) belongs to.
pub fn state_of(events: &[Value], scheduled_event_id: u64) -> Option<String> {
    let by_id: HashMap<u64, &Value> = events.iter().map(|e| (id_of(e), e)).collect();
    let e = by_id.get(&scheduled_event_id)?;
    owner(&by_id, e).map(str::to_owned)
}

fn is_failure(kind: &str) -> bool {
    !kind.starts_with("Execution")
        && !kind.starts_with("MapIteration")
        && (kind.ends_with("Failed") || kind.ends_with("TimedOut"))
}

/// Finds a state's definition by name, in nested branches and item processors too.
fn find_state<'a>(def: &'a Value, name: &str, depth: usize) -> Option<&'a Value> {
    if depth > 16 {
        return None;
    }
    let states = def.get("States")?.as_object()?;
    if let Some(s) = states.get(name) {
        return Some(s);
    }
    states.values().find_map(|s| {
        s.get("Branches")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .chain(s.get("ItemProcessor").or_else(|| s.get("Iterator")))
            .find_map(|d| find_state(d, name, depth + 1))
    })
}

/// `$.a.b` on a JSON value (the reference paths Wait states use); anything fancier is unknown.
fn simple_path<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let rest = path.strip_prefix('$')?;
    rest.split('.')
        .filter(|s| !s.is_empty())
        .try_fold(v, |cur, key| cur.get(key))
}

/// When a Wait state entered at `entered` (epoch seconds) with `input` ends, if it can be told.
fn wait_until(state: &Value, entered: f64, input: &Value) -> Option<String> {
    let at = |secs: f64| {
        chrono::DateTime::from_timestamp_millis((secs * 1000.0) as i64)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
    };
    if let Some(s) = state.get("Seconds").and_then(Value::as_f64) {
        return at(entered + s);
    }
    if let Some(t) = state.get("Timestamp").and_then(Value::as_str) {
        return Some(t.to_owned());
    }
    if let Some(p) = state.get("SecondsPath").and_then(Value::as_str) {
        return simple_path(input, p)
            .and_then(Value::as_f64)
            .and_then(|s| at(entered + s));
    }
    if let Some(p) = state.get("TimestampPath").and_then(Value::as_str) {
        return simple_path(input, p)
            .and_then(Value::as_str)
            .map(str::to_owned);
    }
    None
}

/// Walks the history once: per state, its latest status.
pub fn view(events: &[Value], definition: &Value, pending_scheduled: &[u64]) -> View {
    let by_id: HashMap<u64, &Value> = events.iter().map(|e| (id_of(e), e)).collect();
    let mut status: HashMap<String, &'static str> = HashMap::new();
    let mut failed: HashMap<String, bool> = HashMap::new();
    let mut entered_at: HashMap<String, (f64, Value)> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    for e in events {
        let kind = e.get("type").and_then(Value::as_str).unwrap_or("");
        if let Some(name) = entered_name(e) {
            // Entered straight from a failed state: a Catch led here, the failure was caught.
            let from = e
                .get("previousEventId")
                .and_then(Value::as_u64)
                .and_then(|p| by_id.get(&p))
                .and_then(|p| owner(&by_id, p));
            if let Some(from) = from.filter(|f| *f != name) {
                if status.get(from) == Some(&"running") && failed.get(from) == Some(&true) {
                    status.insert(from.to_owned(), "caught");
                }
            }
            if !status.contains_key(name) {
                order.push(name.to_owned());
            }
            status.insert(name.to_owned(), "running");
            failed.insert(name.to_owned(), false);
            let input = e["stateEnteredEventDetails"]
                .get("input")
                .and_then(Value::as_str)
                .and_then(|s| serde_json::from_str(s).ok())
                .unwrap_or(Value::Null);
            let ts = e.get("timestamp").and_then(Value::as_f64).unwrap_or(0.0);
            entered_at.insert(name.to_owned(), (ts, input));
        } else if let Some(name) = exited_name(e) {
            let caught = failed.get(name).copied().unwrap_or(false);
            status.insert(name.to_owned(), if caught { "caught" } else { "succeeded" });
        } else if kind == "TaskScheduled" || kind == "ActivityScheduled" {
            if let Some(name) = owner(&by_id, e) {
                failed.insert(name.to_owned(), false);
            }
        } else if is_failure(kind) {
            if let Some(name) = owner(&by_id, e) {
                failed.insert(name.to_owned(), true);
            }
        } else if matches!(
            kind,
            "ExecutionFailed" | "ExecutionTimedOut" | "ExecutionAborted"
        ) {
            for s in status.values_mut() {
                if *s == "running" {
                    *s = "failed";
                }
            }
        }
    }
    let mut view = View::default();
    let waiting_tasks: Vec<String> = pending_scheduled
        .iter()
        .filter_map(|id| by_id.get(id).and_then(|e| owner(&by_id, e)))
        .map(str::to_owned)
        .collect();
    for name in &order {
        let mut s = status[name];
        if s == "running" {
            if waiting_tasks.contains(name) {
                s = "waiting";
            } else if let Some(def) = find_state(definition, name, 0)
                .filter(|d| d.get("Type").and_then(Value::as_str) == Some("Wait"))
            {
                s = "waiting";
                let (ts, input) = &entered_at[name];
                view.waits.push(serde_json::json!({
                    "state": name, "until": wait_until(def, *ts, input),
                }));
            }
        }
        view.states.insert(name.clone(), Value::String(s.into()));
    }
    view
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(id: u64, prev: u64, kind: &str, details: Value) -> Value {
        let mut e = json!({"id": id, "previousEventId": prev, "type": kind, "timestamp": 1000.0 + id as f64});
        if let Some(o) = details.as_object() {
            for (k, v) in o {
                e[k] = v.clone();
            }
        }
        e
    }

    fn entered(id: u64, prev: u64, kind: &str, name: &str, input: &str) -> Value {
        ev(
            id,
            prev,
            kind,
            json!({"stateEnteredEventDetails": {"name": name, "input": input}}),
        )
    }

    fn exited(id: u64, prev: u64, kind: &str, name: &str) -> Value {
        ev(
            id,
            prev,
            kind,
            json!({"stateExitedEventDetails": {"name": name, "output": "{}"}}),
        )
    }

    #[test]
    fn statuses_from_a_history() {
        let def = json!({"StartAt": "Work", "States": {
            "Work": {"Type": "Task", "Resource": "x", "Next": "Hold"},
            "Hold": {"Type": "Wait", "SecondsPath": "$.delay", "Next": "Ask"},
            "Ask": {"Type": "Task", "Resource": "x", "End": true}
        }});
        let events = vec![
            ev(1, 0, "ExecutionStarted", json!({})),
            entered(2, 1, "TaskStateEntered", "Work", "{}"),
            ev(3, 2, "TaskScheduled", json!({})),
            ev(4, 3, "TaskFailed", json!({})),
            ev(5, 4, "TaskScheduled", json!({})),
            ev(6, 5, "TaskSucceeded", json!({})),
            exited(7, 6, "TaskStateExited", "Work"),
            entered(8, 7, "WaitStateEntered", "Hold", r#"{"delay": 60}"#),
        ];
        let v = view(&events, &def, &[]);
        assert_eq!(
            v.states["Work"], "succeeded",
            "a retried failure is not caught"
        );
        assert_eq!(v.states["Hold"], "waiting");
        assert_eq!(v.waits[0]["until"], "1970-01-01T00:17:48.000Z");
        assert!(v.states.get("Ask").is_none(), "not reached");

        let mut more = events.clone();
        more.extend([
            exited(9, 8, "WaitStateExited", "Hold"),
            entered(10, 9, "TaskStateEntered", "Ask", "{}"),
            ev(11, 10, "TaskScheduled", json!({})),
        ]);
        let v = view(&more, &def, &[11]);
        assert_eq!(v.states["Ask"], "waiting");
        assert_eq!(state_of(&more, 11).as_deref(), Some("Ask"));
        more.extend([
            ev(12, 11, "TaskFailed", json!({})),
            exited(13, 12, "TaskStateExited", "Ask"),
        ]);
        assert_eq!(view(&more, &def, &[]).states["Ask"], "caught");
        // Caught without a StateExited event: the next state entered right after the failure.
        let mut direct = more[..12].to_vec();
        direct.push(entered(13, 12, "FailStateEntered", "Oops", "{}"));
        assert_eq!(view(&direct, &def, &[]).states["Ask"], "caught");
        let mut failing = more[..11].to_vec();
        failing.push(ev(12, 11, "TaskTimedOut", json!({})));
        failing.push(ev(13, 12, "ExecutionFailed", json!({})));
        assert_eq!(view(&failing, &def, &[]).states["Ask"], "failed");
    }
}
