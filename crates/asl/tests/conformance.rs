//! Table-driven conformance suite: every `tests/conformance/*.json` file holds a list of
//! cases (definition, input, scripted task answers, expected output or error), each naming
//! the AWS documentation page its expectation comes from.

use asl::{
    Engine, EventType, ExecutionInfo, HistoryEvent, ManualClock, Observer, Outcome, StateMachine,
    TaskCall, TaskError, TaskResources,
};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

#[derive(Default)]
struct Recorder {
    events: Mutex<Vec<HistoryEvent>>,
}

impl Observer for Recorder {
    fn on_event(&self, _arn: &str, e: &HistoryEvent) {
        self.events.lock().unwrap().push(e.clone());
    }
}

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
        let answers = self
            .script
            .get(&call.state_name)
            .cloned()
            .unwrap_or_default();
        let n = {
            let mut u = self.used.lock().unwrap();
            let e = u.entry(call.state_name.clone()).or_insert(0);
            *e += 1;
            *e - 1
        };
        let Some(a) = answers.get(n.min(answers.len().saturating_sub(1))).cloned() else {
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
            let engine = self.engine.get().expect("engine set").clone();
            let after = a.get("after_seconds").and_then(Value::as_u64).unwrap_or(0);
            let heartbeat_every = a.get("heartbeat_every").and_then(Value::as_u64);
            let clock = self.clock.clone();
            let a2 = a.clone();
            let kind = kind.to_string();
            tokio::spawn(async move {
                use asl::Clock;
                let start = clock.now();
                if let Some(h) = heartbeat_every {
                    let mut t = start;
                    while t + chrono::Duration::seconds(h as i64)
                        < start + chrono::Duration::seconds(after as i64)
                    {
                        t += chrono::Duration::seconds(h as i64);
                        clock.sleep_until(t).await;
                        let _ = engine.send_task_heartbeat(&token);
                    }
                }
                clock
                    .sleep_until(start + chrono::Duration::seconds(after as i64))
                    .await;
                match kind.as_str() {
                    "success" => {
                        let _ = engine.send_task_success(
                            &token,
                            a2.get("output").cloned().unwrap_or(json!({})),
                        );
                    }
                    "failure" => {
                        let _ = engine.send_task_failure(
                            &token,
                            a2.get("cb_error")
                                .and_then(Value::as_str)
                                .map(str::to_string),
                            a2.get("cb_cause")
                                .and_then(Value::as_str)
                                .map(str::to_string),
                        );
                    }
                    _ => {}
                }
            });
            return Ok(a
                .get("invoke_result")
                .cloned()
                .unwrap_or(json!({"StatusCode": 200})));
        }
        Ok(a.get("result").cloned().unwrap_or(Value::Null))
    }
}

fn start_time() -> DateTime<Utc> {
    "2024-01-01T00:00:00Z".parse().unwrap()
}

fn info() -> ExecutionInfo {
    ExecutionInfo {
        execution_arn: "arn:aws:states:us-east-1:123456789012:execution:Machine:exec-1".into(),
        name: "exec-1".into(),
        state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:Machine".into(),
        state_machine_name: "Machine".into(),
        start_time: start_time(),
        role_arn: Some("arn:aws:iam::123456789012:role/r".into()),
    }
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
                use asl::Clock;
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

async fn run_case(case: &Value) -> Result<(), String> {
    // A string definition is passed verbatim (to test text that is not JSON).
    let def = match &case["definition"] {
        Value::String(s) => s.clone(),
        other => serde_json::to_string(other).unwrap(),
    };
    let expect = &case["expect"];
    if let Some(invalid) = expect.get("invalid") {
        let err = match StateMachine::parse(&def) {
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
        return Ok(());
    }
    let machine = StateMachine::parse(&def).map_err(|e| format!("definition refused: {e}"))?;
    let clock = ManualClock::new(start_time());
    let script: HashMap<String, Vec<Value>> = case
        .get("tasks")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_array().cloned().unwrap_or_else(|| vec![v.clone()]),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let fake = Arc::new(Fake {
        script,
        used: Mutex::default(),
        calls: Mutex::default(),
        engine: OnceLock::new(),
        clock: clock.clone(),
        tokens: Mutex::default(),
    });
    let engine = Engine::new(Arc::new(clock.clone()), fake.clone());
    let _ = fake.engine.set(engine.clone());
    let rec = Arc::new(Recorder::default());
    let handle = engine.start(
        &machine,
        info(),
        case.get("input").cloned().unwrap_or(json!({})),
        rec.clone(),
    );
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
    let events = rec.events.lock().unwrap().clone();
    let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    // Ids are 1.. in order and every event but the first points back to an earlier one.
    for (i, e) in events.iter().enumerate() {
        if e.id != i as u64 + 1
            || (i > 0 && (e.previous_event_id == 0 || e.previous_event_id >= e.id))
        {
            return Err(format!("bad event ids at {i}: {e:?}"));
        }
    }
    if let Some(want) = expect.get("output") {
        match &outcome {
            Outcome::Succeeded(v) if v == want => {}
            other => return Err(format!("expected output {want}, got {other:?}")),
        }
    }
    if let Some(want) = expect.get("output_matches") {
        match &outcome {
            Outcome::Succeeded(v) if matches_subset(want, v) => {}
            other => return Err(format!("expected output matching {want}, got {other:?}")),
        }
    }
    if let Some(check) = expect.get("output_check").and_then(Value::as_str) {
        let Outcome::Succeeded(v) = &outcome else {
            return Err(format!("expected success, got {outcome:?}"));
        };
        check_output(check, v)?;
    }
    if let Some(status) = expect.get("status").and_then(Value::as_str) {
        if outcome.status().as_str() != status {
            return Err(format!("expected status {status}, got {outcome:?}"));
        }
    }
    if let Some(want) = expect.get("error").and_then(Value::as_str) {
        let (error, cause) = match &outcome {
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
    }
    if let Some(want) = expect.get("events") {
        let want: Vec<&str> = want
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
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
    if let Some(gone) = expect.get("events_exclude") {
        for g in gone.as_array().unwrap() {
            if types.contains(&g.as_str().unwrap()) {
                return Err(format!("event {g} should not be in {types:?}"));
            }
        }
    }
    if let Some(want) = expect.get("events_include") {
        for w in want.as_array().unwrap() {
            if !types.contains(&w.as_str().unwrap()) {
                return Err(format!("event {w} missing from {types:?}"));
            }
        }
    }
    if let Some(n) = expect.get("elapsed_seconds").and_then(Value::as_i64) {
        use asl::Clock;
        let el = (clock.now() - start_time()).num_seconds();
        if el != n {
            return Err(format!("expected {n}s of clock time, got {el}s"));
        }
    }
    if let Some(want) = expect.get("calls") {
        let calls = fake.calls.lock().unwrap();
        for (state, params) in want.as_object().unwrap() {
            let got: Vec<&Value> = calls
                .iter()
                .filter(|c| &c.state_name == state)
                .map(|c| &c.parameters)
                .collect();
            let want: Vec<&Value> = params.as_array().unwrap().iter().collect();
            if got.len() != want.len() || !want.iter().zip(&got).all(|(w, g)| matches_subset(w, g))
            {
                return Err(format!(
                    "calls of {state} differ: want {want:?}, got {got:?}"
                ));
            }
        }
    }
    if let Some(want) = expect.get("late_token_answer").and_then(Value::as_str) {
        let token = fake
            .tokens
            .lock()
            .unwrap()
            .last()
            .cloned()
            .ok_or("no token issued")?;
        let got = engine
            .send_task_success(&token, json!({}))
            .err()
            .map(|e| format!("{e:?}"));
        if got.as_deref() != Some(want) {
            return Err(format!("late answer: expected {want}, got {got:?}"));
        }
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
