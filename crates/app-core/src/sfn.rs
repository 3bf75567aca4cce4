//! Step Functions adapter: starting executions and answering task tokens.

use crate::domain::TaskToken;
use crate::ports::{
    CallbackError, ExecutionStarter, StartError, StartRequest, Started, TaskCallbacks, Upstream,
};
use async_trait::async_trait;
use aws_sdk_sfn::error::SdkError;
use aws_sdk_sfn::Client;
use chrono::{DateTime, Utc};

#[derive(Debug, Clone)]
pub struct SfnClient {
    client: Client,
}

impl SfnClient {
    pub fn new(sdk: &aws_config::SdkConfig) -> Self {
        Self::from_client(Client::new(sdk))
    }

    pub fn from_client(client: Client) -> Self {
        Self { client }
    }
}

fn upstream<E, R>(op: &str, err: &SdkError<E, R>) -> Upstream
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    Upstream::aws("Step Functions", op, err)
}

/// The modeled error's own message (its inherent `message()`, which the parser fills).
macro_rules! message {
    ($e:expr) => {
        $e.message().unwrap_or("no details").to_owned()
    };
}

fn to_chrono(t: &aws_smithy_types::DateTime) -> DateTime<Utc> {
    DateTime::from_timestamp(t.secs(), t.subsec_nanos()).unwrap_or_default()
}

#[async_trait]
impl ExecutionStarter for SfnClient {
    async fn start_execution(&self, request: &StartRequest) -> Result<Started, StartError> {
        use aws_sdk_sfn::operation::start_execution::StartExecutionError as E;
        let result = self
            .client
            .start_execution()
            .state_machine_arn(&request.state_machine_arn)
            .name(request.name.as_str())
            .input(&request.input)
            .send()
            .await;
        match result {
            Ok(out) => Ok(Started {
                execution_arn: out.execution_arn().to_owned(),
                start_date: to_chrono(out.start_date()),
            }),
            Err(err) => match err.as_service_error() {
                Some(E::ExecutionAlreadyExists(_)) => Err(StartError::AlreadyExists),
                _ => Err(upstream("StartExecution", &err).into()),
            },
        }
    }
}

/// Maps the three "this token is no longer usable" errors, which every SendTask*
/// operation shares, and leaves the rest to the caller.
macro_rules! token_errors {
    ($err:expr, $op:literal, $E:ident $(, $extra:pat => $mapped:expr)*) => {
        match $err.as_service_error() {
            Some($E::InvalidToken(e)) => CallbackError::InvalidToken(message!(e)),
            Some($E::TaskDoesNotExist(e)) => CallbackError::TaskDoesNotExist(message!(e)),
            Some($E::TaskTimedOut(e)) => CallbackError::TaskTimedOut(message!(e)),
            $(Some($extra) => $mapped,)*
            _ => CallbackError::Upstream(upstream($op, &$err)),
        }
    };
}

#[async_trait]
impl TaskCallbacks for SfnClient {
    async fn send_success(&self, token: &TaskToken, output: &str) -> Result<(), CallbackError> {
        use aws_sdk_sfn::operation::send_task_success::SendTaskSuccessError as E;
        self.client
            .send_task_success()
            .task_token(token.expose())
            .output(output)
            .send()
            .await
            .map(|_| ())
            .map_err(|err| {
                token_errors!(err, "SendTaskSuccess", E,
                    E::InvalidOutput(e) => CallbackError::InvalidOutput(message!(e)))
            })
    }

    async fn send_failure(
        &self,
        token: &TaskToken,
        error: Option<&str>,
        cause: Option<&str>,
    ) -> Result<(), CallbackError> {
        use aws_sdk_sfn::operation::send_task_failure::SendTaskFailureError as E;
        self.client
            .send_task_failure()
            .task_token(token.expose())
            .set_error(error.map(str::to_owned))
            .set_cause(cause.map(str::to_owned))
            .send()
            .await
            .map(|_| ())
            .map_err(|err| token_errors!(err, "SendTaskFailure", E))
    }

    async fn send_heartbeat(&self, token: &TaskToken) -> Result<(), CallbackError> {
        use aws_sdk_sfn::operation::send_task_heartbeat::SendTaskHeartbeatError as E;
        self.client
            .send_task_heartbeat()
            .task_token(token.expose())
            .send()
            .await
            .map(|_| ())
            .map_err(|err| token_errors!(err, "SendTaskHeartbeat", E))
    }
}
