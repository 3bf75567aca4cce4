//! `sfn-local`: the Step Functions endpoint on its own (no task resources configured).

use clap::Parser;
use sfn_local::{SfnConfig, SfnService, Unconfigured};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser, Debug)]
#[command(about = "AWS Step Functions API (JSON 1.0) served locally")]
struct Args {
    #[arg(long, default_value_t = 4566, env = "SFN_LOCAL_PORT")]
    port: u16,
    #[arg(long, default_value = "127.0.0.1", env = "SFN_LOCAL_HOST")]
    host: String,
    /// Journal directory: machines and executions survive restarts.
    #[arg(long, env = "SFN_LOCAL_STATE_DIR", conflicts_with = "in_memory")]
    state_dir: Option<PathBuf>,
    /// Keep nothing on disk (the default when no --state-dir is given).
    #[arg(long)]
    in_memory: bool,
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    region: String,
    #[arg(long, default_value = "123456789012")]
    account_id: String,
    /// Days an ended execution is kept before it is removed (AWS: 90); 0 keeps them for ever.
    #[arg(long, default_value_t = 90)]
    retention_days: u32,
    /// Step Functions Local's mock configuration file (`<stateMachineArn>#<test case>`).
    #[arg(long, env = "SFN_MOCK_CONFIG", value_name = "PATH")]
    mock_config: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let mut cfg = SfnConfig::new(Arc::new(asl::SystemClock), Arc::new(Unconfigured));
    cfg.region = args.region;
    cfg.account_id = args.account_id;
    cfg.state_dir = if args.in_memory { None } else { args.state_dir };
    cfg.retention =
        (args.retention_days > 0).then(|| chrono::Duration::days(args.retention_days.into()));
    if let Some(path) = &args.mock_config {
        match sfn_local::MockSource::load(path) {
            Ok(src) => cfg.mock_config = Some(Arc::new(src)),
            Err(e) => {
                eprintln!("sfn-local: {e}");
                return std::process::ExitCode::FAILURE;
            }
        }
    }
    let svc = match SfnService::new(cfg) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprintln!("sfn-local: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let addr = format!("{}:{}", args.host, args.port);
    let listener = match tokio::net::TcpListener::bind(&addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("sfn-local: cannot listen on {addr}: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let local = listener.local_addr().map(|a| a.to_string()).unwrap_or(addr);
    println!("{}http://{local}", sfn_local::standalone::LISTENING);
    let app = svc.clone().router();
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
    svc.shutdown();
    match served {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sfn-local: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
