//! The interpreter: one execution walks its states, emitting history as AWS does.

use super::tokens::Tokens;
use super::{EngineInner, ExecShared, ExecutionInfo};
use crate::definition::{
    Assign, ChoiceTest, IoPath, Kind, Lang, Machine, ResultPathSpec, Secs, State, Text, WaitSpec,
};
use crate::fault::Fault;
use crate::history::*;
use crate::jsonata::{self, States};
use crate::observer::Observer;
use crate::paths::{Env, Vars};
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use serde_json::{json, Map, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

pub(crate) struct Exec {
    pub engine: Arc<EngineInner>,
    pub info: ExecutionInfo,
    pub input: Arc<Value>,
    pub observer: Arc<dyn Observer>,
    pub next_id: AtomicU64,
    pub shared: Arc<ExecShared>,
}

/// Where a resumed execution picks up its first state.
pub(crate) struct ResumeAt {
    pub state: usize,
    pub input: Arc<Value>,
    pub entered_at: DateTime<Utc>,
    pub entered_id: u64,
    /// The variables as recorded up to this point.
    pub vars: Vars,
    pub mode: ResumeMode,
}

pub(crate) enum ResumeMode {
    /// The state had exited with this output: only the transition is left.
    Exited(Arc<Value>),
    /// Run the state again without a new Entered event.
    Rerun(TaskResume),
}

#[derive(Default, Clone)]
pub(crate) struct TaskResume {
    pub counts: Vec<u32>,
    pub retry_count: u32,
    /// A `.waitForTaskToken` task was waiting: (TaskScheduled id, TaskStarted time).
    pub waiting: Option<(u64, DateTime<Utc>)>,
    /// A Parallel/Map attempt was running: close it (`...StateAborted`) before restarting,
    /// so the recorded history stays well nested for a later resume.
    pub close_open_attempt: bool,
    /// A Task attempt whose outcome is already recorded (its result or its error): the
    /// state goes on from it (Retry, Catch, ResultPath ...) without running the task again.
    pub recorded: Option<Result<Arc<Value>, Fault>>,
}

pub(crate) struct Transition {
    pub output: Arc<Value>,
    pub next: Option<usize>,
    pub exited: bool,
    /// The variables the state assigned (recorded in its Exited event).
    pub assigned: Option<Map<String, Value>>,
}

impl Transition {
    fn to(output: Arc<Value>, next: Option<usize>) -> Transition {
        Transition {
            output,
            next,
            exited: true,
            assigned: None,
        }
    }
}

/// The moment a state was entered: its time and the id of its Entered event.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entered {
    pub at: DateTime<Utc>,
    pub id: u64,
}

/// The variables a state assigned, if it has an `Assign`.
pub(crate) type Assigned = Option<Map<String, Value>>;

/// `States.QueryEvaluationError` with the cause AWS writes: which state (and the id of
/// its Entered event), then what went wrong.
pub(crate) fn query_error(st: &State, env: &Env, location: Option<&str>, what: String) -> Fault {
    Fault::query(
        &st.name,
        location.map(str::to_string),
        format!(
            "An error occurred while executing the state '{}' (entered at the event id #{}). {what}",
            st.name, env.entered_id
        ),
    )
}

/// A `States.Runtime` cause as AWS writes it: which state failed, and the id of its
/// Entered event, before what went wrong.
fn runtime_cause(st: &State, entered: Entered, mut f: Fault) -> Fault {
    const HEAD: &str = "An error occurred while executing the state";
    if f.error == crate::fault::RUNTIME && !f.cause.starts_with(HEAD) {
        f.cause = format!(
            "{HEAD} '{}' (entered at the event id #{}). {}",
            st.name, entered.id, f.cause
        );
    }
    f
}

/// Evaluates a JSONata field.
pub(crate) fn ata_value(
    st: &State,
    env: &Env,
    field: &str,
    t: &jsonata::Template,
    states: &States<'_>,
) -> Result<Value, Fault> {
    t.eval(field, states, &env.vars)
        .map_err(|f| query_error(st, env, Some(&f.location), f.describe()))
}

/// Evaluates a JSONata field that must give a value of one JSON type.
pub(crate) fn ata_typed(
    st: &State,
    env: &Env,
    field: &str,
    t: &jsonata::Template,
    states: &States<'_>,
    expected: &str,
) -> Result<Value, Fault> {
    let v = ata_value(st, env, field, t, states)?;
    let got = jsonata::type_name(&v);
    let ok = got == expected || (expected == "integer" && v.is_u64());
    if ok {
        return Ok(v);
    }
    let what = match t.source() {
        Some(src) => format!(
            "The JSONata expression '{src}' specified for the field '{field}' returned an unexpected result type. Expected '{expected}', but was '{got}' for value: {v}"
        ),
        None => format!(
            "The value of the field '{field}' has an unexpected type. Expected '{expected}', but was '{got}' for value: {v}"
        ),
    };
    Err(query_error(st, env, Some(field), what))
}

/// Applies an `Assign` field: evaluated against `input` and `result` (JSONPath: `$` is
/// `result`), with the variables as they were before the state.
pub(crate) fn eval_assign(
    st: &State,
    assign: &Assign,
    env: &Env,
    states: &States<'_>,
) -> Result<Map<String, Value>, Fault> {
    let v = match assign {
        Assign::Path(t) => t.eval(states.result.unwrap_or(states.input), env)?,
        Assign::Ata(t) => ata_value(st, env, "Assign", t, states)?,
    };
    match v {
        Value::Object(m) => {
            check_assigned(st, &env.vars, &m)?;
            Ok(m)
        }
        _ => Ok(Map::new()),
    }
}

/// Checks assigned variables against Step Functions' size limits (one variable and one
/// `Assign` at most 256 KiB, all variables of the scope at most 10 MiB).
pub(crate) fn check_assigned(
    st: &State,
    vars: &Vars,
    assigned: &Map<String, Value>,
) -> Result<(), Fault> {
    use crate::limits::{json_size, ALL_VARIABLES_BYTES, VARIABLE_BYTES};
    let too_big = |what: String| {
        Fault::new(
            crate::fault::DATA_LIMIT,
            format!("The state '{}' assigned {what}", st.name),
        )
    };
    let mut together = 0usize;
    for (k, v) in assigned {
        let n = json_size(v, VARIABLE_BYTES);
        if n > VARIABLE_BYTES {
            return Err(too_big(format!(
                "the variable '{k}' a value larger than the maximum of {VARIABLE_BYTES} bytes"
            )));
        }
        together += n;
    }
    if together > VARIABLE_BYTES {
        return Err(too_big(format!(
            "variables whose values together exceed the maximum of {VARIABLE_BYTES} bytes for one Assign"
        )));
    }
    // The scope after this Assign, counted without building it: what is held now plus what
    // is assigned (an overwritten variable counts twice, erring on the safe side).
    if json_size(&**vars, ALL_VARIABLES_BYTES) + together > ALL_VARIABLES_BYTES {
        return Err(too_big(format!(
            "variables that together exceed the maximum of {ALL_VARIABLES_BYTES} bytes for an execution"
        )));
    }
    Ok(())
}

/// Stores assigned variables in the current scope.
pub(crate) fn store(vars: &mut Vars, assigned: &Option<Map<String, Value>>) {
    if let Some(a) = assigned {
        let m = Arc::make_mut(vars);
        for (k, v) in a {
            m.insert(k.clone(), v.clone());
        }
    }
}

fn entered_type(k: &Kind) -> (EventType, Option<EventType>) {
    match k {
        Kind::Pass { .. } => (
            EventType::PassStateEntered,
            Some(EventType::PassStateExited),
        ),
        Kind::Task(_) => (
            EventType::TaskStateEntered,
            Some(EventType::TaskStateExited),
        ),
        Kind::Choice { .. } => (
            EventType::ChoiceStateEntered,
            Some(EventType::ChoiceStateExited),
        ),
        Kind::Wait(_) => (
            EventType::WaitStateEntered,
            Some(EventType::WaitStateExited),
        ),
        Kind::Succeed => (
            EventType::SucceedStateEntered,
            Some(EventType::SucceedStateExited),
        ),
        Kind::Fail { .. } => (EventType::FailStateEntered, None),
        Kind::Parallel { .. } => (
            EventType::ParallelStateEntered,
            Some(EventType::ParallelStateExited),
        ),
        Kind::Map(_) => (EventType::MapStateEntered, Some(EventType::MapStateExited)),
    }
}

pub(crate) fn apply_io(p: &IoPath, v: &Arc<Value>, ctx: &Env) -> Result<Arc<Value>, Fault> {
    match p {
        IoPath::Root => Ok(v.clone()),
        IoPath::Null => Ok(Arc::new(Value::Object(Map::new()))),
        IoPath::Path(path) => path
            .select(v, ctx)
            .map(Arc::new)
            .ok_or_else(|| Fault::runtime(path.no_results(v, ctx))),
    }
}

pub(crate) fn apply_result_path(
    rp: &ResultPathSpec,
    input: &Arc<Value>,
    result: Arc<Value>,
) -> Result<Arc<Value>, Fault> {
    match rp {
        ResultPathSpec::Replace => Ok(result),
        ResultPathSpec::Discard => Ok(input.clone()),
        ResultPathSpec::Ref(r) => r
            .set((**input).clone(), Arc::unwrap_or_clone(result))
            .map(Arc::new)
            .map_err(|e| Fault::runtime(format!("Unable to apply ResultPath: {e}"))),
    }
}

fn millis(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Exec {
    pub fn emit(&self, prev: &mut u64, ty: EventType, details: Option<EventDetails>) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let ev = HistoryEvent {
            timestamp: self.engine.clock.now(),
            event_type: ty,
            id,
            previous_event_id: *prev,
            details,
        };
        self.observer.on_event(&self.info.execution_arn, &ev);
        *prev = id;
        id
    }

    /// What the state's paths and expressions read besides the input.
    pub fn env(
        &self,
        st: &State,
        entered: Entered,
        retry: u32,
        token: Option<&str>,
        vars: &Vars,
    ) -> Env {
        let ctx = if st.needs_ctx || token.is_some() {
            self.context(st, entered.at, retry, token)
        } else {
            Value::Null
        };
        Env {
            ctx,
            vars: vars.clone(),
            entered_id: entered.id,
        }
    }

    /// Finishes a state that produced `result` from `input`: JSONPath applies
    /// ResultSelector (when `select`), ResultPath and OutputPath; JSONata evaluates
    /// `Output` (default: `result`). `Assign` is evaluated beside them, against the
    /// variables from before the state, and stored afterwards.
    pub(crate) fn conclude(
        &self,
        st: &State,
        input: &Arc<Value>,
        result: Arc<Value>,
        env: &Env,
        vars: &mut Vars,
        select: bool,
    ) -> Result<(Arc<Value>, Assigned), Fault> {
        let (output, assigned) = match st.lang {
            Lang::JsonPath => {
                let result = match (&st.result_selector, select) {
                    (Some(sel), true) => Arc::new(sel.eval(&result, env)?),
                    _ => result,
                };
                let assigned = match &st.assign {
                    Some(a) => Some(eval_assign(
                        st,
                        a,
                        env,
                        &States {
                            input,
                            result: Some(&result),
                            error_output: None,
                            context: &env.ctx,
                        },
                    )?),
                    None => None,
                };
                let out = apply_result_path(&st.result_path, input, result)?;
                (apply_io(&st.output_path, &out, env)?, assigned)
            }
            Lang::Jsonata => {
                let states = States {
                    input,
                    result: Some(&result),
                    error_output: None,
                    context: &env.ctx,
                };
                let assigned = match &st.assign {
                    Some(a) => Some(eval_assign(st, a, env, &states)?),
                    None => None,
                };
                let output = match &st.output {
                    Some(o) => Arc::new(ata_value(st, env, "Output", o, &states)?),
                    None => result.clone(),
                };
                (output, assigned)
            }
        };
        store(vars, &assigned);
        Ok((output, assigned))
    }

    /// The context object (`$$`), built only for states that read it.
    pub fn context(
        &self,
        st: &State,
        entered: DateTime<Utc>,
        retry: u32,
        token: Option<&str>,
    ) -> Value {
        let mut c = json!({
            "Execution": {
                "Id": self.info.execution_arn,
                "Input": *self.input,
                "Name": self.info.name,
                "RoleArn": self.info.role_arn,
                "StartTime": millis(self.info.start_time),
                "RedriveCount": 0,
            },
            "State": {"EnteredTime": millis(entered), "Name": &*st.name},
            "StateMachine": {"Id": self.info.state_machine_arn, "Name": self.info.state_machine_name},
        });
        // As on AWS, `$$.State.RetryCount` is there only for a state that can retry.
        if !st.retry.is_empty() {
            c["State"]["RetryCount"] = json!(retry);
        }
        if let (Some(t), Some(m)) = (token, c.as_object_mut()) {
            m.insert("Task".into(), json!({ "Token": t }));
        }
        c
    }

    pub fn run_machine<'a>(
        &'a self,
        m: &'a Arc<Machine>,
        input: Arc<Value>,
        prev: &'a mut u64,
        top: bool,
        resume: Option<ResumeAt>,
        vars: &'a mut Vars,
    ) -> BoxFuture<'a, Result<Arc<Value>, Fault>> {
        Box::pin(async move {
            let mut idx = m.start;
            let mut input = input;
            // The resume point replaces the first state's entry (no new Entered event).
            // Boxed: this lives across every await of a waiting execution.
            let mut first: Option<Box<(Entered, TaskResume)>> = None;
            let mut steps: u32 = 0;
            if let Some(r) = resume {
                *vars = r.vars;
                match r.mode {
                    ResumeMode::Exited(output) => {
                        let st = &m.states[r.state];
                        let next = match &st.kind {
                            Kind::Choice { .. } => {
                                // The variables of the exited state are already restored.
                                let before = vars.clone();
                                self.choose(
                                    st,
                                    &r.input,
                                    Entered {
                                        at: r.entered_at,
                                        id: r.entered_id,
                                    },
                                    &before,
                                )?
                                .0
                            }
                            _ => st.next,
                        };
                        match next {
                            Some(n) => {
                                idx = n;
                                input = output;
                            }
                            None => return Ok(output),
                        }
                    }
                    ResumeMode::Rerun(tres) => {
                        idx = r.state;
                        input = r.input;
                        let st = &m.states[idx];
                        if tres.close_open_attempt {
                            match st.kind {
                                Kind::Parallel { .. } => {
                                    self.emit(prev, EventType::ParallelStateAborted, None);
                                }
                                Kind::Map(_) => {
                                    self.emit(prev, EventType::MapStateAborted, None);
                                }
                                _ => {}
                            }
                        }
                        first = Some(Box::new((
                            Entered {
                                at: r.entered_at,
                                id: r.entered_id,
                            },
                            tres,
                        )));
                    }
                }
            }
            loop {
                let st = &m.states[idx];
                // Every 32 states, a stop, a timeout or another execution gets its turn: a
                // machine that loops without waiting never holds a worker (yielding at every
                // state would slow every execution down).
                steps = steps.wrapping_add(1);
                if steps.is_multiple_of(32) {
                    tokio::task::yield_now().await;
                }
                if self.next_id.load(Ordering::Relaxed) >= crate::limits::HISTORY_EVENTS {
                    return Err(Fault::runtime(format!(
                        "The execution reached the maximum number of history events ({}).",
                        crate::limits::HISTORY_EVENTS
                    )));
                }
                if top {
                    self.shared.set_current(Some(st.name.clone()));
                }
                let (ent, exi) = entered_type(&st.kind);
                let (entered_at, tres) = match first.take() {
                    Some(f) => {
                        let (at, tres) = *f;
                        (at, Some(Box::new(tres)))
                    }
                    None => {
                        let id = self.emit(
                            prev,
                            ent,
                            Some(EventDetails::StateEntered(StateEnteredDetails {
                                name: st.name.clone(),
                                input: input.clone(),
                                input_details: PayloadDetails::default(),
                            })),
                        );
                        (
                            Entered {
                                at: self.engine.clock.now(),
                                id,
                            },
                            None,
                        )
                    }
                };
                let tr = match self
                    .run_state(st, input, prev, entered_at, tres, vars, top)
                    .await
                {
                    Ok(tr) => tr,
                    Err(f) => {
                        let f = runtime_cause(st, entered_at, f);
                        return Err(self.evaluation_failed(prev, f));
                    }
                };
                if crate::limits::too_deep(&tr.output) {
                    let f = Fault::runtime(format!(
                        "The output nests deeper than {} levels.",
                        crate::limits::NESTING
                    ));
                    return Err(runtime_cause(st, entered_at, f));
                }
                if crate::limits::exceeds(&tr.output, crate::limits::PAYLOAD_BYTES) {
                    return Err(Fault::new(
                        crate::fault::DATA_LIMIT,
                        format!(
                            "The state/task '{}' returned a result with a size exceeding the maximum number of bytes service limit.",
                            st.name
                        ),
                    ));
                }
                if let (true, Some(exi)) = (tr.exited, exi) {
                    let assigned = tr.assigned.as_ref().map(|a| {
                        Box::new(a.iter().map(|(k, v)| (k.clone(), v.to_string())).collect())
                    });
                    let details = assigned.as_ref().map(|_| PayloadDetails::default());
                    self.emit(
                        prev,
                        exi,
                        Some(EventDetails::StateExited(StateExitedDetails {
                            name: st.name.clone(),
                            output: tr.output.clone(),
                            output_details: PayloadDetails::default(),
                            assigned_variables: assigned,
                            assigned_variables_details: details,
                        })),
                    );
                }
                match tr.next {
                    Some(n) => {
                        idx = n;
                        input = tr.output;
                    }
                    None => return Ok(tr.output),
                }
            }
        })
    }

    /// Records the `EvaluationFailed` event of a failed JSONata field, once.
    fn evaluation_failed(&self, prev: &mut u64, mut f: Fault) -> Fault {
        if let Some(ev) = f.evaluation.take() {
            let (state, location) = *ev;
            self.emit(
                prev,
                EventType::EvaluationFailed,
                Some(EventDetails::EvaluationFailed(Box::new(
                    EvaluationFailedDetails {
                        error: f.error.clone(),
                        cause: f.cause.clone(),
                        location,
                        state,
                    },
                ))),
            );
        }
        f
    }

    /// The rule a Choice state takes: (next state, the matched rule's index).
    fn choose(
        &self,
        st: &State,
        input: &Arc<Value>,
        entered: Entered,
        vars: &Vars,
    ) -> Result<(Option<usize>, Option<usize>), Fault> {
        let Kind::Choice { choices, default } = &st.kind else {
            return Ok((st.next, None));
        };
        let env = self.env(st, entered, 0, None, vars);
        let eff = apply_io(&st.input_path, input, &env)?;
        for (i, c) in choices.iter().enumerate() {
            let hit = match &c.test {
                ChoiceTest::Rule(rule) => rule.eval(&eff, &env)?,
                ChoiceTest::Condition(t) => {
                    let states = States::of(&eff, &env.ctx);
                    match ata_value(st, &env, "Condition", t, &states)? {
                        Value::Bool(b) => b,
                        other => {
                            let what = format!(
                                "The JSONata expression '{}' specified for the field 'Condition' returned an unexpected result type. Expected 'boolean', but was '{}' for value: {other}",
                                t.source().unwrap_or_default(),
                                jsonata::type_name(&other)
                            );
                            return Err(query_error(st, &env, Some("Condition"), what));
                        }
                    }
                }
            };
            if hit {
                return Ok((Some(c.next), Some(i)));
            }
        }
        match default {
            Some(d) => Ok((Some(*d), None)),
            None => Err(Fault::new(
                "States.NoChoiceMatched",
                format!(
                    "No Choice Rules matched and no Default was specified in state '{}'",
                    st.name
                ),
            )),
        }
    }

    /// Seconds from a JSONPath or JSONata field (`TimeoutSeconds`, `MaxConcurrency` ...).
    pub(crate) fn number_field(
        &self,
        st: &State,
        s: &Secs,
        eff: &Value,
        env: &Env,
        field: &str,
    ) -> Result<Option<Value>, Fault> {
        Ok(match s {
            Secs::Fixed(n) => Some(Value::from(*n)),
            Secs::Path(p) => p.select(eff, env),
            Secs::Ata(t) => {
                let states = States::of(eff, &env.ctx);
                Some(ata_typed(st, env, field, t, &states, "integer")?)
            }
        })
    }

    #[allow(clippy::too_many_arguments)]
    async fn run_state(
        &self,
        st: &State,
        input: Arc<Value>,
        prev: &mut u64,
        entered: Entered,
        tres: Option<Box<TaskResume>>,
        vars: &mut Vars,
        top: bool,
    ) -> Result<Transition, Fault> {
        let env = self.env(st, entered, 0, None, vars);
        let ata = |t: &jsonata::Template, field: &str, inp: &Value| {
            let states = States::of(inp, &env.ctx);
            ata_value(st, &env, field, t, &states)
        };
        match &st.kind {
            Kind::Pass { result } => {
                let eff = apply_io(&st.input_path, &input, &env)?;
                // Shared, not copied: the Result literal and an unchanged input are Arcs.
                let res = match (result, &st.parameters) {
                    (Some(r), _) => r.clone(),
                    (None, Some(p)) => Arc::new(p.eval(&eff, &env)?),
                    (None, None) => eff,
                };
                let (output, assigned) = self.conclude(st, &input, res, &env, vars, false)?;
                Ok(Transition {
                    assigned,
                    ..Transition::to(output, st.next)
                })
            }
            Kind::Succeed => {
                let eff = apply_io(&st.input_path, &input, &env)?;
                let (output, assigned) = match st.lang {
                    Lang::JsonPath => (apply_io(&st.output_path, &eff, &env)?, None),
                    Lang::Jsonata => self.conclude(st, &input, eff, &env, vars, false)?,
                };
                Ok(Transition {
                    assigned,
                    ..Transition::to(output, None)
                })
            }
            Kind::Fail { error, cause } => {
                let text = |t: &Option<Text>, field: &str| -> Result<String, Fault> {
                    Ok(match t {
                        None => String::new(),
                        Some(Text::Lit(s)) => s.clone(),
                        Some(Text::Expr(e)) => {
                            match e.eval_as(&input, &env, &format!("{field}Path"))? {
                                Value::String(s) => s,
                                other => other.to_string(),
                            }
                        }
                        Some(Text::Ata(t)) => match ata(t, field, &input)? {
                            Value::String(s) => s,
                            other => other.to_string(),
                        },
                    })
                };
                Err(Fault::new(text(error, "Error")?, text(cause, "Cause")?))
            }
            Kind::Choice { choices, .. } => {
                let (next, rule) = self.choose(st, &input, entered, vars)?;
                let eff = apply_io(&st.input_path, &input, &env)?;
                let (assign, output) = match rule.map(|i| &choices[i]) {
                    Some(c) if st.lang == Lang::Jsonata || c.assign.is_some() => {
                        (c.assign.as_ref(), c.output.as_ref().or(st.output.as_ref()))
                    }
                    _ => (st.assign.as_ref(), st.output.as_ref()),
                };
                let states = States::of(&eff, &env.ctx);
                let assigned = match assign {
                    Some(a) => Some(eval_assign(st, a, &env, &states)?),
                    None => None,
                };
                let output = match (st.lang, output) {
                    (Lang::Jsonata, Some(o)) => {
                        Arc::new(ata_value(st, &env, "Output", o, &states)?)
                    }
                    (Lang::Jsonata, None) => eff,
                    (Lang::JsonPath, _) => apply_io(&st.output_path, &eff, &env)?,
                };
                store(vars, &assigned);
                Ok(Transition {
                    assigned,
                    ..Transition::to(output, next)
                })
            }
            Kind::Wait(w) => {
                let eff = apply_io(&st.input_path, &input, &env)?;
                // AWS's words for a SecondsPath/TimestampPath value it cannot use.
                let text = |v: &Value| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let seconds_at = |p: &crate::paths::Path| {
                    let Some(v) = p.select(&eff, &env) else {
                        return Err(Fault::runtime(format!(
                            "The SecondsPath parameter does not reference an input value: {}",
                            p.text
                        )));
                    };
                    match (v.as_i64(), v.as_f64()) {
                        (Some(n), _) if n >= 0 => Ok(crate::clock::plus_seconds(entered.at, n)),
                        (Some(_), _) => Err(Fault::runtime(format!(
                            "The SecondsPath parameter references a negative value: {} == {}",
                            p.text,
                            text(&v)
                        ))),
                        _ => Err(Fault::runtime(format!(
                            "The SecondsPath parameter cannot be parsed as a long value: {} == {}",
                            p.text,
                            text(&v)
                        ))),
                    }
                };
                let stamp_at = |p: &crate::paths::Path| {
                    let Some(v) = p.select(&eff, &env) else {
                        return Err(Fault::runtime(format!(
                            "The TimestampPath parameter does not reference an input value: {}",
                            p.text
                        )));
                    };
                    match v.as_str().and_then(crate::choice::parse_timestamp) {
                        Some(t) => Ok(t.with_timezone(&Utc)),
                        None => Err(Fault::runtime(format!(
                            "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {} == {}",
                            p.text,
                            text(&v)
                        ))),
                    }
                };
                let target = match w {
                    WaitSpec::Seconds(s) => crate::clock::plus_seconds(
                        entered.at,
                        i64::try_from(*s).unwrap_or(i64::MAX),
                    ),
                    WaitSpec::Timestamp(t) => *t,
                    WaitSpec::SecondsPath(p) => seconds_at(p)?,
                    WaitSpec::TimestampPath(p) => stamp_at(p)?,
                    WaitSpec::SecondsAta(t) => {
                        let states = States::of(&eff, &env.ctx);
                        let v = ata_typed(st, &env, "Seconds", t, &states, "integer")?;
                        crate::clock::plus_seconds(entered.at, v.as_i64().unwrap_or(i64::MAX))
                    }
                    WaitSpec::TimestampAta(t) => {
                        let v = ata(t, "Timestamp", &eff)?;
                        match v.as_str().and_then(crate::choice::parse_timestamp) {
                            Some(t) => t.with_timezone(&Utc),
                            None => {
                                return Err(query_error(
                                    st,
                                    &env,
                                    Some("Timestamp"),
                                    format!("The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {}", text(&v)),
                                ));
                            }
                        }
                    }
                };
                // A delay past 2^31 seconds is refused, as AWS refuses it.
                if target > crate::clock::plus_seconds(entered.at, crate::limits::WAIT_SECONDS) {
                    return Err(Fault::runtime("Wait state delay is too long."));
                }
                let now = self.engine.clock.now();
                if top
                    && target > crate::clock::plus_seconds(now, crate::observer::PARK_AFTER_SECONDS)
                    && self.observer.parks()
                {
                    return Err(Fault::park(target));
                }
                if target > now {
                    self.engine.clock.sleep_until(target).await;
                }
                let (output, assigned) = match st.lang {
                    Lang::JsonPath => {
                        let assigned = match &st.assign {
                            Some(a) => {
                                let states = States::of(&eff, &env.ctx);
                                Some(eval_assign(st, a, &env, &states)?)
                            }
                            None => None,
                        };
                        store(vars, &assigned);
                        (apply_io(&st.output_path, &eff, &env)?, assigned)
                    }
                    Lang::Jsonata => self.conclude(st, &input, eff, &env, vars, false)?,
                };
                Ok(Transition {
                    assigned,
                    ..Transition::to(output, st.next)
                })
            }
            Kind::Task(_) | Kind::Parallel { .. } | Kind::Map(_) => {
                // Boxed: the task/parallel/map futures are large and would otherwise make every
                // waiting execution (a Wait state) pay for their size.
                Box::pin(self.run_with_retry(st, input, prev, entered, tres, vars)).await
            }
        }
    }

    async fn run_with_retry(
        &self,
        st: &State,
        input: Arc<Value>,
        prev: &mut u64,
        entered: Entered,
        tres: Option<Box<TaskResume>>,
        vars: &mut Vars,
    ) -> Result<Transition, Fault> {
        let tres = tres.map(|t| *t).unwrap_or_default();
        let mut counts = tres.counts;
        counts.resize(st.retry.len(), 0);
        let mut retry_count = tres.retry_count;
        let mut waiting = tres.waiting;
        let mut recorded = tres.recorded;
        let result = loop {
            // Whether this attempt got as far as its `…StateStarted` event.
            let before_attempt = *prev;
            let attempt = match (&st.kind, recorded.take()) {
                (_, Some(r)) => r.map(Arc::unwrap_or_clone),
                (kind, None) => match kind {
                    Kind::Task(t) => {
                        self.task_attempt(
                            st,
                            t,
                            &input,
                            prev,
                            entered,
                            retry_count,
                            waiting.take(),
                            vars,
                        )
                        .await
                    }
                    Kind::Parallel { branches } => {
                        self.parallel_attempt(
                            st,
                            branches,
                            &input,
                            prev,
                            entered,
                            retry_count,
                            vars,
                        )
                        .await
                    }
                    Kind::Map(m) => {
                        self.map_attempt(st, m, &input, prev, entered, retry_count, vars)
                            .await
                    }
                    _ => Err(Fault::runtime("internal: not a retryable state")),
                },
            };
            // The state's Output and Assign are part of the attempt: an expression that
            // fails there (States.QueryEvaluationError) can be retried or caught.
            let mut concluded = false;
            let attempt = match attempt {
                Ok(v) => {
                    concluded = true;
                    let env = self.env(st, entered, retry_count, None, vars);
                    self.conclude(st, &input, Arc::new(v), &env, vars, true)
                }
                Err(f) => Err(f),
            };
            match attempt {
                Ok(done) => break done,
                Err(f) => {
                    // A Parallel or Map state records its failure once, when no retry
                    // follows (each retry only starts it again); not after it succeeded.
                    let started = *prev != before_attempt && !concluded;
                    let failed = |prev: &mut u64| match &st.kind {
                        _ if !started => {}
                        Kind::Parallel { .. } => {
                            self.emit(prev, EventType::ParallelStateFailed, None);
                        }
                        Kind::Map(_) => {
                            self.emit(prev, EventType::MapStateFailed, None);
                        }
                        _ => {}
                    };
                    if !f.catchable() {
                        failed(prev);
                        return Err(f);
                    }
                    if let Some(ri) = st
                        .retry
                        .iter()
                        .position(|r| r.errors.iter().any(|e| f.matches(e)))
                    {
                        let r = &st.retry[ri];
                        if counts[ri] < r.max_attempts {
                            let mut delay = r.interval as f64 * r.backoff.powi(counts[ri] as i32);
                            if let Some(max) = r.max_delay {
                                delay = delay.min(max as f64);
                            }
                            if r.full_jitter {
                                delay *= rand::random::<f64>();
                            }
                            counts[ri] += 1;
                            retry_count += 1;
                            let ms = (delay * 1000.0).min(1.0e13) as i64;
                            let until = crate::clock::plus_millis(self.engine.clock.now(), ms);
                            self.engine.clock.sleep_until(until).await;
                            continue;
                        }
                    }
                    failed(prev);
                    if let Some(c) = st
                        .catch
                        .iter()
                        .find(|c| c.errors.iter().any(|e| f.matches(e)))
                    {
                        return self.caught(st, c, &input, f, entered, retry_count, vars);
                    }
                    return Err(f);
                }
            }
        };
        let (output, assigned) = result;
        Ok(Transition {
            assigned,
            ..Transition::to(output, st.next)
        })
    }

    /// A failure a catcher handles: its output (JSONPath ResultPath, JSONata Output) and
    /// its variables.
    #[allow(clippy::too_many_arguments)]
    fn caught(
        &self,
        st: &State,
        c: &crate::definition::Catcher,
        input: &Arc<Value>,
        f: Fault,
        entered: Entered,
        retry_count: u32,
        vars: &mut Vars,
    ) -> Result<Transition, Fault> {
        let err = Arc::new(json!({"Error": f.error, "Cause": f.cause}));
        let env = self.env(st, entered, retry_count, None, vars);
        let states = States {
            input,
            result: None,
            error_output: Some(&err),
            context: &env.ctx,
        };
        let assigned = match &c.assign {
            // JSONPath: `$` is the error output.
            Some(a @ Assign::Path(_)) => Some(eval_assign(
                st,
                a,
                &env,
                &States {
                    result: Some(&err),
                    ..states
                },
            )?),
            Some(a) => Some(eval_assign(st, a, &env, &states)?),
            None => None,
        };
        let output = match st.lang {
            Lang::JsonPath => apply_result_path(&c.result_path, input, err)?,
            Lang::Jsonata => match &c.output {
                Some(o) => Arc::new(ata_value(st, &env, "Output", o, &states)?),
                None => err,
            },
        };
        store(vars, &assigned);
        // As on AWS, the state exits (…StateExited) with the catcher's output.
        Ok(Transition {
            assigned,
            ..Transition::to(output, Some(c.next))
        })
    }

    /// The input a Parallel state's branches (or a Task) receive: JSONPath InputPath and
    /// Parameters, or JSONata Arguments (default: the state input).
    pub(crate) fn effective_input(
        &self,
        st: &State,
        input: &Arc<Value>,
        env: &Env,
    ) -> Result<Arc<Value>, Fault> {
        match st.lang {
            Lang::JsonPath => {
                let eff = apply_io(&st.input_path, input, env)?;
                Ok(match &st.parameters {
                    Some(p) => Arc::new(p.eval(&eff, env)?),
                    None => eff,
                })
            }
            Lang::Jsonata => match &st.arguments {
                Some(a) => {
                    let states = States::of(input, &env.ctx);
                    Ok(Arc::new(ata_value(st, env, "Arguments", a, &states)?))
                }
                None => Ok(input.clone()),
            },
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn parallel_attempt(
        &self,
        st: &State,
        branches: &[Arc<Machine>],
        input: &Arc<Value>,
        prev: &mut u64,
        entered: Entered,
        retry: u32,
        vars: &Vars,
    ) -> Result<Value, Fault> {
        let env = self.env(st, entered, retry, None, vars);
        let eff = self.effective_input(st, input, &env)?;
        let started = self.emit(prev, EventType::ParallelStateStarted, None);
        let futs = branches.iter().map(|b| {
            let eff = eff.clone();
            // Each branch reads the outer variables; what it assigns stays inside it.
            let mut scope = vars.clone();
            async move {
                let mut p = started;
                self.run_machine(b, eff, &mut p, false, None, &mut scope)
                    .await
            }
        });
        match futures::future::try_join_all(futs).await {
            Ok(outs) => {
                self.emit(prev, EventType::ParallelStateSucceeded, None);
                Ok(Value::Array(
                    outs.into_iter().map(Arc::unwrap_or_clone).collect(),
                ))
            }
            // `ParallelStateFailed` is written once retries are over (run_with_retry).
            Err(f) => Err(f),
        }
    }

    /// The array a Map state iterates over.
    fn map_items(
        &self,
        st: &State,
        m: &crate::definition::MapSpec,
        input: &Arc<Value>,
        env: &Env,
    ) -> Result<Vec<Value>, Fault> {
        let items = match (st.lang, &m.items_path, &m.items) {
            (Lang::Jsonata, _, Some(t)) => {
                let states = States::of(input, &env.ctx);
                ata_typed(st, env, "Items", t, &states, "array")?
            }
            (Lang::Jsonata, _, None) => match &**input {
                v @ Value::Array(_) => v.clone(),
                other => {
                    return Err(query_error(
                        st,
                        env,
                        None,
                        format!("Map state input must be an array but was: {other}"),
                    ))
                }
            },
            (Lang::JsonPath, IoPath::Path(p), _) => {
                let eff = apply_io(&st.input_path, input, env)?;
                p.select(&eff, env).ok_or_else(|| {
                    Fault::runtime(format!(
                        "Invalid path '{}' : The ItemsPath could not be found in the input",
                        p.text
                    ))
                })?
            }
            (Lang::JsonPath, _, _) => (*apply_io(&st.input_path, input, env)?).clone(),
        };
        match items {
            Value::Array(items) => Ok(items),
            other if st.lang == Lang::Jsonata => Err(Fault::new(
                crate::fault::QUERY_EVALUATION,
                format!(
                    "The Items of the Map state '{}' must evaluate to a JSON array, got {other}",
                    st.name
                ),
            )),
            other => Err(Fault::runtime(format!(
                "Map state '{}': the items (ItemsPath) must be a JSON array, got {other}",
                st.name
            ))),
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn map_attempt(
        &self,
        st: &State,
        m: &crate::definition::MapSpec,
        input: &Arc<Value>,
        prev: &mut u64,
        entered: Entered,
        retry: u32,
        vars: &Vars,
    ) -> Result<Value, Fault> {
        use futures::StreamExt;
        let env = self.env(st, entered, retry, None, vars);
        if let Some(f) = m.unsupported {
            return Err(Fault::runtime(format!(
                "Map state '{}': '{f}' (distributed Map) is not supported by this engine; only inline Map runs locally",
                st.name
            )));
        }
        let eff = apply_io(&st.input_path, input, &env)?;
        let items = self.map_items(st, m, input, &env)?;
        let n = items.len();
        let conc = match &m.max_concurrency {
            None => 0,
            Some(Secs::Path(p)) => {
                let v = p
                    .select(&eff, &env)
                    .ok_or_else(|| Fault::runtime(p.no_results(&eff, &env)))?;
                match v.as_u64() {
                    Some(c) => usize::try_from(c).unwrap_or(usize::MAX),
                    None => {
                        let shown = match &v {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        return Err(Fault::runtime(format!(
                            "The MaxConcurrencyPath field refers to value \"{shown}\" which is not a valid integer: {}",
                            p.text
                        )));
                    }
                }
            }
            Some(s) => match self
                .number_field(st, s, &eff, &env, "MaxConcurrency")?
                .and_then(|v| v.as_u64())
            {
                Some(c) => usize::try_from(c).unwrap_or(usize::MAX),
                None => {
                    return Err(Fault::runtime(format!(
                        "The MaxConcurrency of the Map state '{}' must be a non-negative integer",
                        st.name
                    )))
                }
            },
        };
        let conc = if conc == 0 { n.max(1) } else { conc };
        let started = self.emit(
            prev,
            EventType::MapStateStarted,
            Some(EventDetails::MapStateStarted(MapStartedDetails {
                length: n as u64,
            })),
        );
        let uses_ctx = m.item_selector.as_ref().is_some_and(|t| t.uses_context())
            || m.item_selector_ata.is_some();
        let name = st.name.clone();
        let processor = &m.processor;
        let eff_ref = &eff;
        let env_ref = &env;
        let mut stream = futures::stream::iter(items.into_iter().enumerate())
            .map(|(i, item)| {
                let name = name.clone();
                let mut scope = vars.clone();
                async move {
                    let mut p = started;
                    let it = MapIterationDetails {
                        name,
                        index: i as u64,
                    };
                    self.emit(
                        &mut p,
                        EventType::MapIterationStarted,
                        Some(EventDetails::MapIterationStarted(it.clone())),
                    );
                    let item_input = self.item_input(st, m, eff_ref, env_ref, uses_ctx, i, item);
                    let r = match item_input {
                        Ok(inp) => {
                            self.run_machine(processor, inp, &mut p, false, None, &mut scope)
                                .await
                        }
                        Err(f) => Err(f),
                    };
                    match &r {
                        Ok(_) => self.emit(
                            &mut p,
                            EventType::MapIterationSucceeded,
                            Some(EventDetails::MapIterationSucceeded(it)),
                        ),
                        Err(_) => self.emit(
                            &mut p,
                            EventType::MapIterationFailed,
                            Some(EventDetails::MapIterationFailed(it)),
                        ),
                    };
                    (i, r)
                }
            })
            .buffer_unordered(conc);
        let mut results: Vec<Value> = vec![Value::Null; n];
        while let Some((i, r)) = stream.next().await {
            match r {
                Ok(v) => results[i] = Arc::unwrap_or_clone(v),
                Err(f) => {
                    // `MapStateFailed` is written once retries are over (run_with_retry).
                    drop(stream);
                    return Err(f);
                }
            }
        }
        drop(stream);
        self.emit(prev, EventType::MapStateSucceeded, None);
        Ok(Value::Array(results))
    }

    /// One iteration's input: the item, or the ItemSelector evaluated with
    /// `$$.Map.Item` (JSONata: `$states.context.Map.Item`).
    #[allow(clippy::too_many_arguments)]
    fn item_input(
        &self,
        st: &State,
        m: &crate::definition::MapSpec,
        eff: &Arc<Value>,
        env: &Env,
        uses_ctx: bool,
        i: usize,
        item: Value,
    ) -> Result<Arc<Value>, Fault> {
        if m.item_selector.is_none() && m.item_selector_ata.is_none() {
            return Ok(Arc::new(item));
        }
        let mut ctx = if uses_ctx {
            env.ctx.clone()
        } else {
            Value::Null
        };
        if let Some(o) = ctx.as_object_mut() {
            o.insert("Map".into(), json!({"Item": {"Index": i, "Value": item}}));
        }
        let item_env = Env {
            ctx,
            vars: env.vars.clone(),
            entered_id: env.entered_id,
        };
        match (&m.item_selector, &m.item_selector_ata) {
            (Some(t), _) => t.eval(eff, &item_env).map(Arc::new),
            (None, Some(t)) => {
                let states = States::of(eff, &item_env.ctx);
                ata_value(st, &item_env, "ItemSelector", t, &states).map(Arc::new)
            }
            (None, None) => Ok(Arc::new(item)),
        }
    }

    pub fn tokens(&self) -> &Arc<Tokens> {
        &self.engine.tokens
    }
}
