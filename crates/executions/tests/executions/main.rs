//! executions' integration tests, one binary: the routes over in-memory Step Functions and
//! app-core's in-memory Jobs table, the sample events, the Step Functions adapter's request
//! shapes, and the synchronous start over app-core's AWS adapters (mocked clients).

mod adapters;
mod fakes;
mod routes;
mod samples;
mod start_with_aws;
