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

    /// The accepted values, for error messages.
    pub fn list() -> String {
        Self::ALL
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown status {0:?}")]
pub struct UnknownStatus(pub String);

impl FromStr for JobStatus {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

impl fmt::Display for JobStatus {
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
        assert!("waiting_for_callback".parse::<JobStatus>().is_err());
    }
}
