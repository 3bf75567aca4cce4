//! Shared core of the Lambda handlers: domain types, request validation, the Jobs table
//! (schema, capability traits, its AWS adapter and an in-memory fake), the start service,
//! HTTP helpers and the handler interface the Lambda runtime and the local runtime both use.

pub mod clock;
pub mod config;
pub mod cursor;
pub mod domain;
pub mod dynamodb;
#[cfg(any(test, feature = "fake"))]
pub mod fake;
pub mod handler;
pub mod http;
pub mod lambda;
pub mod listing;
pub mod ports;
pub mod requests;
pub mod schema;
pub mod sdk;
pub mod ses;
pub mod sfn;
pub mod start;
#[cfg(feature = "test-support")]
pub mod test_support;

pub use clock::{Busy, Clock, ManualClock, SystemClock};
pub use config::{ConfigError, Env};
pub use domain::{ExecutionName, ExecutionStatus, Job, JobId, JobStatus, Pattern, TaskToken};
pub use handler::{Api, ApiHandler, JsonHandler, Task, TaskHandler};
pub use http::ApiError;
