//! One terminal line per state transition, so a user sees each execution move.

use std::io::{IsTerminal, Write};

use sfn_local::Transition;

const RESET: &str = "\x1b[0m";

fn colour(event_type: &str) -> &'static str {
    if event_type.ends_with("Failed")
        || event_type.ends_with("TimedOut")
        || event_type.ends_with("Aborted")
    {
        "\x1b[31m"
    } else if event_type == "ExecutionSucceeded" {
        "\x1b[32m"
    } else if event_type.ends_with("Entered") {
        "\x1b[36m"
    } else if event_type.starts_with("Execution") {
        "\x1b[33m"
    } else {
        "\x1b[2m"
    }
}

/// `HH:MM:SS.mmm <machine>/<execution> <StateName> <EventType>`.
pub fn line(t: &Transition, coloured: bool) -> String {
    let time = t.event.timestamp.format("%H:%M:%S%.3f");
    let state = t.state_name().unwrap_or("-");
    let ty = t.event_type();
    if coloured {
        format!(
            "\x1b[2m{time}{RESET} {}/{} \x1b[1m{state}{RESET} {}{ty}{RESET}",
            t.state_machine_name,
            t.execution_name,
            colour(ty)
        )
    } else {
        format!(
            "{time} {}/{} {state} {ty}",
            t.state_machine_name, t.execution_name
        )
    }
}

/// Prints the feed until it closes; colours only when stdout is a terminal.
pub async fn print(mut rx: tokio::sync::broadcast::Receiver<Transition>) {
    let coloured = std::io::stdout().is_terminal();
    loop {
        match rx.recv().await {
            Ok(t) => {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{}", line(&t, coloured));
            }
            Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!(skipped = n, "transition lines dropped (terminal too slow)");
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use asl::{EventDetails, EventType, HistoryEvent, PayloadDetails, StateEnteredDetails};
    use chrono::TimeZone;
    use std::sync::Arc;

    fn transition(event_type: EventType, details: Option<EventDetails>) -> Transition {
        Transition {
            execution_arn: "arn:aws:states:us-east-1:123456789012:execution:M:e1".into(),
            execution_name: "e1".into(),
            state_machine_name: "M".into(),
            event: Arc::new(HistoryEvent {
                timestamp: chrono::Utc
                    .with_ymd_and_hms(2026, 1, 2, 3, 4, 5)
                    .single()
                    .expect("valid time")
                    + chrono::Duration::milliseconds(67),
                event_type,
                id: 2,
                previous_event_id: 1,
                details,
            }),
        }
    }

    #[test]
    fn one_plain_line_per_transition() {
        let entered = transition(
            EventType::WaitStateEntered,
            Some(EventDetails::StateEntered(StateEnteredDetails {
                name: Arc::from("Hold"),
                input: Arc::new(serde_json::json!({})),
                input_details: PayloadDetails::default(),
            })),
        );
        assert_eq!(
            line(&entered, false),
            "03:04:05.067 M/e1 Hold WaitStateEntered"
        );
        let started = transition(EventType::ExecutionStarted, None);
        assert_eq!(
            line(&started, false),
            "03:04:05.067 M/e1 - ExecutionStarted"
        );
    }

    #[test]
    fn colours_only_when_asked() {
        let failed = transition(EventType::ExecutionFailed, None);
        let c = line(&failed, true);
        assert!(c.contains("\x1b[31mExecutionFailed"), "{c:?}");
        assert!(!line(&failed, false).contains('\x1b'));
    }
}
