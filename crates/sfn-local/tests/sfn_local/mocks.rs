//! Step Functions Local's mock configuration: `<stateMachineArn>#<test case>` runs the
//! machine with the test case's mocked Task states; everything else runs as usual.

use crate::harness::*;
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

const MOCKS: &str = r#"{
  "StateMachines": {
    "Orders": {"TestCases": {
      "Happy": {"Charge": "Charged"},
      "RetryPath": {"Charge": "ThrottledTwice"},
      "CatchPath": {"Charge": "Declined"},
      "Callback": {"Approve": "Approved"},
      "CallbackFails": {"Approve": "Rejected"}
    }}
  },
  "MockedResponses": {
    "Charged": {"0": {"Return": {"StatusCode": 200, "Payload": {"charged": 42}}}},
    "ThrottledTwice": {
      "0-1": {"Throw": {"Error": "Lambda.TooManyRequestsException", "Cause": "slow down"}},
      "2": {"Return": {"StatusCode": 200, "Payload": {"charged": 7}}}
    },
    "Declined": {"0": {"Throw": {"Error": "Card.Declined", "Cause": "insufficient funds"}}},
    "Approved": {"0": {"Return": {"approved": true}}},
    "Rejected": {"0": {"Throw": {"Error": "Rejected", "Cause": "no"}}}
  }
}"#;

/// Charge (a Task with Retry and Catch) -> Approve (a callback task) -> Ship (never mocked).
fn orders() -> Value {
    json!({"StartAt": "Charge", "States": {
        "Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "charge", "Payload.$": "$"},
            "ResultSelector": {"charged.$": "$.Payload.charged"}, "ResultPath": "$.charge",
            "Retry": [{"ErrorEquals": ["Lambda.TooManyRequestsException"], "IntervalSeconds": 1,
                       "MaxAttempts": 3, "BackoffRate": 2}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Refund"}],
            "Next": "Approve"},
        "Approve": {"Type": "Task", "Resource": "arn:aws:states:::test:approve.waitForTaskToken",
            "Parameters": {"token.$": "$$.Task.Token"}, "ResultPath": "$.approval",
            "Catch": [{"ErrorEquals": ["Rejected"], "ResultPath": "$.error", "Next": "Refund"}],
            "Next": "Ship"},
        "Ship": {"Type": "Task", "Resource": "arn:aws:states:::test:echo",
            "Parameters": {"shipped": true}, "ResultPath": "$.ship", "End": true},
        "Refund": {"Type": "Pass", "Result": "refunded", "ResultPath": "$.refund", "End": true}
    }})
}

async fn mocked(dir: &Path) -> Harness {
    let path = dir.join("MockConfigFile.json");
    if !path.exists() {
        std::fs::write(&path, MOCKS).unwrap();
    }
    Harness::start_mocked(
        None,
        asl::ManualClock::new(t0()),
        Arc::new(FakeResources::default()),
        Some(&path),
    )
    .await
}

fn calls(h: &Harness) -> Vec<String> {
    h.fake.calls.lock().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_case_answers_its_mocked_states_and_runs_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let h = mocked(dir.path()).await;
    let arn = h.create("Orders", &orders()).await;
    let exec = h
        .start_exec(&format!("{arn}#Callback"), "cb", json!({"order": 1}))
        .await;
    // Listed under the base state machine, as Step Functions Local names them.
    assert_eq!(
        exec,
        "arn:aws:states:us-east-1:123456789012:execution:Orders:cb"
    );
    let d = h.finished(&exec).await;
    // Charge is not mocked in this case: the real (fake) integration has no lambda:invoke,
    // so it fails and is caught.
    assert_eq!(calls(&h), vec!["Charge"]);
    let out: Value = serde_json::from_str(d["output"].as_str().unwrap()).unwrap();
    assert_eq!(out["error"]["Error"], "States.TaskFailed", "{d}");

    let exec = h
        .start_exec(&format!("{arn}#Happy"), "happy", json!({"order": 2}))
        .await;
    // Approve is unmocked here: the fake gets the token; answer it as a worker would.
    let token = h.fake.token(1).await;
    let d = h.describe(&exec).await;
    assert_eq!(d["stateMachineArn"], arn.as_str());
    assert_eq!(d["status"], "RUNNING");
    h.call(
        "SendTaskSuccess",
        json!({"taskToken": token, "output": "{\"ok\":true}"}),
    )
    .await;
    let d = h.finished(&exec).await;
    assert_eq!(d["status"], "SUCCEEDED", "{d}");
    let out: Value = serde_json::from_str(d["output"].as_str().unwrap()).unwrap();
    assert_eq!(out["charge"], json!({"charged": 42}));
    assert_eq!(out["ship"], json!({"shipped": true}));
    assert_eq!(calls(&h), vec!["Charge", "Approve", "Ship"]);
    let types = h.history_types(&exec).await;
    assert_eq!(
        &types[..6],
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSucceeded",
            "TaskStateExited"
        ]
    );
    let listed = h
        .call("ListExecutions", json!({"stateMachineArn": arn}))
        .await;
    assert_eq!(listed["executions"].as_array().unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thrown_error_is_retried_by_attempt_and_caught() {
    let dir = tempfile::tempdir().unwrap();
    let h = mocked(dir.path()).await;
    let arn = h.create("Orders", &orders()).await;
    let exec = h
        .start_exec(&format!("{arn}#RetryPath"), "retry", json!({}))
        .await;
    // Attempts 0 and 1 throw (retried after 1 s, then 2 s), attempt 2 returns.
    h.armed_until(t0_plus(1)).await;
    h.clock.advance(Duration::from_secs(1));
    h.armed_until(t0_plus(3)).await;
    h.clock.advance(Duration::from_secs(2));
    h.fake.token(1).await;
    let events = h.history(&exec).await;
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types.iter().filter(|t| **t == "TaskFailed").count(),
        2,
        "{types:?}"
    );
    let failed = events.iter().find(|e| e["type"] == "TaskFailed").unwrap();
    assert_eq!(
        failed["taskFailedEventDetails"]["error"],
        "Lambda.TooManyRequestsException"
    );
    assert_eq!(failed["taskFailedEventDetails"]["cause"], "slow down");
    let ok = events
        .iter()
        .find(|e| e["type"] == "TaskSucceeded")
        .unwrap();
    assert_eq!(
        ok["taskSucceededEventDetails"]["output"],
        "{\"StatusCode\":200,\"Payload\":{\"charged\":7}}"
    );
    assert!(!calls(&h).contains(&"Charge".to_string()));

    let exec = h
        .start_exec(&format!("{arn}#CatchPath"), "catch", json!({}))
        .await;
    let d = h.finished(&exec).await;
    assert_eq!(d["status"], "SUCCEEDED", "{d}");
    let out: Value = serde_json::from_str(d["output"].as_str().unwrap()).unwrap();
    assert_eq!(
        out["error"],
        json!({"Error": "Card.Declined", "Cause": "insufficient funds"})
    );
    assert_eq!(out["refund"], "refunded");
    let types = h.history_types(&exec).await;
    assert!(types.contains(&"TaskFailed".to_string()));
    assert!(types.contains(&"PassStateEntered".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_task_is_completed_by_its_mock() {
    let dir = tempfile::tempdir().unwrap();
    let mut text: Value = serde_json::from_str(MOCKS).unwrap();
    text["StateMachines"]["Orders"]["TestCases"]["Callback"]["Charge"] = json!("Charged");
    text["StateMachines"]["Orders"]["TestCases"]["CallbackFails"]["Charge"] = json!("Charged");
    std::fs::write(dir.path().join("MockConfigFile.json"), text.to_string()).unwrap();
    let h = mocked(dir.path()).await;
    let arn = h.create("Orders", &orders()).await;
    let exec = h
        .start_exec(&format!("{arn}#Callback"), "ok", json!({}))
        .await;
    let d = h.finished(&exec).await;
    assert_eq!(d["status"], "SUCCEEDED", "{d}");
    let out: Value = serde_json::from_str(d["output"].as_str().unwrap()).unwrap();
    assert_eq!(out["approval"], json!({"approved": true}));
    let types = h.history_types(&exec).await;
    let approve: Vec<&str> = types[6..11].iter().map(String::as_str).collect();
    assert_eq!(
        approve,
        [
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSubmitted",
            "TaskSucceeded"
        ]
    );
    let events = h.history(&exec).await;
    let submitted = events
        .iter()
        .find(|e| e["type"] == "TaskSubmitted")
        .unwrap();
    assert_eq!(
        submitted["taskSubmittedEventDetails"]["output"],
        "{\"approved\":true}"
    );
    // Only the unmocked Ship called its integration; no token went to a worker.
    assert_eq!(calls(&h), vec!["Ship"]);

    let exec = h
        .start_exec(&format!("{arn}#CallbackFails"), "no", json!({}))
        .await;
    let d = h.finished(&exec).await;
    assert_eq!(d["status"], "SUCCEEDED", "{d}");
    let out: Value = serde_json::from_str(d["output"].as_str().unwrap()).unwrap();
    assert_eq!(out["error"], json!({"Error": "Rejected", "Cause": "no"}));
    let types = h.history_types(&exec).await;
    assert!(types
        .windows(2)
        .any(|w| w[0] == "TaskSubmitted" && w[1] == "TaskFailed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_test_case_is_refused_and_a_sync_express_start_is_mocked() {
    let dir = tempfile::tempdir().unwrap();
    let h = mocked(dir.path()).await;
    let arn = h.create("Orders", &orders()).await;
    let e = h
        .svc
        .handle(
            "StartExecution",
            json!({"stateMachineArn": format!("{arn}#Nope"), "input": "{}"}),
        )
        .await
        .unwrap_err();
    assert_eq!(e.type_name(), "InvalidName");
    assert!(e.message().contains("'Nope'"), "{}", e.message());

    let express = json!({"StartAt": "Charge", "States": {
        "Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "charge"}, "OutputPath": "$.Payload", "End": true}}});
    let mut text: Value = serde_json::from_str(MOCKS).unwrap();
    text["StateMachines"]["Fast"] = json!({"TestCases": {"Happy": {"Charge": "Charged"}}});
    std::fs::write(dir.path().join("MockConfigFile.json"), text.to_string()).unwrap();
    let fast = h.create_typed("Fast", &express, "EXPRESS").await;
    let out = h
        .call(
            "StartSyncExecution",
            json!({"stateMachineArn": format!("{fast}#Happy"), "input": "{}"}),
        )
        .await;
    assert_eq!(out["status"], "SUCCEEDED", "{out}");
    assert_eq!(out["output"], "{\"charged\":42}");
    assert_eq!(out["stateMachineArn"], fast.as_str());
    // Without a mock configuration, a test case is refused too.
    let plain = Harness::start().await;
    let arn = plain.create("Orders", &orders()).await;
    let e = plain
        .svc
        .handle(
            "StartExecution",
            json!({"stateMachineArn": format!("{arn}#Happy")}),
        )
        .await
        .unwrap_err();
    assert_eq!(e.type_name(), "InvalidName");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_file_is_picked_up_and_a_broken_one_keeps_the_last_good() {
    let dir = tempfile::tempdir().unwrap();
    let h = mocked(dir.path()).await;
    let arn = h.create("Orders", &orders()).await;
    let path = dir.path().join("MockConfigFile.json");
    let changed = MOCKS.replace("\"CatchPath\"", "\"Declined\"");
    std::fs::write(&path, &changed).unwrap();
    let exec = h
        .start_exec(&format!("{arn}#Declined"), "changed", json!({}))
        .await;
    let d = h.finished(&exec).await;
    assert_eq!(d["status"], "SUCCEEDED", "{d}");
    std::fs::write(&path, "{\"StateMachines\": oops").unwrap();
    // The broken file is reported and ignored: the last good one still answers.
    let exec = h
        .start_exec(&format!("{arn}#Declined"), "kept", json!({}))
        .await;
    let d = h.finished(&exec).await;
    assert_eq!(d["status"], "SUCCEEDED", "{d}");
    // And a bad file is refused at start, with where it is wrong.
    let e = sfn_local::MockSource::load(&path).unwrap_err();
    assert_eq!(e.at, "line 1, column 19");
    assert!(e.to_string().contains("MockConfigFile.json"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_case_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mocks = dir.path().join("MockConfigFile.json");
    std::fs::write(&mocks, MOCKS).unwrap();
    let state = dir.path().join("state");
    let waiting = json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 30, "Next": "Charge"},
        "Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "charge"}, "OutputPath": "$.Payload", "End": true}}});
    let clock = asl::ManualClock::new(t0());
    let fake = Arc::new(FakeResources::default());
    let h = Harness::start_mocked(Some(state.clone()), clock.clone(), fake, Some(&mocks)).await;
    let arn = h.create("Orders", &waiting).await;
    let exec = h
        .start_exec(&format!("{arn}#Happy"), "later", json!({}))
        .await;
    h.sleeping(1).await;
    h.stop();
    let fake = Arc::new(FakeResources::default());
    let h = Harness::start_mocked(Some(state), clock.clone(), fake, Some(&mocks)).await;
    h.sleeping(1).await;
    clock.advance(Duration::from_secs(30));
    let d = h.finished(&exec).await;
    assert_eq!(d["status"], "SUCCEEDED", "{d}");
    assert_eq!(d["output"], "{\"charged\":42}");
    assert!(calls(&h).is_empty());
}
