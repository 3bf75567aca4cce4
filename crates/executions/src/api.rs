//! The dependencies every route shares.

use std::sync::Arc;

use app_core::ports::{CancelRequests, JobReader};
use app_core::start::JobStarter;
use app_core::Clock;

use crate::config::Config;
use crate::ports::StepFunctions;

/// The Jobs table as the routes use it: read a job, request its cancel.
pub trait ExecutionJobs: JobReader + CancelRequests {}

impl<T: JobReader + CancelRequests> ExecutionJobs for T {}

pub struct Api {
    pub cfg: Config,
    pub sfn: Arc<dyn StepFunctions>,
    pub jobs: Arc<dyn ExecutionJobs>,
    /// The start service the start routes use too.
    pub starter: Arc<JobStarter>,
    /// Time as the synchronous start waits on it (the local runtime passes its own).
    pub clock: Arc<dyn Clock>,
}
