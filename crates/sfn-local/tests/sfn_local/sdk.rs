//! Every operation through `aws-sdk-sfn` against the in-process endpoint.

use crate::harness::*;
use aws_sdk_sfn::error::ProvideErrorMetadata;
use aws_sdk_sfn::types::{ExecutionStatus, StateMachineType};
use serde_json::{json, Value};
use std::time::Duration;

/// The `__type` an SDK call failed with.
fn code<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(r: Result<T, E>) -> String {
    let e = r.expect_err("expected an error");
    e.code()
        .unwrap_or_else(|| panic!("no error code in {e:?}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_machine_lifecycle() {
    let h = Harness::start().await;
    let c = h.sdk();
    let created = c
        .create_state_machine()
        .name("Orders")
        .definition(pass3().to_string())
        .role_arn(ROLE)
        .send()
        .await
        .unwrap();
    let arn = created.state_machine_arn().to_string();
    assert_eq!(
        arn,
        "arn:aws:states:us-east-1:123456789012:stateMachine:Orders"
    );

    // Same content again: the same machine; different content: refused.
    let again = c
        .create_state_machine()
        .name("Orders")
        .definition(pass3().to_string())
        .role_arn(ROLE)
        .send()
        .await
        .unwrap();
    assert_eq!(again.state_machine_arn(), arn);
    let other = c
        .create_state_machine()
        .name("Orders")
        .definition(wait_machine(1).to_string())
        .role_arn(ROLE)
        .send()
        .await;
    assert_eq!(code(other), "StateMachineAlreadyExists");

    let d = c
        .describe_state_machine()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(d.name(), "Orders");
    assert_eq!(d.r#type(), &StateMachineType::Standard);
    assert_eq!(d.role_arn(), ROLE);
    let def: Value = serde_json::from_str(d.definition()).unwrap();
    assert_eq!(def, pass3());
    assert_eq!(d.status().map(|s| s.as_str()), Some("ACTIVE"));

    // Update: new executions use the new definition.
    c.update_state_machine()
        .state_machine_arn(&arn)
        .definition(json!({"StartAt": "Only", "States": {"Only": {"Type": "Pass", "Result": "v2", "End": true}}}).to_string())
        .send()
        .await
        .unwrap();
    let e = c
        .start_execution()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    let done = h.finished(e.execution_arn()).await;
    assert_eq!(done["output"], "\"v2\"");
    let for_exec = c
        .describe_state_machine_for_execution()
        .execution_arn(e.execution_arn())
        .send()
        .await
        .unwrap();
    assert!(for_exec.definition().contains("Only"));
    assert_eq!(for_exec.state_machine_arn(), arn);

    let bad_update = c
        .update_state_machine()
        .state_machine_arn(&arn)
        .send()
        .await;
    assert_eq!(code(bad_update), "MissingRequiredParameter");
    let invalid = c
        .update_state_machine()
        .state_machine_arn(&arn)
        .definition(r#"{"StartAt":"X","States":{}}"#)
        .send()
        .await;
    assert_eq!(code(invalid), "InvalidDefinition");

    c.delete_state_machine()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    let gone = c
        .describe_state_machine()
        .state_machine_arn(&arn)
        .send()
        .await;
    assert_eq!(code(gone), "StateMachineDoesNotExist");
    // The execution outlives its machine.
    let still = c
        .describe_execution()
        .execution_arn(e.execution_arn())
        .send()
        .await
        .unwrap();
    assert_eq!(still.status(), &ExecutionStatus::Succeeded);
    let not_arn = c
        .describe_state_machine()
        .state_machine_arn("nope")
        .send()
        .await;
    assert_eq!(code(not_arn), "InvalidArn");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_refuses_what_aws_refuses() {
    let h = Harness::start().await;
    let c = h.sdk();
    let bad_next = json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Missing"}}});
    let r = c
        .create_state_machine()
        .name("Bad")
        .definition(bad_next.to_string())
        .role_arn(ROLE)
        .send()
        .await;
    let e = r.expect_err("invalid definition");
    assert_eq!(e.code(), Some("InvalidDefinition"));
    let msg = e.message().unwrap_or_default().to_string();
    assert!(
        msg.contains("'A'") || msg.contains("/States/A"),
        "message names the state: {msg}"
    );
    assert!(msg.contains("Next"), "message names the field: {msg}");

    let r = c
        .create_state_machine()
        .name("bad name")
        .definition(pass3().to_string())
        .role_arn(ROLE)
        .send()
        .await;
    assert_eq!(code(r), "InvalidName");
    let r = c
        .create_state_machine()
        .name("x".repeat(81))
        .definition(pass3().to_string())
        .role_arn(ROLE)
        .send()
        .await;
    assert_eq!(code(r), "ValidationException");
    let r = c
        .create_state_machine()
        .name("Ok")
        .definition(pass3().to_string())
        .role_arn("not-a-role")
        .send()
        .await;
    assert_eq!(code(r), "InvalidArn");
    let r = c
        .create_state_machine()
        .name("Ok")
        .definition("{not json")
        .role_arn(ROLE)
        .send()
        .await;
    assert_eq!(code(r), "InvalidDefinition");

    let v = c
        .validate_state_machine_definition()
        .definition(bad_next.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(v.result().as_str(), "FAIL");
    assert!(!v.diagnostics().is_empty());
    assert!(v.diagnostics()[0]
        .location()
        .unwrap_or_default()
        .contains("A"));
    let v = c
        .validate_state_machine_definition()
        .definition(pass3().to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(v.result().as_str(), "OK");
    assert!(v.diagnostics().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_state_machines_pages() {
    let h = Harness::start().await;
    let c = h.sdk();
    for i in 0..5 {
        h.create(&format!("M{i}"), &pass3()).await;
    }
    let mut names = Vec::new();
    let mut token = None;
    let mut pages = 0;
    loop {
        let out = c
            .list_state_machines()
            .max_results(2)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        pages += 1;
        assert!(out.state_machines().len() <= 2);
        names.extend(out.state_machines().iter().map(|m| m.name().to_string()));
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(names, vec!["M0", "M1", "M2", "M3", "M4"]);
    let bad = c.list_state_machines().next_token("garbage").send().await;
    assert_eq!(code(bad), "InvalidToken");
    let too_many = c.list_state_machines().max_results(1001).send().await;
    assert_eq!(code(too_many), "ValidationException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn executions_run_list_and_describe() {
    let h = Harness::start().await;
    let c = h.sdk();
    let m = h.create("Flow", &pass3()).await;
    let started = c
        .start_execution()
        .state_machine_arn(&m)
        .name("first")
        .input(r#"{"a":1}"#)
        .send()
        .await
        .unwrap();
    let arn = started.execution_arn().to_string();
    assert_eq!(
        arn,
        "arn:aws:states:us-east-1:123456789012:execution:Flow:first"
    );
    h.finished(&arn).await;
    let d = c
        .describe_execution()
        .execution_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(d.status(), &ExecutionStatus::Succeeded);
    assert_eq!(d.name(), Some("first"));
    assert_eq!(d.state_machine_arn(), m);
    assert_eq!(d.input(), Some(r#"{"a":1}"#));
    let out: Value = serde_json::from_str(d.output().unwrap()).unwrap();
    assert_eq!(out, json!({"a": 1, "b": {"b": 1}}));
    assert!(d.stop_date().is_some());
    assert_eq!(d.start_date().secs(), t0().timestamp());

    // A second run with the same name after it finished: ExecutionAlreadyExists.
    let dup = c
        .start_execution()
        .state_machine_arn(&m)
        .name("first")
        .input(r#"{"a":1}"#)
        .send()
        .await;
    assert_eq!(code(dup), "ExecutionAlreadyExists");

    let bad_input = c
        .start_execution()
        .state_machine_arn(&m)
        .input("{nope")
        .send()
        .await;
    assert_eq!(code(bad_input), "InvalidExecutionInput");
    let bad_name = c
        .start_execution()
        .state_machine_arn(&m)
        .name("a/b")
        .send()
        .await;
    assert_eq!(code(bad_name), "InvalidName");
    let missing = c
        .start_execution()
        .state_machine_arn("arn:aws:states:us-east-1:123456789012:stateMachine:Nope")
        .send()
        .await;
    assert_eq!(code(missing), "StateMachineDoesNotExist");
    let bad_arn = c
        .start_execution()
        .state_machine_arn("arn:aws:states:us-east-1:123456789012:execution:Flow:x")
        .send()
        .await;
    assert_eq!(code(bad_arn), "InvalidArn");
    let no_exec = c
        .describe_execution()
        .execution_arn("arn:aws:states:us-east-1:123456789012:execution:Flow:nope")
        .send()
        .await;
    assert_eq!(code(no_exec), "ExecutionDoesNotExist");
    let no_exec = c
        .describe_execution()
        .execution_arn("arn:aws:states:us-east-1:123456789012:stateMachine:Flow")
        .send()
        .await;
    assert_eq!(code(no_exec), "InvalidArn");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_execution_is_idempotent_while_running_and_stop_aborts() {
    let h = Harness::start().await;
    let c = h.sdk();
    let m = h.create("Waiter", &wait_machine(60)).await;
    let a = c
        .start_execution()
        .state_machine_arn(&m)
        .name("job-1")
        .input(r#"{"k":1}"#)
        .send()
        .await
        .unwrap();
    let b = c
        .start_execution()
        .state_machine_arn(&m)
        .name("job-1")
        .input(r#"{"k":1}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(a.execution_arn(), b.execution_arn());
    assert_eq!(a.start_date(), b.start_date());
    let other_input = c
        .start_execution()
        .state_machine_arn(&m)
        .name("job-1")
        .input(r#"{"k":2}"#)
        .send()
        .await;
    assert_eq!(code(other_input), "ExecutionAlreadyExists");
    let list = c
        .list_executions()
        .state_machine_arn(&m)
        .send()
        .await
        .unwrap();
    assert_eq!(list.executions().len(), 1);

    let stop = c
        .stop_execution()
        .execution_arn(a.execution_arn())
        .error("Manual")
        .cause("stopped by test")
        .send()
        .await
        .unwrap();
    let d = c
        .describe_execution()
        .execution_arn(a.execution_arn())
        .send()
        .await
        .unwrap();
    assert_eq!(d.status(), &ExecutionStatus::Aborted);
    assert_eq!(d.error(), Some("Manual"));
    assert_eq!(d.cause(), Some("stopped by test"));
    assert_eq!(d.stop_date(), Some(stop.stop_date()));
    let types = h.history_types(a.execution_arn()).await;
    assert_eq!(types.first().map(String::as_str), Some("ExecutionStarted"));
    assert_eq!(types.last().map(String::as_str), Some("ExecutionAborted"));
    // After it stopped, the same name and input is refused.
    let again = c
        .start_execution()
        .state_machine_arn(&m)
        .name("job-1")
        .input(r#"{"k":1}"#)
        .send()
        .await;
    assert_eq!(code(again), "ExecutionAlreadyExists");
    let missing = c
        .stop_execution()
        .execution_arn("arn:aws:states:us-east-1:123456789012:execution:Waiter:zz")
        .send()
        .await;
    assert_eq!(code(missing), "ExecutionDoesNotExist");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_fires_on_the_injected_clock() {
    let h = Harness::start().await;
    let m = h.create("W", &wait_machine(30)).await;
    let e = h.start_exec(&m, "w1", json!({})).await;
    h.armed_until(t0_plus(30)).await;
    h.clock.advance(Duration::from_secs(29));
    assert_eq!(
        h.clock.next_deadline(),
        Some(t0_plus(30)),
        "29 s in, the Wait is still armed for its end"
    );
    assert_eq!(h.describe(&e).await["status"], "RUNNING");
    h.clock.advance(Duration::from_secs(1));
    let d = h.finished(&e).await;
    assert_eq!(d["status"], "SUCCEEDED");
    assert_eq!(
        d["stopDate"].as_f64().unwrap(),
        (t0().timestamp() + 30) as f64
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_executions_filters_and_pages() {
    let h = Harness::start().await;
    let c = h.sdk();
    let quick = h.create("Mixed", &json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.fail", "BooleanEquals": true, "Next": "F"}], "Default": "W"},
        "W": {"Type": "Wait", "SecondsPath": "$.wait", "Next": "S"},
        "S": {"Type": "Succeed"},
        "F": {"Type": "Fail", "Error": "Nope", "Cause": "asked to fail"}}})).await;
    for i in 0..3 {
        h.start_exec(&quick, &format!("ok{i}"), json!({"fail": false, "wait": 0}))
            .await;
    }
    for i in 0..2 {
        h.start_exec(&quick, &format!("bad{i}"), json!({"fail": true}))
            .await;
    }
    for i in 0..4 {
        h.start_exec(
            &quick,
            &format!("slow{i}"),
            json!({"fail": false, "wait": 100}),
        )
        .await;
    }
    for n in ["ok0", "ok1", "ok2", "bad0", "bad1"] {
        h.finished(&format!(
            "arn:aws:states:us-east-1:123456789012:execution:Mixed:{n}"
        ))
        .await;
    }
    let failed = h
        .describe("arn:aws:states:us-east-1:123456789012:execution:Mixed:bad0")
        .await;
    assert_eq!(failed["status"], "FAILED");
    assert_eq!(failed["error"], "Nope");
    assert_eq!(failed["cause"], "asked to fail");

    let all = c
        .list_executions()
        .state_machine_arn(&quick)
        .send()
        .await
        .unwrap();
    let names: Vec<_> = all
        .executions()
        .iter()
        .map(|e| e.name().to_string())
        .collect();
    assert_eq!(
        names,
        vec!["slow3", "slow2", "slow1", "slow0", "bad1", "bad0", "ok2", "ok1", "ok0"]
    );

    let mut running = Vec::new();
    let mut token = None;
    loop {
        let out = c
            .list_executions()
            .state_machine_arn(&quick)
            .status_filter(ExecutionStatus::Running)
            .max_results(3)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        running.extend(out.executions().iter().map(|e| e.name().to_string()));
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(running, vec!["slow3", "slow2", "slow1", "slow0"]);
    let succeeded = c
        .list_executions()
        .state_machine_arn(&quick)
        .status_filter(ExecutionStatus::Succeeded)
        .send()
        .await
        .unwrap();
    assert_eq!(succeeded.executions().len(), 3);
    assert!(succeeded
        .executions()
        .iter()
        .all(|e| e.stop_date().is_some()));

    // A token is bound to its listing.
    let page = c
        .list_executions()
        .state_machine_arn(&quick)
        .max_results(1)
        .send()
        .await
        .unwrap();
    let t = page.next_token().unwrap().to_string();
    let wrong = c
        .list_executions()
        .state_machine_arn(&quick)
        .status_filter(ExecutionStatus::Failed)
        .next_token(t)
        .send()
        .await;
    assert_eq!(code(wrong), "InvalidToken");
    let missing = c
        .list_executions()
        .state_machine_arn("arn:aws:states:us-east-1:123456789012:stateMachine:None")
        .send()
        .await;
    assert_eq!(code(missing), "StateMachineDoesNotExist");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_pages_both_ways() {
    let h = Harness::start().await;
    let c = h.sdk();
    let m = h.create("Hist", &pass3()).await;
    let e = h.start_exec(&m, "h1", json!({"x": 1})).await;
    h.finished(&e).await;
    let full = c
        .get_execution_history()
        .execution_arn(&e)
        .send()
        .await
        .unwrap();
    let types: Vec<_> = full
        .events()
        .iter()
        .map(|ev| ev.r#type().as_str().to_string())
        .collect();
    assert_eq!(
        types,
        vec![
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "PassStateEntered",
            "PassStateExited",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
    let ids: Vec<i64> = full.events().iter().map(|ev| ev.id()).collect();
    assert_eq!(ids, (1..=8).collect::<Vec<_>>());
    assert_eq!(full.events()[1].previous_event_id(), 1);
    let entered = full.events()[1].state_entered_event_details().unwrap();
    assert_eq!(entered.name(), "A");

    for reverse in [false, true] {
        let mut got = Vec::new();
        let mut token = None;
        loop {
            let out = c
                .get_execution_history()
                .execution_arn(&e)
                .reverse_order(reverse)
                .max_results(3)
                .set_next_token(token)
                .send()
                .await
                .unwrap();
            got.extend(out.events().iter().map(|ev| ev.id()));
            token = out.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        let mut want: Vec<i64> = (1..=8).collect();
        if reverse {
            want.reverse();
        }
        assert_eq!(got, want, "reverse={reverse}");
    }
    let fwd = c
        .get_execution_history()
        .execution_arn(&e)
        .max_results(2)
        .send()
        .await
        .unwrap();
    let wrong_way = c
        .get_execution_history()
        .execution_arn(&e)
        .reverse_order(true)
        .next_token(fwd.next_token().unwrap())
        .send()
        .await;
    assert_eq!(code(wrong_way), "InvalidToken");
    let no_data = c
        .get_execution_history()
        .execution_arn(&e)
        .include_execution_data(false)
        .send()
        .await
        .unwrap();
    assert!(no_data.events()[0]
        .execution_started_event_details()
        .unwrap()
        .input()
        .is_none());
    let missing = c
        .get_execution_history()
        .execution_arn("arn:aws:states:us-east-1:123456789012:execution:Hist:none")
        .send()
        .await;
    assert_eq!(code(missing), "ExecutionDoesNotExist");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_token_success_failure_and_bad_tokens() {
    let h = Harness::start().await;
    let c = h.sdk();
    let m = h.create("Cb", &callback_machine(None)).await;

    let e1 = h.start_exec(&m, "s", json!({})).await;
    let t1 = h.fake.token(1).await;
    c.send_task_success()
        .task_token(&t1)
        .output(r#"{"done":true}"#)
        .send()
        .await
        .unwrap();
    let d = h.finished(&e1).await;
    assert_eq!(d["status"], "SUCCEEDED");
    assert_eq!(d["output"], r#"{"done":true}"#);
    // Answering again: no task waits for that token any more.
    let again = c
        .send_task_success()
        .task_token(&t1)
        .output("{}")
        .send()
        .await;
    assert_eq!(code(again), "TaskDoesNotExist");

    let e2 = h.start_exec(&m, "f", json!({})).await;
    let t2 = h.fake.token(2).await;
    let bad_output = c
        .send_task_success()
        .task_token(&t2)
        .output("{oops")
        .send()
        .await;
    assert_eq!(code(bad_output), "InvalidOutput");
    c.send_task_failure()
        .task_token(&t2)
        .error("MyError")
        .cause("it broke")
        .send()
        .await
        .unwrap();
    let d = h.finished(&e2).await;
    assert_eq!(d["status"], "FAILED");
    assert_eq!(d["error"], "MyError");
    assert_eq!(d["cause"], "it broke");

    let malformed = c
        .send_task_success()
        .task_token("not-a-token")
        .output("{}")
        .send()
        .await;
    assert_eq!(code(malformed), "InvalidToken");
    let malformed = c.send_task_heartbeat().task_token("x").send().await;
    assert_eq!(code(malformed), "InvalidToken");
    let malformed = c.send_task_failure().task_token("x").send().await;
    assert_eq!(code(malformed), "InvalidToken");

    // Stopping the execution makes its token late.
    let e3 = h.start_exec(&m, "stopped", json!({})).await;
    let t3 = h.fake.token(3).await;
    c.stop_execution().execution_arn(&e3).send().await.unwrap();
    let late = c
        .send_task_success()
        .task_token(&t3)
        .output("{}")
        .send()
        .await;
    assert_eq!(code(late), "TaskTimedOut");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_keep_a_task_alive_until_they_stop() {
    let h = Harness::start().await;
    let c = h.sdk();
    let m = h.create("Hb", &callback_machine(Some(10))).await;
    let e = h.start_exec(&m, "hb", json!({})).await;
    let t = h.fake.token(1).await;
    h.sleeping(1).await;
    for _ in 0..3 {
        h.clock.advance(Duration::from_secs(8));
        c.send_task_heartbeat().task_token(&t).send().await.unwrap();
    }
    // The task's timer, due at the last advance, is armed again: the heartbeats kept it alive.
    h.sleeping(1).await;
    assert_eq!(h.describe(&e).await["status"], "RUNNING");
    h.clock.advance(Duration::from_secs(11));
    let d = h.finished(&e).await;
    assert_eq!(d["status"], "FAILED");
    assert_eq!(d["error"], "States.HeartbeatTimeout");
    let types = h.history_types(&e).await;
    assert!(types.contains(&"TaskTimedOut".to_string()), "{types:?}");
    let late = c
        .send_task_success()
        .task_token(&t)
        .output("{}")
        .send()
        .await;
    assert_eq!(code(late), "TaskTimedOut");
    let late = c.send_task_heartbeat().task_token(&t).send().await;
    assert_eq!(code(late), "TaskTimedOut");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn express_machines_run_synchronously() {
    let h = Harness::start().await;
    let c = h.sdk();
    let m = h.create_typed("Fast", &pass3(), "EXPRESS").await;
    let out = c
        .start_sync_execution()
        .state_machine_arn(&m)
        .input(r#"{"q":1}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.status(),
        &aws_sdk_sfn::types::SyncExecutionStatus::Succeeded
    );
    let o: Value = serde_json::from_str(out.output().unwrap()).unwrap();
    assert_eq!(o, json!({"q": 1, "b": {"b": 1}}));
    assert!(out.execution_arn().contains(":express:Fast:"));
    assert_eq!(out.state_machine_arn(), Some(m.as_str()));

    let failing = h
        .create_typed("FastFail", &json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::test:fail", "End": true}}}), "EXPRESS")
        .await;
    let out = h
        .call("StartSyncExecution", json!({"stateMachineArn": failing}))
        .await;
    assert_eq!(out["status"], "FAILED");
    assert_eq!(out["error"], "Boom");

    let standard = h.create("Slow", &pass3()).await;
    let r = c
        .start_sync_execution()
        .state_machine_arn(&standard)
        .send()
        .await;
    assert_eq!(code(r), "StateMachineTypeNotSupported");
    let r = c.list_executions().state_machine_arn(&m).send().await;
    assert_eq!(code(r), "StateMachineTypeNotSupported");
    // StartExecution on an EXPRESS machine returns at once.
    let s = c
        .start_execution()
        .state_machine_arn(&m)
        .send()
        .await
        .unwrap();
    assert!(s.execution_arn().contains(":express:"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_machine_with_running_executions() {
    let h = Harness::start().await;
    let c = h.sdk();
    let m = h.create("Del", &wait_machine(10)).await;
    let e = h.start_exec(&m, "d1", json!({})).await;
    c.delete_state_machine()
        .state_machine_arn(&m)
        .send()
        .await
        .unwrap();
    let d = c
        .describe_state_machine()
        .state_machine_arn(&m)
        .send()
        .await
        .unwrap();
    assert_eq!(d.status().map(|s| s.as_str()), Some("DELETING"));
    let refused = c.start_execution().state_machine_arn(&m).send().await;
    assert_eq!(code(refused), "StateMachineDeleting");
    h.sleeping(1).await;
    h.clock.advance(Duration::from_secs(10));
    assert_eq!(h.finished(&e).await["status"], "SUCCEEDED");
    let gone = c
        .describe_state_machine()
        .state_machine_arn(&m)
        .send()
        .await;
    assert_eq!(code(gone), "StateMachineDoesNotExist");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_changes_and_transitions_are_published() {
    let h = Harness::start().await;
    let mut status = h.svc.subscribe_status();
    let mut trans = h.svc.subscribe_transitions();
    let m = h.create("Feed", &pass3()).await;
    let e = h.start_exec(&m, "f1", json!({"v": 1})).await;
    h.finished(&e).await;
    let first = status.recv().await.unwrap();
    assert_eq!(first.status, "RUNNING");
    assert_eq!(first.execution_arn, e);
    assert_eq!(first.start_date, t0().timestamp_millis());
    assert_eq!(first.stop_date, None);
    let last = status.recv().await.unwrap();
    assert_eq!(last.status, "SUCCEEDED");
    assert_eq!(last.input, r#"{"v":1}"#);
    assert!(last.output.as_deref().unwrap().contains("\"b\""));
    assert!(last.stop_date.is_some());
    let detail = serde_json::to_value(&last).unwrap();
    for k in [
        "executionArn",
        "stateMachineArn",
        "name",
        "status",
        "startDate",
        "stopDate",
        "input",
        "output",
        "error",
        "cause",
    ] {
        assert!(detail.get(k).is_some(), "missing {k}");
    }
    let mut lines = Vec::new();
    while let Ok(t) = trans.try_recv() {
        lines.push((
            t.execution_name.clone(),
            t.state_name().map(str::to_string),
            t.event_type(),
        ));
    }
    assert!(
        lines.contains(&("f1".into(), Some("B".into()), "PassStateEntered")),
        "{lines:?}"
    );
    assert_eq!(lines.last().unwrap().2, "ExecutionSucceeded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_well_formed_token_nobody_waits_for_is_task_does_not_exist() {
    use sfn_local::{SfnConfig, SfnService};
    use std::sync::Arc;
    let secret = b"shared-secret-shared-secret-0123".to_vec();
    let fake = Arc::new(FakeResources::default());
    let clock = asl::ManualClock::new(t0());
    let mut a_cfg = SfnConfig::new(Arc::new(clock.clone()), fake.clone());
    a_cfg.token_secret = Some(secret.clone());
    let a = SfnService::new(a_cfg).unwrap();
    let mut b_cfg = SfnConfig::new(Arc::new(clock), fake.clone());
    b_cfg.token_secret = Some(secret);
    let b = SfnService::new(b_cfg).unwrap();
    let m = a
        .handle(
            "CreateStateMachine",
            json!({"name": "Tok", "definition": callback_machine(None).to_string(), "roleArn": ROLE}),
        )
        .await
        .unwrap();
    a.handle(
        "StartExecution",
        json!({"stateMachineArn": m["stateMachineArn"]}),
    )
    .await
    .unwrap();
    let token = fake.token(1).await;
    let r = b
        .handle(
            "SendTaskSuccess",
            json!({"taskToken": token, "output": "{}"}),
        )
        .await;
    assert_eq!(r.unwrap_err().type_name(), "TaskDoesNotExist");
    let r = b
        .handle("SendTaskHeartbeat", json!({"taskToken": token}))
        .await;
    assert_eq!(r.unwrap_err().type_name(), "TaskDoesNotExist");
    // A token altered by one character is no longer one this service issued.
    let mut forged = token.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    let r = a
        .handle(
            "SendTaskSuccess",
            json!({"taskToken": forged, "output": "{}"}),
        )
        .await;
    assert_eq!(r.unwrap_err().type_name(), "InvalidToken");
    a.handle(
        "SendTaskSuccess",
        json!({"taskToken": token, "output": "{}"}),
    )
    .await
    .unwrap();
}
