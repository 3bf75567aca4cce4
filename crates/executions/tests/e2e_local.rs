//! End-to-end against the local runtime (`cargo run --release -p local`). Ignored by default;
//! run with `--ignored` and `LOCAL_API_URL` set, e.g. `LOCAL_API_URL=http://127.0.0.1:3000/v1`; `LOCAL_API_KEY` is sent
//! as `x-api-key` when set. These tests wait on real executions (a few seconds each).

use std::time::Duration;

use serde_json::{json, Value};

struct Api {
    base: String,
    key: String,
    http: reqwest::Client,
}

fn api() -> Api {
    let base = std::env::var("LOCAL_API_URL")
        .expect("set LOCAL_API_URL to the local API base, e.g. http://127.0.0.1:3000/v1")
        .trim_end_matches('/')
        .to_string();
    Api {
        base,
        key: std::env::var("LOCAL_API_KEY").unwrap_or_default(),
        http: reqwest::Client::new(),
    }
}

impl Api {
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}{}", self.base, path);
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut rb = self.http.request(m, &url).header("x-api-key", &self.key);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let resp = rb
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Polls `GET path` until `done(body)` or `secs` pass; returns the last body.
    async fn poll(&self, path: &str, secs: u64, done: impl Fn(&Value) -> bool) -> Value {
        let mut last = Value::Null;
        for _ in 0..secs * 4 {
            let (_, b) = self.call("GET", path, None).await;
            if done(&b) {
                return b;
            }
            last = b;
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        panic!("{path} never reached the expected state; last answer {last}");
    }
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

fn in_secs(s: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(s))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

async fn record_status(api: &Api, id: &str, expected: &str) -> Value {
    api.poll(&format!("/executions/{id}"), 20, |b| {
        b["job"]["ExecutionStatus"] == expected
    })
    .await
}

#[tokio::test]
#[ignore = "needs the local runtime: LOCAL_API_URL=http://127.0.0.1:3000/<stage> cargo test -p executions --test e2e_local -- --ignored"]
async fn e2e_sync_start_then_list_describe_history_and_status_record() {
    let api = api();
    let id = unique("sync");
    let (s, b) = api
        .call(
            "POST",
            "/executions/waitable?wait=30",
            Some(json!({"StartTimestamp": in_secs(2), "name": id})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "SUCCEEDED");
    assert_eq!(b["jobId"], id.as_str());

    let (s, b) = api
        .call("GET", "/executions?machine=waitable&limit=100", None)
        .await;
    assert_eq!(s, 200, "{b}");
    assert!(b["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["jobId"] == id.as_str()));

    let (s, b) = api.call("GET", &format!("/executions/{id}"), None).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "SUCCEEDED");
    assert_eq!(b["machine"], "waitable");
    assert_eq!(b["job"]["ProcessStatus"], "COMPLETED");

    let mut types = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let q = next
            .as_deref()
            .map(|n| format!("&next={n}"))
            .unwrap_or_default();
        let (s, b) = api
            .call("GET", &format!("/executions/{id}/history?limit=2{q}"), None)
            .await;
        assert_eq!(s, 200, "{b}");
        types.extend(
            b["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["type"].as_str().unwrap().to_string()),
        );
        match b["next"].as_str() {
            Some(n) => next = Some(n.to_string()),
            None => break,
        }
    }
    assert_eq!(types.first().map(String::as_str), Some("ExecutionStarted"));
    assert_eq!(types.last().map(String::as_str), Some("ExecutionSucceeded"));
    assert!(types.iter().any(|t| t == "WaitStateEntered"));

    record_status(&api, &id, "SUCCEEDED").await;
}

#[tokio::test]
#[ignore = "needs the local runtime: LOCAL_API_URL=http://127.0.0.1:3000/<stage> cargo test -p executions --test e2e_local -- --ignored"]
async fn e2e_graceful_cancel_ends_cancelled() {
    let api = api();
    let id = unique("cancel");
    let (s, b) = api
        .call(
            "POST",
            "/executions/waitable",
            Some(json!({"StartTimestamp": in_secs(3), "name": id})),
        )
        .await;
    assert_eq!(s, 202, "{b}");
    let (s, b) = api.call("DELETE", &format!("/executions/{id}"), None).await;
    assert_eq!(s, 202, "{b}");
    assert_eq!(b["cancelRequested"], true);
    let b = api
        .poll(&format!("/executions/{id}"), 20, |b| {
            b["status"] != "RUNNING"
        })
        .await;
    assert_eq!(b["status"], "FAILED", "{b}");
    assert_eq!(b["error"], "Cancelled");
    assert_eq!(b["job"]["ProcessStatus"], "CANCELLED");
    record_status(&api, &id, "CANCELLED").await;
    let (s, b) = api.call("DELETE", &format!("/executions/{id}"), None).await;
    assert_eq!(s, 409, "{b}");
}

#[tokio::test]
#[ignore = "needs the local runtime: LOCAL_API_URL=http://127.0.0.1:3000/<stage> cargo test -p executions --test e2e_local -- --ignored"]
async fn e2e_force_stop_is_aborted() {
    let api = api();
    let id = unique("force");
    let (s, b) = api
        .call(
            "POST",
            "/executions/waitable",
            Some(json!({"StartTimestamp": in_secs(300), "name": id})),
        )
        .await;
    assert_eq!(s, 202, "{b}");
    let (s, b) = api
        .call("DELETE", &format!("/executions/{id}?force=true"), None)
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "ABORTED");
    let b = record_status(&api, &id, "ABORTED").await;
    assert_eq!(b["job"]["ProcessStatus"], "CANCELLED");
}

#[tokio::test]
#[ignore = "needs the local runtime: LOCAL_API_URL=http://127.0.0.1:3000/<stage> cargo test -p executions --test e2e_local -- --ignored"]
async fn e2e_callback_outcomes_match_status_records() {
    let api = api();
    // External callback: the synchronous start gives up, then a failure is reported.
    let id = unique("ext");
    let (s, b) = api
        .call(
            "POST",
            "/executions/callback?wait=1",
            Some(json!({"mode": "external", "name": id})),
        )
        .await;
    assert_eq!(s, 202, "{b}");
    assert_eq!(b["status"], "RUNNING");
    api.poll(&format!("/executions/{id}"), 20, |b| {
        b["job"]["ProcessStatus"] == "WAITING_FOR_CALLBACK"
    })
    .await;
    let (s, b) = api
        .call(
            "POST",
            &format!("/jobs/{id}/failure"),
            Some(json!({"error": "Nope", "cause": "e2e"})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let b = api
        .poll(&format!("/executions/{id}"), 20, |b| {
            b["status"] != "RUNNING"
        })
        .await;
    assert_eq!(b["status"], "FAILED");
    record_status(&api, &id, "FAILED").await;

    // Auto callback: random outcome; the record must say whatever happened.
    let id = unique("auto");
    let (s, b) = api
        .call(
            "POST",
            "/executions/callback?wait=30",
            Some(json!({"mode": "auto", "name": id})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let status = b["status"].as_str().unwrap().to_string();
    assert!(status == "SUCCEEDED" || status == "FAILED", "{b}");
    record_status(&api, &id, &status).await;
}

#[tokio::test]
#[ignore = "needs the local runtime: LOCAL_API_URL=http://127.0.0.1:3000/<stage> cargo test -p executions --test e2e_local -- --ignored"]
async fn e2e_bad_input_is_400_or_404_with_json() {
    let api = api();
    for (method, path, code, error) in [
        ("GET", "/executions/no-such-execution-e2e", 404, "NotFound"),
        (
            "GET",
            "/executions/no-such-execution-e2e/history",
            404,
            "NotFound",
        ),
        (
            "DELETE",
            "/executions/no-such-execution-e2e",
            404,
            "NotFound",
        ),
        ("GET", "/executions?machine=nope", 400, "UnknownMachine"),
        ("GET", "/executions?status=DONE", 400, "InvalidField"),
        ("GET", "/executions?limit=0", 400, "InvalidField"),
        ("GET", "/executions?next=garbage", 400, "InvalidCursor"),
        ("POST", "/executions/waitable?wait=61", 400, "InvalidField"),
        ("POST", "/executions/nope", 404, "UnknownMachine"),
    ] {
        let (s, b) = api
            .call(method, path, (method == "POST").then(|| json!({})))
            .await;
        assert_eq!(s, code, "{method} {path}: {b}");
        assert_eq!(b["error"], error, "{method} {path}: {b}");
        assert!(b["message"].is_string());
    }
}
