#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    app_core::lambda::init_tracing();
    let sdk = app_core::sdk::load().await;
    let env = |k: &str| std::env::var(k).ok();
    app_core::lambda::serve(
        executions::json_handler(&sdk, &env, std::sync::Arc::new(app_core::SystemClock)).await,
    )
    .await
}
