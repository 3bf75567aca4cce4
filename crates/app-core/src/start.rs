//! Starting a job: validate the request, start the pattern's state machine under an
//! idempotent name, record the job. The one service behind `POST /start`, `POST /jobs`,
//! `POST /callbacks` (start-execution) and `POST /executions/{machine}` (executions).

use crate::config::{optional, parsed_or, required};
use crate::domain::{format_timestamp, ExecutionName, JobId, Pattern};
use crate::http::{self, ApiError};
use crate::ports::{
    execution_arn, ExecutionStarter, JobRecorder, NewJob, StartError, StartRequest, Upstream,
};
use crate::requests::{
    execution_name, CallbackMode, Limits, RequestError, StartCallback, StartJob, StartWaitUntil,
};
use crate::{Clock, ConfigError, Env};
use aws_lambda_events::apigw::ApiGatewayProxyRequest;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;

/// What starting needs to know about the stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartConfig {
    /// The table the job is recorded in (read by whoever builds the recorder).
    pub jobs_table: String,
    pub wait_until_arn: String,
    pub waitable_arn: String,
    pub callback_arn: String,
    /// Who answers a callback job whose request does not say.
    pub callback_mode: CallbackMode,
    /// How far ahead a job may be scheduled.
    pub max_ahead_days: u32,
}

impl StartConfig {
    pub fn from_lookup(env: &Env) -> Result<Self, ConfigError> {
        let callback_mode = match optional(env, "CALLBACK_MODE") {
            None => CallbackMode::External,
            Some(v) => v.parse().map_err(|reason| ConfigError::Invalid {
                name: "CALLBACK_MODE",
                reason,
            })?,
        };
        let max_ahead_days = parsed_or(env, "MAX_AHEAD_DAYS", 365u32)?;
        if max_ahead_days == 0 {
            return Err(ConfigError::Invalid {
                name: "MAX_AHEAD_DAYS",
                reason: "must be at least 1".into(),
            });
        }
        let arn = |p: Pattern| required(env, p.state_machine_variable());
        Ok(Self {
            jobs_table: required(env, "JOBS_TABLE")?,
            wait_until_arn: arn(Pattern::WaitUntil)?,
            waitable_arn: arn(Pattern::Waitable)?,
            callback_arn: arn(Pattern::Callback)?,
            callback_mode,
            max_ahead_days,
        })
    }

    pub fn machine_arn(&self, pattern: Pattern) -> &str {
        match pattern {
            Pattern::WaitUntil => &self.wait_until_arn,
            Pattern::Waitable => &self.waitable_arn,
            Pattern::Callback => &self.callback_arn,
        }
    }
}

/// A validated start request: the body of the pattern's start route.
#[derive(Debug, Clone, PartialEq)]
pub enum JobRequest {
    WaitUntil(StartWaitUntil),
    Waitable(StartJob),
    Callback(StartCallback),
}

impl JobRequest {
    pub fn parse(
        pattern: Pattern,
        body: Option<Value>,
        limits: Limits,
    ) -> Result<Self, RequestError> {
        Ok(match pattern {
            Pattern::WaitUntil => Self::WaitUntil(StartWaitUntil::parse(body, limits)?),
            Pattern::Waitable => Self::Waitable(StartJob::parse(body, limits)?),
            Pattern::Callback => Self::Callback(StartCallback::parse(body)?),
        })
    }

    pub fn pattern(&self) -> Pattern {
        match self {
            Self::WaitUntil(_) => Pattern::WaitUntil,
            Self::Waitable(_) => Pattern::Waitable,
            Self::Callback(_) => Pattern::Callback,
        }
    }

    /// The `name` field of the body.
    pub fn name(&self) -> Option<&ExecutionName> {
        match self {
            Self::WaitUntil(r) => r.name.as_ref(),
            Self::Waitable(r) => r.name.as_ref(),
            Self::Callback(r) => r.name.as_ref(),
        }
    }
}

/// What to start: a validated request under its execution name.
#[derive(Debug, Clone, PartialEq)]
pub struct StartCommand {
    pub request: JobRequest,
    pub name: ExecutionName,
    /// When the request was validated; a callback job's action starts then.
    pub at: DateTime<Utc>,
}

/// A started job, or the one already running under the same name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobStarted {
    pub job_id: JobId,
    pub execution_arn: String,
    /// `None` when the execution already existed: nothing was started now.
    pub start_date: Option<DateTime<Utc>>,
    pub message: String,
}

impl JobStarted {
    /// 202 for an execution started now, 200 for one that already existed.
    pub fn status_code(&self) -> u16 {
        if self.start_date.is_some() {
            202
        } else {
            200
        }
    }

    /// The answer body, with the link where the job's status can be read.
    pub fn answer(&self, status_url: String) -> StartAnswer {
        StartAnswer {
            execution_arn: self.execution_arn.clone(),
            job_id: self.job_id.to_string(),
            start_date: self.start_date.map(format_timestamp),
            status_url,
            message: self.message.clone(),
        }
    }
}

/// The body of a start route's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StartAnswer {
    pub execution_arn: String,
    pub job_id: String,
    /// `None` when the execution already existed: we did not start it now.
    pub start_date: Option<String>,
    pub status_url: String,
    pub message: String,
}

/// An HTTP start: its status code and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartReply {
    pub status: u16,
    pub answer: StartAnswer,
}

/// Why a job was not started.
#[derive(Debug, thiserror::Error)]
pub enum StartJobError {
    #[error(transparent)]
    Request(#[from] RequestError),
    #[error(transparent)]
    Upstream(#[from] Upstream),
}

impl From<StartJobError> for ApiError {
    fn from(e: StartJobError) -> Self {
        match e {
            StartJobError::Request(e) => e.into(),
            StartJobError::Upstream(e) => ApiError::upstream(e.0),
        }
    }
}

/// Everything decided before calling Step Functions.
struct Plan {
    pattern: Pattern,
    state_machine_arn: String,
    name: ExecutionName,
    input: Value,
    start_action_at: DateTime<Utc>,
    message: String,
}

/// The start service over its ports: who starts executions, who records jobs, the clock.
pub struct JobStarter {
    config: StartConfig,
    starter: Arc<dyn ExecutionStarter>,
    recorder: Arc<dyn JobRecorder>,
    clock: Arc<dyn Clock>,
}

impl JobStarter {
    pub fn new(
        config: StartConfig,
        starter: Arc<dyn ExecutionStarter>,
        recorder: Arc<dyn JobRecorder>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            config,
            starter,
            recorder,
            clock,
        }
    }

    /// Validates a start of `pattern`: the body, then the name (the `Idempotency-Key`
    /// header wins over the body's `name`; with neither, a fresh one).
    pub fn command(
        &self,
        pattern: Pattern,
        body: Option<Value>,
        idempotency_key: Option<&str>,
    ) -> Result<StartCommand, RequestError> {
        let at = self.clock.now();
        let limits = Limits {
            now: at,
            max_ahead_days: self.config.max_ahead_days,
        };
        let request = JobRequest::parse(pattern, body, limits)?;
        let name = execution_name(idempotency_key, request.name())?;
        Ok(StartCommand { request, name, at })
    }

    /// Serves a start route: reads the body and `Idempotency-Key` of `req`, starts, and
    /// answers with a link to the job under the API's base URL.
    pub async fn serve(
        &self,
        pattern: Pattern,
        req: &ApiGatewayProxyRequest,
    ) -> Result<StartReply, StartJobError> {
        let body = http::body_json(req)?;
        let command = self.command(pattern, body, http::header(req, "idempotency-key"))?;
        let started = self.start(command).await?;
        let status_url = format!("{}/jobs/{}", http::base_url(req), started.job_id);
        Ok(StartReply {
            status: started.status_code(),
            answer: started.answer(status_url),
        })
    }

    /// Starts the execution and records the job. A repeat of a start (same name, same
    /// input) is the same execution; the same name with another input, or after the
    /// execution finished, starts nothing and says so.
    pub async fn start(&self, command: StartCommand) -> Result<JobStarted, Upstream> {
        let plan = self.plan(command);
        let job_id = JobId::from(plan.name.clone());
        let request = StartRequest {
            state_machine_arn: plan.state_machine_arn.clone(),
            name: plan.name.clone(),
            input: plan.input.to_string(),
        };
        match self.starter.start_execution(&request).await {
            Ok(started) => {
                tracing::info!(job_id = %job_id, execution_arn = %started.execution_arn, pattern = %plan.pattern, "execution started");
                self.record(&job_id, &plan, &started.execution_arn).await;
                Ok(JobStarted {
                    job_id,
                    execution_arn: started.execution_arn,
                    start_date: Some(started.start_date),
                    message: plan.message,
                })
            }
            Err(StartError::AlreadyExists) => {
                let arn = execution_arn(&plan.state_machine_arn, &plan.name);
                tracing::info!(job_id = %job_id, execution_arn = %arn, "execution already exists");
                Ok(JobStarted {
                    message: format!(
                        "An execution named {job_id} already exists (same name, different input or already finished); nothing new was started."
                    ),
                    job_id,
                    execution_arn: arn,
                    start_date: None,
                })
            }
            Err(StartError::Upstream(e)) => Err(e),
        }
    }

    /// Records the started job. The execution runs either way; a missing record only
    /// degrades `GET /jobs/{id}` until the machine writes its own status.
    async fn record(&self, job_id: &JobId, plan: &Plan, execution_arn: &str) {
        let job = NewJob {
            id: job_id.clone(),
            pattern: plan.pattern,
            start_action_at: plan.start_action_at,
            execution_arn: execution_arn.to_owned(),
            at: self.clock.now(),
        };
        if let Err(e) = self.recorder.record_job(&job).await {
            tracing::warn!(job_id = %job_id, error = %e, "could not record the job");
        }
    }

    fn plan(&self, command: StartCommand) -> Plan {
        let StartCommand { request, name, at } = command;
        let pattern = request.pattern();
        let state_machine_arn = self.config.machine_arn(pattern).to_owned();
        let (input, start_action_at, message) = match &request {
            JobRequest::WaitUntil(r) => (
                r.execution_input(name.as_str()),
                r.start_at,
                format!(
                    "Task {:?} scheduled for {} as job {name}.",
                    r.task_name,
                    format_timestamp(r.start_at)
                ),
            ),
            JobRequest::Waitable(r) => (
                r.execution_input(name.as_str()),
                r.start_timestamp,
                format!(
                    "Job Id {name} started successfully. For additional information on process status use GET /status."
                ),
            ),
            JobRequest::Callback(r) => (
                r.execution_input(name.as_str(), self.config.callback_mode),
                at,
                callback_message(&name, r.mode.unwrap_or(self.config.callback_mode)),
            ),
        };
        Plan {
            pattern,
            state_machine_arn,
            name,
            input,
            start_action_at,
            message,
        }
    }
}

/// What a started callback job expects of its caller: an external one waits for an answer,
/// an auto one is answered by send-token.
fn callback_message(name: &ExecutionName, mode: CallbackMode) -> String {
    match mode {
        CallbackMode::External => format!(
            "Callback job {name} started in external mode; complete it with POST /jobs/{name}/success or /failure."
        ),
        CallbackMode::Auto => format!(
            "Callback job {name} started in auto mode; send-token answers it with success or failure at random. Follow it with GET /jobs/{name}."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_external_callback_asks_to_be_completed() {
        let name = ExecutionName::parse("cb-1").unwrap();
        let external = callback_message(&name, CallbackMode::External);
        assert!(external.contains("POST /jobs/cb-1/success"), "{external}");
        let auto = callback_message(&name, CallbackMode::Auto);
        assert!(!auto.contains("/success"), "{auto}");
        assert!(
            auto.contains("auto mode") && auto.contains("GET /jobs/cb-1"),
            "{auto}"
        );
    }

    fn env(
        extra: &'static [(&'static str, &'static str)],
    ) -> impl Fn(&str) -> Option<String> + Sync {
        move |k: &str| {
            let base = [
                ("JOBS_TABLE", "Jobs"),
                ("WAIT_UNTIL_STATE_MACHINE_ARN", "arn:wu"),
                ("WAITABLE_STATE_MACHINE_ARN", "arn:w"),
                ("CALLBACK_STATE_MACHINE_ARN", "arn:cb"),
            ];
            extra
                .iter()
                .chain(base.iter())
                .find(|(name, _)| *name == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn defaults_and_overrides() {
        let c = StartConfig::from_lookup(&env(&[])).unwrap();
        assert_eq!(c.callback_mode, CallbackMode::External);
        assert_eq!(c.max_ahead_days, 365);
        assert_eq!(c.machine_arn(Pattern::Waitable), "arn:w");
        let c =
            StartConfig::from_lookup(&env(&[("CALLBACK_MODE", "auto"), ("MAX_AHEAD_DAYS", "7")]))
                .unwrap();
        assert_eq!(c.callback_mode, CallbackMode::Auto);
        assert_eq!(c.max_ahead_days, 7);
    }

    #[test]
    fn clear_errors() {
        let e = StartConfig::from_lookup(&env(&[("JOBS_TABLE", "")])).unwrap_err();
        assert_eq!(e, ConfigError::Missing("JOBS_TABLE"));
        let e = StartConfig::from_lookup(&env(&[("CALLBACK_MODE", "sometimes")])).unwrap_err();
        assert!(e.to_string().contains("CALLBACK_MODE"), "{e}");
        let e = StartConfig::from_lookup(&env(&[("MAX_AHEAD_DAYS", "lots")])).unwrap_err();
        assert!(e.to_string().contains("MAX_AHEAD_DAYS"), "{e}");
        let e = StartConfig::from_lookup(&env(&[("MAX_AHEAD_DAYS", "0")])).unwrap_err();
        assert!(e.to_string().contains("at least 1"), "{e}");
    }

    #[test]
    fn each_pattern_parses_its_own_body() {
        let limits = Limits {
            now: crate::domain::parse_rfc3339("2026-01-01T00:00:00Z").unwrap(),
            max_ahead_days: 30,
        };
        let body = serde_json::json!({"StartTimestamp": "2026-01-02T00:00:00Z", "name": "n"});
        let r = JobRequest::parse(Pattern::Waitable, Some(body.clone()), limits).unwrap();
        assert_eq!(r.pattern(), Pattern::Waitable);
        assert_eq!(r.name().map(ExecutionName::as_str), Some("n"));
        let e = JobRequest::parse(Pattern::WaitUntil, Some(body), limits).unwrap_err();
        assert_eq!(e.name(), "UnknownField");
        let r = JobRequest::parse(Pattern::Callback, None, limits).unwrap();
        assert_eq!(r.pattern(), Pattern::Callback);
        assert_eq!(r.name(), None);
    }
}
