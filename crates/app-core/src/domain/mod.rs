//! Domain types shared by every handler. They validate on construction so that
//! the rest of the code can trust them.

mod job;
mod names;
mod pattern;
mod status;
mod time;
mod token;

pub use job::{Job, JobDetail, JobSummary};
pub use names::{job_of_execution, ExecutionName, JobId, NameError};
pub use pattern::Pattern;
pub use status::{ExecutionStatus, JobStatus, UnknownStatus};
pub use time::{
    format_epoch_millis, format_timestamp, normalise_timestamp, parse_rfc3339, parse_start_at,
    within_window, TimeError,
};
pub use token::{TaskToken, TokenError};
