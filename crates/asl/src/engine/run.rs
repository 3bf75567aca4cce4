//! The interpreter: one execution walks its states, emitting history as AWS does.

use super::tokens::Tokens;
use super::{EngineInner, ExecShared, ExecutionInfo};
use crate::definition::{IoPath, Kind, Machine, ResultPathSpec, Secs, State, Text, WaitSpec};
use crate::fault::Fault;
use crate::history::*;
use crate::observer::Observer;
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
}

pub(crate) struct Transition {
    pub output: Arc<Value>,
    pub next: Option<usize>,
    pub exited: bool,
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

pub(crate) fn apply_io(
    p: &IoPath,
    v: &Arc<Value>,
    ctx: &Value,
    field: &str,
) -> Result<Arc<Value>, Fault> {
    match p {
        IoPath::Root => Ok(v.clone()),
        IoPath::Null => Ok(Arc::new(Value::Object(Map::new()))),
        IoPath::Path(path) => path.select(v, ctx).map(Arc::new).ok_or_else(|| {
            Fault::runtime(format!(
                "Invalid path '{}' : The {field} '{}' could not be found in the input '{}'",
                path.text, path.text, v
            ))
        }),
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
            "State": {"EnteredTime": millis(entered), "Name": &*st.name, "RetryCount": retry},
            "StateMachine": {"Id": self.info.state_machine_arn, "Name": self.info.state_machine_name},
        });
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
    ) -> BoxFuture<'a, Result<Arc<Value>, Fault>> {
        Box::pin(async move {
            let mut idx = m.start;
            let mut input = input;
            // The resume point replaces the first state's entry (no new Entered event).
            // Boxed: this lives across every await of a waiting execution.
            let mut first: Option<Box<(DateTime<Utc>, TaskResume)>> = None;
            if let Some(r) = resume {
                match r.mode {
                    ResumeMode::Exited(output) => {
                        let st = &m.states[r.state];
                        let next = match &st.kind {
                            Kind::Choice { .. } => self.choose(st, &r.input, r.entered_at)?,
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
                        first = Some(Box::new((r.entered_at, tres)));
                    }
                }
            }
            loop {
                let st = &m.states[idx];
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
                        self.emit(
                            prev,
                            ent,
                            Some(EventDetails::StateEntered(StateEnteredDetails {
                                name: st.name.clone(),
                                input: input.clone(),
                                input_details: PayloadDetails::default(),
                            })),
                        );
                        (self.engine.clock.now(), None)
                    }
                };
                let tr = self.run_state(st, input, prev, entered_at, tres).await?;
                if let (true, Some(exi)) = (tr.exited, exi) {
                    self.emit(
                        prev,
                        exi,
                        Some(EventDetails::StateExited(StateExitedDetails {
                            name: st.name.clone(),
                            output: tr.output.clone(),
                            output_details: PayloadDetails::default(),
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

    fn choose(
        &self,
        st: &State,
        input: &Arc<Value>,
        entered: DateTime<Utc>,
    ) -> Result<Option<usize>, Fault> {
        let Kind::Choice { choices, default } = &st.kind else {
            return Ok(st.next);
        };
        let ctx = self.context(st, entered, 0, None);
        let eff = apply_io(&st.input_path, input, &ctx, "InputPath")?;
        for (rule, next) in choices {
            if rule.eval(&eff, &ctx)? {
                return Ok(Some(*next));
            }
        }
        match default {
            Some(d) => Ok(Some(*d)),
            None => Err(Fault::new(
                "States.NoChoiceMatched",
                format!(
                    "No Choice Rules matched and no Default was specified in state '{}'",
                    st.name
                ),
            )),
        }
    }

    fn finish_output(&self, st: &State, out: Arc<Value>, ctx: &Value) -> Result<Arc<Value>, Fault> {
        apply_io(&st.output_path, &out, ctx, "OutputPath")
    }

    async fn run_state(
        &self,
        st: &State,
        input: Arc<Value>,
        prev: &mut u64,
        entered: DateTime<Utc>,
        tres: Option<Box<TaskResume>>,
    ) -> Result<Transition, Fault> {
        let ctx = if st.needs_ctx {
            self.context(st, entered, 0, None)
        } else {
            Value::Null
        };
        match &st.kind {
            Kind::Pass { result } => {
                let eff = apply_io(&st.input_path, &input, &ctx, "InputPath")?;
                // Shared, not copied: the Result literal and an unchanged input are Arcs.
                let res = match (result, &st.parameters) {
                    (Some(r), _) => r.clone(),
                    (None, Some(p)) => Arc::new(p.eval(&eff, &ctx)?),
                    (None, None) => eff,
                };
                let out = apply_result_path(&st.result_path, &input, res)?;
                let output = self.finish_output(st, out, &ctx)?;
                Ok(Transition {
                    output,
                    next: st.next,
                    exited: true,
                })
            }
            Kind::Succeed => {
                let eff = apply_io(&st.input_path, &input, &ctx, "InputPath")?;
                let output = self.finish_output(st, eff, &ctx)?;
                Ok(Transition {
                    output,
                    next: None,
                    exited: true,
                })
            }
            Kind::Fail { error, cause } => {
                let text = |t: &Option<Text>| -> Result<String, Fault> {
                    Ok(match t {
                        None => String::new(),
                        Some(Text::Lit(s)) => s.clone(),
                        Some(Text::Expr(e)) => match e.eval(&input, &ctx)? {
                            Value::String(s) => s,
                            other => other.to_string(),
                        },
                    })
                };
                Err(Fault::new(text(error)?, text(cause)?))
            }
            Kind::Choice { .. } => {
                let next = self.choose(st, &input, entered)?;
                let eff = apply_io(&st.input_path, &input, &ctx, "InputPath")?;
                let output = self.finish_output(st, eff, &ctx)?;
                Ok(Transition {
                    output,
                    next,
                    exited: true,
                })
            }
            Kind::Wait(w) => {
                let eff = apply_io(&st.input_path, &input, &ctx, "InputPath")?;
                let target = match w {
                    WaitSpec::Seconds(s) => crate::clock::plus_seconds(
                        entered,
                        i64::try_from(*s).unwrap_or(i64::MAX),
                    ),
                    WaitSpec::Timestamp(t) => *t,
                    WaitSpec::SecondsPath(p) => match p.select(&eff, &ctx) {
                        Some(v) => match v.as_i64() {
                            Some(n) if n >= 0 => {
                                crate::clock::plus_seconds(entered, n.min(99_999_999))
                            }
                            _ => {
                                return Err(Fault::runtime(format!(
                                    "The SecondsPath parameter does not reference a valid non-negative integer: {v}"
                                )))
                            }
                        },
                        None => return Err(Fault::runtime(format!("Invalid path '{}': could not be found in the input", p.text))),
                    },
                    WaitSpec::TimestampPath(p) => match p.select(&eff, &ctx) {
                        Some(v) => match v.as_str().and_then(crate::choice::parse_timestamp) {
                            Some(t) => t.with_timezone(&Utc),
                            None => {
                                return Err(Fault::runtime(format!(
                                    "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {v}"
                                )))
                            }
                        },
                        None => return Err(Fault::runtime(format!("Invalid path '{}': could not be found in the input", p.text))),
                    },
                };
                if target > self.engine.clock.now() {
                    self.engine.clock.sleep_until(target).await;
                }
                let output = self.finish_output(st, eff, &ctx)?;
                Ok(Transition {
                    output,
                    next: st.next,
                    exited: true,
                })
            }
            Kind::Task(_) | Kind::Parallel { .. } | Kind::Map(_) => {
                // Boxed: the task/parallel/map futures are large and would otherwise make every
                // waiting execution (a Wait state) pay for their size.
                Box::pin(self.run_with_retry(st, input, prev, entered, tres)).await
            }
        }
    }

    async fn run_with_retry(
        &self,
        st: &State,
        input: Arc<Value>,
        prev: &mut u64,
        entered: DateTime<Utc>,
        tres: Option<Box<TaskResume>>,
    ) -> Result<Transition, Fault> {
        let tres = tres.map(|t| *t).unwrap_or_default();
        let mut counts = tres.counts.clone();
        counts.resize(st.retry.len(), 0);
        let mut retry_count = tres.retry_count;
        let mut waiting = tres.waiting;
        let result = loop {
            let attempt = match &st.kind {
                Kind::Task(t) => {
                    self.task_attempt(st, t, &input, prev, entered, retry_count, waiting.take())
                        .await
                }
                Kind::Parallel { branches } => {
                    self.parallel_attempt(st, branches, &input, prev, entered, retry_count)
                        .await
                }
                Kind::Map(m) => {
                    self.map_attempt(st, m, &input, prev, entered, retry_count)
                        .await
                }
                _ => Err(Fault::runtime("internal: not a retryable state")),
            };
            match attempt {
                Ok(v) => break v,
                Err(f) => {
                    if !f.catchable() {
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
                    if let Some(c) = st
                        .catch
                        .iter()
                        .find(|c| c.errors.iter().any(|e| f.matches(e)))
                    {
                        let err = json!({"Error": f.error, "Cause": f.cause});
                        let output = apply_result_path(&c.result_path, &input, Arc::new(err))?;
                        return Ok(Transition {
                            output,
                            next: Some(c.next),
                            exited: false,
                        });
                    }
                    return Err(f);
                }
            }
        };
        let ctx = if st.needs_ctx {
            self.context(st, entered, retry_count, None)
        } else {
            Value::Null
        };
        let result = match &st.result_selector {
            Some(sel) => sel.eval(&result, &ctx)?,
            None => result,
        };
        let out = apply_result_path(&st.result_path, &input, Arc::new(result))?;
        let output = self.finish_output(st, out, &ctx)?;
        Ok(Transition {
            output,
            next: st.next,
            exited: true,
        })
    }

    async fn parallel_attempt(
        &self,
        st: &State,
        branches: &[Arc<Machine>],
        input: &Arc<Value>,
        prev: &mut u64,
        entered: DateTime<Utc>,
        retry: u32,
    ) -> Result<Value, Fault> {
        let ctx = if st.needs_ctx {
            self.context(st, entered, retry, None)
        } else {
            Value::Null
        };
        let eff = apply_io(&st.input_path, input, &ctx, "InputPath")?;
        let eff = match &st.parameters {
            Some(p) => Arc::new(p.eval(&eff, &ctx)?),
            None => eff,
        };
        let started = self.emit(prev, EventType::ParallelStateStarted, None);
        let futs = branches.iter().map(|b| {
            let eff = eff.clone();
            async move {
                let mut p = started;
                self.run_machine(b, eff, &mut p, false, None).await
            }
        });
        match futures::future::try_join_all(futs).await {
            Ok(outs) => {
                self.emit(prev, EventType::ParallelStateSucceeded, None);
                Ok(Value::Array(
                    outs.into_iter().map(Arc::unwrap_or_clone).collect(),
                ))
            }
            Err(f) => {
                self.emit(prev, EventType::ParallelStateFailed, None);
                Err(f)
            }
        }
    }

    async fn map_attempt(
        &self,
        st: &State,
        m: &crate::definition::MapSpec,
        input: &Arc<Value>,
        prev: &mut u64,
        entered: DateTime<Utc>,
        retry: u32,
    ) -> Result<Value, Fault> {
        use futures::StreamExt;
        let ctx = if st.needs_ctx {
            self.context(st, entered, retry, None)
        } else {
            Value::Null
        };
        let eff = apply_io(&st.input_path, input, &ctx, "InputPath")?;
        if let Some(f) = m.unsupported {
            return Err(Fault::runtime(format!(
                "Map state '{}': '{f}' (distributed Map) is not supported by this engine; only inline Map runs locally",
                st.name
            )));
        }
        let items = match &m.items_path {
            IoPath::Path(p) => p.select(&eff, &ctx).ok_or_else(|| {
                Fault::runtime(format!(
                    "Invalid path '{}' : The ItemsPath could not be found in the input",
                    p.text
                ))
            })?,
            _ => (*eff).clone(),
        };
        let Value::Array(items) = items else {
            return Err(Fault::runtime(format!(
                "Map state '{}': the items (ItemsPath) must be a JSON array, got {items}",
                st.name
            )));
        };
        let n = items.len();
        let conc = match &m.max_concurrency {
            None => 0,
            Some(Secs::Fixed(c)) => *c as usize,
            Some(s @ Secs::Path(_)) => match s {
                Secs::Path(p) => match p.select(&eff, &ctx).and_then(|v| v.as_u64()) {
                    Some(c) => c as usize,
                    None => {
                        return Err(Fault::runtime(format!(
                            "MaxConcurrencyPath '{}' must select a non-negative integer",
                            p.text
                        )))
                    }
                },
                Secs::Fixed(c) => *c as usize,
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
        let sel_ctx_base = match &m.item_selector {
            Some(t) if t.uses_context() => Some(self.context(st, entered, retry, None)),
            _ => None,
        };
        let name = st.name.clone();
        let processor = &m.processor;
        let selector = &m.item_selector;
        let eff_ref = &eff;
        let sel_ctx_ref = &sel_ctx_base;
        let mut stream = futures::stream::iter(items.into_iter().enumerate())
            .map(|(i, item)| {
                let name = name.clone();
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
                    let item_input = match selector {
                        Some(t) => {
                            let c = match sel_ctx_ref {
                                Some(base) => {
                                    let mut c = base.clone();
                                    if let Some(o) = c.as_object_mut() {
                                        o.insert(
                                            "Map".into(),
                                            json!({"Item": {"Index": i, "Value": item}}),
                                        );
                                    }
                                    c
                                }
                                None => Value::Null,
                            };
                            t.eval(eff_ref, &c).map(Arc::new)
                        }
                        None => Ok(Arc::new(item)),
                    };
                    let r = match item_input {
                        Ok(inp) => self.run_machine(processor, inp, &mut p, false, None).await,
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
                    drop(stream);
                    self.emit(prev, EventType::MapStateFailed, None);
                    return Err(f);
                }
            }
        }
        drop(stream);
        self.emit(prev, EventType::MapStateSucceeded, None);
        Ok(Value::Array(results))
    }

    pub fn tokens(&self) -> &Arc<Tokens> {
        &self.engine.tokens
    }
}
