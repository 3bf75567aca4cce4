//! EventBridge for Step Functions status changes: every execution start and end that
//! `sfn-local` broadcasts becomes the "Step Functions Execution Status Change" event AWS would
//! send, delivered asynchronously to each function whose rule matches it.
//!
//! Delivery goes through queues sharded by (function, execution), so the events of one
//! execution reach a function in the order they happened while other executions proceed in
//! parallel. A failed invocation is retried twice (as Lambda does for asynchronous invokes) and
//! then logged and dropped.

use app_core::{Busy, Clock};
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use sfn_local::ExecutionStatusChange;
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;

use crate::lambda::{Function, LambdaRegistry};
use crate::template::EventRule;

const SHARDS: usize = 4;
const RETRY_DELAYS: [Duration; 2] = [Duration::from_millis(200), Duration::from_millis(1000)];

/// Counters, so a caller (tests, logs) can tell when every queued event was handled.
#[derive(Debug, Default)]
pub struct DeliveryStats {
    queued: AtomicU64,
    delivered: AtomicU64,
    failed: AtomicU64,
    dropped: AtomicU64,
}

impl DeliveryStats {
    /// Events queued for a function (one per matching rule).
    pub fn queued(&self) -> u64 {
        self.queued.load(Ordering::SeqCst)
    }
    /// Invocations that succeeded (possibly after retries).
    pub fn delivered(&self) -> u64 {
        self.delivered.load(Ordering::SeqCst)
    }
    /// Invocations that failed every attempt.
    pub fn failed(&self) -> u64 {
        self.failed.load(Ordering::SeqCst)
    }
    /// Status changes lost before matching (the broadcast lagged).
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::SeqCst)
    }
    /// Queued events neither delivered nor failed yet.
    pub fn pending(&self) -> u64 {
        self.queued()
            .saturating_sub(self.delivered() + self.failed())
    }
}

struct Delivery {
    function: Arc<Function>,
    rule: String,
    execution_arn: String,
    status: String,
    payload: Value,
    /// Counts as work in flight (for an advance of the clock) until it is delivered.
    _busy: Busy,
}

/// The account and region events claim to come from.
#[derive(Debug, Clone)]
pub struct Origin {
    pub region: String,
    pub account: String,
}

/// The event EventBridge would deliver for `c`.
pub fn event_of(c: &ExecutionStatusChange, origin: &Origin) -> Value {
    let id = uuid::Uuid::new_v4().to_string();
    status_events::status_change_event(&status_events::StatusChangeFields {
        region: &origin.region,
        account: &origin.account,
        execution_arn: &c.execution_arn,
        state_machine_arn: &c.state_machine_arn,
        name: &c.name,
        status: &c.status,
        start_ms: c.start_date,
        stop_ms: c.stop_date,
        input: Some(c.input.as_str()),
        output: c.output.as_deref(),
        error: c.error.as_deref(),
        cause: c.cause.as_deref(),
        id: &id,
        time_ms: c.stop_date.unwrap_or(c.start_date),
    })
}

/// What a rule sends its target: `Input` if set, else the part `InputPath` selects, else the
/// whole event.
fn target_payload(rule: &EventRule, event: &Value) -> Option<Value> {
    if let Some(i) = &rule.input {
        return Some(i.clone());
    }
    match rule.input_path.as_deref() {
        None | Some("$") => Some(event.clone()),
        Some(path) => {
            let rest = path.strip_prefix("$.")?;
            rest.split('.').try_fold(event, |v, k| v.get(k)).cloned()
        }
    }
}

/// Starts the dispatcher and the delivery workers; they stop when the broadcast closes.
pub fn spawn(
    rx: broadcast::Receiver<ExecutionStatusChange>,
    rules: Vec<EventRule>,
    lambdas: Arc<LambdaRegistry>,
    origin: Origin,
    stats: Arc<DeliveryStats>,
) -> Vec<JoinHandle<()>> {
    let mut handles = Vec::new();
    let mut queues = Vec::new();
    for _ in 0..SHARDS {
        // Bounded: a slow target holds the dispatcher back (and, past the status feed's
        // own buffer, changes are counted as dropped) instead of growing memory.
        let (tx, rx) = mpsc::channel::<Delivery>(QUEUE_PER_SHARD);
        queues.push(tx);
        let clock = lambdas.clock();
        handles.push(tokio::spawn(
            clock.track(Box::pin(worker(rx, stats.clone()))),
        ));
    }
    let mut targets = Vec::new();
    for r in rules {
        match lambdas.lookup(&r.target) {
            Some(f) => targets.push((r, f)),
            None => {
                tracing::warn!(rule = %r.name, target = %r.target, "event rule target is not a function of this template: ignored")
            }
        }
    }
    let clock = lambdas.clock().clone();
    let dispatcher = dispatch(rx, targets, queues, origin, stats, clock.clone());
    handles.push(tokio::spawn(clock.track(Box::pin(dispatcher))));
    handles
}

/// Deliveries waiting per worker.
const QUEUE_PER_SHARD: usize = 10_000;

fn shard(function: &str, execution: &str) -> usize {
    let mut h = DefaultHasher::new();
    (function, execution).hash(&mut h);
    (h.finish() % SHARDS as u64) as usize
}

async fn dispatch(
    mut rx: broadcast::Receiver<ExecutionStatusChange>,
    targets: Vec<(EventRule, Arc<Function>)>,
    queues: Vec<mpsc::Sender<Delivery>>,
    origin: Origin,
    stats: Arc<DeliveryStats>,
    clock: Arc<dyn Clock>,
) {
    loop {
        let change = match rx.recv().await {
            Ok(c) => c,
            Err(broadcast::error::RecvError::Lagged(n)) => {
                stats.dropped.fetch_add(n, Ordering::SeqCst);
                tracing::error!(
                    lost = n,
                    "execution status changes lost before delivery (too many at once)"
                );
                continue;
            }
            Err(broadcast::error::RecvError::Closed) => break,
        };
        if targets.is_empty() {
            continue;
        }
        let event = event_of(&change, &origin);
        for (rule, function) in &targets {
            if !crate::event_pattern::matches(&rule.pattern, &event) {
                continue;
            }
            let Some(payload) = target_payload(rule, &event) else {
                tracing::warn!(rule = %rule.name, "InputPath selects nothing: event not delivered");
                continue;
            };
            let i = shard(&function.def.arn, &change.execution_arn);
            stats.queued.fetch_add(1, Ordering::SeqCst);
            let d = Delivery {
                function: function.clone(),
                rule: rule.name.clone(),
                execution_arn: change.execution_arn.clone(),
                status: change.status.clone(),
                payload,
                _busy: clock.busy(),
            };
            if let Some(q) = queues.get(i) {
                if q.send(d).await.is_err() {
                    stats.failed.fetch_add(1, Ordering::SeqCst);
                    tracing::error!(rule = %rule.name, "delivery queue closed: event dropped");
                }
            }
        }
    }
}

async fn worker(mut rx: mpsc::Receiver<Delivery>, stats: Arc<DeliveryStats>) {
    while let Some(d) = rx.recv().await {
        let mut attempt = 0;
        loop {
            match d.function.invoke(d.payload.clone()).await {
                Ok(out) => {
                    stats.delivered.fetch_add(1, Ordering::SeqCst);
                    tracing::debug!(rule = %d.rule, function = %d.function.def.logical_id, execution = %d.execution_arn, status = %d.status, result = %out, "status event delivered");
                    break;
                }
                Err(e) => {
                    if let Some(delay) = RETRY_DELAYS.get(attempt) {
                        tracing::warn!(rule = %d.rule, function = %d.function.def.logical_id, execution = %d.execution_arn, status = %d.status, attempt = attempt + 1, error = %e, "status event delivery failed; retrying");
                        tokio::time::sleep(*delay).await;
                        attempt += 1;
                    } else {
                        stats.failed.fetch_add(1, Ordering::SeqCst);
                        tracing::error!(rule = %d.rule, function = %d.function.def.logical_id, execution = %d.execution_arn, status = %d.status, error = %e, "status event not delivered after retries");
                        break;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
