//! `local-dynamodb --port 8000 --state-dir DIR | --in-memory`: the DynamoDB endpoint on its own.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Parser;
use local_dynamodb::Dynamo;

#[derive(Parser, Debug)]
#[command(
    name = "local-dynamodb",
    about = "A local DynamoDB served over the AWS JSON 1.0 protocol"
)]
struct Args {
    /// Port to listen on (127.0.0.1).
    #[arg(long, default_value_t = 8000)]
    port: u16,
    /// Where state is kept between runs.
    #[arg(long, default_value = ".local/dynamodb", conflicts_with = "in_memory")]
    state_dir: PathBuf,
    /// Keep nothing on disk.
    #[arg(long)]
    in_memory: bool,
    /// Seconds between TTL sweeps, which delete expired items.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    ttl_sweep_seconds: u64,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    let dir = (!args.in_memory).then_some(args.state_dir);
    let dynamo = Arc::new(Dynamo::open(dir)?);
    let _sweeper = dynamo
        .clone()
        .spawn_ttl_sweeper(std::time::Duration::from_secs(args.ttl_sweep_seconds));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await?;
    tracing::info!(addr = %listener.local_addr()?, "local-dynamodb listening");
    axum::serve(listener, dynamo.router())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
