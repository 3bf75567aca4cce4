//! `cargo run --profile local -p local`: the whole application offline, from the same
//! `template.yaml` and `statemachine/` files `sam deploy` uses.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use asl::Clock;
use clap::Parser;
use local::{LocalRuntime, Options, RunningRuntime};

#[derive(Debug, Parser)]
#[command(
    name = "local",
    about = "Runs the API, the state machines, the Lambda handlers and the DynamoDB table on this machine"
)]
struct Cli {
    /// The SAM template (state machines' DefinitionUri is relative to it).
    #[arg(long, default_value = "template.yaml")]
    template: PathBuf,
    /// Address both endpoints listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port of the API (the template's Api events).
    #[arg(long, default_value_t = 3000)]
    api_port: u16,
    /// Port of the AWS endpoint (Step Functions + DynamoDB); use it as AWS_ENDPOINT_URL.
    #[arg(long, default_value_t = 4566)]
    aws_port: u16,
    /// Where state is kept between runs [default: .local-state next to the template].
    #[arg(long, conflicts_with = "in_memory")]
    state_dir: Option<PathBuf>,
    /// Keep nothing between runs.
    #[arg(long)]
    in_memory: bool,
    /// The API key every route requires [default: random, printed at start-up].
    #[arg(long, env = "LOCAL_API_KEY")]
    api_key: Option<String>,
    /// A template parameter, as `sam deploy --parameter-overrides` (repeatable): Name=Value.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    params: Vec<String>,
    /// Several parameters at once, space separated: "A=1 B=2".
    #[arg(long, value_name = "NAME=VALUE ...")]
    parameter_overrides: Option<String>,
    /// Region in ARNs and the AWS endpoint.
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    region: String,
    /// AWS::StackName [default: stack_name of samconfig.toml next to the template, else "local"].
    #[arg(long)]
    stack_name: Option<String>,
    /// Do not print a line per state transition.
    #[arg(long)]
    quiet: bool,
    /// Seconds between DynamoDB TTL sweeps, which delete expired items (DynamoDB itself
    /// takes up to a few days).
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    ttl_sweep_seconds: u64,
    /// fsync every acknowledged change before its reply, so it survives a power cut or an OS
    /// crash (without it, a killed process still loses nothing acknowledged). One request
    /// asks for the same with the header `x-local-fsync: 1`.
    #[arg(long)]
    fsync: bool,
    /// Days an ended execution is kept (listed, described, its history read) before it is
    /// removed, as AWS keeps them 90 days; 0 keeps them for ever.
    #[arg(long, default_value_t = 90)]
    retention_days: u32,
    /// Step Functions Local's mock configuration file: StartExecution of
    /// `<stateMachineArn>#<test case>` answers the test case's Task states from it. Read
    /// again when it changes; a bad file is refused at start, and on a reload the last good
    /// one is kept.
    #[arg(long, env = "SFN_MOCK_CONFIG", value_name = "PATH")]
    mock_config: Option<PathBuf>,
    /// The runtime's clock: `real` follows the wall clock; `frozen` stands still at the start
    /// time, or `frozen=<RFC 3339>` at that time, until advanced. Either way
    /// `POST /_local/clock/advance` on the AWS endpoint moves it ahead.
    #[arg(long, env = "LOCAL_CLOCK", value_name = "real|frozen|frozen=TIME", default_value = "real", value_parser = parse_clock)]
    clock: ClockChoice,
    /// Milliseconds a client has to send its request headers (and an idle connection is
    /// kept); for tests of slow clients.
    #[arg(long, hide = true, default_value_t = 30_000, value_parser = clap::value_parser!(u64).range(1..))]
    header_timeout_ms: u64,
    /// Milliseconds a client has to send its request body.
    #[arg(long, hide = true, default_value_t = 60_000, value_parser = clap::value_parser!(u64).range(1..))]
    body_timeout_ms: u64,
}

/// How `--clock` starts the runtime's clock.
#[derive(Debug, Clone, Copy)]
enum ClockChoice {
    Real,
    Frozen(Option<chrono::DateTime<chrono::Utc>>),
}

fn parse_clock(s: &str) -> Result<ClockChoice, String> {
    match s.split_once('=') {
        None if s == "real" => Ok(ClockChoice::Real),
        None if s == "frozen" => Ok(ClockChoice::Frozen(None)),
        Some(("frozen", t)) => chrono::DateTime::parse_from_rfc3339(t)
            .map(|t| ClockChoice::Frozen(Some(t.with_timezone(&chrono::Utc))))
            .map_err(|e| format!("'{t}' is not an RFC 3339 time ({e}), e.g. 2027-01-01T09:00:00Z")),
        _ => Err(format!(
            "'{s}' is not a clock: real, frozen or frozen=<RFC 3339 time>"
        )),
    }
}

fn parse_param(s: &str) -> Result<(String, String), String> {
    let s = s.strip_prefix("ParameterKey=").unwrap_or(s);
    let (k, v) = s
        .split_once(',')
        .and_then(|(k, rest)| Some((k, rest.strip_prefix("ParameterValue=")?)))
        .or_else(|| s.split_once('='))
        .ok_or_else(|| format!("parameter '{s}' is not NAME=VALUE"))?;
    if k.is_empty() {
        return Err(format!("parameter '{s}' has no name"));
    }
    Ok((k.to_string(), v.to_string()))
}

/// `stack_name = "..."` from samconfig.toml, so local names match the deployed ones.
fn samconfig_stack_name(template: &Path) -> Option<String> {
    let dir = template.parent().unwrap_or(Path::new("."));
    let text = std::fs::read_to_string(dir.join("samconfig.toml")).ok()?;
    text.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        (k.trim() == "stack_name").then(|| v.trim().trim_matches('"').to_string())
    })
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(
            "info,aws_config=warn,aws_smithy_runtime=warn,hyper=warn",
        )
    });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

fn banner(rt: &RunningRuntime) {
    let stage = rt
        .app
        .apis
        .first()
        .map(|a| a.stage.clone())
        .unwrap_or_default();
    let api = format!("{}/{stage}", rt.api_url());
    let key = &rt.api_key;
    println!("API          {api}   (also without /{stage})");
    println!(
        "AWS endpoint {}   (Step Functions + DynamoDB)",
        rt.aws_url()
    );
    println!(
        "console      {}/console/   (open in a browser)",
        rt.aws_url()
    );
    println!("API key      {key}");
    let frozen = if rt.clock.is_frozen() {
        "frozen"
    } else {
        "running"
    };
    println!(
        "clock        {} ({frozen}; move it: POST {}/_local/clock/advance {{\"seconds\": N}})",
        rt.clock
            .now()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        rt.aws_url()
    );
    for m in &rt.app.state_machines {
        println!("machine      {}", m.arn);
    }
    for t in &rt.app.tables {
        println!("table        {}", t.name);
    }
    for r in &rt.routes {
        println!(
            "route        {:<6} {}{}",
            r.method,
            r.resource,
            if r.api_key_required {
                "  (x-api-key)"
            } else {
                ""
            }
        );
    }
    println!();
    println!("try:");
    println!(
        "  curl -s -X POST {api}/jobs -H 'x-api-key: {key}' -d '{{\"StartTimestamp\":\"{}\"}}'",
        (rt.clock.now() + chrono::Duration::seconds(30)).format("%Y-%m-%dT%H:%M:%SZ")
    );
    println!("  curl -s {api}/status -H 'x-api-key: {key}'");
    if let Some(m) = rt.app.state_machines.first() {
        println!(
            "  AWS_ENDPOINT_URL={} aws stepfunctions list-executions --state-machine-arn {}",
            rt.aws_url(),
            m.arn
        );
    }
    if let Some(t) = rt.app.tables.first() {
        println!(
            "  AWS_ENDPOINT_URL={} aws dynamodb scan --table-name {}",
            rt.aws_url(),
            t.name
        );
    }
    println!();
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let mut parameters = Vec::new();
    let overrides = cli
        .parameter_overrides
        .as_deref()
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_string);
    for p in overrides.chain(cli.params.iter().cloned()) {
        match parse_param(&p) {
            Ok(kv) => parameters.push(kv),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let template_dir = cli
        .template
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let state_dir = if cli.in_memory {
        None
    } else {
        Some(
            cli.state_dir
                .clone()
                .unwrap_or_else(|| template_dir.join(".local-state")),
        )
    };
    let mut opts = Options::new(cli.template.clone());
    opts.host = cli.host.clone();
    opts.api_port = cli.api_port;
    opts.aws_port = cli.aws_port;
    opts.state_dir = state_dir.clone();
    opts.api_key = cli.api_key.clone().filter(|k| !k.is_empty());
    opts.parameters = parameters;
    opts.region = cli.region.clone();
    opts.stack_name = cli
        .stack_name
        .clone()
        .or_else(|| samconfig_stack_name(&cli.template))
        .unwrap_or_else(|| "local".into());
    opts.print_transitions = !cli.quiet;
    opts.clock = match cli.clock {
        ClockChoice::Real => asl::ManualClock::running(),
        ClockChoice::Frozen(at) => {
            // Whole milliseconds, as every timestamp the runtime writes.
            let now = chrono::Utc::now();
            let at = at.unwrap_or(now);
            let at = chrono::DateTime::from_timestamp_millis(at.timestamp_millis()).unwrap_or(at);
            asl::ManualClock::new(at)
        }
    };
    opts.ttl_sweep = std::time::Duration::from_secs(cli.ttl_sweep_seconds);
    local_state::set_fsync_always(cli.fsync);
    opts.mock_config = cli.mock_config.clone();
    opts.retention =
        (cli.retention_days > 0).then(|| chrono::Duration::days(cli.retention_days.into()));
    opts.client_timeouts = local::server::ClientTimeouts {
        headers: std::time::Duration::from_millis(cli.header_timeout_ms),
        body: std::time::Duration::from_millis(cli.body_timeout_ms),
    };

    let rt = match LocalRuntime::start(opts).await {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    banner(&rt);
    match &state_dir {
        Some(d) => println!("state kept in {} (--in-memory to opt out)", d.display()),
        None => println!("state kept in memory only"),
    }
    wait_for_signal().await;
    println!("shutting down...");
    rt.shutdown().await;
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_in_both_spellings() {
        assert_eq!(parse_param("A=b=c"), Ok(("A".into(), "b=c".into())));
        assert_eq!(
            parse_param("ParameterKey=A,ParameterValue=x"),
            Ok(("A".into(), "x".into()))
        );
        assert!(parse_param("novalue").is_err());
        assert!(parse_param("=x").is_err());
    }
}
