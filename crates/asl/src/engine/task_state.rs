//! One attempt of a Task state, in three steps a reader can follow:
//!
//! 1. [`Exec::prepare_task`] evaluates the fields (parameters, timeouts, credentials)
//!    before anything is recorded, so a bad field fails the state without task events;
//! 2. [`Exec::schedule_task`] records `…Scheduled` and `…Started` and registers the task
//!    token of a callback task;
//! 3. [`Exec::wait_task`] invokes the resource and waits for its answer, a timeout or a
//!    missed heartbeat; [`Exec::finish_task`] records how the attempt ended.

use super::run::{AttemptCtx, Exec};
use super::tokens::{Answer, EndReason, Registration, Tokens};
use crate::definition::{Lang, Secs, State, TaskSpec};
use crate::fault::{Fault, HEARTBEAT, TIMEOUT};
use crate::history::*;
use crate::paths::Env;
use crate::task::{IntegrationPattern, TaskCall, TaskError};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use tokio::sync::oneshot::Receiver;

/// How the resource shows up in history: optimized integrations as `resourceType`/`resource`
/// (`Task*` events), plain Lambda function ARNs as `LambdaFunction*` events.
struct Shape {
    /// A plain Lambda function ARN.
    lambda: bool,
    /// An activity ARN: `Activity*` events, a worker takes the task (GetActivityTask).
    activity: bool,
    /// `resourceType` of `Task*` events; empty for a plain Lambda function.
    resource_type: String,
    /// `resource` of `Task*` events; the whole ARN for a plain Lambda function.
    resource: String,
}

impl Shape {
    fn of(t: &TaskSpec) -> Shape {
        if let Some(rest) = t.resource.strip_prefix("arn:aws:states:::") {
            let (ty, res) = rest.split_once(':').unwrap_or((rest, ""));
            return Shape {
                lambda: false,
                activity: false,
                resource_type: ty.to_string(),
                resource: res.to_string(),
            };
        }
        let parts: Vec<&str> = t.resource.split(':').collect();
        let lambda = parts.get(2) == Some(&"lambda") && parts.get(5) == Some(&"function");
        let resource_type = match lambda {
            true => "",
            false => parts.get(2).copied().unwrap_or(""),
        };
        Shape {
            lambda,
            activity: crate::task::is_activity(&t.resource),
            resource_type: resource_type.to_string(),
            resource: t.resource.clone(),
        }
    }

    /// The name a result over the payload limit is reported under: the resource type of
    /// an optimized integration, the function ARN of a plain Lambda function.
    fn reported_name(&self) -> &str {
        match self.lambda {
            true => &self.resource,
            false => &self.resource_type,
        }
    }

    fn output_details(&self, output: Arc<Value>) -> Box<TaskOutputDetails> {
        Box::new(TaskOutputDetails {
            resource_type: self.resource_type.clone(),
            resource: self.resource.clone(),
            output,
            output_details: PayloadDetails::default(),
        })
    }
}

/// One Task attempt with its fields evaluated: what the steps after preparation share.
struct TaskAttempt<'a> {
    st: &'a State,
    spec: &'a TaskSpec,
    shape: Shape,
    /// Id of the attempt's `…Scheduled` event (recorded already, or next to be).
    scheduled_id: u64,
    /// When the attempt started: its timeout and first heartbeat deadline count from here.
    started_at: DateTime<Utc>,
    /// A resumed execution re-attaches to a callback task a previous process started:
    /// nothing is recorded or invoked again, only the token's answer is awaited.
    reattached: bool,
    /// A re-attached activity task a worker had taken (one not taken yet is offered to
    /// workers again).
    taken: bool,
    token_key: String,
    /// The task token (`.waitForTaskToken` only).
    token: Option<String>,
    params: Arc<Value>,
    timeout: Option<u64>,
    heartbeat: Option<u64>,
    credentials: Option<Value>,
    retry_count: u32,
}

impl TaskAttempt<'_> {
    /// The call handed to [`crate::TaskResources::invoke`].
    fn call(&self, execution_arn: &str) -> TaskCall {
        TaskCall {
            resource: self.spec.resource.clone(),
            base_resource: self.spec.base.clone(),
            pattern: self.spec.pattern,
            parameters: (*self.params).clone(),
            task_token: self.token.clone(),
            execution_arn: execution_arn.to_string(),
            state_name: self.st.name.to_string(),
            timeout_seconds: self.timeout,
            heartbeat_seconds: self.heartbeat,
            credentials: self.credentials.clone(),
            retry_count: self.retry_count,
        }
    }

    /// The deadlines the attempt races against; heartbeats count for callback tasks only.
    fn deadlines(&self, reg: Option<&Registration>) -> Deadlines {
        let timeout_at = self
            .timeout
            .map(|s| crate::clock::plus_seconds(self.started_at, secs_i64(s)));
        let heartbeat = match (self.token.is_some(), self.heartbeat, reg) {
            (true, Some(h), Some(r)) => Some((h, r.last_heartbeat_ms.clone())),
            _ => None,
        };
        Deadlines {
            timeout_at,
            heartbeat,
        }
    }
}

fn secs_i64(s: u64) -> i64 {
    i64::try_from(s).unwrap_or(i64::MAX)
}

/// How the wait for a Task's answer ended.
enum Ending {
    Done(Result<Value, TaskError>),
    Timeout,
    Heartbeat,
}

/// The deadlines a running attempt races against.
struct Deadlines {
    timeout_at: Option<DateTime<Utc>>,
    /// `HeartbeatSeconds` and the time (ms) of the last heartbeat, which the token
    /// registry moves on as heartbeats arrive.
    heartbeat: Option<(u64, Arc<AtomicI64>)>,
}

impl Deadlines {
    fn heartbeat_at(&self) -> Option<DateTime<Utc>> {
        let (h, last) = self.heartbeat.as_ref()?;
        DateTime::<Utc>::from_timestamp_millis(last.load(Ordering::Relaxed))
            .map(|t| crate::clock::plus_seconds(t, secs_i64(*h)))
    }
}

impl Exec {
    /// `TimeoutSeconds(Path)` / `HeartbeatSeconds(Path)`: a positive integer.
    fn secs(
        &self,
        st: &State,
        s: &Option<Secs>,
        input: &Value,
        env: &Env,
        field: &str,
    ) -> Result<Option<u64>, Fault> {
        let Some(s) = s else { return Ok(None) };
        let (v, named) = match s {
            Secs::Path(p) => match p.select(input, env) {
                Some(v) => (v, format!("{field}Path")),
                None => return Err(Fault::runtime(p.no_results(input, env))),
            },
            other => match self.number_field(st, other, input, env, field)? {
                Some(v) => (v, field.to_string()),
                None => return Ok(None),
            },
        };
        match v.as_u64() {
            Some(n) if n > 0 => Ok(Some(n)),
            _ => Err(Fault::runtime(format!(
                "The value for {named} must be a positive integer, got {v}"
            ))),
        }
    }

    /// One attempt of a Task state. `reattach` names the `TaskScheduled` event and
    /// `TaskStarted` time of a callback task a resumed execution waits on again.
    pub(crate) async fn task_attempt(
        &self,
        at: AttemptCtx<'_>,
        t: &TaskSpec,
        prev: &mut u64,
        reattach: Option<super::run::Reattach>,
    ) -> Result<Value, Fault> {
        let attempt = self.prepare_task(at, t, reattach)?;
        let mut reg = self.schedule_task(prev, &attempt);
        let ending = self.wait_task(prev, &attempt, reg.as_mut()).await;
        self.finish_task(prev, &attempt, ending, reg.as_mut())
    }

    /// Evaluates the attempt's fields (input, parameters, timeouts, credentials) with
    /// the context object it sees, its task token included.
    fn prepare_task<'a>(
        &self,
        at: AttemptCtx<'a>,
        t: &'a TaskSpec,
        reattach: Option<super::run::Reattach>,
    ) -> Result<TaskAttempt<'a>, Fault> {
        let st = at.st;
        let shape = Shape::of(t);
        let (scheduled_id, started_at, taken) = match reattach {
            Some(r) => r,
            None => (
                self.next_id.load(Ordering::Relaxed),
                self.engine.clock.now(),
                false,
            ),
        };
        let token_key = Tokens::key(&self.info.execution_arn, scheduled_id);
        let token = (t.pattern == IntegrationPattern::WaitForTaskToken || shape.activity)
            .then(|| self.tokens().token_for(&token_key));
        let env = self.env(st, at.entered, at.retry, token.as_deref(), at.vars);
        let eff = match st.lang {
            Lang::JsonPath => super::flow::apply_io(&st.input_path, at.input, &env)?,
            Lang::Jsonata => at.input.clone(),
        };
        let params = self.effective_input(st, at.input, &env)?;
        let timeout = self.secs(st, &t.timeout, &eff, &env, "TimeoutSeconds")?;
        let heartbeat = self.secs(st, &t.heartbeat, &eff, &env, "HeartbeatSeconds")?;
        let credentials = match &t.credentials {
            Some(c) => Some(c.eval(&eff, &env)?),
            None => None,
        };
        Ok(TaskAttempt {
            st,
            spec: t,
            shape,
            scheduled_id,
            started_at,
            reattached: reattach.is_some(),
            taken,
            token_key,
            token,
            params,
            timeout,
            heartbeat,
            credentials,
            retry_count: at.retry,
        })
    }

    /// Records `…Scheduled`, registers the task token (before invoking: the resource may
    /// answer before `invoke` returns) and records `…Started`. A re-attached attempt
    /// records nothing; its token is registered again.
    fn schedule_task(&self, prev: &mut u64, a: &TaskAttempt<'_>) -> Option<Registration> {
        if !a.reattached {
            let id = self.record_scheduled(prev, a);
            debug_assert_eq!(id, a.scheduled_id);
        }
        let reg = a.token.as_ref().map(|_| {
            self.tokens()
                .register(a.token_key.clone(), a.started_at.timestamp_millis())
        });
        if !a.reattached && !a.shape.activity {
            self.record_started(prev, &a.shape);
        }
        reg
    }

    fn record_scheduled(&self, prev: &mut u64, a: &TaskAttempt<'_>) -> u64 {
        if a.shape.activity {
            let details = ActivityScheduledDetails {
                resource: a.spec.resource.clone(),
                input: a.params.clone(),
                input_details: PayloadDetails::default(),
                timeout_in_seconds: a.timeout,
                heartbeat_in_seconds: a.heartbeat,
            };
            return self.emit(
                prev,
                EventType::ActivityScheduled,
                Some(EventDetails::ActivityScheduled(Box::new(details))),
            );
        }
        let (ty, details) = match a.shape.lambda {
            false => (
                EventType::TaskScheduled,
                EventDetails::TaskScheduled(Box::new(TaskScheduledDetails {
                    resource_type: a.shape.resource_type.clone(),
                    resource: a.shape.resource.clone(),
                    region: super::region_of(&self.info.execution_arn),
                    parameters: a.params.clone(),
                    timeout_in_seconds: a.timeout,
                    heartbeat_in_seconds: a.heartbeat,
                })),
            ),
            true => (
                EventType::LambdaFunctionScheduled,
                EventDetails::LambdaFunctionScheduled(Box::new(LambdaScheduledDetails {
                    resource: a.spec.resource.clone(),
                    input: a.params.clone(),
                    input_details: PayloadDetails::default(),
                    timeout_in_seconds: a.timeout,
                })),
            ),
        };
        self.emit(prev, ty, Some(details))
    }

    fn record_started(&self, prev: &mut u64, shape: &Shape) {
        match shape.lambda {
            false => self.emit(
                prev,
                EventType::TaskStarted,
                Some(EventDetails::TaskStarted(TaskStartedDetails {
                    resource_type: shape.resource_type.clone(),
                    resource: shape.resource.clone(),
                })),
            ),
            true => self.emit(prev, EventType::LambdaFunctionStarted, None),
        };
    }

    /// Runs the resource (and waits for the token's answer) against the attempt's
    /// timeout and heartbeat deadlines, whichever comes first.
    async fn wait_task(
        &self,
        prev: &mut u64,
        a: &TaskAttempt<'_>,
        mut reg: Option<&mut Registration>,
    ) -> Ending {
        let deadlines = a.deadlines(reg.as_deref());
        if a.shape.activity {
            let work = std::pin::pin!(self.run_activity(prev, a, reg));
            return self.race(work, &deadlines).await;
        }
        let rx = reg.as_mut().map(|r| &mut r.rx);
        let work = std::pin::pin!(self.run_resource(prev, a, rx));
        self.race(work, &deadlines).await
    }

    /// An activity task: offered to the activity's workers (the embedder's `invoke` ends
    /// when one takes it, answering `{"workerName"}`), recorded `ActivityStarted`, then
    /// answered through its token (SendTask*). Heartbeats count from the start. A task a
    /// worker had taken before a restart only waits for its answer.
    async fn run_activity(
        &self,
        prev: &mut u64,
        a: &TaskAttempt<'_>,
        reg: Option<&mut Registration>,
    ) -> Result<Value, TaskError> {
        let Some(reg) = reg else {
            return Err(TaskError::new("States.Runtime", "internal: no task token"));
        };
        if !a.taken {
            let taken = self
                .engine
                .resources
                .invoke(a.call(&self.info.execution_arn))
                .await?;
            let worker_name = taken
                .get("workerName")
                .and_then(Value::as_str)
                .map(str::to_string);
            self.emit(
                prev,
                EventType::ActivityStarted,
                Some(EventDetails::ActivityStarted(ActivityStartedDetails {
                    worker_name,
                })),
            );
            reg.last_heartbeat_ms.store(
                self.engine.clock.now().timestamp_millis(),
                Ordering::Relaxed,
            );
        }
        wait_answer(&mut reg.rx).await
    }

    /// Invokes the resource (unless the attempt is re-attached) and, for a callback task,
    /// records `TaskSubmitted` with the invocation's result and waits for the answer.
    async fn run_resource(
        &self,
        prev: &mut u64,
        a: &TaskAttempt<'_>,
        rx: Option<&mut Receiver<Answer>>,
    ) -> Result<Value, TaskError> {
        if a.reattached {
            return match rx {
                Some(rx) => wait_answer(rx).await,
                None => Err(TaskError::new(
                    "States.Runtime",
                    "internal: nothing to wait for",
                )),
            };
        }
        let call = a.call(&self.info.execution_arn);
        let output = self.resources.invoke(call).await?;
        let Some(rx) = rx else { return Ok(output) };
        self.emit(
            prev,
            EventType::TaskSubmitted,
            Some(EventDetails::TaskSubmitted(
                a.shape.output_details(Arc::new(output)),
            )),
        );
        wait_answer(rx).await
    }

    /// Polls `work` until it ends or a deadline passes on the engine's clock.
    async fn race(
        &self,
        mut work: Pin<&mut impl Future<Output = Result<Value, TaskError>>>,
        d: &Deadlines,
    ) -> Ending {
        loop {
            let now = self.engine.clock.now();
            let heartbeat_at = d.heartbeat_at();
            if d.timeout_at.is_some_and(|t| now >= t) {
                return Ending::Timeout;
            }
            if heartbeat_at.is_some_and(|t| now >= t) {
                return Ending::Heartbeat;
            }
            let next = match (d.timeout_at, heartbeat_at) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let Some(next) = next else {
                return Ending::Done(work.await);
            };
            tokio::select! {
                r = work.as_mut() => return Ending::Done(r),
                _ = self.engine.clock.sleep_until(next) => {}
            }
        }
    }

    /// Records how the attempt ended: `…Succeeded`, `…Failed` or `…TimedOut`. A result
    /// over the payload limit fails the task, as on AWS.
    fn finish_task(
        &self,
        prev: &mut u64,
        a: &TaskAttempt<'_>,
        ending: Ending,
        reg: Option<&mut Registration>,
    ) -> Result<Value, Fault> {
        let ending = match ending {
            Ending::Done(Ok(v)) if crate::limits::exceeds(&v, crate::limits::PAYLOAD_BYTES) => {
                let cause = crate::limits::result_too_large(a.shape.reported_name());
                Ending::Done(Err(TaskError::new(crate::fault::DATA_LIMIT, cause)))
            }
            other => other,
        };
        if let (Ending::Done(_), Some(r)) = (&ending, reg) {
            r.guard.reason = EndReason::Completed;
        }
        let (error, cause, timed_out) = match ending {
            Ending::Done(Ok(v)) => return Ok(self.record_succeeded(prev, &a.shape, v)),
            Ending::Done(Err(e)) => (e.error, e.cause, false),
            Ending::Timeout => (TIMEOUT.to_string(), timeout_cause(a), true),
            Ending::Heartbeat => (HEARTBEAT.to_string(), heartbeat_cause(a), true),
        };
        self.task_failed(prev, &a.shape, timed_out, &error, &cause);
        Err(Fault::new(error, cause))
    }

    fn record_succeeded(&self, prev: &mut u64, shape: &Shape, v: Value) -> Value {
        let out = Arc::new(v);
        let output = || OutputDetails {
            output: out.clone(),
            output_details: PayloadDetails::default(),
        };
        let (ty, details) = match shape.lambda {
            _ if shape.activity => (
                EventType::ActivitySucceeded,
                EventDetails::ActivitySucceeded(output()),
            ),
            false => (
                EventType::TaskSucceeded,
                EventDetails::TaskSucceeded(shape.output_details(out.clone())),
            ),
            true => (
                EventType::LambdaFunctionSucceeded,
                EventDetails::LambdaFunctionSucceeded(output()),
            ),
        };
        self.emit(prev, ty, Some(details));
        Arc::unwrap_or_clone(out)
    }

    /// Records `…Failed` (an error) or `…TimedOut` (a timeout or a missed heartbeat).
    fn task_failed(
        &self,
        prev: &mut u64,
        shape: &Shape,
        timed_out: bool,
        error: &str,
        cause: &str,
    ) {
        let details = TaskErrorDetails {
            resource_type: shape.resource_type.clone(),
            resource: shape.resource.clone(),
            error: Some(error.to_string()),
            cause: Some(cause.to_string()),
        };
        let ed = ErrorDetails {
            error: details.error.clone(),
            cause: details.cause.clone(),
        };
        let (ty, d) = match (shape.lambda, timed_out) {
            _ if shape.activity && timed_out => (
                EventType::ActivityTimedOut,
                EventDetails::ActivityTimedOut(ed),
            ),
            _ if shape.activity => (EventType::ActivityFailed, EventDetails::ActivityFailed(ed)),
            (false, false) => (
                EventType::TaskFailed,
                EventDetails::TaskFailed(Box::new(details)),
            ),
            (false, true) => (
                EventType::TaskTimedOut,
                EventDetails::TaskTimedOut(Box::new(details)),
            ),
            (true, false) => (
                EventType::LambdaFunctionFailed,
                EventDetails::LambdaFunctionFailed(ed),
            ),
            (true, true) => (
                EventType::LambdaFunctionTimedOut,
                EventDetails::LambdaFunctionTimedOut(ed),
            ),
        };
        self.emit(prev, ty, Some(d));
    }
}

fn timeout_cause(a: &TaskAttempt<'_>) -> String {
    format!(
        "Task '{}' timed out after {} seconds",
        a.st.name,
        a.timeout.unwrap_or(0)
    )
}

fn heartbeat_cause(a: &TaskAttempt<'_>) -> String {
    format!(
        "Task '{}' sent no heartbeat for {} seconds",
        a.st.name,
        a.heartbeat.unwrap_or(0)
    )
}

async fn wait_answer(rx: &mut Receiver<Answer>) -> Result<Value, TaskError> {
    match rx.await {
        Ok(a) => a,
        Err(_) => Err(TaskError::new(
            "States.Runtime",
            "the task token was dropped",
        )),
    }
}
