//! Works out from a recorded history where an interrupted execution stands.
//!
//! Only top-level events matter: events between a Parallel/Map `...StateStarted` and its
//! closing `...Succeeded/Failed/Aborted` belong to branches, and such a state is restarted
//! from its recorded input.

use super::run::{MapDone, Redrive, ResumeAt, ResumeMode, TaskResume};
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
    /// A redriven Map state's iterations that had succeeded (a redrive cut short before
    /// it entered its state).
    pub done: Option<MapDone>,
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
    if let Some(p) = redriven_not_entered(history) {
        // Redriven, but stopped before it entered its state again: the redrive goes on.
        let r = redrive_plan(m, &history[..p])?;
        return Ok(Plan {
            input,
            finished: None,
            at: r.at,
            done: r.done,
        });
    }
    let (top, depth) = top_level(history);
    let finished = history.last().and_then(recorded_outcome);
    if finished.is_some() {
        return Ok(Plan {
            input,
            finished,
            at: None,
            done: None,
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
        done: None,
    })
}

/// The position of the last `ExecutionRedriven` event when no state was entered after it.
fn redriven_not_entered(history: &[HistoryEvent]) -> Option<usize> {
    let p = history
        .iter()
        .rposition(|e| e.event_type == EventType::ExecutionRedriven)?;
    let entered = history[p + 1..].iter().any(|e| is_entered(e.event_type));
    (!entered).then_some(p)
}

/// How many times the history was redriven and when last (`ExecutionRedriven` events).
pub(crate) fn redrives(history: &[HistoryEvent]) -> Redrive {
    let mut r = Redrive::default();
    for e in history
        .iter()
        .filter(|e| e.event_type == EventType::ExecutionRedriven)
    {
        r.count += 1;
        r.at = Some(e.timestamp);
    }
    r
}

/// Where a redrive restarts an execution that ended unsuccessfully: the top-level state
/// it was in, entered anew from its recorded input (none: from the start), and for a Map
/// state the outputs of the iterations that had succeeded.
pub(crate) struct RedrivePlan {
    pub input: Arc<Value>,
    pub at: Option<ResumeAt>,
    pub done: Option<MapDone>,
}

pub(crate) fn redrive_plan(
    m: &Machine,
    history: &[HistoryEvent],
) -> Result<RedrivePlan, ResumeError> {
    let input = execution_input(history)?;
    let ended = history.last().and_then(recorded_outcome);
    if !matches!(
        ended,
        Some(Outcome::Failed { .. } | Outcome::Aborted { .. } | Outcome::TimedOut { .. })
    ) {
        return Err(ResumeError::Inconsistent(
            "the history does not end with a failure, an abort or a timeout".into(),
        ));
    }
    let body = &history[..history.len() - 1];
    let (top, depth) = top_level(body);
    let Some(pos) = top.iter().rposition(|e| is_entered(e.event_type)) else {
        return Ok(RedrivePlan {
            input,
            at: None,
            done: None,
        });
    };
    let mut at = resume_at(m, &top, pos, depth)?;
    if matches!(at.mode, ResumeMode::Rerun(_)) {
        at.mode = ResumeMode::Reenter;
    }
    let st = &m.states[at.state];
    let outputs = match &st.kind {
        Kind::Map(_) => Some(succeeded_iterations(body, &st.name, at.entered_id)),
        Kind::Parallel { branches } => Some(succeeded_branches(body, branches, at.entered_id)),
        _ => None,
    };
    let done = outputs.map(|outputs| MapDone {
        state: st.name.clone(),
        outputs,
    });
    Ok(RedrivePlan {
        input,
        at: Some(at),
        done,
    })
}

/// The outputs of the branches of a Parallel state that succeeded after its Entered event
/// `since`, by branch index: a branch succeeded when one of its terminal states exited and
/// nothing followed on from that (a caught failure goes on to its catcher's state).
fn succeeded_branches(
    history: &[HistoryEvent],
    branches: &[Arc<Machine>],
    since: u64,
) -> std::collections::HashMap<u64, Value> {
    let followed: std::collections::HashSet<u64> =
        history.iter().map(|e| e.previous_event_id).collect();
    let mut out = std::collections::HashMap::new();
    for e in history
        .iter()
        .filter(|e| e.id > since && !followed.contains(&e.id))
    {
        let Some(EventDetails::StateExited(d)) = &e.details else {
            continue;
        };
        let branch = branches.iter().position(|b| {
            b.index.get(&d.name).is_some_and(|&i| {
                let s = &b.states[i];
                s.next.is_none() && !matches!(s.kind, Kind::Choice { .. } | Kind::Fail { .. })
            })
        });
        if let Some(i) = branch {
            out.insert(i as u64, (*d.output).clone());
        }
    }
    out
}

/// The outputs of the iterations of Map state `name` that succeeded after its Entered
/// event `since`: what the event before each `MapIterationSucceeded` (the iteration's
/// last state exiting) gives.
fn succeeded_iterations(
    history: &[HistoryEvent],
    name: &str,
    since: u64,
) -> std::collections::HashMap<u64, Value> {
    let by_id: std::collections::HashMap<u64, &HistoryEvent> =
        history.iter().map(|e| (e.id, e)).collect();
    let mut out = std::collections::HashMap::new();
    for e in history.iter().filter(|e| e.id > since) {
        let Some(EventDetails::MapIterationSucceeded(it)) = &e.details else {
            continue;
        };
        if &*it.name != name {
            continue;
        }
        if let Some(EventDetails::StateExited(d)) = by_id
            .get(&e.previous_event_id)
            .and_then(|p| p.details.as_ref())
        {
            out.insert(it.index, (*d.output).clone());
        }
    }
    out
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
            // The execution ended: nothing stays open (a redrive may follow).
            ExecutionFailed | ExecutionAborted | ExecutionTimedOut => {
                open.clear();
                top.push(e);
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
            tres.waiting = Some((id, started, true));
        }
    } else if crate::task::is_activity(&t.resource) {
        // An activity task waits from its scheduling, taken by a worker or not yet.
        if let Some((id, started)) = replay.scheduled {
            tres.waiting = Some((id, replay.scheduled_at, started.is_some()));
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
    /// When the open attempt was scheduled.
    scheduled_at: DateTime<Utc>,
    /// The outcome of the last recorded attempt, until another attempt starts: a
    /// recorded result is used as is, never obtained again by running the task.
    last: Option<Result<Arc<Value>, Fault>>,
}

impl TaskReplay {
    fn event(&mut self, st: &State, e: &HistoryEvent) {
        use EventType::*;
        match (&e.event_type, &e.details) {
            (TaskScheduled | LambdaFunctionScheduled | ActivityScheduled, _) => {
                // A new attempt: a retrier took the failure before it.
                if let Some(Err(f)) = self.last.take() {
                    if let Some(ri) = st.retrier_for(&f) {
                        self.counts[ri] += 1;
                        self.retry_count += 1;
                    }
                }
                self.scheduled = Some((e.id, None));
                self.scheduled_at = e.timestamp;
            }
            (TaskStarted | LambdaFunctionStarted | ActivityStarted, _) => {
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
        (
            ActivityFailed | ActivityTimedOut,
            EventDetails::ActivityFailed(d) | EventDetails::ActivityTimedOut(d),
        ) => fault(&d.error, &d.cause),
        (ActivitySucceeded, EventDetails::ActivitySucceeded(d)) => Some(Ok(d.output.clone())),
        (TaskSucceeded, EventDetails::TaskSucceeded(d)) => Some(Ok(d.output.clone())),
        (LambdaFunctionSucceeded, EventDetails::LambdaFunctionSucceeded(d)) => {
            Some(Ok(d.output.clone()))
        }
        _ => None,
    }
}
