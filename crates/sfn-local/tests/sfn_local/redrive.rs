//! RedriveExecution: a failed callback, a timed-out wait-until job and a Map with a failed
//! iteration each go on from the state they ended in; what DescribeExecution,
//! ListExecutions and the history show; AWS's refusals; a redrive kept across a restart.

use crate::harness::*;
use aws_sdk_sfn::error::ProvideErrorMetadata;
use aws_sdk_sfn::types::{ExecutionRedriveFilter, ExecutionRedriveStatus, ExecutionStatus};
use serde_json::{json, Value};
use std::sync::atomic::Ordering;

fn error_of<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    r: Result<T, E>,
) -> (String, String) {
    let e = r.expect_err("expected an error");
    (
        e.code().unwrap_or_default().to_string(),
        e.message().unwrap_or_default().to_string(),
    )
}

/// The event types from the first `ExecutionRedriven` on.
async fn after_redrive(h: &Harness, exec: &str) -> Vec<String> {
    let t = h.history_types(exec).await;
    let p = t
        .iter()
        .position(|x| x == "ExecutionRedriven")
        .expect("no ExecutionRedriven event");
    t[p..].to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_callback_is_redriven_from_the_sdk() {
    let h = Harness::start().await;
    let sdk = h.sdk();
    let m = h.create("Cb", &callback_machine(None)).await;
    let e = h.start_exec(&m, "cb-1", json!({"job": 1})).await;
    let first = h.fake.token(1).await;
    h.call(
        "SendTaskFailure",
        json!({"taskToken": first, "error": "Nope", "cause": "the worker gave up"}),
    )
    .await;
    let d = h.finished(&e).await;
    assert_eq!(d["status"], "FAILED");
    assert_eq!(d["redriveStatus"], "REDRIVABLE");
    assert!(d.get("redriveStatusReason").is_none());

    h.clock.advance(std::time::Duration::from_secs(60));
    let redrive = || {
        sdk.redrive_execution()
            .execution_arn(&e)
            .client_token("retry-1")
            .send()
    };
    let date = redrive().await.unwrap().redrive_date().secs();
    assert_eq!(date, t0_plus(60).timestamp());
    let d = sdk
        .describe_execution()
        .execution_arn(&e)
        .send()
        .await
        .unwrap();
    assert_eq!(d.status(), &ExecutionStatus::Running);
    assert_eq!(d.redrive_count(), Some(1));
    assert_eq!(d.redrive_date().map(|t| t.secs()), Some(date));
    assert_eq!(
        d.redrive_status(),
        Some(&ExecutionRedriveStatus::NotRedrivable)
    );
    assert_eq!(
        d.redrive_status_reason(),
        Some("Execution is RUNNING and cannot be redriven")
    );
    assert!(d.stop_date().is_none() && d.error().is_none());

    // The same client token answers the same redrive; it does not redrive again.
    assert_eq!(redrive().await.unwrap().redrive_date().secs(), date);

    // The callback state is entered again and waits on a new token.
    let second = h.fake.token(2).await;
    assert_ne!(first, second);
    h.call(
        "SendTaskSuccess",
        json!({"taskToken": second, "output": "{\"ok\":true}"}),
    )
    .await;
    let d = h.finished(&e).await;
    assert_eq!(d["status"], "SUCCEEDED");
    assert_eq!(d["redriveCount"], 1);
    assert_eq!(d["redriveStatus"], "NOT_REDRIVABLE");
    assert_eq!(
        d["redriveStatusReason"],
        "Execution is SUCCEEDED and cannot be redriven"
    );
    assert_eq!(
        after_redrive(&h, &e).await,
        [
            "ExecutionRedriven",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSubmitted",
            "TaskSucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
    let events = h.history(&e).await;
    let redriven = events
        .iter()
        .find(|v| v["type"] == "ExecutionRedriven")
        .unwrap();
    assert_eq!(
        redriven["executionRedrivenEventDetails"],
        json!({"redriveCount": 1})
    );
    let ids: Vec<u64> = events.iter().map(|v| v["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, (1..=ids.len() as u64).collect::<Vec<_>>());

    // ListExecutions shows the redrive and filters on it.
    let other = h.start_exec(&m, "cb-2", json!({})).await;
    let list = |f: ExecutionRedriveFilter| {
        sdk.list_executions()
            .state_machine_arn(&m)
            .redrive_filter(f)
            .send()
    };
    let redriven = list(ExecutionRedriveFilter::Redriven).await.unwrap();
    let names: Vec<&str> = redriven.executions().iter().map(|x| x.name()).collect();
    assert_eq!(names, ["cb-1"]);
    assert_eq!(redriven.executions()[0].redrive_count(), Some(1));
    assert_eq!(
        redriven.executions()[0].redrive_date().map(|t| t.secs()),
        Some(date)
    );
    let not = list(ExecutionRedriveFilter::NotRedriven).await.unwrap();
    let names: Vec<&str> = not.executions().iter().map(|x| x.name()).collect();
    assert_eq!(names, ["cb-2"]);
    let _ = other;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_cannot_be_redriven_is_refused_with_aws_reasons() {
    let h = Harness::start().await;
    let sdk = h.sdk();
    let redrive = |arn: String| sdk.redrive_execution().execution_arn(arn).send();
    let waits = h.create("Waits", &wait_machine(600)).await;
    let running = h.start_exec(&waits, "running", json!({})).await;
    assert_eq!(
        error_of(redrive(running.clone()).await),
        (
            "ExecutionNotRedrivable".into(),
            "Execution is RUNNING and cannot be redriven".into()
        )
    );
    let quick = h.create("Quick", &pass3()).await;
    let done = h.start_exec(&quick, "done", json!({})).await;
    h.finished(&done).await;
    assert_eq!(
        error_of(redrive(done).await),
        (
            "ExecutionNotRedrivable".into(),
            "Execution is SUCCEEDED and cannot be redriven".into()
        )
    );
    let fails = h
        .create(
            "Fails",
            &json!({"StartAt": "F", "States": {"F": {"Type": "Task", "Resource": "arn:aws:states:::test:fail", "End": true}}}),
        )
        .await;
    let failed = h.start_exec(&fails, "failed", json!({})).await;
    h.finished(&failed).await;
    h.clock.advance(std::time::Duration::from_secs(15 * 86_400));
    let d = h.describe(&failed).await;
    assert_eq!(d["redriveStatus"], "NOT_REDRIVABLE");
    assert_eq!(
        d["redriveStatusReason"],
        "Execution redrivable period exceeded"
    );
    assert_eq!(
        error_of(redrive(failed).await).1,
        "Execution redrivable period exceeded"
    );
    let missing = format!("{}:nope", running.rsplit_once(':').unwrap().0);
    assert_eq!(error_of(redrive(missing).await).0, "ExecutionDoesNotExist");
    assert_eq!(error_of(redrive("not-an-arn".into()).await).0, "InvalidArn");
    let bad_filter = h
        .svc
        .handle(
            "ListExecutions",
            json!({"stateMachineArn": quick, "redriveFilter": "SOMETIMES"}),
        )
        .await
        .unwrap_err();
    assert_eq!(bad_filter.type_name(), "ValidationException");
}

/// A wait-until job: wait until `$.at`, then run a task. Its execution times out after
/// `TimeoutSeconds`.
fn wait_until_job(timeout: u64) -> Value {
    json!({"StartAt": "WaitUntil", "TimeoutSeconds": timeout, "States": {
        "WaitUntil": {"Type": "Wait", "TimestampPath": "$.at", "Next": "Send"},
        "Send": {"Type": "Task", "Resource": "arn:aws:states:::test:echo",
                 "Parameters": {"sent.$": "$.at"}, "End": true}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_out_wait_until_job_is_redriven_and_finishes() {
    let h = Harness::start().await;
    let m = h.create("WaitUntil", &wait_until_job(30)).await;
    let at = t0_plus(50).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let e = h.start_exec(&m, "job", json!({ "at": at })).await;
    h.sleeping(1).await;
    h.clock.advance(std::time::Duration::from_secs(30));
    let d = h.finished(&e).await;
    assert_eq!(d["status"], "TIMED_OUT");
    assert_eq!(d["redriveStatus"], "REDRIVABLE");
    // Later than the job's time: the Wait is entered again and ends at once.
    h.clock.advance(std::time::Duration::from_secs(200));
    h.call("RedriveExecution", json!({"executionArn": e})).await;
    let d = h.finished(&e).await;
    assert_eq!(d["status"], "SUCCEEDED", "{d}");
    assert_eq!(d["output"], json!({"sent": at}).to_string());
    assert_eq!(
        after_redrive(&h, &e).await,
        [
            "ExecutionRedriven",
            "WaitStateEntered",
            "WaitStateExited",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
}

fn map_of_flaky_items() -> Value {
    json!({"StartAt": "Each", "States": {"Each": {"Type": "Map", "ItemsPath": "$.items",
        "MaxConcurrency": 1,
        "ItemProcessor": {"StartAt": "Work", "States": {"Work": {"Type": "Task",
            "Resource": "arn:aws:states:::test:flaky", "End": true}}},
        "End": true}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_map_with_a_failed_iteration_reruns_only_that_iteration() {
    let h = Harness::start().await;
    let m = h.create("Items", &map_of_flaky_items()).await;
    let items = json!([{"i": 0}, {"i": 1, "fail": true}, {"i": 2}]);
    let e = h.start_exec(&m, "items", json!({ "items": items })).await;
    assert_eq!(h.finished(&e).await["status"], "FAILED");
    let calls_before = h.fake.calls.lock().unwrap().len();
    assert_eq!(
        calls_before, 2,
        "item 0, then item 1 failed (one at a time)"
    );
    h.fake.healed.store(true, Ordering::SeqCst);
    h.call("RedriveExecution", json!({"executionArn": e})).await;
    let d = h.finished(&e).await;
    assert_eq!(d["status"], "SUCCEEDED", "{d}");
    assert_eq!(d["output"], items.to_string());
    // Items 1 and 2 ran; item 0 kept its result.
    assert_eq!(h.fake.calls.lock().unwrap().len(), calls_before + 2);
    let events = h.history(&e).await;
    let p = events
        .iter()
        .position(|v| v["type"] == "ExecutionRedriven")
        .unwrap();
    let rerun: Vec<u64> = events[p..]
        .iter()
        .filter(|v| v["type"] == "MapIterationStarted")
        .map(|v| {
            v["mapIterationStartedEventDetails"]["index"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(rerun, [1, 2]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redriven_execution_is_kept_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let clock = asl::ManualClock::new(t0());
    let h = Harness::start_in(dir.path(), clock.clone()).await;
    let m = h.create("Cb", &callback_machine(None)).await;
    let e = h.start_exec(&m, "cb", json!({})).await;
    let first = h.fake.token(1).await;
    h.call("SendTaskFailure", json!({"taskToken": first, "error": "E"}))
        .await;
    h.finished(&e).await;
    h.call(
        "RedriveExecution",
        json!({"executionArn": e, "clientToken": "tok"}),
    )
    .await;
    let second = h.fake.token(2).await;
    let before = h.describe(&e).await;
    h.stop();

    let h = Harness::start_in(dir.path(), clock.clone()).await;
    let d = h.describe(&e).await;
    assert_eq!(d["status"], "RUNNING");
    assert_eq!(d["redriveCount"], 1);
    assert_eq!(d["redriveDate"], before["redriveDate"]);
    // The client token is remembered too.
    let again = h
        .call(
            "RedriveExecution",
            json!({"executionArn": e, "clientToken": "tok"}),
        )
        .await;
    assert_eq!(again["redriveDate"], before["redriveDate"]);
    // The resumed callback waits on the same token; answering it ends the execution.
    h.call(
        "SendTaskSuccess",
        json!({"taskToken": second, "output": "{}"}),
    )
    .await;
    assert_eq!(h.finished(&e).await["status"], "SUCCEEDED");
    let types = h.history_types(&e).await;
    assert_eq!(
        types.iter().filter(|t| *t == "ExecutionRedriven").count(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the aws CLI (run with --include-ignored)"]
async fn the_aws_cli_redrives_a_failed_execution() {
    let h = Harness::start().await;
    let m = h.create("Cb", &callback_machine(None)).await;
    let e = h.start_exec(&m, "cb", json!({})).await;
    let first = h.fake.token(1).await;
    let failed = h
        .cli(&["send-task-failure", "--task-token", &first, "--error", "E"])
        .await;
    assert!(failed.ok, "{}", failed.stderr);
    h.finished(&e).await;
    let out = h
        .cli(&["redrive-execution", "--execution-arn", &e])
        .await
        .json();
    assert!(out["redriveDate"].is_number(), "{out}");
    let d = h
        .cli(&["describe-execution", "--execution-arn", &e])
        .await
        .json();
    assert_eq!(d["redriveCount"], 1);
    assert_eq!(d["status"], "RUNNING");
    let again = h.cli(&["redrive-execution", "--execution-arn", &e]).await;
    assert_eq!(again.error_code(), "ExecutionNotRedrivable");
    let listed = h
        .cli(&[
            "list-executions",
            "--state-machine-arn",
            &m,
            "--redrive-filter",
            "REDRIVEN",
        ])
        .await
        .json();
    assert_eq!(listed["executions"][0]["redriveCount"], 1);
}
