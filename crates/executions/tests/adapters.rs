//! Request shapes of the Step Functions and DynamoDB adapters.

use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
use aws_sdk_dynamodb::operation::update_item::{UpdateItemError, UpdateItemOutput};
use aws_sdk_dynamodb::types::error::ConditionalCheckFailedException;
use aws_sdk_dynamodb::types::AttributeValue;
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
use executions::dynamodb::DynamoJobs;
use executions::ports::{CancelWrite, JobStore, SfnError, StepFunctions};
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
            Some("RUNNING"),
            20,
            Some("t1"),
        )
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].start_ms, 1_700_000_000_500);
    assert_eq!(page.items[0].status, "RUNNING");
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
        (d.status.as_str(), d.stop_ms, d.error.as_deref()),
        ("FAILED", Some(2000), Some("Boom"))
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
async fn job_record_is_flattened_to_json() {
    let rule = mock!(aws_sdk_dynamodb::Client::get_item)
        .match_requests(|r| r.consistent_read() == Some(true) && r.table_name() == Some("Jobs"))
        .then_output(|| {
            GetItemOutput::builder()
                .item("Id", AttributeValue::S("job".into()))
                .item("ExecutionStatusAt", AttributeValue::N("12".into()))
                .item("CancelRequested", AttributeValue::Bool(true))
                .item(
                    "Tags",
                    AttributeValue::L(vec![AttributeValue::S("a".into())]),
                )
                .build()
        });
    let client = mock_client!(aws_sdk_dynamodb, [&rule]);
    let job = DynamoJobs::new(client, "Jobs")
        .get_job("job")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        serde_json::Value::Object(job),
        json!({"Id": "job", "ExecutionStatusAt": 12, "CancelRequested": true, "Tags": ["a"]})
    );
}

#[tokio::test]
async fn cancel_request_is_a_conditional_update_and_reports_final_records() {
    let set = mock!(aws_sdk_dynamodb::Client::update_item)
        .match_requests(|r| {
            let upd = r.update_expression().unwrap_or_default();
            let cond = r.condition_expression().unwrap_or_default();
            let names = r.expression_attribute_names().cloned().unwrap_or_default();
            upd.contains("#cr = :true")
                && upd.contains("#cra = if_not_exists(#cra, :now)")
                && cond.contains("attribute_not_exists(#ps) OR")
                && cond.contains("#ps <> :cancelled")
                && cond.contains("#es = :running")
                && names.get("#cr").map(String::as_str) == Some("CancelRequested")
        })
        .then_output(|| {
            UpdateItemOutput::builder()
                .attributes("CancelRequestedAt", AttributeValue::S("first".into()))
                .build()
        });
    let refused = mock!(aws_sdk_dynamodb::Client::update_item).then_error(|| {
        UpdateItemError::ConditionalCheckFailedException(
            ConditionalCheckFailedException::builder().build(),
        )
    });
    let reread = mock!(aws_sdk_dynamodb::Client::get_item).then_output(|| {
        GetItemOutput::builder()
            .item("Id", AttributeValue::S("job".into()))
            .item("ProcessStatus", AttributeValue::S("COMPLETED".into()))
            .build()
    });
    let client = mock_client!(
        aws_sdk_dynamodb,
        RuleMode::Sequential,
        [&set, &refused, &reread]
    );
    let jobs = DynamoJobs::new(client, "Jobs");
    assert_eq!(
        jobs.request_cancel("job", "waitable", ARN, "now")
            .await
            .unwrap(),
        CancelWrite::Requested {
            requested_at: "first".into()
        }
    );
    assert_eq!(
        jobs.request_cancel("job", "waitable", ARN, "now")
            .await
            .unwrap(),
        CancelWrite::AlreadyFinal {
            process_status: "COMPLETED".into()
        }
    );
}
