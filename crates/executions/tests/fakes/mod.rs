//! In-memory Step Functions, job table, start route and clock for the route tests.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
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

pub fn config() -> Config {
    Config {
        jobs_table: "Jobs".into(),
        callback_arn: machine_arn("Callback"),
        wait_until_arn: machine_arn("WaitUntil"),
        waitable_arn: machine_arn("Waitable"),
    }
}

#[derive(Clone)]
pub struct FakeExecution {
    pub detail: ExecutionDetail,
    pub history: Vec<HistoryEvent>,
    /// When set, the execution reports SUCCEEDED with this output once the clock passes it.
    pub finishes_at: Option<(i64, String, Option<String>)>,
}

#[derive(Default)]
pub struct FakeSfn {
    pub executions: Mutex<Vec<FakeExecution>>,
    pub calls: Mutex<Vec<String>>,
    pub stops: Mutex<Vec<(String, String, String)>>,
    pub now: Arc<AtomicI64>,
    pub fail: Mutex<bool>,
}

impl FakeSfn {
    pub fn add(&self, machine: &str, name: &str, status: &str, start_ms: i64) {
        self.add_full(machine, name, status, start_ms, None, vec![]);
    }

    pub fn add_full(
        &self,
        machine: &str,
        name: &str,
        status: &str,
        start_ms: i64,
        finishes_at: Option<(i64, String, Option<String>)>,
        history: Vec<HistoryEvent>,
    ) {
        let final_ = status != "RUNNING";
        self.executions.lock().unwrap().push(FakeExecution {
            detail: ExecutionDetail {
                execution_arn: exec_arn(machine, name),
                state_machine_arn: machine_arn(machine),
                name: name.into(),
                status: status.into(),
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

    fn tick(&self) {
        let now = self.now.load(Ordering::SeqCst);
        for e in self.executions.lock().unwrap().iter_mut() {
            if let Some((at, status, output)) = e.finishes_at.clone() {
                if now >= at && e.detail.status == "RUNNING" {
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
        status: Option<&str>,
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
                status: e.detail.status.clone(),
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
        self.tick();
        self.log(format!("describe {arn}"));
        Ok(self
            .executions
            .lock()
            .unwrap()
            .iter()
            .find(|e| e.detail.execution_arn == arn)
            .map(|e| e.detail.clone()))
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
        let now = self.now.load(Ordering::SeqCst);
        let mut ex = self.executions.lock().unwrap();
        let Some(e) = ex.iter_mut().find(|e| e.detail.execution_arn == arn) else {
            return Ok(false);
        };
        if e.detail.status == "RUNNING" {
            e.detail.status = "ABORTED".into();
            e.detail.stop_ms = Some(now);
            e.detail.error = Some(error.into());
            e.detail.cause = Some(cause.into());
        }
        Ok(true)
    }
}

#[derive(Default)]
pub struct FakeJobs {
    pub items: Mutex<HashMap<String, Map<String, Value>>>,
}

impl FakeJobs {
    pub fn put(&self, id: &str, v: Value) {
        let Value::Object(mut m) = v else { panic!() };
        m.insert("Id".into(), json!(id));
        self.items.lock().unwrap().insert(id.into(), m);
    }
    pub fn get(&self, id: &str) -> Option<Map<String, Value>> {
        self.items.lock().unwrap().get(id).cloned()
    }
}

#[async_trait]
impl JobStore for FakeJobs {
    async fn get_job(&self, id: &str) -> Result<Option<Map<String, Value>>, StoreError> {
        Ok(self.get(id))
    }

    async fn request_cancel(
        &self,
        id: &str,
        pattern: &str,
        arn: &str,
        now: &str,
    ) -> Result<CancelWrite, StoreError> {
        let mut items = self.items.lock().unwrap();
        if let Some(m) = items.get(id) {
            let ps = m.get("ProcessStatus").and_then(Value::as_str).unwrap_or("");
            let es = m
                .get("ExecutionStatus")
                .and_then(Value::as_str)
                .unwrap_or("RUNNING");
            if ["COMPLETED", "FAILED", "TIMED_OUT", "CANCELLED"].contains(&ps) || es != "RUNNING" {
                let status = if es != "RUNNING" { es } else { ps };
                return Ok(CancelWrite::AlreadyFinal {
                    process_status: status.into(),
                });
            }
        }
        let m = items.entry(id.into()).or_insert_with(|| {
            let mut m = Map::new();
            m.insert("Id".into(), json!(id));
            m
        });
        m.insert("CancelRequested".into(), json!(true));
        m.entry("CancelRequestedAt").or_insert(json!(now));
        m.insert("LastUpdated".into(), json!(now));
        m.entry("ListShard")
            .or_insert(json!(app_core::cursor::list_shard_of(id)));
        m.entry("Pattern").or_insert(json!(pattern));
        m.entry("ExecutionArn").or_insert(json!(arn));
        m.entry("ProcessStatus").or_insert(json!("STARTED"));
        Ok(CancelWrite::Requested {
            requested_at: m["CancelRequestedAt"].as_str().unwrap_or_default().into(),
        })
    }
}

/// Stands in for the start-execution handler: refuses bodies without `"ok": true`, otherwise
/// starts an execution in the fake Step Functions that finishes `run_ms` later.
pub struct FakeStarter {
    pub sfn: Arc<FakeSfn>,
    pub requests: Mutex<Vec<Value>>,
    pub run_ms: Mutex<Option<i64>>,
}

#[async_trait]
impl Starter for FakeStarter {
    async fn start(&self, request: Value) -> Result<Value, String> {
        self.requests.lock().unwrap().push(request.clone());
        let body: Value = request
            .get("body")
            .and_then(Value::as_str)
            .and_then(|b| serde_json::from_str(b).ok())
            .unwrap_or(Value::Null);
        if body.get("ok") != Some(&json!(true)) {
            return Ok(json!({
                "statusCode": 400,
                "headers": {"content-type": "application/json"},
                "body": json!({"error": "MissingField", "message": "field `ok` is required"}).to_string(),
            }));
        }
        let machine = match request["path"].as_str() {
            Some("/callbacks") => "Callback",
            Some("/start") => "WaitUntil",
            Some("/jobs") => "Waitable",
            other => return Err(format!("unexpected route {other:?}")),
        };
        let name = body
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("sync-1")
            .to_string();
        let now = self.sfn.now.load(Ordering::SeqCst);
        let run = *self.run_ms.lock().unwrap();
        self.sfn.add_full(
            machine,
            &name,
            "RUNNING",
            now,
            run.map(|r| {
                (
                    now + r,
                    "SUCCEEDED".to_string(),
                    Some(r#"{"answer":42}"#.to_string()),
                )
            }),
            vec![],
        );
        Ok(json!({
            "statusCode": 202,
            "body": json!({
                "executionArn": exec_arn(machine, &name),
                "jobId": name,
                "startDate": "2026-01-01T00:00:00.000Z",
                "statusUrl": format!("https://api.example/Prod/jobs/{name}"),
                "message": "started",
            }).to_string(),
        }))
    }
}

pub struct FakeTimer {
    pub now: Arc<AtomicI64>,
    pub sleeps: Mutex<Vec<Duration>>,
}

#[async_trait]
impl Timer for FakeTimer {
    fn now_ms(&self) -> i64 {
        self.now.load(Ordering::SeqCst)
    }
    async fn sleep(&self, d: Duration) {
        self.sleeps.lock().unwrap().push(d);
        self.now
            .fetch_add(i64::try_from(d.as_millis()).unwrap(), Ordering::SeqCst);
    }
}

pub struct World {
    pub sfn: Arc<FakeSfn>,
    pub jobs: Arc<FakeJobs>,
    pub starter: Arc<FakeStarter>,
    pub timer: Arc<FakeTimer>,
    pub handler: executions::Handler,
}

pub fn world() -> World {
    let now = Arc::new(AtomicI64::new(T0 + 3_600_000));
    let sfn = Arc::new(FakeSfn {
        now: now.clone(),
        ..Default::default()
    });
    let jobs = Arc::new(FakeJobs::default());
    let starter = Arc::new(FakeStarter {
        sfn: sfn.clone(),
        requests: Mutex::new(vec![]),
        run_ms: Mutex::new(None),
    });
    let timer = Arc::new(FakeTimer {
        now,
        sleeps: Mutex::new(vec![]),
    });
    let handler = executions::Handler {
        api: Api {
            cfg: config(),
            sfn: sfn.clone(),
            jobs: jobs.clone(),
            starter: starter.clone(),
            timer: timer.clone(),
        },
    };
    World {
        sfn,
        jobs,
        starter,
        timer,
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
        "headers": {"Host": "api.example", "x-api-key": "k", "Idempotency-Key": "idem-1"},
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

pub async fn call(w: &World, req: Value) -> Resp {
    let out = w
        .handler
        .invoke_json(req, None)
        .await
        .expect("handler answers");
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
