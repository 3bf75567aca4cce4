//! Throughput and memory figures for the engine (prints a table; asserts nothing).
//!
//! `cargo run --release -p asl --example bench` (set `BENCH_NOOP=1` to measure the waiting
//! executions without recording their history). "per 2 CPU-s" divides by the CPU time this
//! process actually got, which is the fairer figure when other work shares the machine.

use asl::{
    Engine, ExecutionInfo, HistoryEvent, Observer, Outcome, StateMachine, SystemClock, TaskCall,
    TaskError, TaskResources,
};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Keeps every event, as a service recording history would (sharded by execution, as a
/// per-execution store would be, so the two workers do not queue on one lock).
struct Recorder(Vec<Mutex<Vec<HistoryEvent>>>);
impl Default for Recorder {
    fn default() -> Self {
        Recorder((0..64).map(|_| Mutex::new(Vec::new())).collect())
    }
}
impl Recorder {
    fn len(&self) -> usize {
        self.0
            .iter()
            .map(|m| m.lock().map(|v| v.len()).unwrap_or(0))
            .sum()
    }
}
impl Observer for Recorder {
    fn on_event(&self, arn: &str, e: &HistoryEvent) {
        let h = arn
            .bytes()
            .fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(b as usize));
        if let Ok(mut v) = self.0[h % self.0.len()].lock() {
            v.push(e.clone());
        }
    }
}

struct NoTasks;
#[async_trait::async_trait]
impl TaskResources for NoTasks {
    async fn invoke(&self, call: TaskCall) -> Result<Value, TaskError> {
        Err(TaskError::new("Bench.NoTasks", call.resource))
    }
}

fn info(i: usize) -> ExecutionInfo {
    ExecutionInfo {
        execution_arn: format!("arn:aws:states:us-east-1:123456789012:execution:Bench:e{i}"),
        name: format!("e{i}"),
        state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:Bench".into(),
        state_machine_name: "Bench".into(),
        start_time: chrono::Utc::now(),
        role_arn: None,
    }
}

/// Process CPU seconds (user + system), so figures can be read on a busy machine too.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|u| u.parse::<f64>().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0);
    ticks / 100.0
}

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// (executions per wall-clock second, executions per CPU second of this process / 2 cores)
async fn run_many(
    engine: &Engine,
    m: &StateMachine,
    n: usize,
    input: Value,
    obs: Arc<dyn Observer>,
) -> (f64, f64) {
    let start = Instant::now();
    let cpu0 = cpu_seconds();
    let mut handles = Vec::with_capacity(n);
    for i in 0..n {
        handles.push(engine.start(m, info(i), input.clone(), obs.clone()));
    }
    for h in handles {
        if !matches!(h.outcome().await, Outcome::Succeeded(_)) {
            eprintln!("an execution did not succeed");
        }
    }
    let cpu = (cpu_seconds() - cpu0).max(0.01);
    (
        n as f64 / start.elapsed().as_secs_f64(),
        n as f64 / (cpu / 2.0),
    )
}

/// One line of the printed table: the figure, its value, its target.
type Row = (String, String, String);

fn main() {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start tokio: {e}");
            return;
        }
    };
    rt.block_on(async {
        // Memory first, while the heap is still small (freed memory is not returned to the OS).
        let sys = Engine::new(Arc::new(SystemClock), Arc::new(NoTasks));
        let mut rows = vec![waiting_memory(&sys).await];
        let engine = Engine::new(Arc::new(SystemClock), Arc::new(NoTasks));
        rows.push(pass_throughput(&engine).await);
        rows.push(map_throughput(&engine).await);
        rows.push(wait_precision(&sys).await);
        println!("{:<62} | {:>44} | target", "figure", "value");
        println!("{}", "-".repeat(110));
        for (a, b, c) in rows {
            println!("{a:<62} | {b:>44} | {c}");
        }
    });
}

/// Memory with 100,000 executions waiting (system clock, history recorded).
async fn waiting_memory(sys: &Engine) -> Row {
    let long_wait = StateMachine::parse(r#"{"StartAt":"P","States":{"P":{"Type":"Pass","Next":"W"},"W":{"Type":"Wait","Seconds":3600,"End":true}}}"#)
        .expect("bench definition");
    let before = rss_mb();
    let rec = Arc::new(Recorder::default());
    // Without history, each execution gets its own NoopObserver (counted in the figure).
    let noop = std::env::var_os("BENCH_NOOP").is_some();
    let observer = || -> Arc<dyn Observer> {
        if noop {
            Arc::new(asl::NoopObserver)
        } else {
            rec.clone()
        }
    };
    let mut handles = Vec::with_capacity(100_000);
    for i in 0..100_000 {
        handles.push(sys.start(&long_wait, info(i), json!({"job": i}), observer()));
    }
    for _ in 0..200 {
        tokio::task::yield_now().await;
        if handles.last().and_then(|h| h.current_state()).as_deref() == Some("W") {
            break;
        }
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let waiting = handles
        .iter()
        .filter(|h| h.current_state().as_deref() == Some("W"))
        .count();
    let after = rss_mb();
    let row = (
        format!("RSS with {waiting} executions waiting, MB (process total)"),
        format!("{after:.0} (+{:.0} over {before:.0})", after - before),
        "< 300".into(),
    );
    for h in &handles {
        h.stop(None, None);
    }
    for h in handles {
        h.outcome().await;
    }
    row
}

/// Executions per second of a 3-state Pass machine, after a warm-up.
async fn pass_throughput(engine: &Engine) -> Row {
    let pass = StateMachine::parse(
        r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Result":{"b":1},"ResultPath":"$.b","Next":"C"},"C":{"Type":"Pass","End":true}}}"#,
    )
    .expect("bench definition");
    let _ = run_many(
        engine,
        &pass,
        10_000,
        json!({"a": 1}),
        Arc::new(Recorder::default()),
    )
    .await;
    let rec = Arc::new(Recorder::default());
    let n = 200_000;
    let (rate, cpu_rate) = run_many(engine, &pass, n, json!({"a": 1}), rec.clone()).await;
    let events = rec.len();
    (
        "3-state Pass machine, executions/s (history recorded)".into(),
        format!("{rate:.0} wall, {cpu_rate:.0} per 2 CPU-s ({events} events)"),
        ">= 50000".into(),
    )
}

/// Executions per second of a Map state over 100 items.
async fn map_throughput(engine: &Engine) -> Row {
    let map = StateMachine::parse(
        r#"{"StartAt":"M","States":{"M":{"Type":"Map","End":true,"ItemsPath":"$.items","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}}}}"#,
    )
    .expect("bench definition");
    let items: Vec<Value> = (0..100).map(|i| json!({"i": i})).collect();
    let rec = Arc::new(Recorder::default());
    let (rate, cpu_rate) =
        run_many(engine, &map, 2_000, json!({"items": items}), rec.clone()).await;
    (
        "Map of 100 items, executions/s (history recorded)".into(),
        format!("{rate:.0} wall, {cpu_rate:.0} per 2 CPU-s"),
        "(figure)".into(),
    )
}

/// Real Wait precision with the system clock: the worst lateness over 10 waits.
async fn wait_precision(sys: &Engine) -> Row {
    let wait = StateMachine::parse(
        r#"{"StartAt":"W","States":{"W":{"Type":"Wait","TimestampPath":"$.t","End":true}}}"#,
    )
    .expect("bench definition");
    let mut worst = 0i64;
    for i in 0..10 {
        let target = chrono::Utc::now() + chrono::Duration::milliseconds(150);
        let h = sys.start(
            &wait,
            info(i),
            json!({"t": target.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)}),
            Arc::new(asl::NoopObserver),
        );
        h.outcome().await;
        worst = worst.max((chrono::Utc::now() - target).num_milliseconds());
    }
    (
        "real Wait: worst lateness over 10 waits, ms".into(),
        worst.to_string(),
        "<= 50".into(),
    )
}
