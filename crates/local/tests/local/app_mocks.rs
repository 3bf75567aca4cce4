//! The three application machines tested the way AWS teaches: each failure path of the
//! callback and wait-until machines driven by a Step Functions Local mock configuration
//! (`<stateMachineArn>#<test case>`), and TestState checks of their key states.
//!
//! Nothing here names a state: the states to mock are read from the definition the runtime
//! loaded (from `statemachine/*.asl.json`): the callback task is the `.waitForTaskToken`
//! Task, the email task the `lambda:invoke` Task, the job's first write the `StartAt` state,
//! and a cancel is the `ConditionalCheckFailedException` of a conditional write.

use crate::common::*;
use asl::Clock;
use serde_json::{json, Map, Value};
use std::path::Path;

/// The template's machine `logical_id`: its ARN, name and loaded definition.
fn machine(app: &App, logical_id: &str) -> (String, String, Value) {
    let m = app
        .rt
        .app
        .state_machines
        .iter()
        .find(|m| m.logical_id == logical_id)
        .unwrap_or_else(|| panic!("no state machine {logical_id} in the template"));
    let def: Value = serde_json::from_str(&m.definition).expect("definition is JSON");
    (m.arn.clone(), m.name.clone(), def)
}

/// Top-level Task states whose `Resource` satisfies `pick`.
fn tasks(def: &Value, pick: impl Fn(&str) -> bool) -> Vec<String> {
    def["States"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, s)| s["Type"] == "Task" && pick(s["Resource"].as_str().unwrap_or("")))
        .map(|(n, _)| n.clone())
        .collect()
}

fn callback_tasks(def: &Value) -> Vec<String> {
    let t = tasks(def, |r| r.ends_with(".waitForTaskToken"));
    assert!(
        !t.is_empty(),
        "the callback machine has a .waitForTaskToken task"
    );
    t
}

fn email_tasks(def: &Value) -> Vec<String> {
    let t = tasks(def, |r| r.starts_with("arn:aws:states:::lambda:invoke"));
    assert!(!t.is_empty(), "the wait-until machine invokes send-email");
    t
}

/// The machine's first state: its first write of the job record.
fn first_write(def: &Value) -> Vec<String> {
    vec![def["StartAt"].as_str().expect("StartAt").to_string()]
}

/// One test case: every named state answered by `response`.
fn case(states: &[String], response: &str) -> Value {
    let m: Map<String, Value> = states
        .iter()
        .map(|s| (s.clone(), json!(response)))
        .collect();
    Value::Object(m)
}

fn throw(error: &str, cause: &str) -> Value {
    json!({"Throw": {"Error": error, "Cause": cause}})
}

/// A runtime started with an empty mock configuration in `dir` (its machines' names are
/// known once it runs; the file is then written and picked up).
async fn start_mocked(dir: &Path) -> App {
    let path = dir.join("MockConfigFile.json");
    std::fs::write(&path, "{}").unwrap();
    start_tuned(&[], None, |o| o.mock_config = Some(path)).await
}

fn write_mocks(dir: &Path, config: &Value) {
    std::fs::write(dir.join("MockConfigFile.json"), config.to_string()).unwrap();
}

impl App {
    /// StartExecution of `arn#case` named `name`.
    async fn start_case(&self, arn: &str, case: &str, name: &str, input: Value) -> String {
        let (s, v) = self
            .aws(
                "AWSStepFunctions.StartExecution",
                json!({"stateMachineArn": format!("{arn}#{case}"), "name": name,
                       "input": input.to_string()}),
            )
            .await;
        assert_eq!(s, 200, "StartExecution {case}: {v}");
        v["executionArn"].as_str().unwrap().to_string()
    }

    /// Waits for the execution to end; returns its description.
    async fn ended(&self, arn: &str) -> Value {
        eventually(&format!("{arn} to end"), || async {
            let d = self.describe(arn).await;
            (d["status"] != "RUNNING").then_some(d)
        })
        .await
    }

    /// Advances the clock a minute at a time until the execution ends (its retries wait on
    /// the clock); returns its description.
    async fn run_out(&self, arn: &str) -> Value {
        for _ in 0..20 {
            if self.describe(arn).await["status"] != "RUNNING" {
                break;
            }
            self.advance(60).await;
        }
        self.ended(arn).await
    }

    /// How many task attempts of the execution failed (retries show as several).
    async fn task_failures(&self, arn: &str) -> usize {
        let events = self.history(arn).await;
        events.iter().filter(|e| e["type"] == "TaskFailed").count()
    }

    /// The Fail state an ended execution's history reached, with its definition.
    async fn fail_state(&self, arn: &str, def: &Value) -> Value {
        let history = self.history(arn).await;
        let name = history
            .iter()
            .rev()
            .find(|e| e["type"] == "FailStateEntered")
            .and_then(|e| e["stateEnteredEventDetails"]["name"].as_str())
            .unwrap_or_else(|| panic!("{arn} reached no Fail state"));
        def["States"][name].clone()
    }

    async fn test_state(&self, body: Value) -> Value {
        let (s, v) = self.aws("AWSStepFunctions.TestState", body).await;
        assert_eq!(s, 200, "TestState: {v}");
        v
    }
}

/// Asserts a failed execution ended in a Fail state with `error`, and that the job record
/// says `job_status`.
async fn assert_failed(
    app: &App,
    exec: &str,
    def: &Value,
    error: &str,
    job: &str,
    job_status: &str,
) {
    let d = app.ended(exec).await;
    assert_eq!(d["status"], "FAILED", "{d}");
    assert_eq!(app.fail_state(exec, def).await["Type"], "Fail");
    assert_eq!(d["error"], error, "{d}");
    app.wait_job(job, job_status).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callback_failure_paths_through_mocked_failures() {
    let dir = tempfile::tempdir().unwrap();
    let app = start_mocked(dir.path()).await;
    let (arn, name, def) = machine(&app, "CallbackStateMachine");
    let cb = callback_tasks(&def);
    let first = first_write(&def);
    // Every write after the first fails: the callback's failure cannot be recorded.
    let later: Vec<String> = tasks(&def, |r| r == "arn:aws:states:::dynamodb:updateItem")
        .into_iter()
        .filter(|s| !first.contains(s))
        .collect();
    let mut record_fails = case(&later, "TableThrottled");
    for s in &cb {
        record_fails[s] = json!("Rejected");
    }
    let cancelled = case(&first, "CancelRequested");
    write_mocks(
        dir.path(),
        &json!({
            "StateMachines": {name: {"TestCases": {
                "Answered": case(&cb, "Answered"),
                "TimedOut": case(&cb, "TimedOut"),
                "HeartbeatMissed": case(&cb, "HeartbeatMissed"),
                "Rejected": case(&cb, "Rejected"),
                "InvokeFails": case(&cb, "InvokeFails"),
                "Cancelled": cancelled,
                "TableDown": case(&first, "TableThrottled"),
                "RecordFails": record_fails,
            }}},
            "MockedResponses": {
                "Answered": {"0": {"Return": {"approved": true}}},
                "TimedOut": {"0": throw("States.Timeout", "no callback")},
                "HeartbeatMissed": {"0": throw("States.HeartbeatTimeout", "no heartbeat")},
                "Rejected": {"0": throw("PaymentRejected", "the card was declined")},
                "InvokeFails": {"0-9": throw("Lambda.ServiceException", "Lambda is down")},
                "TableThrottled": {"0-99": throw("DynamoDB.ThrottlingException", "slow down")},
                "CancelRequested": {"0": throw("DynamoDB.ConditionalCheckFailedException", "The conditional request failed")},
            }
        }),
    );

    let ok = app
        .start_case(&arn, "Answered", "cb-answered", json!({}))
        .await;
    let d = app.ended(&ok).await;
    assert_eq!(d["status"], "SUCCEEDED", "{d}");
    app.wait_job("cb-answered", "COMPLETED").await;

    let exec = app
        .start_case(&arn, "TimedOut", "cb-timeout", json!({}))
        .await;
    assert_failed(
        &app,
        &exec,
        &def,
        "CallbackTimedOut",
        "cb-timeout",
        "TIMED_OUT",
    )
    .await;
    let exec = app
        .start_case(&arn, "HeartbeatMissed", "cb-heartbeat", json!({}))
        .await;
    assert_failed(
        &app,
        &exec,
        &def,
        "CallbackTimedOut",
        "cb-heartbeat",
        "TIMED_OUT",
    )
    .await;

    let exec = app
        .start_case(&arn, "Rejected", "cb-rejected", json!({}))
        .await;
    assert_failed(&app, &exec, &def, "CallbackFailed", "cb-rejected", "FAILED").await;
    let (_, job) = app.get("/jobs/cb-rejected").await;
    assert_eq!(job["Error"], "PaymentRejected", "{job}");
    assert_eq!(job["Cause"], "the card was declined", "{job}");

    // Lambda errors are retried (on the clock), then caught.
    let exec = app
        .start_case(&arn, "InvokeFails", "cb-invoke", json!({}))
        .await;
    app.run_out(&exec).await;
    assert_failed(&app, &exec, &def, "CallbackFailed", "cb-invoke", "FAILED").await;
    let failures = app.task_failures(&exec).await;
    assert!(failures > 1, "retried before being caught: {failures}");

    let exec = app
        .start_case(&arn, "Cancelled", "cb-cancelled", json!({}))
        .await;
    assert_failed(&app, &exec, &def, "Cancelled", "cb-cancelled", "CANCELLED").await;

    // The table cannot record the job: retried, then the execution fails with the error.
    let exec = app
        .start_case(&arn, "TableDown", "cb-table", json!({}))
        .await;
    let d = app.run_out(&exec).await;
    assert_eq!(d["status"], "FAILED", "{d}");
    assert_eq!(d["error"], "DynamoDB.ThrottlingException", "{d}");
    // The execution's status event still records the outcome on the job.
    let job = app.wait_job("cb-table", "FAILED").await;
    assert_eq!(job["Error"], "DynamoDB.ThrottlingException", "{job}");

    // The callback fails and the machine cannot record it: it still ends failed, and the
    // status event records the failure on the job.
    let exec = app
        .start_case(&arn, "RecordFails", "cb-record", json!({}))
        .await;
    app.run_out(&exec).await;
    assert_failed(&app, &exec, &def, "CallbackFailed", "cb-record", "FAILED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_until_failure_paths_through_mocked_failures() {
    let dir = tempfile::tempdir().unwrap();
    let app = start_mocked(dir.path()).await;
    let (arn, name, def) = machine(&app, "WaitUntilStateMachine");
    let email = email_tasks(&def);
    let first = first_write(&def);
    let cancelled = case(&first, "CancelRequested");
    write_mocks(
        dir.path(),
        &json!({
            "StateMachines": {name: {"TestCases": {
                "Sent": case(&email, "Sent"),
                "Rejected": case(&email, "Rejected"),
                "Throttled": case(&email, "Throttled"),
                "Recovers": case(&email, "Recovers"),
                "Cancelled": cancelled,
                "TableDown": case(&first, "TableThrottled"),
            }}},
            "MockedResponses": {
                "Sent": {"0": {"Return": {"StatusCode": 200, "Payload": {"sent": true}}}},
                "Rejected": {"0": throw("Email.Rejected", "the address bounced")},
                "Throttled": {"0-9": throw("Lambda.TooManyRequestsException", "rate exceeded")},
                "Recovers": {
                    "0-1": throw("Lambda.ServiceException", "a blip"),
                    "2": {"Return": {"StatusCode": 200, "Payload": {"sent": true}}}
                },
                "CancelRequested": {"0": throw("DynamoDB.ConditionalCheckFailedException", "The conditional request failed")},
                "TableThrottled": {"0-99": throw("DynamoDB.ThrottlingException", "slow down")},
            }
        }),
    );
    let now = app
        .clock
        .now()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let input = |id: &str| json!({"jobId": id, "taskName": "remind", "startAt": now});
    let run = |case: &'static str, id: &'static str| {
        let app = &app;
        let arn = &arn;
        let input = input(id);
        async move {
            let exec = app.start_case(arn, case, id, input).await;
            app.run_out(&exec).await;
            exec
        }
    };

    let exec = run("Sent", "wu-sent").await;
    assert_eq!(app.ended(&exec).await["status"], "SUCCEEDED");
    app.wait_job("wu-sent", "COMPLETED").await;

    let exec = run("Rejected", "wu-rejected").await;
    assert_failed(
        &app,
        &exec,
        &def,
        "SendEmailFailed",
        "wu-rejected",
        "FAILED",
    )
    .await;
    let (_, job) = app.get("/jobs/wu-rejected").await;
    assert_eq!(job["Error"], "Email.Rejected", "{job}");

    let exec = run("Throttled", "wu-throttled").await;
    assert_failed(
        &app,
        &exec,
        &def,
        "SendEmailFailed",
        "wu-throttled",
        "FAILED",
    )
    .await;
    let failures = app.task_failures(&exec).await;
    assert!(failures > 1, "retried before being caught: {failures}");

    let exec = run("Recovers", "wu-recovers").await;
    assert_eq!(app.ended(&exec).await["status"], "SUCCEEDED");
    app.wait_job("wu-recovers", "COMPLETED").await;

    let exec = run("Cancelled", "wu-cancelled").await;
    assert_failed(&app, &exec, &def, "Cancelled", "wu-cancelled", "CANCELLED").await;

    // The table cannot record the job: retried, then the execution fails with the error.
    let exec = run("TableDown", "wu-table").await;
    let d = app.ended(&exec).await;
    assert_eq!(d["status"], "FAILED", "{d}");
    assert_eq!(d["error"], "DynamoDB.ThrottlingException", "{d}");
    let failures = app.task_failures(&exec).await;
    assert!(failures > 1, "retried before failing: {failures}");
}

/// The first catcher of `state` for `error` (`States.ALL` catches the rest), if any.
fn catcher_next(state: &Value, error: &str) -> Option<String> {
    state["Catch"].as_array()?.iter().find_map(|c| {
        let errs = c["ErrorEquals"].as_array()?;
        errs.iter()
            .any(|e| e == error || e == "States.ALL")
            .then(|| c["Next"].as_str().unwrap().to_string())
    })
}

/// The first retrier of `state` naming `error`.
fn retrier(state: &Value, error: &str) -> Option<(usize, Value)> {
    let r = state["Retry"].as_array()?;
    r.iter()
        .position(|r| {
            r["ErrorEquals"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e == error)
        })
        .map(|i| (i, r[i].clone()))
}

/// A state input with what any of the machines' first states read.
fn job_input() -> Value {
    json!({"jobId": "j", "mode": "external", "taskName": "t",
        "startAt": "2031-01-01T00:00:00Z", "StartTimestamp": "2031-01-01T00:00:00Z"})
}

/// The variables the machines' first states assign, as their later states read them.
fn job_variables() -> String {
    json!({"jobId": "j", "mode": "external", "input": {}, "result": {"ok": true},
        "taskName": "t", "startAt": "2031-01-01T00:00:00.000Z"})
    .to_string()
}

/// TestState of a Task of a whole machine: a mocked result goes to its Next, a retried
/// error is RETRIABLE with its retrier's first backoff, a caught one goes to its catcher.
async fn check_task(app: &App, def: &Value, state: &str, result: Value, errors: &[&str]) {
    let st = &def["States"][state];
    let text = def.to_string();
    let input = job_input().to_string();
    let ok = app
        .test_state(
            json!({"definition": text, "stateName": state, "input": input,
            "variables": job_variables(),
            "inspectionLevel": "DEBUG", "mock": {"result": result.to_string()}}),
        )
        .await;
    assert_eq!(ok["status"], "SUCCEEDED", "{state}: {ok}");
    assert_eq!(ok["nextState"], st["Next"], "{state}: {ok}");
    let data = &ok["inspectionData"];
    assert!(
        data["afterArguments"].is_string() || data["afterParameters"].is_string(),
        "{ok}"
    );
    for error in errors {
        let out = app
            .test_state(json!({"definition": text, "stateName": state,
                "input": input, "variables": job_variables(), "inspectionLevel": "DEBUG",
                "mock": {"errorOutput": {"error": error, "cause": "mocked"}}}))
            .await;
        match (retrier(st, error), catcher_next(st, error)) {
            (Some((i, r)), _) => {
                assert_eq!(out["status"], "RETRIABLE", "{state} {error}: {out}");
                let details = &out["inspectionData"]["errorDetails"];
                assert_eq!(details["retryIndex"], i, "{out}");
                let interval = r["IntervalSeconds"].as_u64().unwrap_or(1);
                assert_eq!(details["retryBackoffIntervalSeconds"], interval, "{out}");
            }
            (None, Some(next)) => {
                assert_eq!(out["status"], "CAUGHT_ERROR", "{state} {error}: {out}");
                assert_eq!(out["nextState"], next.as_str(), "{out}");
                let caught: Value = serde_json::from_str(out["output"].as_str().unwrap()).unwrap();
                assert!(caught.to_string().contains(error), "{caught}");
            }
            (None, None) => assert_eq!(out["status"], "FAILED", "{state} {error}: {out}"),
        }
    }
}

/// TestState of the Wait states of a machine: no waiting, straight to their Next.
async fn check_waits(app: &App, def: &Value, input: &Value) -> usize {
    let waits: Vec<String> = def["States"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, s)| s["Type"] == "Wait")
        .map(|(n, _)| n.clone())
        .collect();
    for w in &waits {
        let out = app
            .test_state(json!({"definition": def.to_string(), "stateName": w,
                "input": input.to_string(), "variables": job_variables(),
                "inspectionLevel": "DEBUG"}))
            .await;
        assert_eq!(out["status"], "SUCCEEDED", "{w}: {out}");
        assert_eq!(out["nextState"], def["States"][w]["Next"], "{w}: {out}");
        let seen: Value =
            serde_json::from_str(out["inspectionData"]["input"].as_str().unwrap()).unwrap();
        assert_eq!(&seen, input);
    }
    waits.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_state_of_the_key_states_of_the_three_machines() {
    let app = start(&[]).await;
    let (_, _, callback) = machine(&app, "CallbackStateMachine");
    for t in callback_tasks(&callback) {
        check_task(
            &app,
            &callback,
            &t,
            json!({"approved": true}),
            &[
                "Lambda.ServiceException",
                "States.Timeout",
                "States.HeartbeatTimeout",
                "Declined",
            ],
        )
        .await;
    }
    let (_, _, wait_until) = machine(&app, "WaitUntilStateMachine");
    for t in email_tasks(&wait_until) {
        check_task(
            &app,
            &wait_until,
            &t,
            json!({"StatusCode": 200, "Payload": {"sent": true}}),
            &["Lambda.TooManyRequestsException", "Email.Rejected"],
        )
        .await;
    }
    let far = job_input();
    assert!(check_waits(&app, &wait_until, &far).await >= 1);
    let (_, _, waitable) = machine(&app, "WaitableStateMachine");
    assert!(check_waits(&app, &waitable, &far).await >= 1);
    // Every Task of every machine, unmocked and without a role, is refused as on AWS.
    let t = &tasks(&waitable, |_| true)[0];
    let (s, v) = app
        .aws(
            "AWSStepFunctions.TestState",
            json!({"definition": waitable.to_string(), "stateName": t}),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(v["__type"], "ValidationException", "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_refuses_a_bad_mock_file_and_reads_sfn_mock_config() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        "{\"StateMachines\": {\"M\": {\"TestCases\": {\"C\": {\"S\": \"Nope\"}}}}}",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_local"))
        .args([
            "--in-memory",
            "--template",
            &template().display().to_string(),
        ])
        .args(["--api-port", "0", "--aws-port", "0"])
        .arg("--mock-config")
        .arg(&bad)
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.json"), "{err}");
    assert!(err.contains("$.StateMachines.M.TestCases.C.S"), "{err}");
    assert!(err.contains("'Nope' is not defined"), "{err}");

    // SFN_MOCK_CONFIG names the file too.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_local"))
        .args([
            "--in-memory",
            "--template",
            &template().display().to_string(),
        ])
        .args(["--api-port", "0", "--aws-port", "0"])
        .env("SFN_MOCK_CONFIG", &bad)
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.json") && err.contains("$.StateMachines.M"),
        "{err}"
    );
}
