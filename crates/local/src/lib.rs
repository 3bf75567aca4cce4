//! The whole application on one machine: the template's API routes, one AWS endpoint for
//! Step Functions and DynamoDB, and the Lambda handlers linked in-process.

pub mod intrinsics;
pub mod template;
pub mod apigw;
pub mod lambda;
pub mod resources;
pub mod aws_endpoint;
pub mod handlers;
pub mod transitions;
pub mod runtime;

pub use runtime::{LocalRuntime, Options, RunningRuntime, StartError};
