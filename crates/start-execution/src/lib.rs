//! `POST /start`, `POST /jobs`, `POST /callbacks`: validate, start the matching state
//! machine under an idempotent name, record the job, answer 202.

mod config;
mod routes;

pub use config::Config;
pub use routes::StartExecution;

use app_core::dynamodb::DynamoJobStore;
use app_core::sfn::SfnClient;
use app_core::{Api, ConfigError, Env, JsonHandler, SystemClock};
use std::sync::Arc;

/// What can go wrong serving a start request.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Request(#[from] app_core::requests::RequestError),
    #[error(transparent)]
    Upstream(#[from] app_core::ports::Upstream),
}

impl From<Error> for app_core::ApiError {
    fn from(e: Error) -> Self {
        match e {
            Error::Request(e) => e.into(),
            Error::Upstream(e) => app_core::ApiError::upstream(e.0),
        }
    }
}

/// The handler with AWS clients, as `main.rs` and the local runtime use it.
pub async fn json_handler(
    sdk: &aws_config::SdkConfig,
    env: &Env,
) -> Result<Arc<dyn JsonHandler>, ConfigError> {
    let config = Config::from_lookup(env)?;
    let store = DynamoJobStore::new(sdk, config.jobs_table.clone());
    let handler = StartExecution::new(config, SfnClient::new(sdk), store, SystemClock);
    Ok(Arc::new(Api(handler)))
}
