//! Time you control: the runtime's one clock, read and moved through `/_local/clock`, frozen
//! at a time of the test's choosing. Every flow here finishes on simulated time alone: each
//! advance replies once what came due has run, so nothing sleeps or polls in between.

use std::time::Duration;

use asl::{Clock, ManualClock};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::common::*;

/// A request to the runtime's control API on the AWS endpoint's port.
async fn control(app: &App, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    control_with(app, method, path, body, &[]).await
}

async fn control_with(
    app: &App,
    method: &str,
    path: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let url = format!("{}{path}", app.rt.aws_url());
    let mut req = app
        .http
        .request(method.parse().expect("method"), url)
        .timeout(Duration::from_secs(60));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let r = req.send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn advance(app: &App, seconds: u64) -> Value {
    let (s, v) = control(
        app,
        "POST",
        "/_local/clock/advance",
        Some(json!({ "seconds": seconds })),
    )
    .await;
    assert_eq!(s, 200, "advance: {v}");
    assert_eq!(v["settled"], true, "{v}");
    v
}

fn at(v: &Value, k: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(str_of(v, k))
        .unwrap_or_else(|e| panic!("{k} of {v}: {e}"))
        .with_timezone(&Utc)
}

fn event_time(e: &Value) -> DateTime<Utc> {
    let ms = (e["timestamp"].as_f64().expect("timestamp") * 1000.0).round() as i64;
    DateTime::from_timestamp_millis(ms).expect("time")
}

fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clock_is_read_advanced_and_set_and_never_goes_back() {
    let app = start_frozen(&[]).await;
    let (s, v) = control(&app, "GET", "/_local/clock", None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["now"], FROZEN_AT);
    assert_eq!(v["frozen"], true);
    let offset = v["offsetSeconds"].as_f64().expect("offsetSeconds");
    let expected = (frozen_at() - Utc::now()).num_seconds() as f64;
    assert!((offset - expected).abs() < 60.0, "{offset} vs {expected}");

    let v = advance(&app, 90).await;
    assert_eq!(v["now"], "2031-03-04T05:07:37.000Z");
    assert_eq!(v["frozen"], true);
    // Frozen: time stands still between advances.
    tokio::time::sleep(Duration::from_millis(30)).await;
    assert_eq!(
        control(&app, "GET", "/_local/clock", None).await.1["now"],
        v["now"]
    );

    let (s, v) = control(
        &app,
        "POST",
        "/_local/clock/set",
        Some(json!({"time": "2031-03-05T00:00:00Z"})),
    )
    .await;
    assert_eq!(
        (s, v["now"].as_str()),
        (200, Some("2031-03-05T00:00:00.000Z")),
        "{v}"
    );

    // Refusals: 400 with a JSON error naming the problem, and the clock stays put.
    for (path, body) in [
        ("/_local/clock/set", json!({"time": "2031-03-04T00:00:00Z"})),
        ("/_local/clock/set", json!({"time": "tomorrow"})),
        ("/_local/clock/set", json!({})),
        ("/_local/clock/advance", json!({"seconds": -1})),
        ("/_local/clock/advance", json!({"seconds": "60"})),
        ("/_local/clock/advance", json!({"seconds": 60, "extra": 1})),
        ("/_local/clock/advance", json!([60])),
        ("/_local/clock/advance", json!({"seconds": 1e300})),
    ] {
        let (s, v) = control(&app, "POST", path, Some(body.clone())).await;
        assert_eq!(s, 400, "{path} {body}: {v}");
        assert!(v["error"].is_string() && v["message"].is_string(), "{v}");
    }
    let url = format!("{}/_local/clock/advance", app.rt.aws_url());
    let r = app
        .http
        .post(&url)
        .body("{not json")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 400);
    assert_eq!(
        control(&app, "GET", "/_local/clock", None).await.1["now"],
        "2031-03-05T00:00:00.000Z",
        "nothing moved"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_runtime_s_own_host_and_page_may_move_the_clock() {
    let app = start_frozen(&[]).await;
    let body = Some(json!({"seconds": 60}));
    let host = app.rt.aws_addr.to_string();
    for headers in [
        vec![("origin", "http://evil.example")],
        vec![("sec-fetch-site", "cross-site")],
        vec![("host", "evil.example:4566")],
    ] {
        let (s, v) = control_with(
            &app,
            "POST",
            "/_local/clock/advance",
            body.clone(),
            &headers,
        )
        .await;
        assert_eq!(s, 403, "{headers:?}: {v}");
    }
    let (s, _) = control_with(
        &app,
        "GET",
        "/_local/clock",
        None,
        &[("host", "rebound.example")],
    )
    .await;
    assert_eq!(s, 403, "DNS rebinding: another host name");
    assert_eq!(app.clock.now(), frozen_at(), "nothing moved");
    // The console's own page may.
    let origin = format!("http://{host}");
    let (s, v) = control_with(
        &app,
        "POST",
        "/_local/clock/advance",
        body,
        &[("origin", &origin), ("sec-fetch-site", "same-origin")],
    )
    .await;
    assert_eq!(s, 200, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wait_until_job_a_day_ahead_finishes_after_one_advance() {
    let app = start_frozen(&[]).await;
    let due = frozen_at() + chrono::Duration::days(1);
    let (s, v) = app
        .post("/start", json!({"taskName": "report", "startAt": rfc(due)}))
        .await;
    assert_eq!(s, 202, "{v}");
    let arn = str_of(&v, "executionArn").to_string();
    let id = str_of(&v, "jobId").to_string();
    assert_eq!(
        at(&v, "startDate"),
        frozen_at(),
        "started on the runtime's clock"
    );

    advance(&app, 86_400).await;
    let d = app.describe(&arn).await;
    assert_eq!(d["status"], "SUCCEEDED", "{d}");
    let (s, job) = app.get(&format!("/jobs/{id}")).await;
    assert_eq!(
        (s, job["ProcessStatus"].as_str()),
        (200, Some("COMPLETED")),
        "{job}"
    );
    let h = app.history(&arn).await;
    let entered = h
        .iter()
        .find(|e| {
            e["type"] == "TaskStateEntered" && e["stateEnteredEventDetails"]["name"] == "SendEmail"
        })
        .unwrap_or_else(|| panic!("SendEmail ran: {h:?}"));
    assert_eq!(
        event_time(entered),
        due,
        "the email step ran at the simulated due time"
    );
    assert_eq!(event_time(&h[0]), frozen_at());
    assert_eq!(event_time(h.last().expect("events")), due);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waitable_job_an_hour_ahead_is_completed_when_the_advance_replies() {
    let app = start_frozen(&[]).await;
    let ts = rfc(frozen_at() + chrono::Duration::hours(1));
    let (s, v) = app.post("/jobs", json!({"StartTimestamp": ts})).await;
    assert_eq!(s, 202, "{v}");
    let id = str_of(&v, "jobId").to_string();
    advance(&app, 1800).await;
    assert_eq!(
        app.get(&format!("/jobs/{id}")).await.1["ProcessStatus"],
        "STARTED"
    );
    advance(&app, 1800).await;
    let (_, job) = app.get(&format!("/jobs/{id}")).await;
    assert_eq!(job["ProcessStatus"], "COMPLETED", "{job}");
    let (_, ex) = app.get(&format!("/executions/{id}")).await;
    assert_eq!(
        ex["job"]["ExecutionStatus"], "SUCCEEDED",
        "status events delivered too: {ex}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callback_timeouts_are_caught_after_advancing_past_them() {
    let app = start_tuned(
        &[("HeartbeatSeconds", "60"), ("TimeoutSeconds", "600")],
        None,
        |o| o.clock = ManualClock::new(frozen_at()),
    )
    .await;
    // Heartbeat: nobody answers within 60 s.
    let (s, v) = app.post("/callbacks", json!({"mode": "external"})).await;
    assert_eq!(s, 202, "{v}");
    let (beat_arn, beat_id) = (
        str_of(&v, "executionArn").to_string(),
        str_of(&v, "jobId").to_string(),
    );
    // Overall: heartbeats keep it alive until the overall limit.
    let (s, v) = app.post("/callbacks", json!({"mode": "external"})).await;
    assert_eq!(s, 202, "{v}");
    let (over_arn, over_id) = (
        str_of(&v, "executionArn").to_string(),
        str_of(&v, "jobId").to_string(),
    );

    advance(&app, 59).await;
    assert_eq!(
        app.get(&format!("/jobs/{beat_id}")).await.1["ProcessStatus"],
        "WAITING_FOR_CALLBACK"
    );
    let (s, v) = app
        .post(&format!("/jobs/{over_id}/heartbeat"), Value::Null)
        .await;
    assert!((200..300).contains(&s), "heartbeat: {v}");
    advance(&app, 2).await;
    let (_, job) = app.get(&format!("/jobs/{beat_id}")).await;
    assert_eq!(job["ProcessStatus"], "TIMED_OUT", "{job}");
    let h = app.history(&beat_arn).await;
    assert!(
        h.iter()
            .any(|e| e["type"] == "TaskTimedOut"
                && e.to_string().contains("States.HeartbeatTimeout")),
        "{h:?}"
    );
    // Caught: the job is recorded TIMED_OUT, then the machine ends FAILED, as it documents.
    assert_eq!(app.describe(&beat_arn).await["status"], "FAILED");
    assert_eq!(
        app.get(&format!("/jobs/{over_id}")).await.1["ProcessStatus"],
        "WAITING_FOR_CALLBACK"
    );

    for _ in 0..10 {
        let (s, v) = app
            .post(&format!("/jobs/{over_id}/heartbeat"), Value::Null)
            .await;
        if s >= 400 {
            assert_eq!(
                app.get(&format!("/jobs/{over_id}")).await.1["ProcessStatus"],
                "TIMED_OUT",
                "{v}"
            );
            break;
        }
        advance(&app, 59).await;
    }
    let (_, job) = app.get(&format!("/jobs/{over_id}")).await;
    assert_eq!(job["ProcessStatus"], "TIMED_OUT", "{job}");
    let h = app.history(&over_arn).await;
    let timed_out = h
        .iter()
        .find(|e| e["type"] == "TaskTimedOut")
        .unwrap_or_else(|| panic!("{h:?}"));
    assert!(
        timed_out.to_string().contains("States.Timeout"),
        "{timed_out}"
    );
    assert_eq!(
        event_time(timed_out),
        frozen_at() + chrono::Duration::seconds(600)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skip_wait_ends_one_wait_now_and_is_refused_elsewhere() {
    let app = start_frozen(&[]).await;
    // An hour away: the execution is parked out of the engine; a minute away: it is not.
    let mut jobs = Vec::new();
    for ahead in [chrono::Duration::hours(1), chrono::Duration::seconds(30)] {
        let ts = rfc(frozen_at() + ahead);
        let (s, v) = app.post("/jobs", json!({"StartTimestamp": ts})).await;
        assert_eq!(s, 202, "{v}");
        jobs.push((
            str_of(&v, "executionArn").to_string(),
            str_of(&v, "jobId").to_string(),
        ));
    }
    advance(&app, 0).await;
    for (arn, id) in &jobs {
        let (s, v) = control(
            &app,
            "POST",
            "/_local/executions/skip-wait",
            Some(json!({"executionArn": arn})),
        )
        .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["skipped"], true);
        assert_eq!(app.describe(arn).await["status"], "SUCCEEDED");
        assert_eq!(
            app.get(&format!("/jobs/{id}")).await.1["ProcessStatus"],
            "COMPLETED"
        );
        let h = app.history(arn).await;
        let exited = h
            .iter()
            .find(|e| e["type"] == "WaitStateExited")
            .expect("wait exited");
        assert_eq!(
            event_time(exited),
            frozen_at(),
            "ended at the clock's time, not the Wait's"
        );
        // Ended: no Wait to skip any more.
        let (s, v) = control(
            &app,
            "POST",
            "/_local/executions/skip-wait",
            Some(json!({"executionArn": arn})),
        )
        .await;
        assert_eq!(s, 400, "{v}");
        assert_eq!(v["error"], "NotInWait");
    }
    assert_eq!(
        app.clock.now(),
        frozen_at(),
        "skipping a Wait does not move the clock"
    );

    // A callback waits for its token, not in a Wait.
    let (_, v) = app.post("/callbacks", json!({"mode": "external"})).await;
    let arn = str_of(&v, "executionArn").to_string();
    advance(&app, 0).await;
    let (s, v) = control(
        &app,
        "POST",
        "/_local/executions/skip-wait",
        Some(json!({"executionArn": arn})),
    )
    .await;
    assert_eq!((s, v["error"].as_str()), (400, Some("NotInWait")), "{v}");
    let missing = arn.replace(
        &str_of(&app.describe(&arn).await, "name").to_string(),
        "nope",
    );
    let (s, v) = control(
        &app,
        "POST",
        "/_local/executions/skip-wait",
        Some(json!({"executionArn": missing})),
    )
    .await;
    assert_eq!(s, 404, "{v}");
    let (s, v) = control(
        &app,
        "POST",
        "/_local/executions/skip-wait",
        Some(json!({"arn": arn})),
    )
    .await;
    assert_eq!(s, 400, "{v}");
}

/// Every time the runtime writes, in the table, the executions and their histories, comes
/// from the one clock: frozen in 2031, nothing may carry today's date.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_component_reads_the_wall_clock() {
    let app = start_tuned(
        &[("CallbackMode", "external"), ("SuccessRatio", "1")],
        None,
        |o| o.clock = ManualClock::new(frozen_at()),
    )
    .await;
    // start-execution checks startAt against its clock: an hour after the frozen time is in
    // the future (years after today's date), and today is more than MaxAheadDays before it.
    let (s, v) = app
        .post(
            "/start",
            json!({"taskName": "t", "startAt": rfc(frozen_at() + chrono::Duration::hours(1))}),
        )
        .await;
    assert_eq!(s, 202, "{v}");
    let wait_until = str_of(&v, "executionArn").to_string();
    let (s, v) = app
        .post("/start", json!({"taskName": "t", "startAt": in_an_hour()}))
        .await;
    assert_eq!(s, 400, "today is in the past of the runtime's clock: {v}");
    let (s, v) = app
        .post(
            "/jobs",
            json!({"StartTimestamp": rfc(frozen_at() + chrono::Duration::minutes(10))}),
        )
        .await;
    assert_eq!(s, 202, "{v}");
    let waitable = str_of(&v, "executionArn").to_string();
    // send-wait stores the token; task-callback answers it; status-events records each end.
    let (_, v) = app.post("/callbacks", json!({"mode": "external"})).await;
    let callback = str_of(&v, "executionArn").to_string();
    let cb_id = str_of(&v, "jobId").to_string();
    advance(&app, 5).await;
    let (s, v) = app
        .post(&format!("/jobs/{cb_id}/success"), json!({"ok": true}))
        .await;
    assert!((200..300).contains(&s), "{v}");
    let (_, v) = app.post("/callbacks", json!({"mode": "auto"})).await;
    let auto = str_of(&v, "executionArn").to_string();
    advance(&app, 3600).await;

    let day = "2031-03-04";
    let mut times = Vec::new();
    for arn in [&wait_until, &waitable, &callback, &auto] {
        let d = app.describe(arn).await;
        assert_eq!(d["status"], "SUCCEEDED", "{d}");
        for e in app.history(arn).await {
            times.push((format!("{arn} event {}", e["id"]), rfc(event_time(&e))));
        }
        for k in ["startDate", "stopDate"] {
            let ms = (d[k].as_f64().expect(k) * 1000.0) as i64;
            times.push((
                format!("{arn} {k}"),
                rfc(DateTime::from_timestamp_millis(ms).expect("t")),
            ));
        }
    }
    // The table: every string that is a time, every epoch number (ExpiresAt), the table's own.
    let table = app.rt.app.tables[0].name.clone();
    let (_, scan) = app
        .aws("DynamoDB_20120810.Scan", json!({"TableName": table}))
        .await;
    let items = scan["Items"].as_array().expect("items");
    assert!(items.len() >= 4, "{scan}");
    fn walk(path: &str, v: &Value, out: &mut Vec<(String, String)>) {
        match v {
            Value::String(s)
                if s.len() >= 20 && s.as_bytes()[4] == b'-' && s.as_bytes()[10] == b'T' =>
            {
                out.push((path.to_string(), s.clone()))
            }
            Value::Object(m) => m
                .iter()
                .for_each(|(k, v)| walk(&format!("{path}.{k}"), v, out)),
            Value::Array(a) => a.iter().for_each(|v| walk(path, v, out)),
            _ => {}
        }
    }
    for item in items {
        walk(&format!("item {}", item["Id"]["S"]), item, &mut times);
        let expires = item["ExpiresAt"]["N"]
            .as_str()
            .map(|n| n.parse::<i64>().expect("n"));
        if let Some(e) = expires {
            let days = (e - frozen_at().timestamp()) / 86_400;
            assert!(
                (89..=91).contains(&days),
                "ExpiresAt {e} is JobRetentionDays after the clock"
            );
        }
    }
    assert!(
        items.iter().any(|i| i.get("ExpiresAt").is_some()),
        "status-events set ExpiresAt"
    );
    let (_, t) = app
        .aws(
            "DynamoDB_20120810.DescribeTable",
            json!({"TableName": table}),
        )
        .await;
    let created = t["Table"]["CreationDateTime"]
        .as_f64()
        .expect("CreationDateTime") as i64;
    times.push((
        "table CreationDateTime".into(),
        rfc(DateTime::from_timestamp(created, 0).expect("t")),
    ));
    assert!(times.len() > 40, "{times:?}");
    for (what, t) in &times {
        assert!(t.starts_with(day), "{what} = {t}: not the runtime's clock");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ttl_deletes_when_the_clock_passes_an_item_s_expiry() {
    let app = start_frozen(&[]).await;
    let table = app.rt.app.tables[0].name.clone();
    let expires = frozen_at().timestamp() + 3 * 86_400;
    let (s, v) = app
        .aws(
            "DynamoDB_20120810.PutItem",
            json!({"TableName": table, "Item": {"Id": {"S": "old"}, "ExpiresAt": {"N": expires.to_string()}}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let get = || {
        app.aws(
            "DynamoDB_20120810.GetItem",
            json!({"TableName": table, "Key": {"Id": {"S": "old"}}}),
        )
    };
    advance(&app, 3 * 86_400 - 10).await;
    assert!(get().await.1.get("Item").is_some(), "not expired yet");
    let v = advance(&app, 120).await;
    assert!(
        get().await.1.get("Item").is_none(),
        "deleted by TTL within the advance: {v}"
    );
}

/// The API Gateway event and the Lambda context the runtime builds carry the runtime's time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_events_and_lambda_contexts_carry_the_runtime_s_time() {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = seen.clone();
    let status: std::sync::Arc<dyn app_core::JsonHandler> = std::sync::Arc::new(
        local::lambda::FnHandler(move |event: Value, ctx: lambda_runtime::Context| {
            let record = record.clone();
            async move {
                record.lock().expect("lock").push((event, ctx.deadline));
                Ok(json!({"statusCode": 200, "body": "{}"}))
            }
        }),
    );
    let app = start_tuned(&[], None, |o| {
        o.clock = ManualClock::new(frozen_at());
        o.handler_overrides.insert("status".into(), status);
    })
    .await;
    let (s, v) = app.get("/status").await;
    assert_eq!(s, 200, "{v}");
    let (event, deadline) = seen.lock().expect("lock").pop().expect("the route ran");
    let epoch = event["requestContext"]["requestTimeEpoch"]
        .as_i64()
        .expect("requestTimeEpoch");
    assert_eq!(epoch, frozen_at().timestamp_millis(), "{event}");
    let text = event["requestContext"]["requestTime"]
        .as_str()
        .expect("requestTime");
    assert!(text.starts_with("04/Mar/2031:05:06:07"), "{text}");
    let deadline = deadline as i64 - frozen_at().timestamp_millis();
    assert!(
        (0..=900_000).contains(&deadline),
        "the deadline is the function timeout after the clock: {deadline}"
    );
}

/// Retention and TTL follow the clock: three months on, the ended execution and its job
/// record are gone, as on AWS (90 days) and DynamoDB (JobRetentionDays).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ended_executions_and_jobs_go_when_the_clock_passes_their_retention() {
    let app = start_frozen(&[]).await;
    let ts = rfc(frozen_at() + chrono::Duration::minutes(5));
    let (s, v) = app.post("/jobs", json!({"StartTimestamp": ts})).await;
    assert_eq!(s, 202, "{v}");
    let (arn, id) = (
        str_of(&v, "executionArn").to_string(),
        str_of(&v, "jobId").to_string(),
    );
    advance(&app, 300).await;
    assert_eq!(app.describe(&arn).await["status"], "SUCCEEDED");
    advance(&app, 89 * 86_400).await;
    assert_eq!(app.get(&format!("/jobs/{id}")).await.0, 200, "kept 89 days");
    assert_eq!(app.describe(&arn).await["status"], "SUCCEEDED");
    let done = advance(&app, 2 * 86_400).await;
    let (s, v) = app
        .aws(
            "AWSStepFunctions.DescribeExecution",
            json!({"executionArn": arn}),
        )
        .await;
    assert_eq!(
        (s, v["__type"].as_str()),
        (400, Some("ExecutionDoesNotExist")),
        "{v} after {done}"
    );
    assert_eq!(
        app.get(&format!("/jobs/{id}")).await.0,
        404,
        "the job's TTL passed too"
    );
}

/// The binary as a user runs it: `--clock frozen=...`, moved by plain HTTP calls (no
/// content type, as `curl -d` sends them), with no sleep between the advance and the read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_runs_on_a_frozen_clock_moved_over_http() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bin = spawn(
        &dir.path().join("state"),
        &["--clock", &format!("frozen={FROZEN_AT}")],
    )
    .await;
    let http = reqwest::Client::new();
    let clock: Value = http
        .get(format!("{}/_local/clock", bin.aws))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(
        (clock["now"].as_str(), clock["frozen"].as_bool()),
        (Some(FROZEN_AT), Some(true)),
        "{clock}"
    );
    let r = http
        .post(format!("{}/jobs", bin.api))
        .header("x-api-key", KEY)
        .body(json!({"StartTimestamp": rfc(frozen_at() + chrono::Duration::hours(1))}).to_string())
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 202);
    let id = r.json::<Value>().await.expect("json")["jobId"]
        .as_str()
        .expect("jobId")
        .to_string();
    let r = http
        .post(format!("{}/_local/clock/advance", bin.aws))
        .body(r#"{"seconds": 3600}"#)
        .send()
        .await
        .expect("advance");
    assert_eq!(r.status().as_u16(), 200);
    let job: Value = http
        .get(format!("{}/jobs/{id}", bin.api))
        .header("x-api-key", KEY)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(job["ProcessStatus"], "COMPLETED", "{job}");
    assert!(
        str_of(&job, "LastUpdated").starts_with("2031-03-04T06:06:07"),
        "{job}"
    );

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_local"))
        .args(["--in-memory", "--clock", "sometimes"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("real, frozen or frozen=<RFC 3339 time>"),
        "{err}"
    );
}
