//! Where history goes: the engine keeps none itself, the embedder records what it needs.

use crate::history::{EventDetails, HistoryEvent};

pub trait Observer: Send + Sync {
    fn on_event(&self, exec_arn: &str, event: &HistoryEvent);

    /// Whether this embedder takes over long waits: an execution that reaches a top-level
    /// Wait ending more than [`PARK_AFTER_SECONDS`] away then ends its task, after
    /// [`Observer::on_park`], instead of holding memory while it waits. The embedder
    /// resumes it from its recorded history ([`crate::Engine::resume`]) when the wait is
    /// over, or earlier to stop it.
    fn parks(&self) -> bool {
        false
    }

    /// The execution is parked until `until` (its history ends with the Wait's Entered event).
    fn on_park(&self, _exec_arn: &str, _until: chrono::DateTime<chrono::Utc>) {}
}

/// How far away a Wait's end must be for an execution to be parked.
pub const PARK_AFTER_SECONDS: i64 = 60;

/// Discards everything (executions whose history nobody reads).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoopObserver;

impl Observer for NoopObserver {
    fn on_event(&self, _exec_arn: &str, _event: &HistoryEvent) {}
}

/// One short human line per event worth showing (state transitions and outcomes),
/// so an embedder can print progress without knowing every event type.
pub fn describe_event(event: &HistoryEvent) -> Option<String> {
    let t = event.event_type.as_str();
    let failed = |error: &Option<String>, cause: &Option<String>| {
        let text = |v: &Option<String>| v.as_deref().unwrap_or("").to_string();
        Some(format!("{t} {}: {}", text(error), text(cause)))
    };
    match &event.details {
        Some(EventDetails::StateEntered(d)) => Some(format!("-> {} ({t})", d.name)),
        Some(EventDetails::ExecutionSucceeded(_)) => Some(t.to_string()),
        Some(EventDetails::ExecutionFailed(e))
        | Some(EventDetails::ExecutionAborted(e))
        | Some(EventDetails::ExecutionTimedOut(e))
        | Some(EventDetails::ActivityFailed(e))
        | Some(EventDetails::ActivityTimedOut(e)) => failed(&e.error, &e.cause),
        Some(EventDetails::TaskFailed(e)) | Some(EventDetails::TaskTimedOut(e)) => {
            failed(&e.error, &e.cause)
        }
        Some(EventDetails::ExecutionRedriven(d)) => {
            Some(format!("{t} (redrive {})", d.redrive_count))
        }
        _ => None,
    }
}

/// Prints [`describe_event`] lines through `tracing` at INFO.
#[derive(Debug, Default, Clone, Copy)]
pub struct TracingObserver;

impl Observer for TracingObserver {
    fn on_event(&self, exec_arn: &str, event: &HistoryEvent) {
        if let Some(line) = describe_event(event) {
            tracing::info!(execution = exec_arn, "{line}");
        }
    }
}
