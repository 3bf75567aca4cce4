//! Table-driven conformance suite: every `tests/conformance/*.json` file holds a list of
//! cases (definition, input, scripted task answers, expected output or error), each naming
//! the AWS documentation page its expectation comes from.

use crate::common::{exec_info, t0, Recorder};
use asl::{
    Clock, Engine, EventType, ExecutionInfo, HistoryEvent, ManualClock, Outcome, StateMachine,
    TaskCall, TaskError, TaskResources,
};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// Scripted resources: answers per state name, consumed in order (the last one repeats).
struct Fake {
    script: HashMap<String, Vec<Value>>,
    used: Mutex<HashMap<String, usize>>,
    calls: Mutex<Vec<TaskCall>>,
    engine: OnceLock<Engine>,
    clock: ManualClock,
    tokens: Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl TaskResources for Fake {
    async fn invoke(&self, call: TaskCall) -> Result<Value, TaskError> {
        self.calls.lock().unwrap().push(call.clone());
        let Some(a) = self.next_answer(&call.state_name) else {
            return Err(TaskError::new(
                "Fake.NoScript",
                format!("no scripted answer for {}", call.state_name),
            ));
        };
        if let Some(token) = &call.task_token {
            self.tokens.lock().unwrap().push(token.clone());
        }
        if let Some(e) = a.get("error").and_then(Value::as_str) {
            return Err(TaskError::new(
                e,
                a.get("cause").and_then(Value::as_str).unwrap_or(""),
            ));
        }
        if let Some(kind) = a.get("callback").and_then(Value::as_str) {
            let token = call
                .task_token
                .clone()
                .expect("callback scripted for a task without token");
            self.answer_later(kind, token, &a);
            return Ok(a
                .get("invoke_result")
                .cloned()
                .unwrap_or(json!({"StatusCode": 200})));
        }
        Ok(a.get("result").cloned().unwrap_or(Value::Null))
    }
}

impl Fake {
    /// The state's next scripted answer (the last one repeats).
    fn next_answer(&self, state: &str) -> Option<Value> {
        let answers = self.script.get(state).cloned().unwrap_or_default();
        let n = {
            let mut u = self.used.lock().unwrap();
            let e = u.entry(state.to_string()).or_insert(0);
            *e += 1;
            *e - 1
        };
        answers.get(n.min(answers.len().saturating_sub(1))).cloned()
    }

    /// Answers the task token on the manual clock, `after_seconds` later, sending
    /// heartbeats every `heartbeat_every` seconds until then.
    fn answer_later(&self, kind: &str, token: String, a: &Value) {
        let engine = self.engine.get().expect("engine set").clone();
        let after = a.get("after_seconds").and_then(Value::as_u64).unwrap_or(0);
        let heartbeat_every = a.get("heartbeat_every").and_then(Value::as_u64);
        let clock = self.clock.clone();
        let a = a.clone();
        let kind = kind.to_string();
        tokio::spawn(async move {
            let start = clock.now();
            let end = start + chrono::Duration::seconds(after as i64);
            if let Some(h) = heartbeat_every {
                let mut t = start;
                while t + chrono::Duration::seconds(h as i64) < end {
                    t += chrono::Duration::seconds(h as i64);
                    clock.sleep_until(t).await;
                    let _ = engine.send_task_heartbeat(&token);
                }
            }
            clock.sleep_until(end).await;
            answer(&engine, &kind, &token, &a);
        });
    }
}

/// A scripted callback's answer: `success` (with `output`) or `failure` (with `cb_error`
/// and `cb_cause`).
fn answer(engine: &Engine, kind: &str, token: &str, a: &Value) {
    let text = |k: &str| a.get(k).and_then(Value::as_str).map(str::to_string);
    let _ = match kind {
        "success" => engine.send_task_success(token, a.get("output").cloned().unwrap_or(json!({}))),
        "failure" => engine.send_task_failure(token, text("cb_error"), text("cb_cause")),
        _ => Ok(()),
    };
}

fn info() -> ExecutionInfo {
    exec_info(
        "Machine",
        "exec-1",
        Some("arn:aws:iam::123456789012:role/r"),
    )
}

/// Lets the execution run until it ends, advancing the manual clock to the next deadline
/// whenever everything is idle.
async fn drive(clock: &ManualClock, handle: &asl::ExecutionHandle) -> Outcome {
    for _ in 0..100_000 {
        if let Some(o) = handle.try_outcome() {
            return o;
        }
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
        if handle.try_outcome().is_none() {
            if let Some(d) = clock.next_deadline() {
                if d > clock.now() {
                    clock.set(d);
                } else {
                    clock.advance(Duration::from_millis(0));
                }
            }
        }
    }
    panic!("execution did not finish");
}

fn matches_subset(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => e
            .iter()
            .all(|(k, v)| a.get(k).is_some_and(|x| matches_subset(v, x))),
        (e, a) => e == a,
    }
}

/// One execution of a case: its clock, resources and engine, how it ended, its history.
struct Run {
    clock: ManualClock,
    fake: Arc<Fake>,
    engine: Engine,
    outcome: Outcome,
    events: Vec<HistoryEvent>,
}

async fn run_case(case: &Value) -> Result<(), String> {
    // A string definition is passed verbatim (to test text that is not JSON).
    let def = match &case["definition"] {
        Value::String(s) => s.clone(),
        other => serde_json::to_string(other).unwrap(),
    };
    let expect = &case["expect"];
    if let Some(invalid) = expect.get("invalid") {
        return check_refused(&def, expect, invalid);
    }
    let machine = StateMachine::parse(&def).map_err(|e| format!("definition refused: {e}"))?;
    let run = run_execution(case, &machine).await;
    check_ids(&run.events)?;
    check_outcome(expect, &run.outcome)?;
    check_events(expect, &run.events)?;
    if let Some(n) = expect.get("elapsed_seconds").and_then(Value::as_i64) {
        let el = (run.clock.now() - t0()).num_seconds();
        if el != n {
            return Err(format!("expected {n}s of clock time, got {el}s"));
        }
    }
    check_calls(expect, &run.fake)?;
    check_late_answer(expect, &run)
}

/// A definition the case expects CreateStateMachine to refuse, with these diagnostics.
fn check_refused(def: &str, expect: &Value, invalid: &Value) -> Result<(), String> {
    let err = match StateMachine::parse(def) {
        Ok(_) => return Err("definition was accepted, expected InvalidDefinition".into()),
        Err(e) => e,
    };
    if let Some(n) = expect.get("diagnostic_count").and_then(Value::as_u64) {
        if err.diagnostics.len() as u64 != n {
            return Err(format!("expected {n} diagnostics, got:\n{err}"));
        }
    }
    for want in invalid.as_array().unwrap() {
        let found = err.diagnostics.iter().any(|d| {
            want.get("code").is_none_or(|c| c == d.code.as_str())
                && want
                    .get("location")
                    .is_none_or(|l| l == d.location.as_str())
                && want
                    .get("message_contains")
                    .is_none_or(|m| d.message.contains(m.as_str().unwrap()))
        });
        if !found {
            return Err(format!("missing diagnostic {want}; got:\n{err}"));
        }
    }
    Ok(())
}

/// The case's scripted task answers, per state name (one answer or a list).
fn script(case: &Value) -> HashMap<String, Vec<Value>> {
    let Some(tasks) = case.get("tasks").and_then(Value::as_object) else {
        return HashMap::new();
    };
    tasks
        .iter()
        .map(|(k, v)| {
            let answers = v.as_array().cloned().unwrap_or_else(|| vec![v.clone()]);
            (k.clone(), answers)
        })
        .collect()
}

/// Runs the case's execution on a manual clock with its scripted task answers (stopping it
/// after `stop_after_seconds` if the case says so) until it ends.
async fn run_execution(case: &Value, machine: &StateMachine) -> Run {
    let clock = ManualClock::new(t0());
    let fake = Arc::new(Fake {
        script: script(case),
        used: Mutex::default(),
        calls: Mutex::default(),
        engine: OnceLock::new(),
        clock: clock.clone(),
        tokens: Mutex::default(),
    });
    let engine = Engine::new(Arc::new(clock.clone()), fake.clone());
    let _ = fake.engine.set(engine.clone());
    let rec = Arc::new(Recorder::default());
    let input = case.get("input").cloned().unwrap_or(json!({}));
    let handle = engine.start(machine, info(), input, rec.clone());
    if let Some(stop_after) = case.get("stop_after_seconds").and_then(Value::as_u64) {
        for _ in 0..50 {
            tokio::task::yield_now().await;
        }
        clock.advance(Duration::from_secs(stop_after));
        for _ in 0..50 {
            tokio::task::yield_now().await;
        }
        handle.stop(Some("Stopped".into()), Some("by test".into()));
    }
    let outcome = drive(&clock, &handle).await;
    let events = rec.events();
    Run {
        clock,
        fake,
        engine,
        outcome,
        events,
    }
}

/// Ids are 1.. in order and every event but the first points back to an earlier one.
fn check_ids(events: &[HistoryEvent]) -> Result<(), String> {
    for (i, e) in events.iter().enumerate() {
        if e.id != i as u64 + 1
            || (i > 0 && (e.previous_event_id == 0 || e.previous_event_id >= e.id))
        {
            return Err(format!("bad event ids at {i}: {e:?}"));
        }
    }
    Ok(())
}

/// `output`, `output_matches`, `output_check`, `status`, `error` and `cause_contains`.
fn check_outcome(expect: &Value, outcome: &Outcome) -> Result<(), String> {
    if let Some(want) = expect.get("output") {
        match outcome {
            Outcome::Succeeded(v) if v == want => {}
            other => return Err(format!("expected output {want}, got {other:?}")),
        }
    }
    if let Some(want) = expect.get("output_matches") {
        match outcome {
            Outcome::Succeeded(v) if matches_subset(want, v) => {}
            other => return Err(format!("expected output matching {want}, got {other:?}")),
        }
    }
    if let Some(check) = expect.get("output_check").and_then(Value::as_str) {
        let Outcome::Succeeded(v) = outcome else {
            return Err(format!("expected success, got {outcome:?}"));
        };
        check_output(check, v)?;
    }
    if let Some(status) = expect.get("status").and_then(Value::as_str) {
        if outcome.status().as_str() != status {
            return Err(format!("expected status {status}, got {outcome:?}"));
        }
    }
    match expect.get("error").and_then(Value::as_str) {
        Some(want) => check_error(expect, want, outcome),
        None => Ok(()),
    }
}

/// `error` and `cause_contains` of an execution that did not succeed.
fn check_error(expect: &Value, want: &str, outcome: &Outcome) -> Result<(), String> {
    let (error, cause) = match outcome {
        Outcome::Failed { error, cause }
        | Outcome::TimedOut { error, cause }
        | Outcome::Aborted { error, cause } => (error.clone(), cause.clone()),
        other => return Err(format!("expected error {want}, got {other:?}")),
    };
    if error.as_deref() != Some(want) {
        return Err(format!("expected error {want}, got {error:?} ({cause:?})"));
    }
    if let Some(c) = expect.get("cause_contains").and_then(Value::as_str) {
        if !cause.as_deref().unwrap_or("").contains(c) {
            return Err(format!("expected cause containing {c:?}, got {cause:?}"));
        }
    }
    Ok(())
}

/// The event type names listed under `key` in the expectation (none if absent).
fn listed<'a>(expect: &'a Value, key: &str) -> Option<Vec<&'a str>> {
    let list = expect.get(key)?.as_array().unwrap();
    Some(list.iter().filter_map(Value::as_str).collect())
}

/// `events` (the exact types, in order), `history_includes`, `history_excludes_field`,
/// `events_exclude` and `events_include`.
fn check_events(expect: &Value, events: &[HistoryEvent]) -> Result<(), String> {
    let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    if let Some(want) = listed(expect, "events") {
        if want != types {
            return Err(format!("events differ:\n want {want:?}\n got  {types:?}"));
        }
    }
    if let Some(want) = expect.get("history_includes") {
        let history: Vec<Value> = events
            .iter()
            .map(|e| serde_json::to_value(e).unwrap())
            .collect();
        for w in want.as_array().unwrap() {
            if !history.iter().any(|h| matches_subset(w, h)) {
                return Err(format!("no event matches {w} in {history:?}"));
            }
        }
    }
    for field in listed(expect, "history_excludes_field").unwrap_or_default() {
        if let Some(e) = events
            .iter()
            .find(|e| has_field(&serde_json::to_value(e).unwrap(), field))
        {
            return Err(format!("event {e:?} should have no field \"{field}\""));
        }
    }
    for g in listed(expect, "events_exclude").unwrap_or_default() {
        if types.contains(&g) {
            return Err(format!("event \"{g}\" should not be in {types:?}"));
        }
    }
    for w in listed(expect, "events_include").unwrap_or_default() {
        if !types.contains(&w) {
            return Err(format!("event \"{w}\" missing from {types:?}"));
        }
    }
    Ok(())
}

/// Whether `v` has a field named `name` at any depth.
fn has_field(v: &Value, name: &str) -> bool {
    match v {
        Value::Object(m) => m.iter().any(|(k, x)| k == name || has_field(x, name)),
        Value::Array(a) => a.iter().any(|x| has_field(x, name)),
        _ => false,
    }
}

/// `calls`: each state's task parameters, in order.
fn check_calls(expect: &Value, fake: &Fake) -> Result<(), String> {
    let Some(want) = expect.get("calls") else {
        return Ok(());
    };
    let calls = fake.calls.lock().unwrap();
    for (state, params) in want.as_object().unwrap() {
        let got: Vec<&Value> = calls
            .iter()
            .filter(|c| &c.state_name == state)
            .map(|c| &c.parameters)
            .collect();
        let want: Vec<&Value> = params.as_array().unwrap().iter().collect();
        if got.len() != want.len() || !want.iter().zip(&got).all(|(w, g)| matches_subset(w, g)) {
            return Err(format!(
                "calls of {state} differ: want {want:?}, got {got:?}"
            ));
        }
    }
    Ok(())
}

/// `late_token_answer`: what answering the last task token after the end gives.
fn check_late_answer(expect: &Value, run: &Run) -> Result<(), String> {
    let Some(want) = expect.get("late_token_answer").and_then(Value::as_str) else {
        return Ok(());
    };
    let token = run
        .fake
        .tokens
        .lock()
        .unwrap()
        .last()
        .cloned()
        .ok_or("no token issued")?;
    let got = run
        .engine
        .send_task_success(&token, json!({}))
        .err()
        .map(|e| format!("{e:?}"));
    if got.as_deref() != Some(want) {
        return Err(format!("late answer: expected {want}, got {got:?}"));
    }
    Ok(())
}

fn check_output(check: &str, v: &Value) -> Result<(), String> {
    let ok = match check {
        "uuid" => v.as_str().is_some_and(|s| uuid::Uuid::parse_str(s).is_ok()),
        "random_1_10" => v.as_i64().is_some_and(|n| (1..10).contains(&n)),
        "context" => {
            v["name"] == "exec-1"
                && v["id"] == info().execution_arn
                && v["sm"] == "Machine"
                && v["state"] == "Ctx"
                && v["entered"] == "2024-01-01T00:00:00.000Z"
                && v.get("retry").is_none()
                && v["whole"] == json!({"EnteredTime": "2024-01-01T00:00:00.000Z", "Name": "Ctx"})
        }
        other => return Err(format!("unknown output_check {other}")),
    };
    if ok {
        Ok(())
    } else {
        Err(format!("output check {check} failed on {v}"))
    }
}

#[tokio::test(flavor = "current_thread")]
async fn conformance() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut failures = Vec::new();
    let mut count = 0;
    for f in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "json"))
    {
        let text = std::fs::read_to_string(f).unwrap();
        let cases: Vec<Value> =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        for case in &cases {
            count += 1;
            let name = format!(
                "{}: {}",
                f.file_name().unwrap().to_string_lossy(),
                case["name"].as_str().unwrap_or("?")
            );
            assert!(
                case.get("source")
                    .and_then(Value::as_str)
                    .is_some_and(|s| !s.is_empty()),
                "{name}: no source"
            );
            if let Err(e) = run_case(case).await {
                failures.push(format!("{name}: {e}"));
            }
        }
    }
    eprintln!("{count} conformance cases, {} failed", failures.len());
    assert!(count > 0);
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn event_type_names_serialize_as_aws_names() {
    assert_eq!(
        serde_json::to_value(EventType::MapIterationStarted).unwrap(),
        json!("MapIterationStarted")
    );
}
