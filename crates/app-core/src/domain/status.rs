//! The two statuses a job record carries: the job's own lifecycle (`ProcessStatus`, written by
//! the start route, send-wait and the state machines) and the status of the execution that runs
//! it (`ExecutionStatus`, written by status-events from Step Functions' events).

use std::fmt;
use std::str::FromStr;

/// Lifecycle of a job as stored in `ProcessStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobStatus {
    Scheduled,
    Started,
    WaitingForCallback,
    Completed,
    Failed,
    TimedOut,
    Cancelled,
}

impl JobStatus {
    pub const ALL: [JobStatus; 7] = [
        JobStatus::Scheduled,
        JobStatus::Started,
        JobStatus::WaitingForCallback,
        JobStatus::Completed,
        JobStatus::Failed,
        JobStatus::TimedOut,
        JobStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Scheduled => "SCHEDULED",
            JobStatus::Started => "STARTED",
            JobStatus::WaitingForCallback => "WAITING_FOR_CALLBACK",
            JobStatus::Completed => "COMPLETED",
            JobStatus::Failed => "FAILED",
            JobStatus::TimedOut => "TIMED_OUT",
            JobStatus::Cancelled => "CANCELLED",
        }
    }

    /// Whether the job has ended: nothing moves it out of a final status, and a cancel
    /// request for it is meaningless.
    pub fn is_final(self) -> bool {
        match self {
            JobStatus::Scheduled | JobStatus::Started | JobStatus::WaitingForCallback => false,
            JobStatus::Completed
            | JobStatus::Failed
            | JobStatus::TimedOut
            | JobStatus::Cancelled => true,
        }
    }

    /// The final statuses, in [`JobStatus::ALL`] order (for conditions that list them).
    pub fn finals() -> impl Iterator<Item = JobStatus> {
        Self::ALL.into_iter().filter(|s| s.is_final())
    }

    /// The accepted values, for error messages.
    pub fn list() -> String {
        Self::ALL
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Status of the execution that runs a job: Step Functions' own statuses, plus `CANCELLED`,
/// which this application records for an execution that ended through its graceful-cancel path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExecutionStatus {
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Aborted,
    PendingRedrive,
    Cancelled,
}

impl ExecutionStatus {
    pub const ALL: [ExecutionStatus; 7] = [
        ExecutionStatus::Running,
        ExecutionStatus::Succeeded,
        ExecutionStatus::Failed,
        ExecutionStatus::TimedOut,
        ExecutionStatus::Aborted,
        ExecutionStatus::PendingRedrive,
        ExecutionStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionStatus::Running => "RUNNING",
            ExecutionStatus::Succeeded => "SUCCEEDED",
            ExecutionStatus::Failed => "FAILED",
            ExecutionStatus::TimedOut => "TIMED_OUT",
            ExecutionStatus::Aborted => "ABORTED",
            ExecutionStatus::PendingRedrive => "PENDING_REDRIVE",
            ExecutionStatus::Cancelled => "CANCELLED",
        }
    }

    /// Whether Step Functions itself reports this status (and filters `ListExecutions` by
    /// it): all but `CANCELLED`.
    pub fn is_step_functions(self) -> bool {
        self != ExecutionStatus::Cancelled
    }

    /// The statuses Step Functions reports, in [`ExecutionStatus::ALL`] order.
    pub fn step_functions() -> impl Iterator<Item = ExecutionStatus> {
        Self::ALL.into_iter().filter(|s| s.is_step_functions())
    }

    pub fn is_running(self) -> bool {
        self == ExecutionStatus::Running
    }

    /// Whether the execution has ended for good. A redrive is pending on an execution that
    /// is about to run again, so `PENDING_REDRIVE` is not final.
    pub fn is_final(self) -> bool {
        match self {
            ExecutionStatus::Running | ExecutionStatus::PendingRedrive => false,
            ExecutionStatus::Succeeded
            | ExecutionStatus::Failed
            | ExecutionStatus::TimedOut
            | ExecutionStatus::Aborted
            | ExecutionStatus::Cancelled => true,
        }
    }

    /// The `ProcessStatus` an execution in this status implies. It has no ABORTED: a stopped
    /// job is a cancelled job; an execution waiting for its redrive is about to run again.
    pub fn job_status(self) -> JobStatus {
        match self {
            ExecutionStatus::Running | ExecutionStatus::PendingRedrive => JobStatus::Started,
            ExecutionStatus::Succeeded => JobStatus::Completed,
            ExecutionStatus::Failed => JobStatus::Failed,
            ExecutionStatus::TimedOut => JobStatus::TimedOut,
            ExecutionStatus::Aborted | ExecutionStatus::Cancelled => JobStatus::Cancelled,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown status {0:?}")]
pub struct UnknownStatus(pub String);

/// Parses the stored text of a status enum.
fn parse_status<T: Copy>(
    all: &[T],
    name: impl Fn(T) -> &'static str,
    s: &str,
) -> Result<T, UnknownStatus> {
    all.iter()
        .copied()
        .find(|v| name(*v) == s)
        .ok_or_else(|| UnknownStatus(s.to_owned()))
}

impl FromStr for JobStatus {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_status(&Self::ALL, Self::as_str, s)
    }
}

impl FromStr for ExecutionStatus {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_status(&Self::ALL, Self::as_str, s)
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for ExecutionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_value() {
        for s in JobStatus::ALL {
            assert_eq!(s.as_str().parse::<JobStatus>(), Ok(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        for s in ExecutionStatus::ALL {
            assert_eq!(s.as_str().parse::<ExecutionStatus>(), Ok(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert!("waiting_for_callback".parse::<JobStatus>().is_err());
        assert!("running".parse::<ExecutionStatus>().is_err());
    }

    #[test]
    fn final_statuses() {
        let finals: Vec<_> = JobStatus::finals().map(JobStatus::as_str).collect();
        assert_eq!(finals, ["COMPLETED", "FAILED", "TIMED_OUT", "CANCELLED"]);
        let running: Vec<_> = ExecutionStatus::ALL
            .into_iter()
            .filter(|s| !s.is_final())
            .collect();
        assert_eq!(
            running,
            [ExecutionStatus::Running, ExecutionStatus::PendingRedrive]
        );
        let reported: Vec<_> = ExecutionStatus::step_functions()
            .map(ExecutionStatus::as_str)
            .collect();
        assert_eq!(
            reported,
            [
                "RUNNING",
                "SUCCEEDED",
                "FAILED",
                "TIMED_OUT",
                "ABORTED",
                "PENDING_REDRIVE"
            ]
        );
    }

    #[test]
    fn a_final_execution_implies_a_final_job() {
        for s in ExecutionStatus::ALL {
            assert_eq!(s.is_final(), s.job_status().is_final(), "{s}");
        }
        assert_eq!(ExecutionStatus::Aborted.job_status(), JobStatus::Cancelled);
    }
}
