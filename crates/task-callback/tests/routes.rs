//! The callback routes over in-memory fakes: token lookup, body validation, and how
//! Step Functions' answers map to HTTP.

use app_core::domain::{Job, JobStatus, TaskToken};
use app_core::fake::MemoryJobs;
use app_core::ports::{CallbackError, TaskCallbacks, Upstream};
use app_core::ApiHandler;
use async_trait::async_trait;
use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayProxyResponse};
use aws_lambda_events::encodings::Body;
use serde_json::{json, Value};
use std::sync::Mutex;
use task_callback::TaskCallback;

const SECRET: &str = "AQCEAAAAKgAAAAMAAAAAAAAAAdSECRETxyz";

#[derive(Debug, Clone, PartialEq)]
enum Call {
    Success(String, String),
    Failure(String, Option<String>, Option<String>),
    Heartbeat(String),
}

#[derive(Default)]
struct FakeSfn {
    calls: Mutex<Vec<Call>>,
    answer: Option<CallbackError>,
}

impl FakeSfn {
    fn answer(&self) -> Result<(), CallbackError> {
        self.answer.clone().map_or(Ok(()), Err)
    }
}

#[async_trait]
impl TaskCallbacks for FakeSfn {
    async fn send_success(&self, token: &TaskToken, output: &str) -> Result<(), CallbackError> {
        self.calls
            .lock()
            .unwrap()
            .push(Call::Success(token.expose().into(), output.into()));
        self.answer()
    }
    async fn send_failure(
        &self,
        token: &TaskToken,
        error: Option<&str>,
        cause: Option<&str>,
    ) -> Result<(), CallbackError> {
        self.calls.lock().unwrap().push(Call::Failure(
            token.expose().into(),
            error.map(Into::into),
            cause.map(Into::into),
        ));
        self.answer()
    }
    async fn send_heartbeat(&self, token: &TaskToken) -> Result<(), CallbackError> {
        self.calls
            .lock()
            .unwrap()
            .push(Call::Heartbeat(token.expose().into()));
        self.answer()
    }
}

fn jobs() -> MemoryJobs {
    let job = |id: &str, status: JobStatus, token: Option<&str>| Job {
        id: id.into(),
        process_status: Some(status),
        task_token: token.map(|t| TaskToken::new(t).unwrap()),
        ..Job::default()
    };
    MemoryJobs::with_jobs([
        job("w1", JobStatus::WaitingForCallback, Some(SECRET)),
        job("done", JobStatus::Completed, None),
        job("odd", JobStatus::WaitingForCallback, None),
    ])
}

type Handler = TaskCallback<MemoryJobs, FakeSfn>;

fn handler(answer: Option<CallbackError>) -> Handler {
    TaskCallback::new(
        jobs(),
        FakeSfn {
            answer,
            ..Default::default()
        },
    )
}

fn post(id: &str, action: &str, body: Option<&str>) -> ApiGatewayProxyRequest {
    serde_json::from_value(json!({
        "resource": format!("/jobs/{{id}}/{action}"),
        "path": format!("/jobs/{id}/{action}"),
        "httpMethod": "POST",
        "pathParameters": {"id": id},
        "body": body,
        "requestContext": {"httpMethod": "POST", "stage": "Prod"}
    }))
    .unwrap()
}

fn body(resp: &ApiGatewayProxyResponse) -> Value {
    match &resp.body {
        Some(Body::Text(t)) => serde_json::from_str(t).unwrap(),
        other => panic!("unexpected body {other:?}"),
    }
}

fn calls(h: &Handler) -> Vec<Call> {
    h.ports().1.calls.lock().unwrap().clone()
}

async fn expect(h: &Handler, req: ApiGatewayProxyRequest, code: i64, error: &str, mentions: &str) {
    let resp = h.handle(req).await;
    let v = body(&resp);
    assert_eq!(resp.status_code, code, "{v}");
    assert_eq!(v["error"], error, "{v}");
    assert!(v["message"].as_str().unwrap().contains(mentions), "{v}");
    assert!(!v.to_string().contains(SECRET));
}

#[tokio::test]
async fn success_sends_the_body_as_output() {
    let h = handler(None);
    let resp = h
        .handle(post("w1", "success", Some(r#"{"approved": true}"#)))
        .await;
    assert_eq!(resp.status_code, 200);
    assert_eq!(body(&resp), json!({"jobId": "w1", "result": "success"}));
    assert_eq!(
        calls(&h),
        [Call::Success(SECRET.into(), r#"{"approved":true}"#.into())]
    );
    // empty body -> {}
    h.handle(post("w1", "success", None)).await;
    assert_eq!(calls(&h)[1], Call::Success(SECRET.into(), "{}".into()));
    // any JSON value is a valid output
    h.handle(post("w1", "success", Some("[1,2]"))).await;
    assert_eq!(calls(&h)[2], Call::Success(SECRET.into(), "[1,2]".into()));
}

#[tokio::test]
async fn failure_and_heartbeat() {
    let h = handler(None);
    let resp = h
        .handle(post(
            "w1",
            "failure",
            Some(r#"{"error":"Rejected","cause":"out of stock"}"#),
        ))
        .await;
    assert_eq!(resp.status_code, 200);
    assert_eq!(body(&resp)["result"], "failure");
    assert_eq!(
        calls(&h)[0],
        Call::Failure(
            SECRET.into(),
            Some("Rejected".into()),
            Some("out of stock".into())
        )
    );
    h.handle(post("w1", "failure", None)).await;
    assert_eq!(calls(&h)[1], Call::Failure(SECRET.into(), None, None));
    let resp = h.handle(post("w1", "heartbeat", None)).await;
    assert_eq!(resp.status_code, 200);
    assert_eq!(body(&resp)["result"], "heartbeat");
    assert_eq!(calls(&h)[2], Call::Heartbeat(SECRET.into()));
    assert_eq!(
        h.handle(post("w1", "heartbeat", Some("{}")))
            .await
            .status_code,
        200
    );
}

#[tokio::test]
async fn bad_bodies_are_400_before_any_call() {
    let h = handler(None);
    expect(
        &h,
        post("w1", "success", Some("{oops")),
        400,
        "InvalidJson",
        "JSON",
    )
    .await;
    expect(
        &h,
        post("w1", "failure", Some(r#"{"error":1}"#)),
        400,
        "InvalidField",
        "error",
    )
    .await;
    expect(
        &h,
        post("w1", "failure", Some(r#"{"reason":"x"}"#)),
        400,
        "UnknownField",
        "reason",
    )
    .await;
    expect(
        &h,
        post("w1", "failure", Some("[]")),
        400,
        "InvalidJson",
        "object",
    )
    .await;
    let long_error = json!({"error": "e".repeat(257)}).to_string();
    expect(
        &h,
        post("w1", "failure", Some(&long_error)),
        400,
        "InvalidField",
        "256",
    )
    .await;
    let ok_error = json!({"error": "e".repeat(256), "cause": "c".repeat(30000)}).to_string();
    assert_eq!(
        h.handle(post("w1", "failure", Some(&ok_error)))
            .await
            .status_code,
        200
    );
    let big = json!({"x": "y".repeat(40000)}).to_string();
    expect(
        &h,
        post("w1", "success", Some(&big)),
        400,
        "PayloadTooLarge",
        "32768",
    )
    .await;
    expect(
        &h,
        post("w1", "heartbeat", Some(r#"{"a":1}"#)),
        400,
        "InvalidJson",
        "heartbeat",
    )
    .await;
    expect(&h, post("a/b", "success", None), 400, "InvalidField", "id").await;
    assert_eq!(
        calls(&h).len(),
        1,
        "only the valid failure reached Step Functions"
    );
}

#[tokio::test]
async fn job_state_errors() {
    let h = handler(None);
    expect(&h, post("nope", "success", None), 404, "NotFound", "nope").await;
    expect(
        &h,
        post("done", "success", None),
        409,
        "NotWaiting",
        "COMPLETED",
    )
    .await;
    expect(
        &h,
        post("odd", "heartbeat", None),
        409,
        "NotWaiting",
        "no token",
    )
    .await;
    assert!(calls(&h).is_empty());
}

#[tokio::test]
async fn step_functions_refusals_map_to_409_410_502() {
    let cases = [
        (
            CallbackError::TaskTimedOut("Task Timed Out".into()),
            410,
            "TokenRejected",
            "timed out",
        ),
        (
            CallbackError::TaskDoesNotExist("gone".into()),
            410,
            "TokenRejected",
            "no longer exists",
        ),
        (
            CallbackError::InvalidToken("bad".into()),
            409,
            "TokenRejected",
            "not valid",
        ),
        (
            CallbackError::Upstream(Upstream("throttled".into())),
            502,
            "Upstream",
            "throttled",
        ),
        (
            CallbackError::InvalidOutput("too big".into()),
            400,
            "InvalidField",
            "output",
        ),
    ];
    for (answer, code, error, mentions) in cases {
        let h = handler(Some(answer));
        expect(&h, post("w1", "success", None), code, error, mentions).await;
    }
    let h = handler(Some(CallbackError::TaskTimedOut("late".into())));
    expect(
        &h,
        post("w1", "heartbeat", None),
        410,
        "TokenRejected",
        "w1",
    )
    .await;
}

#[tokio::test]
async fn unknown_routes() {
    let h = handler(None);
    expect(&h, post("w1", "cancel", None), 404, "NotFound", "cancel").await;
    let mut get = post("w1", "success", None);
    get.http_method = aws_lambda_events::http::Method::GET;
    expect(&h, get, 404, "NotFound", "GET").await;
}

#[tokio::test(flavor = "current_thread")]
async fn logs_never_contain_the_token() {
    let capture = app_core::test_support::global_log_capture();
    for answer in [
        None,
        Some(CallbackError::InvalidToken("Invalid token".into())),
    ] {
        let h = handler(answer);
        h.handle(post("w1", "success", None)).await;
        h.handle(post("w1", "failure", None)).await;
        h.handle(post("w1", "heartbeat", None)).await;
    }
    let logs = capture.text();
    assert!(logs.contains("token_hash"), "logs carry the hash: {logs}");
    assert!(logs.contains(&TaskToken::new(SECRET).unwrap().short_hash()));
    assert!(!logs.contains(SECRET), "token leaked into logs");
}

#[tokio::test]
async fn json_handler_needs_its_configuration() {
    let sdk = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build();
    let full = |k: &str| match k {
        "CALLBACK_MODE" => Some("external".to_string()),
        "MAX_AHEAD_DAYS" => Some("365".to_string()),
        _ => Some(format!(
            "arn:aws:states:us-east-1:123456789012:stateMachine:{k}"
        )),
    };
    assert!(task_callback::json_handler(&sdk, &full).await.is_ok());
    let missing = move |k: &str| (k != "JOBS_TABLE").then(|| full(k)).flatten();
    match task_callback::json_handler(&sdk, &missing).await {
        Err(e) => assert_eq!(e, app_core::ConfigError::Missing("JOBS_TABLE"), "{e}"),
        Ok(_) => panic!("JOBS_TABLE is required"),
    }
}

/// The sample events in `events/` go through the real `JsonHandler` path.
#[tokio::test]
async fn sample_events_are_understood() {
    use app_core::{Api, JsonHandler};
    let jobs = jobs();
    jobs.put(Job {
        id: "approve-o-1234".into(),
        process_status: Some(JobStatus::WaitingForCallback),
        task_token: Some(TaskToken::new(SECRET).unwrap()),
        ..Job::default()
    });
    let h = Api(TaskCallback::new(jobs, FakeSfn::default()));
    let mut seen = 0;
    for (name, event) in app_core::test_support::sample_events("task-callback") {
        seen += 1;
        let out = h.invoke_json(event, Default::default()).await.unwrap();
        assert_eq!(out["statusCode"], 200, "{name}: {out}");
    }
    assert!(seen >= 3, "found only {seen} task-callback events");
}
