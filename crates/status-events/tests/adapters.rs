//! Request shapes of the DynamoDB and SNS adapters.

use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
use aws_sdk_dynamodb::operation::update_item::{UpdateItemError, UpdateItemOutput};
use aws_sdk_dynamodb::types::error::ConditionalCheckFailedException;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use status_events::dynamodb::DynamoStatusStore;
use status_events::ports::{JobSnapshot, Notifier, StatusStore, StatusUpdate};
use status_events::sns::SnsNotifier;
use status_events::ExecStatus;

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn update(status: ExecStatus) -> StatusUpdate {
    StatusUpdate {
        execution_status: status,
        execution_status_at: 1_700_000_000_123,
        execution_arn: "arn:aws:states:us-east-1:1:execution:M:job".into(),
        state_machine_arn: "arn:aws:states:us-east-1:1:stateMachine:M".into(),
        started_at: "2023-11-14T22:13:20.000Z".into(),
        stopped_at: status.is_final().then(|| "2023-11-14T22:13:20.123Z".into()),
        error: Some("Boom".into()),
        cause: None,
        process_status: Some("FAILED"),
        pattern: Some("callback"),
        last_updated: "2023-11-14T22:13:21.000Z".into(),
        remove_task_token: status.is_final(),
        expires_at: status.is_final().then_some(1_707_776_000),
    }
}

#[tokio::test]
async fn get_reads_the_ordering_fields_consistently() {
    let rule = mock!(aws_sdk_dynamodb::Client::get_item)
        .match_requests(|r| {
            r.table_name() == Some("Jobs")
                && r.key().and_then(|k| k.get("Id")) == Some(&s("job"))
                && r.consistent_read() == Some(true)
        })
        .then_output(|| {
            GetItemOutput::builder()
                .item("Id", s("job"))
                .item("ExecutionStatus", s("RUNNING"))
                .item("ExecutionStatusAt", AttributeValue::N("42".into()))
                .item("ProcessStatus", s("STARTED"))
                .item("CancelRequested", AttributeValue::Bool(true))
                .item("NotifiedAt", s("x"))
                .build()
        });
    let client = mock_client!(aws_sdk_dynamodb, [&rule]);
    let store = DynamoStatusStore::new(client, "Jobs");
    let snap = store.get("job").await.unwrap().unwrap();
    assert_eq!(
        snap,
        JobSnapshot {
            execution_status: Some("RUNNING".into()),
            execution_status_at: Some(42),
            execution_arn: None,
            process_status: Some("STARTED".into()),
            cancel_requested: true,
            notified: true,
        }
    );
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn apply_is_conditioned_on_what_was_read() {
    let rule = mock!(aws_sdk_dynamodb::Client::update_item)
        .match_requests(|r| {
            let cond = r.condition_expression().unwrap_or_default();
            let upd = r.update_expression().unwrap_or_default();
            let names = r.expression_attribute_names().cloned().unwrap_or_default();
            let values = r.expression_attribute_values().cloned().unwrap_or_default();
            cond == "attribute_exists(#id) AND #es = :oes AND #esat = :oesat AND #ps = :ops"
                && upd.starts_with("SET #es = :es, #esat = :esat")
                && upd.contains("#err = if_not_exists(#err, :err)")
                && upd.contains("#ps = :ps")
                && upd.ends_with("REMOVE #tok")
                && names.get("#tok").map(String::as_str) == Some("TaskToken")
                && values.get(":oes") == Some(&s("RUNNING"))
                && values.get(":oesat") == Some(&AttributeValue::N("7".into()))
                && values.get(":es") == Some(&s("FAILED"))
                && values.get(":esat") == Some(&AttributeValue::N("1700000000123".into()))
                && upd.contains("#exp = :exp")
                && names.get("#exp").map(String::as_str) == Some("ExpiresAt")
                && values.get(":exp") == Some(&AttributeValue::N("1707776000".into()))
                && upd.contains("#shard = if_not_exists(#shard, :shard)")
                && names.get("#shard").map(String::as_str) == Some("ListShard")
                && !values.contains_key(":cause")
        })
        .then_output(|| UpdateItemOutput::builder().build());
    let client = mock_client!(aws_sdk_dynamodb, [&rule]);
    let store = DynamoStatusStore::new(client, "Jobs");
    let expected = JobSnapshot {
        execution_status: Some("RUNNING".into()),
        execution_status_at: Some(7),
        process_status: Some("STARTED".into()),
        ..Default::default()
    };
    assert!(store
        .apply("job", Some(&expected), &update(ExecStatus::Failed))
        .await
        .unwrap());
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn apply_on_a_missing_record_requires_it_still_missing_and_reports_conflicts() {
    let ok = mock!(aws_sdk_dynamodb::Client::update_item)
        .match_requests(|r| {
            r.condition_expression() == Some("attribute_not_exists(#id)")
                && !r.update_expression().unwrap_or_default().contains("REMOVE")
        })
        .then_error(|| {
            UpdateItemError::ConditionalCheckFailedException(
                ConditionalCheckFailedException::builder()
                    .message("no")
                    .build(),
            )
        });
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, [&ok]);
    let store = DynamoStatusStore::new(client, "Jobs");
    assert!(!store
        .apply("job", None, &update(ExecStatus::Running))
        .await
        .unwrap());
}

#[tokio::test]
async fn mark_notified_is_conditional() {
    let rule = mock!(aws_sdk_dynamodb::Client::update_item)
        .match_requests(|r| {
            r.condition_expression() == Some("attribute_exists(#id) AND attribute_not_exists(#n)")
                && r.update_expression() == Some("SET #n = :at")
        })
        .then_output(|| UpdateItemOutput::builder().build());
    let client = mock_client!(aws_sdk_dynamodb, [&rule]);
    let store = DynamoStatusStore::new(client, "Jobs");
    assert!(store.mark_notified("job", "t").await.unwrap());
}

#[tokio::test]
async fn sns_publish_shape() {
    let rule = mock!(aws_sdk_sns::Client::publish)
        .match_requests(|r| {
            r.topic_arn() == Some("arn:aws:sns:us-east-1:1:t")
                && r.subject() == Some("subj")
                && r.message() == Some("{}")
        })
        .then_output(|| aws_sdk_sns::operation::publish::PublishOutput::builder().build());
    let client = mock_client!(aws_sdk_sns, [&rule]);
    SnsNotifier::new(client, "arn:aws:sns:us-east-1:1:t")
        .publish("subj", "{}")
        .await
        .unwrap();
    assert_eq!(rule.num_calls(), 1);
}
