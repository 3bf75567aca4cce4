//! `POST /jobs/{id}/success|failure|heartbeat`: complete a waiting callback over HTTP.
//! The token is looked up by job id (callers never handle it) and handed to Step
//! Functions; the state machine itself records the outcome on the job.

mod body;

use app_core::config::required;
use app_core::domain::JobId;
use app_core::dynamodb::DynamoJobStore;
use app_core::http::{self, json_response};
use app_core::ports::{CallbackError, JobReader, TaskCallbacks, Upstream};
use app_core::requests::RequestError;
use app_core::sfn::SfnClient;
use app_core::{Api, ApiError, ApiHandler, ConfigError, Env, JobStatus, JsonHandler, TaskToken};
use async_trait::async_trait;
use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayProxyResponse};
use serde_json::json;
use std::sync::Arc;

pub use body::{FailureBody, MAX_CAUSE, MAX_ERROR};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Request(#[from] RequestError),
    #[error("no job with id {0}")]
    NotFound(String),
    #[error("job {id} is not waiting for a callback (status {status})")]
    NotWaiting { id: String, status: String },
    #[error("Step Functions no longer accepts the token of job {id}: {reason}")]
    Gone { id: String, reason: CallbackError },
    #[error("Step Functions rejected the token of job {id}: {reason}")]
    Invalid { id: String, reason: CallbackError },
    #[error(transparent)]
    Upstream(#[from] Upstream),
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let message = e.to_string();
        match e {
            Error::Request(e) => e.into(),
            Error::NotFound(_) => ApiError::not_found(message),
            Error::NotWaiting { .. } => ApiError::new(409, "NotWaiting", message),
            Error::Gone { .. } => ApiError::new(410, "TokenRejected", message),
            Error::Invalid { .. } => ApiError::new(409, "TokenRejected", message),
            Error::Upstream(e) => ApiError::upstream(e.0),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Success,
    Failure,
    Heartbeat,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Action::Success => "success",
            Action::Failure => "failure",
            Action::Heartbeat => "heartbeat",
        }
    }
}

pub struct TaskCallback<S, T> {
    store: S,
    callbacks: T,
}

impl<S: JobReader, T: TaskCallbacks> TaskCallback<S, T> {
    pub fn new(store: S, callbacks: T) -> Self {
        Self { store, callbacks }
    }

    /// The ports, for tests that inspect their fakes.
    pub fn ports(&self) -> (&S, &T) {
        (&self.store, &self.callbacks)
    }

    async fn token(&self, id: &JobId) -> Result<TaskToken, Error> {
        let job = self
            .store
            .get_job(id)
            .await?
            .ok_or_else(|| Error::NotFound(id.to_string()))?;
        match (job.process_status, job.task_token) {
            (Some(JobStatus::WaitingForCallback), Some(token)) => Ok(token),
            (status, _) => Err(Error::NotWaiting {
                id: id.to_string(),
                status: match status {
                    Some(JobStatus::WaitingForCallback) => {
                        format!("{}, but no token is stored", JobStatus::WaitingForCallback)
                    }
                    Some(s) => s.to_string(),
                    None => "unknown".into(),
                },
            }),
        }
    }

    async fn act(
        &self,
        action: Action,
        raw_id: &str,
        req: &ApiGatewayProxyRequest,
    ) -> Result<ApiGatewayProxyResponse, Error> {
        let id = JobId::parse(raw_id).map_err(|e| RequestError::invalid("id", e))?;
        // Validate the body before touching the table: a bad request costs nothing.
        let body = http::body_json(req)?;
        let sent = match action {
            Action::Success => {
                let output = body.unwrap_or_else(|| json!({})).to_string();
                let token = self.token(&id).await?;
                tracing::info!(job_id = %id, token_hash = %token.short_hash(), "sending task success");
                self.callbacks.send_success(&token, &output).await
            }
            Action::Failure => {
                let failure = FailureBody::parse(body)?;
                let token = self.token(&id).await?;
                tracing::info!(job_id = %id, token_hash = %token.short_hash(), "sending task failure");
                self.callbacks
                    .send_failure(&token, failure.error.as_deref(), failure.cause.as_deref())
                    .await
            }
            Action::Heartbeat => {
                // `{}` is tolerated: clients often send it by habit.
                if body.is_some_and(|b| b != json!({})) {
                    return Err(
                        RequestError::InvalidJson("a heartbeat takes no body".into()).into(),
                    );
                }
                let token = self.token(&id).await?;
                tracing::info!(job_id = %id, token_hash = %token.short_hash(), "sending task heartbeat");
                self.callbacks.send_heartbeat(&token).await
            }
        };
        sent.map_err(|reason| map_callback_error(&id, reason))?;
        Ok(json_response(
            200,
            &json!({"jobId": id, "result": action.as_str()}),
        ))
    }
}

fn map_callback_error(id: &JobId, reason: CallbackError) -> Error {
    let id = id.to_string();
    match reason {
        CallbackError::TaskTimedOut(_) | CallbackError::TaskDoesNotExist(_) => {
            Error::Gone { id, reason }
        }
        CallbackError::InvalidToken(_) => Error::Invalid { id, reason },
        CallbackError::InvalidOutput(m) => {
            RequestError::invalid("body", format!("was refused as task output: {m}")).into()
        }
        CallbackError::Upstream(e) => Error::Upstream(e),
    }
}

#[async_trait]
impl<S: JobReader, T: TaskCallbacks> ApiHandler for TaskCallback<S, T> {
    async fn handle(&self, req: ApiGatewayProxyRequest) -> ApiGatewayProxyResponse {
        let (method, _) = http::route(&req);
        let found = (method == "POST")
            .then(|| {
                [Action::Success, Action::Failure, Action::Heartbeat]
                    .into_iter()
                    .find_map(|a| {
                        http::job_route(&req, &format!("/{}", a.as_str())).map(|id| (a, id))
                    })
            })
            .flatten();
        let Some((action, id)) = found else {
            return http::unknown_route(&req);
        };
        self.act(action, &id, &req).await.unwrap_or_else(|e| {
            let e = ApiError::from(e);
            if e.status >= 500 {
                tracing::error!(error = %e, "callback failed");
            } else {
                tracing::info!(error = %e, "callback refused");
            }
            e.to_response()
        })
    }
}

/// The handler with AWS clients, as `main.rs` and the local runtime use it.
pub async fn json_handler(
    sdk: &aws_config::SdkConfig,
    env: &Env,
) -> Result<Arc<dyn JsonHandler>, ConfigError> {
    let table = required(env, "JOBS_TABLE")?;
    Ok(Arc::new(Api(TaskCallback::new(
        DynamoJobStore::new(sdk, table),
        SfnClient::new(sdk),
    ))))
}
