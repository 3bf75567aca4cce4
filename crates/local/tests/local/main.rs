//! The local runtime end to end, in one test binary: the real template, state machines and
//! handlers served in-process (time driven by a manual clock), and the `local` binary as a
//! user runs it (kill, restart, hostile input). The console's page in a browser is tested
//! by `tests/browser` (Python, run by scripts/browser-tests.sh).

mod common;

/// The application machines under mocks and TestState (kept apart: the machines change).
mod app_mocks;
mod console;
mod console_starts;
mod executions;
mod flows;
mod hostile;
mod machines;
mod readme;
mod readme_diagrams;
mod restart;
mod time;
