//! Step Functions adapter for [`StepFunctions`].

use app_core::ExecutionStatus;
use async_trait::async_trait;
use aws_sdk_sfn::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_sfn::operation::describe_execution::DescribeExecutionError;
use aws_sdk_sfn::operation::get_execution_history::GetExecutionHistoryError;
use aws_sdk_sfn::operation::list_executions::ListExecutionsError;
use aws_sdk_sfn::operation::stop_execution::StopExecutionError;
use aws_sdk_sfn::types::{ExecutionStatus as SdkStatus, HistoryEvent as SdkEvent};
use aws_sdk_sfn::Client;
use aws_smithy_types::DateTime;
use serde_json::{json, Map, Value};

use crate::ports::{
    ExecutionDetail, ExecutionSummary, HistoryEvent, HistoryPage, ListPage, SfnError, StepFunctions,
};

pub struct SfnClient {
    client: Client,
}

impl SfnClient {
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

fn ms(d: &DateTime) -> i64 {
    d.to_millis().unwrap_or_default()
}

fn up<E: std::error::Error>(op: &str, e: E) -> SfnError {
    SfnError::Upstream(format!("{op}: {}", DisplayErrorContext(e)))
}

/// The SDK's status as ours; a status this code does not know is Step Functions answering
/// something new, which no route can show faithfully.
fn our_status(op: &str, s: &SdkStatus) -> Result<ExecutionStatus, SfnError> {
    s.as_str()
        .parse()
        .map_err(|_| SfnError::Upstream(format!("{op}: unknown execution status {:?}", s.as_str())))
}

/// The SDK's accessors return `&str`, `Option<&str>` or numbers depending on whether the
/// field is required; this turns each into an optional JSON value.
trait Field {
    fn field(self) -> Option<Value>;
}
impl Field for &str {
    fn field(self) -> Option<Value> {
        Some(json!(self))
    }
}
impl Field for Option<&str> {
    fn field(self) -> Option<Value> {
        self.map(|s| json!(s))
    }
}
impl Field for Option<i64> {
    fn field(self) -> Option<Value> {
        self.map(|n| json!(n))
    }
}
impl Field for Option<i32> {
    fn field(self) -> Option<Value> {
        self.map(|n| json!(n))
    }
}
impl Field for i32 {
    fn field(self) -> Option<Value> {
        Some(json!(self))
    }
}

/// Fills a JSON object from SDK accessors, leaving absent fields out.
macro_rules! fields {
    ($d:expr; $($key:literal => $getter:ident),* $(,)?) => {{
        let mut m = Map::new();
        $( if let Some(v) = Field::field($d.$getter()) { m.insert($key.to_string(), v); } )*
        m
    }};
}

/// The type-specific details of an event, with the field names of the Step Functions API.
pub fn details(e: &SdkEvent) -> Map<String, Value> {
    if let Some(d) = e.execution_started_event_details() {
        return fields!(d; "input" => input, "roleArn" => role_arn);
    }
    if let Some(d) = e.execution_succeeded_event_details() {
        return fields!(d; "output" => output);
    }
    if let Some(d) = e.execution_failed_event_details() {
        return fields!(d; "error" => error, "cause" => cause);
    }
    if let Some(d) = e.execution_aborted_event_details() {
        return fields!(d; "error" => error, "cause" => cause);
    }
    if let Some(d) = e.execution_timed_out_event_details() {
        return fields!(d; "error" => error, "cause" => cause);
    }
    if let Some(d) = e.execution_redriven_event_details() {
        return fields!(d; "redriveCount" => redrive_count);
    }
    if let Some(d) = e.state_entered_event_details() {
        return fields!(d; "name" => name, "input" => input);
    }
    if let Some(d) = e.state_exited_event_details() {
        return fields!(d; "name" => name, "output" => output);
    }
    if let Some(d) = e.task_scheduled_event_details() {
        return fields!(d; "resourceType" => resource_type, "resource" => resource,
            "region" => region, "parameters" => parameters,
            "timeoutInSeconds" => timeout_in_seconds, "heartbeatInSeconds" => heartbeat_in_seconds);
    }
    if let Some(d) = e.task_started_event_details() {
        return fields!(d; "resourceType" => resource_type, "resource" => resource);
    }
    if let Some(d) = e.task_submitted_event_details() {
        return fields!(d; "resourceType" => resource_type, "resource" => resource, "output" => output);
    }
    if let Some(d) = e.task_succeeded_event_details() {
        return fields!(d; "resourceType" => resource_type, "resource" => resource, "output" => output);
    }
    if let Some(d) = e.task_failed_event_details() {
        return fields!(d; "resourceType" => resource_type, "resource" => resource, "error" => error, "cause" => cause);
    }
    if let Some(d) = e.task_timed_out_event_details() {
        return fields!(d; "resourceType" => resource_type, "resource" => resource, "error" => error, "cause" => cause);
    }
    if let Some(d) = e.task_start_failed_event_details() {
        return fields!(d; "resourceType" => resource_type, "resource" => resource, "error" => error, "cause" => cause);
    }
    if let Some(d) = e.task_submit_failed_event_details() {
        return fields!(d; "resourceType" => resource_type, "resource" => resource, "error" => error, "cause" => cause);
    }
    if let Some(d) = e.lambda_function_scheduled_event_details() {
        return fields!(d; "resource" => resource, "input" => input, "timeoutInSeconds" => timeout_in_seconds);
    }
    if let Some(d) = e.lambda_function_succeeded_event_details() {
        return fields!(d; "output" => output);
    }
    if let Some(d) = e.lambda_function_failed_event_details() {
        return fields!(d; "error" => error, "cause" => cause);
    }
    if let Some(d) = e.lambda_function_timed_out_event_details() {
        return fields!(d; "error" => error, "cause" => cause);
    }
    if let Some(d) = e.lambda_function_start_failed_event_details() {
        return fields!(d; "error" => error, "cause" => cause);
    }
    if let Some(d) = e.lambda_function_schedule_failed_event_details() {
        return fields!(d; "error" => error, "cause" => cause);
    }
    if let Some(d) = e.map_run_failed_event_details() {
        return fields!(d; "error" => error, "cause" => cause);
    }
    Map::new()
}

#[async_trait]
impl StepFunctions for SfnClient {
    async fn list_executions(
        &self,
        state_machine_arn: &str,
        status: Option<ExecutionStatus>,
        max_results: i32,
        next_token: Option<&str>,
    ) -> Result<ListPage, SfnError> {
        let out = self
            .client
            .list_executions()
            .state_machine_arn(state_machine_arn)
            .set_status_filter(status.map(|s| SdkStatus::from(s.as_str())))
            .max_results(max_results)
            .set_next_token(next_token.map(str::to_string))
            .send()
            .await
            .map_err(|e| match e.into_service_error() {
                ListExecutionsError::InvalidToken(t) => SfnError::InvalidToken(t.to_string()),
                // With a token, the token is the only input the caller shaped.
                other if next_token.is_some() && other.code() == Some("ValidationException") => {
                    SfnError::InvalidToken(other.to_string())
                }
                other => up("ListExecutions", other),
            })?;
        Ok(ListPage {
            items: out
                .executions()
                .iter()
                .map(|e| {
                    Ok(ExecutionSummary {
                        execution_arn: e.execution_arn().to_string(),
                        state_machine_arn: e.state_machine_arn().to_string(),
                        name: e.name().to_string(),
                        status: our_status("ListExecutions", e.status())?,
                        start_ms: ms(e.start_date()),
                        stop_ms: e.stop_date().map(ms),
                    })
                })
                .collect::<Result<_, SfnError>>()?,
            next_token: out.next_token().map(str::to_string),
        })
    }

    async fn describe_execution(
        &self,
        execution_arn: &str,
    ) -> Result<Option<ExecutionDetail>, SfnError> {
        let res = self
            .client
            .describe_execution()
            .execution_arn(execution_arn)
            .send()
            .await;
        let out = match res {
            Ok(o) => o,
            Err(e) => {
                return match e.into_service_error() {
                    DescribeExecutionError::ExecutionDoesNotExist(_)
                    | DescribeExecutionError::InvalidArn(_) => Ok(None),
                    other => Err(up("DescribeExecution", other)),
                }
            }
        };
        Ok(Some(ExecutionDetail {
            execution_arn: out.execution_arn().to_string(),
            state_machine_arn: out.state_machine_arn().to_string(),
            name: out.name().unwrap_or_default().to_string(),
            status: our_status("DescribeExecution", out.status())?,
            start_ms: ms(out.start_date()),
            stop_ms: out.stop_date().map(ms),
            input: out.input().map(str::to_string),
            output: out.output().map(str::to_string),
            error: out.error().map(str::to_string),
            cause: out.cause().map(str::to_string),
        }))
    }

    async fn get_execution_history(
        &self,
        execution_arn: &str,
        max_results: i32,
        next_token: Option<&str>,
        reverse_order: bool,
    ) -> Result<HistoryPage, SfnError> {
        let out = self
            .client
            .get_execution_history()
            .execution_arn(execution_arn)
            .max_results(max_results)
            .reverse_order(reverse_order)
            .include_execution_data(true)
            .set_next_token(next_token.map(str::to_string))
            .send()
            .await
            .map_err(|e| match e.into_service_error() {
                GetExecutionHistoryError::InvalidToken(t) => SfnError::InvalidToken(t.to_string()),
                other if next_token.is_some() && other.code() == Some("ValidationException") => {
                    SfnError::InvalidToken(other.to_string())
                }
                other => up("GetExecutionHistory", other),
            })?;
        Ok(HistoryPage {
            events: out
                .events()
                .iter()
                .map(|e| HistoryEvent {
                    id: e.id(),
                    previous_event_id: Some(e.previous_event_id()).filter(|p| *p != 0),
                    timestamp_ms: ms(e.timestamp()),
                    event_type: e.r#type().as_str().to_string(),
                    details: details(e),
                })
                .collect(),
            next_token: out.next_token().map(str::to_string),
        })
    }

    async fn stop_execution(
        &self,
        execution_arn: &str,
        error: &str,
        cause: &str,
    ) -> Result<bool, SfnError> {
        match self
            .client
            .stop_execution()
            .execution_arn(execution_arn)
            .error(error)
            .cause(cause)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) => match e.into_service_error() {
                StopExecutionError::ExecutionDoesNotExist(_) => Ok(false),
                other => Err(up("StopExecution", other)),
            },
        }
    }
}
