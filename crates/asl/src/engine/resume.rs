//! Works out from a recorded history where an interrupted execution stands.
//!
//! Only top-level events matter: events between a Parallel/Map `...StateStarted` and its
//! closing `...Succeeded/Failed/Aborted` belong to branches, and such a state is restarted
//! from its recorded input.

use super::run::{ResumeAt, ResumeMode, TaskResume};
use super::Outcome;
use crate::definition::{Kind, Machine};
use crate::error::ResumeError;
use crate::fault::Fault;
use crate::history::{EventDetails, EventType, HistoryEvent};
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

pub(crate) fn plan(m: &Machine, history: &[HistoryEvent]) -> Result<Plan, ResumeError> {
    let first = history.first().ok_or(ResumeError::NoStart)?;
    let input = match (&first.event_type, &first.details) {
        (EventType::ExecutionStarted, Some(EventDetails::ExecutionStarted(d))) => d.input.clone(),
        _ => return Err(ResumeError::NoStart),
    };
    // Top-level events only.
    // Open Parallel/Map attempts, by the id of their `…StateStarted` event. A retried
    // attempt starts again (a new `…StateStarted` pointing back at the last one) without
    // closing the one before.
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
    if let Some(last) = history.last() {
        let err = |d: &Option<EventDetails>| match d {
            Some(EventDetails::ExecutionFailed(e))
            | Some(EventDetails::ExecutionAborted(e))
            | Some(EventDetails::ExecutionTimedOut(e)) => (e.error.clone(), e.cause.clone()),
            _ => (None, None),
        };
        let finished = match last.event_type {
            EventType::ExecutionSucceeded => match &last.details {
                Some(EventDetails::ExecutionSucceeded(o)) => {
                    Some(Outcome::Succeeded((*o.output).clone()))
                }
                _ => Some(Outcome::Succeeded(Value::Null)),
            },
            EventType::ExecutionFailed => {
                let (error, cause) = err(&last.details);
                Some(Outcome::Failed { error, cause })
            }
            EventType::ExecutionAborted => {
                let (error, cause) = err(&last.details);
                Some(Outcome::Aborted { error, cause })
            }
            EventType::ExecutionTimedOut => {
                let (error, cause) = err(&last.details);
                Some(Outcome::TimedOut { error, cause })
            }
            _ => None,
        };
        if finished.is_some() {
            return Ok(Plan {
                input,
                finished,
                at: None,
            });
        }
    }
    let Some(pos) = top.iter().rposition(|e| is_entered(e.event_type)) else {
        // Started but no state entered yet: run from the start.
        return Ok(Plan {
            input,
            finished: None,
            at: None,
        });
    };
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
    if let Some(ex) = after
        .iter()
        .find(|e| e.event_type.as_str().ends_with("StateExited"))
    {
        if let Some(EventDetails::StateExited(d)) = &ex.details {
            return Ok(Plan {
                input,
                finished: None,
                at: Some(ResumeAt {
                    state: idx,
                    input: state_input,
                    entered_at: entered.timestamp,
                    entered_id: entered.id,
                    vars: recorded_vars(&top),
                    mode: ResumeMode::Exited(d.output.clone()),
                }),
            });
        }
    }
    let mut tres = TaskResume {
        close_open_attempt: depth > 0,
        ..TaskResume::default()
    };
    if let Kind::Task(t) = &st.kind {
        tres.counts = vec![0; st.retry.len()];
        let mut scheduled: Option<(u64, Option<chrono::DateTime<chrono::Utc>>)> = None;
        // The outcome of the last recorded attempt, until another attempt starts: a
        // recorded result is used as is, never obtained again by running the task.
        let mut last: Option<Result<Arc<Value>, Fault>> = None;
        for e in after {
            use EventType::*;
            let fault = match (&e.event_type, &e.details) {
                (TaskScheduled | LambdaFunctionScheduled, _) => {
                    // A new attempt: the failure before it was retried.
                    if let Some(Err(f)) = last.take() {
                        if let Some(ri) = st
                            .retry
                            .iter()
                            .position(|r| r.errors.iter().any(|x| f.matches(x)))
                        {
                            tres.counts[ri] += 1;
                            tres.retry_count += 1;
                        }
                    }
                    scheduled = Some((e.id, None));
                    None
                }
                (TaskStarted | LambdaFunctionStarted, _) => {
                    if let Some((id, _)) = scheduled {
                        scheduled = Some((id, Some(e.timestamp)));
                    }
                    None
                }
                (
                    TaskFailed | TaskTimedOut,
                    Some(EventDetails::TaskFailed(d) | EventDetails::TaskTimedOut(d)),
                ) => Some(Fault::new(
                    d.error.clone().unwrap_or_default(),
                    d.cause.clone().unwrap_or_default(),
                )),
                (
                    LambdaFunctionFailed | LambdaFunctionTimedOut,
                    Some(
                        EventDetails::LambdaFunctionFailed(d)
                        | EventDetails::LambdaFunctionTimedOut(d),
                    ),
                ) => Some(Fault::new(
                    d.error.clone().unwrap_or_default(),
                    d.cause.clone().unwrap_or_default(),
                )),
                (TaskSucceeded, Some(EventDetails::TaskSucceeded(d))) => {
                    scheduled = None;
                    last = Some(Ok(d.output.clone()));
                    None
                }
                (LambdaFunctionSucceeded, Some(EventDetails::LambdaFunctionSucceeded(d))) => {
                    scheduled = None;
                    last = Some(Ok(d.output.clone()));
                    None
                }
                _ => None,
            };
            if let Some(f) = fault {
                scheduled = None;
                last = Some(Err(f));
            }
        }
        tres.recorded = last;
        if t.pattern == crate::task::IntegrationPattern::WaitForTaskToken {
            if let Some((id, Some(started))) = scheduled {
                tres.waiting = Some((id, started));
            }
        }
    }
    Ok(Plan {
        input,
        finished: None,
        at: Some(ResumeAt {
            state: idx,
            input: state_input,
            entered_at: entered.timestamp,
            entered_id: entered.id,
            vars: recorded_vars(&top),
            mode: ResumeMode::Rerun(tres),
        }),
    })
}
