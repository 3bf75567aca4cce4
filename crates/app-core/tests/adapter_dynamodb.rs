//! Request shapes of the DynamoDB adapter (aws-smithy-mocks).

use app_core::cursor::{list_shard_of, JobIndex, Position};
use app_core::domain::{parse_rfc3339, JobId, Pattern, TaskToken};
use app_core::dynamodb::DynamoJobStore;
use app_core::ports::{JobLister, JobReader, JobRecorder, NewJob, PartitionQuery, TokenStore};
use app_core::JobStatus;
use aws_sdk_dynamodb::operation::get_item::{GetItemInput, GetItemOutput};
use aws_sdk_dynamodb::operation::query::{QueryError, QueryInput, QueryOutput};
use aws_sdk_dynamodb::operation::update_item::{UpdateItemInput, UpdateItemOutput};
use aws_sdk_dynamodb::types::error::ResourceNotFoundException;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use aws_smithy_mocks::{mock, mock_client};
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
