//! The real aws CLI against the in-process endpoint. Without the CLI these tests fail
//! (see `harness::aws_cli`): run the project's test script, which installs it.

use crate::harness::*;
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the aws CLI; scripts/test.sh runs it (--include-ignored)"]
async fn cli_state_machines() {
    let h = Harness::start().await;
    let def = pass3().to_string();
    let created = h
        .cli(&[
            "create-state-machine",
            "--name",
            "CliM",
            "--definition",
            &def,
            "--role-arn",
            ROLE,
        ])
        .await
        .json();
    let arn = created["stateMachineArn"].as_str().unwrap().to_string();
    assert_eq!(
        arn,
        "arn:aws:states:us-east-1:123456789012:stateMachine:CliM"
    );
    for i in 0..3 {
        h.create(&format!("Other{i}"), &pass3()).await;
    }

    let bad = r#"{"StartAt":"A","States":{"A":{"Type":"Task","End":true}}}"#;
    let r = h
        .cli(&[
            "create-state-machine",
            "--name",
            "Bad",
            "--definition",
            bad,
            "--role-arn",
            ROLE,
        ])
        .await;
    assert_eq!(r.error_code(), "InvalidDefinition");
    assert!(
        r.stderr.contains("Resource"),
        "the message names the field: {}",
        r.stderr
    );
    let r = h
        .cli(&[
            "create-state-machine",
            "--name",
            "bad name",
            "--definition",
            &def,
            "--role-arn",
            ROLE,
        ])
        .await;
    assert_eq!(r.error_code(), "InvalidName");

    let d = h
        .cli(&["describe-state-machine", "--state-machine-arn", &arn])
        .await
        .json();
    assert_eq!(d["name"], "CliM");
    assert_eq!(d["type"], "STANDARD");
    assert_eq!(d["status"], "ACTIVE");

    // --page-size makes the CLI follow nextToken page by page.
    let l = h
        .cli(&["list-state-machines", "--page-size", "1"])
        .await
        .json();
    let names: Vec<_> = l["stateMachines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["CliM", "Other0", "Other1", "Other2"]);
    let r = h.cli(&["list-state-machines", "--page-size", "1001"]).await;
    assert_eq!(r.error_code(), "ValidationException");

    let v2 = r#"{"StartAt":"Z","States":{"Z":{"Type":"Pass","End":true}}}"#;
    h.cli(&[
        "update-state-machine",
        "--state-machine-arn",
        &arn,
        "--definition",
        v2,
    ])
    .await
    .json();
    let d = h
        .cli(&["describe-state-machine", "--state-machine-arn", &arn])
        .await
        .json();
    assert_eq!(d["definition"], v2);

    let v = h
        .cli(&["validate-state-machine-definition", "--definition", bad])
        .await
        .json();
    assert_eq!(v["result"], "FAIL");
    assert!(!v["diagnostics"].as_array().unwrap().is_empty());

    h.cli(&["delete-state-machine", "--state-machine-arn", &arn])
        .await
        .json();
    let r = h
        .cli(&["describe-state-machine", "--state-machine-arn", &arn])
        .await;
    assert_eq!(r.error_code(), "StateMachineDoesNotExist");
    let r = h
        .cli(&["describe-state-machine", "--state-machine-arn", "arn:nope"])
        .await;
    assert_eq!(r.error_code(), "InvalidArn");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the aws CLI; scripts/test.sh runs it (--include-ignored)"]
async fn cli_executions() {
    let h = Harness::start().await;
    let m = h.create("CliWait", &wait_machine(60)).await;
    let a = h
        .cli(&[
            "start-execution",
            "--state-machine-arn",
            &m,
            "--name",
            "e1",
            "--input",
            r#"{"k":1}"#,
        ])
        .await
        .json();
    let b = h
        .cli(&[
            "start-execution",
            "--state-machine-arn",
            &m,
            "--name",
            "e1",
            "--input",
            r#"{"k":1}"#,
        ])
        .await
        .json();
    assert_eq!(
        a, b,
        "same name and input while running: the same execution"
    );
    let r = h
        .cli(&[
            "start-execution",
            "--state-machine-arn",
            &m,
            "--name",
            "e1",
            "--input",
            r#"{"k":2}"#,
        ])
        .await;
    assert_eq!(r.error_code(), "ExecutionAlreadyExists");
    let r = h
        .cli(&[
            "start-execution",
            "--state-machine-arn",
            &m,
            "--input",
            "not json",
        ])
        .await;
    assert_eq!(r.error_code(), "InvalidExecutionInput");
    let r = h
        .cli(&[
            "start-execution",
            "--state-machine-arn",
            &m,
            "--name",
            "a b",
        ])
        .await;
    assert_eq!(r.error_code(), "InvalidName");
    let exec = a["executionArn"].as_str().unwrap().to_string();
    h.start_exec(&m, "e2", json!({})).await;

    let d = h
        .cli(&["describe-execution", "--execution-arn", &exec])
        .await
        .json();
    assert_eq!(d["status"], "RUNNING");
    assert_eq!(d["input"], r#"{"k":1}"#);
    let l = h
        .cli(&[
            "list-executions",
            "--state-machine-arn",
            &m,
            "--status-filter",
            "RUNNING",
            "--page-size",
            "1",
        ])
        .await
        .json();
    let names: Vec<_> = l["executions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["e2", "e1"]);

    let s = h
        .cli(&[
            "stop-execution",
            "--execution-arn",
            &exec,
            "--error",
            "Stop",
            "--cause",
            "by cli",
        ])
        .await
        .json();
    assert!(s["stopDate"].is_number());
    let d = h
        .cli(&["describe-execution", "--execution-arn", &exec])
        .await
        .json();
    assert_eq!(d["status"], "ABORTED");
    assert_eq!(d["error"], "Stop");

    let hist = h
        .cli(&[
            "get-execution-history",
            "--execution-arn",
            &exec,
            "--reverse-order",
            "--page-size",
            "1",
        ])
        .await
        .json();
    let types: Vec<_> = hist["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(types.first(), Some(&"ExecutionAborted"));
    assert_eq!(types.last(), Some(&"ExecutionStarted"));

    let f = h
        .cli(&[
            "describe-state-machine-for-execution",
            "--execution-arn",
            &exec,
        ])
        .await
        .json();
    assert_eq!(f["stateMachineArn"], m.as_str());
    let r = h
        .cli(&[
            "describe-execution",
            "--execution-arn",
            "arn:aws:states:us-east-1:123456789012:execution:CliWait:none",
        ])
        .await;
    assert_eq!(r.error_code(), "ExecutionDoesNotExist");
    let r = h
        .cli(&["get-execution-history", "--execution-arn", "bogus"])
        .await;
    assert_eq!(r.error_code(), "InvalidArn");
    let r = h
        .cli(&[
            "list-executions",
            "--state-machine-arn",
            "arn:aws:states:us-east-1:123456789012:stateMachine:none",
        ])
        .await;
    assert_eq!(r.error_code(), "StateMachineDoesNotExist");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the aws CLI; scripts/test.sh runs it (--include-ignored)"]
async fn cli_task_tokens() {
    let h = Harness::start().await;
    let m = h.create("CliCb", &callback_machine(Some(30))).await;
    let e1 = h.start_exec(&m, "ok", json!({})).await;
    let t1 = h.fake.token(1).await;
    h.cli(&["send-task-heartbeat", "--task-token", &t1])
        .await
        .json();
    h.cli(&[
        "send-task-success",
        "--task-token",
        &t1,
        "--task-output",
        r#"{"r":1}"#,
    ])
    .await
    .json();
    assert_eq!(h.finished(&e1).await["output"], r#"{"r":1}"#);
    let r = h
        .cli(&[
            "send-task-success",
            "--task-token",
            &t1,
            "--task-output",
            "{}",
        ])
        .await;
    assert_eq!(r.error_code(), "TaskDoesNotExist");
    let r = h
        .cli(&[
            "send-task-success",
            "--task-token",
            "garbage",
            "--task-output",
            "{}",
        ])
        .await;
    assert_eq!(r.error_code(), "InvalidToken");

    let e2 = h.start_exec(&m, "fail", json!({})).await;
    let t2 = h.fake.token(2).await;
    h.cli(&[
        "send-task-failure",
        "--task-token",
        &t2,
        "--error",
        "E",
        "--cause",
        "C",
    ])
    .await
    .json();
    let d = h.finished(&e2).await;
    assert_eq!(
        (d["status"].as_str(), d["error"].as_str()),
        (Some("FAILED"), Some("E"))
    );

    let e3 = h.start_exec(&m, "late", json!({})).await;
    let t3 = h.fake.token(3).await;
    h.sleeping(1).await;
    h.clock.advance(Duration::from_secs(31));
    assert_eq!(h.finished(&e3).await["error"], "States.HeartbeatTimeout");
    let r = h.cli(&["send-task-heartbeat", "--task-token", &t3]).await;
    assert_eq!(r.error_code(), "TaskTimedOut");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the aws CLI; scripts/test.sh runs it (--include-ignored)"]
async fn cli_express_sync() {
    let h = Harness::start().await;
    let m = h.create_typed("CliFast", &pass3(), "EXPRESS").await;
    let out = h
        .cli(&[
            "start-sync-execution",
            "--state-machine-arn",
            &m,
            "--input",
            r#"{"z":0}"#,
        ])
        .await
        .json();
    assert_eq!(out["status"], "SUCCEEDED");
    let o: serde_json::Value = serde_json::from_str(out["output"].as_str().unwrap()).unwrap();
    assert_eq!(o, json!({"z": 0, "b": {"b": 1}}));
    let std_m = h.create("CliStd", &pass3()).await;
    let r = h
        .cli(&["start-sync-execution", "--state-machine-arn", &std_m])
        .await;
    assert_eq!(r.error_code(), "StateMachineTypeNotSupported");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the aws CLI; scripts/test.sh runs it (--include-ignored)"]
async fn cli_test_state_with_every_new_field() {
    let h = Harness::start().await;
    let task = json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "f", "Payload.$": "$"}, "ResultPath": "$.r",
        "Retry": [{"ErrorEquals": ["Boom"], "MaxAttempts": 2, "IntervalSeconds": 3}],
        "Next": "Next"})
    .to_string();
    let out = h
        .cli(&[
            "test-state",
            "--definition",
            &task,
            "--input",
            "{\"a\": 1}",
            "--inspection-level",
            "DEBUG",
            "--mock",
            "{\"result\": \"{\\\"StatusCode\\\": 200}\", \"fieldValidationMode\": \"STRICT\"}",
            "--variables",
            "{\"v\": 1}",
        ])
        .await
        .json();
    assert_eq!(out["status"], "SUCCEEDED", "{out}");
    assert_eq!(out["nextState"], "Next");
    assert_eq!(out["output"], "{\"a\":1,\"r\":{\"StatusCode\":200}}");
    assert_eq!(out["inspectionData"]["variables"], "{\"v\":1}");
    let out = h
        .cli(&[
            "test-state",
            "--definition",
            &task,
            "--inspection-level",
            "TRACE",
            "--mock",
            "{\"errorOutput\": {\"error\": \"Boom\", \"cause\": \"bang\"}}",
            "--state-configuration",
            "{\"retrierRetryCount\": 1}",
            "--context",
            "{\"Execution\": {\"Name\": \"e\"}}",
        ])
        .await
        .json();
    assert_eq!(out["status"], "RETRIABLE", "{out}");
    assert_eq!(
        out["inspectionData"]["errorDetails"],
        json!({"retryIndex": 0, "retryBackoffIntervalSeconds": 6})
    );
    let machine = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Result": 1, "Next": "B"}, "B": {"Type": "Succeed"}}})
    .to_string();
    let out = h
        .cli(&["test-state", "--definition", &machine, "--state-name", "A"])
        .await
        .json();
    assert_eq!(
        out,
        json!({"output": "1", "nextState": "B", "status": "SUCCEEDED"})
    );
    let r = h
        .cli(&["test-state", "--definition", &machine, "--state-name", "Z"])
        .await;
    assert_eq!(r.error_code(), "ValidationException");
    assert!(
        r.stderr.contains("State not found in definition"),
        "{}",
        r.stderr
    );
}
