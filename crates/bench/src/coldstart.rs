//! Each handler's release `bootstrap`, started as Lambda starts it: against a Runtime API on
//! loopback, with the template's environment and the local runtime as its AWS endpoint.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use crate::runtime_api::{Outcome, RuntimeApi};

/// A handler as the template deploys it.
#[derive(Debug, Clone)]
pub struct Target {
    pub binary: String,
    pub function_name: String,
    pub function_arn: String,
    pub memory_mb: u64,
    pub env: BTreeMap<String, String>,
    pub event: Vec<u8>,
    pub event_name: String,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot spawn {path}: {source}")]
    Spawn {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0} never polled for work (init failed or hung)")]
    NoPoll(String),
    #[error("init error reported: {0}")]
    Init(String),
    #[error("process exited during init: {0}")]
    Exited(String),
}

/// The first event: `<bin>.json` for a task, else the first `<bin>.<case>.json` in a stable
/// order that prefers the main route of a crate.
pub fn pick_event(events_dir: &Path, binary: &str) -> Option<(String, Vec<u8>)> {
    let exact = events_dir.join(format!("{binary}.json"));
    if let Ok(b) = std::fs::read(&exact) {
        return Some((format!("{binary}.json"), b));
    }
    let mut names: Vec<String> = std::fs::read_dir(events_dir)
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.starts_with(&format!("{binary}.")) && n.ends_with(".json"))
        .filter(|n| !n.contains("malformed"))
        .collect();
    names.sort();
    let preferred = ["jobs", "list", "heartbeat", "start", "succeeded"];
    let name = preferred
        .iter()
        .find_map(|p| {
            names
                .iter()
                .find(|n| n.as_str() == format!("{binary}.{p}.json"))
        })
        .or_else(|| names.first())?
        .clone();
    let bytes = std::fs::read(events_dir.join(&name)).ok()?;
    Some((name, bytes))
}

fn command(bin: &Path, t: &Target, api: &RuntimeApi, aws_url: &str) -> tokio::process::Command {
    let mut c = tokio::process::Command::new(bin);
    c.env_clear()
        .envs(&t.env)
        .env("AWS_LAMBDA_RUNTIME_API", api.addr.to_string())
        .env("AWS_ENDPOINT_URL", aws_url)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_SESSION_TOKEN", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_LAMBDA_FUNCTION_NAME", &t.function_name)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", t.memory_mb.to_string())
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env(
            "AWS_LAMBDA_LOG_GROUP_NAME",
            format!("/aws/lambda/{}", t.function_name),
        )
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
        .env("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
        .env("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023")
        .env("_HANDLER", "bootstrap")
        .env("LAMBDA_TASK_ROOT", "/var/task")
        .env("TZ", ":UTC")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    c
}

/// One start of the process, serving `invocations` events; `inspect` runs while the
/// process is still alive (to read its memory) before it is killed.
pub async fn run_once(
    bin: &Path,
    t: &Target,
    api: &RuntimeApi,
    aws_url: &str,
    invocations: usize,
    limit: Duration,
    inspect: impl FnOnce(u32),
) -> Result<Outcome, RunError> {
    let mut cmd = command(bin, t, api, aws_url);
    api.arm(t.event.clone(), invocations, &t.function_arn);
    let mut child = cmd.spawn().map_err(|source| RunError::Spawn {
        path: bin.to_path_buf(),
        source,
    })?;
    let pid = child.id();
    let outcome = tokio::select! {
        o = api.wait(limit) => Some(o),
        status = child.wait() => {
            let why = status.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string());
            let o = api.wait(Duration::from_millis(1)).await;
            if o.first_next.is_none() { return Err(RunError::Exited(why)); }
            Some(o)
        }
    };
    if let Some(pid) = pid {
        inspect(pid);
    }
    let _ = child.start_kill();
    let _ = child.wait().await;
    let o = outcome.unwrap_or_default();
    if let Some(e) = &o.init_error {
        return Err(RunError::Init(e.clone()));
    }
    if o.first_next.is_none() {
        return Err(RunError::NoPoll(t.binary.clone()));
    }
    Ok(o)
}
