//! What every `main.rs` does: tracing, one SDK config, build the handler, serve.

use crate::config::ConfigError;
use crate::handler::JsonHandler;
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;
use std::sync::Arc;

/// Text or JSON logs depending on the function's `LoggingConfig`
/// (`AWS_LAMBDA_LOG_FORMAT`), level from `AWS_LAMBDA_LOG_LEVEL` / `RUST_LOG`.
pub fn init_tracing() {
    lambda_runtime::tracing::init_default_subscriber();
}

/// Serves `handler` until the runtime stops; a configuration error is logged in
/// words before the process exits, so the init failure is readable in CloudWatch.
pub async fn serve(
    handler: Result<Arc<dyn JsonHandler>, ConfigError>,
) -> Result<(), lambda_runtime::Error> {
    let handler = handler.inspect_err(|e| tracing::error!(error = %e, "configuration error"))?;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let handler = Arc::clone(&handler);
        async move { handler.invoke_json(event.payload, event.context).await }
    }))
    .await
}
