use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_target(false)
        .without_time()
        .init();
    let cfg = status_events::Config::from_env()?;
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let handler = status_events::build(&sdk, cfg);
    lambda_runtime::run(service_fn(|ev: LambdaEvent<Value>| {
        let h = &handler;
        async move { h.invoke_json(ev.payload).await }
    }))
    .await
}
