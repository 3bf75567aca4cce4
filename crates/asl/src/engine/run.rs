//! The interpreter: one execution walks its states, emitting history as AWS does. Each
//! step of the walk is a function below: where it starts (the machine's `StartAt` or a
//! resume point), entering a state, running it (`states.rs`, `retry.rs`), checking its
//! output and recording its exit.

use super::flow::Assigned;
use super::tokens::Tokens;
use super::{EngineInner, ExecShared, ExecutionInfo};
use crate::definition::{Kind, Machine, State};
use crate::fault::Fault;
use crate::history::*;
use crate::observer::Observer;
use crate::paths::{Env, Vars};
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use serde_json::{json, Map, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

pub(crate) struct Exec {
    pub engine: Arc<EngineInner>,
    /// What performs this execution's Task states: the engine's resources, or a wrapper
    /// chosen for this execution (a mocked test case).
    pub resources: Arc<dyn crate::task::TaskResources>,
    /// TestState: the context object (`$$`) the request gave, used as is.
    pub context_override: Option<Arc<Value>>,
    /// TestState: where the state's data flow is recorded, step by step.
    pub probe: Option<super::test_state::Probe>,
    pub info: ExecutionInfo,
    pub input: Arc<Value>,
    pub observer: Arc<dyn Observer>,
    pub next_id: AtomicU64,
    pub shared: Arc<ExecShared>,
    /// What a redrive brings back (`$$.Execution.RedriveCount`, the timeout's start, the
    /// iterations of a Map state that already succeeded).
    pub redrive: Redrive,
}

/// An execution's redrives, as its history records them.
#[derive(Default)]
pub(crate) struct Redrive {
    pub count: u32,
    /// When the last redrive happened: the execution's timeout runs from then.
    pub at: Option<DateTime<Utc>>,
    /// The redriven Map (Parallel) state and the outputs of its iterations (branches) that
    /// succeeded before: they are not run again (taken by the first attempt of that state).
    pub done: std::sync::Mutex<Option<MapDone>>,
}

/// Outputs of a Map state's iterations (a Parallel state's branches) that succeeded, by
/// index.
pub(crate) struct MapDone {
    pub state: Arc<str>,
    pub outputs: std::collections::HashMap<u64, Value>,
}

impl Redrive {
    /// The outputs of `state`'s iterations that succeeded before a redrive (once).
    pub fn take_done(&self, state: &str) -> Option<std::collections::HashMap<u64, Value>> {
        let mut d = self.done.lock().unwrap_or_else(|p| p.into_inner());
        match d.as_ref() {
            Some(m) if &*m.state == state => d.take().map(|m| m.outputs),
            _ => None,
        }
    }
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
    /// Run the state again from its recorded input, entering it anew (a redrive).
    Reenter,
}

/// A task a resumed execution waits on again: its `…Scheduled` id, the time its timeouts
/// count from, and whether it had started (an activity a worker had taken).
pub(crate) type Reattach = (u64, DateTime<Utc>, bool);

#[derive(Default, Clone)]
pub(crate) struct TaskResume {
    pub counts: Vec<u32>,
    pub retry_count: u32,
    /// A `.waitForTaskToken` or activity task was waiting (see [`Reattach`]).
    pub waiting: Option<Reattach>,
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
    /// A state that exits normally with `output`, having assigned `assigned`.
    pub(super) fn new(output: Arc<Value>, next: Option<usize>, assigned: Assigned) -> Transition {
        Transition {
            output,
            next,
            exited: true,
            assigned,
        }
    }
}

/// The moment a state was entered: its time and the id of its Entered event.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entered {
    pub at: DateTime<Utc>,
    pub id: u64,
}

/// What every attempt of a Task, Parallel or Map state starts from.
#[derive(Clone, Copy)]
pub(crate) struct AttemptCtx<'a> {
    pub st: &'a State,
    pub input: &'a Arc<Value>,
    pub entered: Entered,
    /// Retries so far (`$$.State.RetryCount`).
    pub retry: u32,
    pub vars: &'a Vars,
}

/// A resume point turned into the place the walk starts.
enum Start {
    /// Run state `idx` on `input`; `first` stands for its entry (no new Entered event).
    At {
        idx: usize,
        input: Arc<Value>,
        first: Option<Box<(Entered, TaskResume)>>,
    },
    /// The resumed state is the machine's last: its output is the machine's.
    Ended(Arc<Value>),
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

fn millis(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A state's output within Step Functions' limits: nesting depth and payload size.
fn check_output(st: &State, entered: Entered, output: &Value) -> Result<(), Fault> {
    if crate::limits::too_deep(output) {
        let f = Fault::runtime(format!(
            "The output nests deeper than {} levels.",
            crate::limits::NESTING
        ));
        return Err(runtime_cause(st, entered, f));
    }
    if crate::limits::exceeds(output, crate::limits::PAYLOAD_BYTES) {
        return Err(Fault::new(
            crate::fault::DATA_LIMIT,
            crate::limits::result_too_large(&st.name),
        ));
    }
    Ok(())
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

    /// The context object (`$$`), built only for states that read it.
    pub fn context(
        &self,
        st: &State,
        entered: DateTime<Utc>,
        retry: u32,
        token: Option<&str>,
    ) -> Value {
        if let Some(c) = &self.context_override {
            let mut c = (**c).clone();
            if let (Some(t), Some(m)) = (token, c.as_object_mut()) {
                m.entry("Task").or_insert_with(|| json!({ "Token": t }));
            }
            return c;
        }
        let mut c = json!({
            "Execution": {
                "Id": self.info.execution_arn,
                "Input": *self.input,
                "Name": self.info.name,
                "RoleArn": self.info.role_arn,
                "StartTime": millis(self.info.start_time),
                "RedriveCount": self.redrive.count,
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

    /// Runs a machine (the execution's, a Parallel branch or a Map item processor) from its
    /// start or from a resume point, until a state ends it.
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
            // Boxed (the resume point): this lives across every await of a waiting execution.
            let (mut idx, mut input, mut first) = match resume {
                None => (m.start, input, None),
                Some(r) => match self.resume_start(m, r, prev, vars)? {
                    Start::At { idx, input, first } => (idx, input, first),
                    Start::Ended(output) => return Ok(output),
                },
            };
            let mut steps: u32 = 0;
            loop {
                let st = &m.states[idx];
                steps = steps.wrapping_add(1);
                self.before_state(st, steps, top).await?;
                let (entered, tres) = self.enter(st, &input, prev, first.take());
                let tr = match self
                    .run_state(st, input, prev, entered, tres, vars, top)
                    .await
                {
                    Ok(tr) => tr,
                    Err(f) => {
                        return Err(self.evaluation_failed(prev, runtime_cause(st, entered, f)))
                    }
                };
                check_output(st, entered, &tr.output)?;
                self.record_exited(prev, st, &tr);
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

    /// Where a resumed walk starts. The recorded variables come back first. A state that
    /// had exited only takes its transition (a Choice state chooses again); a state to run
    /// again first closes a Parallel/Map attempt left open (`…StateAborted`).
    fn resume_start(
        &self,
        m: &Machine,
        r: ResumeAt,
        prev: &mut u64,
        vars: &mut Vars,
    ) -> Result<Start, Fault> {
        *vars = r.vars;
        let entered = Entered {
            at: r.entered_at,
            id: r.entered_id,
        };
        let st = &m.states[r.state];
        let tres = match r.mode {
            ResumeMode::Exited(output) => {
                let next = match &st.kind {
                    Kind::Choice { .. } => {
                        // The variables of the exited state are already restored.
                        let before = vars.clone();
                        self.choose(st, &r.input, entered, &before)?.0
                    }
                    _ => st.next,
                };
                return Ok(match next {
                    Some(idx) => Start::At {
                        idx,
                        input: output,
                        first: None,
                    },
                    None => Start::Ended(output),
                });
            }
            ResumeMode::Rerun(tres) => tres,
            ResumeMode::Reenter => {
                return Ok(Start::At {
                    idx: r.state,
                    input: r.input,
                    first: None,
                })
            }
        };
        if tres.close_open_attempt {
            let aborted = match st.kind {
                Kind::Parallel { .. } => Some(EventType::ParallelStateAborted),
                Kind::Map(_) => Some(EventType::MapStateAborted),
                _ => None,
            };
            if let Some(ty) = aborted {
                self.emit(prev, ty, None);
            }
        }
        Ok(Start::At {
            idx: r.state,
            input: r.input,
            first: Some(Box::new((entered, tres))),
        })
    }

    /// Before each state: every 32 states, a stop, a timeout or another execution gets its
    /// turn (a machine that loops without waiting never holds a worker; yielding at every
    /// state would slow every execution down). A history at its size limit ends the run;
    /// a top-level state becomes the execution's current one.
    async fn before_state(&self, st: &State, steps: u32, top: bool) -> Result<(), Fault> {
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
        Ok(())
    }

    /// Enters a state: records its `…StateEntered` event, or takes the resume point that
    /// stands for it (with what a resumed Task, Parallel or Map state picks up).
    pub(super) fn enter(
        &self,
        st: &State,
        input: &Arc<Value>,
        prev: &mut u64,
        first: Option<Box<(Entered, TaskResume)>>,
    ) -> (Entered, Option<Box<TaskResume>>) {
        if let Some(f) = first {
            let (at, tres) = *f;
            return (at, Some(Box::new(tres)));
        }
        let (ty, _) = entered_type(&st.kind);
        let id = self.emit(
            prev,
            ty,
            Some(EventDetails::StateEntered(StateEnteredDetails {
                name: st.name.clone(),
                input: input.clone(),
                input_details: PayloadDetails::default(),
            })),
        );
        let entered = Entered {
            at: self.engine.clock.now(),
            id,
        };
        (entered, None)
    }

    /// Records the state's `…StateExited` event (with the variables it assigned), for the
    /// states that have one and exit normally.
    fn record_exited(&self, prev: &mut u64, st: &State, tr: &Transition) {
        let (true, (_, Some(ty))) = (tr.exited, entered_type(&st.kind)) else {
            return;
        };
        // An empty `Assign` assigns nothing, and AWS records no variables for it.
        let assigned = tr
            .assigned
            .as_ref()
            .filter(|a| !a.is_empty())
            .map(|a| Box::new(a.iter().map(|(k, v)| (k.clone(), v.to_string())).collect()));
        let details = assigned.as_ref().map(|_| PayloadDetails::default());
        self.emit(
            prev,
            ty,
            Some(EventDetails::StateExited(StateExitedDetails {
                name: st.name.clone(),
                output: tr.output.clone(),
                output_details: PayloadDetails::default(),
                assigned_variables: assigned,
                assigned_variables_details: details,
            })),
        );
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

    pub fn tokens(&self) -> &Arc<Tokens> {
        &self.engine.tokens
    }
}
