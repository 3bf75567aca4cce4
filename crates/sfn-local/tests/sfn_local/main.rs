//! The Step Functions endpoint's integration tests, one test binary. Most run the router
//! in-process on a `ManualClock` (see `harness`):
//!
//! * `sdk`: every operation through `aws-sdk-sfn`;
//! * `activities`: activities, their workers and their tasks;
//! * `protocol`: the AWS JSON 1.0 wire details, with raw HTTP;
//! * `mocks`: Step Functions Local mock configurations (`<arn>#<test case>`);
//! * `restart`: executions resumed from the journal after a restart;
//! * `redrive`: RedriveExecution (SDK, restart, and the aws CLI when installed);
//! * `binary`: the standalone binary, SIGKILLed and started again;
//! * `test_state`: TestState, every state type, mocks, inspection levels, refusals;
//! * `cli`: the real aws CLI; ignored unless it is installed (`--include-ignored`).

mod activities;
mod binary;
mod cli;
mod harness;
mod mocks;
mod protocol;
mod redrive;
mod restart;
mod sdk;
mod test_state;
