//! The asl crate's integration tests, in one test binary: the conformance tables
//! (`tests/conformance/*.json`), engine behaviour outside the tables, and the project's own
//! state machines.

mod common;
mod conformance;
mod engine;
mod project_machines;
mod redrive;
