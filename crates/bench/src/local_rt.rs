//! The local runtime's figures: start-up, end-to-end throughput, memory with many executions
//! waiting, and how late a Wait fires.

use std::collections::HashSet;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{SecondsFormat, Utc};
use futures::stream::{self, StreamExt};
use local::{LocalRuntime, Options, RunningRuntime};
use serde_json::{json, Value};

use crate::stats::ms;

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error("local runtime did not start: {0}")]
    Start(#[from] local::StartError),
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
    #[error("{0}")]
    Other(String),
}

pub async fn start(root: &Path) -> Result<RunningRuntime, LocalError> {
    start_tuned(root, |_| {}).await
}

/// The runtime in-process on free ports, quiet, with the bench's key; `tune` has the last say.
async fn start_tuned(
    root: &Path,
    tune: impl FnOnce(&mut Options),
) -> Result<RunningRuntime, LocalError> {
    let mut opts = Options::new(root.join("template.yaml"));
    opts.api_port = 0;
    opts.aws_port = 0;
    opts.print_transitions = false;
    opts.api_key = Some("bench-key".into());
    tune(&mut opts);
    Ok(LocalRuntime::start(opts).await?)
}

/// An execution's whole history (the bench's executions stay under 1,000 events).
async fn history(rt: &RunningRuntime, arn: &str) -> Result<Vec<Value>, LocalError> {
    let h = rt
        .sfn
        .handle(
            "GetExecutionHistory",
            json!({"executionArn": arn, "maxResults": 1000}),
        )
        .await
        .map_err(|e| LocalError::Other(e.to_string()))?;
    Ok(h["events"].as_array().cloned().unwrap_or_default())
}

/// Spawn -> the API port accepting connections, for the release binary.
pub async fn start_to_listening(root: &Path, bin: &Path) -> Result<f64, LocalError> {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0")
            .map_err(|e| LocalError::Other(e.to_string()))?;
        l.local_addr()
            .map_err(|e| LocalError::Other(e.to_string()))?
            .port()
    };
    let aws_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0")
            .map_err(|e| LocalError::Other(e.to_string()))?;
        l.local_addr()
            .map_err(|e| LocalError::Other(e.to_string()))?
            .port()
    };
    let t0 = Instant::now();
    let mut child = tokio::process::Command::new(bin)
        .current_dir(root)
        .args(["--template", "template.yaml", "--in-memory", "--quiet"])
        .args([
            "--api-port",
            &port.to_string(),
            "--aws-port",
            &aws_port.to_string(),
        ])
        .env("LOCAL_API_KEY", "bench-key")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| LocalError::Other(format!("cannot spawn {}: {e}", bin.display())))?;
    let result = loop {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            break Ok(ms(t0.elapsed()));
        }
        if let Ok(Some(status)) = child.try_wait() {
            break Err(LocalError::Other(format!("local exited: {status}")));
        }
        if t0.elapsed() > Duration::from_secs(20) {
            break Err(LocalError::Other("not listening after 20 s".into()));
        }
        tokio::time::sleep(Duration::from_micros(200)).await;
    };
    let _ = child.start_kill();
    let _ = child.wait().await;
    result
}

/// How each pattern is started over HTTP, with its Wait as short as validation allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    WaitUntil,
    Waitable,
    CallbackAuto,
}

impl Pattern {
    pub const ALL: [Pattern; 3] = [Pattern::WaitUntil, Pattern::Waitable, Pattern::CallbackAuto];

    pub fn label(self) -> &'static str {
        match self {
            Pattern::WaitUntil => "wait-until",
            Pattern::Waitable => "waitable",
            Pattern::CallbackAuto => "callback (auto)",
        }
    }

    fn request(self, ahead: Duration) -> (&'static str, Value) {
        let at = (Utc::now() + chrono::Duration::from_std(ahead).unwrap_or_default())
            .to_rfc3339_opts(SecondsFormat::Millis, true);
        match self {
            Pattern::WaitUntil => ("/start", json!({"taskName": "bench", "startAt": at})),
            Pattern::Waitable => ("/jobs", json!({"StartTimestamp": at})),
            Pattern::CallbackAuto => ("/callbacks", json!({"mode": "auto"})),
        }
    }
}

/// The timestamp a start request asks for is validated against "now" when the handler runs,
/// so "wait zero" is this much ahead of the client's clock.
pub const ZERO_WAIT_AHEAD: Duration = Duration::from_millis(50);

async fn post_start(
    client: &reqwest::Client,
    rt: &RunningRuntime,
    pattern: Pattern,
    ahead: Duration,
) -> Result<(String, Value), LocalError> {
    let (path, body) = pattern.request(ahead);
    let resp = client
        .post(format!("{}{path}", rt.api_url()))
        .header("x-api-key", &rt.api_key)
        .json(&body)
        .send()
        .await?;
    let status = resp.status();
    let v: Value = resp.json().await.unwrap_or(Value::Null);
    match v.get("executionArn").and_then(Value::as_str) {
        Some(arn) if status.is_success() => Ok((arn.to_string(), body)),
        _ => Err(LocalError::Other(format!("start answered {status}: {v}"))),
    }
}

pub struct Throughput {
    pub per_second: f64,
    pub completed: usize,
    pub failed_starts: usize,
    pub elapsed: Duration,
}

/// The `throughput` phase: the runtime in this process, then [`throughput`] of each
/// pattern (after one warm-up round); executions/s by pattern, as JSON.
pub async fn throughput_phase(root: &Path, n: usize, clients: usize) -> Result<Value, LocalError> {
    let rt = start(root).await?;
    let mut out = serde_json::Map::new();
    for p in Pattern::ALL {
        throughput(&rt, p, n.min(100), clients).await?;
        let t = throughput(&rt, p, n, clients).await?;
        out.insert(
            p.label().to_string(),
            json!({"perSecond": t.per_second.round(), "completed": t.completed, "of": n}),
        );
    }
    Ok(Value::Object(out))
}

/// `n` executions started by `clients` concurrent HTTP clients; done when every started
/// execution reached a terminal status (from the service's status feed, not polling).
pub async fn throughput(
    rt: &RunningRuntime,
    pattern: Pattern,
    n: usize,
    clients: usize,
) -> Result<Throughput, LocalError> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()?;
    let mut feed = rt.sfn.subscribe_status();
    let terminal = Arc::new(std::sync::Mutex::new(HashSet::<String>::new()));
    let collector = {
        let terminal = terminal.clone();
        tokio::spawn(async move {
            loop {
                match feed.recv().await {
                    Ok(c) => {
                        if matches!(
                            c.status.as_str(),
                            "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED"
                        ) {
                            if let Ok(mut t) = terminal.lock() {
                                t.insert(c.execution_arn.clone());
                            }
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(_) => break,
                }
            }
        })
    };
    let t0 = Instant::now();
    let started: Vec<Result<(String, Value), LocalError>> = stream::iter(0..n)
        .map(|_| post_start(&client, rt, pattern, ZERO_WAIT_AHEAD))
        .buffer_unordered(clients.max(1))
        .collect()
        .await;
    let arns: Vec<String> = started
        .iter()
        .filter_map(|r| r.as_ref().ok().map(|(a, _)| a.clone()))
        .collect();
    let failed_starts = n - arns.len();
    if let Some(Err(e)) = started.iter().find(|r| r.is_err()) {
        eprintln!("  {}: a start failed: {e}", pattern.label());
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last_progress = (0, Instant::now());
    let completed = loop {
        let done = terminal
            .lock()
            .map(|t| arns.iter().filter(|a| t.contains(*a)).count())
            .unwrap_or(0);
        if done == arns.len() || Instant::now() > deadline {
            break done;
        }
        if done != last_progress.0 {
            last_progress = (done, Instant::now());
        } else if last_progress.1.elapsed() > Duration::from_millis(500) {
            // The feed may have lagged and dropped a change: ask the service directly.
            let missing: Vec<String> = terminal
                .lock()
                .map(|t| arns.iter().filter(|a| !t.contains(*a)).cloned().collect())
                .unwrap_or_default();
            for arn in missing {
                let d = rt
                    .sfn
                    .handle("DescribeExecution", json!({"executionArn": arn}))
                    .await;
                let status = d
                    .ok()
                    .and_then(|v| v.get("status").and_then(Value::as_str).map(str::to_string));
                if status.is_some_and(|s| s != "RUNNING") {
                    if let Ok(mut t) = terminal.lock() {
                        t.insert(arn);
                    }
                }
            }
            last_progress.1 = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    let elapsed = t0.elapsed();
    collector.abort();
    Ok(Throughput {
        per_second: completed as f64 / elapsed.as_secs_f64().max(1e-9),
        completed,
        failed_starts,
        elapsed,
    })
}

/// Lateness of each Wait: its `WaitStateExited` time minus the timestamp it waited for, in ms.
pub async fn wait_lateness(rt: &RunningRuntime, n: usize) -> Result<Vec<f64>, LocalError> {
    let client = reqwest::Client::new();
    let mut targets = Vec::with_capacity(n);
    let started: Vec<Result<(String, Value), LocalError>> = stream::iter(0..n)
        .map(|i| {
            // Spread over 300 ms, far enough ahead that every start is in before the first fires.
            let ahead = Duration::from_millis(700 + (i as u64 * 300) / n.max(1) as u64);
            post_start(&client, rt, Pattern::Waitable, ahead)
        })
        .buffer_unordered(8)
        .collect()
        .await;
    for (arn, body) in started.into_iter().flatten() {
        let target = body
            .get("StartTimestamp")
            .and_then(Value::as_str)
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.with_timezone(&Utc));
        if let Some(t) = target {
            targets.push((arn, t));
        }
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut lateness = Vec::with_capacity(targets.len());
    for (arn, target) in targets {
        let mut fired = None;
        for _ in 0..50 {
            fired = history(rt, &arn)
                .await?
                .iter()
                .find(|e| e.get("type").and_then(Value::as_str) == Some("WaitStateExited"))
                .and_then(|e| e.get("timestamp").and_then(Value::as_f64));
            if fired.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if let Some(secs) = fired {
            lateness.push(secs * 1000.0 - target.timestamp_millis() as f64);
        }
    }
    Ok(lateness)
}

/// Child-process phase: 100,000 waitable executions waiting an hour, then this process's
/// memory. Started through the service directly (the HTTP path is measured above).
pub async fn waiting_phase(root: &Path, n: usize) -> Result<Value, LocalError> {
    let rt = start(root).await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (_, before) = crate::machine::memory_mb("self");
    let arn = rt
        .state_machine_arn("WaitableStateMachine")
        .or_else(|| {
            rt.app
                .state_machines
                .iter()
                .find(|m| m.definition.contains("\"Wait\""))
                .map(|m| m.arn.clone())
        })
        .ok_or_else(|| LocalError::Other("no waitable state machine".into()))?;
    let at = (Utc::now() + chrono::Duration::hours(1)).to_rfc3339_opts(SecondsFormat::Millis, true);
    let t0 = Instant::now();
    let sfn = rt.sfn.clone();
    let started: Vec<String> = stream::iter(0..n)
        .map(|i| {
            let sfn = sfn.clone();
            let arn = arn.clone();
            let at = at.clone();
            async move {
                let name = format!("wait-{i}");
                let input = json!({"jobId": name, "StartTimestamp": at}).to_string();
                sfn.handle(
                    "StartExecution",
                    json!({"stateMachineArn": arn, "name": name, "input": input}),
                )
                .await
                .ok()
                .and_then(|v| {
                    v.get("executionArn")
                        .and_then(Value::as_str)
                        .map(String::from)
                })
            }
        })
        .buffer_unordered(256)
        .filter_map(futures::future::ready)
        .collect()
        .await;
    let ok = started.len();
    let start_secs = t0.elapsed().as_secs_f64();
    // Measure only once every execution is parked in its Wait (the table writes before it
    // run on the engine's tasks): the newest history event of each is WaitStateEntered.
    let mut pending = started;
    let deadline = Instant::now() + Duration::from_secs(300);
    while !pending.is_empty() && Instant::now() < deadline {
        let mut still = Vec::new();
        for exec in pending {
            let last = rt
                .sfn
                .handle(
                    "GetExecutionHistory",
                    json!({"executionArn": exec, "reverseOrder": true, "maxResults": 1}),
                )
                .await
                .ok()
                .and_then(|h| {
                    h.pointer("/events/0/type")
                        .and_then(Value::as_str)
                        .map(String::from)
                });
            if last.as_deref() != Some("WaitStateEntered") {
                still.push(exec);
            }
        }
        pending = still;
        if !pending.is_empty() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    let not_waiting = pending.len();
    let settle_secs = t0.elapsed().as_secs_f64() - start_secs;
    let (hwm, after) = crate::machine::memory_mb("self");
    let listed = rt
        .dynamo
        .handle(
            "DescribeTable",
            json!({"TableName": rt.app.tables.first().map(|t| t.name.clone()).unwrap_or_default()}),
        )
        .await
        .ok()
        .and_then(|v| v.pointer("/Table/ItemCount").and_then(Value::as_u64));
    Ok(json!({
        "started": ok,
        "not_waiting": not_waiting,
        "start_seconds": start_secs,
        "settle_seconds": settle_secs,
        "rss_before_mb": before,
        "rss_after_mb": after,
        "hwm_mb": hwm,
        "table_items": listed,
    }))
}

/// One execution of a workflow as the API starts it, and what its state machine did.
pub struct WorkflowRun {
    pub name: &'static str,
    /// Completed through the API (`POST /jobs/{id}/success`), not by the machine alone.
    pub callback_api: bool,
    /// Transitions, table calls, and the functions invoked, by handler binary.
    pub calls: crate::cost::MachineCalls,
}

/// Runs one workflow of each pattern to its end on the local runtime, on a frozen clock
/// (each advance settles what came due): wait-until and waitable due a minute ahead, the
/// callback answered over HTTP (external) and by send-token (auto, with `SuccessRatio` 1).
/// The figures come from the executions' histories, not from reading the ASL files.
pub async fn workflow_runs(root: &Path, gsis: usize) -> Result<Vec<WorkflowRun>, LocalError> {
    let now = Utc::now();
    let rt = start_tuned(root, |opts| {
        opts.clock = app_core::ManualClock::new(now);
        opts.parameters = vec![("SuccessRatio".into(), "1".into())];
    })
    .await?;
    let http = reqwest::Client::new();
    let post = |path: &str, body: Value| {
        http.post(format!("{}{path}", rt.api_url()))
            .header("x-api-key", "bench-key")
            .json(&body)
            .send()
    };
    let in_a_minute =
        (now + chrono::Duration::seconds(60)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let started = [
        (
            "wait-until",
            false,
            "/start",
            json!({"taskName": "bench", "startAt": in_a_minute}),
        ),
        (
            "waitable",
            false,
            "/jobs",
            json!({"StartTimestamp": in_a_minute}),
        ),
        (
            "callback (external: send-wait, then POST /jobs/{id}/success)",
            true,
            "/callbacks",
            json!({"mode": "external"}),
        ),
        (
            "callback (auto: send-token)",
            false,
            "/callbacks",
            json!({"mode": "auto"}),
        ),
    ];
    let mut runs = Vec::new();
    for (name, callback_api, path, body) in started {
        let v: Value = post(path, body).await?.error_for_status()?.json().await?;
        let arn = v["executionArn"].as_str().unwrap_or_default().to_string();
        let id = v["jobId"].as_str().unwrap_or_default().to_string();
        runs.push((name, callback_api, arn, id));
    }
    rt.clock
        .advance_settled(now + chrono::Duration::seconds(61))
        .await;
    for (_, callback_api, _, id) in &runs {
        if *callback_api {
            post(&format!("/jobs/{id}/success"), json!({"approved": true}))
                .await?
                .error_for_status()?;
        }
    }
    rt.clock
        .advance_settled(app_core::Clock::now(&rt.clock))
        .await;
    let mut out = Vec::new();
    for (name, callback_api, arn, _) in runs {
        let d = rt
            .sfn
            .handle("DescribeExecution", json!({"executionArn": arn}))
            .await;
        let status = d
            .as_ref()
            .ok()
            .and_then(|d| d["status"].as_str().map(str::to_string));
        if status.as_deref() != Some("SUCCEEDED") {
            return Err(LocalError::Other(format!(
                "{name}: the execution did not succeed: {d:?}"
            )));
        }
        let events = history(&rt, &arn).await?;
        let mut calls = crate::cost::machine_calls(&events, gsis);
        for f in &mut calls.lambdas {
            if let Some(b) = rt.lambdas.lookup(f).and_then(|f| f.def.binary.clone()) {
                *f = b;
            }
        }
        out.push(WorkflowRun {
            name,
            callback_api,
            calls,
        });
    }
    rt.shutdown().await;
    Ok(out)
}
