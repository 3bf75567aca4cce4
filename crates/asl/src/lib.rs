//! Amazon States Language engine: parse, validate and execute ASL definitions as
//! AWS Step Functions would, with task resources and time injected by the embedder.
//!
//! * [`StateMachine::parse`] validates a definition (the same checks as CreateStateMachine);
//!   [`validate`] returns only the diagnostics (ValidateStateMachineDefinition).
//! * [`Engine`] runs executions as tokio tasks. Task states call [`TaskResources::invoke`];
//!   Waits, retries and timeouts sleep on the [`Clock`]. Every history event goes to an
//!   [`Observer`] with AWS event types, ids and detail shapes ([`HistoryEvent`]).
//! * Task tokens (`.waitForTaskToken`) are derived from the execution ARN, the id of the
//!   `TaskScheduled` event and the engine secret (HMAC), so a resumed execution recognises the
//!   same token again when the engine is built with the same secret ([`Engine::with_secret`]).
//!   Tokens never appear in events unless the definition itself puts `$$.Task.Token` into
//!   the parameters (as on AWS).
//! * [`Engine::resume`] continues an execution from the history a previous process recorded:
//!   a Wait is re-armed for its original target, a waiting task token becomes valid again,
//!   a plain Task is invoked again (at-least-once), and a Parallel or Map state that was
//!   running is restarted from its recorded input (after a `...StateAborted` event closing
//!   the interrupted attempt). Retry counters are rebuilt from the recorded failures.
//!   Heartbeats are not part of the history, so a resumed callback task's heartbeat
//!   deadline counts from its `TaskStarted` event; a retry backoff that was under way is
//!   not waited out again.
//!
//! Error matching follows "Error handling in Step Functions": `States.ALL` matches
//! everything but `States.Runtime` (never retried or caught); `States.TaskFailed` matches
//! everything but timeouts; `States.Timeout` matches `States.Timeout` and
//! `States.HeartbeatTimeout` (a heartbeat timeout is a kind of timeout). Retry delays are
//! `IntervalSeconds * BackoffRate^(attempt-1)`, capped by `MaxDelaySeconds`, scaled by a
//! uniform random factor for `JitterStrategy: FULL`, and slept on the injected clock.
//!
//! History: plain Lambda function ARNs record `LambdaFunction*` events, every other resource
//! `Task*` events with `resourceType`/`resource` split from `arn:aws:states:::<type>:<res>`.
//! A stopped execution records the running top-level state's `...StateAborted` event, then
//! `ExecutionAborted`.

mod choice;
pub use common::clock;
mod definition;
mod dupkeys;
mod engine;
mod error;
mod fault;
mod history;
pub(crate) mod intrinsics;
mod jackson;
mod java_random;
pub mod jsonata;
mod limits;
mod observer;
mod paths;
mod task;
mod template;

#[cfg(test)]
mod prop_tests;

pub use common::clock::{Advanced, Busy, Clock, ManualClock, SystemClock};
pub use definition::{validate, StateMachine};
pub use engine::{
    Engine, ExecutionHandle, ExecutionInfo, ExecutionStatus, Inspection, Outcome, StateTest,
    StateTestResult, TestStatus,
};
pub use error::{DefinitionError, Diagnostic, ResumeError, TokenError};
pub use history::{
    ActivityScheduledDetails, ActivityStartedDetails, ErrorDetails, EvaluationFailedDetails,
    EventDetails, EventType, ExecutionStartedDetails, HistoryEvent, LambdaScheduledDetails,
    MapIterationDetails, MapStartedDetails, OutputDetails, PayloadDetails, RedrivenDetails,
    StateEnteredDetails, StateExitedDetails, TaskErrorDetails, TaskOutputDetails,
    TaskScheduledDetails, TaskStartedDetails,
};
pub use intrinsics::parse_json_text;
pub use jackson::{json_error_location, json_error_message};
pub use observer::{describe_event, NoopObserver, Observer, TracingObserver, PARK_AFTER_SECONDS};
pub use task::{is_activity, IntegrationPattern, TaskCall, TaskError, TaskResources};
