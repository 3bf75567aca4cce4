//! The official Rust SDK talks to the router unchanged.

use std::sync::Arc;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, KeySchemaElement,
    KeyType, Projection, ProjectionType, PutRequest, ReturnValue, ScalarAttributeType,
    WriteRequest,
};
use aws_sdk_dynamodb::Client;
use local_dynamodb::Dynamo;

async fn client() -> Client {
    let dynamo = Arc::new(Dynamo::open(None).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, dynamo.router()).await });
    let conf = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "static"))
        .endpoint_url(format!("http://{addr}"))
        .build();
    Client::from_conf(conf)
}

fn key(name: &str, kt: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kt)
        .build()
        .unwrap()
}

fn attr(name: &str) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .unwrap()
}

#[tokio::test]
async fn sdk_round_trip() {
    let c = client().await;
    let created = c
        .create_table()
        .table_name("Jobs")
        .key_schema(key("Id", KeyType::Hash))
        .attribute_definitions(attr("Id"))
        .attribute_definitions(attr("ProcessStatus"))
        .attribute_definitions(attr("LastUpdated"))
        .billing_mode(BillingMode::PayPerRequest)
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("StatusIndex")
                .key_schema(key("ProcessStatus", KeyType::Hash))
                .key_schema(key("LastUpdated", KeyType::Range))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let desc = created.table_description().unwrap();
    assert_eq!(
        desc.table_arn(),
        Some("arn:aws:dynamodb:us-east-1:123456789012:table/Jobs")
    );

    let mut batch = Vec::new();
    for i in 0..5 {
        batch.push(
            WriteRequest::builder()
                .put_request(
                    PutRequest::builder()
                        .item("Id", AttributeValue::S(format!("j{i}")))
                        .item("ProcessStatus", AttributeValue::S("SCHEDULED".into()))
                        .item("LastUpdated", AttributeValue::S(format!("2024-01-0{i}")))
                        .build()
                        .unwrap(),
                )
                .build(),
        );
    }
    let out = c
        .batch_write_item()
        .request_items("Jobs", batch)
        .send()
        .await
        .unwrap();
    assert!(out.unprocessed_items().is_none_or(|m| m.is_empty()));

    let err = c
        .put_item()
        .table_name("Jobs")
        .item("Id", AttributeValue::S("j1".into()))
        .condition_expression("attribute_not_exists(Id)")
        .send()
        .await
        .unwrap_err();
    assert!(err
        .into_service_error()
        .is_conditional_check_failed_exception());

    let upd = c
        .update_item()
        .table_name("Jobs")
        .key("Id", AttributeValue::S("j1".into()))
        .update_expression("SET ProcessStatus = :s, Attempts = if_not_exists(Attempts, :z) + :one")
        .expression_attribute_values(":s", AttributeValue::S("STARTED".into()))
        .expression_attribute_values(":z", AttributeValue::N("0".into()))
        .expression_attribute_values(":one", AttributeValue::N("1".into()))
        .return_values(ReturnValue::AllNew)
        .send()
        .await
        .unwrap();
    assert_eq!(
        upd.attributes().unwrap().get("Attempts"),
        Some(&AttributeValue::N("1".into()))
    );

    // Page through the index two at a time, newest first.
    let mut seen = Vec::new();
    let mut start = None;
    loop {
        let page = c
            .query()
            .table_name("Jobs")
            .index_name("StatusIndex")
            .key_condition_expression("ProcessStatus = :s")
            .expression_attribute_values(":s", AttributeValue::S("SCHEDULED".into()))
            .scan_index_forward(false)
            .limit(2)
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        for item in page.items() {
            if let Some(AttributeValue::S(id)) = item.get("Id") {
                seen.push(id.clone());
            }
        }
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            break;
        }
    }
    assert_eq!(seen, vec!["j4", "j3", "j2", "j0"]);

    let missing = c
        .describe_table()
        .table_name("Nope")
        .send()
        .await
        .unwrap_err();
    assert!(missing
        .into_service_error()
        .is_resource_not_found_exception());
    let tables = c.list_tables().send().await.unwrap();
    assert_eq!(tables.table_names(), ["Jobs".to_string()]);
    c.delete_table().table_name("Jobs").send().await.unwrap();
}

#[tokio::test]
async fn raw_protocol_errors_and_large_batches() {
    let dynamo = Arc::new(Dynamo::open(None).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, dynamo.router()).await });
    let http = reqwest::Client::new();
    let send = |target: Option<&str>, body: String| {
        let mut r = http.post(format!("http://{addr}/")).body(body);
        if let Some(t) = target {
            r = r.header("X-Amz-Target", t);
        }
        r.send()
    };
    let r = send(None, "{}".into()).await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["content-type"], "application/x-amz-json-1.0");
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        v["__type"],
        "com.amazonaws.dynamodb.v20120810#UnknownOperationException"
    );
    let r = send(Some("DynamoDB_20120810.ListTables"), "{not json".into())
        .await
        .unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        v["__type"],
        "com.amazonaws.dynamodb.v20120810#SerializationException"
    );
    assert!(v["message"]
        .as_str()
        .unwrap()
        .starts_with("Malformed JSON request body: "));
    assert_eq!(v["message"], v["Message"]);

    // Replies carry a DynamoDB Local style request id, and no x-amzn-ErrorType.
    let r = send(Some("DynamoDB_20120810.ListTables"), "{}".into())
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let id = r.headers()["x-amzn-requestid"].to_str().unwrap();
    assert!(id.starts_with("LOCALDDB") && id.len() == 28, "{id}");
    let r = send(Some("DynamoDB_20120810.ListTables"), "".into())
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("x-amzn-errortype").is_none());
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        v["__type"], "com.amazonaws.dynamodb.v20120810#SerializationException",
        "an empty body is not JSON"
    );
    let r = http
        .get(format!("http://{addr}/"))
        .header("X-Amz-Target", "DynamoDB_20120810.ListTables")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        v["__type"],
        "com.amazonaws.dynamodb.v20120810#UnknownOperationException"
    );
    assert_eq!(v["message"], "An unknown operation was requested.");
    let r = send(
        Some("DynamoDB_20120810.BatchWriteItem"),
        " ".repeat(16 * 1024 * 1024 + 1),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 413);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        v,
        serde_json::json!({
            "__type": "com.amazonaws.dynamodb.v20120810#RequestEntityTooLarge",
            "message": "Request size exceeded 16777216 bytes",
            "Message": "Request size exceeded 16777216 bytes",
        })
    );

    // 25 items of ~300 KB: a 7.5 MB request, which DynamoDB accepts.
    let create = r#"{"TableName":"Big","KeySchema":[{"AttributeName":"k","KeyType":"HASH"}],
        "AttributeDefinitions":[{"AttributeName":"k","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}"#;
    assert_eq!(
        send(Some("DynamoDB_20120810.CreateTable"), create.into())
            .await
            .unwrap()
            .status(),
        200
    );
    let blob = "z".repeat(300_000);
    let puts: Vec<serde_json::Value> = (0..25)
        .map(|i| serde_json::json!({"PutRequest": {"Item": {"k": {"S": format!("{i}")}, "blob": {"S": blob}}}}))
        .collect();
    let body = serde_json::json!({"RequestItems": {"Big": puts}}).to_string();
    let r = send(Some("DynamoDB_20120810.BatchWriteItem"), body)
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}
