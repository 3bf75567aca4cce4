//! Shared harness: the real template, the real handlers, in-process on port 0, with a
//! manual clock so waits and timeouts happen when a test says so.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use asl::{Clock, ManualClock};
use local::{LocalRuntime, Options, RunningRuntime};
use serde_json::{json, Value};

pub const KEY: &str = "test-api-key";

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The project template; `LOCAL_TEST_TEMPLATE` points the tests at another one (a draft).
pub fn template() -> PathBuf {
    std::env::var_os("LOCAL_TEST_TEMPLATE")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("template.yaml"))
}

pub fn aws_cli() -> PathBuf {
    std::env::var_os("AWS_CLI")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join(".venv/bin/aws"))
}

pub struct App {
    pub rt: RunningRuntime,
    pub clock: ManualClock,
    pub http: reqwest::Client,
}

pub async fn start(params: &[(&str, &str)]) -> App {
    start_with(params, None).await
}

pub async fn start_with(params: &[(&str, &str)], state_dir: Option<PathBuf>) -> App {
    start_tuned(params, state_dir, |_| {}).await
}

/// Like [`start_with`], with a last say on the options.
pub async fn start_tuned(
    params: &[(&str, &str)],
    state_dir: Option<PathBuf>,
    tune: impl FnOnce(&mut Options),
) -> App {
    let mut o = Options::new(template());
    o.api_port = 0;
    o.aws_port = 0;
    o.api_key = Some(KEY.into());
    o.clock = ManualClock::new(chrono::Utc::now());
    o.state_dir = state_dir;
    o.stack_name = "e2e".into();
    o.print_transitions = false;
    o.parameters = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tune(&mut o);
    // A test may start the clock elsewhere (`o.clock = ManualClock::new(...)`).
    let clock = o.clock.clone();
    let rt = LocalRuntime::start(o).await.expect("runtime starts");
    App {
        rt,
        clock,
        http: reqwest::Client::new(),
    }
}

/// Polls (briefly, on real time) until `f` yields a value: the work is in-process and
/// takes milliseconds; the bound only turns a hang into a failure.
pub async fn eventually<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..500 {
        if let Some(v) = f().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for {what}");
}

/// A time far from the wall clock, where tests freeze the runtime's clock: a timestamp
/// taken from the wall clock cannot pass for the runtime's.
pub const FROZEN_AT: &str = "2031-03-04T05:06:07.000Z";

pub fn frozen_at() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(FROZEN_AT)
        .expect("rfc3339")
        .with_timezone(&chrono::Utc)
}

/// The runtime with these template parameters, its clock frozen at [`FROZEN_AT`].
pub async fn start_frozen(params: &[(&str, &str)]) -> App {
    start_tuned(params, None, |o| o.clock = ManualClock::new(frozen_at())).await
}

pub fn in_an_hour() -> String {
    (chrono::Utc::now() + chrono::Duration::hours(1))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

impl App {
    pub fn stage(&self) -> String {
        self.rt
            .app
            .apis
            .first()
            .map(|a| a.stage.clone())
            .unwrap_or_default()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/{}{}", self.rt.api_url(), self.stage(), path)
    }

    /// POSTs `body` as JSON; `Value::Null` sends no body at all.
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call("POST", path, body).await
    }

    /// Any method; `Value::Null` sends no body.
    pub async fn call(&self, method: &str, path: &str, body: Value) -> (u16, Value) {
        api_request(&self.http, method, &self.url(path), body).await
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        self.call("DELETE", path, Value::Null).await
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call("GET", path, Value::Null).await
    }

    /// Follows `next` from the first page of `path` (which has a query already) to the
    /// last, at most `max_pages`; answers every page, each checked as 200.
    pub async fn pages(&self, path: &str, max_pages: usize) -> Vec<Value> {
        let mut pages = Vec::new();
        let mut next: Option<String> = None;
        for _ in 0..max_pages {
            let q = next
                .as_deref()
                .map(|n| format!("&next={n}"))
                .unwrap_or_default();
            let (s, v) = self.get(&format!("{path}{q}")).await;
            assert_eq!(s, 200, "{v}");
            next = v["next"].as_str().map(str::to_string);
            pages.push(v);
            if next.is_none() {
                break;
            }
        }
        pages
    }

    /// One AWS JSON 1.0 call on the combined endpoint.
    pub async fn aws(&self, target: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(self.rt.aws_url())
            .header("x-amz-target", target)
            .header("content-type", "application/x-amz-json-1.0")
            .header("authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/states/aws4_request, SignedHeaders=host, Signature=abc")
            .body(body.to_string())
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn describe(&self, arn: &str) -> Value {
        let (s, v) = self
            .aws(
                "AWSStepFunctions.DescribeExecution",
                json!({"executionArn": arn}),
            )
            .await;
        assert_eq!(s, 200, "DescribeExecution: {v}");
        v
    }

    pub async fn history(&self, arn: &str) -> Vec<Value> {
        let (s, v) = self
            .aws(
                "AWSStepFunctions.GetExecutionHistory",
                json!({"executionArn": arn, "maxResults": 1000}),
            )
            .await;
        assert_eq!(s, 200, "GetExecutionHistory: {v}");
        v["events"].as_array().cloned().unwrap_or_default()
    }

    pub async fn wait_execution(&self, arn: &str, status: &str) -> Value {
        eventually(&format!("{arn} to be {status}"), || async {
            let d = self.describe(arn).await;
            (d["status"] == status).then_some(d)
        })
        .await
    }

    pub async fn wait_job(&self, id: &str, status: &str) -> Value {
        eventually(&format!("job {id} to be {status}"), || async {
            let (s, j) = self.get(&format!("/jobs/{id}")).await;
            (s == 200 && j["ProcessStatus"] == status).then_some(j)
        })
        .await
    }

    /// Waits until `n` timers sleep on the clock (executions have reached their Wait or
    /// callback), so advancing it is meaningful.
    pub async fn wait_sleepers(&self, n: usize) {
        eventually(&format!("{n} sleepers"), || async {
            (self.clock.sleepers() >= n).then_some(())
        })
        .await
    }

    /// Advances the clock as `POST /_local/clock/advance` does: what comes due happens in
    /// time order, and the work it sets off runs until it blocks again, before this returns.
    pub async fn advance(&self, secs: u64) {
        let target = common::clock::plus_seconds(self.clock.now(), secs as i64);
        let done = self.clock.advance_settled(target).await;
        assert!(done.settled, "the runtime settled after advancing {secs} s");
    }

    /// The stored task token of a job (read the way a user would: from the table).
    pub async fn token(&self, id: &str) -> String {
        let table = self.rt.app.tables[0].name.clone();
        let (s, v) = self
            .aws(
                "DynamoDB_20120810.GetItem",
                json!({"TableName": table, "Key": {"Id": {"S": id}}}),
            )
            .await;
        assert_eq!(s, 200, "GetItem: {v}");
        v["Item"]["TaskToken"]["S"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| panic!("job {id} has no TaskToken: {v}"))
    }

    /// `aws stepfunctions send-task-success` with `token` and `output`.
    pub async fn cli_task_success(&self, token: &str, output: &str) -> (bool, String, String) {
        self.cli(&[
            "stepfunctions",
            "send-task-success",
            "--task-token",
            token,
            "--task-output",
            output,
        ])
        .await
    }

    /// Runs the aws CLI against this runtime's AWS endpoint.
    pub async fn cli(&self, args: &[&str]) -> (bool, String, String) {
        let out = tokio::process::Command::new(aws_cli())
            .args(args)
            .args(["--endpoint-url", &self.rt.aws_url()])
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_PAGER", "")
            .output()
            .await
            .unwrap_or_else(|e| panic!("cannot run the aws CLI at {}: {e}", aws_cli().display()));
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

/// One request to the API with the key; `Value::Null` sends no body. Answers the status
/// and the JSON body (`Null` when there is none).
pub async fn api_request(
    http: &reqwest::Client,
    method: &str,
    url: &str,
    body: Value,
) -> (u16, Value) {
    let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let req = http.request(m, url).header("x-api-key", KEY);
    let req = if body.is_null() {
        req
    } else {
        req.body(body.to_string())
    };
    let r = req.send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

pub fn str_of<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str()
        .unwrap_or_else(|| panic!("no string {k} in {v}"))
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The `local` binary, started as a user starts it.
pub struct Child {
    pub child: tokio::process::Child,
    /// `http://127.0.0.1:<port>/v1`
    pub api: String,
    /// `http://127.0.0.1:<port>`
    pub aws: String,
}

/// Starts the binary on free ports with `state` as its state folder; returns once it serves.
pub async fn spawn(state: &std::path::Path, extra: &[&str]) -> Child {
    let (api_port, aws_port) = (free_port(), free_port());
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_local"))
        .args(["--template", &template().display().to_string()])
        .args(["--state-dir", &state.display().to_string()])
        .args([
            "--api-port",
            &api_port.to_string(),
            "--aws-port",
            &aws_port.to_string(),
        ])
        .args(["--api-key", KEY, "--stack-name", "e2e"])
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the local binary starts");
    let c = Child {
        child,
        api: format!("http://127.0.0.1:{api_port}/v1"),
        aws: format!("http://127.0.0.1:{aws_port}"),
    };
    let http = reqwest::Client::new();
    eventually("the binary to serve", || async {
        let r = http
            .get(format!("{}/status", c.api))
            .header("x-api-key", KEY)
            .send()
            .await
            .ok()?;
        (r.status().as_u16() == 200).then_some(())
    })
    .await;
    c
}
