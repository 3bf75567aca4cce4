use super::*;
use crate::lambda::{failing, FnHandler};
use crate::template::FunctionDef;
use asl::IntegrationPattern;
use lambda_runtime::Context;

fn resources() -> LocalResources {
    let mut reg = LambdaRegistry::new();
    reg.insert(
        FunctionDef::for_test("Double"),
        Arc::new(FnHandler(|p: Value, _c: Context| async move {
            Ok(json!({"n": p["n"].as_i64().unwrap_or(0) * 2}))
        })),
    );
    reg.insert(
        FunctionDef::for_test("Fails"),
        failing("JobNotFound", "no job x"),
    );
    let dynamo = Dynamo::open_with(None, "us-east-1", "123456789012").expect("in-memory dynamo");
    dynamo
        .apply_table_template(&json!({
            "TableName": "Jobs",
            "KeySchema": [{"AttributeName": "Id", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "Id", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST"
        }))
        .expect("table");
    LocalResources::new(Arc::new(reg), Arc::new(dynamo))
}

fn call(resource: &str, parameters: Value) -> TaskCall {
    let (pattern, base) = match resource.strip_suffix(".waitForTaskToken") {
        Some(b) => (IntegrationPattern::WaitForTaskToken, b),
        None => (IntegrationPattern::RequestResponse, resource),
    };
    TaskCall {
        resource: resource.into(),
        base_resource: base.into(),
        pattern,
        parameters,
        task_token: None,
        execution_arn: "arn:aws:states:us-east-1:123456789012:execution:M:e".into(),
        state_name: "S".into(),
        timeout_seconds: None,
        heartbeat_seconds: None,
        credentials: None,
        retry_count: 0,
    }
}

#[tokio::test]
async fn lambda_invoke_wraps_the_payload_like_aws() {
    let r = resources();
    let out = r
        .invoke(call(
            "arn:aws:states:::lambda:invoke",
            json!({"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:Double", "Payload": {"n": 21}}),
        ))
        .await
        .expect("invoke");
    assert_eq!(out["Payload"], json!({"n": 42}));
    assert_eq!(out["StatusCode"], 200);
    assert_eq!(out["ExecutedVersion"], "$LATEST");
    assert_eq!(out["SdkHttpMetadata"]["HttpStatusCode"], 200);
    assert!(out["SdkResponseMetadata"]["RequestId"].is_string());
}

#[tokio::test]
async fn plain_function_arn_returns_the_output_itself() {
    let r = resources();
    let out = r
        .invoke(call(
            "arn:aws:lambda:us-east-1:123456789012:function:Double",
            json!({"n": 2}),
        ))
        .await
        .expect("invoke");
    assert_eq!(out, json!({"n": 4}));
}

#[tokio::test]
async fn function_errors_become_task_errors_with_the_error_type() {
    let r = resources();
    let e = r
        .invoke(call(
            "arn:aws:states:::lambda:invoke.waitForTaskToken",
            json!({"FunctionName": "Fails", "Payload": {}}),
        ))
        .await
        .expect_err("fails");
    assert_eq!(e.error, "JobNotFound");
    let cause: Value = serde_json::from_str(&e.cause).expect("cause is JSON");
    assert_eq!(cause["errorMessage"], "no job x");
    assert_eq!(cause["errorType"], "JobNotFound");

    let e = r
        .invoke(call(
            "arn:aws:states:::lambda:invoke",
            json!({"FunctionName": "Missing"}),
        ))
        .await
        .expect_err("missing");
    assert_eq!(e.error, "Lambda.ResourceNotFoundException");
}

#[tokio::test]
async fn dynamodb_integrations_and_their_errors() {
    let r = resources();
    r.invoke(call(
        "arn:aws:states:::dynamodb:putItem",
        json!({"TableName": "Jobs", "Item": {"Id": {"S": "a"}, "V": {"N": "1"}}}),
    ))
    .await
    .expect("put");
    let got = r
        .invoke(call(
            "arn:aws:states:::dynamodb:getItem",
            json!({"TableName": "Jobs", "Key": {"Id": {"S": "a"}}}),
        ))
        .await
        .expect("get");
    assert_eq!(got["Item"]["V"], json!({"N": "1"}));
    let e = r
        .invoke(call(
            "arn:aws:states:::dynamodb:putItem",
            json!({"TableName": "Jobs", "Item": {"Id": {"S": "a"}}, "ConditionExpression": "attribute_not_exists(Id)"}),
        ))
        .await
        .expect_err("condition fails");
    assert_eq!(e.error, "DynamoDB.ConditionalCheckFailedException");
    let e = r
        .invoke(call(
            "arn:aws:states:::dynamodb:getItem",
            json!({"TableName": "Nope", "Key": {"Id": {"S": "a"}}}),
        ))
        .await
        .expect_err("no table");
    assert_eq!(e.error, "DynamoDB.ResourceNotFoundException");
    let upd = r
        .invoke(call(
            "arn:aws:states:::aws-sdk:dynamodb:updateItem",
            json!({"TableName": "Jobs", "Key": {"Id": {"S": "a"}}, "UpdateExpression": "SET V = :v", "ExpressionAttributeValues": {":v": {"N": "2"}}, "ReturnValues": "ALL_NEW"}),
        ))
        .await
        .expect("sdk update");
    assert_eq!(upd["Attributes"]["V"], json!({"N": "2"}));
}

#[tokio::test]
async fn unknown_resources_are_named() {
    let r = resources();
    let e = r
        .invoke(call("arn:aws:states:::sns:publish", json!({})))
        .await
        .expect_err("unknown");
    assert!(
        e.cause.contains("arn:aws:states:::sns:publish"),
        "{}",
        e.cause
    );
}
