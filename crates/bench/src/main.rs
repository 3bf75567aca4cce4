//! `scripts/bench.sh` runs this: what the application costs and how it scales, measured, as
//! one table (figure | value | target | ok?) on stdout and in `docs/benchmarks.md`.
//! It asserts nothing; a missed target is a row marked NO.

mod coldstart;
mod cost;
mod fakes;
mod local_rt;
mod machine;
mod runtime_api;
mod sfn_memory;
mod stats;
mod status_scale;
mod table;
mod warm;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Parser;
use serde_json::Value;

use stats::{ms, Spread};
use table::{Column, Row};

#[derive(Debug, Parser)]
#[command(
    name = "bench",
    about = "Measures cold starts, sizes, memory, the local runtime and the cost per workflow"
)]
struct Cli {
    /// The repository root (template.yaml, statemachine/, events/, docs/).
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// Where the release binaries are [default: $CARGO_TARGET_DIR or <root>/target].
    #[arg(long)]
    target_dir: Option<PathBuf>,
    /// `cargo lambda build --arm64 --lambda-dir` output (<bin>/bootstrap, <bin>/bootstrap.zip).
    #[arg(long)]
    lambda_arm64: Option<PathBuf>,
    /// `cargo lambda build --x86-64 --lambda-dir` output.
    #[arg(long)]
    lambda_x86_64: Option<PathBuf>,
    /// Process starts per handler.
    #[arg(long, default_value_t = 30)]
    starts: usize,
    /// Invocations served by one process for peak RSS and warm durations.
    #[arg(long, default_value_t = 1000)]
    invocations: usize,
    /// Executions per pattern for throughput.
    #[arg(long, default_value_t = 400)]
    executions: usize,
    /// Executions started for each per-execution memory figure of the endpoint.
    #[arg(long, default_value_t = 20_000)]
    per_execution: usize,
    /// Executions left waiting for the memory figure.
    #[arg(long, default_value_t = 100_000)]
    waiting: usize,
    /// Jobs in the table for the large status listing.
    #[arg(long, default_value_t = 100_000)]
    jobs: usize,
    /// Do not rewrite docs/benchmarks.md.
    #[arg(long)]
    no_doc: bool,
    /// Only the cost per workflow: run one workflow of each pattern on the local runtime and
    /// rewrite that section of docs/benchmarks.md and README.md (Lambda durations are not
    /// measured then: each invocation is billed its 1 ms minimum).
    #[arg(long)]
    cost_only: bool,
    /// Concurrent clients of the `throughput` phase.
    #[arg(long, default_value_t = 3)]
    clients: usize,
    /// Internal: run one phase in this (fresh) process and print its JSON result
    /// (`waiting`; `throughput`: executions/s of each pattern, end to end, with
    /// `--clients` clients, for comparing builds of this binary side by side).
    #[arg(long, hide = true)]
    phase: Option<String>,
}

fn fmt_spread(s: &Spread, unit: &str) -> String {
    format!(
        "{:.2} {unit} median, {:.2} {unit} p95 (n={})",
        s.median, s.p95, s.n
    )
}

fn short_spread(s: &Spread, unit: &str) -> String {
    format!("{:.2} / {:.2} {unit}", s.median, s.p95)
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1024.0 / 1024.0
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start tokio: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let root = std::fs::canonicalize(&cli.root).unwrap_or_else(|_| cli.root.clone());
    if let Some(phase) = &cli.phase {
        let out = rt.block_on(async {
            match phase.as_str() {
                "waiting" => local_rt::waiting_phase(&root, cli.waiting)
                    .await
                    .map_err(|e| e.to_string()),
                "throughput" => local_rt::throughput_phase(&root, cli.executions, cli.clients)
                    .await
                    .map_err(|e| e.to_string()),
                other => Err(format!("unknown phase {other}")),
            }
        });
        return match out {
            Ok(v) => {
                println!("{v}");
                std::process::ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    if cli.cost_only {
        let cost = rt.block_on(cost_section(&root, &BTreeMap::new()));
        println!("{cost}");
        if !cli.no_doc {
            for (file, heading) in [
                (
                    root.join("docs").join("benchmarks.md"),
                    "## Cost on AWS, on paper\n\n",
                ),
                (root.join("README.md"), "**Cost on AWS, on paper**\n\n"),
            ] {
                match table::replace_section(&file, heading, &cost) {
                    Ok(()) => println!("wrote {}", file.display()),
                    Err(e) => eprintln!("cannot write {}: {e}", file.display()),
                }
            }
        }
        return std::process::ExitCode::SUCCESS;
    }
    let rows = rt.block_on(run(&cli, &root));
    let machine = machine::describe();
    let when = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC");
    println!("\nMachine: {machine}\n");
    println!("{}", table::render_text(&rows.table));
    if !cli.no_doc {
        let generated = format!(
            "## Latest run\n\n{when}, on {machine}.\n\n{}\n## Cost on AWS, on paper\n\n{}",
            table::render_markdown(&rows.table),
            rows.cost_markdown
        );
        // The README gets the same run, one line per handler, with a pointer to the details.
        let summary = format!(
            "Latest run: {when}, on {machine}. Every row and how it is measured: \
             [docs/benchmarks.md](docs/benchmarks.md).\n\n{}\n**Cost on AWS, on paper**\n\n{}",
            table::render_summary(&rows.table),
            rows.cost_markdown
        );
        for (file, text) in [
            (root.join("docs").join("benchmarks.md"), &generated),
            (root.join("README.md"), &summary),
        ] {
            if let Err(e) = table::write_doc(&file, text) {
                eprintln!("cannot write {}: {e}", file.display());
            } else {
                println!("wrote {}", file.display());
            }
        }
    }
    std::process::ExitCode::SUCCESS
}

struct Report {
    table: Vec<Row>,
    cost_markdown: String,
}

async fn run(cli: &Cli, root: &Path) -> Report {
    let target_dir = cli
        .target_dir
        .clone()
        .or_else(|| std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from))
        .unwrap_or_else(|| root.join("target"));
    let release = target_dir.join("release");
    let mut rows = Vec::new();

    eprintln!("== local runtime start-up");
    let local_bin = release.join("local");
    let mut starts = Vec::new();
    let mut last_err = None;
    for _ in 0..10 {
        match local_rt::start_to_listening(root, &local_bin).await {
            Ok(t) => starts.push(t),
            Err(e) => {
                last_err = Some(e.to_string());
                break;
            }
        }
    }
    match (Spread::of(&starts), last_err) {
        (Some(s), _) => rows.push(Row::new(
            "local runtime: spawn -> API listening",
            fmt_spread(&s, "ms"),
        )),
        (None, e) => rows.push(Row::missing(
            "local runtime: spawn -> API listening",
            e.unwrap_or_default(),
        )),
    }

    eprintln!("== starting the local runtime in-process");
    let local = match local_rt::start(root).await {
        Ok(l) => l,
        Err(e) => {
            rows.push(Row::missing("everything that needs the local runtime", e));
            return Report {
                table: rows,
                cost_markdown: String::new(),
            };
        }
    };

    let targets = targets(root, &local);
    eprintln!("== sizes");
    sizes(cli, &release, &targets, &mut rows);

    eprintln!("== cold starts and peak RSS");
    let warm_ms = cold_starts(cli, &release, &targets, &local, &mut rows).await;

    eprintln!("== warm invocations against fakes, then in-process against the local runtime");
    fakes::rows(&targets, &mut rows).await;
    warm::rows(&local, &targets, &mut rows).await;

    eprintln!("== throughput");
    for p in local_rt::Pattern::ALL {
        let figure = format!(
            "local: {} executions/s end to end (HTTP start -> completion, {} clients)",
            p.label(),
            16
        );
        match local_rt::throughput(&local, p, cli.executions, 16).await {
            Ok(t) => rows.push(Row::new(
                figure,
                format!(
                    "{:.0}/s ({} of {} completed in {:.2} s{})",
                    t.per_second,
                    t.completed,
                    cli.executions,
                    t.elapsed.as_secs_f64(),
                    if t.failed_starts > 0 {
                        format!(", {} starts failed", t.failed_starts)
                    } else {
                        String::new()
                    }
                ),
            )),
            Err(e) => rows.push(Row::missing(figure, e)),
        }
    }

    eprintln!("== wait lateness");
    match local_rt::wait_lateness(&local, 300).await {
        Ok(l) if !l.is_empty() => {
            let p50 = stats::median(&l).unwrap_or(f64::NAN);
            let p99 = stats::percentile(&l, 99.0).unwrap_or(f64::NAN);
            rows.push(Row::new(
                "local: Wait target -> WaitStateExited",
                format!("{p50:.1} ms p50, {p99:.1} ms p99 (n={})", l.len()),
            ));
        }
        Ok(_) => rows.push(Row::missing(
            "local: Wait target -> WaitStateExited",
            "no Wait fired",
        )),
        Err(e) => rows.push(Row::missing("local: Wait target -> WaitStateExited", e)),
    }
    local.shutdown().await;

    eprintln!("== status listing at scale");
    status_rows(cli, root, &mut rows).await;

    eprintln!("== memory with executions waiting");
    waiting_row(cli, root, &mut rows).await;

    eprintln!("== Step Functions endpoint: memory per execution");
    sfn_memory::rows(&release, cli.per_execution, &mut rows).await;

    eprintln!("== cost on paper");
    let cost_markdown = cost_section(root, &warm_ms).await;
    Report {
        table: rows,
        cost_markdown,
    }
}

fn targets(root: &Path, local: &local::RunningRuntime) -> Vec<coldstart::Target> {
    let events = root.join("events");
    local
        .app
        .functions
        .iter()
        .filter_map(|f| {
            let binary = f.binary.clone()?;
            let (event_name, event) = coldstart::pick_event(&events, &binary)
                .unwrap_or_else(|| ("{}".into(), b"{}".to_vec()));
            Some(coldstart::Target {
                binary,
                function_name: f.name.clone(),
                function_arn: f.arn.clone(),
                memory_mb: f.memory_mb,
                env: f
                    .environment
                    .clone()
                    .into_iter()
                    .collect::<BTreeMap<_, _>>(),
                event,
                event_name,
            })
        })
        .collect()
}

fn sizes(cli: &Cli, release: &Path, targets: &[coldstart::Target], rows: &mut Vec<Row>) {
    const LIMIT_MB: f64 = 6.0;
    for t in targets {
        if let Ok(m) = std::fs::metadata(release.join(&t.binary)) {
            // The binary measured for cold starts; the deployed sizes are the bootstrap rows.
            rows.push(Row::new(
                format!(
                    "{} host release binary ({}, cargo build; the one started below)",
                    t.binary,
                    std::env::consts::ARCH
                ),
                format!("{:.2} MB", mb(m.len())),
            ));
        }
    }
    for (arch, dir) in [("arm64", &cli.lambda_arm64), ("x86_64", &cli.lambda_x86_64)] {
        let Some(dir) = dir else {
            rows.push(Row::missing(
                format!("bootstrap size ({arch}, cargo lambda)"),
                "not built (BENCH_SKIP_CROSS or no cargo-lambda)",
            ));
            continue;
        };
        for t in targets {
            let figure = format!("{} bootstrap ({arch}), zip", t.binary);
            let bin = std::fs::metadata(dir.join(&t.binary).join("bootstrap")).map(|m| m.len());
            let zip = std::fs::metadata(dir.join(&t.binary).join("bootstrap.zip")).map(|m| m.len());
            match bin {
                Ok(b) => {
                    let z = zip
                        .map(|z| format!("{:.2} MB", mb(z)))
                        .unwrap_or_else(|_| "no zip".into());
                    let column = if arch == "arm64" {
                        Column::Arm64
                    } else {
                        Column::X86_64
                    };
                    rows.push(
                        Row::new(figure, format!("{:.2} MB, zip {z}", mb(b)))
                            .target("< 6 MB binary", mb(b) < LIMIT_MB)
                            .cell(&t.binary, column, format!("{:.2} MB / {z}", mb(b))),
                    );
                }
                Err(e) => rows.push(Row::missing(figure, e)),
            }
        }
    }
}

/// Returns the median warm duration (ms) of each binary, measured through the Runtime API.
async fn cold_starts(
    cli: &Cli,
    release: &Path,
    targets: &[coldstart::Target],
    local: &local::RunningRuntime,
    rows: &mut Vec<Row>,
) -> BTreeMap<String, f64> {
    let mut warm = BTreeMap::new();
    let api = match runtime_api::RuntimeApi::start().await {
        Ok(a) => a,
        Err(e) => {
            rows.push(Row::missing("cold starts", e));
            return warm;
        }
    };
    let aws = local.aws_url();
    // First the reference: a bare `lambda_runtime` echo function, no clients.
    let baseline = coldstart::Target {
        binary: "bench-baseline".into(),
        function_name: "bench-baseline".into(),
        function_arn: "arn:aws:lambda:us-east-1:123456789012:function:bench-baseline".into(),
        memory_mb: 128,
        env: BTreeMap::new(),
        event: b"{}".to_vec(),
        event_name: "{}".into(),
    };
    let mut inits = Vec::new();
    for _ in 0..cli.starts {
        let bin = release.join(&baseline.binary);
        let once = coldstart::run_once(
            &bin,
            &baseline,
            &api,
            &aws,
            1,
            Duration::from_secs(10),
            |_| {},
        )
        .await;
        match once {
            Ok(o) => inits.extend(o.first_next.map(ms)),
            Err(_) => break,
        }
    }
    let figure = "reference: bare lambda_runtime echo binary, spawn -> first `next`";
    match Spread::of(&inits) {
        Some(s) => rows.push(Row::new(figure, fmt_spread(&s, "ms"))),
        None => rows.push(Row::missing(figure, "bench-baseline did not start")),
    }
    for t in targets {
        let bin = release.join(&t.binary);
        let mut init = Vec::new();
        let mut first = Vec::new();
        let mut errors = 0;
        let mut failure = None;
        for _ in 0..cli.starts {
            match coldstart::run_once(&bin, t, &api, &aws, 1, Duration::from_secs(10), |_| {}).await
            {
                Ok(o) => {
                    init.extend(o.first_next.map(ms));
                    first.extend(o.first_answer.map(ms));
                    errors += o.errors;
                }
                Err(e) => {
                    failure = Some(e.to_string());
                    break;
                }
            }
        }
        let figure = format!("{} cold start: spawn -> first `next` (init)", t.binary);
        match (Spread::of(&init), failure) {
            (Some(s), _) => rows.push(
                Row::new(figure, fmt_spread(&s, "ms"))
                    .target("median < 3 ms", s.median < 3.0)
                    .cell(&t.binary, Column::Init, short_spread(&s, "ms")),
            ),
            (None, e) => {
                rows.push(Row::missing(figure, e.unwrap_or_default()));
                continue;
            }
        }
        if let Some(s) = Spread::of(&first) {
            let note = if errors > 0 {
                format!(", {errors} answered with an error")
            } else {
                String::new()
            };
            rows.push(
                Row::new(
                    format!(
                        "{} cold start: spawn -> first response ({})",
                        t.binary, t.event_name
                    ),
                    format!("{}{note}", fmt_spread(&s, "ms")),
                )
                .cell(&t.binary, Column::FirstResponse, short_spread(&s, "ms")),
            );
        }
        let mut peak = None;
        let run = coldstart::run_once(
            &bin,
            t,
            &api,
            &aws,
            cli.invocations,
            Duration::from_secs(120),
            |pid| {
                peak = machine::memory_mb(&pid.to_string()).0;
            },
        )
        .await;
        let figure = format!(
            "{} peak RSS serving {} invocations",
            t.binary, cli.invocations
        );
        match (run, peak) {
            (Ok(o), Some(p)) => {
                let d: Vec<f64> = o.durations.iter().map(|d| ms(*d)).collect();
                let served = o.responses + o.errors;
                if let Some(s) = Spread::of(&d) {
                    warm.insert(t.binary.clone(), s.median);
                    rows.push(
                        Row::new(
                            format!(
                                "{} warm invoke via Runtime API (event -> answer, AWS calls to local)",
                                t.binary
                            ),
                            format!(
                                "{:.0} µs median, {:.0} µs p95",
                                s.median * 1000.0,
                                s.p95 * 1000.0
                            ),
                        )
                        .cell(
                            &t.binary,
                            Column::WarmLocal,
                            format!("{:.0} µs", s.median * 1000.0),
                        ),
                    );
                }
                rows.push(
                    Row::new(figure, format!("{p:.1} MB VmHWM ({served} served)"))
                        .target("< 20 MB", p < 20.0)
                        .cell(&t.binary, Column::PeakRss, format!("{p:.1} MB")),
                );
            }
            (Ok(_), None) => rows.push(Row::missing(figure, "cannot read /proc/<pid>/status")),
            (Err(e), _) => rows.push(Row::missing(figure, e)),
        }
    }
    warm
}

async fn status_rows(cli: &Cli, root: &Path, rows: &mut Vec<Row>) {
    let local = match local_rt::start(root).await {
        Ok(l) => l,
        Err(e) => {
            rows.push(Row::missing("GET /status", e));
            return;
        }
    };
    let small = 1_000.min(cli.jobs);
    let mut figures = Vec::new();
    for (from, to) in [(0, small), (small, cli.jobs)] {
        if let Err(e) = status_scale::load(&local, from, to).await {
            rows.push(Row::missing(format!("GET /status with {to} jobs"), e));
            return;
        }
        for path in ["/status", "/status?status=COMPLETED"] {
            match status_scale::page_latency(&local, path, 200).await {
                Ok((s, items)) => {
                    rows.push(Row::new(
                        format!("GET {path} first page, {to} jobs in the table"),
                        format!("{} ({items} items)", fmt_spread(&s, "ms")),
                    ));
                    figures.push((path, to, s.median));
                }
                Err(e) => rows.push(Row::missing(format!("GET {path} with {to} jobs"), e)),
            }
        }
    }
    let writes = 20_000;
    match status_scale::shard_writes(&local, writes).await {
        Ok((per_sec, counts)) => {
            let total: u64 = counts.iter().sum::<u64>().max(1);
            let shares: Vec<String> = counts
                .iter()
                .map(|c| format!("{:.0}%", *c as f64 * 100.0 / total as f64))
                .collect();
            rows.push(Row::new(
                format!(
                    "local: job writes over the {} ListShard partitions of RecentIndex ({writes} UpdateItem, 64 at a time)",
                    shares.len()
                ),
                format!(
                    "{per_sec:.0} writes/s; jobs per shard {} ({})",
                    counts
                        .iter()
                        .map(u64::to_string)
                        .collect::<Vec<_>>()
                        .join(" / "),
                    shares.join(" / ")
                ),
            ));
        }
        Err(e) => rows.push(Row::missing("local: job writes over the shards", e)),
    }
    for path in ["/status", "/status?status=COMPLETED"] {
        let at = |n: usize| {
            figures
                .iter()
                .find(|(p, t, _)| *p == path && *t == n)
                .map(|f| f.2)
        };
        if let (Some(a), Some(b)) = (at(small), at(cli.jobs)) {
            let ratio = b / a.max(1e-9);
            rows.push(
                Row::new(
                    format!("GET {path}: page cost at {} / at {small} jobs", cli.jobs),
                    format!("{ratio:.2}x"),
                )
                .target("same cost (<= 1.5x)", ratio <= 1.5),
            );
        }
    }
    local.shutdown().await;
}

async fn waiting_row(cli: &Cli, root: &Path, rows: &mut Vec<Row>) {
    let figure = format!(
        "local: RSS with {} executions waiting (process total)",
        cli.waiting
    );
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            rows.push(Row::missing(figure, e));
            return;
        }
    };
    let out = tokio::process::Command::new(exe)
        .args(["--phase", "waiting", "--waiting", &cli.waiting.to_string()])
        .arg("--root")
        .arg(root)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output()
        .await;
    let parsed = out.ok().and_then(|o| {
        let text = String::from_utf8_lossy(&o.stdout).to_string();
        if !o.status.success() {
            eprintln!("  waiting phase: {}", String::from_utf8_lossy(&o.stderr));
        }
        text.lines()
            .rev()
            .find_map(|l| serde_json::from_str::<Value>(l).ok())
    });
    match parsed {
        Some(v) => {
            let f = |k: &str| v.get(k).and_then(Value::as_f64).unwrap_or(f64::NAN);
            rows.push(Row::new(
                figure,
                format!(
                    "{:.0} MB (+{:.0} MB over {:.0} MB idle; {} started in {:.1} s, all in their Wait {:.1} s later{}; {} items in the table)",
                    f("rss_after_mb"),
                    f("rss_after_mb") - f("rss_before_mb"),
                    f("rss_before_mb"),
                    v.get("started").and_then(Value::as_u64).unwrap_or(0),
                    f("start_seconds"),
                    f("settle_seconds"),
                    match v.get("not_waiting").and_then(Value::as_u64) {
                        Some(0) | None => String::new(),
                        Some(k) => format!(", {k} never reached it"),
                    },
                    v.get("table_items").and_then(Value::as_u64).map_or("?".into(), |n| n.to_string()),
                ),
            ));
        }
        None => rows.push(Row::missing(figure, "the waiting phase produced no result")),
    }
}

async fn cost_section(root: &Path, warm_ms: &BTreeMap<String, f64>) -> String {
    let gsis = 2;
    let runs = match local_rt::workflow_runs(root, gsis).await {
        Ok(runs) => runs,
        Err(e) => return format!("(not measured: {e})\n"),
    };
    // Measured warm medians; without them (a cost-only run) the invocations are billed their
    // 1 ms minimum.
    let dur = |b: &str| warm_ms.get(b).copied().unwrap_or(0.0);
    let mut workflows = Vec::new();
    for run in runs {
        let mut units = run.calls.units;
        // The API handlers' own table calls: start-execution records the job (one UpdateItem),
        // send-wait stores the token (UpdateItem), task-callback reads the job (GetItem).
        let mut invocations = vec![("start-execution".to_string(), dur("start-execution"))];
        units.wru += cost::update_units(gsis).wru;
        for b in &run.calls.lambdas {
            if b == "send-wait" {
                units.wru += cost::update_units(gsis).wru;
            }
            invocations.push((b.clone(), dur(b)));
        }
        // Two status changes per execution (RUNNING, then its end), each tracked by
        // status-events: a consistent GetItem, then an update that rewrites the item.
        for _ in 0..2 {
            invocations.push(("status-events".into(), dur("status-events")));
            units.rru += cost::GET_UNITS.rru;
            units.wru += cost::attribute_update_units(gsis).wru;
        }
        let emails = invocations
            .iter()
            .filter(|(b, _)| b == "send-email")
            .count();
        let mut api_requests = 1;
        if run.callback_api {
            api_requests += 1;
            units.rru += cost::GET_UNITS.rru;
            invocations.push(("task-callback".into(), dur("task-callback")));
        }
        workflows.push(cost::Workflow {
            name: run.name.into(),
            transitions: run.calls.transitions,
            api_requests,
            invocations,
            units,
            emails,
        });
    }
    let mut out = cost::markdown(&workflows);
    if warm_ms.is_empty() {
        out.push_str("\nThis table comes from a cost-only run (`bench --cost-only`): Lambda durations were not measured, and each invocation is billed its 1 ms minimum.\n");
    }
    out
}
