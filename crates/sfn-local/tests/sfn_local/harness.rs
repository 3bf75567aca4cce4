//! Test harness: the router on 127.0.0.1:0 in-process, a ManualClock, fake task resources,
//! an `aws-sdk-sfn` client and the real aws CLI.

use asl::{ManualClock, TaskCall, TaskError, TaskResources};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sfn_local::{SfnConfig, SfnService};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

pub const ROLE: &str = "arn:aws:iam::123456789012:role/test";

/// `test:echo` returns its parameters, `test:fail` fails with `Boom`, `test:flaky` fails
/// until healed, anything with `.waitForTaskToken` hands its token to the test.
#[derive(Default)]
pub struct FakeResources {
    pub tokens: Mutex<Vec<(String, String)>>,
    pub arrived: Notify,
    pub calls: Mutex<Vec<String>>,
    /// `test:flaky` fails (`Flaky`) on parameters with `"fail": true` until this is set.
    pub healed: std::sync::atomic::AtomicBool,
}

#[async_trait::async_trait]
impl TaskResources for FakeResources {
    async fn invoke(&self, call: TaskCall) -> Result<Value, TaskError> {
        self.calls.lock().unwrap().push(call.state_name.clone());
        if let Some(t) = call.task_token.clone() {
            self.tokens
                .lock()
                .unwrap()
                .push((call.state_name.clone(), t));
            self.arrived.notify_waiters();
            return Ok(json!({"submitted": true}));
        }
        match call.base_resource.as_str() {
            "arn:aws:states:::test:echo" => Ok(call.parameters),
            "arn:aws:states:::test:fail" => Err(TaskError::new("Boom", "the fake resource failed")),
            "arn:aws:states:::test:flaky"
                if call.parameters["fail"] == json!(true)
                    && !self.healed.load(std::sync::atomic::Ordering::SeqCst) =>
            {
                Err(TaskError::new("Flaky", "not healed yet"))
            }
            "arn:aws:states:::test:flaky" => Ok(call.parameters),
            other => Err(TaskError::new(
                "States.TaskFailed",
                format!("no fake for {other}"),
            )),
        }
    }
}

impl FakeResources {
    /// Waits (in real time, briefly) until `n` task tokens have been handed out.
    pub async fn token(&self, n: usize) -> String {
        for _ in 0..500 {
            if let Some((_, t)) = self.tokens.lock().unwrap().get(n - 1) {
                return t.clone();
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("no task token #{n} arrived");
    }
}

/// The SDK puts `sync-` before the host of StartSyncExecution (AWS serves it on
/// `sync-states.*`), even with a custom endpoint, and has no switch to turn that off.
/// Clients of a local endpoint undo it with this interceptor (botocore: set
/// `AWS_DISABLE_HOST_PREFIX_INJECTION=true`).
#[derive(Debug)]
pub struct NoSyncPrefix;

impl aws_sdk_sfn::config::Intercept for NoSyncPrefix {
    fn name(&self) -> &'static str {
        "NoSyncPrefix"
    }

    fn modify_before_transmit(
        &self,
        ctx: &mut aws_sdk_sfn::config::interceptors::BeforeTransmitInterceptorContextMut<'_>,
        _rc: &aws_sdk_sfn::config::RuntimeComponents,
        _cfg: &mut aws_sdk_sfn::config::ConfigBag,
    ) -> Result<(), aws_sdk_sfn::error::BoxError> {
        let req = ctx.request_mut();
        let uri = req.uri().replacen("://sync-", "://", 1);
        req.set_uri(uri)?;
        Ok(())
    }
}

pub struct Harness {
    pub svc: Arc<SfnService>,
    pub clock: ManualClock,
    pub fake: Arc<FakeResources>,
    pub url: String,
    server: tokio::task::JoinHandle<()>,
}

pub fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// `t0()` plus `seconds`.
pub fn t0_plus(seconds: i64) -> DateTime<Utc> {
    t0() + chrono::Duration::seconds(seconds)
}

impl Harness {
    pub async fn start() -> Harness {
        Harness::start_with(
            None,
            ManualClock::new(t0()),
            Arc::new(FakeResources::default()),
        )
        .await
    }

    /// A service journaling to `state_dir` on `clock`, with fresh fake resources.
    pub async fn start_in(state_dir: &std::path::Path, clock: ManualClock) -> Harness {
        Harness::start_with(
            Some(state_dir.to_path_buf()),
            clock,
            Arc::new(FakeResources::default()),
        )
        .await
    }

    pub async fn start_with(
        state_dir: Option<PathBuf>,
        clock: ManualClock,
        fake: Arc<FakeResources>,
    ) -> Harness {
        Harness::start_mocked(state_dir, clock, fake, None).await
    }

    /// [`Harness::start_with`] with a Step Functions Local mock configuration file.
    pub async fn start_mocked(
        state_dir: Option<PathBuf>,
        clock: ManualClock,
        fake: Arc<FakeResources>,
        mock_config: Option<&std::path::Path>,
    ) -> Harness {
        let mut cfg = SfnConfig::new(Arc::new(clock.clone()), fake.clone());
        cfg.state_dir = state_dir;
        cfg.mock_config =
            mock_config.map(|p| Arc::new(sfn_local::MockSource::load(p).expect("mock config")));
        let svc = Arc::new(SfnService::new(cfg).expect("service"));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = svc.clone().router();
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Harness {
            svc,
            clock,
            fake,
            url,
            server,
        }
    }

    /// Stops serving and recording, as a killed process would.
    pub fn stop(self) {
        self.server.abort();
        self.svc.shutdown();
    }

    pub fn sdk(&self) -> aws_sdk_sfn::Client {
        let creds = aws_sdk_sfn::config::Credentials::new("test", "test", None, None, "test");
        let conf = aws_sdk_sfn::Config::builder()
            .behavior_version(aws_sdk_sfn::config::BehaviorVersion::latest())
            .region(aws_sdk_sfn::config::Region::new("us-east-1"))
            .credentials_provider(creds)
            .endpoint_url(&self.url)
            .interceptor(NoSyncPrefix)
            .build();
        aws_sdk_sfn::Client::from_conf(conf)
    }

    /// Calls an operation directly (no HTTP), for setup and checks.
    pub async fn call(&self, op: &str, body: Value) -> Value {
        self.svc
            .handle(op, body)
            .await
            .unwrap_or_else(|e| panic!("{op}: {} {}", e.type_name(), e.message()))
    }

    pub async fn create(&self, name: &str, definition: &Value) -> String {
        self.create_typed(name, definition, "STANDARD").await
    }

    pub async fn create_typed(&self, name: &str, definition: &Value, kind: &str) -> String {
        let out = self
            .call(
                "CreateStateMachine",
                json!({"name": name, "definition": definition.to_string(), "roleArn": ROLE, "type": kind}),
            )
            .await;
        out["stateMachineArn"].as_str().unwrap().to_string()
    }

    pub async fn start_exec(&self, machine: &str, name: &str, input: Value) -> String {
        let out = self
            .call(
                "StartExecution",
                json!({"stateMachineArn": machine, "name": name, "input": input.to_string()}),
            )
            .await;
        out["executionArn"].as_str().unwrap().to_string()
    }

    pub async fn describe(&self, exec: &str) -> Value {
        self.call("DescribeExecution", json!({"executionArn": exec}))
            .await
    }

    /// Polls (real time, short) until the execution leaves RUNNING; returns its description.
    pub async fn finished(&self, exec: &str) -> Value {
        for _ in 0..500 {
            let d = self.describe(exec).await;
            if d["status"] != "RUNNING" {
                return d;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("{exec} did not finish");
    }

    /// Waits until the engine sleeps on the clock (a Wait, timeout or heartbeat is armed).
    pub async fn sleeping(&self, n: usize) {
        for _ in 0..500 {
            if self.clock.sleepers() >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("the engine never slept on the clock");
    }

    /// Waits until the earliest sleep on the clock ends at `at`: a Wait, timeout or heartbeat
    /// is armed for exactly that time.
    pub async fn armed_until(&self, at: DateTime<Utc>) {
        for _ in 0..500 {
            if self.clock.next_deadline() == Some(at) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!(
            "no sleep armed until {at} (earliest: {:?})",
            self.clock.next_deadline()
        );
    }

    /// The execution's history events (up to 1000).
    pub async fn history(&self, exec: &str) -> Vec<Value> {
        let h = self
            .call(
                "GetExecutionHistory",
                json!({"executionArn": exec, "maxResults": 1000}),
            )
            .await;
        h["events"].as_array().unwrap().clone()
    }

    pub async fn history_types(&self, exec: &str) -> Vec<String> {
        let events = self.history(exec).await;
        events
            .iter()
            .map(|e| e["type"].as_str().unwrap().to_string())
            .collect()
    }

    pub async fn history_ids(&self, exec: &str) -> Vec<u64> {
        let events = self.history(exec).await;
        events.iter().map(|e| e["id"].as_u64().unwrap()).collect()
    }
}

pub fn pass3() -> Value {
    json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "B"},
        "B": {"Type": "Pass", "Result": {"b": 1}, "ResultPath": "$.b", "Next": "C"},
        "C": {"Type": "Pass", "End": true}}})
}

pub fn wait_machine(seconds: u64) -> Value {
    json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": seconds, "Next": "Done"},
        "Done": {"Type": "Pass", "Result": "waited", "End": true}}})
}

pub fn callback_machine(heartbeat: Option<u64>) -> Value {
    let mut task = json!({"Type": "Task", "Resource": "arn:aws:states:::test:cb.waitForTaskToken",
        "Parameters": {"token.$": "$$.Task.Token"}, "TimeoutSeconds": 300, "End": true});
    if let Some(h) = heartbeat {
        task["HeartbeatSeconds"] = json!(h);
    }
    json!({"StartAt": "Cb", "States": {"Cb": task}})
}

/// The aws CLI: `AWS_CLI`, then the project's venv, then PATH. Missing is a test failure,
/// never a silent pass.
pub fn aws_cli() -> PathBuf {
    let mut candidates = Vec::new();
    if let Some(p) = std::env::var_os("AWS_CLI") {
        candidates.push(PathBuf::from(p));
    }
    candidates.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/aws"));
    if let Some(paths) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&paths).map(|d| d.join("aws")));
    }
    candidates
        .into_iter()
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "the aws CLI was not found (env AWS_CLI, /work/main/.venv/bin/aws, PATH): run the \
             project's test script, which installs it into .venv (PyPI awscli)"
            )
        })
}

pub struct CliResult {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

impl CliResult {
    pub fn json(&self) -> Value {
        assert!(self.ok, "aws CLI failed: {}", self.stderr);
        if self.stdout.trim().is_empty() {
            return json!({});
        }
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("CLI output is not JSON ({e}): {}", self.stdout))
    }

    /// The error code the CLI printed, e.g. `ExecutionDoesNotExist`.
    pub fn error_code(&self) -> String {
        assert!(!self.ok, "expected the CLI to fail, got {}", self.stdout);
        let s = &self.stderr;
        let start = s
            .find("An error occurred (")
            .unwrap_or_else(|| panic!("no error code in: {s}"))
            + 19;
        let end = s[start..].find(')').unwrap() + start;
        s[start..end].to_string()
    }
}

impl Harness {
    /// Runs `aws stepfunctions <args>` against this endpoint (off the runtime threads).
    pub async fn cli(&self, args: &[&str]) -> CliResult {
        let cli = aws_cli();
        let url = self.url.clone();
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        tokio::task::spawn_blocking(move || {
            let out = std::process::Command::new(cli)
                .arg("stepfunctions")
                .arg("--endpoint-url")
                .arg(url)
                .arg("--output")
                .arg("json")
                .args(&args)
                .env("AWS_ACCESS_KEY_ID", "test")
                .env("AWS_SECRET_ACCESS_KEY", "test")
                .env("AWS_REGION", "us-east-1")
                .env("AWS_DEFAULT_REGION", "us-east-1")
                .env("AWS_PAGER", "")
                .env("AWS_DISABLE_HOST_PREFIX_INJECTION", "true")
                .env("AWS_CONFIG_FILE", "/dev/null")
                .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
                .output()
                .expect("cannot run the aws CLI");
            CliResult {
                ok: out.status.success(),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            }
        })
        .await
        .unwrap()
    }
}
