use super::{ExecutionStatus, JobStatus, Pattern, TaskToken};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A job as stored in the Jobs table: one field per attribute that any writer sets (the
/// start routes, send-wait, the state machines, status-events and the cancel route; see
/// [`crate::schema::attr`]).
///
/// Times the API shows as stored (`StartActionAt`, `LastUpdated`, ...) stay text: the
/// state machines write some of them, and `LastUpdated` is an index key whose exact text a
/// listing position refers to. Its serialized form is the record as stored, without the
/// task token: the token is never serialized, since no route may return it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Job {
    #[serde(default)]
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_shard: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<Pattern>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process_status: Option<JobStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_action_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_status: Option<ExecutionStatus>,
    /// When the execution entered `execution_status`, in epoch milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_status_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_machine_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_at: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cancel_requested: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_requested_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notified_at: Option<String>,
    /// The table's TTL: when the finished job is deleted, in epoch seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    #[serde(default, skip_serializing)]
    pub task_token: Option<TaskToken>,
}

impl Job {
    /// `GET /jobs/{id}`: the job as the public API shows it.
    pub fn detail(&self) -> JobDetail<'_> {
        JobDetail {
            id: &self.id,
            pattern: self.pattern,
            process_status: self.process_status,
            start_action_at: self.start_action_at.as_deref(),
            last_updated: self.last_updated.as_deref(),
            execution_arn: self.execution_arn.as_deref(),
            output: self.output.as_ref(),
            error: self.error.as_deref(),
            cause: self.cause.as_deref(),
        }
    }

    /// One entry of `GET /status`.
    pub fn summary(&self) -> JobSummary {
        JobSummary {
            id: self.id.clone(),
            start_action_at: self.start_action_at.clone(),
            last_updated: self.last_updated.clone(),
            process_status: self.process_status,
        }
    }

    /// How the job ended, for a refusal to cancel it: the execution's status once it has
    /// left RUNNING, else the job's own status.
    pub fn ended_status(&self) -> String {
        match (self.execution_status, self.process_status) {
            (Some(s), _) if !s.is_running() => s.to_string(),
            (_, Some(s)) => s.to_string(),
            _ => "unknown".into(),
        }
    }
}

/// `GET /jobs/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct JobDetail<'a> {
    pub id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<Pattern>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process_status: Option<JobStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_action_at: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_arn: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<&'a str>,
}

/// One entry of `GET /status`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct JobSummary {
    pub id: String,
    pub start_action_at: Option<String>,
    pub last_updated: Option<String>,
    pub process_status: Option<JobStatus>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waiting() -> Job {
        Job {
            id: "j1".into(),
            process_status: Some(JobStatus::WaitingForCallback),
            task_token: Some(TaskToken::new("very-secret-token").unwrap()),
            cancel_requested: true,
            ..Job::default()
        }
    }

    #[test]
    fn serialization_never_contains_the_token() {
        let job = waiting();
        for text in [
            serde_json::to_string(&job).unwrap(),
            serde_json::to_string(&job.detail()).unwrap(),
        ] {
            assert!(!text.contains("very-secret-token"));
            assert!(!text.contains("TaskToken"));
            assert!(text.contains("\"ProcessStatus\":\"WAITING_FOR_CALLBACK\""));
        }
    }

    #[test]
    fn the_record_reads_back_with_its_token() {
        let job: Job = serde_json::from_value(serde_json::json!({
            "Id": "j1", "ProcessStatus": "WAITING_FOR_CALLBACK",
            "TaskToken": "very-secret-token", "CancelRequested": true
        }))
        .unwrap();
        assert_eq!(job, waiting());
    }

    #[test]
    fn the_public_view_keeps_to_its_fields() {
        let job = Job {
            execution_status: Some(ExecutionStatus::Running),
            ..waiting()
        };
        let detail = serde_json::to_value(job.detail()).unwrap();
        assert_eq!(
            detail,
            serde_json::json!({"Id": "j1", "ProcessStatus": "WAITING_FOR_CALLBACK"})
        );
        let record = serde_json::to_value(&job).unwrap();
        assert_eq!(record["ExecutionStatus"], "RUNNING");
        assert_eq!(record["CancelRequested"], true);
    }

    #[test]
    fn ended_status_prefers_the_execution_once_it_left_running() {
        let mut job = waiting();
        assert_eq!(job.ended_status(), "WAITING_FOR_CALLBACK");
        job.execution_status = Some(ExecutionStatus::Running);
        assert_eq!(job.ended_status(), "WAITING_FOR_CALLBACK");
        job.execution_status = Some(ExecutionStatus::Aborted);
        assert_eq!(job.ended_status(), "ABORTED");
        assert_eq!(Job::default().ended_status(), "unknown");
    }
}
