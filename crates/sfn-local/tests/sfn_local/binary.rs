//! The standalone binary: it prints one line when listening, and a SIGKILL loses nothing.

use aws_json::client::Client;
use serde_json::{json, Value};
use sfn_local::standalone::Standalone;
use std::path::Path;
use std::time::Duration;

fn spawn(state_dir: &std::path::Path) -> Standalone {
    Standalone::spawn(
        Path::new(env!("CARGO_BIN_EXE_sfn-local")),
        [
            "--port".as_ref(),
            "0".as_ref(),
            "--state-dir".as_ref(),
            state_dir.as_os_str(),
        ],
    )
    .expect("spawn sfn-local")
}

async fn call(url: &str, op: &str, body: Value) -> Value {
    Client::new(url, sfn_local::TARGET_PREFIX)
        .call(op, &body)
        .await
        .unwrap_or_else(|e| panic!("{op}: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_binary_resumes_its_executions() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = spawn(dir.path());
    let def = json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 1, "Next": "T"},
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"}, "End": true}}});
    let m = call(&p.url, "CreateStateMachine", json!({"name": "K", "definition": def.to_string(), "roleArn": "arn:aws:iam::123456789012:role/r"})).await;
    let m = m["stateMachineArn"].as_str().unwrap().to_string();
    let e = call(
        &p.url,
        "StartExecution",
        json!({"stateMachineArn": m, "name": "k1"}),
    )
    .await;
    let e = e["executionArn"].as_str().unwrap().to_string();
    p.child.kill().unwrap(); // SIGKILL
    p.child.wait().unwrap();
    drop(p);

    let p2 = spawn(dir.path());
    let mut d = Value::Null;
    for _ in 0..300 {
        d = call(&p2.url, "DescribeExecution", json!({"executionArn": e})).await;
        if d["status"] != "RUNNING" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The Task has no resource in the standalone binary.
    assert_eq!(d["status"], "FAILED", "{d}");
    assert_eq!(d["error"], "States.TaskFailed");
    assert!(
        d["cause"]
            .as_str()
            .unwrap()
            .contains("No resource is configured"),
        "{d}"
    );
    let hist = call(&p2.url, "GetExecutionHistory", json!({"executionArn": e})).await;
    let types: Vec<&str> = hist["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types[..3],
        ["ExecutionStarted", "WaitStateEntered", "WaitStateExited"]
    );
    let waited = d["stopDate"].as_f64().unwrap() - d["startDate"].as_f64().unwrap();
    assert!(waited >= 1.0, "the wait kept its original target: {waited}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_takes_a_mock_configuration_and_refuses_a_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"MockedResponses\": {\"R\": {\"0\": {}}}}").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sfn-local"))
        .args(["--port", "0", "--in-memory"])
        .env("SFN_MOCK_CONFIG", &bad)
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.json") && err.contains("$.MockedResponses.R.0"),
        "{err}"
    );

    let good = dir.path().join("good.json");
    let config = json!({"StateMachines": {"M": {"TestCases": {"Ok": {"T": "R"}}}},
        "MockedResponses": {"R": {"0": {"Return": {"mocked": true}}}}});
    std::fs::write(&good, config.to_string()).unwrap();
    let bin = Standalone::spawn(
        Path::new(env!("CARGO_BIN_EXE_sfn-local")),
        [
            "--port".as_ref(),
            "0".as_ref(),
            "--in-memory".as_ref(),
            "--mock-config".as_ref(),
            good.as_os_str(),
        ],
    )
    .expect("spawn sfn-local");
    let def = json!({"StartAt": "T", "States": {"T": {"Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"},
        "End": true}}});
    let created = call(
        &bin.url,
        "CreateStateMachine",
        json!({"name": "M", "definition": def.to_string(),
               "roleArn": "arn:aws:iam::123456789012:role/r"}),
    )
    .await;
    let arn = created["stateMachineArn"].as_str().unwrap();
    let started = call(
        &bin.url,
        "StartExecution",
        json!({"stateMachineArn": format!("{arn}#Ok"), "name": "e"}),
    )
    .await;
    let exec = started["executionArn"].as_str().unwrap().to_string();
    let mut d = json!({});
    for _ in 0..200 {
        d = call(&bin.url, "DescribeExecution", json!({"executionArn": exec})).await;
        if d["status"] != "RUNNING" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(d["status"], "SUCCEEDED", "{d}");
    assert_eq!(d["output"], "{\"mocked\":true}");
}
