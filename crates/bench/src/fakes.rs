//! In-memory stand-ins for every port the handlers use, each answering at once, so that a
//! warm invocation measures the handler itself: event parsing, validation, serialization.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use app_core::domain::{Job, JobId, TaskToken};
use app_core::ports::{
    execution_arn, CallbackError, Email, ExecutionStarter, JobLister, JobReader, JobRecorder,
    Mailer, NewJob, PartitionPage, PartitionQuery, Random, StartError, StartRequest, Started,
    TaskCallbacks, TokenStore, Upstream,
};
use app_core::{Api, JsonHandler, SystemClock, Task};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use executions::ports as exec_ports;
use serde_json::Value;

use crate::coldstart::Target;
use crate::stats::{us, Spread};
use crate::table::{Column, Row};

/// Every port at once: a job waiting for its callback, a page of 20 jobs, and calls that
/// succeed.
pub struct Fake {
    page: Arc<Vec<Job>>,
}

impl Fake {
    pub fn new() -> Fake {
        let page = (0..20)
            .map(|i| Job {
                id: format!("job-{i}"),
                pattern: Some("waitable".into()),
                process_status: Some("COMPLETED".into()),
                start_action_at: Some("2027-01-01T00:00:00.000Z".into()),
                last_updated: Some(format!("2027-01-01T00:00:{i:02}.000Z")),
                ..Job::default()
            })
            .collect();
        Fake {
            page: Arc::new(page),
        }
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
impl JobRecorder for Fake {
    async fn record_job(&self, _job: &NewJob) -> Result<(), Upstream> {
        Ok(())
    }
}

#[async_trait]
impl JobReader for Fake {
    async fn get_job(&self, id: &JobId) -> Result<Option<Job>, Upstream> {
        let token = TaskToken::new("AAAAKgAAAAIAAAAAAAAAAbench-token")
            .map_err(|e| Upstream(e.to_string()))?;
        Ok(Some(Job {
            id: id.to_string(),
            pattern: Some("callback".into()),
            process_status: Some("WAITING_FOR_CALLBACK".into()),
            last_updated: Some("2027-01-01T00:00:00.000Z".into()),
            task_token: Some(token),
            ..Job::default()
        }))
    }
}

#[async_trait]
impl JobLister for Fake {
    async fn query_partition(&self, _query: &PartitionQuery) -> Result<PartitionPage, Upstream> {
        Ok(PartitionPage {
            items: self.page.as_ref().clone(),
            more: false,
        })
    }
}

#[async_trait]
impl TokenStore for Fake {
    async fn store_token(
        &self,
        _id: &JobId,
        _token: &TaskToken,
        _at: DateTime<Utc>,
    ) -> Result<(), Upstream> {
        Ok(())
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
        _status: Option<&str>,
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
                status: "SUCCEEDED".into(),
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
            status: "RUNNING".into(),
            start_ms: 1_800_000_000_000,
            input: Some("{}".into()),
            ..Default::default()
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

#[async_trait]
impl exec_ports::JobStore for FakeSfn {
    async fn get_job(
        &self,
        id: &str,
    ) -> Result<Option<serde_json::Map<String, Value>>, exec_ports::StoreError> {
        let mut m = serde_json::Map::new();
        m.insert("Id".into(), Value::String(id.to_string()));
        m.insert("ProcessStatus".into(), Value::String("STARTED".into()));
        Ok(Some(m))
    }

    async fn request_cancel(
        &self,
        _id: &str,
        _pattern: &str,
        _execution_arn: &str,
        now: &str,
    ) -> Result<exec_ports::CancelWrite, exec_ports::StoreError> {
        Ok(exec_ports::CancelWrite::Requested {
            requested_at: now.to_string(),
        })
    }
}

#[async_trait]
impl exec_ports::Starter for FakeSfn {
    async fn start(&self, _request: Value) -> Result<Value, String> {
        Ok(serde_json::json!({"statusCode": 202, "body": "{}"}))
    }
}

/// The job record as `status-events` sees it: always the one before the event, so every
/// event is applied (read, conditional write).
struct FakeStatusStore;

#[async_trait]
impl status_events::ports::StatusStore for FakeStatusStore {
    async fn get(
        &self,
        _id: &str,
    ) -> Result<Option<status_events::ports::JobSnapshot>, status_events::ports::StoreError> {
        Ok(Some(status_events::ports::JobSnapshot {
            process_status: Some("STARTED".into()),
            ..Default::default()
        }))
    }

    async fn apply(
        &self,
        _id: &str,
        _expected: Option<&status_events::ports::JobSnapshot>,
        _update: &status_events::ports::StatusUpdate,
    ) -> Result<bool, status_events::ports::StoreError> {
        Ok(true)
    }

    async fn mark_notified(
        &self,
        _id: &str,
        _at: &str,
    ) -> Result<bool, status_events::ports::StoreError> {
        Ok(true)
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
                Fake::new(),
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
        "send-wait" => Arc::new(Task(send_wait::SendWait::new(Fake::new(), SystemClock))),
        "send-token" => Arc::new(Task(send_token::SendToken::new(
            Fake::new(),
            Fake::new(),
            0.5,
        ))),
        "status" => Arc::new(Api(status::Status::new(Fake::new()))),
        "task-callback" => Arc::new(Api(task_callback::TaskCallback::new(
            Fake::new(),
            Fake::new(),
        ))),
        "executions" => {
            let cfg = executions::Config::from_lookup(&lookup).map_err(|e| e.to_string())?;
            let fake = Arc::new(FakeSfn);
            Arc::new(executions::Handler {
                api: executions::Api {
                    cfg,
                    sfn: fake.clone(),
                    jobs: fake.clone(),
                    starter: fake,
                    timer: Arc::new(exec_ports::SystemTimer),
                },
            })
        }
        "status-events" => {
            let cfg = status_events::Config::from_lookup(&lookup).map_err(|e| e.to_string())?;
            Arc::new(status_events::Handler {
                tracker: status_events::StatusTracker {
                    store: Arc::new(FakeStatusStore),
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
