//! One attempt of a Task state: Scheduled -> Started -> Succeeded/Failed/TimedOut.

use super::run::{Entered, Exec};
use super::tokens::{EndReason, Tokens};
use crate::definition::{Lang, Secs, State, TaskSpec};
use crate::fault::{Fault, HEARTBEAT, TIMEOUT};
use crate::history::*;
use crate::paths::{Env, Vars};
use crate::task::{IntegrationPattern, TaskCall, TaskError};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// How the resource shows up in history: optimized integrations as `resourceType`/`resource`,
/// plain Lambda function ARNs as LambdaFunction* events.
enum Shape {
    Task {
        resource_type: String,
        resource: String,
    },
    Lambda,
}

fn shape(t: &TaskSpec) -> Shape {
    if let Some(rest) = t.resource.strip_prefix("arn:aws:states:::") {
        let (ty, res) = rest.split_once(':').unwrap_or((rest, ""));
        return Shape::Task {
            resource_type: ty.to_string(),
            resource: res.to_string(),
        };
    }
    let parts: Vec<&str> = t.resource.split(':').collect();
    if parts.get(2) == Some(&"lambda") && parts.get(5) == Some(&"function") {
        return Shape::Lambda;
    }
    Shape::Task {
        resource_type: parts.get(2).copied().unwrap_or("").to_string(),
        resource: t.resource.clone(),
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
}

enum Ending {
    Done(Result<Value, TaskError>),
    Timeout,
    Heartbeat,
}

impl Exec {
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn task_attempt(
        &self,
        st: &State,
        t: &TaskSpec,
        input: &Arc<Value>,
        prev: &mut u64,
        entered: Entered,
        retry_count: u32,
        reattach: Option<(u64, DateTime<Utc>)>,
        vars: &Vars,
    ) -> Result<Value, Fault> {
        let wftt = t.pattern == IntegrationPattern::WaitForTaskToken;
        let shape = shape(t);
        let (sched_id, started_at, token_key) = match reattach {
            Some((id, at)) => (id, at, Tokens::key(&self.info.execution_arn, id)),
            None => {
                let id = self.next_id.load(Ordering::Relaxed);
                (
                    id,
                    self.engine.clock.now(),
                    Tokens::key(&self.info.execution_arn, id),
                )
            }
        };
        let token = wftt.then(|| self.tokens().token_for(&token_key));
        let env = self.env(st, entered, retry_count, token.as_deref(), vars);
        let eff = match st.lang {
            Lang::JsonPath => super::run::apply_io(&st.input_path, input, &env)?,
            Lang::Jsonata => input.clone(),
        };
        let params = self.effective_input(st, input, &env)?;
        let timeout = self.secs(st, &t.timeout, &eff, &env, "TimeoutSeconds")?;
        let heartbeat = self.secs(st, &t.heartbeat, &eff, &env, "HeartbeatSeconds")?;
        let credentials = match &t.credentials {
            Some(c) => Some(c.eval(&eff, &env)?),
            None => None,
        };
        if reattach.is_none() {
            let id = match &shape {
                Shape::Task {
                    resource_type,
                    resource,
                } => self.emit(
                    prev,
                    EventType::TaskScheduled,
                    Some(EventDetails::TaskScheduled(Box::new(
                        TaskScheduledDetails {
                            resource_type: resource_type.clone(),
                            resource: resource.clone(),
                            region: super::region_of(&self.info.execution_arn),
                            parameters: params.clone(),
                            timeout_in_seconds: timeout,
                            heartbeat_in_seconds: heartbeat,
                        },
                    ))),
                ),
                Shape::Lambda => self.emit(
                    prev,
                    EventType::LambdaFunctionScheduled,
                    Some(EventDetails::LambdaFunctionScheduled(Box::new(
                        LambdaScheduledDetails {
                            resource: t.resource.clone(),
                            input: params.clone(),
                            input_details: PayloadDetails::default(),
                            timeout_in_seconds: timeout,
                        },
                    ))),
                ),
            };
            debug_assert_eq!(id, sched_id);
        }
        // Register before invoking: the resource may answer before `invoke` returns.
        let mut reg = wftt.then(|| {
            self.tokens()
                .register(token_key, started_at.timestamp_millis())
        });
        if reattach.is_none() {
            match &shape {
                Shape::Task {
                    resource_type,
                    resource,
                } => self.emit(
                    prev,
                    EventType::TaskStarted,
                    Some(EventDetails::TaskStarted(TaskStartedDetails {
                        resource_type: resource_type.clone(),
                        resource: resource.clone(),
                    })),
                ),
                Shape::Lambda => self.emit(prev, EventType::LambdaFunctionStarted, None),
            };
        }
        let call = TaskCall {
            resource: t.resource.clone(),
            base_resource: t.base.clone(),
            pattern: t.pattern,
            parameters: (*params).clone(),
            task_token: token.clone(),
            execution_arn: self.info.execution_arn.clone(),
            state_name: st.name.to_string(),
            timeout_seconds: timeout,
            heartbeat_seconds: heartbeat,
            credentials,
            retry_count,
        };
        let timeout_at = timeout
            .map(|s| crate::clock::plus_seconds(started_at, i64::try_from(s).unwrap_or(i64::MAX)));
        let hb = if wftt { heartbeat } else { None };
        let last_hb = reg.as_ref().map(|r| r.last_heartbeat_ms.clone());
        let (rt, rs) = match &shape {
            Shape::Task {
                resource_type,
                resource,
            } => (resource_type.clone(), resource.clone()),
            Shape::Lambda => (String::new(), t.resource.clone()),
        };
        let ending = {
            let rx = reg.as_mut().map(|r| &mut r.rx);
            let prev_ref = &mut *prev;
            let (rt2, rs2) = (rt.clone(), rs.clone());
            let resources = self.engine.resources.clone();
            let already_submitted = reattach.is_some();
            let work = async {
                if !already_submitted {
                    let out = resources.invoke(call).await;
                    match (out, rx) {
                        (Err(e), _) => return Err(e),
                        (Ok(v), None) => return Ok(v),
                        (Ok(v), Some(rx)) => {
                            self.emit(
                                prev_ref,
                                EventType::TaskSubmitted,
                                Some(EventDetails::TaskSubmitted(Box::new(TaskOutputDetails {
                                    resource_type: rt2,
                                    resource: rs2,
                                    output: Arc::new(v),
                                    output_details: PayloadDetails::default(),
                                }))),
                            );
                            return wait_answer(rx).await;
                        }
                    }
                }
                match rx {
                    Some(rx) => wait_answer(rx).await,
                    None => Err(TaskError::new(
                        "States.Runtime",
                        "internal: nothing to wait for",
                    )),
                }
            };
            let mut work = std::pin::pin!(work);
            loop {
                let now = self.engine.clock.now();
                let hb_at = match (hb, &last_hb) {
                    (Some(h), Some(l)) => {
                        DateTime::<Utc>::from_timestamp_millis(l.load(Ordering::Relaxed)).map(|t| {
                            crate::clock::plus_seconds(t, i64::try_from(h).unwrap_or(i64::MAX))
                        })
                    }
                    _ => None,
                };
                if timeout_at.is_some_and(|d| now >= d) {
                    break Ending::Timeout;
                }
                if hb_at.is_some_and(|d| now >= d) {
                    break Ending::Heartbeat;
                }
                let next = match (timeout_at, hb_at) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                match next {
                    None => break Ending::Done(work.as_mut().await),
                    Some(d) => {
                        let sleep = self.engine.clock.sleep_until(d);
                        tokio::select! {
                            r = work.as_mut() => break Ending::Done(r),
                            _ = sleep => {}
                        }
                    }
                }
            }
        };
        // A result over the payload limit fails the task, as on AWS: named by its resource
        // type (an optimized integration) or its function ARN.
        let ending = match ending {
            Ending::Done(Ok(v)) if crate::limits::exceeds(&v, crate::limits::PAYLOAD_BYTES) => {
                let who = match &shape {
                    Shape::Task { resource_type, .. } => resource_type.clone(),
                    Shape::Lambda => t.resource.clone(),
                };
                Ending::Done(Err(TaskError::new(
                    crate::fault::DATA_LIMIT,
                    format!("The state/task '{who}' returned a result with a size exceeding the maximum number of bytes service limit."),
                )))
            }
            other => other,
        };
        match ending {
            Ending::Done(Ok(v)) => {
                if let Some(r) = reg.as_mut() {
                    r.guard.reason = EndReason::Completed;
                }
                let out = Arc::new(v);
                match &shape {
                    Shape::Task { .. } => self.emit(
                        prev,
                        EventType::TaskSucceeded,
                        Some(EventDetails::TaskSucceeded(Box::new(TaskOutputDetails {
                            resource_type: rt,
                            resource: rs,
                            output: out.clone(),
                            output_details: PayloadDetails::default(),
                        }))),
                    ),
                    Shape::Lambda => self.emit(
                        prev,
                        EventType::LambdaFunctionSucceeded,
                        Some(EventDetails::LambdaFunctionSucceeded(OutputDetails {
                            output: out.clone(),
                            output_details: PayloadDetails::default(),
                        })),
                    ),
                };
                Ok(Arc::unwrap_or_clone(out))
            }
            Ending::Done(Err(e)) => {
                if let Some(r) = reg.as_mut() {
                    r.guard.reason = EndReason::Completed;
                }
                self.task_failed(prev, &shape, rt, rs, false, &e.error, &e.cause);
                Err(Fault::new(e.error, e.cause))
            }
            Ending::Timeout | Ending::Heartbeat => {
                let (error, cause) = if matches!(ending, Ending::Timeout) {
                    (
                        TIMEOUT,
                        format!(
                            "Task '{}' timed out after {} seconds",
                            st.name,
                            timeout.unwrap_or(0)
                        ),
                    )
                } else {
                    (
                        HEARTBEAT,
                        format!(
                            "Task '{}' sent no heartbeat for {} seconds",
                            st.name,
                            hb.unwrap_or(0)
                        ),
                    )
                };
                self.task_failed(prev, &shape, rt, rs, true, error, &cause);
                Err(Fault::new(error, cause))
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn task_failed(
        &self,
        prev: &mut u64,
        shape: &Shape,
        rt: String,
        rs: String,
        timed_out: bool,
        error: &str,
        cause: &str,
    ) {
        let details = TaskErrorDetails {
            resource_type: rt,
            resource: rs,
            error: Some(error.to_string()),
            cause: Some(cause.to_string()),
        };
        let ed = ErrorDetails {
            error: details.error.clone(),
            cause: details.cause.clone(),
        };
        let (ty, d) = match (shape, timed_out) {
            (Shape::Task { .. }, false) => (
                EventType::TaskFailed,
                EventDetails::TaskFailed(Box::new(details)),
            ),
            (Shape::Task { .. }, true) => (
                EventType::TaskTimedOut,
                EventDetails::TaskTimedOut(Box::new(details)),
            ),
            (Shape::Lambda, false) => (
                EventType::LambdaFunctionFailed,
                EventDetails::LambdaFunctionFailed(ed),
            ),
            (Shape::Lambda, true) => (
                EventType::LambdaFunctionTimedOut,
                EventDetails::LambdaFunctionTimedOut(ed),
            ),
        };
        self.emit(prev, ty, Some(d));
    }
}

async fn wait_answer(
    rx: &mut tokio::sync::oneshot::Receiver<super::tokens::Answer>,
) -> Result<Value, TaskError> {
    match rx.await {
        Ok(a) => a,
        Err(_) => Err(TaskError::new(
            "States.Runtime",
            "the task token was dropped",
        )),
    }
}
