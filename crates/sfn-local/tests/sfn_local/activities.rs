//! Activities: Create/Describe/List/DeleteActivity, GetActivityTask's long poll, Task states
//! on an activity (its events, heartbeats and timeouts), answered with SendTask*, kept
//! across a restart.

use crate::harness::*;
use aws_sdk_sfn::error::ProvideErrorMetadata;
use serde_json::{json, Value};
use std::time::Duration;

/// A machine whose one state is a task of `activity`.
fn activity_machine(activity: &str) -> Value {
    json!({"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": activity,
        "TimeoutSeconds": 300, "HeartbeatSeconds": 60, "End": true}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activities_are_created_listed_described_and_deleted() {
    let h = Harness::start().await;
    let sdk = h.sdk();
    let a = sdk.create_activity().name("Approve").send().await.unwrap();
    let arn = a.activity_arn().to_string();
    assert_eq!(
        arn,
        "arn:aws:states:us-east-1:123456789012:activity:Approve"
    );
    // Idempotent: the same name answers the same activity.
    let again = sdk.create_activity().name("Approve").send().await.unwrap();
    assert_eq!(again.activity_arn(), arn);
    assert_eq!(again.creation_date(), a.creation_date());
    sdk.create_activity().name("Second").send().await.unwrap();
    let d = sdk
        .describe_activity()
        .activity_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(d.name(), "Approve");
    let list = sdk.list_activities().max_results(1).send().await.unwrap();
    assert_eq!(list.activities()[0].name(), "Approve");
    let next = sdk
        .list_activities()
        .next_token(list.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(next.activities()[0].name(), "Second");
    let bad = sdk
        .create_activity()
        .name("bad name")
        .send()
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Some("InvalidName"));
    sdk.delete_activity()
        .activity_arn(&arn)
        .send()
        .await
        .unwrap();
    let gone = sdk
        .describe_activity()
        .activity_arn(&arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(gone.code(), Some("ActivityDoesNotExist"));
    let poll = sdk
        .get_activity_task()
        .activity_arn(&arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(poll.code(), Some("ActivityDoesNotExist"));
    let not_arn = sdk
        .describe_activity()
        .activity_arn("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(not_arn.code(), Some("InvalidArn"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_takes_the_task_and_answers_it() {
    let h = Harness::start().await;
    let sdk = h.sdk();
    let arn = h.svc.create_activity("Approve").unwrap();
    let m = h.create("UsesActivity", &activity_machine(&arn)).await;
    let e = h.start_exec(&m, "job", json!({"order": 7})).await;
    let task = sdk
        .get_activity_task()
        .activity_arn(&arn)
        .worker_name("worker-1")
        .send()
        .await
        .unwrap();
    let token = task.task_token().expect("a task").to_string();
    assert_eq!(task.input(), Some(r#"{"order":7}"#));
    sdk.send_task_heartbeat()
        .task_token(&token)
        .send()
        .await
        .unwrap();
    sdk.send_task_success()
        .task_token(&token)
        .output(r#"{"approved":true}"#)
        .send()
        .await
        .unwrap();
    let d = h.finished(&e).await;
    assert_eq!(d["status"], "SUCCEEDED");
    assert_eq!(d["output"], r#"{"approved":true}"#);
    assert_eq!(
        h.history_types(&e).await,
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "ActivityScheduled",
            "ActivityStarted",
            "ActivitySucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
    let events = h.history(&e).await;
    assert_eq!(
        events[2]["activityScheduledEventDetails"],
        json!({"resource": arn, "input": "{\"order\":7}", "inputDetails": {"truncated": false},
               "timeoutInSeconds": 300, "heartbeatInSeconds": 60})
    );
    assert_eq!(
        events[3]["activityStartedEventDetails"],
        json!({"workerName": "worker-1"})
    );
    // The token is answered once.
    let late = sdk
        .send_task_success()
        .task_token(&token)
        .output("{}")
        .send()
        .await
        .unwrap_err();
    assert_eq!(late.code(), Some("TaskDoesNotExist"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missed_heartbeat_times_the_activity_out() {
    let h = Harness::start().await;
    let arn = h.svc.create_activity("Slow").unwrap();
    let m = h.create("Slow", &activity_machine(&arn)).await;
    let e = h.start_exec(&m, "slow", json!({})).await;
    let task = h
        .call(
            "GetActivityTask",
            json!({"activityArn": arn, "workerName": "w"}),
        )
        .await;
    assert!(task["taskToken"].is_string());
    // The heartbeat is armed from the worker's start (the engine records it just after
    // GetActivityTask answers): a settled advance lets that happen before time moves.
    let now = asl::Clock::now(&h.clock);
    h.clock
        .advance_settled(now + chrono::Duration::seconds(61))
        .await;
    let d = h.finished(&e).await;
    assert_eq!(d["status"], "FAILED");
    assert_eq!(d["error"], "States.HeartbeatTimeout");
    let types = h.history_types(&e).await;
    assert!(types.contains(&"ActivityTimedOut".to_string()), "{types:?}");
    let answer = h
        .svc
        .handle(
            "SendTaskSuccess",
            json!({"taskToken": task["taskToken"], "output": "{}"}),
        )
        .await
        .unwrap_err();
    assert_eq!(answer.type_name(), "TaskTimedOut");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_activity_task_waits_up_to_sixty_seconds() {
    let h = Harness::start().await;
    let arn = h.svc.create_activity("Idle").unwrap();
    let svc = h.svc.clone();
    let poll_arn = arn.clone();
    let poll = tokio::spawn(async move {
        svc.handle("GetActivityTask", json!({"activityArn": poll_arn}))
            .await
            .unwrap()
    });
    h.sleeping(1).await;
    h.clock.advance(Duration::from_secs(59));
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!poll.is_finished(), "still waiting before 60 s");
    h.clock.advance(Duration::from_secs(1));
    let out = tokio::time::timeout(Duration::from_secs(5), poll)
        .await
        .expect("answered at 60 s")
        .unwrap();
    assert_eq!(out, json!({}));
    // A waiting poll gets a task offered meanwhile.
    let svc = h.svc.clone();
    let poll_arn = arn.clone();
    let poll = tokio::spawn(async move {
        svc.handle("GetActivityTask", json!({"activityArn": poll_arn}))
            .await
            .unwrap()
    });
    let m = h.create("Idle", &activity_machine(&arn)).await;
    h.start_exec(&m, "later", json!({"x": 1})).await;
    let out = tokio::time::timeout(Duration::from_secs(5), poll)
        .await
        .expect("the offered task")
        .unwrap();
    assert_eq!(out["input"], r#"{"x":1}"#);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activities_and_their_tasks_are_kept_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let clock = asl::ManualClock::new(t0());
    let h = Harness::start_in(dir.path(), clock.clone()).await;
    let arn = h.svc.create_activity("Durable").unwrap();
    let m = h.create("Durable", &activity_machine(&arn)).await;
    let e = h.start_exec(&m, "durable", json!({"n": 1})).await;
    // Recorded as scheduled before the restart; nobody took it.
    for _ in 0..100 {
        if h.history_types(&e)
            .await
            .contains(&"ActivityScheduled".into())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    h.stop();
    let h = Harness::start_in(dir.path(), clock.clone()).await;
    let listed = h.call("ListActivities", json!({})).await;
    assert_eq!(listed["activities"][0]["activityArn"], arn);
    let task = h
        .call(
            "GetActivityTask",
            json!({"activityArn": arn, "workerName": "after"}),
        )
        .await;
    assert_eq!(task["input"], r#"{"n":1}"#);
    h.call(
        "SendTaskSuccess",
        json!({"taskToken": task["taskToken"], "output": "{\"done\":1}"}),
    )
    .await;
    let d = h.finished(&e).await;
    assert_eq!(d["status"], "SUCCEEDED");
    let types = h.history_types(&e).await;
    assert_eq!(
        types.iter().filter(|t| *t == "ActivityScheduled").count(),
        1,
        "scheduled once, offered again after the restart: {types:?}"
    );
}

/// The README's shell worker, as written there, run with the aws CLI against the service.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the aws CLI (run with --include-ignored)"]
async fn the_readme_shell_worker_runs_an_activity_to_completion() {
    let readme = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"),
    )
    .unwrap();
    let block = readme
        .split("<!-- activity-worker:begin -->")
        .nth(1)
        .and_then(|rest| rest.split("<!-- activity-worker:end -->").next())
        .expect("the README's activity worker block");
    let script = block
        .trim()
        .trim_start_matches("```bash")
        .trim_end_matches("```")
        .to_string();
    let h = Harness::start().await;
    let cli = aws_cli();
    let path = format!(
        "{}:{}",
        cli.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let url = h.url.clone();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("bash")
            .args(["-euo", "pipefail", "-c", &script])
            .env("PATH", path)
            .env("AWS_ENDPOINT_URL", url)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_PAGER", "")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "the README worker failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let exec = "arn:aws:states:us-east-1:123456789012:execution:activity-demo:demo-1";
    let d = h.finished(exec).await;
    assert_eq!(d["status"], "SUCCEEDED", "{d}");
    assert_eq!(d["output"], r#"{"worked":{"n":1}}"#);
    let types = h.history_types(exec).await;
    assert!(types.contains(&"ActivityStarted".to_string()), "{types:?}");
}
