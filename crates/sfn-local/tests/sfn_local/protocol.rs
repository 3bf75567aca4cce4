//! The AWS JSON 1.0 wire details that SDKs rely on, checked with raw HTTP.

use crate::harness::*;
use serde_json::{json, Value};

async fn post(h: &Harness, target: Option<&str>, body: &str) -> (u16, String, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}/", h.url))
        .header("content-type", "application/x-amz-json-1.0")
        .body(body.to_string());
    if let Some(t) = target {
        req = req.header("x-amz-target", t);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let v: Value = resp.json().await.unwrap();
    (status, ct, v)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wire_errors_have_aws_types() {
    let h = Harness::start().await;
    let (s, ct, v) = post(&h, Some("AWSStepFunctions.ListStateMachines"), "{not json").await;
    assert_eq!(
        (s, v["__type"].as_str()),
        (400, Some("SerializationException"))
    );
    assert_eq!(ct, "application/x-amz-json-1.0");
    let (s, _, v) = post(&h, Some("AWSStepFunctions.Frobnicate"), "{}").await;
    assert_eq!(
        (s, v["__type"].as_str()),
        (400, Some("UnknownOperationException"))
    );
    let (s, _, v) = post(&h, None, "{}").await;
    assert_eq!(
        (s, v["__type"].as_str()),
        (400, Some("UnknownOperationException"))
    );
    let (_, _, v) = post(&h, Some("DynamoDB_20120810.ListTables"), "{}").await;
    assert_eq!(v["__type"], "UnknownOperationException");
    let (s, _, v) = post(&h, Some("AWSStepFunctions.DescribeExecution"), "{}").await;
    assert_eq!(
        (s, v["__type"].as_str()),
        (400, Some("ValidationException"))
    );
    assert!(v["message"].as_str().unwrap().contains("executionArn"));
    let (_, _, v) = post(
        &h,
        Some("AWSStepFunctions.DescribeExecution"),
        r#"{"executionArn": 5}"#,
    )
    .await;
    assert_eq!(v["__type"], "SerializationException");
    let (_, _, v) = post(&h, Some("AWSStepFunctions.ListStateMachines"), "[]").await;
    assert_eq!(v["__type"], "SerializationException");
    let (_, _, v) = post(&h, Some("AWSStepFunctions.ListExecutions"), r#"{"stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:x", "maxResults": 0, "statusFilter": "DONE"}"#).await;
    assert_eq!(v["__type"], "ValidationException");
    assert_eq!(
        v["message"],
        "1 validation error detected: Value 'DONE' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE]"
    );
    let (_, _, v) = post(
        &h,
        Some("AWSStepFunctions.SendTaskSuccess"),
        r#"{"taskToken": "", "output": "{}"}"#,
    )
    .await;
    assert_eq!(v["__type"], "ValidationException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wire_shapes() {
    let h = Harness::start().await;
    let (s, ct, v) = post(&h, Some("AWSStepFunctions.ListStateMachines"), "").await;
    assert_eq!((s, ct.as_str()), (200, "application/x-amz-json-1.0"));
    assert_eq!(v, json!({"stateMachines": []}));
    let m = h.create("Wire", &pass3()).await;
    let e = h.start_exec(&m, "w", json!({"a": [1, 2]})).await;
    h.finished(&e).await;
    let (_, _, d) = post(
        &h,
        Some("AWSStepFunctions.DescribeExecution"),
        &json!({"executionArn": e}).to_string(),
    )
    .await;
    assert_eq!(d["startDate"].as_f64(), Some(t0().timestamp() as f64));
    assert!(d["input"].is_string() && d["output"].is_string());
    assert_eq!(d["inputDetails"], json!({"included": true}));
    assert_eq!(d["redriveCount"], 0);
    let (_, _, meta) = post(
        &h,
        Some("AWSStepFunctions.DescribeExecution"),
        &json!({"executionArn": e, "includedData": "METADATA_ONLY"}).to_string(),
    )
    .await;
    assert!(
        meta.get("input").is_none() && meta.get("output").is_none(),
        "{meta}"
    );
    assert_eq!(meta["status"], "SUCCEEDED");
    let (_, _, hist) = post(
        &h,
        Some("AWSStepFunctions.GetExecutionHistory"),
        &json!({"executionArn": e}).to_string(),
    )
    .await;
    let first = &hist["events"][0];
    assert_eq!(first["type"], "ExecutionStarted");
    assert_eq!(first["id"], 1);
    assert_eq!(first["previousEventId"], 0);
    assert_eq!(
        first["executionStartedEventDetails"]["input"],
        r#"{"a":[1,2]}"#
    );
    assert!(first["timestamp"].is_f64() || first["timestamp"].is_u64());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_lists_the_variables_jsonpath_states_read() {
    let h = Harness::start().await;
    let def = json!({"StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Assign": {"answer": "yes", "guess.$": "$.g"}, "Next": "CheckAnswer"},
        "CheckAnswer": {"Type": "Choice", "Choices": [{"Variable": "$guess", "StringEqualsPath": "$answer", "Next": "Done"}], "Default": "WrongAnswer"},
        "WrongAnswer": {"Type": "Pass", "Parameters": {"a.$": "$answer"}, "Next": "Done"},
        "Done": {"Type": "Succeed"}}});
    let body = json!({"name": "vars", "definition": def.to_string(), "roleArn": "arn:aws:iam::123456789012:role/r"});
    let (s, _, v) = post(
        &h,
        Some("AWSStepFunctions.CreateStateMachine"),
        &body.to_string(),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let arn = v["stateMachineArn"].as_str().unwrap().to_string();
    let (_, _, d) = post(
        &h,
        Some("AWSStepFunctions.DescribeStateMachine"),
        &json!({"stateMachineArn": arn}).to_string(),
    )
    .await;
    assert_eq!(
        d["variableReferences"],
        json!({"CheckAnswer": ["answer", "guess"], "WrongAnswer": ["answer"]})
    );
}

/// The headers SDKs read, and the refusals made before any operation runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wire_headers_and_refusals() {
    let h = Harness::start().await;
    let http = reqwest::Client::new();
    let header = |r: &reqwest::Response, name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    };
    let post = |target: &str, body: String| {
        http.post(format!("{}/", h.url))
            .header("x-amz-target", target)
            .body(body)
            .send()
    };

    let r = post("AWSStepFunctions.ListStateMachines", "{}".into())
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let id = header(&r, "x-amzn-requestid").expect("a request id");
    assert_eq!(id.len(), 36, "a UUID: {id}");
    assert_eq!(header(&r, "x-amzn-errortype"), None);

    let r = post("AWSStepFunctions.Frobnicate", "{}".into())
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(header(&r, "x-amzn-requestid").is_some());
    assert_eq!(
        header(&r, "x-amzn-errortype").as_deref(),
        Some("UnknownOperationException")
    );
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        v,
        json!({"__type": "UnknownOperationException",
            "message": "Operation AWSStepFunctions.Frobnicate is not supported by this service"})
    );

    let r = post("DynamoDB_20120810.ListTables", "{}".into())
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        v["message"],
        "Unknown operation: X-Amz-Target 'DynamoDB_20120810.ListTables' is not AWSStepFunctions.<Operation>"
    );

    let r = http
        .get(format!("{}/", h.url))
        .header("x-amz-target", "AWSStepFunctions.ListStateMachines")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        v,
        json!({"__type": "UnknownOperationException",
            "message": "GET is not supported: send POST / with an X-Amz-Target header"})
    );

    let r = post("AWSStepFunctions.ListStateMachines", "{not json".into())
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert!(v["message"]
        .as_str()
        .unwrap()
        .starts_with("The request body is not valid JSON: "));

    let r = post(
        "AWSStepFunctions.StartExecution",
        " ".repeat(8 * 1024 * 1024 + 1),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(
        header(&r, "x-amzn-errortype").as_deref(),
        Some("RequestEntityTooLargeException")
    );
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        v,
        json!({"__type": "RequestEntityTooLargeException",
            "message": "Request size exceeded 8388608 bytes"})
    );
}
