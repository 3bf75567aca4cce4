//! The Task at the end of the wait-until machine: renders the message for `taskName`
//! and sends it through SES when a sender is configured, else writes it as one
//! structured log record. Either way it reports how late it ran.

use app_core::config::optional;
use app_core::domain::{format_timestamp, parse_start_at, JobId};
use app_core::ports::{Email, Mailer, Upstream};
use app_core::ses::SesMailer;
use app_core::{Clock, ConfigError, Env, JsonHandler, Task, TaskHandler};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lambda_runtime::Diagnostic;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;

/// The wait-until state: `{"jobId","taskName","startAt"}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Input {
    pub job_id: String,
    pub task_name: String,
    pub start_at: Value,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Delivery {
    Ses,
    Log,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub job_id: String,
    pub task_name: String,
    pub scheduled_at: String,
    pub sent_at: String,
    /// Negative if the Wait ended early (clock skew), so it is signed.
    pub lateness_ms: i64,
    pub delivery: Delivery,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Validation(String),
    #[error("could not send the email: {0}")]
    Upstream(#[from] Upstream),
}

impl From<Error> for Diagnostic {
    fn from(e: Error) -> Self {
        let error_type = match e {
            Error::Validation(_) => "ValidationError",
            Error::Upstream(_) => "UpstreamError",
        };
        Diagnostic {
            error_type: error_type.into(),
            error_message: e.to_string(),
        }
    }
}

/// Where emails go: SES with a recipient, or the log.
pub enum Outbox<M> {
    Mail { mailer: M, to: String },
    Log,
}

pub struct SendEmail<M, C> {
    outbox: Outbox<M>,
    clock: C,
}

pub fn render(
    job_id: &str,
    task_name: &str,
    scheduled: &str,
    sent: &str,
    lateness_ms: i64,
) -> (String, String) {
    let subject = format!("Scheduled task: {task_name}");
    let body = format!(
        "Your task \"{task_name}\" was scheduled for {scheduled} and ran at {sent} ({lateness_ms} ms after the scheduled time).\n\nJob: {job_id}\n"
    );
    (subject, body)
}

impl<M: Mailer, C: Clock> SendEmail<M, C> {
    pub fn new(outbox: Outbox<M>, clock: C) -> Self {
        Self { outbox, clock }
    }

    /// Where emails go, for tests that inspect their fake.
    pub fn outbox(&self) -> &Outbox<M> {
        &self.outbox
    }
}

#[async_trait]
impl<M: Mailer, C: Clock> TaskHandler for SendEmail<M, C> {
    type Input = Input;
    type Output = Output;
    type Error = Error;

    async fn handle(&self, input: Input) -> Result<Output, Error> {
        let id = JobId::parse(&input.job_id)
            .map_err(|e| Error::Validation(format!("invalid jobId: {e}")))?;
        if input.task_name.trim().is_empty() {
            return Err(Error::Validation("taskName must not be empty".into()));
        }
        let scheduled: DateTime<Utc> = parse_start_at(&input.start_at)
            .map_err(|e| Error::Validation(format!("startAt {e}")))?;
        let sent = self.clock.now();
        let lateness_ms = (sent - scheduled).num_milliseconds();
        let (scheduled_at, sent_at) = (format_timestamp(scheduled), format_timestamp(sent));
        let (subject, body) = render(
            id.as_str(),
            &input.task_name,
            &scheduled_at,
            &sent_at,
            lateness_ms,
        );
        let (delivery, message_id) = match &self.outbox {
            Outbox::Mail { mailer, to } => {
                let message_id = mailer
                    .send(&Email {
                        to: to.clone(),
                        subject: subject.clone(),
                        body: body.clone(),
                    })
                    .await?;
                tracing::info!(job_id = %id, task_name = %input.task_name, scheduled_at, sent_at, lateness_ms, message_id, "email sent through SES");
                (Delivery::Ses, Some(message_id))
            }
            Outbox::Log => {
                tracing::info!(job_id = %id, task_name = %input.task_name, scheduled_at, sent_at, lateness_ms, subject, body, "email (no SENDER_ADDRESS configured, logged instead of sent)");
                (Delivery::Log, None)
            }
        };
        Ok(Output {
            job_id: id.to_string(),
            task_name: input.task_name,
            scheduled_at,
            sent_at,
            lateness_ms,
            delivery,
            message_id,
        })
    }
}

/// The handler with AWS clients on `clock` (the local runtime passes its one clock).
pub async fn json_handler(
    sdk: &aws_config::SdkConfig,
    env: &Env,
    clock: Arc<dyn Clock>,
) -> Result<Arc<dyn JsonHandler>, ConfigError> {
    let outbox = match optional(env, "SENDER_ADDRESS") {
        Some(from) => {
            let to = optional(env, "RECIPIENT_ADDRESS").unwrap_or_else(|| from.clone());
            Outbox::Mail {
                mailer: SesMailer::new(sdk, from),
                to,
            }
        }
        None => Outbox::Log,
    };
    Ok(Arc::new(Task(SendEmail::new(outbox, clock))))
}
