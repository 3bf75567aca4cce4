//! The `lambda:invoke.waitForTaskToken` Task of the callback machine (external mode):
//! stores the task token on the job, marks it `WAITING_FOR_CALLBACK` and tells how to
//! complete it. The token itself is only ever logged as a short hash.

use app_core::config::required;
use app_core::domain::JobId;
use app_core::dynamodb::DynamoJobStore;
use app_core::ports::{TokenStore, Upstream};
use app_core::{Clock, ConfigError, Env, JsonHandler, Task, TaskHandler, TaskToken};
use async_trait::async_trait;
use lambda_runtime::Diagnostic;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Task input: `{"token": "$$.Task.Token", "jobId": ...}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Input {
    pub token: TaskToken,
    pub job_id: String,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub job_id: String,
    pub token_hash: String,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid jobId: {0}")]
    Validation(String),
    #[error("could not store the task token: {0}")]
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

pub struct SendWait<S, C> {
    store: S,
    clock: C,
}

impl<S: TokenStore, C: Clock> SendWait<S, C> {
    pub fn new(store: S, clock: C) -> Self {
        Self { store, clock }
    }

    /// The store, for tests that inspect their fake.
    pub fn store(&self) -> &S {
        &self.store
    }
}

#[async_trait]
impl<S: TokenStore, C: Clock> TaskHandler for SendWait<S, C> {
    type Input = Input;
    type Output = Output;
    type Error = Error;

    async fn handle(&self, input: Input) -> Result<Output, Error> {
        let id = JobId::parse(&input.job_id).map_err(|e| Error::Validation(e.to_string()))?;
        let hash = input.token.short_hash();
        let stored = self
            .store
            .store_token(&id, &input.token, self.clock.now())
            .await?;
        if !stored {
            // The job ended meanwhile (stopped, say): its end stays, and nobody will answer.
            tracing::info!(job_id = %id, token_hash = %hash, "job has already ended; token not stored");
            return Ok(Output {
                job_id: id.to_string(),
                token_hash: hash,
            });
        }
        tracing::info!(
            job_id = %id,
            token_hash = %hash,
            complete_with = %format!("POST /jobs/{id}/success (body = task output), POST /jobs/{id}/failure {{\"error\",\"cause\"}} or POST /jobs/{id}/heartbeat"),
            "job is waiting for a callback"
        );
        Ok(Output {
            job_id: id.to_string(),
            token_hash: hash,
        })
    }
}

/// The handler with AWS clients on `clock` (the local runtime passes its one clock).
pub async fn json_handler(
    sdk: &aws_config::SdkConfig,
    env: &Env,
    clock: Arc<dyn Clock>,
) -> Result<Arc<dyn JsonHandler>, ConfigError> {
    let table = required(env, "JOBS_TABLE")?;
    Ok(Arc::new(Task(SendWait::new(
        DynamoJobStore::new(sdk, table),
        clock,
    ))))
}
