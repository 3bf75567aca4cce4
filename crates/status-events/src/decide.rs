//! The ordering rules, kept pure so duplicates and out-of-order deliveries are tested directly.
//!
//! A record's execution status only moves forward: any final status beats RUNNING, and between
//! two statuses of the same kind the later event timestamp wins. An event equal to what is stored
//! is a duplicate. This makes the handler idempotent and independent of delivery order.

use app_core::ports::StatusTransition;
use app_core::{ExecutionStatus, Job, JobStatus, Pattern};
use chrono::{DateTime, Utc};

use crate::event::StatusChange;

/// Error name the graceful-cancel path of every state machine fails with.
pub const CANCELLED_ERROR: &str = "Cancelled";

/// Causes are stored for reading, not for replay; cap them well under the 400 KB item limit.
pub const MAX_CAUSE_BYTES: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Apply(Box<StatusTransition>),
    Skip(SkipReason),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// A status that does not describe how the execution ended (`PENDING_REDRIVE`).
    IgnoredStatus,
    /// The record belongs to another execution with the same name (another state machine).
    OtherExecution,
    /// The record already holds a newer status.
    Stale,
    /// The record already holds this very status.
    Duplicate,
}

/// The status recorded for an event, given what the record says about a cancel request.
pub fn effective_status(
    ev: &StatusChange,
    status: ExecutionStatus,
    rec: Option<&Job>,
) -> ExecutionStatus {
    match status {
        ExecutionStatus::Failed if ev.error.as_deref() == Some(CANCELLED_ERROR) => {
            ExecutionStatus::Cancelled
        }
        // A machine whose cancel path ends in Succeed still reports the job as cancelled.
        ExecutionStatus::Succeeded | ExecutionStatus::Failed
            if rec.is_some_and(|r| {
                r.cancel_requested && r.process_status == Some(JobStatus::Cancelled)
            }) =>
        {
            ExecutionStatus::Cancelled
        }
        // A wait that timed out and was caught ends the execution through a Fail state, so Step
        // Functions says FAILED; the job timed out all the same (the machine recorded TIMED_OUT,
        // or nothing caught the task's timeout error).
        ExecutionStatus::Failed
            if TIMEOUT_ERRORS.contains(&ev.error.as_deref().unwrap_or(""))
                || rec.is_some_and(|r| r.process_status == Some(JobStatus::TimedOut)) =>
        {
            ExecutionStatus::TimedOut
        }
        s => s,
    }
}

/// Step Functions' errors for a task that ran past its timeout or heartbeat.
const TIMEOUT_ERRORS: &[&str] = &["States.Timeout", "States.HeartbeatTimeout"];

/// Orders the statuses of one execution: any final status beats RUNNING.
fn rank(status: ExecutionStatus) -> u8 {
    if status.is_running() {
        0
    } else {
        1
    }
}

fn from_epoch_millis(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

pub fn decide(
    ev: &StatusChange,
    rec: Option<&Job>,
    pattern: Option<Pattern>,
    now: DateTime<Utc>,
) -> Decision {
    let Some(raw) = ev.status else {
        return Decision::Skip(SkipReason::IgnoredStatus);
    };
    if let Some(arn) = rec.and_then(|r| r.execution_arn.as_deref()) {
        if arn != ev.execution_arn {
            return Decision::Skip(SkipReason::OtherExecution);
        }
    }
    let status = effective_status(ev, raw, rec);
    let at = ev.at_ms();
    if let Some((old_status, old_at)) =
        rec.and_then(|r| Some((r.execution_status?, r.execution_status_at.unwrap_or(0))))
    {
        let new_key = (rank(status), at);
        let old_key = (rank(old_status), old_at);
        if new_key == old_key {
            return Decision::Skip(SkipReason::Duplicate);
        }
        if new_key < old_key {
            return Decision::Skip(SkipReason::Stale);
        }
    }
    // The state machines set the most specific ProcessStatus, and the running ones too: the
    // tracker only sets a final one the machine did not reach (a stop, a failure before its
    // end). A RUNNING event that comes before the machine's first write creates the job's
    // record (the one the machine then completes, keyed by the job the execution runs).
    let process_status = match rec.and_then(|r| r.process_status) {
        Some(ps) if ps.is_final() => None,
        _ if !status.is_final() => None,
        _ => Some(status.job_status()),
    };
    Decision::Apply(Box::new(StatusTransition {
        execution_status: status,
        execution_status_at: at,
        execution_arn: ev.execution_arn.clone(),
        state_machine_arn: ev.state_machine_arn.clone(),
        started_at: from_epoch_millis(ev.start_ms),
        stopped_at: status.is_final().then(|| from_epoch_millis(at)),
        error: ev.error.as_deref().map(|e| truncate(e, 256)),
        cause: ev.cause.as_deref().map(|c| truncate(c, MAX_CAUSE_BYTES)),
        process_status,
        pattern,
        last_updated: now,
        remove_task_token: status.is_final(),
        expires_at: None,
    }))
}

/// When a job whose execution ended at `at_ms` is removed by the table's TTL: `days` after
/// it ended, in epoch seconds. Jobs still running never expire.
pub fn expires_at(status: ExecutionStatus, at_ms: i64, days: Option<u32>) -> Option<i64> {
    let days = i64::from(days?);
    status.is_final().then(|| {
        at_ms
            .div_euclid(1000)
            .saturating_add(days.saturating_mul(86_400))
    })
}

/// Statuses that someone should hear about. A graceful cancel was asked for, so it is not news.
pub fn worth_notifying(status: ExecutionStatus) -> bool {
    matches!(
        status,
        ExecutionStatus::Failed | ExecutionStatus::TimedOut | ExecutionStatus::Aborted
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_final_executions_expire_and_only_with_a_retention() {
        let day = 86_400;
        assert_eq!(
            expires_at(ExecutionStatus::Succeeded, 1_000_999, Some(1)),
            Some(1_000 + day)
        );
        assert_eq!(
            expires_at(ExecutionStatus::Aborted, 0, Some(90)),
            Some(90 * day)
        );
        assert_eq!(
            expires_at(ExecutionStatus::Running, 1_000_999, Some(1)),
            None
        );
        assert_eq!(expires_at(ExecutionStatus::Failed, 1_000_999, None), None);
        assert_eq!(
            expires_at(ExecutionStatus::TimedOut, i64::MAX, Some(36_500)),
            Some(i64::MAX / 1000 + 36_500 * day)
        );
    }

    fn failed(error: &str) -> StatusChange {
        StatusChange {
            execution_arn: "arn:aws:states:us-east-1:1:execution:M:j".into(),
            state_machine_arn: "arn:aws:states:us-east-1:1:stateMachine:M".into(),
            name: app_core::JobId::parse("j").unwrap(),
            status: Some(ExecutionStatus::Failed),
            raw_status: "FAILED".into(),
            start_ms: 1,
            stop_ms: Some(2),
            error: Some(error.into()),
            cause: None,
            input: None,
            output: None,
        }
    }

    fn record(process_status: JobStatus) -> Job {
        Job {
            process_status: Some(process_status),
            ..Job::default()
        }
    }

    #[test]
    fn timeouts_that_end_in_a_fail_state_are_timed_out() {
        let timed_out = record(JobStatus::TimedOut);
        let ev = failed("CallbackTimedOut");
        let s = effective_status(&ev, ExecutionStatus::Failed, Some(&timed_out));
        assert_eq!(s, ExecutionStatus::TimedOut);
        let ev = failed("States.HeartbeatTimeout");
        assert_eq!(
            effective_status(&ev, ExecutionStatus::Failed, None),
            ExecutionStatus::TimedOut
        );
        let ev = failed("CallbackFailed");
        assert_eq!(
            effective_status(
                &ev,
                ExecutionStatus::Failed,
                Some(&record(JobStatus::Failed))
            ),
            ExecutionStatus::Failed
        );
        let ev = failed("Cancelled");
        assert_eq!(
            effective_status(&ev, ExecutionStatus::Failed, Some(&timed_out)),
            ExecutionStatus::Cancelled,
            "the cancel path wins"
        );
    }
}
