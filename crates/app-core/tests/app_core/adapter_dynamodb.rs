//! Request shapes of the DynamoDB adapter (aws-smithy-mocks).

use app_core::cursor::Position;
use app_core::domain::{parse_rfc3339, ExecutionStatus, Job, JobId, Pattern, TaskToken};
use app_core::dynamodb::DynamoJobStore;
use app_core::ports::{
    CancelRequest, CancelRequests, CancelWrite, JobLister, JobReader, JobRecorder, NewJob,
    PartitionQuery, StatusRecorder, StatusTransition, TokenStore,
};
use app_core::schema::{list_shard_of, JobIndex};
use app_core::JobStatus;
use aws_sdk_dynamodb::operation::get_item::{GetItemInput, GetItemOutput};
use aws_sdk_dynamodb::operation::query::{QueryError, QueryInput, QueryOutput};
use aws_sdk_dynamodb::operation::update_item::{
    UpdateItemError, UpdateItemInput, UpdateItemOutput,
};
use aws_sdk_dynamodb::types::error::{ConditionalCheckFailedException, ResourceNotFoundException};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn capture<T: Clone + Send + 'static>() -> (
    Arc<Mutex<Vec<T>>>,
    impl Fn(&T) -> bool + Send + Sync + 'static,
) {
    let seen: Arc<Mutex<Vec<T>>> = Default::default();
    let s = seen.clone();
    (seen, move |r: &T| {
        s.lock().unwrap().push(r.clone());
        true
    })
}

/// Resolves `#name` placeholders so assertions read like the stored attributes.
fn names(input: &HashMap<String, String>, expr: &str) -> String {
    let mut out = expr.to_owned();
    let mut keys: Vec<_> = input.keys().collect();
    keys.sort_by_key(|k| std::cmp::Reverse(k.len()));
    for k in keys {
        out = out.replace(k.as_str(), &input[k]);
    }
    out
}

#[tokio::test]
async fn query_one_shard_of_recent_index_newest_first() {
    let (seen, matcher) = capture::<QueryInput>();
    let rule = mock!(Client::query)
        .match_requests(matcher)
        .then_output(|| {
            QueryOutput::builder()
                .items(HashMap::from([
                    ("Id".to_string(), s("j2")),
                    ("ProcessStatus".to_string(), s("STARTED")),
                    ("LastUpdated".to_string(), s("2026-01-01T00:00:02.000Z")),
                    ("StartActionAt".to_string(), s("2026-01-01T00:00:00Z")),
                ]))
                .last_evaluated_key("Id", s("j2"))
                .last_evaluated_key("ListShard", s("2"))
                .last_evaluated_key("LastUpdated", s("2026-01-01T00:00:02.000Z"))
                .build()
        });
    let store = DynamoJobStore::from_client(mock_client!(aws_sdk_dynamodb, [&rule]), "Jobs");
    let page = store
        .query_partition(&PartitionQuery {
            index: JobIndex::Recent,
            partition: "2".into(),
            limit: 20,
            after: None,
        })
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].id, "j2");
    assert!(page.more);

    let q = &seen.lock().unwrap()[0];
    assert_eq!(q.table_name(), Some("Jobs"));
    assert_eq!(q.index_name(), Some("RecentIndex"));
    let attr_names = q.expression_attribute_names().unwrap();
    assert_eq!(
        names(attr_names, q.key_condition_expression().unwrap()),
        "ListShard = :pk"
    );
    assert_eq!(q.expression_attribute_values().unwrap()[":pk"], s("2"));
    assert_eq!(q.scan_index_forward(), Some(false));
    assert_eq!(q.limit(), Some(20));
    assert_eq!(q.exclusive_start_key(), None);
    let projection = names(attr_names, q.projection_expression().unwrap());
    assert!(!projection.contains("TaskToken"), "{projection}");
    assert!(projection.contains("ProcessStatus") && projection.contains("LastUpdated"));
}

#[tokio::test]
async fn query_status_index_after_a_position() {
    let (seen, matcher) = capture::<QueryInput>();
    let rule = mock!(Client::query)
        .match_requests(matcher)
        .then_output(|| QueryOutput::builder().build());
    let store = DynamoJobStore::from_client(mock_client!(aws_sdk_dynamodb, [&rule]), "Jobs");
    let page = store
        .query_partition(&PartitionQuery {
            index: JobIndex::Status(JobStatus::Completed),
            partition: "COMPLETED".into(),
            limit: 5,
            after: Some(Position {
                id: "j9".into(),
                last_updated: "2026-01-01T00:00:09.000Z".into(),
            }),
        })
        .await
        .unwrap();
    assert!(page.items.is_empty());
    assert!(!page.more);
    let q = &seen.lock().unwrap()[0];
    assert_eq!(q.index_name(), Some("StatusIndex"));
    let attr_names = q.expression_attribute_names().unwrap();
    assert_eq!(
        names(attr_names, q.key_condition_expression().unwrap()),
        "ProcessStatus = :pk"
    );
    assert_eq!(
        q.expression_attribute_values().unwrap()[":pk"],
        s("COMPLETED")
    );
    assert_eq!(q.scan_index_forward(), Some(false));
    assert_eq!(q.limit(), Some(5));
    let esk = q.exclusive_start_key().unwrap();
    assert_eq!(esk.len(), 3);
    assert_eq!(esk["Id"], s("j9"));
    assert_eq!(esk["ProcessStatus"], s("COMPLETED"));
    assert_eq!(esk["LastUpdated"], s("2026-01-01T00:00:09.000Z"));
}

#[tokio::test]
async fn query_errors_are_upstream() {
    let rule = mock!(Client::query).then_error(|| {
        QueryError::ResourceNotFoundException(
            ResourceNotFoundException::builder()
                .message("no table")
                .build(),
        )
    });
    let store = DynamoJobStore::from_client(mock_client!(aws_sdk_dynamodb, [&rule]), "Jobs");
    let err = store
        .query_partition(&PartitionQuery {
            index: JobIndex::Recent,
            partition: "0".into(),
            limit: 1,
            after: None,
        })
        .await
        .unwrap_err();
    assert!(err.0.contains("DynamoDB Query failed"), "{err}");
}

#[tokio::test]
async fn get_item_by_id_consistent() {
    let (seen, matcher) = capture::<GetItemInput>();
    let rule = mock!(Client::get_item)
        .match_requests(matcher)
        .then_output(|| {
            GetItemOutput::builder()
                .item("Id", s("cb-1"))
                .item("ProcessStatus", s("WAITING_FOR_CALLBACK"))
                .item("TaskToken", s("tok-123"))
                .item(
                    "Output",
                    AttributeValue::M(HashMap::from([(
                        "n".to_string(),
                        AttributeValue::N("3".into()),
                    )])),
                )
                .build()
        });
    let store = DynamoJobStore::from_client(mock_client!(aws_sdk_dynamodb, [&rule]), "Jobs");
    let job = store
        .get_job(&JobId::parse("cb-1").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.task_token.as_ref().map(|t| t.expose()), Some("tok-123"));
    assert_eq!(job.output, Some(serde_json::json!({"n": 3})));
    let g = seen.lock().unwrap()[0].clone();
    assert_eq!(g.table_name(), Some("Jobs"));
    assert_eq!(g.key().unwrap()["Id"], s("cb-1"));
    assert_eq!(g.consistent_read(), Some(true));

    let empty = mock!(Client::get_item).then_output(|| GetItemOutput::builder().build());
    let store = DynamoJobStore::from_client(mock_client!(aws_sdk_dynamodb, [&empty]), "Jobs");
    assert_eq!(
        store.get_job(&JobId::parse("x").unwrap()).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn store_token_update_shape() {
    let (seen, matcher) = capture::<UpdateItemInput>();
    let rule = mock!(Client::update_item)
        .match_requests(matcher)
        .then_output(|| UpdateItemOutput::builder().build());
    let store = DynamoJobStore::from_client(mock_client!(aws_sdk_dynamodb, [&rule]), "Jobs");
    let at = parse_rfc3339("2026-02-03T04:05:06.789Z").unwrap();
    store
        .store_token(
            &JobId::parse("cb-2").unwrap(),
            &TaskToken::new("tok-xyz").unwrap(),
            at,
        )
        .await
        .unwrap();
    let u = &seen.lock().unwrap()[0];
    assert_eq!(u.table_name(), Some("Jobs"));
    assert_eq!(u.key().unwrap()["Id"], s("cb-2"));
    let expr = names(
        u.expression_attribute_names().unwrap(),
        u.update_expression().unwrap(),
    );
    for part in [
        "TaskToken = :tt",
        "ProcessStatus = :ps",
        "LastUpdated = :lu",
        "ListShard = if_not_exists(ListShard, :shard)",
    ] {
        assert!(expr.contains(part), "{expr} lacks {part}");
    }
    let cond = names(
        u.expression_attribute_names().unwrap(),
        u.condition_expression().unwrap(),
    );
    assert!(
        cond.starts_with("attribute_not_exists(ProcessStatus) OR NOT ProcessStatus IN ("),
        "only while the job has not ended: {cond}"
    );
    let values = u.expression_attribute_values().unwrap();
    assert_eq!(values[":tt"], s("tok-xyz"));
    assert_eq!(values[":ps"], s("WAITING_FOR_CALLBACK"));
    assert_eq!(values[":lu"], s("2026-02-03T04:05:06.789Z"));
    assert_eq!(values[":shard"], s(&list_shard_of("cb-2")));
}

#[tokio::test]
async fn record_job_never_overwrites_machine_status() {
    let (seen, matcher) = capture::<UpdateItemInput>();
    let rule = mock!(Client::update_item)
        .match_requests(matcher)
        .then_output(|| UpdateItemOutput::builder().build());
    let store = DynamoJobStore::from_client(mock_client!(aws_sdk_dynamodb, [&rule]), "Jobs");
    let at = parse_rfc3339("2026-02-03T04:05:06Z").unwrap();
    store
        .record_job(&NewJob {
            id: JobId::parse("w-1").unwrap(),
            pattern: Pattern::Waitable,
            start_action_at: at,
            execution_arn: "arn:x".into(),
            at,
        })
        .await
        .unwrap();
    let u = &seen.lock().unwrap()[0];
    let expr = names(
        u.expression_attribute_names().unwrap(),
        u.update_expression().unwrap(),
    );
    assert!(
        expr.contains("ProcessStatus = if_not_exists(ProcessStatus, :ps)"),
        "{expr}"
    );
    assert!(
        expr.contains("LastUpdated = if_not_exists(LastUpdated, :lu)"),
        "{expr}"
    );
    assert!(expr.contains("ExecutionArn = :arn"), "{expr}");
    assert!(
        expr.contains("ListShard = if_not_exists(ListShard, :shard)"),
        "{expr}"
    );
    let values = u.expression_attribute_values().unwrap();
    assert_eq!(values[":ps"], s("SCHEDULED"));
    assert_eq!(values[":pattern"], s("waitable"));
    assert_eq!(values[":sa"], s("2026-02-03T04:05:06.000Z"));
}

#[tokio::test]
async fn get_item_reads_the_lifecycle_attributes_typed() {
    let rule = mock!(Client::get_item).then_output(|| {
        GetItemOutput::builder()
            .item("Id", s("job"))
            .item("Pattern", s("wait-until"))
            .item("ExecutionStatus", s("RUNNING"))
            .item("ExecutionStatusAt", AttributeValue::N("42".into()))
            .item("ProcessStatus", s("STARTED"))
            .item("CancelRequested", AttributeValue::Bool(true))
            .item("NotifiedAt", s("x"))
            .item("ExpiresAt", AttributeValue::N("1707776000".into()))
            .item("Tags", AttributeValue::L(vec![s("a")]))
            .build()
    });
    let store = DynamoJobStore::from_client(mock_client!(aws_sdk_dynamodb, [&rule]), "Jobs");
    let job = store
        .get_job(&JobId::parse("job").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        job,
        Job {
            id: "job".into(),
            pattern: Some(Pattern::WaitUntil),
            execution_status: Some(ExecutionStatus::Running),
            execution_status_at: Some(42),
            process_status: Some(JobStatus::Started),
            cancel_requested: true,
            notified_at: Some("x".into()),
            expires_at: Some(1_707_776_000),
            ..Job::default()
        },
        "attributes the table does not define are not read"
    );
    assert_eq!(
        serde_json::to_value(&job).unwrap()["ExecutionStatusAt"],
        42,
        "numbers show as numbers"
    );
}

fn cancel_request() -> CancelRequest {
    CancelRequest {
        id: JobId::parse("job").unwrap(),
        pattern: Pattern::Waitable,
        execution_arn: "arn:aws:states:us-east-1:1:execution:M:job".into(),
        at: parse_rfc3339("2026-01-01T01:00:00Z").unwrap(),
    }
}

#[tokio::test]
async fn cancel_request_is_a_conditional_update_and_reports_final_records() {
    let (seen, matcher) = capture::<UpdateItemInput>();
    let set = mock!(Client::update_item)
        .match_requests(matcher)
        .then_output(|| {
            UpdateItemOutput::builder()
                .attributes("CancelRequestedAt", s("first"))
                .build()
        });
    let refused = mock!(Client::update_item).then_error(|| {
        UpdateItemError::ConditionalCheckFailedException(
            ConditionalCheckFailedException::builder().build(),
        )
    });
    let reread = mock!(Client::get_item).then_output(|| {
        GetItemOutput::builder()
            .item("Id", s("job"))
            .item("ProcessStatus", s("COMPLETED"))
            .build()
    });
    let client = mock_client!(
        aws_sdk_dynamodb,
        RuleMode::Sequential,
        [&set, &refused, &reread]
    );
    let jobs = DynamoJobStore::from_client(client, "Jobs");
    assert_eq!(
        jobs.request_cancel(&cancel_request()).await.unwrap(),
        CancelWrite::Requested {
            requested_at: "first".into()
        }
    );
    let u = seen.lock().unwrap()[0].clone();
    let attr_names = u.expression_attribute_names().unwrap();
    let update = names(attr_names, u.update_expression().unwrap());
    let condition = names(attr_names, u.condition_expression().unwrap());
    assert!(update.contains("CancelRequested = :true"), "{update}");
    assert!(
        update.contains("CancelRequestedAt = if_not_exists(CancelRequestedAt, :now)"),
        "{update}"
    );
    assert!(
        update.contains("ProcessStatus = if_not_exists(ProcessStatus, :started)"),
        "{update}"
    );
    assert!(
        condition.contains("attribute_not_exists(ProcessStatus) OR"),
        "{condition}"
    );
    for status in ["COMPLETED", "FAILED", "TIMED_OUT", "CANCELLED"] {
        let placeholder = format!(":{}", status.replace('_', "").to_lowercase());
        assert!(
            condition.contains(&format!("ProcessStatus <> {placeholder}")),
            "{condition}"
        );
        assert_eq!(
            u.expression_attribute_values().unwrap()[&placeholder],
            s(status)
        );
    }
    assert!(
        condition.contains("ExecutionStatus = :running"),
        "{condition}"
    );
    let values = u.expression_attribute_values().unwrap();
    assert_eq!(values[":now"], s("2026-01-01T01:00:00.000Z"));
    assert_eq!(values[":pattern"], s("waitable"));
    assert_eq!(values[":shard"], s(&list_shard_of("job")));
    assert_eq!(
        jobs.request_cancel(&cancel_request()).await.unwrap(),
        CancelWrite::AlreadyEnded {
            status: "COMPLETED".into()
        }
    );
}

fn transition(status: ExecutionStatus) -> StatusTransition {
    let at = |t: &str| parse_rfc3339(t).unwrap();
    StatusTransition {
        execution_status: status,
        execution_status_at: 1_700_000_000_123,
        execution_arn: "arn:aws:states:us-east-1:1:execution:M:job".into(),
        state_machine_arn: "arn:aws:states:us-east-1:1:stateMachine:M".into(),
        started_at: at("2023-11-14T22:13:20.000Z"),
        stopped_at: status.is_final().then(|| at("2023-11-14T22:13:20.123Z")),
        error: Some("Boom".into()),
        cause: None,
        process_status: Some(JobStatus::Failed),
        pattern: Some(Pattern::Callback),
        last_updated: at("2023-11-14T22:13:21.000Z"),
        remove_task_token: status.is_final(),
        expires_at: status.is_final().then_some(1_707_776_000),
    }
}

#[tokio::test]
async fn transition_is_conditioned_on_what_was_read() {
    let rule = mock!(Client::update_item)
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
                && values.get(":started") == Some(&s("2023-11-14T22:13:20.000Z"))
                && values.get(":stopped") == Some(&s("2023-11-14T22:13:20.123Z"))
                && upd.contains("#exp = :exp")
                && names.get("#exp").map(String::as_str) == Some("ExpiresAt")
                && values.get(":exp") == Some(&AttributeValue::N("1707776000".into()))
                && upd.contains("#shard = if_not_exists(#shard, :shard)")
                && names.get("#shard").map(String::as_str) == Some("ListShard")
                && !values.contains_key(":cause")
        })
        .then_output(|| UpdateItemOutput::builder().build());
    let store = DynamoJobStore::from_client(mock_client!(aws_sdk_dynamodb, [&rule]), "Jobs");
    let expected = Job {
        id: "job".into(),
        execution_status: Some(ExecutionStatus::Running),
        execution_status_at: Some(7),
        process_status: Some(JobStatus::Started),
        ..Job::default()
    };
    assert!(store
        .record_transition(
            &JobId::parse("job").unwrap(),
            Some(&expected),
            &transition(ExecutionStatus::Failed)
        )
        .await
        .unwrap());
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn transition_on_a_missing_record_requires_it_still_missing_and_reports_conflicts() {
    let refused = mock!(Client::update_item)
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
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, [&refused]);
    let store = DynamoJobStore::from_client(client, "Jobs");
    assert!(!store
        .record_transition(
            &JobId::parse("job").unwrap(),
            None,
            &transition(ExecutionStatus::Running)
        )
        .await
        .unwrap());
}

#[tokio::test]
async fn mark_notified_is_conditional() {
    let rule = mock!(Client::update_item)
        .match_requests(|r| {
            r.condition_expression() == Some("attribute_exists(#id) AND attribute_not_exists(#n)")
                && r.update_expression() == Some("SET #n = :at")
                && r.expression_attribute_values().and_then(|v| v.get(":at"))
                    == Some(&s("2026-01-01T00:00:00.000Z"))
        })
        .then_output(|| UpdateItemOutput::builder().build());
    let store = DynamoJobStore::from_client(mock_client!(aws_sdk_dynamodb, [&rule]), "Jobs");
    assert!(store
        .mark_notified(
            &JobId::parse("job").unwrap(),
            parse_rfc3339("2026-01-01T00:00:00Z").unwrap()
        )
        .await
        .unwrap());
    assert_eq!(rule.num_calls(), 1);
}
