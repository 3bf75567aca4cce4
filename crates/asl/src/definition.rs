//! Parsing and validation of ASL definitions into an executable form (paths, templates and
//! rules compiled once, transitions resolved to indices).

use crate::choice::{self, Rule};
use crate::error::{DefinitionError, Diagnostic};
use crate::paths::{Path, RefPath};
use crate::task::IntegrationPattern;
use crate::template::{compile_expr, Template};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

const SCHEMA: &str = "SCHEMA_VALIDATION_FAILED";
const MISSING_TARGET: &str = "MISSING_TRANSITION_TARGET";
const UNREACHABLE: &str = "UNREACHABLE_STATE";
const NO_TERMINAL: &str = "MISSING_END_STATE";
const DUPLICATE: &str = "DUPLICATE_STATE_NAME";
const BAD_NAME: &str = "INVALID_STATE_NAME";
const BAD_RESOURCE: &str = "INVALID_RESOURCE";
const MAX_SECONDS: u64 = 99_999_999;

/// InputPath / OutputPath / ItemsPath: absent = `$`, `null` = `{}` (InputPath/OutputPath).
#[derive(Debug, Clone)]
pub(crate) enum IoPath {
    Root,
    Null,
    Path(Path),
}

#[derive(Debug, Clone)]
pub(crate) enum ResultPathSpec {
    Replace,
    Discard,
    Ref(RefPath),
}

#[derive(Debug, Clone)]
pub(crate) struct Retrier {
    pub errors: Vec<String>,
    pub interval: u64,
    pub max_attempts: u32,
    pub backoff: f64,
    pub max_delay: Option<u64>,
    pub full_jitter: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Catcher {
    pub errors: Vec<String>,
    pub next: usize,
    pub result_path: ResultPathSpec,
}

#[derive(Debug, Clone)]
pub(crate) enum Secs {
    Fixed(u64),
    Path(Path),
}

#[derive(Debug, Clone)]
pub(crate) struct TaskSpec {
    pub resource: String,
    pub base: String,
    pub pattern: IntegrationPattern,
    pub timeout: Option<Secs>,
    pub heartbeat: Option<Secs>,
    pub credentials: Option<Template>,
}

#[derive(Debug, Clone)]
pub(crate) enum WaitSpec {
    Seconds(u64),
    Timestamp(chrono::DateTime<chrono::Utc>),
    SecondsPath(Path),
    TimestampPath(Path),
}

#[derive(Debug, Clone)]
pub(crate) enum Text {
    Lit(String),
    Expr(Template),
}

#[derive(Debug, Clone)]
pub(crate) struct MapSpec {
    pub processor: Arc<Machine>,
    pub items_path: IoPath,
    pub item_selector: Option<Template>,
    pub max_concurrency: Option<Secs>,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Pass {
        result: Option<Arc<Value>>,
    },
    Task(TaskSpec),
    Choice {
        choices: Vec<(Rule, usize)>,
        default: Option<usize>,
    },
    Wait(WaitSpec),
    Succeed,
    Fail {
        error: Option<Text>,
        cause: Option<Text>,
    },
    Parallel {
        branches: Vec<Arc<Machine>>,
    },
    Map(MapSpec),
}

#[derive(Debug, Clone)]
pub(crate) struct State {
    pub name: Arc<str>,
    pub kind: Kind,
    pub input_path: IoPath,
    pub output_path: IoPath,
    pub result_path: ResultPathSpec,
    pub parameters: Option<Template>,
    pub result_selector: Option<Template>,
    /// `None` = End (or a terminal type).
    pub next: Option<usize>,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
    /// Some template or path of this state reads `$$` (build the context only then).
    pub needs_ctx: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Machine {
    pub start: usize,
    pub states: Vec<State>,
    pub index: HashMap<Arc<str>, usize>,
    pub timeout_seconds: Option<u64>,
}

/// A parsed and validated definition. Cloning is cheap (shared).
#[derive(Clone)]
pub struct StateMachine {
    pub(crate) machine: Arc<Machine>,
    source: Arc<Value>,
}

impl std::fmt::Debug for StateMachine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateMachine")
            .field("states", &self.machine.states.len())
            .finish_non_exhaustive()
    }
}

impl StateMachine {
    /// Parses and validates; refuses what CreateStateMachine refuses.
    pub fn parse(definition: &str) -> Result<StateMachine, DefinitionError> {
        let value: Value = serde_json::from_str(definition).map_err(|e| DefinitionError {
            diagnostics: vec![Diagnostic::new(
                "INVALID_JSON_DESCRIPTION",
                "/",
                format!("the definition is not valid JSON: {e}"),
            )],
        })?;
        let mut v = Validator {
            diags: Vec::new(),
            names: HashMap::new(),
        };
        for loc in crate::dupkeys::duplicate_keys(definition) {
            let parent_is_states = loc
                .rsplit_once('/')
                .is_some_and(|(p, _)| p.ends_with("/States"));
            let (code, what) = if parent_is_states {
                (DUPLICATE, "state name")
            } else {
                (SCHEMA, "field")
            };
            let name = loc.rsplit('/').next().unwrap_or("");
            v.err(
                code,
                loc.clone(),
                format!("{what} '{name}' appears more than once"),
            );
        }
        let machine = v.machine(&value, "", true);
        match machine {
            Some(m) if v.diags.is_empty() => Ok(StateMachine {
                machine: Arc::new(m),
                source: Arc::new(value),
            }),
            _ => Err(DefinitionError {
                diagnostics: v.diags,
            }),
        }
    }

    /// The definition as parsed JSON.
    pub fn definition(&self) -> &Value {
        &self.source
    }

    pub fn start_at(&self) -> &str {
        &self.machine.states[self.machine.start].name
    }

    /// Top-level state names in definition order.
    pub fn state_names(&self) -> impl Iterator<Item = &str> {
        self.machine.states.iter().map(|s| &*s.name)
    }

    /// Machine-level `TimeoutSeconds`.
    pub fn timeout_seconds(&self) -> Option<u64> {
        self.machine.timeout_seconds
    }
}

/// Diagnostics for ValidateStateMachineDefinition (empty = valid).
pub fn validate(definition: &str) -> Vec<Diagnostic> {
    match StateMachine::parse(definition) {
        Ok(_) => Vec::new(),
        Err(e) => e.diagnostics,
    }
}

struct Validator {
    diags: Vec<Diagnostic>,
    /// Every state name seen so far with its location: names are unique in the whole
    /// machine, branches and item processors included (ASL spec).
    names: HashMap<String, String>,
}

fn allowed_fields(t: &str) -> Option<&'static [&'static str]> {
    Some(match t {
        "Pass" => &[
            "Next",
            "End",
            "InputPath",
            "OutputPath",
            "ResultPath",
            "Parameters",
            "Result",
        ],
        "Task" => &[
            "Next",
            "End",
            "InputPath",
            "OutputPath",
            "ResultPath",
            "Parameters",
            "ResultSelector",
            "Retry",
            "Catch",
            "Resource",
            "TimeoutSeconds",
            "TimeoutSecondsPath",
            "HeartbeatSeconds",
            "HeartbeatSecondsPath",
            "Credentials",
        ],
        "Choice" => &["InputPath", "OutputPath", "Choices", "Default"],
        "Wait" => &[
            "Next",
            "End",
            "InputPath",
            "OutputPath",
            "Seconds",
            "Timestamp",
            "SecondsPath",
            "TimestampPath",
        ],
        "Succeed" => &["InputPath", "OutputPath"],
        "Fail" => &["Error", "Cause", "ErrorPath", "CausePath"],
        "Parallel" => &[
            "Next",
            "End",
            "InputPath",
            "OutputPath",
            "ResultPath",
            "Parameters",
            "ResultSelector",
            "Retry",
            "Catch",
            "Branches",
        ],
        "Map" => &[
            "Next",
            "End",
            "InputPath",
            "OutputPath",
            "ResultPath",
            "Parameters",
            "ResultSelector",
            "Retry",
            "Catch",
            "ItemsPath",
            "ItemSelector",
            "ItemProcessor",
            "Iterator",
            "MaxConcurrency",
            "MaxConcurrencyPath",
            "ToleratedFailurePercentage",
            "ToleratedFailureCount",
            "ToleratedFailurePercentagePath",
            "ToleratedFailureCountPath",
            "Label",
            "ItemReader",
            "ResultWriter",
            "ItemBatcher",
        ],
        _ => return None,
    })
}

impl Validator {
    fn err(&mut self, code: &str, loc: impl Into<String>, msg: impl Into<String>) {
        self.diags.push(Diagnostic::new(code, loc, msg));
    }

    fn machine(&mut self, v: &Value, loc: &str, top: bool) -> Option<Machine> {
        let Some(obj) = v.as_object() else {
            self.err(
                SCHEMA,
                format!("{loc}/"),
                "the state machine must be a JSON object",
            );
            return None;
        };
        let allowed: &[&str] = if top {
            &[
                "Comment",
                "StartAt",
                "States",
                "TimeoutSeconds",
                "Version",
                "QueryLanguage",
            ]
        } else {
            &["Comment", "StartAt", "States", "ProcessorConfig"]
        };
        for k in obj.keys() {
            if !allowed.contains(&k.as_str()) {
                self.err(
                    SCHEMA,
                    format!("{loc}/{k}"),
                    format!(
                        "field '{k}' is not supported at {}",
                        if top { "the top level" } else { "this level" }
                    ),
                );
            }
        }
        if let Some(q) = obj.get("QueryLanguage") {
            if q != "JSONPath" {
                self.err(
                    SCHEMA,
                    format!("{loc}/QueryLanguage"),
                    "only QueryLanguage 'JSONPath' is supported",
                );
            }
        }
        let timeout_seconds = match obj.get("TimeoutSeconds") {
            None => None,
            Some(t) => self.seconds(
                t,
                &format!("{loc}/TimeoutSeconds"),
                "the state machine",
                "TimeoutSeconds",
                1,
            ),
        };
        let states_obj = match obj.get("States") {
            Some(Value::Object(m)) if !m.is_empty() => Some(m),
            Some(_) => {
                self.err(
                    SCHEMA,
                    format!("{loc}/States"),
                    "'States' must be a non-empty object",
                );
                None
            }
            None => {
                self.err(
                    SCHEMA,
                    format!("{loc}/"),
                    "the required field 'States' is missing",
                );
                None
            }
        };
        let start_name = match obj.get("StartAt") {
            Some(Value::String(s)) => Some(s.as_str()),
            Some(_) => {
                self.err(
                    SCHEMA,
                    format!("{loc}/StartAt"),
                    "'StartAt' must be a string",
                );
                None
            }
            None => {
                self.err(
                    SCHEMA,
                    format!("{loc}/"),
                    "the required field 'StartAt' is missing",
                );
                None
            }
        };
        let states_obj = states_obj?;
        let mut index: HashMap<Arc<str>, usize> = HashMap::new();
        for (i, name) in states_obj.keys().enumerate() {
            let here = format!("{loc}/States/{name}");
            if let Some(first) = self.names.insert(name.clone(), here.clone()) {
                self.err(
                    DUPLICATE,
                    here.clone(),
                    format!("state name '{name}' is already used at {first}"),
                );
            }
            if name.is_empty() || name.chars().count() > 80 {
                self.err(
                    BAD_NAME,
                    format!("{loc}/States/{name}"),
                    format!("state name '{name}' must be 1 to 80 characters long"),
                );
            }
            index.insert(Arc::from(name.as_str()), i);
        }
        let start = match start_name {
            Some(s) => match index.get(s) {
                Some(&i) => Some(i),
                None => {
                    self.err(
                        MISSING_TARGET,
                        format!("{loc}/StartAt"),
                        format!("'StartAt' refers to state '{s}', which does not exist"),
                    );
                    None
                }
            },
            None => None,
        };
        let mut states = Vec::with_capacity(states_obj.len());
        for (name, sv) in states_obj {
            let sloc = format!("{loc}/States/{name}");
            if let Some(s) = self.state(name, sv, &sloc, &index) {
                states.push(s);
            }
        }
        let start = start?;
        if states.len() != states_obj.len() {
            return None;
        }
        // Terminal states and reachability.
        if !states
            .iter()
            .any(|s| s.next.is_none() && !matches!(s.kind, Kind::Choice { .. }))
        {
            self.err(
                NO_TERMINAL,
                format!("{loc}/States"),
                "no terminal state: no state has 'End': true and there is no Succeed or Fail state",
            );
        }
        let mut seen = vec![false; states.len()];
        let mut stack = vec![start];
        while let Some(i) = stack.pop() {
            if std::mem::replace(&mut seen[i], true) {
                continue;
            }
            let s = &states[i];
            stack.extend(s.next);
            stack.extend(s.catch.iter().map(|c| c.next));
            if let Kind::Choice { choices, default } = &s.kind {
                stack.extend(choices.iter().map(|(_, n)| *n));
                stack.extend(*default);
            }
        }
        for (i, s) in states.iter().enumerate() {
            if !seen[i] {
                self.err(
                    UNREACHABLE,
                    format!("{loc}/States/{}", s.name),
                    format!("state '{}' is not reachable", s.name),
                );
            }
        }
        Some(Machine {
            start,
            states,
            index,
            timeout_seconds,
        })
    }

    fn seconds(&mut self, v: &Value, loc: &str, who: &str, field: &str, min: u64) -> Option<u64> {
        match v.as_u64() {
            Some(n) if n >= min && n <= MAX_SECONDS => Some(n),
            _ => {
                self.err(
                    SCHEMA,
                    loc,
                    format!("{who}: '{field}' must be an integer between {min} and {MAX_SECONDS}"),
                );
                None
            }
        }
    }

    fn path(&mut self, v: &Value, loc: &str, who: &str, field: &str) -> Option<Path> {
        match v.as_str().and_then(Path::parse) {
            Some(p) => Some(p),
            None => {
                self.err(
                    SCHEMA,
                    loc,
                    format!("{who}: the value for the field '{field}' must be a valid JSONPath"),
                );
                None
            }
        }
    }

    fn io_path(&mut self, obj: &Map<String, Value>, field: &str, sloc: &str, who: &str) -> IoPath {
        match obj.get(field) {
            None => IoPath::Root,
            Some(Value::Null) => IoPath::Null,
            Some(v) => self
                .path(v, &format!("{sloc}/{field}"), who, field)
                .map(IoPath::Path)
                .unwrap_or(IoPath::Root),
        }
    }

    fn result_path(&mut self, v: Option<&Value>, loc: &str, who: &str) -> ResultPathSpec {
        match v {
            None => ResultPathSpec::Replace,
            Some(Value::Null) => ResultPathSpec::Discard,
            Some(v) => match v.as_str().and_then(RefPath::parse) {
                Some(r) => ResultPathSpec::Ref(r),
                None => {
                    self.err(SCHEMA, loc, format!("{who}: the value for the field 'ResultPath' must be a valid reference path"));
                    ResultPathSpec::Replace
                }
            },
        }
    }

    fn template(&mut self, v: &Value, loc: &str, who: &str, field: &str) -> Template {
        let mut errs = Vec::new();
        let t = Template::compile(v, loc, &mut errs);
        for (l, m) in errs {
            self.err(SCHEMA, l, format!("{who} ({field}): {m}"));
        }
        t
    }

    fn target(
        &mut self,
        v: &Value,
        loc: &str,
        who: &str,
        field: &str,
        index: &HashMap<Arc<str>, usize>,
    ) -> Option<usize> {
        match v.as_str() {
            Some(n) => match index.get(n) {
                Some(&i) => Some(i),
                None => {
                    self.err(
                        MISSING_TARGET,
                        loc,
                        format!("{who}: '{field}' refers to state '{n}', which does not exist"),
                    );
                    None
                }
            },
            None => {
                self.err(
                    SCHEMA,
                    loc,
                    format!("{who}: '{field}' must be a state name"),
                );
                None
            }
        }
    }

    fn error_equals(&mut self, obj: &Map<String, Value>, loc: &str, who: &str) -> Vec<String> {
        let list: Vec<String> = match obj.get("ErrorEquals").and_then(Value::as_array) {
            Some(a) if !a.is_empty() && a.iter().all(Value::is_string) => a
                .iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect(),
            _ => {
                self.err(
                    SCHEMA,
                    format!("{loc}/ErrorEquals"),
                    format!("{who}: 'ErrorEquals' must be a non-empty array of strings"),
                );
                return Vec::new();
            }
        };
        if list.iter().any(|e| e == "States.ALL") && list.len() > 1 {
            self.err(
                SCHEMA,
                format!("{loc}/ErrorEquals"),
                format!("{who}: 'States.ALL' must appear alone in 'ErrorEquals'"),
            );
        }
        list
    }

    fn retry(&mut self, v: &Value, sloc: &str, who: &str) -> Vec<Retrier> {
        let loc = format!("{sloc}/Retry");
        let Some(a) = v.as_array() else {
            self.err(SCHEMA, loc, format!("{who}: 'Retry' must be an array"));
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, r) in a.iter().enumerate() {
            let rl = format!("{loc}/{i}");
            let Some(o) = r.as_object() else {
                self.err(SCHEMA, rl, format!("{who}: a retrier must be an object"));
                continue;
            };
            for k in o.keys() {
                if ![
                    "ErrorEquals",
                    "IntervalSeconds",
                    "MaxAttempts",
                    "BackoffRate",
                    "MaxDelaySeconds",
                    "JitterStrategy",
                    "Comment",
                ]
                .contains(&k.as_str())
                {
                    self.err(
                        SCHEMA,
                        format!("{rl}/{k}"),
                        format!("{who}: field '{k}' is not supported in a retrier"),
                    );
                }
            }
            let errors = self.error_equals(o, &rl, who);
            if errors.iter().any(|e| e == "States.ALL") && i + 1 != a.len() {
                self.err(
                    SCHEMA,
                    format!("{rl}/ErrorEquals"),
                    format!("{who}: a retrier with 'States.ALL' must be the last one"),
                );
            }
            let interval = match o.get("IntervalSeconds") {
                None => 1,
                Some(x) => self
                    .seconds(
                        x,
                        &format!("{rl}/IntervalSeconds"),
                        who,
                        "IntervalSeconds",
                        1,
                    )
                    .unwrap_or(1),
            };
            let max_attempts = match o.get("MaxAttempts") {
                None => 3,
                Some(x) => match x.as_u64() {
                    Some(n) if n <= MAX_SECONDS => n as u32,
                    _ => {
                        self.err(
                            SCHEMA,
                            format!("{rl}/MaxAttempts"),
                            format!("{who}: 'MaxAttempts' must be a non-negative integer"),
                        );
                        0
                    }
                },
            };
            let backoff = match o.get("BackoffRate") {
                None => 2.0,
                Some(x) => match x.as_f64() {
                    Some(b) if b >= 1.0 => b,
                    _ => {
                        self.err(
                            SCHEMA,
                            format!("{rl}/BackoffRate"),
                            format!("{who}: 'BackoffRate' must be a number >= 1.0"),
                        );
                        1.0
                    }
                },
            };
            let max_delay = o.get("MaxDelaySeconds").and_then(|x| {
                self.seconds(
                    x,
                    &format!("{rl}/MaxDelaySeconds"),
                    who,
                    "MaxDelaySeconds",
                    1,
                )
            });
            let full_jitter = match o.get("JitterStrategy") {
                None => false,
                Some(Value::String(s)) if s == "FULL" => true,
                Some(Value::String(s)) if s == "NONE" => false,
                Some(_) => {
                    self.err(
                        SCHEMA,
                        format!("{rl}/JitterStrategy"),
                        format!("{who}: 'JitterStrategy' must be FULL or NONE"),
                    );
                    false
                }
            };
            out.push(Retrier {
                errors,
                interval,
                max_attempts,
                backoff,
                max_delay,
                full_jitter,
            });
        }
        out
    }

    fn catch(
        &mut self,
        v: &Value,
        sloc: &str,
        who: &str,
        index: &HashMap<Arc<str>, usize>,
    ) -> Vec<Catcher> {
        let loc = format!("{sloc}/Catch");
        let Some(a) = v.as_array() else {
            self.err(SCHEMA, loc, format!("{who}: 'Catch' must be an array"));
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, c) in a.iter().enumerate() {
            let cl = format!("{loc}/{i}");
            let Some(o) = c.as_object() else {
                self.err(SCHEMA, cl, format!("{who}: a catcher must be an object"));
                continue;
            };
            for k in o.keys() {
                if !["ErrorEquals", "Next", "ResultPath", "Comment"].contains(&k.as_str()) {
                    self.err(
                        SCHEMA,
                        format!("{cl}/{k}"),
                        format!("{who}: field '{k}' is not supported in a catcher"),
                    );
                }
            }
            let errors = self.error_equals(o, &cl, who);
            if errors.iter().any(|e| e == "States.ALL") && i + 1 != a.len() {
                self.err(
                    SCHEMA,
                    format!("{cl}/ErrorEquals"),
                    format!("{who}: a catcher with 'States.ALL' must be the last one"),
                );
            }
            let result_path =
                self.result_path(o.get("ResultPath"), &format!("{cl}/ResultPath"), who);
            let next = match o.get("Next") {
                Some(n) => self.target(n, &format!("{cl}/Next"), who, "Next", index),
                None => {
                    self.err(
                        SCHEMA,
                        format!("{cl}/"),
                        format!("{who}: a catcher needs 'Next'"),
                    );
                    None
                }
            };
            if let Some(next) = next {
                out.push(Catcher {
                    errors,
                    next,
                    result_path,
                });
            }
        }
        out
    }

    fn secs_field(
        &mut self,
        obj: &Map<String, Value>,
        field: &str,
        sloc: &str,
        who: &str,
    ) -> Option<Secs> {
        let path_field = format!("{field}Path");
        match (obj.get(field), obj.get(&path_field)) {
            (Some(_), Some(_)) => {
                self.err(
                    SCHEMA,
                    format!("{sloc}/{field}"),
                    format!("{who}: only one of '{field}' and '{path_field}' is allowed"),
                );
                None
            }
            (Some(v), None) => self
                .seconds(v, &format!("{sloc}/{field}"), who, field, 1)
                .map(Secs::Fixed),
            (None, Some(p)) => self
                .path(p, &format!("{sloc}/{path_field}"), who, &path_field)
                .map(Secs::Path),
            (None, None) => None,
        }
    }

    fn text(
        &mut self,
        obj: &Map<String, Value>,
        field: &str,
        sloc: &str,
        who: &str,
    ) -> Option<Text> {
        let path_field = format!("{field}Path");
        match (obj.get(field), obj.get(&path_field)) {
            (Some(_), Some(_)) => {
                self.err(
                    SCHEMA,
                    format!("{sloc}/{field}"),
                    format!("{who}: only one of '{field}' and '{path_field}' is allowed"),
                );
                None
            }
            (Some(Value::String(s)), None) => Some(Text::Lit(s.clone())),
            (Some(_), None) => {
                self.err(
                    SCHEMA,
                    format!("{sloc}/{field}"),
                    format!("{who}: '{field}' must be a string"),
                );
                None
            }
            (None, Some(p)) => {
                match p.as_str().map(compile_expr) {
                    Some(Ok(t)) => Some(Text::Expr(t)),
                    _ => {
                        self.err(SCHEMA, format!("{sloc}/{path_field}"), format!("{who}: '{path_field}' must be a valid JSONPath or intrinsic function"));
                        None
                    }
                }
            }
            (None, None) => None,
        }
    }

    fn state(
        &mut self,
        name: &str,
        v: &Value,
        sloc: &str,
        index: &HashMap<Arc<str>, usize>,
    ) -> Option<State> {
        let who = format!("State '{name}'");
        let who = who.as_str();
        let Some(obj) = v.as_object() else {
            self.err(SCHEMA, sloc, format!("{who} must be an object"));
            return None;
        };
        let Some(ty) = obj.get("Type").and_then(Value::as_str) else {
            self.err(
                SCHEMA,
                format!("{sloc}/Type"),
                format!("{who}: the required field 'Type' is missing or not a string"),
            );
            return None;
        };
        let Some(allowed) = allowed_fields(ty) else {
            self.err(
                SCHEMA,
                format!("{sloc}/Type"),
                format!("{who}: unknown state type '{ty}'"),
            );
            return None;
        };
        for k in obj.keys() {
            if k != "Type" && k != "Comment" && !allowed.contains(&k.as_str()) {
                self.err(
                    SCHEMA,
                    format!("{sloc}/{k}"),
                    format!("{who}: field '{k}' is not supported by state type {ty}"),
                );
            }
        }
        let before = self.diags.len();
        let input_path = self.io_path(obj, "InputPath", sloc, who);
        let output_path = self.io_path(obj, "OutputPath", sloc, who);
        let result_path =
            self.result_path(obj.get("ResultPath"), &format!("{sloc}/ResultPath"), who);
        let parameters = obj
            .get("Parameters")
            .map(|p| self.template(p, &format!("{sloc}/Parameters"), who, "Parameters"));
        let result_selector = obj
            .get("ResultSelector")
            .map(|p| self.template(p, &format!("{sloc}/ResultSelector"), who, "ResultSelector"));
        let retry = obj
            .get("Retry")
            .map(|r| self.retry(r, sloc, who))
            .unwrap_or_default();
        let catch = obj
            .get("Catch")
            .map(|c| self.catch(c, sloc, who, index))
            .unwrap_or_default();
        let terminal_type = matches!(ty, "Choice" | "Succeed" | "Fail");
        let end = obj.get("End");
        if let Some(e) = end {
            if !e.is_boolean() {
                self.err(
                    SCHEMA,
                    format!("{sloc}/End"),
                    format!("{who}: 'End' must be a boolean"),
                );
            }
        }
        let is_end = end == Some(&Value::Bool(true));
        let next = match obj.get("Next") {
            Some(n) => {
                if is_end {
                    self.err(
                        SCHEMA,
                        format!("{sloc}/Next"),
                        format!("{who}: 'Next' and 'End' cannot both be present"),
                    );
                }
                self.target(n, &format!("{sloc}/Next"), who, "Next", index)
            }
            None => {
                if !terminal_type && !is_end {
                    self.err(
                        SCHEMA,
                        format!("{sloc}/"),
                        format!("{who}: either 'Next' or 'End': true is required"),
                    );
                }
                None
            }
        };
        let kind = match ty {
            "Pass" => Kind::Pass {
                result: obj.get("Result").cloned().map(Arc::new),
            },
            "Succeed" => Kind::Succeed,
            "Fail" => Kind::Fail {
                error: self.text(obj, "Error", sloc, who),
                cause: self.text(obj, "Cause", sloc, who),
            },
            "Task" => {
                let resource = match obj.get("Resource") {
                    Some(Value::String(r)) if r.starts_with("arn:") => r.clone(),
                    Some(_) => {
                        self.err(
                            BAD_RESOURCE,
                            format!("{sloc}/Resource"),
                            format!("{who}: 'Resource' must be an ARN string"),
                        );
                        String::new()
                    }
                    None => {
                        self.err(
                            SCHEMA,
                            format!("{sloc}/"),
                            format!("{who}: the required field 'Resource' is missing"),
                        );
                        String::new()
                    }
                };
                let (pattern, base) = IntegrationPattern::of(&resource);
                let base = base.to_string();
                let timeout = self.secs_field(obj, "TimeoutSeconds", sloc, who);
                let heartbeat = self.secs_field(obj, "HeartbeatSeconds", sloc, who);
                if let (Some(Secs::Fixed(t)), Some(Secs::Fixed(h))) = (&timeout, &heartbeat) {
                    if h >= t {
                        self.err(
                            SCHEMA,
                            format!("{sloc}/HeartbeatSeconds"),
                            format!(
                                "{who}: 'HeartbeatSeconds' must be smaller than 'TimeoutSeconds'"
                            ),
                        );
                    }
                }
                let credentials = obj
                    .get("Credentials")
                    .map(|c| self.template(c, &format!("{sloc}/Credentials"), who, "Credentials"));
                Kind::Task(TaskSpec {
                    resource,
                    base,
                    pattern,
                    timeout,
                    heartbeat,
                    credentials,
                })
            }
            "Choice" => {
                let mut choices = Vec::new();
                match obj.get("Choices").and_then(Value::as_array) {
                    Some(a) if !a.is_empty() => {
                        for (i, r) in a.iter().enumerate() {
                            let rl = format!("{sloc}/Choices/{i}");
                            let mut errs = Vec::new();
                            let rule = choice::compile(r, &rl, &mut errs);
                            for (l, m) in errs {
                                self.err(SCHEMA, l, format!("{who}: {m}"));
                            }
                            let next = match r.get("Next") {
                                Some(n) => {
                                    self.target(n, &format!("{rl}/Next"), who, "Next", index)
                                }
                                None => {
                                    self.err(
                                        SCHEMA,
                                        format!("{rl}/"),
                                        format!("{who}: every rule in 'Choices' needs 'Next'"),
                                    );
                                    None
                                }
                            };
                            if let (Some(rule), Some(next)) = (rule, next) {
                                choices.push((rule, next));
                            }
                        }
                    }
                    _ => self.err(
                        SCHEMA,
                        format!("{sloc}/Choices"),
                        format!("{who}: 'Choices' must be a non-empty array"),
                    ),
                }
                let default = obj.get("Default").and_then(|d| {
                    self.target(d, &format!("{sloc}/Default"), who, "Default", index)
                });
                Kind::Choice { choices, default }
            }
            "Wait" => {
                let present: Vec<&str> = ["Seconds", "Timestamp", "SecondsPath", "TimestampPath"]
                    .into_iter()
                    .filter(|f| obj.contains_key(*f))
                    .collect();
                if present.len() != 1 {
                    self.err(SCHEMA, format!("{sloc}/"), format!(
                        "{who}: exactly one of 'Seconds', 'Timestamp', 'SecondsPath' or 'TimestampPath' is required, found {}",
                        if present.is_empty() { "none".to_string() } else { present.join(", ") }
                    ));
                    return None;
                }
                let f = present[0];
                let fv = &obj[f];
                let fl = format!("{sloc}/{f}");
                match f {
                    "Seconds" => Kind::Wait(WaitSpec::Seconds(self.seconds(fv, &fl, who, f, 0)?)),
                    "Timestamp" => match fv.as_str().and_then(choice::parse_timestamp) {
                        Some(t) => Kind::Wait(WaitSpec::Timestamp(t.with_timezone(&chrono::Utc))),
                        None => {
                            self.err(
                                SCHEMA,
                                fl,
                                format!("{who}: 'Timestamp' must be an RFC 3339 timestamp"),
                            );
                            return None;
                        }
                    },
                    "SecondsPath" => Kind::Wait(WaitSpec::SecondsPath(self.path(fv, &fl, who, f)?)),
                    _ => Kind::Wait(WaitSpec::TimestampPath(self.path(fv, &fl, who, f)?)),
                }
            }
            "Parallel" => {
                let mut branches = Vec::new();
                match obj.get("Branches").and_then(Value::as_array) {
                    Some(a) if !a.is_empty() => {
                        for (i, b) in a.iter().enumerate() {
                            if let Some(m) = self.machine(b, &format!("{sloc}/Branches/{i}"), false)
                            {
                                branches.push(Arc::new(m));
                            }
                        }
                    }
                    _ => self.err(
                        SCHEMA,
                        format!("{sloc}/Branches"),
                        format!("{who}: 'Branches' must be a non-empty array"),
                    ),
                }
                Kind::Parallel { branches }
            }
            "Map" => {
                let (field, proc_v) = match (obj.get("ItemProcessor"), obj.get("Iterator")) {
                    (Some(p), None) => ("ItemProcessor", Some(p)),
                    (None, Some(p)) => ("Iterator", Some(p)),
                    (Some(_), Some(_)) => {
                        self.err(
                            SCHEMA,
                            format!("{sloc}/Iterator"),
                            format!("{who}: use either 'ItemProcessor' or 'Iterator', not both"),
                        );
                        ("ItemProcessor", None)
                    }
                    (None, None) => {
                        self.err(
                            SCHEMA,
                            format!("{sloc}/"),
                            format!("{who}: the required field 'ItemProcessor' is missing"),
                        );
                        ("ItemProcessor", None)
                    }
                };
                let processor =
                    proc_v.and_then(|p| self.machine(p, &format!("{sloc}/{field}"), false));
                if obj.contains_key("ItemSelector") && obj.contains_key("Parameters") {
                    self.err(
                        SCHEMA,
                        format!("{sloc}/Parameters"),
                        format!("{who}: use either 'ItemSelector' or 'Parameters', not both"),
                    );
                }
                let items_path = match obj.get("ItemsPath") {
                    None => IoPath::Root,
                    Some(p) => self
                        .path(p, &format!("{sloc}/ItemsPath"), who, "ItemsPath")
                        .map(IoPath::Path)
                        .unwrap_or(IoPath::Root),
                };
                let max_concurrency = match (
                    obj.get("MaxConcurrency"),
                    obj.get("MaxConcurrencyPath"),
                ) {
                    (Some(_), Some(_)) => {
                        self.err(SCHEMA, format!("{sloc}/MaxConcurrency"), format!("{who}: only one of 'MaxConcurrency' and 'MaxConcurrencyPath' is allowed"));
                        None
                    }
                    (Some(v), None) => match v.as_u64() {
                        Some(n) => Some(Secs::Fixed(n)),
                        None => {
                            self.err(
                                SCHEMA,
                                format!("{sloc}/MaxConcurrency"),
                                format!("{who}: 'MaxConcurrency' must be a non-negative integer"),
                            );
                            None
                        }
                    },
                    (None, Some(p)) => self
                        .path(
                            p,
                            &format!("{sloc}/MaxConcurrencyPath"),
                            who,
                            "MaxConcurrencyPath",
                        )
                        .map(Secs::Path),
                    (None, None) => None,
                };
                // Parameters on a Map is the legacy name of ItemSelector.
                let item_selector = obj.get("ItemSelector").map(|p| {
                    self.template(p, &format!("{sloc}/ItemSelector"), who, "ItemSelector")
                });
                let item_selector = item_selector.or_else(|| parameters.clone());
                let processor = processor?;
                Kind::Map(MapSpec {
                    processor: Arc::new(processor),
                    items_path,
                    item_selector,
                    max_concurrency,
                })
            }
            _ => return None,
        };
        if self.diags.len() != before {
            return None;
        }
        let parameters = if matches!(kind, Kind::Map(_)) {
            None
        } else {
            parameters
        };
        let needs_ctx = parameters.as_ref().is_some_and(Template::uses_context)
            || result_selector.as_ref().is_some_and(Template::uses_context)
            || matches!(&kind, Kind::Map(m) if m.item_selector.as_ref().is_some_and(Template::uses_context))
            || matches!(&kind, Kind::Task(t) if t.credentials.is_some())
            || matches!(&kind, Kind::Fail { .. } | Kind::Choice { .. })
            || [&input_path, &output_path]
                .iter()
                .any(|p| matches!(p, IoPath::Path(p) if p.context));
        Some(State {
            name: Arc::from(name),
            kind,
            input_path,
            output_path,
            result_path,
            parameters,
            result_selector,
            next,
            retry,
            catch,
            needs_ctx,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_gives_one_line_per_diagnostic_and_validate_matches_parse() {
        let def = r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Nope"},"B":{"Type":"Wait","End":true}}}"#;
        let err = StateMachine::parse(def).unwrap_err();
        let text = err.to_string();
        assert_eq!(text.lines().count(), err.diagnostics.len());
        assert!(err.diagnostics.len() >= 2);
        assert!(text.contains("/States/A/Next") && text.contains("'A'"));
        assert!(text.contains("/States/B/"));
        assert_eq!(validate(def), err.diagnostics);
        let ok = r#"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}"#;
        assert!(validate(ok).is_empty());
        let m = StateMachine::parse(ok).unwrap();
        assert_eq!(m.start_at(), "A");
        assert_eq!(m.state_names().collect::<Vec<_>>(), vec!["A"]);
    }
}
