use std::time::Duration;

use app_core::{Clock, ExecutionStatus, JobStatus, Pattern};
use serde_json::{json, Value};

use crate::fakes::*;

fn names(r: &Resp) -> Vec<String> {
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["jobId"].as_str().unwrap().to_string())
        .collect()
}

/// Seven executions over the three machines, start times interleaved.
fn seed(w: &World) {
    let m = ["Callback", "WaitUntil", "Waitable"];
    for i in 0..7i64 {
        let status = if i % 2 == 0 { "RUNNING" } else { "SUCCEEDED" };
        w.sfn
            .add(m[(i % 3) as usize], &format!("e{i}"), status, T0 + i * 1000);
    }
}

#[tokio::test]
async fn list_merges_all_machines_newest_first() {
    let w = world();
    seed(&w);
    let r = call(&w, request("GET", "/executions", &[], None)).await;
    assert_eq!(r.status, 200);
    assert_eq!(names(&r), ["e6", "e5", "e4", "e3", "e2", "e1", "e0"]);
    assert_eq!(r.body["next"], Value::Null);
    let first = &r.body["items"][0];
    assert_eq!(first["machine"], "callback");
    assert_eq!(first["status"], "RUNNING");
    assert_eq!(first["startDate"], "2026-01-01T00:00:06.000Z");
    assert_eq!(first["executionArn"], exec_arn("Callback", "e6"));
}

async fn walk(w: &World, query: &[(&str, &str)], limit: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let mut next: Option<String> = None;
    for _ in 0..50 {
        let mut q: Vec<(&str, &str)> = query.to_vec();
        q.push(("limit", limit));
        if let Some(n) = next.as_deref() {
            q.push(("next", n));
        }
        let r = call(w, request("GET", "/executions", &q, None)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(names(&r).len() <= limit.parse().unwrap());
        seen.extend(names(&r));
        match r.body["next"].as_str() {
            Some(n) => next = Some(n.to_string()),
            None => return seen,
        }
    }
    panic!("pagination never ended");
}

#[tokio::test]
async fn pagination_keeps_executions_that_started_in_the_same_millisecond() {
    let w = world();
    // Step Functions orders ties as it likes (here: insertion order, ARN ascending), so a page
    // boundary falls between executions the merge would order the other way.
    for (m, n) in [("Waitable", 3), ("WaitUntil", 2), ("Callback", 1)] {
        for i in 0..n {
            w.sfn.add(m, &format!("{m}-{i}"), "RUNNING", T0);
        }
    }
    w.sfn.add("Waitable", "older", "RUNNING", T0 - 1);
    for limit in ["1", "2", "3", "4"] {
        let mut seen = walk(&w, &[], limit).await;
        assert_eq!(seen.len(), 7, "limit {limit}: {seen:?}");
        assert_eq!(seen.last().map(String::as_str), Some("older"));
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 7, "limit {limit}: no repeats");
    }
}

#[tokio::test]
async fn pagination_returns_every_execution_once_in_order() {
    let w = world();
    // Many on one machine so its pages run dry and refill mid-merge.
    for i in 0..23i64 {
        let m = if i % 5 == 0 {
            "Waitable"
        } else if i % 3 == 0 {
            "WaitUntil"
        } else {
            "Callback"
        };
        w.sfn.add(m, &format!("x{i:02}"), "SUCCEEDED", T0 + i * 10);
    }
    let expected: Vec<String> = (0..23).rev().map(|i| format!("x{i:02}")).collect();
    for limit in ["1", "2", "3", "7", "100"] {
        assert_eq!(walk(&w, &[], limit).await, expected, "limit {limit}");
    }
}

#[tokio::test]
async fn pagination_is_exact_when_executions_start_between_pages() {
    let w = world();
    seed(&w);
    let r1 = call(&w, request("GET", "/executions", &[("limit", "3")], None)).await;
    assert_eq!(names(&r1), ["e6", "e5", "e4"]);
    // Newer executions arrive on every machine.
    w.sfn.add("Callback", "n1", "RUNNING", T0 + 50_000);
    w.sfn.add("Waitable", "n2", "RUNNING", T0 + 60_000);
    let next = r1.body["next"].as_str().unwrap();
    let r2 = call(
        &w,
        request(
            "GET",
            "/executions",
            &[("limit", "3"), ("next", next)],
            None,
        ),
    )
    .await;
    assert_eq!(names(&r2), ["e3", "e2", "e1"]);
    let next = r2.body["next"].as_str().unwrap();
    let r3 = call(
        &w,
        request(
            "GET",
            "/executions",
            &[("limit", "3"), ("next", next)],
            None,
        ),
    )
    .await;
    assert_eq!(names(&r3), ["e0"]);
    assert_eq!(r3.body["next"], Value::Null);
}

#[tokio::test]
async fn list_filters_by_machine_and_status() {
    let w = world();
    seed(&w);
    let r = call(
        &w,
        request("GET", "/executions", &[("machine", "callback")], None),
    )
    .await;
    assert_eq!(names(&r), ["e6", "e3", "e0"]);
    let r = call(
        &w,
        request("GET", "/executions", &[("status", "SUCCEEDED")], None),
    )
    .await;
    assert_eq!(names(&r), ["e5", "e3", "e1"]);
    let r = call(
        &w,
        request(
            "GET",
            "/executions",
            &[("machine", "waitable,wait-until"), ("status", "running")],
            None,
        ),
    )
    .await;
    assert_eq!(names(&r), ["e4", "e2"]);
    assert_eq!(
        walk(&w, &[("status", "RUNNING")], "1").await,
        ["e6", "e4", "e2", "e0"]
    );
}

#[tokio::test]
async fn list_rejects_bad_filters_with_named_errors() {
    let w = world();
    seed(&w);
    type Query<'a> = &'a [(&'a str, &'a str)];
    let cases: &[(Query, &str, &str)] = &[
        (&[("machine", "nope")], "UnknownMachine", "machine"),
        (&[("status", "DONE")], "InvalidField", "status"),
        (&[("status", "CANCELLED")], "InvalidField", "status"),
        (&[("limit", "0")], "InvalidField", "limit"),
        (&[("limit", "101")], "InvalidField", "limit"),
        (&[("limit", "ten")], "InvalidField", "limit"),
        (&[("colour", "red")], "UnknownField", "colour"),
        (&[("next", "!!!")], "InvalidCursor", "next"),
        (&[("next", "eyJ4IjoxfQ")], "InvalidCursor", "next"),
    ];
    for (q, error, field) in cases {
        let r = call(&w, request("GET", "/executions", q, None)).await;
        assert_eq!(r.status, 400, "{q:?}");
        assert_eq!(r.body["error"], *error, "{q:?}");
        assert!(
            r.body["message"].as_str().unwrap().contains(field),
            "{q:?}: {}",
            r.body
        );
    }
    assert_eq!(
        w.sfn.count("list"),
        0,
        "bad input never reaches Step Functions"
    );

    // A cursor only works with the filters it was made for.
    let r = call(
        &w,
        request(
            "GET",
            "/executions",
            &[("limit", "1"), ("status", "RUNNING")],
            None,
        ),
    )
    .await;
    let next = r.body["next"].as_str().unwrap().to_string();
    for q in [
        vec![("next", next.as_str())],
        vec![
            ("next", next.as_str()),
            ("status", "RUNNING"),
            ("machine", "callback"),
        ],
    ] {
        let r = call(&w, request("GET", "/executions", &q, None)).await;
        assert_eq!(r.status, 400);
        assert_eq!(r.body["error"], "InvalidCursor");
    }
}

#[tokio::test]
async fn describe_joins_execution_current_state_and_job_without_token() {
    let w = world();
    w.sfn.add_full(
        "Callback",
        "job-1",
        "RUNNING",
        T0,
        None,
        vec![
            ev(
                1,
                0,
                "ExecutionStarted",
                json!({"input": "{\"jobId\":\"job-1\"}"}),
            ),
            ev(2, 1, "PassStateEntered", json!({"name": "Prepare"})),
            ev(3, 2, "PassStateExited", json!({"name": "Prepare"})),
            ev(4, 3, "TaskStateEntered", json!({"name": "WaitForCallback"})),
            ev(5, 4, "TaskScheduled", json!({"resourceType": "lambda"})),
        ],
    );
    w.jobs
        .put_attributes(
            "job-1",
            json!({"ProcessStatus": "WAITING_FOR_CALLBACK", "TaskToken": "SECRET", "ExecutionArn": exec_arn("Callback", "job-1")}),
        )
        .unwrap();
    let r = call(&w, request("GET", "/executions/job-1", &[], None)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let b = &r.body;
    assert_eq!(b["status"], "RUNNING");
    assert_eq!(b["machine"], "callback");
    assert_eq!(b["input"], json!({"jobId": "job-1"}));
    assert_eq!(b["output"], Value::Null);
    assert_eq!(b["startDate"], "2026-01-01T00:00:00.000Z");
    assert_eq!(b["stopDate"], Value::Null);
    assert_eq!(b["currentState"], "WaitForCallback");
    assert_eq!(b["cancelRequested"], false);
    assert_eq!(b["job"]["ProcessStatus"], "WAITING_FOR_CALLBACK");
    assert!(b["job"].get("TaskToken").is_none());
    assert!(!b.to_string().contains("SECRET"));
}

#[tokio::test]
async fn describe_finished_execution_shows_output_or_error() {
    let w = world();
    w.sfn.add("Waitable", "ok", "SUCCEEDED", T0);
    w.sfn.add("WaitUntil", "bad", "FAILED", T0);
    let r = call(&w, request("GET", "/executions/ok", &[], None)).await;
    assert_eq!(r.body["output"], json!({"done": true}));
    assert_eq!(r.body["stopDate"], "2026-01-01T00:00:01.000Z");
    assert_eq!(r.body["currentState"], Value::Null);
    assert_eq!(r.body["job"], Value::Null);
    let r = call(&w, request("GET", "/executions/bad", &[], None)).await;
    assert_eq!(r.body["status"], "FAILED");
    assert_eq!(r.body["error"], "Boom");
    assert_eq!(r.body["cause"], "it broke");
    assert_eq!(r.body["machine"], "wait-until");
}

#[tokio::test]
async fn describe_prefers_the_execution_the_job_record_names() {
    let w = world();
    w.sfn.add("Callback", "twin", "SUCCEEDED", T0 + 5000);
    w.sfn.add("Waitable", "twin", "RUNNING", T0);
    let r = call(&w, request("GET", "/executions/twin", &[], None)).await;
    assert_eq!(r.body["machine"], "callback", "newest without a record");
    w.jobs
        .put_attributes(
            "twin",
            json!({"ExecutionArn": exec_arn("Waitable", "twin")}),
        )
        .unwrap();
    let r = call(&w, request("GET", "/executions/twin", &[], None)).await;
    assert_eq!(r.body["machine"], "waitable");
    // A record pointing outside this stack is not trusted.
    w.jobs
        .put_attributes(
            "twin",
            json!({"ExecutionArn": "arn:aws:states:us-east-1:999999999999:execution:Other:twin"}),
        )
        .unwrap();
    let r = call(&w, request("GET", "/executions/twin", &[], None)).await;
    assert_eq!(r.body["machine"], "callback");
    assert_eq!(
        w.sfn
            .count("describe arn:aws:states:us-east-1:999999999999"),
        0
    );
}

#[tokio::test]
async fn unknown_or_malformed_ids_are_404_or_400() {
    let w = world();
    for (method, path) in [
        ("GET", "/executions/missing"),
        ("GET", "/executions/missing/history"),
        ("DELETE", "/executions/missing"),
    ] {
        let r = call(&w, request(method, path, &[], None)).await;
        assert_eq!(r.status, 404, "{method} {path}");
        assert_eq!(r.body["error"], "NotFound");
        assert!(r.body["message"].as_str().unwrap().contains("missing"));
    }
    let long = "a".repeat(81);
    for id in ["bad%20id", "a:b", long.as_str()] {
        let r = call(&w, request("GET", &format!("/executions/{id}"), &[], None)).await;
        assert_eq!(r.status, 400, "{id}");
        assert_eq!(r.body["error"], "InvalidField");
    }
}

#[tokio::test]
async fn history_paginates_redacts_tokens_and_binds_cursor() {
    let w = world();
    let params = json!({"FunctionName": "send-wait", "Payload": {"token": "AAAA-secret-token", "jobId": "h"}}).to_string();
    w.sfn.add_full(
        "Callback",
        "h",
        "RUNNING",
        T0,
        None,
        vec![
            ev(1, 0, "ExecutionStarted", json!({"input": "{\"jobId\":\"h\"}"})),
            ev(2, 1, "TaskStateEntered", json!({"name": "Wait", "input": "{\"jobId\":\"h\"}"})),
            ev(3, 2, "TaskScheduled", json!({"resourceType": "lambda", "resource": "invoke.waitForTaskToken", "parameters": params})),
            ev(4, 3, "TaskStarted", json!({})),
            ev(5, 4, "TaskSucceeded", json!({"output": "{\"ok\":1}"})),
        ],
    );
    w.sfn.add("Callback", "other", "RUNNING", T0);
    let r = call(
        &w,
        request("GET", "/executions/h/history", &[("limit", "2")], None),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let ids: Vec<i64> = r.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [1, 2]);
    assert_eq!(r.body["events"][1]["state"], "Wait");
    assert_eq!(r.body["events"][1]["type"], "TaskStateEntered");
    assert_eq!(r.body["events"][1]["previousEventId"], 1);
    assert_eq!(
        r.body["events"][0]["details"]["input"],
        json!({"jobId": "h"})
    );
    let next = r.body["next"].as_str().unwrap().to_string();

    let r2 = call(
        &w,
        request(
            "GET",
            "/executions/h/history",
            &[("limit", "2"), ("next", &next)],
            None,
        ),
    )
    .await;
    let text = r2.body.to_string();
    assert!(
        !text.contains("AAAA-secret-token"),
        "task token leaked: {text}"
    );
    let tok = &r2.body["events"][0]["details"]["parameters"]["Payload"]["token"];
    assert!(tok.as_str().unwrap().starts_with("redacted:"));
    assert_eq!(
        r2.body["events"][0]["details"]["parameters"]["Payload"]["jobId"],
        "h"
    );

    let bad = call(
        &w,
        request("GET", "/executions/other/history", &[("next", &next)], None),
    )
    .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body["error"], "InvalidCursor");
    let bad = call(
        &w,
        request(
            "GET",
            "/executions/h/history",
            &[("next", &next), ("reverse", "true")],
            None,
        ),
    )
    .await;
    assert_eq!(bad.body["error"], "InvalidCursor");

    let rev = call(
        &w,
        request("GET", "/executions/h/history", &[("reverse", "true")], None),
    )
    .await;
    assert_eq!(rev.body["events"][0]["id"], 5);
    assert_eq!(rev.body["events"][0]["details"]["output"], json!({"ok": 1}));
    assert_eq!(rev.body["next"], Value::Null);

    for q in [("limit", "0"), ("limit", "1001"), ("reverse", "maybe")] {
        let r = call(&w, request("GET", "/executions/h/history", &[q], None)).await;
        assert_eq!(r.status, 400, "{q:?}");
    }
}

#[tokio::test]
async fn graceful_cancel_records_the_request_once() {
    let w = world();
    w.sfn.add("WaitUntil", "g", "RUNNING", T0);
    w.jobs
        .put_attributes(
            "g",
            json!({"ProcessStatus": "SCHEDULED", "Pattern": "wait-until"}),
        )
        .unwrap();
    let r = call(&w, request("DELETE", "/executions/g", &[], None)).await;
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(r.body["cancelRequested"], true);
    assert_eq!(r.body["status"], "RUNNING");
    let at = r.body["cancelRequestedAt"].clone();
    assert_eq!(at, "2026-01-01T01:00:00.000Z");
    let job = w.jobs.attributes("g").unwrap();
    assert_eq!(job["CancelRequested"], true);
    assert_eq!(
        job["ProcessStatus"], "SCHEDULED",
        "the machine finalizes, not the route"
    );
    assert_eq!(
        w.sfn.count("stop"),
        0,
        "graceful cancel does not stop the execution"
    );

    w.clock.advance(Duration::from_secs(5));
    let again = call(&w, request("DELETE", "/executions/g", &[], None)).await;
    assert_eq!(again.status, 202);
    assert_eq!(
        again.body["cancelRequestedAt"], at,
        "first request time kept"
    );
    let d = call(&w, request("GET", "/executions/g", &[], None)).await;
    assert_eq!(d.body["cancelRequested"], true);
}

#[tokio::test]
async fn graceful_cancel_of_running_execution_without_record_creates_it() {
    let w = world();
    w.sfn.add("Callback", "console", "RUNNING", T0);
    let r = call(
        &w,
        request("DELETE", "/executions/console", &[("force", "false")], None),
    )
    .await;
    assert_eq!(r.status, 202);
    let job = w.jobs.attributes("console").unwrap();
    assert_eq!(job["Pattern"], "callback");
    assert_eq!(job["ExecutionArn"], exec_arn("Callback", "console"));
}

#[tokio::test]
async fn cancel_of_finished_work_is_a_conflict() {
    let w = world();
    w.sfn.add("Waitable", "done", "SUCCEEDED", T0);
    w.sfn.add("Waitable", "marked", "RUNNING", T0);
    w.jobs
        .put_attributes("marked", json!({"ProcessStatus": "COMPLETED"}))
        .unwrap();
    for (path, q) in [
        ("/executions/done", vec![]),
        ("/executions/done", vec![("force", "true")]),
        ("/executions/marked", vec![]),
    ] {
        let r = call(&w, request("DELETE", path, &q, None)).await;
        assert_eq!(r.status, 409, "{path} {q:?}");
        assert_eq!(r.body["error"], "AlreadyFinished");
    }
    assert_eq!(w.sfn.count("stop"), 0);
}

#[tokio::test]
async fn force_stop_calls_stop_execution_at_once() {
    let w = world();
    w.sfn.add("Callback", "f", "RUNNING", T0);
    let r = call(
        &w,
        request("DELETE", "/executions/f", &[("force", "true")], None),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "ABORTED");
    assert_eq!(r.body["error"], "Cancelled");
    assert_eq!(r.body["forced"], true);
    let stops = w.sfn.stops.lock().unwrap().clone();
    assert_eq!(
        stops,
        [(
            exec_arn("Callback", "f"),
            "Cancelled".to_string(),
            "Stopped by DELETE /executions/f?force=true".to_string()
        )]
    );
    let bad = call(
        &w,
        request("DELETE", "/executions/f", &[("force", "yes please")], None),
    )
    .await;
    assert_eq!(bad.status, 400);
}

/// A start request of `machine` named `name`, valid for the start routes at the tests' time.
fn start_body(machine: &str, name: &str) -> String {
    match machine {
        "callback" => json!({"name": name}),
        "waitable" => json!({"StartTimestamp": "2026-01-01T02:00:00Z", "name": name}),
        _ => json!({"taskName": "t", "startAt": "2026-01-01T02:00:00Z", "name": name}),
    }
    .to_string()
}

/// `POST /executions/{machine}` with `query` and a valid body naming the execution `name`.
fn start_request(machine: &str, query: &[(&str, &str)], name: &str) -> Value {
    let path = format!("/executions/{machine}");
    request("POST", &path, query, Some(&start_body(machine, name)))
}

#[tokio::test]
async fn sync_start_without_wait_is_the_start_routes_answer() {
    let w = world();
    let mut req = start_request("callback", &[], "s0");
    req["headers"]["Idempotency-Key"] = json!("idem-1");
    let r = call(&w, req).await;
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(
        r.body["jobId"], "idem-1",
        "the Idempotency-Key header names the execution, as on the start routes"
    );
    assert_eq!(r.body["executionArn"], exec_arn("Callback", "idem-1"));
    assert_eq!(r.body["statusUrl"], "https://api.example/Prod/jobs/idem-1");
    assert_eq!(r.body["startDate"], "2026-01-01T01:00:00.000Z");
    let started = w.starts.requests.lock().unwrap()[0].clone();
    assert_eq!(started.state_machine_arn, machine_arn("Callback"));
    let input: Value = serde_json::from_str(&started.input).unwrap();
    assert_eq!(
        input,
        json!({"jobId": "idem-1", "mode": "external", "input": {}})
    );
    let job = w.jobs.job("idem-1").expect("the job is recorded");
    assert_eq!(job.pattern, Some(Pattern::Callback));
    assert_eq!(job.process_status, Some(JobStatus::Scheduled));
    assert_eq!(w.sfn.count("describe"), 0);
}

#[tokio::test]
async fn sync_start_answers_with_output_when_done_in_time() {
    let w = world();
    *w.starts.run_ms.lock().unwrap() = Some(1500);
    let r = call(&w, start_request("waitable", &[("wait", "5")], "s1")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "SUCCEEDED");
    assert_eq!(r.body["output"], json!({"answer": 42}));
    assert_eq!(r.body["executionArn"], exec_arn("Waitable", "s1"));
    assert_eq!(r.body["machine"], "waitable");
    assert_eq!(
        w.starts.requests.lock().unwrap()[0].state_machine_arn,
        machine_arn("Waitable")
    );
    let slept: Duration = w.sleeps.lock().unwrap().iter().sum();
    assert!(
        slept >= Duration::from_millis(1500) && slept < Duration::from_millis(3000),
        "{slept:?}"
    );
    assert_eq!(r.body["waitedMs"], json!(slept.as_millis()));
}

#[tokio::test]
async fn sync_start_gives_202_when_not_done_in_time() {
    let w = world();
    let r = call(&w, start_request("wait-until", &[("wait", "2")], "s2")).await;
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(r.body["status"], "RUNNING");
    assert_eq!(r.body["executionArn"], exec_arn("WaitUntil", "s2"));
    assert_eq!(r.body["statusUrl"], "https://api.example/Prod/jobs/s2");
    assert_eq!(r.body["waitedMs"], 2000);
    let sleeps = w.sleeps.lock().unwrap().clone();
    let slept: Duration = sleeps.iter().sum();
    assert_eq!(
        slept,
        Duration::from_secs(2),
        "waits exactly the asked time"
    );
    assert!(
        sleeps
            .windows(2)
            .all(|p| p[1] >= p[0] || p[1] < Duration::from_millis(1000)),
        "backoff grows: {sleeps:?}"
    );
    assert!(sleeps.iter().all(|s| *s <= Duration::from_secs(1)));
}

#[tokio::test]
async fn sync_start_stops_waiting_before_the_lambda_deadline() {
    let w = world();
    let now = w.clock.now().timestamp_millis();
    let out = invoke(
        &w,
        start_request("callback", &[("wait", "60")], "s3"),
        Some(now + 10_000),
    )
    .await;
    assert_eq!(out["statusCode"], 202);
    let slept: Duration = w.sleeps.lock().unwrap().iter().sum();
    assert!(slept <= Duration::from_millis(8_500), "{slept:?}");
}

#[tokio::test]
async fn sync_start_reports_failures_like_a_synchronous_invoke() {
    let w = world();
    let body = start_body("callback", "sf");
    let r = call(
        &w,
        request(
            "POST",
            "/executions/callback",
            &[("wait", "3")],
            Some(&body),
        ),
    )
    .await;
    assert_eq!(r.status, 202);
    // Simulate the execution failing.
    {
        let mut ex = w.sfn.executions.lock().unwrap();
        let e = ex.iter_mut().find(|e| e.detail.name == "sf").unwrap();
        e.detail.status = ExecutionStatus::Failed;
        e.detail.error = Some("RandomFailure".into());
    }
    // Repeating the start (same idempotency) now finds it ended.
    let r = call(
        &w,
        request(
            "POST",
            "/executions/callback",
            &[("wait", "3")],
            Some(&body),
        ),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["status"], "FAILED");
    assert_eq!(r.body["error"], "RandomFailure");
}

#[tokio::test]
async fn sync_start_rejects_bad_input() {
    let w = world();
    let body = start_body("callback", "never");
    for wait in ["61", "-1", "1.5", "soon"] {
        let r = call(
            &w,
            request(
                "POST",
                "/executions/callback",
                &[("wait", wait)],
                Some(&body),
            ),
        )
        .await;
        assert_eq!(r.status, 400, "wait={wait}");
        assert_eq!(r.body["error"], "InvalidField");
        assert!(r.body["message"].as_str().unwrap().contains("wait"));
    }
    assert!(
        w.starts.requests.lock().unwrap().is_empty() && w.jobs.jobs().is_empty(),
        "requests with a bad query never reach the start service"
    );
    let r = call(&w, request("POST", "/executions/lambda", &[], Some("{}"))).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["error"], "UnknownMachine");
    // The start routes' own validation answers unchanged.
    let r = call(
        &w,
        request("POST", "/executions/waitable", &[("wait", "5")], Some("{}")),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["error"], "MissingField");
    assert!(r.body["message"]
        .as_str()
        .unwrap()
        .contains("StartTimestamp"));
    assert!(w.starts.requests.lock().unwrap().is_empty());
}

#[tokio::test]
async fn unknown_routes_and_methods() {
    let w = world();
    let r = call(&w, request("POST", "/executions", &[], None)).await;
    assert_eq!(r.status, 405);
    let r = call(&w, request("PUT", "/executions/x", &[], None)).await;
    assert_eq!(r.status, 405);
    let r = call(&w, request("GET", "/executions/x/y/z", &[], None)).await;
    assert_eq!(r.status, 404);
    let r = call(
        &w,
        request("GET", "/executions/x", &[("verbose", "1")], None),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["error"], "UnknownField");
}

#[tokio::test]
async fn upstream_failures_are_502() {
    let w = world();
    *w.sfn.fail.lock().unwrap() = true;
    let r = call(&w, request("GET", "/executions", &[], None)).await;
    assert_eq!(r.status, 502);
    assert_eq!(r.body["error"], "Upstream");
}
