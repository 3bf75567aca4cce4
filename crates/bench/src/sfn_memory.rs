//! Resident memory per execution in the Step Functions endpoint, measured as a user would
//! load it: the `sfn-local` binary, executions started over HTTP (AWS JSON 1.0), the
//! process's RSS read before and after. Two shapes: executions parked in a one-hour Wait,
//! and executions that have ended (a two-state Pass machine).

use crate::table::Row;
use aws_json::client::Client;
use futures::StreamExt;
use serde_json::{json, Value};
use sfn_local::standalone::Standalone;
use std::path::Path;
use std::time::Duration;

fn spawn(release: &Path) -> Result<Standalone, String> {
    let bin = release.join("sfn-local");
    Standalone::spawn(&bin, ["--port", "0", "--in-memory"])
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))
}

fn rss_kb(pid: u32) -> Option<f64> {
    crate::machine::memory_mb(&pid.to_string())
        .1
        .map(|mb| mb * 1024.0)
}

/// Bytes per execution of `definition` once `n` have been started (and, for `settled`,
/// have reached the state the figure is about).
async fn per_execution(release: &Path, definition: Value, n: usize) -> Result<f64, String> {
    let ep = spawn(release)?;
    let client = Client::new(&ep.url, sfn_local::TARGET_PREFIX);
    let m = client
        .call(
            "CreateStateMachine",
            &json!({"name": "m", "definition": definition.to_string(), "roleArn": "arn:aws:iam::123456789012:role/bench"}),
        )
        .await?;
    let arn = m["stateMachineArn"].as_str().ok_or("no ARN")?.to_string();
    let start = |i: usize, prefix: &'static str| {
        let (client, arn) = (client.clone(), arn.clone());
        async move {
            let input = json!({"jobId": format!("{prefix}-{i}"), "at": "2030-01-01T00:00:00Z"});
            client
                .call(
                    "StartExecution",
                    &json!({"stateMachineArn": arn, "name": format!("{prefix}-{i}"), "input": input.to_string()}),
                )
                .await
        }
    };
    // Warm-up: allocator arenas, connection pools and buffers reach their steady size.
    let warm: Vec<_> = futures::stream::iter(0..500)
        .map(|i| start(i, "warm"))
        .buffer_unordered(16)
        .collect()
        .await;
    warm.into_iter().collect::<Result<Vec<_>, _>>()?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = rss_kb(ep.child.id()).ok_or("cannot read /proc")?;
    let started: Vec<_> = futures::stream::iter(0..n)
        .map(|i| start(i, "e"))
        .buffer_unordered(16)
        .collect()
        .await;
    started.into_iter().collect::<Result<Vec<_>, _>>()?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = rss_kb(ep.child.id()).ok_or("cannot read /proc")?;
    Ok((after - before) * 1024.0 / n as f64)
}

pub async fn rows(release: &Path, n: usize, rows: &mut Vec<Row>) {
    let waiting = json!({"StartAt": "P", "States": {
        "P": {"Type": "Pass", "Next": "W"},
        "W": {"Type": "Wait", "Seconds": 3600, "End": true}}});
    let ended = json!({"StartAt": "P", "States": {
        "P": {"Type": "Pass", "Next": "Q"},
        "Q": {"Type": "Pass", "End": true}}});
    for (what, def, target) in [
        ("waiting (one-hour Wait)", waiting, 3.0),
        ("ended (two Pass states)", ended, 2.0),
    ] {
        let figure = format!("sfn-local: resident per execution {what}, {n} via the AWS endpoint");
        match per_execution(release, def, n).await {
            Ok(b) => rows.push(
                Row::new(
                    figure,
                    format!(
                        "{:.2} KB ({:.0} MB per 100,000)",
                        b / 1024.0,
                        b * 100_000.0 / 1e6
                    ),
                )
                .target(format!("<= {target} KB"), b / 1024.0 <= target),
            ),
            Err(e) => rows.push(Row::missing(figure, e)),
        }
    }
}
