//! Execution control end to end: the `/executions` routes and the status records that the
//! forwarded "Step Functions Execution Status Change" events keep, against the real template,
//! state machines and handlers, with time driven by the test.

use std::time::Duration;

use crate::common::{api_request, eventually, in_an_hour, start, str_of, App};
use serde_json::{json, Value};
use tokio::task::JoinHandle;

fn secs_ahead(s: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(s))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// Starts a job through its usual route; answers (jobId, executionArn).
async fn start_job(app: &App, route: &str, body: Value) -> (String, String) {
    let (s, v) = app.post(route, body).await;
    assert_eq!(s, 202, "POST {route}: {v}");
    (
        str_of(&v, "jobId").to_string(),
        str_of(&v, "executionArn").to_string(),
    )
}

/// Waits until the status record written by status-events says `status`; answers the
/// execution as `GET /executions/{id}` shows it.
async fn status_record(app: &App, id: &str, status: &str) -> Value {
    eventually(&format!("status record of {id} to be {status}"), || async {
        let (s, v) = app.get(&format!("/executions/{id}")).await;
        (s == 200 && v["job"]["ExecutionStatus"] == status).then_some(v)
    })
    .await
}

/// Sends a request from another task, so the test can move the clock while it waits.
fn spawn_call(app: &App, method: &str, path: &str, body: Value) -> JoinHandle<(u16, Value)> {
    let http = app.http.clone();
    let url = app.url(path);
    let method = method.to_string();
    tokio::spawn(async move { api_request(&http, &method, &url, body).await })
}

/// Advances the clock a second at a time until the request answers. Each advance returns
/// once the execution and the handler's own polling have run until they wait on the clock
/// again, so simulated time never runs ahead of them.
async fn drive(app: &App, mut call: JoinHandle<(u16, Value)>, max_secs: u64) -> (u16, Value) {
    for _ in 0..max_secs {
        if call.is_finished() {
            break;
        }
        app.advance(1).await;
    }
    tokio::time::timeout(Duration::from_secs(10), &mut call)
        .await
        .expect("the synchronous start answered")
        .expect("request task")
}

fn ids(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|i| i["jobId"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_filters_and_pages_without_gaps_or_repeats() {
    let app = start(&[]).await;
    let mut waitable = Vec::new();
    for _ in 0..3 {
        waitable.push(start_job(&app, "/jobs", json!({"StartTimestamp": in_an_hour()})).await);
    }
    let mut wait_until = Vec::new();
    for _ in 0..2 {
        wait_until.push(
            start_job(
                &app,
                "/start",
                json!({"taskName": "t", "startAt": in_an_hour()}),
            )
            .await,
        );
    }
    let (cb, _) = start_job(&app, "/callbacks", json!({})).await;
    app.wait_sleepers(5).await;

    // One machine.
    let (s, v) = app.get("/executions?machine=waitable").await;
    assert_eq!(s, 200, "{v}");
    let mut got = ids(&v);
    got.sort();
    let mut want: Vec<String> = waitable.iter().map(|(id, _)| id.clone()).collect();
    want.sort();
    assert_eq!(got, want);
    assert!(v["items"].as_array().is_some_and(|a| a
        .iter()
        .all(|i| i["machine"] == "waitable" && i["status"] == "RUNNING")));
    assert_eq!(v["next"], Value::Null);

    // Two machines, two at a time: every execution once, newest first.
    let mut seen: Vec<Value> = Vec::new();
    for v in app
        .pages("/executions?machine=waitable,wait-until&limit=2", 10)
        .await
    {
        let items = v["items"].as_array().cloned().unwrap_or_default();
        assert!(items.len() <= 2, "{v}");
        seen.extend(items);
    }
    let mut listed: Vec<String> = seen
        .iter()
        .filter_map(|i| i["jobId"].as_str().map(str::to_string))
        .collect();
    assert_eq!(listed.len(), 5, "{seen:?}");
    // The manual clock stands still, so every execution started in the same millisecond:
    // the page boundaries fall between ties, which must neither be skipped nor repeated.
    let starts: Vec<String> = seen
        .iter()
        .map(|i| i["startDate"].as_str().unwrap_or("").to_string())
        .collect();
    let mut sorted = starts.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(starts, sorted, "newest first");
    listed.sort();
    listed.dedup();
    assert_eq!(listed.len(), 5, "no repeats");
    assert!(!listed.contains(&cb), "callback was not asked for");

    // All machines by default; the status filter.
    let (_, v) = app.get("/executions?limit=100").await;
    assert!(ids(&v).contains(&cb), "{v}");
    assert_eq!(ids(&v).len(), 6, "{v}");
    let (id, _) = &waitable[0];
    let (s, v) = app.delete(&format!("/executions/{id}?force=true")).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app.get("/executions?status=aborted").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(ids(&v), vec![id.clone()]);
    let (_, v) = app.get("/executions?status=RUNNING&machine=waitable").await;
    assert_eq!(ids(&v).len(), 2, "{v}");
    let (_, v) = app.get("/executions?status=SUCCEEDED").await;
    assert!(ids(&v).is_empty(), "{v}");

    // A cursor belongs to its filters.
    let (_, v) = app.get("/executions?machine=waitable&limit=1").await;
    let cursor = str_of(&v, "next").to_string();
    let (s, v) = app
        .get(&format!(
            "/executions?machine=wait-until&limit=1&next={cursor}"
        ))
        .await;
    assert_eq!(s, 400, "{v}");
    assert_eq!(v["error"], "InvalidCursor");

    // Well-formed cursors it never issued, whatever they decode to, are 400 too.
    let mut doc: Value = decode_cursor(&cursor);
    for t in [
        json!("x"),
        json!("A".repeat(2000)),
        json!(""),
        json!(encode_raw(r#"{"s":"other","k":1}"#)),
    ] {
        doc["p"][0]["t"] = t.clone();
        let forged = encode_cursor(&doc);
        let (s, v) = app
            .get(&format!(
                "/executions?machine=waitable&limit=1&next={forged}"
            ))
            .await;
        assert_eq!(
            (s, v["error"].as_str()),
            (400, Some("InvalidCursor")),
            "t={t}: {v}"
        );
    }
}

fn decode_cursor(c: &str) -> Value {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .expect("base64url cursor");
    serde_json::from_slice(&bytes).expect("JSON cursor")
}

fn encode_raw(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

fn encode_cursor(v: &Value) -> String {
    encode_raw(&v.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_shows_status_input_output_current_state_and_job() {
    let app = start(&[]).await;
    let (id, arn) = start_job(&app, "/callbacks", json!({"input": {"order": 7}})).await;
    app.wait_job(&id, "WAITING_FOR_CALLBACK").await;
    let token = app.token(&id).await;

    let (s, v) = app.get(&format!("/executions/{id}")).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["executionArn"], arn.as_str());
    assert_eq!(v["jobId"], id.as_str());
    assert_eq!(v["machine"], "callback");
    assert_eq!(v["status"], "RUNNING");
    assert_eq!(v["stopDate"], Value::Null);
    assert_eq!(v["output"], Value::Null);
    assert_eq!(v["input"]["jobId"], id.as_str());
    assert_eq!(v["input"]["input"], json!({"order": 7}));
    assert_eq!(v["currentState"], "WaitForCallback");
    assert_eq!(v["cancelRequested"], false);
    assert_eq!(v["job"]["Id"], id.as_str());
    assert_eq!(v["job"]["ProcessStatus"], "WAITING_FOR_CALLBACK");
    assert!(v["job"].get("TaskToken").is_none(), "{v}");
    assert!(!v.to_string().contains(&token), "the token never leaves");
    // RUNNING reached the record through the forwarded event.
    status_record(&app, &id, "RUNNING").await;

    let (s, r) = app
        .post(&format!("/jobs/{id}/success"), json!({"answer": 42}))
        .await;
    assert_eq!(s, 200, "{r}");
    app.wait_execution(&arn, "SUCCEEDED").await;
    let v = status_record(&app, &id, "SUCCEEDED").await;
    assert_eq!(v["status"], "SUCCEEDED");
    assert_eq!(v["currentState"], Value::Null);
    assert_eq!(v["output"]["taskresult"]["answer"], 42, "{v}");
    assert!(v["stopDate"].is_string());
    assert_eq!(v["job"]["ProcessStatus"], "COMPLETED");
    assert!(v["job"].get("TaskToken").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_pages_to_the_end_in_both_orders_and_hides_tokens() {
    let app = start(&[]).await;
    let (id, arn) = start_job(&app, "/callbacks", json!({})).await;
    app.wait_job(&id, "WAITING_FOR_CALLBACK").await;
    let token = app.token(&id).await;
    let (s, r) = app.post(&format!("/jobs/{id}/success"), json!({})).await;
    assert_eq!(s, 200, "{r}");
    app.wait_execution(&arn, "SUCCEEDED").await;
    let total = app.history(&arn).await.len();

    for reverse in [false, true] {
        let mut events: Vec<Value> = Vec::new();
        let path = format!("/executions/{id}/history?limit=3&reverse={reverse}");
        for v in app.pages(&path, 100).await {
            assert_eq!(v["executionArn"], arn.as_str());
            assert_eq!(v["status"], "SUCCEEDED");
            let page = v["events"].as_array().cloned().unwrap_or_default();
            assert!(page.len() <= 3);
            events.extend(page);
        }
        assert_eq!(events.len(), total, "every event once");
        let ids: Vec<i64> = events.iter().filter_map(|e| e["id"].as_i64()).collect();
        let mut want: Vec<i64> = (1..=total as i64).collect();
        if reverse {
            want.reverse();
        }
        assert_eq!(ids, want);
        let (first, last) = if reverse {
            ("ExecutionSucceeded", "ExecutionStarted")
        } else {
            ("ExecutionStarted", "ExecutionSucceeded")
        };
        assert_eq!(events[0]["type"], first);
        assert_eq!(events[events.len() - 1]["type"], last);
        assert!(events
            .iter()
            .any(|e| e["type"] == "TaskStateEntered" && e["state"] == "WaitForCallback"));
        let text = serde_json::to_string(&events).unwrap_or_default();
        assert!(!text.contains(&token), "the token is redacted");
        assert!(text.contains("redacted:"), "{text}");
    }

    // A cursor of one order is refused for the other.
    let (_, v) = app.get(&format!("/executions/{id}/history?limit=1")).await;
    let cursor = str_of(&v, "next").to_string();
    let (s, v) = app
        .get(&format!(
            "/executions/{id}/history?limit=1&reverse=true&next={cursor}"
        ))
        .await;
    assert_eq!(s, 400, "{v}");
    assert_eq!(v["error"], "InvalidCursor");
    let mut doc = decode_cursor(&cursor);
    for t in [
        json!("x"),
        json!("A".repeat(2000)),
        json!(""),
        json!(encode_raw(r#"{"s":"other","k":1}"#)),
    ] {
        doc["t"] = t.clone();
        let forged = encode_cursor(&doc);
        let (s, v) = app
            .get(&format!("/executions/{id}/history?limit=1&next={forged}"))
            .await;
        assert_eq!(
            (s, v["error"].as_str()),
            (400, Some("InvalidCursor")),
            "t={t}: {v}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_cancel_of_a_waiting_waitable_job() {
    let app = start(&[]).await;
    let (id, arn) = start_job(&app, "/jobs", json!({"StartTimestamp": in_an_hour()})).await;
    app.wait_sleepers(1).await;
    app.wait_job(&id, "STARTED").await;

    let (s, v) = app.delete(&format!("/executions/{id}")).await;
    assert_eq!(s, 202, "{v}");
    assert_eq!(v["cancelRequested"], true);
    assert_eq!(v["status"], "RUNNING");
    assert_eq!(v["executionArn"], arn.as_str());
    let first_at = str_of(&v, "cancelRequestedAt").to_string();
    let (s, v) = app.delete(&format!("/executions/{id}")).await;
    assert_eq!(s, 202, "a repeat is harmless: {v}");
    assert_eq!(v["cancelRequestedAt"], first_at.as_str());
    // Takes effect at the next state change: the Wait is still on.
    let (_, v) = app.get(&format!("/executions/{id}")).await;
    assert_eq!(v["status"], "RUNNING");
    assert_eq!(v["cancelRequested"], true);

    app.advance(3601).await;
    let d = app.wait_execution(&arn, "FAILED").await;
    assert_eq!(d["error"], "Cancelled", "{d}");
    let v = status_record(&app, &id, "CANCELLED").await;
    assert_eq!(v["status"], "FAILED");
    assert_eq!(v["error"], "Cancelled");
    assert_eq!(v["job"]["ProcessStatus"], "CANCELLED");
    // The write that would complete the job is conditional: it fails, and the job ends
    // through the one write of unsuccessful ends.
    let h = app.history(&arn).await;
    assert!(
        h.iter().any(|e| e["type"] == "TaskFailed"
            && e.to_string().contains("ConditionalCheckFailedException")),
        "{h:?}"
    );
    assert!(h
        .iter()
        .any(|e| e["stateEnteredEventDetails"]["name"] == "RecordEnd"));
    let (s, v) = app.delete(&format!("/executions/{id}")).await;
    assert_eq!(s, 409, "{v}");
    assert_eq!(v["error"], "AlreadyFinished");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_cancel_of_a_waiting_callback() {
    let app = start(&[]).await;
    let (id, arn) = start_job(&app, "/callbacks", json!({})).await;
    app.wait_job(&id, "WAITING_FOR_CALLBACK").await;
    let (s, v) = app.delete(&format!("/executions/{id}")).await;
    assert_eq!(s, 202, "{v}");
    // The callback still arrives; the machine then notices the cancel.
    let (s, v) = app
        .post(&format!("/jobs/{id}/success"), json!({"late": true}))
        .await;
    assert_eq!(s, 200, "{v}");
    let d = app.wait_execution(&arn, "FAILED").await;
    assert_eq!(d["error"], "Cancelled", "{d}");
    let v = status_record(&app, &id, "CANCELLED").await;
    assert_eq!(v["job"]["ProcessStatus"], "CANCELLED");
    assert!(v["job"].get("TaskToken").is_none());
    // The write that would complete the job is conditional on no cancel request.
    let h = app.history(&arn).await;
    assert!(
        h.iter().any(|e| e["type"] == "TaskFailed"
            && e.to_string().contains("ConditionalCheckFailedException")),
        "{h:?}"
    );
    assert!(h
        .iter()
        .any(|e| e["stateEnteredEventDetails"]["name"] == "RecordEnd"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn force_stop_aborts_now() {
    let app = start(&[]).await;
    let (id, arn) = start_job(&app, "/jobs", json!({"StartTimestamp": in_an_hour()})).await;
    app.wait_sleepers(1).await;
    let (s, v) = app.delete(&format!("/executions/{id}?force=maybe")).await;
    assert_eq!(s, 400, "{v}");
    assert_eq!(v["error"], "InvalidField");
    let (s, v) = app.delete(&format!("/executions/{id}?force=true")).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "ABORTED");
    assert_eq!(v["forced"], true);
    assert_eq!(v["error"], "Cancelled");
    assert!(v["stopDate"].is_string(), "{v}");
    assert_eq!(app.describe(&arn).await["status"], "ABORTED");
    let v = status_record(&app, &id, "ABORTED").await;
    assert_eq!(v["job"]["ProcessStatus"], "CANCELLED");
    for path in [
        format!("/executions/{id}?force=true"),
        format!("/executions/{id}"),
    ] {
        let (s, v) = app.delete(&path).await;
        assert_eq!(s, 409, "{path}: {v}");
        assert_eq!(v["error"], "AlreadyFinished");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn synchronous_start_answers_200_when_done_in_time() {
    let app = start(&[]).await;
    let call = spawn_call(
        &app,
        "POST",
        "/executions/waitable?wait=30",
        json!({"StartTimestamp": secs_ahead(10)}),
    );
    // The execution's Wait and the handler's poll both sleep on the clock.
    app.wait_sleepers(2).await;
    let (s, v) = drive(&app, call, 40).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "SUCCEEDED");
    assert_eq!(v["machine"], "waitable");
    let id = str_of(&v, "jobId").to_string();
    assert!(str_of(&v, "statusUrl").ends_with(&format!("/jobs/{id}")));
    assert!(v["output"].is_object(), "{v}");
    assert_eq!(v["input"]["jobId"], id.as_str());
    let waited = v["waitedMs"].as_i64().unwrap_or(-1);
    assert!((5_000..=30_000).contains(&waited), "waited {waited}: {v}");
    status_record(&app, &id, "SUCCEEDED").await;

    // The synchronous callback of auto mode answers with the execution's own outcome.
    let app = start(&[("SuccessRatio", "1.0")]).await;
    let call = spawn_call(
        &app,
        "POST",
        "/executions/callback?wait=10",
        json!({"mode": "auto", "input": {"n": 1}}),
    );
    // This execution needs no simulated time, only real work (the in-process send-token):
    // the clock stays put until it has ended, so the handler's wait cannot run out first.
    eventually("the auto-mode callback execution to succeed", || async {
        let (s, v) = app
            .get("/executions?machine=callback&status=SUCCEEDED")
            .await;
        (s == 200 && v["items"].as_array().is_some_and(|a| !a.is_empty())).then_some(())
    })
    .await;
    let (s, v) = drive(&app, call, 15).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "SUCCEEDED");
    assert_eq!(
        v["output"]["taskresult"]["respondedBy"], "send-token",
        "{v}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn synchronous_start_answers_202_when_still_running() {
    let app = start(&[]).await;
    let call = spawn_call(
        &app,
        "POST",
        "/executions/waitable?wait=5",
        json!({"StartTimestamp": in_an_hour()}),
    );
    app.wait_sleepers(2).await;
    let (s, v) = drive(&app, call, 20).await;
    assert_eq!(s, 202, "{v}");
    assert_eq!(v["status"], "RUNNING");
    let waited = v["waitedMs"].as_i64().unwrap_or(-1);
    assert!((5_000..60_000).contains(&waited), "waited {waited}: {v}");
    let arn = str_of(&v, "executionArn").to_string();
    let id = str_of(&v, "jobId").to_string();
    assert!(str_of(&v, "message").contains(&id));
    assert_eq!(app.describe(&arn).await["status"], "RUNNING");

    // wait=0 is the start route's own answer; its 4xx are passed through.
    let (s, v) = app
        .post(
            "/executions/wait-until",
            json!({"taskName": "x", "startAt": in_an_hour()}),
        )
        .await;
    assert_eq!(s, 202, "{v}");
    assert!(v.get("waitedMs").is_none(), "{v}");
    let (s, v) = app
        .post(
            "/executions/waitable?wait=3",
            json!({"StartTimestamp": "yesterday"}),
        )
        .await;
    assert_eq!(s, 400, "{v}");
    assert!(v["error"].is_string() && v["message"].is_string(), "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_records_match_every_outcome() {
    // TIMED_OUT needs the overall limit to come before the heartbeat.
    let app = start(&[("HeartbeatSeconds", "7200"), ("TimeoutSeconds", "600")]).await;

    let (ok, ok_arn) = start_job(&app, "/jobs", json!({"StartTimestamp": secs_ahead(5)})).await;
    let (failed, failed_arn) = start_job(&app, "/callbacks", json!({})).await;
    let (timed_out, timed_out_arn) = start_job(&app, "/callbacks", json!({})).await;
    let (aborted, aborted_arn) =
        start_job(&app, "/jobs", json!({"StartTimestamp": in_an_hour()})).await;
    let (cancelled, cancelled_arn) =
        start_job(&app, "/jobs", json!({"StartTimestamp": in_an_hour()})).await;
    app.wait_job(&failed, "WAITING_FOR_CALLBACK").await;
    app.wait_job(&timed_out, "WAITING_FOR_CALLBACK").await;
    app.wait_sleepers(5).await;

    let (s, v) = app
        .post(
            &format!("/jobs/{failed}/failure"),
            json!({"error": "Nope", "cause": "the test said no"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app
        .delete(&format!("/executions/{aborted}?force=true"))
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app.delete(&format!("/executions/{cancelled}")).await;
    assert_eq!(s, 202, "{v}");
    app.advance(10).await;
    app.wait_execution(&ok_arn, "SUCCEEDED").await;
    app.advance(600).await;
    app.wait_execution(&timed_out_arn, "FAILED").await;
    app.advance(3600).await;

    for (id, arn, execution, record, process) in [
        (&ok, &ok_arn, "SUCCEEDED", "SUCCEEDED", "COMPLETED"),
        (&failed, &failed_arn, "FAILED", "FAILED", "FAILED"),
        (
            &timed_out,
            &timed_out_arn,
            "FAILED",
            "TIMED_OUT",
            "TIMED_OUT",
        ),
        (&aborted, &aborted_arn, "ABORTED", "ABORTED", "CANCELLED"),
        (
            &cancelled,
            &cancelled_arn,
            "FAILED",
            "CANCELLED",
            "CANCELLED",
        ),
    ] {
        let d = app.wait_execution(arn, execution).await;
        let v = status_record(&app, id, record).await;
        assert_eq!(v["status"], execution, "{id}: {v}");
        assert_eq!(v["job"]["ProcessStatus"], process, "{id}: {v}");
        assert_eq!(v["job"]["ExecutionArn"], arn.as_str());
        assert!(v["job"].get("TaskToken").is_none(), "{id}: {v}");
        if let Some(e) = d["error"].as_str() {
            assert_eq!(v["error"], e, "{id}");
        }
    }
    assert_eq!(app.rt.status_events.failed(), 0);
    assert_eq!(app.rt.status_events.dropped(), 0);
    // Two events (RUNNING, then the end) per execution.
    eventually("every status event delivered", || async {
        let s = &app.rt.status_events;
        (s.delivered() >= 10 && s.pending() == 0).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_a_clear_json_error() {
    let app = start(&[]).await;
    let cases: &[(&str, &str, u16, &str)] = &[
        ("GET", "/executions/no-such-execution", 404, "NotFound"),
        (
            "GET",
            "/executions/no-such-execution/history",
            404,
            "NotFound",
        ),
        ("DELETE", "/executions/no-such-execution", 404, "NotFound"),
        ("GET", "/executions/bad%20name", 400, "InvalidField"),
        ("POST", "/executions/nope", 404, "UnknownMachine"),
        ("POST", "/executions/nope?wait=5", 404, "UnknownMachine"),
        ("GET", "/executions?machine=nope", 400, "UnknownMachine"),
        ("GET", "/executions?status=DONE", 400, "InvalidField"),
        ("GET", "/executions?status=CANCELLED", 400, "InvalidField"),
        ("GET", "/executions?limit=0", 400, "InvalidField"),
        ("GET", "/executions?limit=101", 400, "InvalidField"),
        ("GET", "/executions?limit=ten", 400, "InvalidField"),
        ("GET", "/executions?machines=waitable", 400, "UnknownField"),
        ("GET", "/executions?next=garbage", 400, "InvalidCursor"),
        (
            "GET",
            "/executions/x/history?limit=1001",
            400,
            "InvalidField",
        ),
        ("POST", "/executions/waitable?wait=61", 400, "InvalidField"),
        ("POST", "/executions/waitable?wait=-1", 400, "InvalidField"),
        (
            "POST",
            "/executions/waitable?wait=soon",
            400,
            "InvalidField",
        ),
    ];
    for (method, path, code, error) in cases {
        let body = if *method == "POST" {
            json!({"StartTimestamp": in_an_hour()})
        } else {
            Value::Null
        };
        let (s, v) = app.call(method, path, body).await;
        assert_eq!(s, *code, "{method} {path}: {v}");
        assert_eq!(v["error"], *error, "{method} {path}: {v}");
        assert!(
            v["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{method} {path}: {v}"
        );
    }
    // Refused synchronous starts start nothing.
    let (_, v) = app.get("/executions").await;
    assert_eq!(v["items"], json!([]), "{v}");
    // Without the key, as every route.
    let r = app
        .http
        .get(app.url("/executions"))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status().as_u16(), 403);
}
