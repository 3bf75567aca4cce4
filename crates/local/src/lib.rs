//! The whole application on one machine: the template's API routes, one AWS endpoint for
//! Step Functions and DynamoDB, and the Lambda handlers linked in-process.

pub mod apigw;
pub mod aws_endpoint;
pub mod console;
pub mod event_pattern;
pub mod handlers;
pub mod intrinsics;
pub mod lambda;
pub mod resources;
pub mod runtime;
pub mod server;
pub mod stack;
pub mod status_forwarder;
pub mod template;
pub mod transitions;

pub use runtime::{LocalRuntime, Options, RunningRuntime, StartError};
