use std::sync::Arc;

use app_core::fake::MemoryJobs;
use app_core::{ExecutionStatus, JobStatus, ManualClock};
use chrono::{TimeZone, Utc};
use serde_json::{json, Value};
use status_events::{
    status_change_event, Handler, StatusChange, StatusChangeFields, StatusTracker,
};

use crate::fake::{field, put, shared, FakeTopic};

const MACHINE: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:Callback";
const OTHER_MACHINE: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:Waitable";
const START: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

fn arn(name: &str) -> String {
    format!("arn:aws:states:us-east-1:123456789012:execution:Callback:{name}")
}

/// An event of the execution `name` whose input names the job `name`, as the API starts them.
fn event(name: &str, status: &str, stop: Option<i64>, error: Option<&str>) -> Value {
    let input = json!({ "jobId": name }).to_string();
    event_with_input(name, &input, status, stop, error)
}

fn event_with_input(
    name: &str,
    input: &str,
    status: &str,
    stop: Option<i64>,
    error: Option<&str>,
) -> Value {
    let exec = arn(name);
    status_change_event(&StatusChangeFields {
        region: "us-east-1",
        account: "123456789012",
        execution_arn: &exec,
        state_machine_arn: MACHINE,
        name,
        status,
        start_ms: START,
        stop_ms: stop,
        input: Some(input),
        output: (status == "SUCCEEDED").then_some(r#"{"ok":true}"#),
        error,
        cause: error.map(|_| "because"),
        id: "evt",
        time_ms: stop.unwrap_or(START),
    })
}

fn handler(table: &Arc<MemoryJobs>, topic: Option<&Arc<FakeTopic>>) -> Handler {
    Handler {
        tracker: StatusTracker {
            store: table.clone(),
            notifier: topic.map(|t| t.clone() as Arc<dyn status_events::ports::Notifier>),
            machines: vec![
                (MACHINE.into(), app_core::Pattern::Callback),
                (OTHER_MACHINE.into(), app_core::Pattern::Waitable),
            ],
            clock: Arc::new(ManualClock::new(
                Utc.with_ymd_and_hms(2026, 1, 1, 1, 0, 0).unwrap(),
            )),
            retention_days: Some(90),
        },
    }
}

async fn send(h: &Handler, ev: Value) -> Value {
    h.invoke_json(ev).await.expect("handled")
}

#[tokio::test]
async fn running_then_succeeded_records_both_in_turn() {
    let (t, _) = shared();
    put(
        &t,
        "job1",
        json!({"ListShard":"1","Pattern":"callback","ProcessStatus":"SCHEDULED"}),
    );
    let h = handler(&t, None);
    let out = send(&h, event("job1", "RUNNING", None, None)).await;
    assert_eq!(out["outcome"], "applied");
    assert_eq!(field(&t, "job1", "ExecutionStatus"), "RUNNING");
    assert_eq!(field(&t, "job1", "ExecutionStatusAt"), START);
    assert_eq!(
        field(&t, "job1", "ProcessStatus"),
        "SCHEDULED",
        "non-final ProcessStatus kept while running"
    );
    assert_eq!(field(&t, "job1", "StartedAt"), "2026-01-01T00:00:00.000Z");
    assert_eq!(
        field(&t, "job1", "ExpiresAt"),
        Value::Null,
        "running jobs never expire"
    );

    send(&h, event("job1", "SUCCEEDED", Some(START + 5_000), None)).await;
    assert_eq!(field(&t, "job1", "ExecutionStatus"), "SUCCEEDED");
    assert_eq!(field(&t, "job1", "ExecutionStatusAt"), START + 5_000);
    assert_eq!(field(&t, "job1", "StoppedAt"), "2026-01-01T00:00:05.000Z");
    assert_eq!(field(&t, "job1", "ProcessStatus"), "COMPLETED");
    assert_eq!(field(&t, "job1", "LastUpdated"), "2026-01-01T01:00:00.000Z");
    // TTL: 90 days (the handler's retention) after the execution ended, in epoch seconds.
    assert_eq!(
        field(&t, "job1", "ExpiresAt"),
        (START + 5_000) / 1000 + 90 * 86_400
    );
    assert_eq!(
        field(&t, "job1", "ListShard"),
        "1",
        "an existing shard is kept"
    );
}

#[tokio::test]
async fn running_arriving_after_final_is_ignored() {
    let (t, _) = shared();
    let h = handler(&t, None);
    send(
        &h,
        event("j", "FAILED", Some(START + 10), Some("States.TaskFailed")),
    )
    .await;
    let out = send(&h, event("j", "RUNNING", None, None)).await;
    assert_eq!(out["outcome"], "stale");
    assert_eq!(field(&t, "j", "ExecutionStatus"), "FAILED");
    assert_eq!(field(&t, "j", "ProcessStatus"), "FAILED");
    assert_eq!(field(&t, "j", "Error"), "States.TaskFailed");
    assert_eq!(t.writes(), 1);
}

#[tokio::test]
async fn duplicate_event_is_a_no_op() {
    let (t, _) = shared();
    let h = handler(&t, None);
    let ev = event("dup", "SUCCEEDED", Some(START + 7), None);
    send(&h, ev.clone()).await;
    let before = t.job("dup");
    let out = send(&h, ev).await;
    assert_eq!(out["outcome"], "duplicate");
    assert_eq!(t.writes(), 1);
    assert_eq!(t.job("dup"), before);
}

#[tokio::test]
async fn every_delivery_order_with_duplicates_ends_in_the_final_status() {
    let evs = [
        event("o", "RUNNING", None, None),
        event("o", "TIMED_OUT", Some(START + 99), Some("States.Timeout")),
    ];
    // All orders of [R, F, R, F] (duplicates of each).
    let orders: [[usize; 4]; 6] = [
        [0, 0, 1, 1],
        [0, 1, 0, 1],
        [0, 1, 1, 0],
        [1, 0, 0, 1],
        [1, 0, 1, 0],
        [1, 1, 0, 0],
    ];
    for order in orders {
        let (t, topic) = shared();
        let h = handler(&t, Some(&topic));
        for i in order {
            send(&h, evs[i].clone()).await;
        }
        assert_eq!(
            field(&t, "o", "ExecutionStatus"),
            "TIMED_OUT",
            "order {order:?}"
        );
        assert_eq!(
            field(&t, "o", "ExecutionStatusAt"),
            START + 99,
            "order {order:?}"
        );
        assert_eq!(
            field(&t, "o", "ProcessStatus"),
            "TIMED_OUT",
            "order {order:?}"
        );
        assert_eq!(
            topic.sent.lock().unwrap().len(),
            1,
            "exactly one notification, order {order:?}"
        );
    }
}

#[tokio::test]
async fn later_final_event_beats_earlier_one_whatever_the_order() {
    // Not something Step Functions does for one execution, but the rule must still be total.
    for flip in [false, true] {
        let (t, _) = shared();
        let h = handler(&t, None);
        let a = event("t", "FAILED", Some(START + 1), Some("A"));
        let b = event("t", "SUCCEEDED", Some(START + 2), None);
        let (x, y) = if flip { (b, a) } else { (a, b) };
        send(&h, x).await;
        send(&h, y).await;
        assert_eq!(field(&t, "t", "ExecutionStatus"), "SUCCEEDED");
    }
}

#[tokio::test]
async fn graceful_cancel_failure_is_recorded_as_cancelled() {
    let (t, topic) = shared();
    put(
        &t,
        "c",
        json!({"ProcessStatus":"CANCELLED","CancelRequested":true,"ExecutionArn":arn("c")}),
    );
    let h = handler(&t, Some(&topic));
    send(&h, event("c", "FAILED", Some(START + 3), Some("Cancelled"))).await;
    assert_eq!(field(&t, "c", "ExecutionStatus"), "CANCELLED");
    assert_eq!(field(&t, "c", "ProcessStatus"), "CANCELLED");
    assert!(
        topic.sent.lock().unwrap().is_empty(),
        "a requested cancel is not an alarm"
    );
}

#[tokio::test]
async fn cancel_path_ending_in_succeed_is_also_cancelled() {
    let (t, _) = shared();
    put(
        &t,
        "s",
        json!({"ProcessStatus":"CANCELLED","CancelRequested":true}),
    );
    let h = handler(&t, None);
    send(&h, event("s", "SUCCEEDED", Some(START + 3), None)).await;
    assert_eq!(field(&t, "s", "ExecutionStatus"), "CANCELLED");
}

#[tokio::test]
async fn cancel_requested_but_finished_first_stays_succeeded() {
    let (t, _) = shared();
    put(
        &t,
        "late",
        json!({"ProcessStatus":"STARTED","CancelRequested":true}),
    );
    let h = handler(&t, None);
    send(&h, event("late", "SUCCEEDED", Some(START + 3), None)).await;
    assert_eq!(field(&t, "late", "ExecutionStatus"), "SUCCEEDED");
    assert_eq!(field(&t, "late", "ProcessStatus"), "COMPLETED");
}

#[tokio::test]
async fn force_stop_is_aborted_job_cancelled_token_removed_and_notified_once() {
    let (t, topic) = shared();
    put(
        &t,
        "f",
        json!({"ProcessStatus":"WAITING_FOR_CALLBACK","TaskToken":"secret-token","Pattern":"callback"}),
    );
    let h = handler(&t, Some(&topic));
    let ev = event("f", "ABORTED", Some(START + 4), Some("Cancelled"));
    let out = send(&h, ev.clone()).await;
    assert_eq!(out["notified"], true);
    assert_eq!(field(&t, "f", "ExecutionStatus"), "ABORTED");
    assert_eq!(field(&t, "f", "ProcessStatus"), "CANCELLED");
    assert_eq!(t.job("f").unwrap().task_token, None, "the token is removed");
    send(&h, ev).await;
    let sent = topic.sent.lock().unwrap();
    assert_eq!(sent.len(), 1);
    assert!(sent[0].0.contains("ABORTED") && sent[0].0.contains('f'));
    let body: Value = serde_json::from_str(&sent[0].1).unwrap();
    assert_eq!(body["status"], "ABORTED");
    assert_eq!(body["executionArn"], arn("f"));
}

#[tokio::test]
async fn failed_notification_is_retried_on_redelivery() {
    let (t, topic) = shared();
    *topic.fail_next.lock().unwrap() = 1;
    let h = handler(&t, Some(&topic));
    let ev = event("n", "FAILED", Some(START + 4), Some("Boom"));
    let err = h.invoke_json(ev.clone()).await.unwrap_err();
    assert_eq!(err.error_type, "UpstreamError");
    assert_eq!(
        field(&t, "n", "ExecutionStatus"),
        "FAILED",
        "status stored before publishing"
    );
    let out = send(&h, ev.clone()).await;
    assert_eq!(out["outcome"], "duplicate");
    assert_eq!(out["notified"], true);
    let out = send(&h, ev).await;
    assert_eq!(out["notified"], false);
    assert_eq!(topic.sent.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn success_is_not_notified() {
    let (t, topic) = shared();
    let h = handler(&t, Some(&topic));
    send(&h, event("ok", "SUCCEEDED", Some(START + 4), None)).await;
    assert!(topic.sent.lock().unwrap().is_empty());
}

#[tokio::test]
async fn final_process_status_set_by_the_machine_is_kept() {
    let (t, _) = shared();
    put(
        &t,
        "m",
        json!({"ProcessStatus":"COMPLETED","Error":"Specific"}),
    );
    let h = handler(&t, None);
    send(
        &h,
        event("m", "FAILED", Some(START + 4), Some("States.Runtime")),
    )
    .await;
    assert_eq!(field(&t, "m", "ExecutionStatus"), "FAILED");
    assert_eq!(field(&t, "m", "ProcessStatus"), "COMPLETED");
    assert_eq!(field(&t, "m", "Error"), "Specific");
}

#[tokio::test]
async fn running_before_the_machine_s_first_write_keeps_its_status_and_no_process_status() {
    // The RUNNING event can beat the machine's first write: it is kept on the job's record
    // (the one the machine then completes), and the machine alone says how far the job is.
    let (t, _) = shared();
    let h = handler(&t, None);
    let out = send(&h, event("new", "RUNNING", None, None)).await;
    assert_eq!(out["outcome"], "applied");
    assert_eq!(field(&t, "new", "ExecutionStatus"), "RUNNING");
    assert!(
        t.job("new").unwrap().process_status.is_none(),
        "no ProcessStatus from a running event"
    );
}

#[tokio::test]
async fn ended_execution_without_a_record_is_recorded_listable() {
    // The machine refused its input before writing the record: the job still shows how it ended.
    let (t, _) = shared();
    let h = handler(&t, None);
    send(
        &h,
        event("new", "FAILED", Some(START + 2), Some("States.Runtime")),
    )
    .await;
    assert!(t.job("new").is_some(), "created");
    let item = |k: &str| field(&t, "new", k);
    assert_eq!(
        item("ListShard"),
        app_core::schema::list_shard_of("new"),
        "the record is in a shard of the all-jobs listing"
    );
    assert_eq!(item("Pattern"), "callback");
    assert_eq!(item("ProcessStatus"), "FAILED");
    assert_eq!(item("ExecutionStatus"), "FAILED");
    assert_eq!(item("ExecutionArn"), arn("new"));
}

#[tokio::test]
async fn console_start_updates_the_job_its_input_names_and_no_other() {
    // Started from the console or the CLI: the name is not the job id the input names.
    let (t, _) = shared();
    put(
        &t,
        "console-1",
        json!({"ListShard":"2","Pattern":"callback","ProcessStatus":"SCHEDULED",
               "StartActionAt":"2027-06-01T09:00:00Z","ExecutionArn": arn("3f2a-exec")}),
    );
    let h = handler(&t, None);
    let input = r#"{"jobId": "console-1", "taskName": "send-reminder"}"#;
    for (status, stop) in [("RUNNING", None), ("SUCCEEDED", Some(START + 9))] {
        let out = send(&h, event_with_input("3f2a-exec", input, status, stop, None)).await;
        assert_eq!(out["outcome"], "applied", "{status}");
        assert_eq!(out["jobId"], "console-1");
    }
    assert!(
        t.job("3f2a-exec").is_none(),
        "no record under the execution name"
    );
    assert_eq!(field(&t, "console-1", "ExecutionStatus"), "SUCCEEDED");
    assert_eq!(field(&t, "console-1", "ProcessStatus"), "COMPLETED");
    assert_eq!(field(&t, "console-1", "ListShard"), "2");
}

#[tokio::test]
async fn an_ended_console_start_is_recorded_under_its_job_only() {
    let (t, _) = shared();
    let h = handler(&t, None);
    let input = r#"{"jobId": "console-2"}"#;
    send(
        &h,
        event_with_input("exec-9", input, "FAILED", Some(START + 1), Some("E")),
    )
    .await;
    assert!(t.job("exec-9").is_none());
    assert_eq!(field(&t, "console-2", "ExecutionStatus"), "FAILED");
}

#[tokio::test]
async fn an_input_without_a_job_id_runs_the_job_named_after_the_execution() {
    let (t, _) = shared();
    put(
        &t,
        "exec-3",
        json!({"ProcessStatus":"WAITING_FOR_CALLBACK"}),
    );
    let h = handler(&t, None);
    let out = send(
        &h,
        event_with_input("exec-3", r#"{"mode": "auto"}"#, "RUNNING", None, None),
    )
    .await;
    assert_eq!(out["outcome"], "applied");
    assert_eq!(field(&t, "exec-3", "ExecutionStatus"), "RUNNING");
}

#[tokio::test]
async fn an_input_naming_no_valid_job_is_left_alone() {
    let (t, _) = shared();
    let h = handler(&t, None);
    for input in [r#"{"jobId": 42}"#, r#"{"jobId": "a/b"}"#] {
        let ev = event_with_input("exec-4", input, "FAILED", Some(START + 1), Some("E"));
        let out = send(&h, ev).await;
        assert_eq!(out["outcome"], "no-job", "{input}");
    }
    assert!(t.job("exec-4").is_none());
    assert_eq!(t.writes(), 0);
}

#[tokio::test]
async fn record_owned_by_another_execution_is_left_alone() {
    let (t, _) = shared();
    let other = "arn:aws:states:us-east-1:123456789012:execution:Waitable:same";
    put(
        &t,
        "same",
        json!({"ExecutionArn": other, "ProcessStatus":"STARTED"}),
    );
    let h = handler(&t, None);
    let out = send(&h, event("same", "FAILED", Some(START + 1), Some("X"))).await;
    assert_eq!(out["outcome"], "other-execution");
    assert_eq!(t.writes(), 0);
}

#[tokio::test]
async fn machine_outside_the_stack_is_ignored() {
    let (t, _) = shared();
    let h = handler(&t, None);
    let mut ev = event("x", "RUNNING", None, None);
    ev["detail"]["stateMachineArn"] =
        json!("arn:aws:states:us-east-1:123456789012:stateMachine:Foreign");
    let out = send(&h, ev).await;
    assert_eq!(out["outcome"], "foreign-machine");
    assert!(t.job("x").is_none());
}

#[tokio::test]
async fn concurrent_writer_causes_a_reread_not_a_lost_update() {
    let (t, _) = shared();
    put(&t, "r", json!({"ProcessStatus":"STARTED"}));
    t.before_next_transition(Box::new(|job| {
        job.process_status = Some(JobStatus::Cancelled);
        job.cancel_requested = true;
    }));
    let h = handler(&t, None);
    send(&h, event("r", "SUCCEEDED", Some(START + 1), None)).await;
    assert_eq!(
        field(&t, "r", "ProcessStatus"),
        "CANCELLED",
        "the machine's write survives"
    );
    assert_eq!(field(&t, "r", "ExecutionStatus"), "CANCELLED");
}

#[tokio::test]
async fn pending_redrive_is_ignored_and_bad_events_are_named_errors() {
    let (t, _) = shared();
    let h = handler(&t, None);
    let out = send(&h, event("p", "PENDING_REDRIVE", None, None)).await;
    assert_eq!(out["outcome"], "ignored-status");
    assert!(t.job("p").is_none());

    for bad in [
        event("p", "WEIRD", None, None),
        event("p", "CANCELLED", None, None),
        json!({"detail-type": "Other", "source": "aws.states", "detail": {}}),
        json!({"detail-type": "Step Functions Execution Status Change", "source": "aws.states", "detail": {"name": "p"}}),
        json!("not an event"),
    ] {
        let err = h.invoke_json(bad).await.unwrap_err();
        assert_eq!(err.error_type, "InvalidEvent");
    }
}

#[tokio::test]
async fn store_failure_is_an_upstream_error() {
    let (t, _) = shared();
    t.fail_next(1, "injected");
    let h = handler(&t, None);
    let err = h
        .invoke_json(event("u", "RUNNING", None, None))
        .await
        .unwrap_err();
    assert_eq!(err.error_type, "UpstreamError");
}

#[test]
fn notification_leaves_out_large_bodies_and_keeps_subject_short() {
    let big = format!("{{\"blob\":\"{}\"}}", "a".repeat(5000));
    let mut ev =
        StatusChange::from_json(event(&"n".repeat(80), "FAILED", Some(START), Some("E"))).unwrap();
    ev.input = Some(big.clone());
    let msg: Value = serde_json::from_str(&status_events::notify::message(
        &ev,
        ExecutionStatus::Failed,
    ))
    .unwrap();
    assert!(msg.get("input").is_none());
    assert_eq!(msg["inputOmitted"]["bytes"], big.len());
    assert_eq!(msg["output"], Value::Null);
    let subject = status_events::notify::subject(&ev, ExecutionStatus::Failed);
    assert!(subject.len() <= 100 && subject.is_ascii());
}
