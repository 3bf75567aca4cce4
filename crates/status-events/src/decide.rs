//! The ordering rules, kept pure so duplicates and out-of-order deliveries are tested directly.
//!
//! A record's execution status only moves forward: any final status beats RUNNING, and between
//! two statuses of the same kind the later event timestamp wins. An event equal to what is stored
//! is a duplicate. This makes the handler idempotent and independent of delivery order.

use chrono::{DateTime, Utc};

use crate::event::{ExecStatus, StatusChange};
use crate::ports::{JobSnapshot, StatusUpdate};

/// Error name the graceful-cancel path of every state machine fails with.
pub const CANCELLED_ERROR: &str = "Cancelled";

const FINAL_PROCESS_STATUSES: &[&str] = &["COMPLETED", "FAILED", "TIMED_OUT", "CANCELLED"];

/// Causes are stored for reading, not for replay; cap them well under the 400 KB item limit.
pub const MAX_CAUSE_BYTES: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Apply(Box<StatusUpdate>),
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
    status: ExecStatus,
    rec: Option<&JobSnapshot>,
) -> ExecStatus {
    match status {
        ExecStatus::Failed if ev.error.as_deref() == Some(CANCELLED_ERROR) => ExecStatus::Cancelled,
        // A machine whose cancel path ends in Succeed still reports the job as cancelled.
        ExecStatus::Succeeded | ExecStatus::Failed
            if rec.is_some_and(|r| {
                r.cancel_requested && r.process_status.as_deref() == Some("CANCELLED")
            }) =>
        {
            ExecStatus::Cancelled
        }
        // A wait that timed out and was caught ends the execution through a Fail state, so Step
        // Functions says FAILED; the job timed out all the same (the machine recorded TIMED_OUT,
        // or nothing caught the task's timeout error).
        ExecStatus::Failed
            if TIMEOUT_ERRORS.contains(&ev.error.as_deref().unwrap_or(""))
                || rec.is_some_and(|r| r.process_status.as_deref() == Some("TIMED_OUT")) =>
        {
            ExecStatus::TimedOut
        }
        s => s,
    }
}

/// Step Functions' errors for a task that ran past its timeout or heartbeat.
const TIMEOUT_ERRORS: &[&str] = &["States.Timeout", "States.HeartbeatTimeout"];

/// ProcessStatus value a final execution status implies. ProcessStatus has no ABORTED: a stopped
/// job is a cancelled job.
pub fn process_status_for(status: ExecStatus) -> &'static str {
    match status {
        ExecStatus::Running => "STARTED",
        ExecStatus::Succeeded => "COMPLETED",
        ExecStatus::Failed => "FAILED",
        ExecStatus::TimedOut => "TIMED_OUT",
        ExecStatus::Aborted | ExecStatus::Cancelled => "CANCELLED",
    }
}

pub fn is_final_process_status(s: &str) -> bool {
    FINAL_PROCESS_STATUSES.contains(&s)
}

fn rank(status: &str) -> u8 {
    if status == "RUNNING" {
        0
    } else {
        1
    }
}

pub fn rfc3339_ms(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
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
    rec: Option<&JobSnapshot>,
    pattern: Option<&'static str>,
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
    if let Some((old_status, old_at)) = rec.and_then(|r| {
        Some((
            r.execution_status.as_deref()?,
            r.execution_status_at.unwrap_or(0),
        ))
    }) {
        let new_key = (rank(status.as_str()), at);
        let old_key = (rank(old_status), old_at);
        if new_key == old_key {
            return Decision::Skip(SkipReason::Duplicate);
        }
        if new_key < old_key {
            return Decision::Skip(SkipReason::Stale);
        }
    }
    let current_ps = rec.and_then(|r| r.process_status.as_deref());
    let process_status = match current_ps {
        Some(ps) if is_final_process_status(ps) => None,
        Some(_) if !status.is_final() => None,
        _ => Some(process_status_for(status)),
    };
    Decision::Apply(Box::new(StatusUpdate {
        execution_status: status,
        execution_status_at: at,
        execution_arn: ev.execution_arn.clone(),
        state_machine_arn: ev.state_machine_arn.clone(),
        started_at: rfc3339_ms(ev.start_ms),
        stopped_at: status.is_final().then(|| rfc3339_ms(at)),
        error: ev.error.as_deref().map(|e| truncate(e, 256)),
        cause: ev.cause.as_deref().map(|c| truncate(c, MAX_CAUSE_BYTES)),
        process_status,
        pattern,
        last_updated: now.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        remove_task_token: status.is_final(),
        expires_at: None,
    }))
}

/// When a job whose execution ended at `at_ms` is removed by the table's TTL: `days` after
/// it ended, in epoch seconds. Jobs still running never expire.
pub fn expires_at(status: ExecStatus, at_ms: i64, days: Option<u32>) -> Option<i64> {
    let days = i64::from(days?);
    status.is_final().then(|| {
        at_ms
            .div_euclid(1000)
            .saturating_add(days.saturating_mul(86_400))
    })
}

/// Statuses that someone should hear about. A graceful cancel was asked for, so it is not news.
pub fn worth_notifying(status: ExecStatus) -> bool {
    matches!(
        status,
        ExecStatus::Failed | ExecStatus::TimedOut | ExecStatus::Aborted
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_final_executions_expire_and_only_with_a_retention() {
        let day = 86_400;
        assert_eq!(
            expires_at(ExecStatus::Succeeded, 1_000_999, Some(1)),
            Some(1_000 + day)
        );
        assert_eq!(expires_at(ExecStatus::Aborted, 0, Some(90)), Some(90 * day));
        assert_eq!(expires_at(ExecStatus::Running, 1_000_999, Some(1)), None);
        assert_eq!(expires_at(ExecStatus::Failed, 1_000_999, None), None);
        assert_eq!(
            expires_at(ExecStatus::TimedOut, i64::MAX, Some(36_500)),
            Some(i64::MAX / 1000 + 36_500 * day)
        );
    }

    fn failed(error: &str) -> StatusChange {
        StatusChange {
            execution_arn: "arn:aws:states:us-east-1:1:execution:M:j".into(),
            state_machine_arn: "arn:aws:states:us-east-1:1:stateMachine:M".into(),
            name: "j".into(),
            status: Some(ExecStatus::Failed),
            raw_status: "FAILED".into(),
            start_ms: 1,
            stop_ms: Some(2),
            error: Some(error.into()),
            cause: None,
            input: None,
            output: None,
        }
    }

    fn record(process_status: &str) -> JobSnapshot {
        JobSnapshot {
            execution_status: None,
            execution_status_at: None,
            execution_arn: None,
            process_status: Some(process_status.into()),
            cancel_requested: false,
            notified: false,
        }
    }

    #[test]
    fn timeouts_that_end_in_a_fail_state_are_timed_out() {
        let timed_out = record("TIMED_OUT");
        let ev = failed("CallbackTimedOut");
        let s = effective_status(&ev, ExecStatus::Failed, Some(&timed_out));
        assert_eq!(s, ExecStatus::TimedOut);
        let ev = failed("States.HeartbeatTimeout");
        assert_eq!(
            effective_status(&ev, ExecStatus::Failed, None),
            ExecStatus::TimedOut
        );
        let ev = failed("CallbackFailed");
        assert_eq!(
            effective_status(&ev, ExecStatus::Failed, Some(&record("FAILED"))),
            ExecStatus::Failed
        );
        let ev = failed("Cancelled");
        assert_eq!(
            effective_status(&ev, ExecStatus::Failed, Some(&timed_out)),
            ExecStatus::Cancelled,
            "the cancel path wins"
        );
    }
}
