//! `POST /start`, `POST /jobs`, `POST /callbacks`: validate, start the matching state
//! machine under an idempotent name, record the job, answer 202. The work is app-core's
//! start service ([`app_core::start::JobStarter`]); this crate routes to it.

mod routes;

pub use app_core::start::StartConfig as Config;
pub use routes::StartExecution;

use app_core::dynamodb::DynamoJobStore;
use app_core::sfn::SfnClient;
use app_core::{Api, Clock, ConfigError, Env, JsonHandler};
use std::sync::Arc;

/// The handler with AWS clients on `clock` (the local runtime passes its one clock).
pub async fn json_handler(
    sdk: &aws_config::SdkConfig,
    env: &Env,
    clock: Arc<dyn Clock>,
) -> Result<Arc<dyn JsonHandler>, ConfigError> {
    let config = Config::from_lookup(env)?;
    let store = DynamoJobStore::new(sdk, config.jobs_table.clone());
    let handler = StartExecution::new(config, SfnClient::new(sdk), store, clock);
    Ok(Arc::new(Api(handler)))
}
