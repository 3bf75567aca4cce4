//! The local DynamoDB's integration tests, one test binary:
//!
//! * `operations`: each operation through `Dynamo::handle`, the behaviour the application uses;
//! * `persistence`: state survives dropped handles, torn logs and a SIGKILLed process;
//! * `sdk_smoke`: the official Rust SDK against the router;
//! * `differential`: the same raw requests against DynamoDB Local (Java) and this server,
//!   through `harness`; ignored unless Java is there (`--include-ignored`).

mod differential;
mod harness;
mod operations;
mod persistence;
mod sdk_smoke;
