//! Parsing and validation of ASL definitions into an executable form (paths, templates and
//! rules compiled once, transitions resolved to indices).

mod references;
mod validator;

use crate::choice::Rule;
use crate::error::{DefinitionError, Diagnostic};
use crate::jsonata;
use crate::paths::{Path, RefPath};
use crate::task::IntegrationPattern;
use crate::template::Template;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

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

/// The query language of a state (top-level `QueryLanguage`, overridden per state).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    JsonPath,
    Jsonata,
}

/// An `Assign` field (an object: variable name -> value), written in the state's query
/// language: a payload template for JSONPath (`"name.$": "$.path"` reads a path or an
/// intrinsic), values with `{% %}` expressions for JSONata.
#[derive(Debug, Clone)]
pub(crate) enum Assign {
    Path(Template),
    Ata(jsonata::Template),
}

#[derive(Debug, Clone)]
pub(crate) struct Catcher {
    pub errors: Vec<String>,
    pub next: usize,
    pub result_path: ResultPathSpec,
    pub output: Option<jsonata::Template>,
    pub assign: Option<Assign>,
}

/// One rule of a Choice state.
#[derive(Debug, Clone)]
pub(crate) struct ChoiceRule {
    pub test: ChoiceTest,
    pub next: usize,
    pub assign: Option<Assign>,
    pub output: Option<jsonata::Template>,
}

#[derive(Debug, Clone)]
pub(crate) enum ChoiceTest {
    Rule(Rule),
    /// JSONata `Condition`.
    Condition(jsonata::Template),
}

#[derive(Debug, Clone)]
pub(crate) enum Secs {
    Fixed(u64),
    Path(Path),
    Ata(jsonata::Template),
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
    SecondsAta(jsonata::Template),
    TimestampAta(jsonata::Template),
}

#[derive(Debug, Clone)]
pub(crate) enum Text {
    Lit(String),
    Expr(Template),
    Ata(jsonata::Template),
}

#[derive(Debug, Clone)]
pub(crate) struct MapSpec {
    pub processor: Arc<Machine>,
    pub items_path: IoPath,
    pub item_selector: Option<Template>,
    /// JSONata `Items` (the array to iterate; default: the state input).
    pub items: Option<jsonata::Template>,
    /// JSONata `ItemSelector`.
    pub item_selector_ata: Option<jsonata::Template>,
    pub max_concurrency: Option<Secs>,
    /// A distributed-mode field this engine cannot honour; running the state then fails
    /// with `States.Runtime` instead of silently doing something else.
    pub unsupported: Option<&'static str>,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Pass {
        result: Option<Arc<Value>>,
    },
    Task(TaskSpec),
    Choice {
        choices: Vec<ChoiceRule>,
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
    pub lang: Lang,
    /// JSONata `Arguments` (Task, Parallel).
    pub arguments: Option<jsonata::Template>,
    /// JSONata `Output`.
    pub output: Option<jsonata::Template>,
    pub assign: Option<Assign>,
}

impl State {
    /// The index of the first retrier whose `ErrorEquals` matches `f`.
    pub(crate) fn retrier_for(&self, f: &crate::fault::Fault) -> Option<usize> {
        self.retry
            .iter()
            .position(|r| r.errors.iter().any(|e| f.matches(e)))
    }

    /// The first catcher whose `ErrorEquals` matches `f`.
    pub(crate) fn catcher_for(&self, f: &crate::fault::Fault) -> Option<&Catcher> {
        self.catch
            .iter()
            .find(|c| c.errors.iter().any(|e| f.matches(e)))
    }
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
                crate::jackson::json_error_location(definition, &e),
                crate::jackson::json_error_message(definition, &e),
            )],
        })?;
        match validator::check(definition, &value) {
            Ok(m) => Ok(StateMachine {
                machine: Arc::new(m),
                source: Arc::new(value),
            }),
            Err(diagnostics) => Err(DefinitionError { diagnostics }),
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

    /// For each JSONPath state, the variables it reads (DescribeStateMachine's
    /// `variableReferences`); empty when no state reads one.
    pub fn variable_references(&self) -> std::collections::BTreeMap<String, Vec<String>> {
        references::variable_references(&self.source)
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
        assert!(text.contains("Missing 'Next' target: Nope at /States/A/Next"));
        assert!(text.contains("/States/B"));
        assert_eq!(validate(def), err.diagnostics);
        let ok = r#"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}"#;
        assert!(validate(ok).is_empty());
        let m = StateMachine::parse(ok).unwrap();
        assert_eq!(m.start_at(), "A");
        assert_eq!(m.state_names().collect::<Vec<_>>(), vec!["A"]);
    }
}
