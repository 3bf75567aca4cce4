//! Wires the parts together: template -> tables, functions, state machines, API routes, and
//! the two listeners. Used by `main.rs` and, in-process, by the end-to-end tests.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use asl::{Clock, ManualClock};
use local_dynamodb::Dynamo;
use sfn_local::{MachineSpec, MachineType, SfnConfig, SfnService};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::apigw::{ApiGateway, Route};
use crate::lambda::LambdaRegistry;
use crate::resources::LocalResources;
use crate::template::{self, Application, LoadOptions};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Template(#[from] template::TemplateError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("state folder {path}: {message}")]
    State { path: PathBuf, message: String },
    #[error("table {table}: {message}")]
    Table { table: String, message: String },
    #[error("state machine {machine}: {message}")]
    StateMachine { machine: String, message: String },
    #[error("function {function}: {message}")]
    Function { function: String, message: String },
    #[error(transparent)]
    MockConfig(#[from] sfn_local::MockConfigError),
}

pub struct Options {
    pub template: PathBuf,
    pub host: String,
    pub api_port: u16,
    pub aws_port: u16,
    /// None keeps everything in memory (`--in-memory`).
    pub state_dir: Option<PathBuf>,
    /// None: a random key, printed at start-up.
    pub api_key: Option<String>,
    pub parameters: Vec<(String, String)>,
    pub region: String,
    pub stack_name: String,
    /// The one clock of the runtime: the engine, every handler, the local DynamoDB and the
    /// events read it. By default it runs with the wall clock; it can be frozen, and moved
    /// ahead (`/_local/clock`).
    pub clock: ManualClock,
    /// Print one line per transition on stdout.
    pub print_transitions: bool,
    /// Replace linked handlers by bin name (tests inject failures this way).
    pub handler_overrides: HashMap<String, Arc<dyn app_core::JsonHandler>>,
    /// How often DynamoDB's TTL deletes expired items (`--ttl-sweep-seconds`).
    pub ttl_sweep: std::time::Duration,
    /// How long ended executions are kept (`None`: for ever). Default 90 days, as AWS.
    pub retention: Option<chrono::Duration>,
    /// How long a client may take to send a request's headers, and its body.
    pub client_timeouts: crate::server::ClientTimeouts,
    /// Step Functions Local's mock configuration file (`--mock-config`, `SFN_MOCK_CONFIG`):
    /// executions started as `<stateMachineArn>#<test case>` use its mocked responses.
    pub mock_config: Option<PathBuf>,
}

impl Options {
    pub fn new(template: impl Into<PathBuf>) -> Options {
        Options {
            template: template.into(),
            host: "127.0.0.1".into(),
            api_port: 3000,
            aws_port: 4566,
            state_dir: None,
            api_key: None,
            parameters: Vec::new(),
            region: "us-east-1".into(),
            stack_name: "local".into(),
            clock: ManualClock::running(),
            print_transitions: true,
            handler_overrides: HashMap::new(),
            ttl_sweep: std::time::Duration::from_secs(60),
            retention: Some(chrono::Duration::days(90)),
            client_timeouts: crate::server::ClientTimeouts::default(),
            mock_config: None,
        }
    }
}

pub struct LocalRuntime;

/// A started runtime. Dropping it without [`RunningRuntime::shutdown`] stops serving but
/// does not flush: like a killed process, which persistence must survive anyway.
pub struct RunningRuntime {
    pub api_addr: SocketAddr,
    pub aws_addr: SocketAddr,
    pub api_key: String,
    pub clock: ManualClock,
    pub app: Application,
    pub sfn: Arc<SfnService>,
    pub dynamo: Arc<Dynamo>,
    pub lambdas: Arc<LambdaRegistry>,
    pub routes: Vec<Route>,
    /// Status-change events forwarded to the template's EventBridge rules.
    pub status_events: Arc<crate::status_forwarder::DeliveryStats>,
    stop: watch::Sender<bool>,
    servers: Vec<JoinHandle<()>>,
    background: Vec<JoinHandle<()>>,
}

fn random_key() -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..40)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect()
}

async fn bind(host: &str, port: u16) -> Result<TcpListener, StartError> {
    let addr = format!("{host}:{port}");
    TcpListener::bind(&addr)
        .await
        .map_err(|source| StartError::Bind { addr, source })
}

/// The configuration every handler's AWS SDK clients get: this runtime's endpoint.
async fn sdk_config(aws_addr: SocketAddr, region: &str) -> aws_config::SdkConfig {
    let creds = aws_credential_types::Credentials::new("test", "test", None, None, "local");
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(format!("http://{aws_addr}"))
        .region(aws_config::Region::new(region.to_string()))
        .credentials_provider(creds)
        .http_client(app_core::sdk::http_client(
            app_core::sdk::Roots::AmazonTrustServices,
        ))
        .load()
        .await
}

impl LocalRuntime {
    pub async fn start(opts: Options) -> Result<RunningRuntime, StartError> {
        let app = template::load(
            &opts.template,
            &LoadOptions {
                region: opts.region.clone(),
                stack_name: opts.stack_name.clone(),
                parameters: opts.parameters.clone(),
            },
        )?;
        let clock: Arc<dyn Clock> = Arc::new(opts.clock.clone());
        let api_listener = bind(&opts.host, opts.api_port).await?;
        let aws_listener = bind(&opts.host, opts.aws_port).await?;
        let local = |l: &TcpListener, host: &str, port: u16| {
            l.local_addr().map_err(|source| StartError::Bind {
                addr: format!("{host}:{port}"),
                source,
            })
        };
        let api_addr = local(&api_listener, &opts.host, opts.api_port)?;
        let aws_addr = local(&aws_listener, &opts.host, opts.aws_port)?;

        let state = |sub: &str| opts.state_dir.as_ref().map(|d| d.join(sub));
        if let Some(dir) = &opts.state_dir {
            local_state::private_dir(dir).map_err(|e| StartError::State {
                path: dir.clone(),
                message: e.to_string(),
            })?;
        }
        let dynamo = Arc::new(
            Dynamo::open_with(state("dynamodb"), &app.region, template::ACCOUNT_ID)
                .map_err(|e| StartError::State {
                    path: state("dynamodb").unwrap_or_default(),
                    message: e.to_string(),
                })?
                .with_clock(clock.clone()),
        );
        for t in &app.tables {
            dynamo
                .apply_table_template(&t.properties)
                .map_err(|e| StartError::Table {
                    table: t.name.clone(),
                    message: e.to_string(),
                })?;
        }

        let lambdas = Arc::new(build_functions(&app, &opts, aws_addr).await?);
        let resources = Arc::new(LocalResources::new(lambdas.clone(), dynamo.clone()));
        let mut cfg = SfnConfig::new(clock.clone(), resources);
        cfg.region = app.region.clone();
        cfg.account_id = template::ACCOUNT_ID.into();
        cfg.state_dir = state("stepfunctions");
        cfg.retention = opts.retention;
        cfg.mock_config = match &opts.mock_config {
            Some(path) => Some(Arc::new(sfn_local::MockSource::load(path)?)),
            None => None,
        };
        // Subscribing before the service resumes would need the service; resumed executions
        // run from where they were, so their first lines may precede the printer.
        let sfn = Arc::new(SfnService::new(cfg).map_err(|e| StartError::State {
            path: state("stepfunctions").unwrap_or_default(),
            message: e.to_string(),
        })?);
        for m in &app.state_machines {
            let kind = if m.kind.eq_ignore_ascii_case("EXPRESS") {
                MachineType::Express
            } else {
                MachineType::Standard
            };
            sfn.upsert_state_machine(MachineSpec {
                name: m.name.clone(),
                definition: m.definition.clone(),
                role_arn: Some(format!(
                    "arn:aws:iam::{}:role/{}Role",
                    template::ACCOUNT_ID,
                    m.logical_id
                )),
                kind,
                logging: None,
                tracing: None,
            })
            .map_err(|e| StartError::StateMachine {
                machine: m.logical_id.clone(),
                message: e.to_string(),
            })?;
        }

        for a in &app.activities {
            sfn.create_activity(&a.name)
                .map_err(|e| StartError::StateMachine {
                    machine: a.logical_id.clone(),
                    message: e.to_string(),
                })?;
        }

        let api_key = opts.api_key.clone().unwrap_or_else(random_key);
        let routes = ApiGateway::routes_from(&app);
        let mut gateway = ApiGateway::new(routes.clone(), lambdas.clone(), api_key.clone());
        for a in &app.apis {
            gateway = gateway.with_gateway_responses(&a.id, &a.stage, a.gateway_responses.clone());
        }
        let gateway = Arc::new(gateway);
        let console = Arc::new(crate::console::Console::new(
            sfn.clone(),
            dynamo.clone(),
            app.tables.iter().map(|t| t.name.clone()).collect(),
            aws_addr,
            opts.clock.clone(),
        ));
        let stack = Arc::new(crate::stack::Stack::new(
            &app,
            &format!("http://{api_addr}"),
            api_key.clone(),
            opts.clock.now(),
        ));
        let aws_router = crate::aws_endpoint::router(
            sfn.clone().router(),
            dynamo.clone().router(),
            stack.router(),
            crate::console::router(console),
            clock.clone(),
        );

        let (stop, stop_rx) = watch::channel(false);
        let servers = vec![
            crate::server::spawn(
                api_listener,
                gateway.router(),
                crate::server::Dialect::Api,
                opts.client_timeouts,
                stop_rx.clone(),
            ),
            crate::server::spawn(
                aws_listener,
                aws_router,
                crate::server::Dialect::Aws,
                opts.client_timeouts,
                stop_rx,
            ),
        ];
        let mut background = vec![
            tokio::spawn(log_status(sfn.subscribe_status())),
            dynamo.clone().spawn_ttl_sweeper(opts.ttl_sweep),
        ];
        let status_events = Arc::new(crate::status_forwarder::DeliveryStats::default());
        background.extend(crate::status_forwarder::spawn(
            sfn.subscribe_status(),
            app.event_rules.clone(),
            lambdas.clone(),
            crate::status_forwarder::Origin {
                region: app.region.clone(),
                account: template::ACCOUNT_ID.into(),
            },
            status_events.clone(),
        ));
        if opts.print_transitions {
            background.push(tokio::spawn(crate::transitions::print(
                sfn.subscribe_transitions(),
            )));
        }

        Ok(RunningRuntime {
            api_addr,
            aws_addr,
            api_key,
            clock: opts.clock,
            app,
            sfn,
            dynamo,
            lambdas,
            routes,
            status_events,
            stop,
            servers,
            background,
        })
    }
}

async fn build_functions(
    app: &Application,
    opts: &Options,
    aws_addr: SocketAddr,
) -> Result<LambdaRegistry, StartError> {
    let sdk = sdk_config(aws_addr, &app.region).await;
    let clock: Arc<dyn Clock> = Arc::new(opts.clock.clone());
    let mut reg = LambdaRegistry::with_clock(clock.clone());
    for f in &app.functions {
        let mut env: HashMap<String, String> = f
            .environment
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (k, v) in [
            ("AWS_REGION", app.region.clone()),
            ("AWS_DEFAULT_REGION", app.region.clone()),
            ("AWS_LAMBDA_FUNCTION_NAME", f.name.clone()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", f.memory_mb.to_string()),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
            (
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{}", f.name),
            ),
            ("AWS_ENDPOINT_URL", format!("http://{aws_addr}")),
        ] {
            env.entry(k.to_string()).or_insert(v);
        }
        let lookup = move |k: &str| env.get(k).cloned();
        let binary = f.binary.clone().unwrap_or_else(|| f.logical_id.clone());
        let handler = match opts.handler_overrides.get(&binary) {
            Some(h) => h.clone(),
            None => match crate::handlers::build(&binary, &sdk, &lookup, clock.clone()).await {
                Some(Ok(h)) => h,
                Some(Err(e)) => {
                    return Err(StartError::Function {
                        function: f.logical_id.clone(),
                        message: e.to_string(),
                    })
                }
                None => {
                    return Err(StartError::Function {
                        function: f.logical_id.clone(),
                        message: format!(
                            "no linked handler for bin '{binary}' (linked: {})",
                            crate::handlers::LINKED.join(", ")
                        ),
                    })
                }
            },
        };
        reg.insert(f.clone(), handler);
    }
    Ok(reg)
}

async fn log_status(mut rx: tokio::sync::broadcast::Receiver<sfn_local::ExecutionStatusChange>) {
    loop {
        match rx.recv().await {
            Ok(c) => tracing::info!(
                execution = %c.execution_arn,
                status = %c.status,
                error = c.error.as_deref().unwrap_or(""),
                "execution status change"
            ),
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
            Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
        }
    }
}

impl RunningRuntime {
    pub fn api_url(&self) -> String {
        format!("http://{}", self.api_addr)
    }

    pub fn aws_url(&self) -> String {
        format!("http://{}", self.aws_addr)
    }

    /// The ARN of a state machine by logical id or name.
    pub fn state_machine_arn(&self, key: &str) -> Option<String> {
        self.app
            .state_machines
            .iter()
            .find(|m| m.logical_id == key || m.name == key)
            .map(|m| m.arn.clone())
    }

    /// Stops accepting requests (in-flight ones finish), then stops executions' tasks and
    /// flushes persistence.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        for t in self.servers.drain(..) {
            let abort = t.abort_handle();
            if tokio::time::timeout(std::time::Duration::from_secs(5), t)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
        self.sfn.shutdown();
        for t in self.background.drain(..) {
            t.abort();
        }
    }
}

impl Drop for RunningRuntime {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        for t in self.servers.iter().chain(self.background.iter()) {
            t.abort();
        }
    }
}
