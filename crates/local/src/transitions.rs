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
