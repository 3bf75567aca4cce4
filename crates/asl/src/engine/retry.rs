//! Task, Parallel and Map states: attempts under the state's Retry field, then its Catch
//! field, and the state's result concluded as part of the attempt.

use super::flow::{apply_result_path, ata_value, eval_assign, store};
use super::run::{AttemptCtx, Entered, Exec, TaskResume, Transition};
use crate::definition::{Assign, Kind, Lang, State};
use crate::fault::Fault;
use crate::history::EventType;
use crate::jsonata::States;
use crate::paths::Vars;
use serde_json::{json, Value};
use std::sync::Arc;

/// The delay (in ms) before the next attempt when a retrier matches `f` and has attempts
/// left (that attempt is counted in `counts`): `IntervalSeconds * BackoffRate^n`, capped
/// by `MaxDelaySeconds`, scaled by a random factor for `JitterStrategy: FULL`.
fn retry_delay(st: &State, f: &Fault, counts: &mut [u32]) -> Option<i64> {
    let ri = st.retrier_for(f)?;
    let r = &st.retry[ri];
    if counts[ri] >= r.max_attempts {
        return None;
    }
    let mut delay = r.interval as f64 * r.backoff.powi(counts[ri] as i32);
    if let Some(max) = r.max_delay {
        delay = delay.min(max as f64);
    }
    if r.full_jitter {
        delay *= rand::random::<f64>();
    }
    counts[ri] += 1;
    Some((delay * 1000.0).min(1.0e13) as i64)
}

/// Whether a Map state records `MapStateFailed` for a failure before its iterations
/// started: as on AWS, a failure of its fields (a JSONata `Items` that is not an array)
/// does; a States.Runtime failure ends the execution without it.
fn fails_unstarted(st: &State, f: &Fault) -> bool {
    matches!(st.kind, Kind::Map(_)) && f.error != crate::fault::RUNTIME
}

impl Exec {
    /// Runs a Task, Parallel or Map state: attempts until one succeeds and its result is
    /// concluded, or no retrier applies; then the first catcher that matches, if any.
    pub(super) async fn run_with_retry(
        &self,
        st: &State,
        input: Arc<Value>,
        prev: &mut u64,
        entered: Entered,
        tres: Option<Box<TaskResume>>,
        vars: &mut Vars,
    ) -> Result<Transition, Fault> {
        let TaskResume {
            mut counts,
            mut retry_count,
            mut waiting,
            mut recorded,
            ..
        } = tres.map(|t| *t).unwrap_or_default();
        counts.resize(st.retry.len(), 0);
        loop {
            // Whether this attempt got as far as its `…StateStarted` event.
            let before_attempt = *prev;
            let attempt = match recorded.take() {
                Some(r) => r.map(Arc::unwrap_or_clone),
                None => {
                    let at = AttemptCtx {
                        st,
                        input: &input,
                        entered,
                        retry: retry_count,
                        vars,
                    };
                    self.attempt(at, prev, &mut waiting).await
                }
            };
            // The state's Output and Assign are part of the attempt: an expression that
            // fails there (States.QueryEvaluationError) can be retried or caught.
            let concluded = attempt.is_ok();
            let concluding = |v| self.conclude_attempt(st, &input, entered, retry_count, v, vars);
            let f = match attempt.and_then(concluding) {
                Ok(tr) => return Ok(tr),
                Err(f) => f,
            };
            if let Some(ms) = retry_delay(st, &f, &mut counts) {
                retry_count += 1;
                let until = crate::clock::plus_millis(self.engine.clock.now(), ms);
                self.engine.clock.sleep_until(until).await;
                continue;
            }
            // A Parallel or Map state records its failure once, when no retry follows
            // (each retry only starts it again); not after it succeeded. A Map state whose
            // items could not be read (its JSONata `Items`) fails before it started.
            let started = *prev != before_attempt || fails_unstarted(st, &f);
            if started && !concluded {
                self.record_attempt_failed(prev, st);
            }
            return match st.catcher_for(&f) {
                Some(c) => self.caught(st, c, &input, f, entered, retry_count, vars),
                None => Err(f),
            };
        }
    }

    /// A successful attempt's result through the state's ResultSelector, ResultPath,
    /// OutputPath (JSONata: Output) and Assign.
    pub(super) fn conclude_attempt(
        &self,
        st: &State,
        input: &Arc<Value>,
        entered: Entered,
        retry_count: u32,
        result: Value,
        vars: &mut Vars,
    ) -> Result<Transition, Fault> {
        let env = self.env(st, entered, retry_count, None, vars);
        let (output, assigned) = self.conclude(st, input, Arc::new(result), &env, vars, true)?;
        Ok(Transition::new(output, st.next, assigned))
    }

    /// One attempt of the state. `waiting` is a resumed callback task's (TaskScheduled id,
    /// TaskStarted time), used by the first Task attempt.
    pub(super) async fn attempt(
        &self,
        at: AttemptCtx<'_>,
        prev: &mut u64,
        waiting: &mut Option<super::run::Reattach>,
    ) -> Result<Value, Fault> {
        match &at.st.kind {
            Kind::Task(t) => self.task_attempt(at, t, prev, waiting.take()).await,
            Kind::Parallel { branches } => self.parallel_attempt(at, branches, prev).await,
            Kind::Map(m) => self.map_attempt(at, m, prev).await,
            _ => Err(Fault::runtime("internal: not a retryable state")),
        }
    }

    /// `ParallelStateFailed` / `MapStateFailed`, once no retry follows.
    fn record_attempt_failed(&self, prev: &mut u64, st: &State) {
        let ty = match st.kind {
            Kind::Parallel { .. } => EventType::ParallelStateFailed,
            Kind::Map(_) => EventType::MapStateFailed,
            _ => return,
        };
        self.emit(prev, ty, None);
    }

    /// A failure a catcher handles: its output (JSONPath ResultPath, JSONata Output) and
    /// its variables.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn caught(
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
        Ok(Transition::new(output, Some(c.next), assigned))
    }
}
