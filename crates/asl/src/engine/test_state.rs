//! TestState: one state run once, on its own, with what the request gives it (input,
//! variables, context, a mocked result or error, how many retries came before), reporting
//! how it ended and its data at each processing step.
//!
//! The state runs through the same code as in an execution. A mocked Task is answered by
//! a [`TaskResources`] that returns the mock (the task port, as for any Task); a mocked
//! Parallel or Map takes the mock as the result of its attempt instead of running its
//! branches or iterations. Nothing is retried: a matching retrier with attempts left ends
//! the test as RETRIABLE, with the backoff the retry would wait. A Wait does not wait.

use super::run::{AttemptCtx, Exec, Transition};
use super::{Engine, ExecutionInfo};
use crate::definition::{Kind, Lang, State, StateMachine};
use crate::fault::Fault;
use crate::paths::Vars;
use crate::task::{IntegrationPattern, TaskCall, TaskError, TaskResources};
use serde_json::{json, Map, Value};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

/// The error Map raises when more iterations failed than it tolerates.
const EXCEEDED: &str = "States.ExceedToleratedFailureThreshold";

/// The data of each processing step of the state, as far as it got (TestState's
/// `inspectionData`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inspection {
    pub input: Option<Value>,
    pub after_input_path: Option<Value>,
    pub after_parameters: Option<Value>,
    pub after_arguments: Option<Value>,
    pub result: Option<Value>,
    pub after_result_selector: Option<Value>,
    pub after_result_path: Option<Value>,
    /// The variables after the state (the given ones and those it assigned).
    pub variables: Option<Value>,
    pub after_items_path: Option<Value>,
    pub max_concurrency: Option<u64>,
    pub tolerated_failure_count: Option<u64>,
    pub tolerated_failure_percentage: Option<f64>,
    pub catch_index: Option<usize>,
    pub retry_index: Option<usize>,
    pub retry_backoff_interval_seconds: Option<u64>,
}

pub(crate) type Probe = Arc<Mutex<Inspection>>;

impl Exec {
    /// Records a step of the state's data flow when a TestState watches.
    pub(crate) fn inspect(&self, f: impl FnOnce(&mut Inspection)) {
        if let Some(p) = &self.probe {
            f(&mut p.lock().unwrap_or_else(|e| e.into_inner()));
        }
    }
}

/// How the tested state ended (TestState's `status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestStatus {
    Succeeded,
    Failed,
    Retriable,
    CaughtError,
}

impl TestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TestStatus::Succeeded => "SUCCEEDED",
            TestStatus::Failed => "FAILED",
            TestStatus::Retriable => "RETRIABLE",
            TestStatus::CaughtError => "CAUGHT_ERROR",
        }
    }
}

/// What a TestState request asks the engine to run.
#[derive(Debug, Clone)]
pub struct StateTest {
    /// Identity for the default context object.
    pub info: ExecutionInfo,
    pub input: Value,
    pub variables: Map<String, Value>,
    /// The context object to use as is (`None`: one made from `info`).
    pub context: Option<Value>,
    /// The mocked result (`Ok`) or error (`Err`) of the state.
    pub mock: Option<Result<Value, TaskError>>,
    /// Retries that came before this attempt (`stateConfiguration.retrierRetryCount`).
    pub retrier_retry_count: u32,
    /// Map iterations that failed (`stateConfiguration.mapIterationFailureCount`).
    pub map_iteration_failure_count: Option<u64>,
}

/// How the state ended, and its data flow.
#[derive(Debug, Clone, PartialEq)]
pub struct StateTestResult {
    pub status: TestStatus,
    pub output: Option<Value>,
    pub error: Option<String>,
    pub cause: Option<String>,
    pub next_state: Option<String>,
    pub inspection: Inspection,
}

/// Answers every Task with the mock; a callback task through its token.
struct MockedTask {
    engine: Engine,
    reply: Result<Value, TaskError>,
}

#[async_trait::async_trait]
impl TaskResources for MockedTask {
    async fn invoke(&self, call: TaskCall) -> Result<Value, TaskError> {
        let (IntegrationPattern::WaitForTaskToken, Some(token)) = (call.pattern, &call.task_token)
        else {
            return self.reply.clone();
        };
        let sent = match self.reply.clone() {
            Ok(v) => self.engine.send_task_success(token, v),
            Err(e) => self
                .engine
                .send_task_failure(token, Some(e.error), Some(e.cause)),
        };
        sent.map_err(|e| TaskError::new("States.Runtime", e.to_string()))?;
        Ok(json!({}))
    }
}

fn millis(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The seconds a retry would wait after `count` retries by retrier `r`.
fn backoff_seconds(r: &crate::definition::Retrier, count: u32) -> u64 {
    let mut delay = r.interval as f64 * r.backoff.powi(count.min(1_000) as i32);
    if let Some(max) = r.max_delay {
        delay = delay.min(max as f64);
    }
    delay.clamp(0.0, u32::MAX as f64) as u64
}

impl Engine {
    /// Runs state `state_name` of `machine` once, as TestState does.
    pub async fn test_state(
        &self,
        machine: &StateMachine,
        state_name: &str,
        t: StateTest,
    ) -> Option<StateTestResult> {
        let m = &machine.machine;
        let st = &m.states[*m.index.get(state_name)?];
        let probe: Probe = Arc::default();
        let input = Arc::new(t.input.clone());
        let resources: Option<Arc<dyn TaskResources>> = match (&st.kind, &t.mock) {
            (Kind::Task(_), Some(reply)) => Some(Arc::new(MockedTask {
                engine: self.clone(),
                reply: reply.clone(),
            })),
            _ => None,
        };
        let now = self.inner.clock.now();
        let context = t.context.clone().unwrap_or_else(|| {
            let mut c = json!({
                "Execution": {
                    "Id": t.info.execution_arn,
                    "Input": t.input,
                    "Name": t.info.name,
                    "RoleArn": t.info.role_arn,
                    "StartTime": millis(t.info.start_time),
                },
                "StateMachine": {"Id": t.info.state_machine_arn, "Name": t.info.state_machine_name},
                // AWS's TestState names the state "StateName" here, whatever its name.
                "State": {"Name": "StateName", "EnteredTime": millis(now)},
            });
            // TestState gives the states that can retry a RetryCount, Retry field or not.
            if matches!(
                st.kind,
                Kind::Task(_) | Kind::Parallel { .. } | Kind::Map(_)
            ) {
                c["State"]["RetryCount"] = json!(t.retrier_retry_count);
            }
            c
        });
        let mut ex = self.exec(
            t.info.clone(),
            input.clone(),
            Arc::new(crate::observer::NoopObserver),
            1,
            resources,
            super::run::Redrive::default(),
        );
        if let Some(e) = Arc::get_mut(&mut ex) {
            e.context_override = Some(Arc::new(context));
            e.probe = Some(probe.clone());
        }
        // A Wait does not wait.
        ex.shared.skip_next.store(true, Ordering::SeqCst);
        ex.inspect(|i| i.input = Some(t.input.clone()));
        let mut vars: Vars = Arc::new(t.variables.clone());
        let mut prev = 0;
        let (entered, _) = ex.enter(st, &input, &mut prev, None);
        let retryable = matches!(
            st.kind,
            Kind::Task(_) | Kind::Parallel { .. } | Kind::Map(_)
        );
        let mut result = if retryable {
            let at = AttemptCtx {
                st,
                input: &input,
                entered,
                retry: t.retrier_retry_count,
                vars: &vars,
            };
            let attempt = match (&st.kind, &t.mock) {
                (Kind::Parallel { .. } | Kind::Map(_), Some(mock)) => {
                    let env = ex.env(st, entered, t.retrier_retry_count, None, &vars);
                    fan_out_mock(&ex, st, machine, &input, mock, &t, &env)
                }
                _ => ex.attempt(at, &mut prev, &mut None).await,
            };
            let r = t.retrier_retry_count;
            let concluded =
                attempt.and_then(|v| ex.conclude_attempt(st, &input, entered, r, v, &mut vars));
            match concluded {
                Ok(tr) => succeeded(m, tr),
                Err(f) => handle_error(&ex, st, m, &input, f, entered, r, &mut vars),
            }
        } else {
            match ex
                .run_state(
                    st,
                    input.clone(),
                    &mut prev,
                    entered,
                    None,
                    &mut vars,
                    false,
                )
                .await
            {
                Ok(tr) => succeeded(m, tr),
                Err(f) => failed(f),
            }
        };
        if !retryable && st.lang == Lang::JsonPath {
            // The one-step states read their input through InputPath first.
            if let Ok(eff) =
                super::flow::apply_io(&st.input_path, &input, &ex.env(st, entered, 0, None, &vars))
            {
                ex.inspect(|i| {
                    i.after_input_path.get_or_insert_with(|| (*eff).clone());
                });
            }
        }
        // An output over Step Functions' payload limit fails the state, as in an execution.
        if let Some(o) = &result.output {
            if crate::limits::exceeds(o, crate::limits::PAYLOAD_BYTES) {
                let cause = crate::limits::result_too_large(&st.name);
                result = failed(Fault::new(crate::fault::DATA_LIMIT, cause));
            }
        }
        if !vars.is_empty() {
            ex.inspect(|i| i.variables = Some(Value::Object((*vars).clone())));
        }
        let mut inspection = probe.lock().unwrap_or_else(|e| e.into_inner()).clone();
        keep_inspected(st, &mut inspection);
        inspection.catch_index = result.inspection.catch_index;
        inspection.retry_index = result.inspection.retry_index;
        inspection.retry_backoff_interval_seconds =
            result.inspection.retry_backoff_interval_seconds;
        result.inspection = inspection;
        Some(result)
    }
}

/// What each state type reports of its data flow, as TestState reports it.
fn keep_inspected(st: &State, i: &mut Inspection) {
    match (&st.kind, st.lang) {
        // A Pass state with `Result` reports the result, not the steps before it; without
        // one, the steps before it and not a result.
        (Kind::Pass { result: Some(_) }, _) => {
            i.after_input_path = None;
            i.after_parameters = None;
        }
        (Kind::Pass { result: None }, _) => i.result = None,
        (Kind::Choice { .. } | Kind::Succeed | Kind::Fail { .. } | Kind::Wait(_), _) => {
            i.after_parameters = None;
            i.result = None;
            i.after_result_selector = None;
            i.after_result_path = None;
        }
        (Kind::Parallel { .. }, _) => {
            i.after_input_path = None;
            i.after_parameters = None;
            i.result = None;
        }
        (Kind::Map(_), _) => i.result = None,
        _ => {}
    }
    if st.lang == Lang::Jsonata {
        i.after_input_path = None;
        i.after_parameters = None;
        i.after_result_selector = None;
        i.after_result_path = None;
        i.after_items_path = None;
        if matches!(st.kind, Kind::Parallel { .. } | Kind::Map(_)) {
            i.result = None;
        }
    }
}

fn succeeded(m: &crate::definition::Machine, tr: Transition) -> StateTestResult {
    StateTestResult {
        status: TestStatus::Succeeded,
        output: Some(Arc::unwrap_or_clone(tr.output)),
        error: None,
        cause: None,
        next_state: tr.next.map(|n| m.states[n].name.to_string()),
        inspection: Inspection::default(),
    }
}

fn none_if_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

fn failed(f: Fault) -> StateTestResult {
    StateTestResult {
        status: TestStatus::Failed,
        output: None,
        error: none_if_empty(f.error),
        cause: none_if_empty(f.cause),
        next_state: None,
        inspection: Inspection::default(),
    }
}

/// An error of a Task, Parallel or Map attempt: RETRIABLE while a matching retrier has
/// attempts left, else caught by the first matching catcher, else FAILED.
#[allow(clippy::too_many_arguments)]
fn handle_error(
    ex: &Exec,
    st: &State,
    m: &crate::definition::Machine,
    input: &Arc<Value>,
    f: Fault,
    entered: super::run::Entered,
    retry_count: u32,
    vars: &mut Vars,
) -> StateTestResult {
    let mut out = failed(f.clone());
    if let Some(ri) = st.retrier_for(&f) {
        let r = &st.retry[ri];
        out.inspection.retry_index = Some(ri);
        if retry_count < r.max_attempts {
            out.status = TestStatus::Retriable;
            out.inspection.retry_backoff_interval_seconds = Some(backoff_seconds(r, retry_count));
            return out;
        }
    }
    let Some(c) = st.catcher_for(&f) else {
        return out;
    };
    let index = st.catch.iter().position(|x| std::ptr::eq(x, c));
    match ex.caught(st, c, input, f, entered, retry_count, vars) {
        Ok(tr) => {
            out.status = TestStatus::CaughtError;
            out.output = Some(Arc::unwrap_or_clone(tr.output));
            out.next_state = tr.next.map(|n| m.states[n].name.to_string());
            out.inspection.catch_index = index;
            out.inspection.retry_index = None;
            out
        }
        Err(f2) => failed(f2),
    }
}

/// A mocked Parallel or Map attempt: the mock is its result (or its error); a Map whose
/// failed iterations exceed what it tolerates fails with `States.ExceedToleratedFailureThreshold`.
#[allow(clippy::too_many_arguments)]
fn fan_out_mock(
    ex: &Exec,
    st: &State,
    machine: &StateMachine,
    input: &Arc<Value>,
    mock: &Result<Value, TaskError>,
    t: &StateTest,
    env: &crate::paths::Env,
) -> Result<Value, Fault> {
    if let Kind::Map(spec) = &st.kind {
        let raw = machine_state_json(machine, &st.name);
        let num = |k: &str| raw.and_then(|s| s.get(k)).and_then(Value::as_u64);
        let pct = raw
            .and_then(|s| s.get("ToleratedFailurePercentage"))
            .and_then(Value::as_f64);
        let max_concurrency = match &spec.max_concurrency {
            Some(crate::definition::Secs::Fixed(n)) => *n,
            _ => 0,
        };
        let tolerated = num("ToleratedFailureCount");
        // The items are read as in an execution: a mock does not excuse a bad ItemsPath.
        // (An ItemReader's items are in its source, which the mock stands for.)
        let reads_source = raw.is_some_and(|s| s.contains_key("ItemReader"));
        if !reads_source {
            if st.lang == Lang::JsonPath {
                let eff = super::flow::apply_io(&st.input_path, input, env)?;
                ex.inspect(|i| i.after_input_path = Some((*eff).clone()));
            }
            let items = ex.map_items(st, spec, input, env)?;
            if st.lang == Lang::JsonPath {
                ex.inspect(|i| i.after_items_path = Some(Value::Array(items)));
            }
        }
        ex.inspect(|i| {
            i.max_concurrency = Some(max_concurrency);
            i.tolerated_failure_count = tolerated;
            i.tolerated_failure_percentage = pct;
        });
        if let (Ok(Value::Array(items)), Some(failures)) = (mock, t.map_iteration_failure_count) {
            let share = failures as f64 * 100.0 / items.len().max(1) as f64;
            let exceeded = match (tolerated, pct) {
                (None, None) => failures > 0,
                (c, p) => c.is_some_and(|c| failures > c) || p.is_some_and(|p| share > p),
            };
            if exceeded {
                return Err(Fault::new(
                    EXCEEDED,
                    "The specified tolerated failure threshold was exceeded",
                ));
            }
        }
    }
    mock.clone().map_err(|e| Fault::new(e.error, e.cause))
}

/// The JSON of top-level state `name` in the definition.
fn machine_state_json<'a>(machine: &'a StateMachine, name: &str) -> Option<&'a Map<String, Value>> {
    machine.definition().get("States")?.get(name)?.as_object()
}
