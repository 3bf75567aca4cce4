//! Each operation through `Dynamo::handle`, without Java: the behaviour the application and
//! its state machines rely on.

use local_dynamodb::{Dynamo, DynamoError, TemplateOutcome};
use serde_json::{json, Value};

/// CloudFormation Properties of the template's JobsTable, extras included.
fn jobs_table_properties() -> Value {
    json!({
        "TableName": "JobsTable",
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "Id", "AttributeType": "S"}, {"AttributeName": "ProcessStatus", "AttributeType": "S"},
            {"AttributeName": "LastUpdated", "AttributeType": "S"}, {"AttributeName": "ListShard", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "Id", "KeyType": "HASH"}],
        "GlobalSecondaryIndexes": [
            {"IndexName": "StatusIndex", "KeySchema": [{"AttributeName": "ProcessStatus", "KeyType": "HASH"},
                {"AttributeName": "LastUpdated", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["StartActionAt"]}},
            {"IndexName": "RecentIndex", "KeySchema": [{"AttributeName": "ListShard", "KeyType": "HASH"},
                {"AttributeName": "LastUpdated", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["StartActionAt", "ProcessStatus"]}}],
        "TimeToLiveSpecification": {"AttributeName": "ExpiresAt", "Enabled": true},
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true},
        "SSESpecification": {"SSEEnabled": true},
        "Tags": [{"Key": "app", "Value": "jobs"}]
    })
}

async fn jobs_table() -> Dynamo {
    let d = Dynamo::open_with(None, "eu-west-1", "123456789012").unwrap();
    let outcome = d.apply_table_template(&jobs_table_properties()).unwrap();
    assert_eq!(outcome, TemplateOutcome::Created);
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
        json!({"TableName": "JobsTable", "Item": {"Id": {"S": id}, "ListShard": {"S": "0"}, "ProcessStatus": {"S": status},
            "LastUpdated": {"S": ts}}}),
    )
    .await;
}

#[tokio::test]
async fn table_lifecycle() {
    let d = jobs_table().await;
    assert_eq!(
        d.apply_table_template(&jobs_table_properties()).unwrap(),
        TemplateOutcome::Unchanged
    );
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
    assert!(upd["Attributes"].get("ListShard").is_none());
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
        let mut q = json!({"TableName": "JobsTable", "IndexName": "RecentIndex", "KeyConditionExpression": "ListShard = :k",
            "ExpressionAttributeValues": {":k": {"S": "0"}}, "ScanIndexForward": false, "Limit": 3});
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
        "FilterExpression": "attribute_not_exists(ListShard)"}),
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
    let body = aws_json::AwsError::body(&e);
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

#[tokio::test]
async fn indexes_hold_only_their_projection() {
    let d = jobs_table().await;
    ok(&d, "PutItem", json!({"TableName": "JobsTable", "Item": {"Id": {"S": "t1"}, "ListShard": {"S": "2"},
        "ProcessStatus": {"S": "WAITING_FOR_CALLBACK"}, "LastUpdated": {"S": "2026-01-01T00:00:00.000Z"},
        "StartActionAt": {"S": "2026-01-01T00:00:00.000Z"}, "TaskToken": {"S": "secret"}, "Pattern": {"S": "callback"}}})).await;
    for (index, expected) in [
        (
            "RecentIndex",
            vec![
                "Id",
                "LastUpdated",
                "ListShard",
                "ProcessStatus",
                "StartActionAt",
            ],
        ),
        (
            "StatusIndex",
            vec!["Id", "LastUpdated", "ProcessStatus", "StartActionAt"],
        ),
    ] {
        let out = ok(
            &d,
            "Scan",
            json!({"TableName": "JobsTable", "IndexName": index}),
        )
        .await;
        let item = out["Items"][0].as_object().unwrap();
        let keys: Vec<&str> = item.keys().map(String::as_str).collect();
        assert_eq!(keys, expected, "{index}");
    }
}

#[tokio::test]
async fn time_to_live_deletes_expired_items_only() {
    let d = jobs_table().await;
    let now = 1_800_000_000i64;
    let put = |id: &str, ttl: Value| {
        let mut item = json!({"Id": {"S": id}, "ListShard": {"S": "1"}, "LastUpdated": {"S": format!("2026-01-01T00:00:00.{id}Z")}});
        if !ttl.is_null() {
            item["ExpiresAt"] = ttl;
        }
        json!({"TableName": "JobsTable", "Item": item})
    };
    for (id, ttl) in [
        ("001", json!({"N": (now - 1).to_string()})), // expired
        ("002", json!({"N": format!("{}.5", now - 10)})), // expired, fractional
        ("003", json!({"N": now.to_string()})),       // not before now
        ("004", json!({"N": (now + 3600).to_string()})), // future
        ("005", json!({"S": (now - 1).to_string()})), // not a Number: ignored
        ("006", json!({"N": (now - 6 * 365 * 86_400).to_string()})), // over five years old: ignored
        ("007", Value::Null),                         // no TTL attribute
        ("008", json!({"N": "5"})),                   // 1970: ignored
    ] {
        ok(&d, "PutItem", put(id, ttl)).await;
    }
    assert_eq!(d.expire_items(now).unwrap(), 2);
    assert_eq!(d.expire_items(now).unwrap(), 0, "idempotent");
    let out = ok(&d, "Scan", json!({"TableName": "JobsTable"})).await;
    let mut ids: Vec<&str> = out["Items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["Id"]["S"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, ["003", "004", "005", "006", "007", "008"]);
    // Gone from the indexes too.
    let q = ok(&d, "Query", json!({"TableName": "JobsTable", "IndexName": "RecentIndex",
        "KeyConditionExpression": "ListShard = :s", "ExpressionAttributeValues": {":s": {"S": "1"}}})).await;
    assert_eq!(q["Count"], 6);

    // Turned off, nothing expires; the API reports each state as DynamoDB does.
    assert_eq!(
        ok(&d, "DescribeTimeToLive", json!({"TableName": "JobsTable"})).await,
        json!({"TimeToLiveDescription": {"TimeToLiveStatus": "ENABLED", "AttributeName": "ExpiresAt"}})
    );
    let e = err(
        &d,
        "UpdateTimeToLive",
        json!({"TableName": "JobsTable",
        "TimeToLiveSpecification": {"Enabled": false, "AttributeName": "Other"}}),
    )
    .await;
    assert_eq!(
        e.message(),
        "TimeToLive is active on a different AttributeName"
    );
    ok(
        &d,
        "UpdateTimeToLive",
        json!({"TableName": "JobsTable",
        "TimeToLiveSpecification": {"Enabled": false, "AttributeName": "ExpiresAt"}}),
    )
    .await;
    assert_eq!(d.expire_items(now + 10 * 86_400).unwrap(), 0);
}

#[tokio::test]
async fn a_changed_template_keeps_the_items_and_rebuilds_the_indexes() {
    let d = Dynamo::open_with(None, "eu-west-1", "123456789012").unwrap();
    // The table as an older template had it: RecentIndex on Kind, ALL projections, no TTL.
    let old = json!({"TableName": "JobsTable", "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "Id", "AttributeType": "S"}, {"AttributeName": "Kind", "AttributeType": "S"},
            {"AttributeName": "LastUpdated", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "Id", "KeyType": "HASH"}],
        "GlobalSecondaryIndexes": [{"IndexName": "RecentIndex", "KeySchema": [{"AttributeName": "Kind", "KeyType": "HASH"},
            {"AttributeName": "LastUpdated", "KeyType": "RANGE"}], "Projection": {"ProjectionType": "ALL"}}]});
    assert_eq!(
        d.apply_table_template(&old).unwrap(),
        TemplateOutcome::Created
    );
    ok(&d, "PutItem", json!({"TableName": "JobsTable", "Item": {"Id": {"S": "a"}, "Kind": {"S": "JOB"},
        "ListShard": {"S": "3"}, "LastUpdated": {"S": "x"}, "ProcessStatus": {"S": "STARTED"}, "TaskToken": {"S": "t"}}})).await;
    assert_eq!(
        d.apply_table_template(&jobs_table_properties()).unwrap(),
        TemplateOutcome::Updated
    );
    let got = ok(
        &d,
        "GetItem",
        json!({"TableName": "JobsTable", "Key": {"Id": {"S": "a"}}}),
    )
    .await;
    assert_eq!(
        got["Item"]["TaskToken"],
        json!({"S": "t"}),
        "items are kept"
    );
    let q = ok(&d, "Query", json!({"TableName": "JobsTable", "IndexName": "RecentIndex",
        "KeyConditionExpression": "ListShard = :s", "ExpressionAttributeValues": {":s": {"S": "3"}}})).await;
    assert_eq!(q["Count"], 1, "{q}");
    assert!(q["Items"][0].get("TaskToken").is_none());
    assert_eq!(
        ok(&d, "DescribeTimeToLive", json!({"TableName": "JobsTable"})).await
            ["TimeToLiveDescription"]["TimeToLiveStatus"],
        "ENABLED"
    );
    let status = ok(&d, "Query", json!({"TableName": "JobsTable", "IndexName": "StatusIndex",
        "KeyConditionExpression": "ProcessStatus = :s", "ExpressionAttributeValues": {":s": {"S": "STARTED"}}})).await;
    assert_eq!(
        status["Count"], 1,
        "the new index is filled from the existing items"
    );

    // Another primary key cannot be applied in place.
    let mut other_key = jobs_table_properties();
    other_key["KeySchema"] = json!([{"AttributeName": "Id", "KeyType": "HASH"}, {"AttributeName": "LastUpdated", "KeyType": "RANGE"}]);
    let e = d.apply_table_template(&other_key).unwrap_err();
    assert!(
        e.message().contains("another primary key"),
        "{}",
        e.message()
    );
}

/// What DynamoDB Local answers with an internal failure or lets through, refused here as
/// DynamoDB documents it: attribute names over 64 KB, a ConsistentRead that is not a boolean.
#[tokio::test]
async fn refuses_oversized_names_and_non_boolean_consistent_read() {
    let d = jobs_table().await;
    let name = "n".repeat(65_536);
    let e = err(
        &d,
        "PutItem",
        json!({"TableName": "JobsTable", "Item": {"Id": {"S": "a"}, name.clone(): {"S": "x"}}}),
    )
    .await;
    assert!(
        e.type_name().ends_with("#ValidationException"),
        "{}",
        e.message()
    );
    let e = err(&d, "PutItem", json!({"TableName": "JobsTable", "Item": {"Id": {"S": "a"}, "m": {"M": {name: {"S": "x"}}}}})).await;
    assert!(
        e.type_name().ends_with("#ValidationException"),
        "{}",
        e.message()
    );
    ok(&d, "PutItem", json!({"TableName": "JobsTable", "Item": {"Id": {"S": "a"}, "n".repeat(65_535): {"S": "x"}}})).await;
    for v in [json!("yes"), json!(1), json!({}), json!([true])] {
        for (op, body) in [
            (
                "GetItem",
                json!({"TableName": "JobsTable", "Key": {"Id": {"S": "a"}}, "ConsistentRead": v}),
            ),
            (
                "Query",
                json!({"TableName": "JobsTable", "KeyConditionExpression": "Id = :i",
                "ExpressionAttributeValues": {":i": {"S": "a"}}, "ConsistentRead": v}),
            ),
            (
                "Scan",
                json!({"TableName": "JobsTable", "ConsistentRead": v}),
            ),
            (
                "BatchGetItem",
                json!({"RequestItems": {"JobsTable": {"Keys": [{"Id": {"S": "a"}}], "ConsistentRead": v}}}),
            ),
        ] {
            let e = err(&d, op, body).await;
            assert!(
                e.type_name().ends_with("#ValidationException"),
                "{op} {v}: {}",
                e.message()
            );
            assert!(
                e.message().contains("consistentRead"),
                "{op}: {}",
                e.message()
            );
        }
    }
}
