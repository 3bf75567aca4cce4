//! Works out from a recorded history where an interrupted execution stands.
//!
//! Only top-level events matter: events between a Parallel/Map `...StateStarted` and its
//! closing `...Succeeded/Failed/Aborted` belong to branches, and such a state is restarted
//! from its recorded input.

use super::run::{ResumeAt, ResumeMode, TaskResume};
use super::Outcome;
use crate::definition::{Kind, Machine, State};
use crate::error::ResumeError;
use crate::fault::Fault;
use crate::history::{EventDetails, EventType, HistoryEvent};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::sync::Arc;

pub(crate) struct Plan {
    pub input: Arc<Value>,
    pub finished: Option<Outcome>,
    pub at: Option<ResumeAt>,
}

/// The top-level variables as the recorded states assigned them, in order.
fn recorded_vars(top: &[&HistoryEvent]) -> crate::paths::Vars {
    let mut vars = serde_json::Map::new();
    for e in top {
        if let Some(EventDetails::StateExited(d)) = &e.details {
            for (k, v) in d.assigned_variables.iter().flat_map(|m| m.iter()) {
                vars.insert(k.clone(), serde_json::from_str(v).unwrap_or(Value::Null));
            }
        }
    }
    Arc::new(vars)
}

fn is_entered(t: EventType) -> bool {
    t.as_str().ends_with("StateEntered")
}

/// Works out where an execution stands from its recorded history: finished (with its
/// outcome), not yet in any state, or at the last state it entered.
pub(crate) fn plan(m: &Machine, history: &[HistoryEvent]) -> Result<Plan, ResumeError> {
    let input = execution_input(history)?;
    let (top, depth) = top_level(history);
    let finished = history.last().and_then(recorded_outcome);
    if finished.is_some() {
        return Ok(Plan {
            input,
            finished,
            at: None,
        });
    }
    let at = match top.iter().rposition(|e| is_entered(e.event_type)) {
        Some(pos) => Some(resume_at(m, &top, pos, depth)?),
        // Started but no state entered yet: run from the start.
        None => None,
    };
    Ok(Plan {
        input,
        finished: None,
        at,
    })
}

/// The execution's input, from the `ExecutionStarted` event that opens every history.
fn execution_input(history: &[HistoryEvent]) -> Result<Arc<Value>, ResumeError> {
    let first = history.first().ok_or(ResumeError::NoStart)?;
    match (&first.event_type, &first.details) {
        (EventType::ExecutionStarted, Some(EventDetails::ExecutionStarted(d))) => {
            Ok(d.input.clone())
        }
        _ => Err(ResumeError::NoStart),
    }
}

/// The top-level events, and how many Parallel/Map attempts are still open at the end.
/// Open attempts are tracked by the id of their `…StateStarted` event: a retried attempt
/// starts again (a new `…StateStarted` pointing back at the last one) without closing the
/// one before.
fn top_level(history: &[HistoryEvent]) -> (Vec<&HistoryEvent>, usize) {
    let mut open: Vec<u64> = Vec::new();
    let mut top: Vec<&HistoryEvent> = Vec::new();
    for e in history {
        use EventType::*;
        match e.event_type {
            ParallelStateStarted | MapStateStarted => match open.last_mut() {
                Some(last) if *last == e.previous_event_id => *last = e.id,
                _ => open.push(e.id),
            },
            ParallelStateSucceeded
            | ParallelStateFailed
            | ParallelStateAborted
            | MapStateSucceeded
            | MapStateFailed
            | MapStateAborted => {
                open.pop();
            }
            _ if open.is_empty() => top.push(e),
            _ => {}
        }
    }
    let depth = open.len();
    (top, depth)
}

/// The outcome a history's last event records, if it ends the execution.
fn recorded_outcome(last: &HistoryEvent) -> Option<Outcome> {
    let (error, cause) = match &last.details {
        Some(EventDetails::ExecutionFailed(e))
        | Some(EventDetails::ExecutionAborted(e))
        | Some(EventDetails::ExecutionTimedOut(e)) => (e.error.clone(), e.cause.clone()),
        _ => (None, None),
    };
    match last.event_type {
        EventType::ExecutionSucceeded => Some(match &last.details {
            Some(EventDetails::ExecutionSucceeded(o)) => Outcome::Succeeded((*o.output).clone()),
            _ => Outcome::Succeeded(Value::Null),
        }),
        EventType::ExecutionFailed => Some(Outcome::Failed { error, cause }),
        EventType::ExecutionAborted => Some(Outcome::Aborted { error, cause }),
        EventType::ExecutionTimedOut => Some(Outcome::TimedOut { error, cause }),
        _ => None,
    }
}

/// The resume point at the state entered by `top[pos]`: only its transition is left if
/// it exited, otherwise it runs again (a Task with what its recorded attempts tell).
fn resume_at(
    m: &Machine,
    top: &[&HistoryEvent],
    pos: usize,
    depth: usize,
) -> Result<ResumeAt, ResumeError> {
    let entered = top[pos];
    let (name, state_input) = match &entered.details {
        Some(EventDetails::StateEntered(d)) => (d.name.clone(), d.input.clone()),
        _ => {
            return Err(ResumeError::Inconsistent(format!(
                "event {} has no state details",
                entered.id
            )))
        }
    };
    let idx = *m
        .index
        .get(&name)
        .ok_or_else(|| ResumeError::UnknownState(name.to_string()))?;
    let st = &m.states[idx];
    let after = &top[pos + 1..];
    let exited = after
        .iter()
        .find(|e| e.event_type.as_str().ends_with("StateExited"));
    let mode = match exited.and_then(|e| e.details.as_ref()) {
        Some(EventDetails::StateExited(d)) => ResumeMode::Exited(d.output.clone()),
        _ => ResumeMode::Rerun(rerun(st, after, depth)),
    };
    Ok(ResumeAt {
        state: idx,
        input: state_input,
        entered_at: entered.timestamp,
        entered_id: entered.id,
        vars: recorded_vars(top),
        mode,
    })
}

/// What a state that runs again picks up: a Parallel/Map attempt to close first, and for
/// a Task its retry counters, its last recorded result and a callback it still waits on.
fn rerun(st: &State, after: &[&HistoryEvent], depth: usize) -> TaskResume {
    let mut tres = TaskResume {
        close_open_attempt: depth > 0,
        ..TaskResume::default()
    };
    let Kind::Task(t) = &st.kind else {
        return tres;
    };
    let mut replay = TaskReplay {
        counts: vec![0; st.retry.len()],
        ..TaskReplay::default()
    };
    for e in after {
        replay.event(st, e);
    }
    tres.counts = replay.counts;
    tres.retry_count = replay.retry_count;
    tres.recorded = replay.last;
    if t.pattern == crate::task::IntegrationPattern::WaitForTaskToken {
        if let Some((id, Some(started))) = replay.scheduled {
            tres.waiting = Some((id, started));
        }
    }
    tres
}

/// A Task state's recorded attempts, replayed event by event.
#[derive(Default)]
struct TaskReplay {
    counts: Vec<u32>,
    retry_count: u32,
    /// The open attempt: its `…Scheduled` id and, once recorded, its `…Started` time.
    scheduled: Option<(u64, Option<DateTime<Utc>>)>,
    /// The outcome of the last recorded attempt, until another attempt starts: a
    /// recorded result is used as is, never obtained again by running the task.
    last: Option<Result<Arc<Value>, Fault>>,
}

impl TaskReplay {
    fn event(&mut self, st: &State, e: &HistoryEvent) {
        use EventType::*;
        match (&e.event_type, &e.details) {
            (TaskScheduled | LambdaFunctionScheduled, _) => {
                // A new attempt: a retrier took the failure before it.
                if let Some(Err(f)) = self.last.take() {
                    if let Some(ri) = st.retrier_for(&f) {
                        self.counts[ri] += 1;
                        self.retry_count += 1;
                    }
                }
                self.scheduled = Some((e.id, None));
            }
            (TaskStarted | LambdaFunctionStarted, _) => {
                if let Some((id, _)) = self.scheduled {
                    self.scheduled = Some((id, Some(e.timestamp)));
                }
            }
            (_, Some(d)) => {
                if let Some(outcome) = attempt_outcome(e.event_type, d) {
                    self.scheduled = None;
                    self.last = Some(outcome);
                }
            }
            _ => {}
        }
    }
}

/// The outcome a `…Succeeded`, `…Failed` or `…TimedOut` task event records.
fn attempt_outcome(ty: EventType, d: &EventDetails) -> Option<Result<Arc<Value>, Fault>> {
    use EventType::*;
    let fault = |error: &Option<String>, cause: &Option<String>| {
        Some(Err(Fault::new(
            error.clone().unwrap_or_default(),
            cause.clone().unwrap_or_default(),
        )))
    };
    match (ty, d) {
        (
            TaskFailed | TaskTimedOut,
            EventDetails::TaskFailed(d) | EventDetails::TaskTimedOut(d),
        ) => fault(&d.error, &d.cause),
        (
            LambdaFunctionFailed | LambdaFunctionTimedOut,
            EventDetails::LambdaFunctionFailed(d) | EventDetails::LambdaFunctionTimedOut(d),
        ) => fault(&d.error, &d.cause),
        (TaskSucceeded, EventDetails::TaskSucceeded(d)) => Some(Ok(d.output.clone())),
        (LambdaFunctionSucceeded, EventDetails::LambdaFunctionSucceeded(d)) => {
            Some(Ok(d.output.clone()))
        }
        _ => None,
    }
}
