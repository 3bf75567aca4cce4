//! Every flow of the application over HTTP, against the real template, state machines and
//! handlers, with time driven by the test.

use crate::common::{self, eventually, in_an_hour, start, str_of, App};
use serde_json::{json, Value};

async fn start_callback(app: &App, body: Value) -> (String, String) {
    let (s, v) = app.post("/callbacks", body).await;
    assert_eq!(s, 202, "POST /callbacks: {v}");
    (
        str_of(&v, "jobId").to_string(),
        str_of(&v, "executionArn").to_string(),
    )
}

fn event_time(e: &Value) -> f64 {
    e["timestamp"].as_f64().unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_until_sends_the_email_at_its_time() {
    let app = start(&[]).await;
    let start_at = in_an_hour();
    let (s, v) = app
        .post("/start", json!({"taskName": "report", "startAt": start_at}))
        .await;
    assert_eq!(s, 202, "{v}");
    let arn = str_of(&v, "executionArn").to_string();
    let id = str_of(&v, "jobId").to_string();
    app.wait_sleepers(1).await;
    app.advance(1800).await;
    assert_eq!(
        app.describe(&arn).await["status"],
        "RUNNING",
        "half way: still waiting"
    );
    let entered_send = |h: &[Value]| {
        h.iter().any(|e| {
            e["type"] == "TaskStateEntered" && e["stateEnteredEventDetails"]["name"] == "SendEmail"
        })
    };
    assert!(
        !entered_send(&app.history(&arn).await),
        "no email before its time"
    );
    app.advance(1801).await;
    let d = app.wait_execution(&arn, "SUCCEEDED").await;
    let h = app.history(&arn).await;
    let sent = h
        .iter()
        .find(|e| {
            e["type"] == "TaskStateEntered" && e["stateEnteredEventDetails"]["name"] == "SendEmail"
        })
        .unwrap_or_else(|| panic!("SendEmail ran: {h:?}"));
    let due = chrono::DateTime::parse_from_rfc3339(&start_at)
        .expect("rfc3339")
        .timestamp() as f64;
    assert!(
        event_time(sent) >= due,
        "sent at {} before {due}",
        event_time(sent)
    );
    assert!(d["output"].as_str().is_some());
    let job = app.wait_job(&id, "COMPLETED").await;
    assert_eq!(job["Pattern"], "wait-until");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waitable_job_goes_started_then_completed_in_status() {
    let app = start(&[]).await;
    let (s, v) = app
        .post("/jobs", json!({"StartTimestamp": in_an_hour()}))
        .await;
    assert_eq!(s, 202, "{v}");
    let id = str_of(&v, "jobId").to_string();
    let arn = str_of(&v, "executionArn").to_string();
    assert!(str_of(&v, "message").contains(&id));
    app.wait_sleepers(1).await;
    let listed = |v: &Value| -> Option<String> {
        v["items"]
            .as_array()?
            .iter()
            .find(|i| i["Id"] == id.as_str())
            .and_then(|i| i["ProcessStatus"].as_str().map(str::to_string))
    };
    let (s, st) = app.get("/status").await;
    assert_eq!(s, 200, "{st}");
    assert_eq!(listed(&st).as_deref(), Some("STARTED"), "{st}");
    app.advance(3601).await;
    app.wait_execution(&arn, "SUCCEEDED").await;
    let (_, st) = app.get("/status").await;
    assert_eq!(listed(&st).as_deref(), Some("COMPLETED"), "{st}");
    let (_, by_status) = app.get("/status?status=COMPLETED").await;
    assert_eq!(
        listed(&by_status).as_deref(),
        Some("COMPLETED"),
        "{by_status}"
    );
    let (_, started) = app.get("/status?status=STARTED").await;
    assert_eq!(listed(&started), None, "{started}");

    // The finished job expires through the table's TTL, JobRetentionDays (90) after it ended.
    let table = app.rt.app.tables[0].name.clone();
    let (s, ttl) = app
        .aws(
            "DynamoDB_20120810.DescribeTimeToLive",
            json!({"TableName": table}),
        )
        .await;
    assert_eq!(s, 200, "{ttl}");
    assert_eq!(
        ttl["TimeToLiveDescription"],
        json!({"TimeToLiveStatus": "ENABLED", "AttributeName": "ExpiresAt"})
    );
    let stopped = app.describe(&arn).await["stopDate"].as_f64().unwrap() as i64;
    let expires = eventually("ExpiresAt on the finished job", || async {
        let (_, item) = app
            .aws(
                "DynamoDB_20120810.GetItem",
                json!({"TableName": table, "Key": {"Id": {"S": id}}}),
            )
            .await;
        item["Item"]["ExpiresAt"]["N"]
            .as_str()
            .and_then(|n| n.parse::<i64>().ok())
    })
    .await;
    assert!(
        (expires - (stopped + 90 * 86_400)).abs() <= 1,
        "{expires} vs stopped {stopped}"
    );
    assert_eq!(app.rt.dynamo.expire_items(expires - 1).unwrap(), 0);
    assert_eq!(app.rt.dynamo.expire_items(expires + 1).unwrap(), 1);
    let (s, gone) = app.get(&format!("/jobs/{id}")).await;
    assert_eq!(s, 404, "{gone}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callback_completes_through_the_http_route() {
    let app = start(&[]).await;
    let (id, arn) = start_callback(&app, json!({})).await;
    let job = app.wait_job(&id, "WAITING_FOR_CALLBACK").await;
    assert!(
        job.get("TaskToken").is_none(),
        "the token is never returned: {job}"
    );
    let (s, v) = app
        .post(&format!("/jobs/{id}/success"), json!({"answer": 42}))
        .await;
    assert_eq!(s, 200, "{v}");
    let d = app.wait_execution(&arn, "SUCCEEDED").await;
    assert!(d["output"].as_str().unwrap_or("").contains("42"), "{d}");
    app.wait_job(&id, "COMPLETED").await;
    // The job no longer waits: a second answer is refused.
    let (s, v) = app.post(&format!("/jobs/{id}/success"), json!({})).await;
    assert!(s == 409 || s == 410, "late answer refused: {s} {v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callback_auto_mode_answers_by_itself() {
    let app = start(&[("SuccessRatio", "1.0")]).await;
    let (id, arn) = start_callback(&app, json!({"mode": "auto"})).await;
    app.wait_execution(&arn, "SUCCEEDED").await;
    app.wait_job(&id, "COMPLETED").await;

    let app = start(&[("SuccessRatio", "0"), ("CallbackMode", "auto")]).await;
    let (id, arn) = start_callback(&app, json!({})).await;
    let d = app.wait_execution(&arn, "FAILED").await;
    assert!(
        d.to_string().contains("RandomFailure")
            || app
                .history(&arn)
                .await
                .iter()
                .any(|e| e.to_string().contains("RandomFailure")),
        "{d}"
    );
    app.wait_job(&id, "FAILED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the aws CLI; scripts/test.sh runs it (--include-ignored)"]
async fn callback_completes_through_the_aws_cli() {
    let app = start(&[]).await;
    let (id, arn) = start_callback(&app, json!({"input": {"order": 7}})).await;
    app.wait_job(&id, "WAITING_FOR_CALLBACK").await;
    let token = app.token(&id).await;
    let (ok, out, err) = app.cli_task_success(&token, "{\"via\":\"cli\"}").await;
    assert!(ok, "send-task-success: {out} {err}");
    let d = app.wait_execution(&arn, "SUCCEEDED").await;
    assert!(d["output"].as_str().unwrap_or("").contains("cli"), "{d}");
    app.wait_job(&id, "COMPLETED").await;
    let (ok, _, err) = app.cli_task_success(&token, "{}").await;
    assert!(!ok, "a used token is refused");
    assert!(
        err.contains("TaskDoesNotExist")
            || err.contains("TaskTimedOut")
            || err.contains("InvalidToken"),
        "{err}"
    );

    let (ok, out, err) = app
        .cli(&[
            "stepfunctions",
            "list-executions",
            "--state-machine-arn",
            &app.rt
                .state_machine_arn("CallbackStateMachine")
                .expect("arn"),
        ])
        .await;
    assert!(ok && out.contains(&arn), "{out} {err}");
    let (ok, out, err) = app
        .cli(&[
            "dynamodb",
            "get-item",
            "--table-name",
            &app.rt.app.tables[0].name,
            "--key",
            &format!("{{\"Id\":{{\"S\":\"{id}\"}}}}"),
        ])
        .await;
    assert!(ok && out.contains("COMPLETED"), "{out} {err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callback_failure_through_the_http_route() {
    let app = start(&[]).await;
    let (id, arn) = start_callback(&app, json!({})).await;
    app.wait_job(&id, "WAITING_FOR_CALLBACK").await;
    let (s, v) = app
        .post(
            &format!("/jobs/{id}/failure"),
            json!({"error": "PaymentDeclined", "cause": "card expired"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    app.wait_execution(&arn, "FAILED").await;
    let job = app.wait_job(&id, "FAILED").await;
    assert!(job.to_string().contains("PaymentDeclined"), "{job}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_keep_the_task_alive() {
    let app = start(&[]).await; // HeartbeatSeconds 300
    let (id, arn) = start_callback(&app, json!({})).await;
    app.wait_job(&id, "WAITING_FOR_CALLBACK").await;
    app.wait_sleepers(1).await;
    for _ in 0..3 {
        app.advance(200).await;
        let (s, v) = app
            .post(&format!("/jobs/{id}/heartbeat"), Value::Null)
            .await;
        assert_eq!(s, 200, "{v}");
    }
    app.advance(200).await; // 800 s after the start, 200 s after the last heartbeat
    assert_eq!(app.describe(&arn).await["status"], "RUNNING");
    let (s, v) = app
        .post(&format!("/jobs/{id}/success"), json!({"ok": true}))
        .await;
    assert_eq!(s, 200, "{v}");
    app.wait_execution(&arn, "SUCCEEDED").await;
    app.wait_job(&id, "COMPLETED").await;
}

/// Starts a callback and lets its heartbeat time out (HeartbeatSeconds 300); answers the
/// job id and the task token it had.
async fn heartbeat_timed_out(app: &App) -> (String, String) {
    let (id, arn) = start_callback(app, json!({})).await;
    app.wait_job(&id, "WAITING_FOR_CALLBACK").await;
    let token = app.token(&id).await;
    app.wait_sleepers(1).await;
    app.advance(301).await;
    app.wait_execution(&arn, "FAILED").await;
    let h = app.history(&arn).await;
    assert!(
        h.iter()
            .any(|e| e["type"] == "TaskTimedOut"
                && e.to_string().contains("States.HeartbeatTimeout")),
        "{h:?}"
    );
    app.wait_job(&id, "TIMED_OUT").await;
    (id, token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeat_timeout_is_caught_and_the_late_answer_refused() {
    let app = start(&[]).await;
    let (id, _) = heartbeat_timed_out(&app).await;
    let (s, v) = app.post(&format!("/jobs/{id}/success"), json!({})).await;
    assert!(s == 409 || s == 410, "{s} {v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the aws CLI; scripts/test.sh runs it (--include-ignored)"]
async fn heartbeat_timeout_refuses_the_late_token_through_the_aws_cli() {
    let app = start(&[]).await;
    let (_, token) = heartbeat_timed_out(&app).await;
    let (ok, _, err) = app.cli_task_success(&token, "{}").await;
    assert!(!ok, "late token accepted");
    assert!(
        err.contains("TaskTimedOut") || err.contains("TaskDoesNotExist"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overall_timeout_is_caught_despite_heartbeats() {
    let app = start(&[("TimeoutSeconds", "1000"), ("HeartbeatSeconds", "300")]).await;
    let (id, arn) = start_callback(&app, json!({})).await;
    app.wait_job(&id, "WAITING_FOR_CALLBACK").await;
    app.wait_sleepers(1).await;
    for _ in 0..3 {
        app.advance(250).await;
        let (s, v) = app
            .post(&format!("/jobs/{id}/heartbeat"), Value::Null)
            .await;
        assert_eq!(s, 200, "{v}");
    }
    app.advance(251).await; // 1001 s
    app.wait_execution(&arn, "FAILED").await;
    let h = app.history(&arn).await;
    assert!(
        h.iter()
            .any(|e| e["type"] == "TaskTimedOut" && e.to_string().contains("States.Timeout")),
        "{h:?}"
    );
    app.wait_job(&id, "TIMED_OUT").await;
    let (s, _) = app
        .post(&format!("/jobs/{id}/heartbeat"), Value::Null)
        .await;
    assert!(
        s == 409 || s == 410,
        "heartbeat after the timeout is refused: {s}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_gateway_behaviour_on_the_real_routes() {
    let app = start(&[]).await;
    let api = &app.rt.app.apis[0];
    let custom = |kinds: &[&str]| {
        kinds
            .iter()
            .find_map(|k| api.gateway_responses.get(*k))
            .cloned()
    };
    let r = app.http.get(app.url("/status")).send().await.expect("send");
    let key = custom(&["INVALID_API_KEY", "API_KEY", "DEFAULT_4XX"]);
    assert_eq!(
        r.status().as_u16(),
        key.as_ref().and_then(|k| k.status).unwrap_or(403)
    );
    let body: Value = r.json().await.expect("json");
    match key.and_then(|k| k.template) {
        None => assert_eq!(body, json!({"message": "Forbidden"})),
        Some(_) => assert!(body.is_object(), "the template's JSON: {body}"),
    }
    let r = app
        .http
        .get(app.url("/nope"))
        .header("x-api-key", common::KEY)
        .send()
        .await
        .expect("send");
    let missing = custom(&["MISSING_AUTHENTICATION_TOKEN", "DEFAULT_4XX"]);
    assert_eq!(
        r.status().as_u16(),
        missing.as_ref().and_then(|k| k.status).unwrap_or(403)
    );
    let body: Value = r.json().await.expect("json");
    match missing.and_then(|k| k.template) {
        None => assert_eq!(body, json!({"message": "Missing Authentication Token"})),
        Some(t) if t.contains("$context.path") => {
            assert!(
                body.to_string().contains(&format!("/{}/nope", app.stage())),
                "{body}"
            )
        }
        Some(_) => assert!(body.is_object(), "{body}"),
    }
    // Without the stage prefix too.
    let r = app
        .http
        .get(format!("{}/status", app.rt.api_url()))
        .header("x-api-key", common::KEY)
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 200);
    let (s, v) = app.get("/jobs/does-not-exist").await;
    assert_eq!(s, 404, "{v}");
    let (s, v) = app
        .post("/jobs", json!({"StartTimestamp": "2001-01-01T00:00:00Z"}))
        .await;
    assert_eq!(s, 400, "{v}");
    // The AWS endpoint refuses other services.
    let (s, v) = app.aws("AmazonSQS.SendMessage", json!({})).await;
    assert_eq!(s, 400);
    assert!(
        v["__type"]
            .as_str()
            .unwrap_or("")
            .contains("UnknownOperationException"),
        "{v}"
    );
    let (s, v) = app.aws("DynamoDB_20120810.ListTables", json!({})).await;
    assert_eq!(
        (s, v["TableNames"].clone()),
        (200, json!([app.rt.app.tables[0].name]))
    );
}

/// Whatever reaches the AWS endpoint, a refusal has the service's JSON error shape: any
/// method, any path, a body over the size the service reads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_endpoint_refusals_have_the_aws_error_shape() {
    let app = start(&[]).await;
    let base = app.rt.aws_url();
    let send = |method: &str, path: &str, target: &str, body: Vec<u8>| {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        app.http
            .request(m, format!("{base}{path}"))
            .header("x-amz-target", target)
            .header("content-type", "application/x-amz-json-1.0")
            .body(body)
            .send()
    };
    let cases: Vec<(&str, &str, &str, Vec<u8>, u16)> = vec![
        (
            "PUT",
            "/",
            "DynamoDB_20120810.ListTables",
            b"{}".to_vec(),
            400,
        ),
        (
            "GET",
            "/some/path",
            "DynamoDB_20120810.ListTables",
            Vec::new(),
            400,
        ),
        (
            "POST",
            "/some/path",
            "DynamoDB_20120810.Nope",
            b"{}".to_vec(),
            400,
        ),
        (
            "DELETE",
            "/",
            "AWSStepFunctions.ListStateMachines",
            Vec::new(),
            400,
        ),
        (
            "POST",
            "/",
            "DynamoDB_20120810.PutItem",
            vec![b' '; 17 * 1024 * 1024],
            413,
        ),
        (
            "POST",
            "/",
            "AWSStepFunctions.StartExecution",
            vec![b' '; 9 * 1024 * 1024],
            413,
        ),
        ("POST", "/", "Nobody.Operation", b"{}".to_vec(), 400),
    ];
    for (method, path, target, body, status) in cases {
        let r = send(method, path, target, body).await.expect("answered");
        assert_eq!(r.status().as_u16(), status, "{method} {path} {target}");
        let v: Value = r.json().await.expect("a JSON body");
        assert!(
            v["__type"].as_str().is_some_and(|t| !t.is_empty()) && v["message"].is_string(),
            "{method} {path} {target}: {v}"
        );
    }
}

/// Half a request does not hold a connection: headers that never end, an idle keep-alive
/// connection and a body that never arrives are all cut off, on both ports.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_clients_are_timed_out() {
    use std::time::{Duration, Instant};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let timeouts = local::server::ClientTimeouts {
        headers: Duration::from_millis(300),
        body: Duration::from_millis(300),
    };
    let app = common::start_tuned(&[], None, |o| o.client_timeouts = timeouts).await;
    for addr in [app.rt.aws_addr, app.rt.api_addr] {
        // Headers that never end: the connection is closed.
        let t0 = Instant::now();
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(b"POST / HTTP/1.1\r\nhost: x\r\n")
            .await
            .unwrap();
        let mut buf = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf)).await;
        assert!(
            read.is_ok(),
            "{addr}: half a header kept the connection open"
        );
        assert!(t0.elapsed() < Duration::from_secs(4));

        // An idle connection that never sends anything is closed too.
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let read = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf)).await;
        assert!(read.is_ok(), "{addr}: an idle connection stayed open");

        // A body that never arrives: 408 with a JSON body, then the connection ends.
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(
            b"POST / HTTP/1.1\r\nhost: x\r\nx-amz-target: DynamoDB_20120810.ListTables\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: 100\r\n\r\n{",
        )
        .await
        .unwrap();
        let mut head = vec![0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut head))
            .await
            .expect("answered in time")
            .unwrap();
        let text = String::from_utf8_lossy(&head[..n]);
        assert!(text.starts_with("HTTP/1.1 408"), "{addr}: {text}");
        assert!(text.contains("RequestTimeout"), "{addr}: {text}");
    }
    // The server still answers normal requests.
    let (s, v) = app.get("/status").await;
    assert_eq!(s, 200, "{v}");
}
