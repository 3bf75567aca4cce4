//! In-memory Step Functions and a driver of the manual clock for the route tests. The Jobs
//! table is app-core's in-memory one; starting goes through app-core's start service, whose
//! executions start in the in-memory Step Functions.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use app_core::fake::MemoryJobs;
use app_core::ports::{ExecutionStarter, StartError, StartRequest, Started};
use app_core::requests::CallbackMode;
use app_core::start::{JobStarter, StartConfig};
use app_core::{Clock, ExecutionStatus, ManualClock};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use executions::ports::*;
use executions::{Api, Config};
use serde_json::{json, Map, Value};

pub const REGION_ACCT: &str = "arn:aws:states:us-east-1:123456789012";
pub const T0: i64 = 1_767_225_600_000;

pub fn machine_arn(name: &str) -> String {
    format!("{REGION_ACCT}:stateMachine:{name}")
}
pub fn exec_arn(machine: &str, name: &str) -> String {
    format!("{REGION_ACCT}:execution:{machine}:{name}")
}

pub fn at_ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap()
}

pub fn config() -> Config {
    Config {
        jobs_table: "Jobs".into(),
        callback_arn: machine_arn("Callback"),
        wait_until_arn: machine_arn("WaitUntil"),
        waitable_arn: machine_arn("Waitable"),
    }
}

pub fn start_config() -> StartConfig {
    StartConfig {
        jobs_table: "Jobs".into(),
        wait_until_arn: machine_arn("WaitUntil"),
        waitable_arn: machine_arn("Waitable"),
        callback_arn: machine_arn("Callback"),
        callback_mode: CallbackMode::External,
        max_ahead_days: 365,
    }
}

#[derive(Clone)]
pub struct FakeExecution {
    pub detail: ExecutionDetail,
    pub history: Vec<HistoryEvent>,
    /// When set, the execution reports this status and output once the clock passes the time.
    pub finishes_at: Option<(i64, ExecutionStatus, Option<String>)>,
}

pub struct FakeSfn {
    pub executions: Mutex<Vec<FakeExecution>>,
    pub calls: Mutex<Vec<String>>,
    pub stops: Mutex<Vec<(String, String, String)>>,
    pub clock: ManualClock,
    pub fail: Mutex<bool>,
}

impl FakeSfn {
    pub fn new(clock: ManualClock) -> Self {
        Self {
            executions: Mutex::default(),
            calls: Mutex::default(),
            stops: Mutex::default(),
            clock,
            fail: Mutex::new(false),
        }
    }

    fn now_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }

    pub fn add(&self, machine: &str, name: &str, status: &str, start_ms: i64) {
        self.add_full(machine, name, status, start_ms, None, vec![]);
    }

    pub fn add_full(
        &self,
        machine: &str,
        name: &str,
        status: &str,
        start_ms: i64,
        finishes_at: Option<(i64, ExecutionStatus, Option<String>)>,
        history: Vec<HistoryEvent>,
    ) {
        let final_ = status != "RUNNING";
        self.executions.lock().unwrap().push(FakeExecution {
            detail: ExecutionDetail {
                execution_arn: exec_arn(machine, name),
                state_machine_arn: machine_arn(machine),
                name: name.into(),
                status: status.parse().unwrap(),
                start_ms,
                stop_ms: final_.then_some(start_ms + 1000),
                input: Some(json!({"jobId": name}).to_string()),
                output: (status == "SUCCEEDED").then(|| json!({"done": true}).to_string()),
                error: (status == "FAILED").then(|| "Boom".into()),
                cause: (status == "FAILED").then(|| "it broke".into()),
            },
            history,
            finishes_at,
        });
    }

    /// The execution of this ARN, as DescribeExecution would show it now.
    pub fn find(&self, arn: &str) -> Option<ExecutionDetail> {
        self.tick();
        self.executions
            .lock()
            .unwrap()
            .iter()
            .find(|e| e.detail.execution_arn == arn)
            .map(|e| e.detail.clone())
    }

    fn tick(&self) {
        let now = self.now_ms();
        for e in self.executions.lock().unwrap().iter_mut() {
            if let Some((at, status, output)) = e.finishes_at.clone() {
                if now >= at && e.detail.status == ExecutionStatus::Running {
                    e.detail.status = status;
                    e.detail.stop_ms = Some(at);
                    e.detail.output = output;
                }
            }
        }
    }

    fn log(&self, s: String) {
        self.calls.lock().unwrap().push(s);
    }

    pub fn count(&self, prefix: &str) -> usize {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.starts_with(prefix))
            .count()
    }

    fn check_fail(&self) -> Result<(), SfnError> {
        if *self.fail.lock().unwrap() {
            Err(SfnError::Upstream("injected".into()))
        } else {
            Ok(())
        }
    }
}

fn parse_token(t: Option<&str>) -> Result<usize, SfnError> {
    match t {
        None => Ok(0),
        Some(t) => t
            .strip_prefix("tok-")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| SfnError::InvalidToken(t.into())),
    }
}

#[async_trait]
impl StepFunctions for FakeSfn {
    async fn list_executions(
        &self,
        state_machine_arn: &str,
        status: Option<ExecutionStatus>,
        max_results: i32,
        next_token: Option<&str>,
    ) -> Result<ListPage, SfnError> {
        self.check_fail()?;
        self.tick();
        self.log(format!("list {state_machine_arn} {next_token:?}"));
        let from = parse_token(next_token)?;
        let mut all: Vec<ExecutionSummary> = self
            .executions
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e.detail.state_machine_arn == state_machine_arn)
            .filter(|e| status.is_none_or(|s| e.detail.status == s))
            .map(|e| ExecutionSummary {
                execution_arn: e.detail.execution_arn.clone(),
                state_machine_arn: e.detail.state_machine_arn.clone(),
                name: e.detail.name.clone(),
                status: e.detail.status,
                start_ms: e.detail.start_ms,
                stop_ms: e.detail.stop_ms,
            })
            .collect();
        all.sort_by_key(|e| std::cmp::Reverse(e.start_ms));
        let max = usize::try_from(max_results).unwrap();
        let items: Vec<_> = all.iter().skip(from).take(max).cloned().collect();
        let next = (from + max < all.len()).then(|| format!("tok-{}", from + max));
        Ok(ListPage {
            items,
            next_token: next,
        })
    }

    async fn describe_execution(&self, arn: &str) -> Result<Option<ExecutionDetail>, SfnError> {
        self.check_fail()?;
        self.log(format!("describe {arn}"));
        Ok(self.find(arn))
    }

    async fn get_execution_history(
        &self,
        arn: &str,
        max_results: i32,
        next_token: Option<&str>,
        reverse: bool,
    ) -> Result<HistoryPage, SfnError> {
        self.check_fail()?;
        self.log(format!("history {arn}"));
        let from = parse_token(next_token)?;
        let mut events = self
            .executions
            .lock()
            .unwrap()
            .iter()
            .find(|e| e.detail.execution_arn == arn)
            .map(|e| e.history.clone())
            .unwrap_or_default();
        if reverse {
            events.reverse();
        }
        let max = usize::try_from(max_results).unwrap();
        let page: Vec<_> = events.iter().skip(from).take(max).cloned().collect();
        let next = (from + max < events.len()).then(|| format!("tok-{}", from + max));
        Ok(HistoryPage {
            events: page,
            next_token: next,
        })
    }

    async fn stop_execution(&self, arn: &str, error: &str, cause: &str) -> Result<bool, SfnError> {
        self.check_fail()?;
        self.log(format!("stop {arn}"));
        self.stops
            .lock()
            .unwrap()
            .push((arn.into(), error.into(), cause.into()));
        let now = self.now_ms();
        let mut ex = self.executions.lock().unwrap();
        let Some(e) = ex.iter_mut().find(|e| e.detail.execution_arn == arn) else {
            return Ok(false);
        };
        if e.detail.status == ExecutionStatus::Running {
            e.detail.status = ExecutionStatus::Aborted;
            e.detail.stop_ms = Some(now);
            e.detail.error = Some(error.into());
            e.detail.cause = Some(cause.into());
        }
        Ok(true)
    }
}

/// StartExecution over the in-memory Step Functions, with its naming rule: the same name and
/// input while the execution runs is that execution; otherwise the name is taken. A started
/// execution finishes `run_ms` later when that is set, else runs until changed.
pub struct FakeStarts {
    pub sfn: Arc<FakeSfn>,
    pub requests: Mutex<Vec<StartRequest>>,
    pub run_ms: Mutex<Option<i64>>,
}

#[async_trait]
impl ExecutionStarter for FakeStarts {
    async fn start_execution(&self, request: &StartRequest) -> Result<Started, StartError> {
        self.requests.lock().unwrap().push(request.clone());
        let machine = request
            .state_machine_arn
            .rsplit(':')
            .next()
            .unwrap_or_default()
            .to_string();
        let arn = exec_arn(&machine, request.name.as_str());
        if let Some(existing) = self.sfn.find(&arn) {
            let same = existing.input.as_deref() == Some(request.input.as_str());
            return match existing.status {
                ExecutionStatus::Running if same => Ok(Started {
                    execution_arn: arn,
                    start_date: at_ms(existing.start_ms),
                }),
                _ => Err(StartError::AlreadyExists),
            };
        }
        let now = self.sfn.now_ms();
        let run = *self.run_ms.lock().unwrap();
        self.sfn.add_full(
            &machine,
            request.name.as_str(),
            "RUNNING",
            now,
            run.map(|r| {
                (
                    now + r,
                    ExecutionStatus::Succeeded,
                    Some(r#"{"answer":42}"#.to_string()),
                )
            }),
            vec![],
        );
        if let Some(e) = self.sfn.executions.lock().unwrap().last_mut() {
            e.detail.input = Some(request.input.clone());
        }
        Ok(Started {
            execution_arn: arn,
            start_date: at_ms(now),
        })
    }
}

pub struct World {
    pub sfn: Arc<FakeSfn>,
    pub jobs: Arc<MemoryJobs>,
    pub starts: Arc<FakeStarts>,
    pub clock: ManualClock,
    /// How long each wait of the handler on the clock lasted, in order.
    pub sleeps: Mutex<Vec<Duration>>,
    pub handler: executions::Handler,
}

pub fn world() -> World {
    let clock = ManualClock::new(at_ms(T0 + 3_600_000));
    let sfn = Arc::new(FakeSfn::new(clock.clone()));
    let jobs = Arc::new(MemoryJobs::new());
    let starts = Arc::new(FakeStarts {
        sfn: sfn.clone(),
        requests: Mutex::new(vec![]),
        run_ms: Mutex::new(None),
    });
    let starter = JobStarter::new(
        start_config(),
        starts.clone(),
        jobs.clone(),
        Arc::new(clock.clone()),
    );
    let handler = executions::Handler {
        api: Api {
            cfg: config(),
            sfn: sfn.clone(),
            jobs: jobs.clone(),
            starter: Arc::new(starter),
            clock: Arc::new(clock.clone()),
        },
    };
    World {
        sfn,
        jobs,
        starts,
        clock,
        sleeps: Mutex::new(vec![]),
        handler,
    }
}

/// An API Gateway REST proxy event as the template's routes produce it.
pub fn request(method: &str, path: &str, query: &[(&str, &str)], body: Option<&str>) -> Value {
    let q: Map<String, Value> = query
        .iter()
        .map(|(k, v)| ((*k).to_string(), json!(v)))
        .collect();
    let mq: Map<String, Value> = query
        .iter()
        .map(|(k, v)| ((*k).to_string(), json!([v])))
        .collect();
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let (resource, params) = match segs.as_slice() {
        ["executions"] => ("/executions".to_string(), Value::Null),
        ["executions", id] => ("/executions/{id}".to_string(), json!({"id": id})),
        ["executions", id, "history"] => {
            ("/executions/{id}/history".to_string(), json!({"id": id}))
        }
        _ => (path.to_string(), Value::Null),
    };
    json!({
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {"Host": "api.example", "x-api-key": "k"},
        "multiValueHeaders": {},
        "queryStringParameters": if q.is_empty() { Value::Null } else { Value::Object(q) },
        "multiValueQueryStringParameters": if mq.is_empty() { Value::Null } else { Value::Object(mq) },
        "pathParameters": params,
        "stageVariables": null,
        "requestContext": {"stage": "Prod", "httpMethod": method, "resourcePath": resource, "protocol": "HTTPS/1.1"},
        "body": body,
        "isBase64Encoded": false,
    })
}

pub struct Resp {
    pub status: i64,
    pub body: Value,
}

/// Runs `fut` to its end, moving the manual clock to the next deadline whenever the handler
/// waits on it (and noting how long each wait was): the time a request spends waiting is
/// simulated, never slept.
pub async fn drive<F: Future>(w: &World, fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    for _ in 0..10_000 {
        if let Poll::Ready(out) = futures::poll!(fut.as_mut()) {
            return out;
        }
        match w.clock.next_deadline() {
            Some(t) => {
                let waited = (t - w.clock.now()).to_std().unwrap_or_default();
                w.sleeps.lock().unwrap().push(waited);
                w.clock.set(t);
            }
            None => tokio::task::yield_now().await,
        }
    }
    panic!("the request neither ended nor waited on the clock");
}

/// The answer to `req` with the Lambda deadline `deadline_ms` (epoch ms), if any.
pub async fn invoke(w: &World, req: Value, deadline_ms: Option<i64>) -> Value {
    drive(w, w.handler.invoke_json(req, deadline_ms))
        .await
        .expect("handler answers")
}

pub async fn call(w: &World, req: Value) -> Resp {
    let out = invoke(w, req, None).await;
    let body = out["body"]
        .as_str()
        .map(|b| serde_json::from_str(b).expect("JSON body"))
        .unwrap_or(Value::Null);
    Resp {
        status: out["statusCode"].as_i64().unwrap(),
        body,
    }
}

pub fn ev(id: i64, prev: i64, ty: &str, details: Value) -> HistoryEvent {
    HistoryEvent {
        id,
        previous_event_id: (prev > 0).then_some(prev),
        timestamp_ms: T0 + id * 10,
        event_type: ty.into(),
        details: details.as_object().cloned().unwrap_or_default(),
    }
}
