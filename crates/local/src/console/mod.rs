//! The local console: a browser view over the Step Functions and DynamoDB services this
//! runtime serves, at `/console/` on the AWS endpoint's port.
//!
//! It calls the same services in-process (list, describe, history, start, stop, send task
//! result) and keeps no state of its own. The page and its script are built into the binary
//! (`assets/`); the graph of a machine is laid out here ([`graph`]) and drawn by the page.
//!
//! Safety: the page is served where the runtime listens (127.0.0.1 by default). Requests must
//! name that host (no DNS rebinding), and state-changing requests are JSON POSTs whose `Origin`
//! (or `Sec-Fetch-Site`) is this console: another web page the user visits cannot post here.
//! Execution data is rendered as text by the page, never as markup. Task tokens stay here:
//! the page names a waiting task by its `TaskScheduled` event id and sees a short hash.

pub mod graph;
mod history;
mod time;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use local_dynamodb::Dynamo;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use sfn_local::SfnService;

const INDEX_HTML: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const APP_CSS: &str = include_str!("assets/app.css");

/// Statuses an execution can have, in the order the overview shows them.
const STATUSES: [&str; 5] = ["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"];
/// Executions counted per machine and status at most (pages of 1,000).
const COUNT_PAGES: usize = 100;
/// History events read for one execution at most (AWS caps an execution at 25,000).
const HISTORY_PAGES: usize = 25;
/// Longest a request body may be (a start input is at most 256 KiB, as on AWS).
const MAX_BODY: usize = 300 * 1024;

pub struct Console {
    sfn: Arc<SfnService>,
    /// The runtime's one clock, which the console shows and moves.
    clock: asl::ManualClock,
    dynamo: Arc<Dynamo>,
    tables: Vec<String>,
    /// `host:port` values a request may name: the listening address, and `localhost` for it.
    /// `None`: listening on every interface (`--host 0.0.0.0`), where any name may reach it.
    hosts: Option<Vec<String>>,
}

impl Console {
    pub fn new(
        sfn: Arc<SfnService>,
        dynamo: Arc<Dynamo>,
        tables: Vec<String>,
        addr: std::net::SocketAddr,
        clock: asl::ManualClock,
    ) -> Console {
        let port = addr.port();
        let hosts = (!addr.ip().is_unspecified()).then(|| {
            let mut hosts = vec![addr.to_string()];
            if addr.ip().is_loopback() {
                for h in ["localhost", "127.0.0.1", "[::1]"] {
                    hosts.push(format!("{h}:{port}"));
                }
            }
            hosts
        });
        Console {
            sfn,
            clock,
            dynamo,
            tables,
            hosts,
        }
    }
}

/// The console's routes: `/console/...`.
pub fn router(console: Arc<Console>) -> Router {
    Router::new()
        .route("/console", get(|| async { Redirect::to("/console/") }))
        .route(
            "/console/",
            get(|| asset(INDEX_HTML, "text/html; charset=utf-8")),
        )
        .route(
            "/console/app.js",
            get(|| asset(APP_JS, "text/javascript; charset=utf-8")),
        )
        .route(
            "/console/app.css",
            get(|| asset(APP_CSS, "text/css; charset=utf-8")),
        )
        .route("/console/api/overview", get(overview))
        .route("/console/api/machine", get(machine))
        .route("/console/api/executions", get(executions))
        .route("/console/api/execution", get(execution))
        .route("/console/api/start", post(start))
        .route("/console/api/stop", post(stop))
        .route("/console/api/redrive", post(redrive))
        .route("/console/api/task", post(task))
        .route("/_local/clock", get(time::read))
        .route("/_local/clock/advance", post(time::advance))
        .route("/_local/clock/set", post(time::set))
        .route("/_local/executions/skip-wait", post(time::skip_wait))
        .with_state(console)
}

async fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        ),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// An error the page shows: `{"error", "message"}` with a 4xx (or 502) status.
pub struct ConsoleError {
    status: StatusCode,
    error: String,
    message: String,
}

impl ConsoleError {
    fn new(status: StatusCode, error: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            error: error.into(),
            message: message.into(),
        }
    }

    fn bad(field: &str, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "InvalidField",
            format!("{field}: {}", message.into()),
        )
    }
}

impl From<sfn_local::SfnError> for ConsoleError {
    fn from(e: sfn_local::SfnError) -> Self {
        let status = match e.type_name() {
            t if t.ends_with("DoesNotExist") => StatusCode::NOT_FOUND,
            _ if e.status().is_server_error() => StatusCode::BAD_GATEWAY,
            _ => StatusCode::BAD_REQUEST,
        };
        Self::new(status, e.type_name(), e.message())
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let mut r = (
            self.status,
            axum::Json(json!({"error": self.error, "message": self.message})),
        )
            .into_response();
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        r
    }
}

type Reply = Result<Response, ConsoleError>;

fn ok(v: Value) -> Reply {
    let mut r = axum::Json(v).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

impl Console {
    /// Every console request names this console's host (a page on another name that
    /// resolves here, DNS rebinding, is refused).
    fn check_host<'h>(&self, headers: &'h HeaderMap) -> Result<&'h str, ConsoleError> {
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        match &self.hosts {
            Some(hosts) if !hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) => {
                Err(ConsoleError::new(
                    StatusCode::FORBIDDEN,
                    "Forbidden",
                    format!("the console answers requests for {} only", hosts.join(", ")),
                ))
            }
            _ if host.is_empty() => Err(ConsoleError::new(
                StatusCode::FORBIDDEN,
                "Forbidden",
                "the request names no host",
            )),
            _ => Ok(host),
        }
    }

    /// State-changing requests: a JSON body, sent by this console's own page. Browsers send
    /// `Origin` on every cross-origin POST and `Sec-Fetch-Site`; a cross-site form cannot
    /// send `application/json` without a preflight, which this server never grants.
    fn check_post(&self, headers: &HeaderMap) -> Result<(), ConsoleError> {
        let host = self.check_host(headers)?;
        let refuse = |why: &str| {
            Err(ConsoleError::new(
                StatusCode::FORBIDDEN,
                "CrossOriginRequest",
                format!("refused: {why}; only the console's own page may change executions"),
            ))
        };
        if let Some(origin) = headers.get(header::ORIGIN) {
            // Same origin: the page was loaded from the very host this request names.
            let origin = origin.to_str().unwrap_or("");
            if !origin.eq_ignore_ascii_case(&format!("http://{host}")) {
                return refuse(&format!("Origin {origin} is not this console"));
            }
        }
        if let Some(site) = headers.get("sec-fetch-site") {
            if !matches!(site.to_str().unwrap_or(""), "same-origin" | "none") {
                return refuse("the request comes from another site");
            }
        }
        let json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                ct.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("application/json")
            });
        if !json {
            return Err(ConsoleError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UnsupportedMediaType",
                "the body must be JSON (content-type: application/json)",
            ));
        }
        Ok(())
    }

    /// The runtime's control API (the clock, skip a Wait), which scripts call as well as the
    /// page: a request from a browser (it sends `Origin` or `Sec-Fetch-Site`) must come from
    /// the console's own page, as [`Console::check_post`] requires; a client that is not a
    /// browser (curl, a test) may send its JSON under any content type.
    fn check_control(&self, headers: &HeaderMap) -> Result<(), ConsoleError> {
        let browser =
            headers.contains_key(header::ORIGIN) || headers.contains_key("sec-fetch-site");
        if browser {
            self.check_post(headers)
        } else {
            self.check_host(headers).map(|_| ())
        }
    }

    async fn call(&self, op: &str, body: Value) -> Result<Value, ConsoleError> {
        Ok(self.sfn.handle(op, body).await?)
    }

    /// Follows `nextToken` through at most `max_pages` pages of `op`, handing each to `each`.
    async fn each_page(
        &self,
        op: &str,
        request: Value,
        max_pages: usize,
        mut each: impl FnMut(&Value),
    ) -> Result<(), ConsoleError> {
        let mut next: Option<String> = None;
        for _ in 0..max_pages {
            let mut req = request.clone();
            if let Some(t) = &next {
                req["nextToken"] = json!(t);
            }
            let page = self.call(op, req).await?;
            each(&page);
            match page["nextToken"].as_str() {
                Some(t) => next = Some(t.to_owned()),
                None => break,
            }
        }
        Ok(())
    }
}

fn parse_body<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, ConsoleError> {
    if body.len() > MAX_BODY {
        return Err(ConsoleError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PayloadTooLarge",
            format!("the body is over {MAX_BODY} bytes"),
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        ConsoleError::new(
            StatusCode::BAD_REQUEST,
            "InvalidJson",
            format!("the body is not the JSON this action takes: {e}"),
        )
    })
}

// ---- overview ---------------------------------------------------------------------------

async fn overview(State(c): State<Arc<Console>>, headers: HeaderMap) -> Reply {
    c.check_host(&headers)?;
    let listed = c
        .call("ListStateMachines", json!({"maxResults": 1000}))
        .await?;
    let mut machines = Vec::new();
    let mut recent: Vec<Value> = Vec::new();
    for m in listed["stateMachines"].as_array().into_iter().flatten() {
        let arn = m["stateMachineArn"].as_str().unwrap_or_default().to_owned();
        let mut counts = Map::new();
        for status in STATUSES {
            counts.insert(status.into(), json!(c.count(&arn, status).await?));
        }
        let newest = c
            .call(
                "ListExecutions",
                json!({"stateMachineArn": arn, "maxResults": 20}),
            )
            .await?;
        recent.extend(newest["executions"].as_array().cloned().unwrap_or_default());
        machines.push(json!({
            "arn": arn, "name": m["name"], "type": m["type"], "counts": counts,
        }));
    }
    recent.sort_by(|a, b| {
        let at = |v: &Value| v["startDate"].as_f64().unwrap_or(0.0);
        at(b).total_cmp(&at(a))
    });
    recent.truncate(20);
    let jobs = c.jobs().await;
    ok(json!({"machines": machines, "executions": recent, "jobs": jobs}))
}

impl Console {
    async fn count(&self, machine: &str, status: &str) -> Result<u64, ConsoleError> {
        let mut n = 0u64;
        let req = json!({"stateMachineArn": machine, "statusFilter": status, "maxResults": 1000});
        self.each_page("ListExecutions", req, COUNT_PAGES, |page| {
            n += page["executions"].as_array().map_or(0, Vec::len) as u64;
        })
        .await?;
        Ok(n)
    }

    /// The newest records of the template's tables (the jobs), newest `LastUpdated` first.
    /// A task token is a secret: that attribute is never sent to the page.
    async fn jobs(&self) -> Vec<Value> {
        let mut out = Vec::new();
        for table in &self.tables {
            let Ok(page) = self
                .dynamo
                .handle("Scan", json!({"TableName": table, "Limit": 1000}))
                .await
            else {
                continue;
            };
            for item in page["Items"].as_array().into_iter().flatten() {
                let Some(obj) = item.as_object() else {
                    continue;
                };
                let mut plain = Map::new();
                plain.insert("table".into(), json!(table));
                for (k, v) in obj {
                    if k == "TaskToken" {
                        continue;
                    }
                    plain.insert(k.clone(), plain_value(v));
                }
                out.push(Value::Object(plain));
            }
        }
        out.sort_by(|a, b| {
            let at = |v: &Value| v["LastUpdated"].as_str().unwrap_or("").to_owned();
            at(b).cmp(&at(a))
        });
        out.truncate(50);
        out
    }
}

/// A DynamoDB attribute value as plain JSON (`{"S": "x"}` -> `"x"`), for display.
fn plain_value(v: &Value) -> Value {
    let Some((t, inner)) = v.as_object().and_then(|o| o.iter().next()) else {
        return Value::Null;
    };
    match t.as_str() {
        "S" | "BOOL" => inner.clone(),
        "N" => inner
            .as_str()
            .and_then(|n| n.parse::<f64>().ok())
            .map_or(Value::Null, |f| json!(f)),
        "NULL" => Value::Null,
        "M" => Value::Object(
            inner
                .as_object()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), plain_value(v))).collect())
                .unwrap_or_default(),
        ),
        "L" => Value::Array(
            inner
                .as_array()
                .map(|l| l.iter().map(plain_value).collect())
                .unwrap_or_default(),
        ),
        _ => inner.clone(),
    }
}

// ---- a state machine ----------------------------------------------------------------------

#[derive(Deserialize)]
struct ArnQuery {
    arn: String,
}

#[derive(Deserialize)]
struct ExecutionQuery {
    arn: String,
    /// Send only the events after this id (the page already holds the others).
    after: Option<u64>,
}

async fn machine(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Query(q): Query<ArnQuery>,
) -> Reply {
    c.check_host(&headers)?;
    let d = c
        .call("DescribeStateMachine", json!({"stateMachineArn": q.arn}))
        .await?;
    let definition: Value =
        serde_json::from_str(d["definition"].as_str().unwrap_or("{}")).unwrap_or(Value::Null);
    let graph = draw(definition).await;
    ok(json!({
        "arn": d["stateMachineArn"], "name": d["name"], "type": d["type"],
        "status": d["status"], "creationDate": d["creationDate"],
        "definition": d["definition"], "graph": graph,
    }))
}

/// The layout, or why there is none; off the async workers and bounded in time.
async fn draw(definition: Value) -> Value {
    let job = tokio::task::spawn_blocking(move || graph::layout_definition(&definition));
    match tokio::time::timeout(Duration::from_secs(10), job).await {
        Ok(Ok(Ok(layout))) => json!({"layout": layout}),
        Ok(Ok(Err(e))) => json!({"error": e.to_string()}),
        Ok(Err(_)) => json!({"error": "the layout failed"}),
        Err(_) => json!({"error": "the layout took too long"}),
    }
}

#[derive(Deserialize)]
struct ListQuery {
    machine: String,
    status: Option<String>,
    next: Option<String>,
}

async fn executions(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Reply {
    c.check_host(&headers)?;
    let mut req = json!({"stateMachineArn": q.machine, "maxResults": 25});
    if let Some(s) = q.status.filter(|s| !s.is_empty()) {
        if !STATUSES.contains(&s.as_str()) {
            return Err(ConsoleError::bad(
                "status",
                format!("must be one of {}", STATUSES.join(", ")),
            ));
        }
        req["statusFilter"] = json!(s);
    }
    if let Some(n) = q.next.filter(|n| !n.is_empty()) {
        req["nextToken"] = json!(n);
    }
    let page = c.call("ListExecutions", req).await?;
    ok(json!({"executions": page["executions"], "next": page["nextToken"]}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StartBody {
    machine: String,
    input: String,
    name: Option<String>,
}

async fn start(State(c): State<Arc<Console>>, headers: HeaderMap, body: Bytes) -> Reply {
    c.check_post(&headers)?;
    let b: StartBody = parse_body(&body)?;
    serde_json::from_str::<Value>(&b.input)
        .map_err(|e| ConsoleError::bad("input", format!("not valid JSON: {e}")))?;
    let mut req = json!({"stateMachineArn": b.machine, "input": b.input});
    if let Some(n) = b
        .name
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
    {
        req["name"] = json!(n);
    }
    let started = c.call("StartExecution", req).await?;
    ok(json!({"executionArn": started["executionArn"]}))
}

// ---- an execution -----------------------------------------------------------------------------

async fn execution(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Query(q): Query<ExecutionQuery>,
) -> Reply {
    c.check_host(&headers)?;
    let d = c
        .call("DescribeExecution", json!({"executionArn": q.arn}))
        .await?;
    let mut events = Vec::new();
    let req = json!({"executionArn": q.arn, "maxResults": 1000});
    c.each_page("GetExecutionHistory", req, HISTORY_PAGES, |page| {
        events.extend(page["events"].as_array().cloned().unwrap_or_default());
    })
    .await?;
    let machine = c
        .call(
            "DescribeStateMachineForExecution",
            json!({"executionArn": q.arn}),
        )
        .await
        .ok();
    let definition: Value = machine
        .as_ref()
        .and_then(|m| m["definition"].as_str())
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or(Value::Null);
    // Read once: the waiting tasks the graph shows are the ones the page can answer.
    let pending = c.sfn.engine().pending_task_tokens(&q.arn);
    let pending_ids: Vec<u64> = pending.iter().map(|(id, _)| *id).collect();
    let view = history::view(&events, &definition, &pending_ids);
    // The tokens of this execution's tasks are in its history (TaskScheduled parameters) and
    // wherever the machine passed them on: none reaches the page whole.
    let tokens: Vec<String> = events
        .iter()
        .filter(|e| e["type"] == "TaskScheduled")
        .filter_map(|e| e["id"].as_u64())
        .map(|id| c.sfn.engine().task_token_for(&q.arn, id))
        .collect();
    let waiting: Vec<Value> = pending
        .into_iter()
        .map(|(id, token)| {
            json!({
                "scheduledEventId": id,
                "state": history::state_of(&events, id),
                "token": token_label(token),
            })
        })
        .collect();
    let after = q.after.unwrap_or(0);
    let total = events.len();
    events.retain(|e| e["id"].as_u64().unwrap_or(0) > after);
    let mut out = json!({
        "execution": d,
        "stateMachineArn": d["stateMachineArn"],
        "eventCount": total,
        "events": events,
        "states": view.states,
        "waits": view.waits,
        "waiting": waiting,
    });
    redact_tokens(&mut out, &tokens);
    ok(out)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StopBody {
    arn: String,
    error: Option<String>,
    cause: Option<String>,
}

async fn stop(State(c): State<Arc<Console>>, headers: HeaderMap, body: Bytes) -> Reply {
    c.check_post(&headers)?;
    let b: StopBody = parse_body(&body)?;
    let mut req = json!({"executionArn": b.arn});
    if let Some(e) = b.error.filter(|e| !e.is_empty()) {
        req["error"] = json!(e);
    }
    if let Some(cause) = b.cause.filter(|c| !c.is_empty()) {
        req["cause"] = json!(cause);
    }
    let out = c.call("StopExecution", req).await?;
    ok(out)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RedriveBody {
    arn: String,
}

/// Redrives an execution that failed, was aborted or timed out (RedriveExecution).
async fn redrive(State(c): State<Arc<Console>>, headers: HeaderMap, body: Bytes) -> Reply {
    c.check_post(&headers)?;
    let b: RedriveBody = parse_body(&body)?;
    let out = c
        .call("RedriveExecution", json!({"executionArn": b.arn}))
        .await?;
    ok(out)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct TaskBody {
    arn: String,
    action: String,
    /// Which waiting task, when several wait at once (a Parallel or Map state).
    scheduled_event_id: Option<u64>,
    /// Send success: the task's output, JSON text.
    output: Option<String>,
    error: Option<String>,
    cause: Option<String>,
}

/// Answers a task of this execution that waits for its token; the token never leaves here.
async fn task(State(c): State<Arc<Console>>, headers: HeaderMap, body: Bytes) -> Reply {
    c.check_post(&headers)?;
    let b: TaskBody = parse_body(&body)?;
    let pending = c.sfn.engine().pending_task_tokens(&b.arn);
    let token = match (b.scheduled_event_id, pending.len()) {
        (_, 0) => {
            return Err(ConsoleError::new(
                StatusCode::CONFLICT,
                "NotWaiting",
                "no task of this execution waits for a task token now",
            ))
        }
        (Some(id), _) => pending
            .into_iter()
            .find(|(i, _)| *i == id)
            .map(|(_, t)| t)
            .ok_or_else(|| {
                ConsoleError::new(
                    StatusCode::CONFLICT,
                    "NotWaiting",
                    format!("the task scheduled by event {id} does not wait any more"),
                )
            })?,
        (None, 1) => pending
            .into_iter()
            .next()
            .map(|(_, t)| t)
            .unwrap_or_default(),
        (None, n) => {
            return Err(ConsoleError::bad(
                "scheduledEventId",
                format!("{n} tasks wait; name the one to answer"),
            ))
        }
    };
    let out = match b.action.as_str() {
        "success" => {
            let output = b.output.unwrap_or_else(|| "{}".into());
            serde_json::from_str::<Value>(&output)
                .map_err(|e| ConsoleError::bad("output", format!("not valid JSON: {e}")))?;
            c.call(
                "SendTaskSuccess",
                json!({"taskToken": token, "output": output}),
            )
            .await?
        }
        "failure" => {
            let mut req = json!({"taskToken": token});
            if let Some(e) = b.error.filter(|e| !e.is_empty()) {
                req["error"] = json!(e);
            }
            if let Some(cause) = b.cause.filter(|c| !c.is_empty()) {
                req["cause"] = json!(cause);
            }
            c.call("SendTaskFailure", req).await?
        }
        "heartbeat" => {
            c.call("SendTaskHeartbeat", json!({"taskToken": token}))
                .await?
        }
        other => {
            return Err(ConsoleError::bad(
                "action",
                format!("{other:?} is not success, failure or heartbeat"),
            ))
        }
    };
    ok(out)
}

/// How the console names a task token: `sha256:` and the short hash `TaskToken` shows in logs.
fn token_label(token: String) -> String {
    let hash = app_core::domain::TaskToken::new(token)
        .map(|t| t.short_hash())
        .unwrap_or_default();
    format!("sha256:{hash}")
}

/// Replaces every task token in the strings of `value` by `<task token sha256:…>`.
fn redact_tokens(value: &mut Value, tokens: &[String]) {
    if tokens.is_empty() {
        return;
    }
    let labels: Vec<String> = tokens
        .iter()
        .map(|t| format!("<task token {}>", token_label(t.clone())))
        .collect();
    // An explicit stack: the values come from stored history, whatever their depth.
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::String(s) => {
                for (t, label) in tokens.iter().zip(&labels) {
                    if s.contains(t.as_str()) {
                        *s = s.replace(t.as_str(), label);
                    }
                }
            }
            Value::Array(a) => stack.extend(a.iter_mut()),
            Value::Object(o) => stack.extend(o.values_mut()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{plain_value, redact_tokens};

    #[test]
    fn tokens_are_redacted_wherever_they_are() {
        let mut v = json!({"a": ["x TOKEN-1 y", {"b": "TOKEN-2"}], "c": "no token here", "d": 3});
        redact_tokens(&mut v, &["TOKEN-1".into(), "TOKEN-2".into()]);
        let text = v.to_string();
        assert!(
            !text.contains("TOKEN-1") && !text.contains("TOKEN-2"),
            "{text}"
        );
        assert!(v["a"][0]
            .as_str()
            .unwrap()
            .starts_with("x <task token sha256:"));
        assert_eq!(v["c"], "no token here");
    }
    use serde_json::json;

    #[test]
    fn attribute_values_become_plain_json() {
        assert_eq!(
            plain_value(
                &json!({"M": {"a": {"N": "1.5"}, "b": {"L": [{"S": "x"}, {"BOOL": true}, {"NULL": true}]}}})
            ),
            json!({"a": 1.5, "b": ["x", true, null]})
        );
    }
}
