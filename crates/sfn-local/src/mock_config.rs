//! Step Functions Local's mock configuration file (`SFN_MOCK_CONFIG`), accepted unchanged:
//!
//! ```json
//! {"StateMachines": {"<machine name>": {"TestCases": {"<case>": {"<state>": "<response name>"}}}},
//!  "MockedResponses": {"<response name>": {"0": {"Return": ...}, "1-3": {"Throw": {"Error": "...", "Cause": "..."}}}}}
//! ```
//!
//! An execution started with `<stateMachineArn>#<case>` runs with a
//! [`TaskResources`] wrapper (`MockedTasks`): a Task state the test case names is answered from its mocked
//! responses (by attempt: the n-th call of that state in the execution, retries included,
//! counting from 0) and never calls its integration; every other state runs as usual. The
//! engine records the same events a real call makes, and a `Throw` goes through the state's
//! Retry and Catch like any task error. A `.waitForTaskToken` task is completed by its mock
//! through its task token (`TaskSubmitted`, then `TaskSucceeded` or `TaskFailed`).
//!
//! [`MockSource`] reads the file, refuses a bad one with the place of the error (line and
//! column for JSON syntax, a JSON path for the structure), and reads it again when its
//! modification time or size changes; a bad new version is logged and the last good one kept.

use asl::{Engine, HistoryEvent, IntegrationPattern, TaskCall, TaskError, TaskResources};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The largest mock configuration file read (a file is test data a person writes).
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// The highest attempt number a response range may name.
const MAX_ATTEMPT: u32 = 1_000_000;

/// Why a mock configuration file was refused: the file, where in it, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("mock configuration {}: {at}: {message}", path.display())]
pub struct MockConfigError {
    pub path: PathBuf,
    /// `line L, column C` for JSON syntax, a JSON path (`$.MockedResponses.X.0`) otherwise.
    pub at: String,
    pub message: String,
}

/// One mocked answer.
#[derive(Debug, Clone, PartialEq)]
pub enum MockReply {
    Return(Value),
    Throw(TaskError),
}

/// A named mocked response: answers by attempt ranges, sorted, not overlapping.
#[derive(Debug, Clone, PartialEq)]
pub struct MockedResponse {
    ranges: Vec<(u32, u32, MockReply)>,
}

impl MockedResponse {
    /// The answer to attempt `n` (0 for the first call): the range holding `n`, else the
    /// last range that starts before it (a response used past its last range repeats).
    pub fn reply(&self, n: u32) -> &MockReply {
        let found = self.ranges.iter().find(|(a, b, _)| *a <= n && n <= *b);
        let before = || self.ranges.iter().rev().find(|(a, _, _)| *a <= n);
        let (_, _, r) = found.or_else(before).unwrap_or_else(|| &self.ranges[0]);
        r
    }
}

/// One test case: the mocked Task states of a state machine, by state name.
#[derive(Debug, Clone, PartialEq)]
pub struct TestCase {
    pub name: String,
    states: HashMap<String, Arc<MockedResponse>>,
}

impl TestCase {
    pub fn mocked(&self, state: &str) -> Option<&Arc<MockedResponse>> {
        self.states.get(state)
    }
}

/// A parsed, checked mock configuration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MockConfig {
    /// State machine name -> test case name -> test case.
    machines: HashMap<String, HashMap<String, Arc<TestCase>>>,
}

impl MockConfig {
    pub fn test_case(&self, machine: &str, case: &str) -> Option<Arc<TestCase>> {
        self.machines.get(machine)?.get(case).cloned()
    }

    /// Parses and checks the text of a file (`path` only names it in errors).
    pub fn parse(path: &Path, text: &str) -> Result<MockConfig, MockConfigError> {
        let err = |at: String, message: String| MockConfigError {
            path: path.to_path_buf(),
            at,
            message,
        };
        let root: Value = asl::parse_json_text(text).map_err(|e| {
            err(
                format!("line {}, column {}", e.line(), e.column()),
                format!("not valid JSON: {e}"),
            )
        })?;
        let root = object(&root, "$").map_err(|(a, m)| err(a, m))?;
        for key in root.keys() {
            if key != "StateMachines" && key != "MockedResponses" {
                return Err(err(
                    format!("$.{key}"),
                    "unknown field (expected StateMachines and MockedResponses)".into(),
                ));
            }
        }
        let empty = Map::new();
        let responses = match root.get("MockedResponses") {
            Some(v) => object(v, "$.MockedResponses").map_err(|(a, m)| err(a, m))?,
            None => &empty,
        };
        let mut parsed: HashMap<String, Arc<MockedResponse>> = HashMap::new();
        for (name, v) in responses {
            let at = format!("$.MockedResponses.{name}");
            let r = mocked_response(v, &at).map_err(|(a, m)| err(a, m))?;
            parsed.insert(name.clone(), Arc::new(r));
        }
        let machines = match root.get("StateMachines") {
            Some(v) => object(v, "$.StateMachines").map_err(|(a, m)| err(a, m))?,
            None => &empty,
        };
        let mut out = MockConfig::default();
        for (machine, v) in machines {
            let at = format!("$.StateMachines.{machine}");
            let m = object(v, &at).map_err(|(a, m)| err(a, m))?;
            for key in m.keys() {
                if key != "TestCases" {
                    return Err(err(
                        format!("{at}.{key}"),
                        "unknown field (expected TestCases)".into(),
                    ));
                }
            }
            let cases_at = format!("{at}.TestCases");
            let cases = match m.get("TestCases") {
                Some(c) => object(c, &cases_at).map_err(|(a, m)| err(a, m))?,
                None => &empty,
            };
            let mut by_name = HashMap::new();
            for (case, states) in cases {
                let case_at = format!("{cases_at}.{case}");
                let states = object(states, &case_at).map_err(|(a, m)| err(a, m))?;
                let mut mocked = HashMap::new();
                for (state, response) in states {
                    let state_at = format!("{case_at}.{state}");
                    let Some(name) = response.as_str() else {
                        return Err(err(
                            state_at,
                            "must be the name of a mocked response (a string)".into(),
                        ));
                    };
                    let Some(r) = parsed.get(name) else {
                        return Err(err(
                            state_at,
                            format!(
                                "the mocked response '{name}' is not defined in MockedResponses"
                            ),
                        ));
                    };
                    mocked.insert(state.clone(), r.clone());
                }
                by_name.insert(
                    case.clone(),
                    Arc::new(TestCase {
                        name: case.clone(),
                        states: mocked,
                    }),
                );
            }
            out.machines.insert(machine.clone(), by_name);
        }
        Ok(out)
    }

    /// Reads and parses a file.
    pub fn read(path: &Path) -> Result<MockConfig, MockConfigError> {
        let err = |message: String| MockConfigError {
            path: path.to_path_buf(),
            at: "file".into(),
            message,
        };
        let meta = std::fs::metadata(path).map_err(|e| err(format!("cannot read it: {e}")))?;
        if meta.len() > MAX_FILE_BYTES {
            return Err(err(format!(
                "it is larger than the {MAX_FILE_BYTES} bytes a mock configuration may have"
            )));
        }
        let text =
            std::fs::read_to_string(path).map_err(|e| err(format!("cannot read it: {e}")))?;
        MockConfig::parse(path, &text)
    }
}

fn object<'a>(v: &'a Value, at: &str) -> Result<&'a Map<String, Value>, (String, String)> {
    v.as_object()
        .ok_or_else(|| (at.to_string(), "must be a JSON object".to_string()))
}

/// `"0"` or `"1-3"`: the first and last attempt a response answers.
fn attempt_range(key: &str) -> Option<(u32, u32)> {
    let num = |s: &str| -> Option<u32> {
        let s = s.trim();
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
            .filter(|n| *n <= MAX_ATTEMPT)
    };
    match key.split_once('-') {
        None => num(key).map(|n| (n, n)),
        Some((a, b)) => {
            let (a, b) = (num(a)?, num(b)?);
            (a <= b).then_some((a, b))
        }
    }
}

fn mocked_response(v: &Value, at: &str) -> Result<MockedResponse, (String, String)> {
    let m = object(v, at)?;
    if m.is_empty() {
        return Err((at.to_string(), "must define at least one attempt".into()));
    }
    let mut ranges = Vec::new();
    for (key, reply) in m {
        let here = format!("{at}.{key}");
        let Some((a, b)) = attempt_range(key) else {
            return Err((
                here,
                "an attempt must be a number (\"0\") or a range of numbers (\"1-3\")".into(),
            ));
        };
        ranges.push((a, b, mock_reply(reply, &here)?, here));
    }
    ranges.sort_by_key(|r| r.0);
    for w in ranges.windows(2) {
        if w[1].0 <= w[0].1 {
            return Err((
                w[1].3.clone(),
                format!("overlaps the attempts of {}", w[0].3),
            ));
        }
    }
    Ok(MockedResponse {
        ranges: ranges.into_iter().map(|(a, b, r, _)| (a, b, r)).collect(),
    })
}

fn mock_reply(v: &Value, at: &str) -> Result<MockReply, (String, String)> {
    let m = object(v, at)?;
    match (m.get("Return"), m.get("Throw"), m.len()) {
        (Some(r), None, 1) => Ok(MockReply::Return(r.clone())),
        (None, Some(t), 1) => {
            let at = format!("{at}.Throw");
            let t = object(t, &at)?;
            let text = |field: &str, required: bool| -> Result<String, (String, String)> {
                match t.get(field) {
                    Some(Value::String(s)) => Ok(s.clone()),
                    None if !required => Ok(String::new()),
                    None => Err((format!("{at}.{field}"), "is required".into())),
                    Some(_) => Err((format!("{at}.{field}"), "must be a string".into())),
                }
            };
            if let Some(k) = t.keys().find(|k| *k != "Error" && *k != "Cause") {
                return Err((
                    format!("{at}.{k}"),
                    "unknown field (expected Error and Cause)".into(),
                ));
            }
            Ok(MockReply::Throw(TaskError::new(
                text("Error", true)?,
                text("Cause", false)?,
            )))
        }
        _ => Err((
            at.to_string(),
            "must hold exactly one of Return or Throw".into(),
        )),
    }
}

/// The file's identity as last read: a change of either means it is read again.
type Stamp = (Option<std::time::SystemTime>, u64);

fn stamp(path: &Path) -> Option<Stamp> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok(), m.len()))
}

/// The mock configuration file in use, read again when it changes.
pub struct MockSource {
    path: PathBuf,
    state: Mutex<(Option<Stamp>, Arc<MockConfig>)>,
}

impl std::fmt::Debug for MockSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockSource")
            .field("path", &self.path)
            .finish()
    }
}

impl MockSource {
    /// Reads the file; a bad one is refused (the runtime does not start with it).
    pub fn load(path: impl Into<PathBuf>) -> Result<MockSource, MockConfigError> {
        let path = path.into();
        let st = stamp(&path);
        let cfg = MockConfig::read(&path)?;
        Ok(MockSource {
            path,
            state: Mutex::new((st, Arc::new(cfg))),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The configuration now: the file is read again if it changed since it was last read;
    /// a bad or unreadable new version is logged and the last good one kept.
    pub fn current(&self) -> Arc<MockConfig> {
        let now = stamp(&self.path);
        let mut st = crate::model::lock(&self.state);
        if now != st.0 {
            st.0 = now;
            match MockConfig::read(&self.path) {
                Ok(cfg) => {
                    tracing::info!(path = %self.path.display(), "mock configuration reloaded");
                    st.1 = Arc::new(cfg);
                }
                Err(e) => {
                    tracing::warn!("{e}; the last good mock configuration stays in use");
                }
            }
        }
        st.1.clone()
    }
}

/// The task resources of an execution started as a test case.
pub(crate) struct MockedTasks {
    inner: Arc<dyn TaskResources>,
    engine: Engine,
    case: Arc<TestCase>,
    /// Calls so far of each mocked state in this execution.
    attempts: Mutex<HashMap<String, u32>>,
}

impl MockedTasks {
    /// `history`: what a resumed execution recorded already (its attempts count on).
    pub fn new(
        inner: Arc<dyn TaskResources>,
        engine: Engine,
        case: Arc<TestCase>,
        history: &[HistoryEvent],
    ) -> MockedTasks {
        MockedTasks {
            inner,
            engine,
            attempts: Mutex::new(attempts_in(&case, history)),
            case,
        }
    }
}

/// Calls of each mocked state a history shows: its scheduled tasks, each counted for the
/// Task state last entered.
fn attempts_in(case: &TestCase, history: &[HistoryEvent]) -> HashMap<String, u32> {
    use asl::{EventDetails, EventType};
    let mut counts: HashMap<String, u32> = HashMap::new();
    let mut current: Option<&str> = None;
    for ev in history {
        match (&ev.event_type, &ev.details) {
            (EventType::TaskStateEntered, Some(EventDetails::StateEntered(d))) => {
                current = Some(&d.name);
            }
            (EventType::TaskScheduled | EventType::LambdaFunctionScheduled, _) => {
                if let Some(s) = current.filter(|s| case.mocked(s).is_some()) {
                    *counts.entry(s.to_string()).or_default() += 1;
                }
            }
            _ => {}
        }
    }
    counts
}

#[async_trait::async_trait]
impl TaskResources for MockedTasks {
    async fn invoke(&self, call: TaskCall) -> Result<Value, TaskError> {
        let Some(response) = self.case.mocked(&call.state_name) else {
            return self.inner.invoke(call).await;
        };
        let n = {
            let mut a = crate::model::lock(&self.attempts);
            let n = a.entry(call.state_name.clone()).or_default();
            *n += 1;
            *n - 1
        };
        let reply = response.reply(n).clone();
        match (call.pattern, &call.task_token) {
            // The mock answers through the token, as the worker it stands for would; a
            // returned value is also what the call that handed the token out submitted.
            (IntegrationPattern::WaitForTaskToken, Some(token)) => {
                let (sent, submitted) = match reply {
                    MockReply::Return(v) => (self.engine.send_task_success(token, v.clone()), v),
                    MockReply::Throw(e) => (
                        self.engine
                            .send_task_failure(token, Some(e.error), Some(e.cause)),
                        json!({}),
                    ),
                };
                sent.map_err(|e| TaskError::new("States.Runtime", e.to_string()))?;
                Ok(submitted)
            }
            _ => match reply {
                MockReply::Return(v) => Ok(v),
                MockReply::Throw(e) => Err(e),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<MockConfig, MockConfigError> {
        MockConfig::parse(Path::new("mock.json"), text)
    }

    const GOOD: &str = r#"{
      "StateMachines": {"M": {"TestCases": {"Happy": {"A": "Ok"}, "Retry": {"A": "FailTwice"}}}},
      "MockedResponses": {
        "Ok": {"0": {"Return": {"StatusCode": 200}}},
        "FailTwice": {"0-1": {"Throw": {"Error": "Lambda.TooManyRequestsException", "Cause": "busy"}},
                      "2": {"Return": {"done": true}}}
      }
    }"#;

    #[test]
    fn a_good_file_gives_test_cases_and_replies_by_attempt() {
        let cfg = parse(GOOD).unwrap();
        let case = cfg.test_case("M", "Retry").unwrap();
        let r = case.mocked("A").unwrap();
        let err = MockReply::Throw(TaskError::new("Lambda.TooManyRequestsException", "busy"));
        assert_eq!(r.reply(0), &err);
        assert_eq!(r.reply(1), &err);
        assert_eq!(r.reply(2), &MockReply::Return(json!({"done": true})));
        // Past the last range, the last response repeats.
        assert_eq!(r.reply(7), &MockReply::Return(json!({"done": true})));
        assert!(cfg.test_case("M", "Nope").is_none());
        assert!(cfg.test_case("Other", "Happy").is_none());
        assert!(case.mocked("B").is_none());
    }

    #[test]
    fn bad_files_are_refused_with_the_place_of_the_error() {
        let e = parse("{\n  \"StateMachines\": {,\n}").unwrap_err();
        assert_eq!(e.at, "line 2, column 21");
        let cases = [
            (r#"{"StateMachines": []}"#, "$.StateMachines"),
            (
                r#"{"StateMachines": {"M": {"TestCases": {"C": {"A": "Missing"}}}}}"#,
                "$.StateMachines.M.TestCases.C.A",
            ),
            (
                r#"{"MockedResponses": {"R": {"x": {"Return": 1}}}}"#,
                "$.MockedResponses.R.x",
            ),
            (
                r#"{"MockedResponses": {"R": {"0": {"Throw": {"Cause": "c"}}}}}"#,
                "$.MockedResponses.R.0.Throw.Error",
            ),
            (
                r#"{"MockedResponses": {"R": {"0": {"Return": 1, "Throw": {"Error": "e"}}}}}"#,
                "$.MockedResponses.R.0",
            ),
            (
                r#"{"MockedResponses": {"R": {"0-2": {"Return": 1}, "2": {"Return": 2}}}}"#,
                "$.MockedResponses.R.2",
            ),
            (
                r#"{"MockedResponses": {"R": {"3-1": {"Return": 1}}}}"#,
                "$.MockedResponses.R.3-1",
            ),
            (r#"{"Mocks": {}}"#, "$.Mocks"),
        ];
        for (text, at) in cases {
            let e = parse(text).unwrap_err();
            assert_eq!(e.at, at, "{text}: {e}");
            assert!(e.to_string().contains("mock.json"), "{e}");
        }
    }

    #[test]
    fn a_changed_file_is_read_again_and_a_broken_one_keeps_the_last_good() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mock.json");
        std::fs::write(&path, GOOD).unwrap();
        let src = MockSource::load(&path).unwrap();
        assert!(src.current().test_case("M", "Happy").is_some());
        let renamed = GOOD.replace("\"Happy\"", "\"Sunny\"");
        std::fs::write(&path, &renamed).unwrap();
        let cfg = src.current();
        assert!(cfg.test_case("M", "Sunny").is_some());
        assert!(cfg.test_case("M", "Happy").is_none());
        std::fs::write(&path, "{ not json, and longer than before }").unwrap();
        assert!(src.current().test_case("M", "Sunny").is_some());
        std::fs::write(&path, "[").unwrap();
        assert!(MockSource::load(&path).is_err());
    }
}
