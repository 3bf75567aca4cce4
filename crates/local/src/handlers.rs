//! The application's handler crates, linked in: the template names each function's cargo
//! bin (`Metadata.BuildProperties.Binary`), which is also its crate.

use std::sync::Arc;

use app_core::{ConfigError, Env, JsonHandler};
use asl::Clock;

/// The bins this runtime links, for error messages.
pub const LINKED: &[&str] = &[
    "start-execution",
    "send-email",
    "send-wait",
    "send-token",
    "status",
    "task-callback",
    "executions",
    "status-events",
];

/// Builds the handler of `binary` the same way its `main.rs` does; None if it is not linked.
/// `clock` is the runtime's one clock: every handler that reads or waits on time follows it,
/// so time moved ahead (or frozen) reaches them too.
pub async fn build(
    binary: &str,
    sdk: &aws_config::SdkConfig,
    env: &Env,
    clock: Arc<dyn Clock>,
) -> Option<Result<Arc<dyn JsonHandler>, ConfigError>> {
    let h = match binary {
        "start-execution" => start_execution::json_handler(sdk, env, clock).await,
        "send-email" => send_email::json_handler(sdk, env, clock).await,
        "send-wait" => send_wait::json_handler(sdk, env, clock).await,
        "send-token" => send_token::json_handler(sdk, env).await,
        "status" => status::json_handler(sdk, env).await,
        "task-callback" => task_callback::json_handler(sdk, env).await,
        "executions" => executions::json_handler(sdk, env, clock).await,
        "status-events" => status_events::json_handler(sdk, env, clock).await,
        _ => return None,
    };
    Some(h)
}
