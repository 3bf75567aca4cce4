//! What every `main.rs` does: tracing, one SDK config, build the handler, serve.

use crate::config::ConfigError;
use crate::handler::JsonHandler;
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;
use std::sync::Arc;
use tracing_subscriber::filter::LevelFilter;

/// Text or JSON logs depending on the function's `LoggingConfig` (`AWS_LAMBDA_LOG_FORMAT`),
/// at the level of `AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG` when it names one level, else
/// INFO: what `lambda_runtime`'s default subscriber does, without its per-module filter,
/// whose regex engine would add hundreds of kilobytes to every bootstrap.
pub fn init_tracing() {
    let env = |k: &str| std::env::var(k).ok();
    let builder = tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_max_level(log_level(&env))
        .with_writer(std::io::stdout);
    let json = env("AWS_LAMBDA_LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("json"));
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// The level filter `init_tracing` applies (Lambda's `FATAL` counts as ERROR).
pub fn log_level(env: &dyn Fn(&str) -> Option<String>) -> LevelFilter {
    let raw = env("AWS_LAMBDA_LOG_LEVEL").or_else(|| env("RUST_LOG"));
    match raw.as_deref().map(str::trim) {
        Some(l) if l.eq_ignore_ascii_case("fatal") => LevelFilter::ERROR,
        Some(l) => l.parse().unwrap_or(LevelFilter::INFO),
        None => LevelFilter::INFO,
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn level_comes_from_lambda_then_rust_log_then_info() {
        assert_eq!(log_level(&env(&[])), LevelFilter::INFO);
        assert_eq!(
            log_level(&env(&[("AWS_LAMBDA_LOG_LEVEL", "DEBUG")])),
            LevelFilter::DEBUG
        );
        assert_eq!(
            log_level(&env(&[
                ("AWS_LAMBDA_LOG_LEVEL", "WARN"),
                ("RUST_LOG", "trace")
            ])),
            LevelFilter::WARN
        );
        assert_eq!(
            log_level(&env(&[("RUST_LOG", "trace")])),
            LevelFilter::TRACE
        );
        assert_eq!(
            log_level(&env(&[("AWS_LAMBDA_LOG_LEVEL", "FATAL")])),
            LevelFilter::ERROR
        );
        assert_eq!(
            log_level(&env(&[("RUST_LOG", "send_wait=debug,info")])),
            LevelFilter::INFO
        );
    }
}
