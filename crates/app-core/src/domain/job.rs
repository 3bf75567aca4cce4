use super::{JobStatus, TaskToken};
use serde::Serialize;
use serde_json::Value;

/// A job as stored in the table.
///
/// Fields are kept close to the stored attributes (strings, not parsed) because the
/// state machines write some of them directly and the API must show what is there.
/// The task token is kept out of serialization on purpose: no route may return it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Job {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_action_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    #[serde(skip)]
    pub task_token: Option<TaskToken>,
}

impl Job {
    pub fn status(&self) -> Option<JobStatus> {
        self.process_status.as_deref().and_then(|s| s.parse().ok())
    }

    pub fn summary(&self) -> JobSummary {
        JobSummary {
            id: self.id.clone(),
            start_action_at: self.start_action_at.clone(),
            last_updated: self.last_updated.clone(),
            process_status: self.process_status.clone(),
        }
    }
}

/// One entry of `GET /status`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct JobSummary {
    pub id: String,
    pub start_action_at: Option<String>,
    pub last_updated: Option<String>,
    pub process_status: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialization_never_contains_the_token() {
        let job = Job {
            id: "j1".into(),
            process_status: Some("WAITING_FOR_CALLBACK".into()),
            task_token: Some(TaskToken::new("very-secret-token").unwrap()),
            ..Job::default()
        };
        let text = serde_json::to_string(&job).unwrap();
        assert!(!text.contains("very-secret-token"));
        assert!(!text.contains("TaskToken"));
        assert!(text.contains("\"ProcessStatus\":\"WAITING_FOR_CALLBACK\""));
        assert_eq!(job.status(), Some(JobStatus::WaitingForCallback));
    }
}
