//! In-memory stand-ins for every port the handlers use, each answering at once, so that a
//! warm invocation measures the handler itself: event parsing, validation, serialization.
//! The Jobs table is app-core's in-memory one, holding the jobs the sample events name.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use app_core::domain::{Job, JobId, TaskToken};
use app_core::fake::MemoryJobs;
use app_core::ports::{
    execution_arn, CallbackError, Email, ExecutionStarter, JobReader, Mailer, Random, StartError,
    StartRequest, Started, StatusRecorder, StatusTransition, TaskCallbacks, Upstream,
};
use app_core::start::{JobStarter, StartConfig};
use app_core::{Api, ExecutionStatus, JobStatus, JsonHandler, Pattern, SystemClock, Task};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use executions::ports as exec_ports;
use serde_json::Value;

use crate::coldstart::Target;
use crate::stats::{us, Spread};
use crate::table::{Column, Row};

/// Every port but the Jobs table: calls that succeed.
pub struct Fake;

impl Fake {
    pub fn new() -> Fake {
        Fake
    }
}

/// The job the sample callback events answer, and the one the sample executions and
/// status-change events name.
const WAITING_JOB: &str = "approve-o-1234";
const RUNNING_JOB: &str = "order-1234-ship";

/// The Jobs table: 80 finished jobs (20 per shard of the all-jobs listing, so that each
/// partition query of a page returns a full page), a job waiting for its callback and a
/// running one.
fn table() -> MemoryJobs {
    let listed = (0..80).map(|i| Job {
        id: format!("job-{i}"),
        pattern: Some(Pattern::Waitable),
        process_status: Some(JobStatus::Completed),
        start_action_at: Some("2027-01-01T00:00:00.000Z".into()),
        last_updated: Some(format!("2027-01-01T00:{:02}:{:02}.000Z", i / 60, i % 60)),
        list_shard: Some((i % 4).to_string()),
        ..Job::default()
    });
    let table = MemoryJobs::with_jobs(listed);
    table.put(Job {
        id: WAITING_JOB.into(),
        pattern: Some(Pattern::Callback),
        process_status: Some(JobStatus::WaitingForCallback),
        last_updated: Some("2027-01-01T00:00:00.000Z".into()),
        task_token: TaskToken::new("AAAAKgAAAAIAAAAAAAAAAbench-token").ok(),
        ..Job::default()
    });
    table.put(running_job(RUNNING_JOB));
    table
}

fn running_job(id: &str) -> Job {
    Job {
        id: id.into(),
        process_status: Some(JobStatus::Started),
        ..Job::default()
    }
}

#[async_trait]
impl ExecutionStarter for Fake {
    async fn start_execution(&self, request: &StartRequest) -> Result<Started, StartError> {
        Ok(Started {
            execution_arn: execution_arn(&request.state_machine_arn, &request.name),
            start_date: Utc::now(),
        })
    }
}

#[async_trait]
impl Mailer for Fake {
    async fn send(&self, _email: &Email) -> Result<String, Upstream> {
        Ok("bench-message".into())
    }
}

#[async_trait]
impl TaskCallbacks for Fake {
    async fn send_success(&self, _token: &TaskToken, _output: &str) -> Result<(), CallbackError> {
        Ok(())
    }
    async fn send_failure(
        &self,
        _t: &TaskToken,
        _e: Option<&str>,
        _c: Option<&str>,
    ) -> Result<(), CallbackError> {
        Ok(())
    }
    async fn send_heartbeat(&self, _token: &TaskToken) -> Result<(), CallbackError> {
        Ok(())
    }
}

impl Random for Fake {
    fn next_f64(&self) -> f64 {
        0.25
    }
}

/// The handler of `binary` over fakes, built as its `json_handler` builds it over AWS.
/// Step Functions and the job table as `executions` sees them: 20 finished executions per
/// machine, each described and stoppable, histories of a few events.
struct FakeSfn;

#[async_trait]
impl executions::ports::StepFunctions for FakeSfn {
    async fn list_executions(
        &self,
        state_machine_arn: &str,
        _status: Option<ExecutionStatus>,
        max_results: i32,
        _next_token: Option<&str>,
    ) -> Result<exec_ports::ListPage, exec_ports::SfnError> {
        let n = usize::try_from(max_results).unwrap_or(20).clamp(1, 20);
        let items = (0..n)
            .map(|i| exec_ports::ExecutionSummary {
                execution_arn: format!(
                    "{}:job-{i}",
                    state_machine_arn.replacen(":stateMachine:", ":execution:", 1)
                ),
                state_machine_arn: state_machine_arn.to_string(),
                name: format!("job-{i}"),
                status: ExecutionStatus::Succeeded,
                start_ms: 1_800_000_000_000 - i as i64 * 1000,
                stop_ms: Some(1_800_000_000_500 - i as i64 * 1000),
            })
            .collect();
        Ok(exec_ports::ListPage {
            items,
            next_token: None,
        })
    }

    async fn describe_execution(
        &self,
        execution_arn: &str,
    ) -> Result<Option<exec_ports::ExecutionDetail>, exec_ports::SfnError> {
        let name = execution_arn
            .rsplit(':')
            .next()
            .unwrap_or("job")
            .to_string();
        let machine = execution_arn
            .rsplit_once(':')
            .map(|(m, _)| m.replacen(":execution:", ":stateMachine:", 1))
            .unwrap_or_default();
        Ok(Some(exec_ports::ExecutionDetail {
            execution_arn: execution_arn.to_string(),
            state_machine_arn: machine,
            name,
            status: ExecutionStatus::Running,
            start_ms: 1_800_000_000_000,
            stop_ms: None,
            input: Some("{}".into()),
            output: None,
            error: None,
            cause: None,
        }))
    }

    async fn get_execution_history(
        &self,
        _execution_arn: &str,
        _max_results: i32,
        _next_token: Option<&str>,
        _reverse_order: bool,
    ) -> Result<exec_ports::HistoryPage, exec_ports::SfnError> {
        let events = ["ExecutionStarted", "TaskStateEntered", "WaitStateEntered"]
            .iter()
            .enumerate()
            .map(|(i, t)| exec_ports::HistoryEvent {
                id: i as i64 + 1,
                previous_event_id: (i > 0).then_some(i as i64),
                timestamp_ms: 1_800_000_000_000 + i as i64,
                event_type: (*t).to_string(),
                details: serde_json::Map::new(),
            })
            .collect();
        Ok(exec_ports::HistoryPage {
            events,
            next_token: None,
        })
    }

    async fn stop_execution(
        &self,
        _execution_arn: &str,
        _error: &str,
        _cause: &str,
    ) -> Result<bool, exec_ports::SfnError> {
        Ok(true)
    }
}

/// The Jobs table as status-events finds it before every event: the job just started, so
/// each event is applied (read, conditional write), never a duplicate of the one before.
struct BeforeEachEvent(MemoryJobs);

#[async_trait]
impl JobReader for BeforeEachEvent {
    async fn get_job(&self, id: &JobId) -> Result<Option<Job>, Upstream> {
        self.0.put(running_job(id.as_str()));
        self.0.get_job(id).await
    }
}

#[async_trait]
impl StatusRecorder for BeforeEachEvent {
    async fn record_transition(
        &self,
        id: &JobId,
        expected: Option<&Job>,
        transition: &StatusTransition,
    ) -> Result<bool, Upstream> {
        self.0.record_transition(id, expected, transition).await
    }

    async fn mark_notified(&self, id: &JobId, at: DateTime<Utc>) -> Result<bool, Upstream> {
        self.0.mark_notified(id, at).await
    }
}

pub fn handler(
    binary: &str,
    env: &BTreeMap<String, String>,
) -> Result<Arc<dyn JsonHandler>, String> {
    let env = env.clone();
    let lookup = move |k: &str| env.get(k).cloned();
    let h: Arc<dyn JsonHandler> = match binary {
        "start-execution" => {
            let cfg = start_execution::Config::from_lookup(&lookup).map_err(|e| e.to_string())?;
            Arc::new(Api(start_execution::StartExecution::new(
                cfg,
                Fake::new(),
                table(),
                SystemClock,
            )))
        }
        "send-email" => Arc::new(Task(send_email::SendEmail::new(
            send_email::Outbox::Mail {
                mailer: Fake::new(),
                to: "bench@example.com".into(),
            },
            SystemClock,
        ))),
        "send-wait" => Arc::new(Task(send_wait::SendWait::new(table(), SystemClock))),
        "send-token" => Arc::new(Task(send_token::SendToken::new(
            Fake::new(),
            Fake::new(),
            0.5,
        ))),
        "status" => Arc::new(Api(status::Status::new(table()))),
        "task-callback" => Arc::new(Api(task_callback::TaskCallback::new(table(), Fake::new()))),
        "executions" => {
            let cfg = executions::Config::from_lookup(&lookup).map_err(|e| e.to_string())?;
            let start = StartConfig::from_lookup(&lookup).map_err(|e| e.to_string())?;
            let jobs = Arc::new(table());
            let starter = JobStarter::new(
                start,
                Arc::new(Fake::new()),
                jobs.clone(),
                Arc::new(SystemClock),
            );
            Arc::new(executions::Handler {
                api: executions::Api {
                    cfg,
                    sfn: Arc::new(FakeSfn),
                    jobs,
                    starter: Arc::new(starter),
                    clock: Arc::new(SystemClock),
                },
            })
        }
        "status-events" => {
            let cfg = status_events::Config::from_lookup(&lookup).map_err(|e| e.to_string())?;
            Arc::new(status_events::Handler {
                tracker: status_events::StatusTracker {
                    store: Arc::new(BeforeEachEvent(table())),
                    notifier: None,
                    machines: cfg.machines,
                    clock: Arc::new(SystemClock),
                    retention_days: cfg.retention_days,
                },
            })
        }
        other => return Err(format!("no fakes for {other}")),
    };
    Ok(h)
}

const CALLS: usize = 2000;

pub async fn rows(targets: &[Target], rows: &mut Vec<Row>) {
    for t in targets {
        let figure = format!("{} warm invoke against in-memory fakes", t.binary);
        let h = match handler(&t.binary, &t.env) {
            Ok(h) => h,
            Err(e) => {
                // Not one of the app-core handlers: its in-process row below stands in.
                rows.push(Row::new(figure, format!("n/a ({e})")));
                continue;
            }
        };
        let Ok(event) = serde_json::from_slice::<Value>(&t.event) else {
            rows.push(Row::missing(
                figure,
                format!("{} is not JSON", t.event_name),
            ));
            continue;
        };
        let mut samples = Vec::with_capacity(CALLS);
        let mut errors = 0;
        for i in 0..CALLS + 100 {
            let payload = event.clone();
            let t0 = Instant::now();
            let r = h
                .invoke_json(payload, lambda_runtime::Context::default())
                .await;
            let d = t0.elapsed();
            errors += usize::from(r.is_err());
            if i >= 100 {
                samples.push(us(d));
            }
        }
        match Spread::of(&samples) {
            Some(s) => rows.push(
                Row::new(
                    format!("{figure} ({})", t.event_name),
                    format!(
                        "{:.1} µs median, {:.1} µs p95{}",
                        s.median,
                        s.p95,
                        if errors > 0 {
                            format!(" ({errors} error answers)")
                        } else {
                            String::new()
                        }
                    ),
                )
                .cell(&t.binary, Column::WarmFakes, format!("{:.1} µs", s.median)),
            ),
            None => rows.push(Row::missing(figure, "no samples")),
        }
    }
}
