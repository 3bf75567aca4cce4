//! The dependencies every route shares.

use std::sync::Arc;

use crate::config::Config;
use crate::ports::{JobStore, Starter, StepFunctions, Timer};

pub struct Api {
    pub cfg: Config,
    pub sfn: Arc<dyn StepFunctions>,
    pub jobs: Arc<dyn JobStore>,
    pub starter: Arc<dyn Starter>,
    pub timer: Arc<dyn Timer>,
}
