//! status-events' integration tests, one binary: the tracker over app-core's in-memory Jobs
//! table, the sample events, and the SNS adapter's request shape.

mod fake;
mod samples;
mod sns;
mod tracker;
