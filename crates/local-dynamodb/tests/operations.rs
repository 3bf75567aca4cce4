//! Each operation through `Dynamo::handle`, without Java: the behaviour the application and
//! its state machines rely on.

use local_dynamodb::{Dynamo, DynamoError};
use serde_json::{json, Value};

async fn jobs_table() -> Dynamo {
    let d = Dynamo::open_with(None, "eu-west-1", "123456789012").unwrap();
    // CloudFormation Properties of the template's JobsTable, extras included.
    let created = d
        .create_table_if_missing(&json!({
            "TableName": "JobsTable",
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "Id", "AttributeType": "S"}, {"AttributeName": "ProcessStatus", "AttributeType": "S"},
                {"AttributeName": "LastUpdated", "AttributeType": "S"}, {"AttributeName": "Kind", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "Id", "KeyType": "HASH"}],
            "GlobalSecondaryIndexes": [
                {"IndexName": "StatusIndex", "KeySchema": [{"AttributeName": "ProcessStatus", "KeyType": "HASH"},
                    {"AttributeName": "LastUpdated", "KeyType": "RANGE"}], "Projection": {"ProjectionType": "ALL"}},
                {"IndexName": "RecentIndex", "KeySchema": [{"AttributeName": "Kind", "KeyType": "HASH"},
                    {"AttributeName": "LastUpdated", "KeyType": "RANGE"}], "Projection": {"ProjectionType": "ALL"}}],
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true},
            "SSESpecification": {"SSEEnabled": true},
            "Tags": [{"Key": "app", "Value": "jobs"}]
        }))
        .unwrap();
    assert!(created);
    d
}

async fn ok(d: &Dynamo, op: &str, body: Value) -> Value {
    match d.handle(op, body.clone()).await {
        Ok(v) => v,
        Err(e) => panic!("{op} {body} failed: {} {}", e.type_name(), e.message()),
    }
}

async fn err(d: &Dynamo, op: &str, body: Value) -> DynamoError {
    match d.handle(op, body.clone()).await {
        Ok(v) => panic!("{op} {body} unexpectedly succeeded: {v}"),
        Err(e) => e,
    }
}

async fn put_job(d: &Dynamo, id: &str, status: &str, ts: &str) {
    ok(
        d,
        "PutItem",
        json!({"TableName": "JobsTable", "Item": {"Id": {"S": id}, "Kind": {"S": "JOB"}, "ProcessStatus": {"S": status},
            "LastUpdated": {"S": ts}}}),
    )
    .await;
}

#[tokio::test]
async fn table_lifecycle() {
    let d = jobs_table().await;
    assert!(!d
        .create_table_if_missing(&json!({"TableName": "JobsTable", "KeySchema": [{"AttributeName": "Id", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "Id", "AttributeType": "S"}]}))
        .unwrap());
    let desc = ok(&d, "DescribeTable", json!({"TableName": "JobsTable"})).await;
    let t = &desc["Table"];
    assert_eq!(t["TableStatus"], "ACTIVE");
    assert_eq!(
        t["TableArn"],
        "arn:aws:dynamodb:eu-west-1:123456789012:table/JobsTable"
    );
    assert_eq!(t["BillingModeSummary"]["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(t["GlobalSecondaryIndexes"][1]["IndexStatus"], "ACTIVE");
    assert!(t["CreationDateTime"].as_f64().unwrap() > 1.6e9);
    let e = err(&d, "CreateTable", json!({"TableName": "JobsTable", "KeySchema": [{"AttributeName": "Id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "Id", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST"})).await;
    assert!(e.type_name().ends_with("#ResourceInUseException"));
    for name in ["aaa", "bbb", "ccc"] {
        ok(&d, "CreateTable", json!({"TableName": name, "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "N"}], "BillingMode": "PAY_PER_REQUEST"})).await;
    }
    let page = ok(&d, "ListTables", json!({"Limit": 2})).await;
    assert_eq!(
        page,
        json!({"TableNames": ["JobsTable", "aaa"], "LastEvaluatedTableName": "aaa"})
    );
    let page = ok(
        &d,
        "ListTables",
        json!({"Limit": 2, "ExclusiveStartTableName": "aaa"}),
    )
    .await;
    assert_eq!(page, json!({"TableNames": ["bbb", "ccc"]}));
    let del = ok(&d, "DeleteTable", json!({"TableName": "bbb"})).await;
    assert_eq!(del["TableDescription"]["TableName"], "bbb");
    let e = err(&d, "DeleteTable", json!({"TableName": "bbb"})).await;
    assert!(e.type_name().ends_with("#ResourceNotFoundException"));
}

#[tokio::test]
async fn put_get_update_delete() {
    let d = jobs_table().await;
    put_job(&d, "j1", "SCHEDULED", "2024-01-01T00:00:00.000Z").await;
    let e = err(
        &d,
        "PutItem",
        json!({"TableName": "JobsTable", "Item": {"Id": {"S": "j1"}},
        "ConditionExpression": "attribute_not_exists(Id)"}),
    )
    .await;
    assert!(e.type_name().ends_with("#ConditionalCheckFailedException"));
    let got = ok(
        &d,
        "GetItem",
        json!({"TableName": "JobsTable", "Key": {"Id": {"S": "j1"}},
        "ProjectionExpression": "#s", "ExpressionAttributeNames": {"#s": "ProcessStatus"}}),
    )
    .await;
    assert_eq!(got, json!({"Item": {"ProcessStatus": {"S": "SCHEDULED"}}}));
    let upd = ok(&d, "UpdateItem", json!({"TableName": "JobsTable", "Key": {"Id": {"S": "j1"}},
        "UpdateExpression": "SET ProcessStatus = :w, TaskToken = :t, Attempts = if_not_exists(Attempts, :z) + :one",
        "ConditionExpression": "ProcessStatus IN (:s, :w)",
        "ExpressionAttributeValues": {":w": {"S": "WAITING_FOR_CALLBACK"}, ":s": {"S": "SCHEDULED"}, ":t": {"S": "tok"},
            ":z": {"N": "0"}, ":one": {"N": "1"}},
        "ReturnValues": "UPDATED_NEW"})).await;
    assert_eq!(upd["Attributes"]["Attempts"], json!({"N": "1"}));
    assert_eq!(
        upd["Attributes"]["ProcessStatus"],
        json!({"S": "WAITING_FOR_CALLBACK"})
    );
    assert!(upd["Attributes"].get("Kind").is_none());
    let old = ok(
        &d,
        "UpdateItem",
        json!({"TableName": "JobsTable", "Key": {"Id": {"S": "j1"}},
        "UpdateExpression": "REMOVE TaskToken", "ReturnValues": "UPDATED_OLD"}),
    )
    .await;
    assert_eq!(old, json!({"Attributes": {"TaskToken": {"S": "tok"}}}));
    let gone = ok(
        &d,
        "DeleteItem",
        json!({"TableName": "JobsTable", "Key": {"Id": {"S": "j1"}}, "ReturnValues": "ALL_OLD"}),
    )
    .await;
    assert_eq!(gone["Attributes"]["Id"], json!({"S": "j1"}));
    assert_eq!(
        ok(
            &d,
            "GetItem",
            json!({"TableName": "JobsTable", "Key": {"Id": {"S": "j1"}}})
        )
        .await,
        json!({})
    );
}

#[tokio::test]
async fn query_gsi_newest_first_with_pagination() {
    let d = jobs_table().await;
    for i in 0..7 {
        let status = if i % 2 == 0 { "COMPLETED" } else { "FAILED" };
        put_job(
            &d,
            &format!("j{i}"),
            status,
            &format!("2024-01-01T00:00:0{i}.000Z"),
        )
        .await;
    }
    // An item without the index key is not in the index.
    ok(
        &d,
        "PutItem",
        json!({"TableName": "JobsTable", "Item": {"Id": {"S": "other"}}}),
    )
    .await;
    let mut ids = Vec::new();
    let mut start: Option<Value> = None;
    loop {
        let mut q = json!({"TableName": "JobsTable", "IndexName": "RecentIndex", "KeyConditionExpression": "Kind = :k",
            "ExpressionAttributeValues": {":k": {"S": "JOB"}}, "ScanIndexForward": false, "Limit": 3});
        if let Some(s) = start.take() {
            assert_eq!(
                s.as_object().unwrap().len(),
                3,
                "table key + index key: {s}"
            );
            q["ExclusiveStartKey"] = s;
        }
        let page = ok(&d, "Query", q).await;
        for item in page["Items"].as_array().unwrap() {
            ids.push(item["Id"]["S"].as_str().unwrap().to_string());
        }
        match page.get("LastEvaluatedKey") {
            Some(k) => start = Some(k.clone()),
            None => break,
        }
    }
    assert_eq!(ids, ["j6", "j5", "j4", "j3", "j2", "j1", "j0"]);
    let failed = ok(
        &d,
        "Query",
        json!({"TableName": "JobsTable", "IndexName": "StatusIndex",
        "KeyConditionExpression": "ProcessStatus = :s AND LastUpdated > :t",
        "ExpressionAttributeValues": {":s": {"S": "FAILED"}, ":t": {"S": "2024-01-01T00:00:02"}}}),
    )
    .await;
    assert_eq!(failed["Count"], 2);
    let counted = ok(
        &d,
        "Scan",
        json!({"TableName": "JobsTable", "Select": "COUNT",
        "FilterExpression": "attribute_not_exists(Kind)"}),
    )
    .await;
    assert_eq!(
        (counted["Count"].clone(), counted["ScannedCount"].clone()),
        (json!(1), json!(8))
    );
}

#[tokio::test]
async fn batches() {
    let d = jobs_table().await;
    let puts: Vec<Value> = (0..25)
        .map(|i| json!({"PutRequest": {"Item": {"Id": {"S": format!("b{i}")}}}}))
        .collect();
    let out = ok(
        &d,
        "BatchWriteItem",
        json!({"RequestItems": {"JobsTable": puts}}),
    )
    .await;
    assert_eq!(out, json!({"UnprocessedItems": {}}));
    let keys: Vec<Value> = (0..30)
        .map(|i| json!({"Id": {"S": format!("b{i}")}}))
        .collect();
    let got = ok(
        &d,
        "BatchGetItem",
        json!({"RequestItems": {"JobsTable": {"Keys": keys}}}),
    )
    .await;
    assert_eq!(got["Responses"]["JobsTable"].as_array().unwrap().len(), 25);
    assert_eq!(got["UnprocessedKeys"], json!({}));
    let too_many: Vec<Value> = (0..26)
        .map(|i| json!({"DeleteRequest": {"Key": {"Id": {"S": format!("b{i}")}}}}))
        .collect();
    let e = err(
        &d,
        "BatchWriteItem",
        json!({"RequestItems": {"JobsTable": too_many}}),
    )
    .await;
    assert!(e.type_name().ends_with("#ValidationException"));
}

#[tokio::test]
async fn protocol_level_errors() {
    let d = jobs_table().await;
    let e = err(&d, "Frobnicate", json!({})).await;
    assert_eq!(
        e.type_name(),
        "com.amazonaws.dynamodb.v20120810#UnknownOperationException"
    );
    let e = err(&d, "GetItem", json!([1, 2])).await;
    assert_eq!(
        e.type_name(),
        "com.amazonaws.dynamodb.v20120810#SerializationException"
    );
    let e = err(
        &d,
        "PutItem",
        json!({"TableName": "JobsTable", "Item": {"Id": {"S": "x"}}, "Expected": {}}),
    )
    .await;
    assert!(e.type_name().ends_with("#ValidationException"));
    let e = err(&d, "PutItem", json!({"TableName": "JobsTable", "Item": {"Id": {"S": "x"}, "big": {"S": "y".repeat(400 * 1024)}}})).await;
    assert_eq!(
        e.message(),
        "Item size has exceeded the maximum allowed size"
    );
    let body = e.to_body();
    assert_eq!(
        body["__type"],
        "com.amazon.coral.validate#ValidationException"
    );
    assert_eq!(body["message"], body["Message"]);
}

#[tokio::test]
async fn parallel_scan_segments_cover_the_table_once() {
    let d = jobs_table().await;
    for i in 0..40 {
        put_job(&d, &format!("p{i}"), "SCHEDULED", "2024-01-01").await;
    }
    let mut seen = Vec::new();
    for seg in 0..3 {
        let out = ok(
            &d,
            "Scan",
            json!({"TableName": "JobsTable", "Segment": seg, "TotalSegments": 3}),
        )
        .await;
        for item in out["Items"].as_array().unwrap() {
            seen.push(item["Id"]["S"].as_str().unwrap().to_string());
        }
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 40);
    let e = err(
        &d,
        "Scan",
        json!({"TableName": "JobsTable", "Segment": 3, "TotalSegments": 3}),
    )
    .await;
    assert!(e.type_name().ends_with("#ValidationException"));
}
