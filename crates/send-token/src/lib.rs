//! The demo responder of the callback pattern (auto mode): answers the task token at
//! random, success with probability `SUCCESS_RATIO` (or the input's `successRatio`).

mod random;

pub use random::SeededRandom;

use app_core::config::optional;
use app_core::domain::JobId;
use app_core::ports::{CallbackError, Random, TaskCallbacks};
use app_core::sfn::SfnClient;
use app_core::{ConfigError, Env, JsonHandler, Task, TaskHandler, TaskToken};
use async_trait::async_trait;
use lambda_runtime::Diagnostic;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub const DEFAULT_SUCCESS_RATIO: f64 = 0.5;

/// The error name Step Functions sees on a random failure (for `Catch`).
pub const RANDOM_FAILURE: &str = "RandomFailure";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Input {
    pub token: TaskToken,
    pub job_id: String,
    #[serde(default)]
    pub success_ratio: Option<f64>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub job_id: String,
    pub outcome: &'static str,
    pub token_hash: String,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Validation(String),
    #[error("Step Functions refused the token: {0}")]
    TokenRejected(CallbackError),
    #[error("could not answer the task: {0}")]
    Upstream(CallbackError),
}

impl From<Error> for Diagnostic {
    fn from(e: Error) -> Self {
        let error_type = match e {
            Error::Validation(_) => "ValidationError",
            Error::TokenRejected(_) => "TokenRejected",
            Error::Upstream(_) => "UpstreamError",
        };
        Diagnostic {
            error_type: error_type.into(),
            error_message: e.to_string(),
        }
    }
}

/// A probability, checked to be within 0.0..=1.0.
fn ratio(value: f64, what: &str) -> Result<f64, String> {
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!("{what} must be between 0.0 and 1.0, got {value}"))
    }
}

pub fn success_ratio_from(env: &Env) -> Result<f64, ConfigError> {
    let Some(raw) = optional(env, "SUCCESS_RATIO") else {
        return Ok(DEFAULT_SUCCESS_RATIO);
    };
    raw.parse::<f64>()
        .map_err(|e| e.to_string())
        .and_then(|v| ratio(v, "SUCCESS_RATIO"))
        .map_err(|reason| ConfigError::Invalid {
            name: "SUCCESS_RATIO",
            reason,
        })
}

pub struct SendToken<T, R> {
    callbacks: T,
    random: R,
    success_ratio: f64,
}

impl<T: TaskCallbacks, R: Random> SendToken<T, R> {
    pub fn new(callbacks: T, random: R, success_ratio: f64) -> Self {
        Self {
            callbacks,
            random,
            success_ratio,
        }
    }

    /// The ports, for tests that inspect their fakes.
    pub fn ports(&self) -> (&T, &R) {
        (&self.callbacks, &self.random)
    }
}

#[async_trait]
impl<T: TaskCallbacks, R: Random> TaskHandler for SendToken<T, R> {
    type Input = Input;
    type Output = Output;
    type Error = Error;

    async fn handle(&self, input: Input) -> Result<Output, Error> {
        let id = JobId::parse(&input.job_id)
            .map_err(|e| Error::Validation(format!("invalid jobId: {e}")))?;
        let success_ratio = match input.success_ratio {
            Some(v) => ratio(v, "successRatio").map_err(Error::Validation)?,
            None => self.success_ratio,
        };
        let draw = self.random.next_f64();
        let success = draw < success_ratio;
        let hash = input.token.short_hash();
        tracing::info!(job_id = %id, token_hash = %hash, draw, success_ratio, success, "answering the task");
        let sent = if success {
            let output = serde_json::json!({
                "jobId": id,
                "result": "success",
                "respondedBy": "send-token",
            });
            self.callbacks
                .send_success(&input.token, &output.to_string())
                .await
        } else {
            let cause = format!(
                "send-token drew {draw:.3}, not below the success ratio {success_ratio} (job {id})"
            );
            self.callbacks
                .send_failure(&input.token, Some(RANDOM_FAILURE), Some(&cause))
                .await
        };
        sent.map_err(|e| match e {
            CallbackError::InvalidToken(_)
            | CallbackError::TaskDoesNotExist(_)
            | CallbackError::TaskTimedOut(_) => Error::TokenRejected(e),
            other => Error::Upstream(other),
        })?;
        Ok(Output {
            job_id: id.to_string(),
            outcome: if success { "success" } else { "failure" },
            token_hash: hash,
        })
    }
}

/// The handler with AWS clients, as `main.rs` and the local runtime use it.
pub async fn json_handler(
    sdk: &aws_config::SdkConfig,
    env: &Env,
) -> Result<Arc<dyn JsonHandler>, ConfigError> {
    let success_ratio = success_ratio_from(env)?;
    Ok(Arc::new(Task(SendToken::new(
        SfnClient::new(sdk),
        SeededRandom::from_os(),
        success_ratio,
    ))))
}
