//! TestState: runs one state (a state definition, or a state of a whole machine named by
//! `stateName`) once, with a mocked result or error if given, and answers how it ended and,
//! at DEBUG and TRACE, its data at each processing step. Without a mock a Task calls the
//! real local integration, as AWS calls the real one.

use super::mock_schema;
use super::start_execution::input_error;
use crate::error::SfnError;
use crate::req::Req;
use crate::service::Core;
use asl::{ExecutionInfo, Inspection, StateTest, StateTestResult, TaskError};
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// The name a single-state definition runs under.
const SINGLE_STATE: &str = "StateName";
/// How long a tested state may run (AWS: five minutes, then `States.Timeout`).
const TEST_SECONDS: i64 = 300;
const MAX_DATA: usize = 262_144;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Info,
    Debug,
    Trace,
}

/// How strictly a mocked result is checked against the integration's API model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldValidation {
    Strict,
    Present,
    None,
}

struct Mock {
    result: Option<String>,
    error: Option<TaskError>,
    validation: FieldValidation,
}

struct Request {
    definition: String,
    role_arn: Option<String>,
    input: String,
    level: Level,
    reveal_secrets: bool,
    variables: Option<String>,
    state_name: Option<String>,
    mock: Option<Mock>,
    context: Option<String>,
    retrier_retry_count: u32,
    error_caused_by_state: Option<String>,
    map_iteration_failure_count: Option<u64>,
}

fn invalid(msg: impl Into<String>) -> SfnError {
    SfnError::Validation(msg.into())
}

fn enum_member<T: Copy>(
    r: &Req<'_>,
    member: &str,
    values: &[(&str, T)],
) -> Result<Option<T>, SfnError> {
    let Some(v) = r.opt_str(member)? else {
        return Ok(None);
    };
    match values.iter().find(|(name, _)| *name == v) {
        Some((_, t)) => Ok(Some(*t)),
        None => {
            let names: Vec<&str> = values.iter().map(|(n, _)| *n).collect();
            Err(SfnError::constraint(
                &format!("'{v}'"),
                member,
                &format!("Member must satisfy enum value set: [{}]", names.join(", ")),
            ))
        }
    }
}

/// A non-negative integer member.
fn count(r: &Req<'_>, member: &str, path: &str) -> Result<Option<u64>, SfnError> {
    match r.opt_i64(member)? {
        None => Ok(None),
        Some(n) if n < 0 => Err(SfnError::constraint(
            &format!("'{n}'"),
            path,
            "Member must have value greater than or equal to 0",
        )),
        Some(n) => Ok(Some(n as u64)),
    }
}

fn structure<'a>(r: &Req<'a>, member: &str) -> Result<Option<Req<'a>>, SfnError> {
    match r.opt_value(member) {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Object(_)) => Ok(Some(Req::new(v)?)),
        Some(_) => Err(SfnError::Serialization(format!(
            "Expected a structure for member '{member}'"
        ))),
    }
}

fn read(body: &Value) -> Result<Request, SfnError> {
    let r = Req::new(body)?;
    let definition = r
        .bounded("definition", 1, 1_048_576)?
        .ok_or_else(|| SfnError::null("definition"))?
        .to_string();
    let role_arn = r.bounded("roleArn", 1, 256)?.map(str::to_string);
    let input = r.bounded("input", 0, MAX_DATA)?.unwrap_or("{}").to_string();
    let level = enum_member(
        &r,
        "inspectionLevel",
        &[
            ("INFO", Level::Info),
            ("DEBUG", Level::Debug),
            ("TRACE", Level::Trace),
        ],
    )?
    .unwrap_or(Level::Info);
    let reveal_secrets = r.opt_bool("revealSecrets")?.unwrap_or(false);
    let variables = r.bounded("variables", 0, MAX_DATA)?.map(str::to_string);
    let state_name = r.bounded("stateName", 1, 80)?.map(str::to_string);
    let context = r.bounded("context", 0, MAX_DATA)?.map(str::to_string);
    let mock = match structure(&r, "mock")? {
        None => None,
        Some(m) => {
            let result = m.bounded("result", 0, MAX_DATA)?.map(str::to_string);
            let error = match structure(&m, "errorOutput")? {
                None => None,
                Some(e) => {
                    let error = e.bounded("error", 0, 256)?;
                    let cause = e.bounded("cause", 0, 32_768)?.unwrap_or_default();
                    let error = error
                        .ok_or_else(|| invalid("A mocked error output must have an error."))?;
                    Some(TaskError::new(error, cause))
                }
            };
            let validation = enum_member(
                &m,
                "fieldValidationMode",
                &[
                    ("STRICT", FieldValidation::Strict),
                    ("PRESENT", FieldValidation::Present),
                    ("NONE", FieldValidation::None),
                ],
            )?
            .unwrap_or(FieldValidation::Strict);
            Some(Mock {
                result,
                error,
                validation,
            })
        }
    };
    let (mut retrier_retry_count, mut error_caused_by_state, mut map_iteration_failure_count) =
        (0, None, None);
    if let Some(c) = structure(&r, "stateConfiguration")? {
        let retries = count(
            &c,
            "retrierRetryCount",
            "stateConfiguration.retrierRetryCount",
        )?;
        retrier_retry_count = retries.unwrap_or(0).min(u32::MAX as u64) as u32;
        error_caused_by_state = c.bounded("errorCausedByState", 1, 80)?.map(str::to_string);
        map_iteration_failure_count = count(
            &c,
            "mapIterationFailureCount",
            "stateConfiguration.mapIterationFailureCount",
        )?;
        c.bounded("mapItemReaderData", 0, MAX_DATA)?;
    }
    Ok(Request {
        definition,
        role_arn,
        input,
        level,
        reveal_secrets,
        variables,
        state_name,
        mock,
        context,
        retrier_retry_count,
        error_caused_by_state,
        map_iteration_failure_count,
    })
}

fn definition_error(e: asl::DefinitionError) -> SfnError {
    let parts: Vec<String> = e.diagnostics.iter().map(|d| d.to_string()).collect();
    SfnError::InvalidDefinition(format!(
        "Invalid State Machine Definition: '{}'",
        parts.join(", ")
    ))
}

/// The targets a state names (Next, Default, each Choice's and Catcher's Next).
fn targets(state: &Map<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |v: Option<&Value>| {
        if let Some(Value::String(s)) = v {
            out.push(s.clone());
        }
    };
    push(state.get("Next"));
    push(state.get("Default"));
    for list in ["Choices", "Catch"] {
        if let Some(Value::Array(items)) = state.get(list) {
            for i in items {
                push(i.get("Next"));
            }
        }
    }
    out
}

/// The machine to run and the name of the state under test: a whole definition with
/// `stateName`, or a single state made into a machine whose other states only stand for
/// the targets it names.
fn machine(req: &Request) -> Result<(asl::StateMachine, String, Map<String, Value>), SfnError> {
    if let Some(name) = &req.state_name {
        let m = asl::StateMachine::parse(&req.definition).map_err(definition_error)?;
        let state = m
            .definition()
            .get("States")
            .and_then(|s| s.get(name))
            .and_then(Value::as_object)
            .cloned()
            .ok_or_else(|| invalid("State not found in definition"))?;
        return Ok((m, name.clone(), state));
    }
    let state: Value = asl::parse_json_text(&req.definition).map_err(|e| {
        SfnError::InvalidDefinition(format!(
            "Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: {e}'"
        ))
    })?;
    let Value::Object(state) = state else {
        return Err(SfnError::InvalidDefinition(
            "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The state definition must be a JSON object at /States/StateName'".into(),
        ));
    };
    let mut states = Map::new();
    states.insert(SINGLE_STATE.into(), Value::Object(state.clone()));
    for t in targets(&state) {
        if t != SINGLE_STATE {
            states.insert(t, json!({"Type": "Succeed"}));
        }
    }
    let mut def = json!({"StartAt": SINGLE_STATE, "States": states});
    // A JSONata state's nested states (a Map's processor, Parallel branches) inherit it.
    if state.get("QueryLanguage").and_then(Value::as_str) == Some("JSONata") {
        def["QueryLanguage"] = json!("JSONata");
    }
    let m = asl::StateMachine::parse(&def.to_string()).map_err(definition_error)?;
    Ok((m, SINGLE_STATE.into(), state))
}

/// The states inside a Parallel's branches or a Map's item processor.
fn nested_state_names(state: &Map<String, Value>, out: &mut Vec<String>) {
    let mut machines: Vec<&Value> = Vec::new();
    if let Some(Value::Array(b)) = state.get("Branches") {
        machines.extend(b.iter());
    }
    for key in ["ItemProcessor", "Iterator"] {
        if let Some(p) = state.get(key) {
            machines.push(p);
        }
    }
    for m in machines {
        if let Some(Value::Object(states)) = m.get("States") {
            for (name, s) in states {
                out.push(name.clone());
                if let Value::Object(s) = s {
                    nested_state_names(s, out);
                }
            }
        }
    }
}

fn json_data(text: &str, what: &str) -> Result<Value, SfnError> {
    asl::parse_json_text(text).map_err(|_| invalid(format!("{what} must be valid JSON")))
}

/// The context object given: the fields a context may have, with their types.
fn check_context(text: &str, state: &Map<String, Value>) -> Result<Value, SfnError> {
    let bad = |m: String| invalid(format!("Invalid Context object provided: {m}"));
    let ctx = asl::parse_json_text(text).map_err(|_| bad("it is not valid JSON".into()))?;
    let Some(obj) = ctx.as_object() else {
        return Err(bad("it must be a JSON object".into()));
    };
    let allowed: &[(&str, &[&str])] = &[
        (
            "Execution",
            &[
                "Id",
                "Input",
                "Name",
                "RoleArn",
                "StartTime",
                "RedriveCount",
                "RedriveTime",
            ],
        ),
        ("State", &["EnteredTime", "Name", "RetryCount"]),
        ("StateMachine", &["Id", "Name"]),
        ("Task", &["Token"]),
    ];
    for (k, v) in obj {
        if k == "Map" {
            return Err(bad(
                "'Map' field is not supported when mocking a Context object".into(),
            ));
        }
        let Some((_, fields)) = allowed.iter().find(|(name, _)| name == k) else {
            return Err(bad(format!("Field '{k}' is not allowed")));
        };
        let Some(inner) = v.as_object() else {
            return Err(bad(format!("{k} must be an object")));
        };
        for (f, fv) in inner {
            if !fields.contains(&f.as_str()) {
                return Err(bad(format!("Field '{f}' is not allowed")));
            }
            let string_field = !matches!(f.as_str(), "Input" | "RetryCount" | "RedriveCount");
            if string_field && !fv.is_string() && !fv.is_null() {
                return Err(bad(format!("{k}.{f} must be a string")));
            }
        }
    }
    if obj.contains_key("Task") {
        let resource = state.get("Resource").and_then(Value::as_str).unwrap_or("");
        let callback = resource.ends_with(".waitForTaskToken")
            || resource.ends_with(".sync")
            || resource.ends_with(".sync:2");
        if state.get("Type").and_then(Value::as_str) != Some("Task") || !callback {
            return Err(bad("Context object contains 'Task' when state is not a Task state with a '.sync' or '.waitForTaskToken' service integration pattern".into()));
        }
    }
    Ok(ctx)
}

/// The request's checks that need the state: what may be mocked, what must be.
fn check_against_state(
    req: &Request,
    state: &Map<String, Value>,
) -> Result<Option<Result<Value, TaskError>>, SfnError> {
    let ty = state.get("Type").and_then(Value::as_str).unwrap_or("");
    let fan_out = ty == "Map" || ty == "Parallel";
    let Some(mock) = &req.mock else {
        if fan_out {
            return Err(SfnError::InvalidDefinition(
                "TestState API does not support Map or Parallel states. Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]".into(),
            ));
        }
        if req.map_iteration_failure_count.is_some() {
            return Err(invalid(
                "TestState does not support MapIterationFailureCount when a mock is not specified.",
            ));
        }
        if req.context.is_some() {
            return Err(invalid(
                "TestState does not support Context when a mock is not specified.",
            ));
        }
        if ty == "Task" {
            let resource = state.get("Resource").and_then(Value::as_str).unwrap_or("");
            if req.role_arn.is_none() {
                return Err(invalid(
                    "RoleArn must be specified when testing a Task state",
                ));
            }
            let pattern = [".waitForTaskToken", ".sync", ".sync:2"]
                .into_iter()
                .find(|s| resource.ends_with(s));
            if let Some(p) = pattern {
                return Err(invalid(format!(
                    "TestState does not support the '{p}' service integration pattern when a mock is not specified."
                )));
            }
            if resource.contains(":activity:") {
                return Err(invalid(
                    "TestState does not support Activity tasks when a mock is not specified.",
                ));
            }
        }
        return Ok(None);
    };
    if mock.result.is_some() == mock.error.is_some() {
        return Err(invalid(
            "A test mock should have only one of the following fields: [result, errorOutput].",
        ));
    }
    if req.reveal_secrets {
        return Err(invalid(
            "TestState does not support RevealSecrets when a mock is specified.",
        ));
    }
    if !matches!(ty, "Task" | "Map" | "Parallel") {
        return Err(invalid(format!(
            "State type '{ty}' is not supported when a mock is specified"
        )));
    }
    if let Some(origin) = &req.error_caused_by_state {
        let mut names = Vec::new();
        nested_state_names(state, &mut names);
        if !fan_out || !names.contains(origin) {
            return Err(invalid(format!(
                "State '{origin}' named by errorCausedByState is not a state of the Map or Parallel state under test"
            )));
        }
    }
    let Some(text) = &mock.result else {
        return Ok(mock.error.clone().map(Err));
    };
    let result = json_data(text, "Mocked result")?;
    match ty {
        "Map" if state.contains_key("ResultWriter") => {
            if !result.is_object() {
                return Err(invalid("Mocked result must be a JSON object."));
            }
        }
        "Map" => {
            let Some(items) = result.as_array() else {
                return Err(invalid("Mocked result must be an array."));
            };
            if req
                .map_iteration_failure_count
                .is_some_and(|n| n > items.len() as u64)
            {
                return Err(invalid(
                    "Map iteration failure count must be less than or equal to the number of Map iterations",
                ));
            }
        }
        "Parallel" => {
            let Some(items) = result.as_array() else {
                return Err(invalid("Mocked result must be an array."));
            };
            let branches = state
                .get("Branches")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            if items.len() != branches {
                return Err(invalid(
                    "Mocked result must contain the same number of items as number of Parallel branches.",
                ));
            }
        }
        _ => {
            let resource = state.get("Resource").and_then(Value::as_str).unwrap_or("");
            mock_schema::check(resource, &result, mock.validation)
                .map_err(|m| invalid(format!("Mock result schema validation error: {m}")))?;
        }
    }
    Ok(Some(Ok(result)))
}

pub(crate) async fn run(core: &Arc<Core>, body: &Value) -> Result<Value, SfnError> {
    let req = read(body)?;
    let (machine, name, state) = machine(&req)?;
    let mock = check_against_state(&req, &state)?;
    let context = match &req.context {
        Some(c) => Some(check_context(c, &state)?),
        None => None,
    };
    let input = asl::parse_json_text(&req.input).map_err(|e| {
        SfnError::InvalidExecutionInput(format!(
            "Invalid State Machine Execution Input: '{}'",
            input_error(&req.input, &e)
        ))
    })?;
    let variables = match &req.variables {
        None => Map::new(),
        Some(text) => match json_data(text, "Variables")? {
            Value::Object(m) => m,
            _ => return Err(invalid("Variables must be a JSON object")),
        },
    };
    let machine_name = uuid::Uuid::new_v4().to_string();
    let exec_name = uuid::Uuid::new_v4().to_string();
    let scope = &core.scope;
    let info = ExecutionInfo {
        execution_arn: format!(
            "arn:aws:states:{}:{}:express:{machine_name}:{exec_name}",
            scope.region, scope.account_id
        ),
        name: exec_name,
        state_machine_arn: scope.state_machine_arn(&machine_name),
        state_machine_name: machine_name,
        start_time: core.now(),
        role_arn: req.role_arn.clone(),
    };
    let test = StateTest {
        info,
        input,
        variables,
        context,
        mock,
        retrier_retry_count: req.retrier_retry_count,
        map_iteration_failure_count: req.map_iteration_failure_count,
    };
    let clock = core.engine.clock().clone();
    let deadline = asl::clock::plus_seconds(clock.now(), TEST_SECONDS);
    let run = core.engine.test_state(&machine, &name, test);
    let result = tokio::select! {
        r = run => r.ok_or_else(|| invalid("State not found in definition"))?,
        _ = clock.sleep_until(deadline) => StateTestResult {
            status: asl::TestStatus::Failed,
            output: None,
            error: Some("States.Timeout".into()),
            cause: Some("The state did not finish within the five minutes TestState allows".into()),
            next_state: None,
            inspection: Inspection::default(),
        },
    };
    Ok(encode(&result, req.level))
}

fn text(v: &Value) -> Value {
    Value::String(serde_json::to_string(v).unwrap_or_else(|_| "null".into()))
}

fn encode(r: &StateTestResult, level: Level) -> Value {
    let mut out = Map::new();
    if let Some(o) = &r.output {
        out.insert("output".into(), text(o));
    }
    if let Some(e) = &r.error {
        out.insert("error".into(), json!(e));
    }
    if let Some(c) = &r.cause {
        out.insert("cause".into(), json!(c));
    }
    if level != Level::Info {
        let data = inspection_data(&r.inspection);
        if !data.is_empty() {
            out.insert("inspectionData".into(), Value::Object(data));
        }
    }
    if let Some(n) = &r.next_state {
        out.insert("nextState".into(), json!(n));
    }
    out.insert("status".into(), json!(r.status.as_str()));
    Value::Object(out)
}

fn inspection_data(i: &Inspection) -> Map<String, Value> {
    let mut d = Map::new();
    let fields = [
        ("input", &i.input),
        ("afterArguments", &i.after_arguments),
        ("afterInputPath", &i.after_input_path),
        ("afterParameters", &i.after_parameters),
        ("result", &i.result),
        ("afterResultSelector", &i.after_result_selector),
        ("afterResultPath", &i.after_result_path),
        ("variables", &i.variables),
        ("afterItemsPath", &i.after_items_path),
    ];
    for (k, v) in fields {
        if let Some(v) = v {
            d.insert(k.into(), text(v));
        }
    }
    let mut errors = Map::new();
    if let Some(c) = i.catch_index {
        errors.insert("catchIndex".into(), json!(c));
    }
    if let Some(r) = i.retry_index {
        errors.insert("retryIndex".into(), json!(r));
    }
    if let Some(b) = i.retry_backoff_interval_seconds {
        errors.insert("retryBackoffIntervalSeconds".into(), json!(b));
    }
    if !errors.is_empty() {
        d.insert("errorDetails".into(), Value::Object(errors));
    }
    if let Some(n) = i.tolerated_failure_count {
        d.insert("toleratedFailureCount".into(), json!(n));
    }
    if let Some(p) = i.tolerated_failure_percentage {
        d.insert("toleratedFailurePercentage".into(), json!(p));
    }
    if let Some(n) = i.max_concurrency {
        d.insert("maxConcurrency".into(), json!(n));
    }
    d
}
