//! Benchmark of the standalone binary (prints figures; asserts nothing):
//! start-to-listening time, and StartExecution-to-completion throughput of a 3-state
//! Pass machine through the HTTP endpoint with N concurrent clients.
//!
//! `cargo build --release -p sfn-local && cargo run --release -p sfn-local --example bench`
//! (`SFN_LOCAL_BIN` overrides the binary; `BENCH_EXECUTIONS` the executions per row).

use aws_json::client::Client;
use serde_json::json;
use sfn_local::standalone::Standalone;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn binary() -> PathBuf {
    if let Some(p) = std::env::var_os("SFN_LOCAL_BIN") {
        return PathBuf::from(p);
    }
    // target/<profile>/examples/bench -> target/<profile>/sfn-local
    let exe = std::env::current_exe().unwrap_or_default();
    exe.parent()
        .and_then(|p| p.parent())
        .map(|p| p.join("sfn-local"))
        .unwrap_or_else(|| PathBuf::from("sfn-local"))
}

/// Spawns the binary; returns it, time to the "listening" line and time until a TCP
/// connection succeeds.
fn spawn() -> Result<(Standalone, Duration, Duration), String> {
    let t = Instant::now();
    let running = Standalone::spawn(&binary(), ["--port", "0", "--in-memory"]).map_err(|e| {
        format!(
            "cannot run {}: {e} (build it first: cargo build --release -p sfn-local)",
            binary().display()
        )
    })?;
    let printed = t.elapsed();
    let addr = running.url.trim_start_matches("http://").to_string();
    loop {
        if std::net::TcpStream::connect(&addr).is_ok() {
            break;
        }
        if t.elapsed() > Duration::from_secs(10) {
            return Err("the port never accepted a connection".into());
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    Ok((running, printed, t.elapsed()))
}

fn client(url: &str) -> Client {
    Client::new(url, sfn_local::TARGET_PREFIX)
}

async fn client_loop(url: String, machine: String, n: usize) -> Result<Vec<Duration>, String> {
    let client = client(&url);
    let mut lat = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let e = client
            .call(
                "StartExecution",
                &json!({"stateMachineArn": machine, "input": "{\"x\":1}"}),
            )
            .await?;
        let arn = e["executionArn"]
            .as_str()
            .ok_or("no executionArn")?
            .to_string();
        loop {
            let d = client
                .call("DescribeExecution", &json!({"executionArn": arn}))
                .await?;
            if d["status"] != "RUNNING" {
                break;
            }
            tokio::task::yield_now().await;
        }
        lat.push(t.elapsed());
    }
    Ok(lat)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> Result<(), String> {
    println!("binary: {}", binary().display());
    println!();
    println!("start-to-listening (10 runs)");
    println!("{:>4} {:>14} {:>14}", "run", "line (ms)", "connect (ms)");
    let mut connects = Vec::new();
    for i in 0..10 {
        let (_running, printed, connected) = spawn()?;
        println!("{:>4} {:>14.2} {:>14.2}", i + 1, ms(printed), ms(connected));
        connects.push(connected);
    }
    connects.sort();
    println!(
        "median connect: {:.2} ms (target < 100 ms)",
        ms(connects[connects.len() / 2])
    );

    let total: usize = std::env::var("BENCH_EXECUTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let (running, _, _) = spawn()?;
    let url = running.url.clone();
    let def = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "B"},
        "B": {"Type": "Pass", "Result": 1, "ResultPath": "$.b", "Next": "C"},
        "C": {"Type": "Pass", "End": true}}});
    let m = client(&url).call("CreateStateMachine", &json!({"name": "Bench", "definition": def.to_string(), "roleArn": "arn:aws:iam::123456789012:role/bench"})).await?;
    let machine = m["stateMachineArn"].as_str().ok_or("no arn")?.to_string();
    println!();
    println!("StartExecution + completion, 3-state Pass machine, {total} executions per row");
    println!(
        "{:>8} {:>12} {:>12} {:>12} {:>12}",
        "clients", "exec/s", "p50 (ms)", "p99 (ms)", "total (s)"
    );
    for clients in [1usize, 4, 16, 64] {
        let per = total.div_ceil(clients);
        let t = Instant::now();
        let tasks: Vec<_> = (0..clients)
            .map(|_| tokio::spawn(client_loop(url.clone(), machine.clone(), per)))
            .collect();
        let mut lat = Vec::new();
        for task in tasks {
            lat.extend(task.await.map_err(|e| e.to_string())??);
        }
        let elapsed = t.elapsed();
        lat.sort();
        let p = |q: f64| ms(lat[((lat.len() as f64 - 1.0) * q) as usize]);
        println!(
            "{:>8} {:>12.0} {:>12.2} {:>12.2} {:>12.2}",
            clients,
            lat.len() as f64 / elapsed.as_secs_f64(),
            p(0.5),
            p(0.99),
            elapsed.as_secs_f64()
        );
    }
    Ok(())
}
