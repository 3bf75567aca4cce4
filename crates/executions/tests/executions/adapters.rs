//! Request shapes of the Step Functions adapter (the Jobs table adapter's are app-core's).

use app_core::ExecutionStatus as Status;
use aws_sdk_sfn::operation::describe_execution::{DescribeExecutionError, DescribeExecutionOutput};
use aws_sdk_sfn::operation::get_execution_history::GetExecutionHistoryOutput;
use aws_sdk_sfn::operation::list_executions::{ListExecutionsError, ListExecutionsOutput};
use aws_sdk_sfn::operation::stop_execution::StopExecutionOutput;
use aws_sdk_sfn::types::error::{ExecutionDoesNotExist, InvalidToken};
use aws_sdk_sfn::types::{
    ExecutionListItem, ExecutionStatus, HistoryEvent, HistoryEventType, StateEnteredEventDetails,
    TaskScheduledEventDetails,
};
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use aws_smithy_types::DateTime;
use executions::ports::{SfnError, StepFunctions};
use executions::sfn::SfnClient;
use serde_json::json;

const ARN: &str = "arn:aws:states:us-east-1:1:execution:M:job";

#[tokio::test]
async fn list_passes_filter_page_size_and_token() {
    let rule = mock!(aws_sdk_sfn::Client::list_executions)
        .match_requests(|r| {
            r.state_machine_arn() == Some("arn:aws:states:us-east-1:1:stateMachine:M")
                && r.status_filter() == Some(&ExecutionStatus::Running)
                && r.max_results() == Some(20)
                && r.next_token() == Some("t1")
        })
        .then_output(|| {
            ListExecutionsOutput::builder()
                .executions(
                    ExecutionListItem::builder()
                        .execution_arn(ARN)
                        .state_machine_arn("arn:aws:states:us-east-1:1:stateMachine:M")
                        .name("job")
                        .status(ExecutionStatus::Running)
                        .start_date(DateTime::from_millis(1_700_000_000_500))
                        .build()
                        .unwrap(),
                )
                .next_token("t2")
                .build()
                .unwrap()
        });
    let bad = mock!(aws_sdk_sfn::Client::list_executions)
        .then_error(|| ListExecutionsError::InvalidToken(InvalidToken::builder().build()));
    let client = mock_client!(aws_sdk_sfn, RuleMode::Sequential, [&rule, &bad]);
    let sfn = SfnClient::new(client);
    let page = sfn
        .list_executions(
            "arn:aws:states:us-east-1:1:stateMachine:M",
            Some(Status::Running),
            20,
            Some("t1"),
        )
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].start_ms, 1_700_000_000_500);
    assert_eq!(page.items[0].status, Status::Running);
    assert_eq!(page.next_token.as_deref(), Some("t2"));
    let err = sfn
        .list_executions(
            "arn:aws:states:us-east-1:1:stateMachine:M",
            None,
            20,
            Some("zzz"),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, SfnError::InvalidToken(_)));
}

#[tokio::test]
async fn describe_maps_missing_execution_to_none() {
    let found = mock!(aws_sdk_sfn::Client::describe_execution)
        .match_requests(|r| r.execution_arn() == Some(ARN))
        .then_output(|| {
            DescribeExecutionOutput::builder()
                .execution_arn(ARN)
                .state_machine_arn("arn:aws:states:us-east-1:1:stateMachine:M")
                .name("job")
                .status(ExecutionStatus::Failed)
                .start_date(DateTime::from_millis(1000))
                .stop_date(DateTime::from_millis(2000))
                .input("{}")
                .error("Boom")
                .cause("why")
                .build()
                .unwrap()
        });
    let missing = mock!(aws_sdk_sfn::Client::describe_execution).then_error(|| {
        DescribeExecutionError::ExecutionDoesNotExist(ExecutionDoesNotExist::builder().build())
    });
    let client = mock_client!(aws_sdk_sfn, RuleMode::Sequential, [&found, &missing]);
    let sfn = SfnClient::new(client);
    let d = sfn.describe_execution(ARN).await.unwrap().unwrap();
    assert_eq!(
        (d.status, d.stop_ms, d.error.as_deref()),
        (Status::Failed, Some(2000), Some("Boom"))
    );
    assert_eq!(sfn.describe_execution(ARN).await.unwrap(), None);
}

#[tokio::test]
async fn history_asks_for_data_in_the_requested_order_and_keeps_details() {
    let rule = mock!(aws_sdk_sfn::Client::get_execution_history)
        .match_requests(|r| {
            r.execution_arn() == Some(ARN)
                && r.reverse_order() == Some(true)
                && r.include_execution_data() == Some(true)
                && r.max_results() == Some(5)
        })
        .then_output(|| {
            GetExecutionHistoryOutput::builder()
                .events(
                    HistoryEvent::builder()
                        .id(3)
                        .previous_event_id(2)
                        .timestamp(DateTime::from_millis(5))
                        .r#type(HistoryEventType::TaskScheduled)
                        .task_scheduled_event_details(
                            TaskScheduledEventDetails::builder()
                                .resource_type("lambda")
                                .resource("invoke.waitForTaskToken")
                                .region("us-east-1")
                                .parameters("{\"Payload\":{\"token\":\"t\"}}")
                                .build()
                                .unwrap(),
                        )
                        .build()
                        .unwrap(),
                )
                .events(
                    HistoryEvent::builder()
                        .id(2)
                        .previous_event_id(0)
                        .timestamp(DateTime::from_millis(4))
                        .r#type(HistoryEventType::TaskStateEntered)
                        .state_entered_event_details(
                            StateEnteredEventDetails::builder()
                                .name("Wait")
                                .input("{}")
                                .build()
                                .unwrap(),
                        )
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap()
        });
    let client = mock_client!(aws_sdk_sfn, [&rule]);
    let page = SfnClient::new(client)
        .get_execution_history(ARN, 5, None, true)
        .await
        .unwrap();
    assert_eq!(page.events[0].event_type, "TaskScheduled");
    assert_eq!(
        page.events[0].details["parameters"],
        json!("{\"Payload\":{\"token\":\"t\"}}")
    );
    assert_eq!(page.events[1].details["name"], json!("Wait"));
    assert_eq!(page.events[1].previous_event_id, None);
    assert_eq!(page.next_token, None);
}

#[tokio::test]
async fn stop_sends_error_and_cause() {
    let rule = mock!(aws_sdk_sfn::Client::stop_execution)
        .match_requests(|r| {
            r.execution_arn() == Some(ARN)
                && r.error() == Some("Cancelled")
                && r.cause() == Some("Stopped by DELETE /executions/job?force=true")
        })
        .then_output(|| {
            StopExecutionOutput::builder()
                .stop_date(DateTime::from_millis(1))
                .build()
                .unwrap()
        });
    let client = mock_client!(aws_sdk_sfn, [&rule]);
    assert!(SfnClient::new(client)
        .stop_execution(
            ARN,
            "Cancelled",
            "Stopped by DELETE /executions/job?force=true"
        )
        .await
        .unwrap());
}

#[tokio::test]
async fn a_status_step_functions_adds_later_is_an_upstream_error() {
    let rule = mock!(aws_sdk_sfn::Client::describe_execution).then_output(|| {
        DescribeExecutionOutput::builder()
            .execution_arn(ARN)
            .state_machine_arn("arn:aws:states:us-east-1:1:stateMachine:M")
            .status(ExecutionStatus::from("PAUSED"))
            .start_date(DateTime::from_millis(1000))
            .build()
            .unwrap()
    });
    let client = mock_client!(aws_sdk_sfn, [&rule]);
    let err = SfnClient::new(client)
        .describe_execution(ARN)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, SfnError::Upstream(m) if m.contains("\"PAUSED\"")),
        "{err}"
    );
}
