//! The start routes over in-memory fakes that follow Step Functions' naming rules.

use app_core::domain::{parse_rfc3339, ExecutionName};
use app_core::fake::MemoryJobs;
use app_core::ports::{
    execution_arn, ExecutionStarter, StartError, StartRequest, Started, Upstream,
};
use app_core::requests::CallbackMode;
use app_core::{ApiHandler, ManualClock};
use async_trait::async_trait;
use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayProxyResponse};
use aws_lambda_events::encodings::Body;
use serde_json::{json, Value};
use start_execution::{Config, StartExecution};
use std::collections::HashMap;
use std::sync::Mutex;

const NOW: &str = "2026-06-01T12:00:00Z";

/// StartExecution semantics: same name + same input -> the same execution; same name
/// with another input (or after it finished) -> ExecutionAlreadyExists.
#[derive(Default)]
struct FakeSfn {
    executions: Mutex<HashMap<String, String>>,
    calls: Mutex<Vec<StartRequest>>,
    fail: bool,
}

#[async_trait]
impl ExecutionStarter for FakeSfn {
    async fn start_execution(&self, request: &StartRequest) -> Result<Started, StartError> {
        self.calls.lock().unwrap().push(request.clone());
        if self.fail {
            return Err(Upstream("throttled".into()).into());
        }
        let mut executions = self.executions.lock().unwrap();
        let key = format!("{}|{}", request.state_machine_arn, request.name);
        match executions.get(&key) {
            Some(input) if *input != request.input => return Err(StartError::AlreadyExists),
            Some(_) => {}
            None => {
                executions.insert(key, request.input.clone());
            }
        }
        Ok(Started {
            execution_arn: execution_arn(&request.state_machine_arn, &request.name),
            start_date: parse_rfc3339(NOW).unwrap(),
        })
    }
}

fn config() -> Config {
    Config {
        jobs_table: "Jobs".into(),
        wait_until_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:WaitUntil".into(),
        waitable_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:Waitable".into(),
        callback_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:Callback".into(),
        callback_mode: CallbackMode::External,
        max_ahead_days: 365,
    }
}

type Handler = StartExecution<FakeSfn, MemoryJobs, ManualClock>;

fn handler() -> Handler {
    handler_with(FakeSfn::default(), MemoryJobs::new())
}

fn handler_with(sfn: FakeSfn, rec: MemoryJobs) -> Handler {
    StartExecution::new(
        config(),
        sfn,
        rec,
        ManualClock::new(parse_rfc3339(NOW).unwrap()),
    )
}

fn request(method: &str, path: &str, body: Option<&str>, headers: Value) -> ApiGatewayProxyRequest {
    serde_json::from_value(json!({
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "body": body,
        "requestContext": {"httpMethod": method, "stage": "Prod"}
    }))
    .unwrap()
}

fn post(path: &str, body: &str) -> ApiGatewayProxyRequest {
    request("POST", path, Some(body), json!({"Host": "api.example.com"}))
}

fn json_body(resp: &ApiGatewayProxyResponse) -> Value {
    match &resp.body {
        Some(Body::Text(t)) => serde_json::from_str(t).unwrap(),
        other => panic!("unexpected body {other:?}"),
    }
}

async fn expect_error(
    h: &Handler,
    req: ApiGatewayProxyRequest,
    status: i64,
    error: &str,
    mentions: &str,
) {
    let resp = h.handle(req).await;
    let body = json_body(&resp);
    assert_eq!(resp.status_code, status, "{body}");
    assert_eq!(body["error"], error, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains(mentions),
        "{message:?} should mention {mentions:?}"
    );
}

#[tokio::test]
async fn start_wait_until() {
    let h = handler();
    let resp = h
        .handle(post(
            "/start",
            r#"{"taskName":"report","startAt":"2026-06-02T00:00:00Z","name":"wu-1"}"#,
        ))
        .await;
    assert_eq!(resp.status_code, 202);
    let body = json_body(&resp);
    assert_eq!(body["jobId"], "wu-1");
    assert_eq!(
        body["executionArn"],
        "arn:aws:states:us-east-1:123456789012:execution:WaitUntil:wu-1"
    );
    assert_eq!(body["statusUrl"], "https://api.example.com/Prod/jobs/wu-1");
    assert_eq!(body["startDate"], "2026-06-01T12:00:00.000Z");
    assert!(body["message"].as_str().unwrap().contains("report"));

    let calls = h_calls(&h);
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].state_machine_arn, config().wait_until_arn);
    let input: Value = serde_json::from_str(&calls[0].input).unwrap();
    assert_eq!(
        input,
        json!({"jobId": "wu-1", "taskName": "report", "startAt": "2026-06-02T00:00:00.000Z"})
    );
}

fn h_calls(h: &Handler) -> Vec<StartRequest> {
    // The handler owns its ports; reach them through a second request-free path:
    // the fakes are inspected via the recorder/sfn references kept by the test.
    h.ports().0.calls.lock().unwrap().clone()
}

#[tokio::test]
async fn start_wait_until_with_epoch_millis() {
    let h = handler();
    let at = parse_rfc3339("2026-06-01T13:00:00Z")
        .unwrap()
        .timestamp_millis();
    let resp = h
        .handle(post(
            "/start",
            &format!(r#"{{"taskName":"t","startAt":{at}}}"#),
        ))
        .await;
    assert_eq!(resp.status_code, 202, "{}", json_body(&resp));
    let input: Value = serde_json::from_str(&h_calls(&h)[0].input).unwrap();
    assert_eq!(input["startAt"], "2026-06-01T13:00:00.000Z");
}

#[tokio::test]
async fn start_job_message_and_record() {
    let h = handler();
    let resp = h
        .handle(request(
            "POST",
            "/jobs",
            Some(r#"{"StartTimestamp":"2026-06-25T17:47:00Z"}"#),
            json!({"Host": "api.example.com", "Idempotency-Key": "job-7"}),
        ))
        .await;
    assert_eq!(resp.status_code, 202);
    let body = json_body(&resp);
    assert_eq!(
        body["message"],
        "Job Id job-7 started successfully. For additional information on process status use GET /status."
    );
    let input: Value = serde_json::from_str(&h_calls(&h)[0].input).unwrap();
    assert_eq!(
        input,
        json!({"jobId": "job-7", "StartTimestamp": "2026-06-25T17:47:00.000Z"})
    );
    let jobs = h.ports().1.jobs();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].id.as_str(), "job-7");
    assert_eq!(jobs[0].pattern, Some(app_core::Pattern::Waitable));
    assert_eq!(
        jobs[0].execution_arn.as_deref(),
        body["executionArn"].as_str()
    );
}

#[tokio::test]
async fn start_callback_defaults_and_mode() {
    let h = handler();
    let resp = h
        .handle(request("POST", "/callbacks", None, json!({})))
        .await;
    assert_eq!(resp.status_code, 202, "{}", json_body(&resp));
    let jid = json_body(&resp)["jobId"].as_str().unwrap().to_owned();
    assert!(
        ExecutionName::parse(&jid).is_ok(),
        "generated name {jid} is valid"
    );
    let input: Value = serde_json::from_str(&h_calls(&h)[0].input).unwrap();
    assert_eq!(
        input,
        json!({"jobId": jid, "mode": "external", "input": {}})
    );

    let resp = h
        .handle(post("/callbacks", r#"{"mode":"auto","input":{"order":1}}"#))
        .await;
    assert_eq!(resp.status_code, 202);
    let input: Value = serde_json::from_str(&h_calls(&h)[1].input).unwrap();
    assert_eq!(input["mode"], "auto");
    assert_eq!(input["input"], json!({"order": 1}));
    assert_eq!(h_calls(&h)[1].state_machine_arn, config().callback_arn);
}

#[tokio::test]
async fn idempotent_repeat_is_the_same_execution() {
    let h = handler();
    let req = || {
        request(
            "POST",
            "/jobs",
            Some(r#"{"StartTimestamp":"2026-06-25T17:47:00Z"}"#),
            json!({"Idempotency-Key": "same"}),
        )
    };
    let a = json_body(&h.handle(req()).await);
    let b = json_body(&h.handle(req()).await);
    assert_eq!(a["executionArn"], b["executionArn"]);
    let calls = h_calls(&h);
    assert_eq!(calls[0].name, calls[1].name);
    assert_eq!(calls[0].input, calls[1].input, "byte-identical input");
    // the name field works the same way
    let c = json_body(
        &h.handle(post("/callbacks", r#"{"name":"cb","input":{"b":1,"a":2}}"#))
            .await,
    );
    let d = json_body(
        &h.handle(post("/callbacks", r#"{"name":"cb","input":{"b":1,"a":2}}"#))
            .await,
    );
    assert_eq!(c["executionArn"], d["executionArn"]);
    let calls = h_calls(&h);
    assert_eq!(calls[2].input, calls[3].input);
}

#[tokio::test]
async fn execution_already_exists_answers_200_with_the_arn() {
    let h = handler();
    let first = h
        .handle(post(
            "/start",
            r#"{"taskName":"a","startAt":"2026-06-02T00:00:00Z","name":"dup"}"#,
        ))
        .await;
    assert_eq!(first.status_code, 202);
    let second = h
        .handle(post(
            "/start",
            r#"{"taskName":"b","startAt":"2026-06-02T00:00:00Z","name":"dup"}"#,
        ))
        .await;
    assert_eq!(second.status_code, 200);
    let body = json_body(&second);
    assert_eq!(body["executionArn"], json_body(&first)["executionArn"]);
    assert_eq!(body["jobId"], "dup");
    assert!(body["message"].as_str().unwrap().contains("already exists"));
}

#[tokio::test]
async fn upstream_failure_is_502_not_the_clients_fault() {
    let h = handler_with(
        FakeSfn {
            fail: true,
            ..Default::default()
        },
        MemoryJobs::new(),
    );
    let resp = h.handle(post("/callbacks", "{}")).await;
    assert_eq!(resp.status_code, 502);
    assert_eq!(json_body(&resp)["error"], "Upstream");
}

#[tokio::test]
async fn record_failure_does_not_fail_the_start() {
    let h = handler_with(FakeSfn::default(), MemoryJobs::failing("denied"));
    let resp = h.handle(post("/callbacks", "{}")).await;
    assert_eq!(resp.status_code, 202);
}

#[tokio::test]
async fn bad_input_is_400_naming_the_problem() {
    let h = handler();
    expect_error(&h, post("/start", "{not json"), 400, "InvalidJson", "JSON").await;
    expect_error(
        &h,
        post("/start", r#"{"startAt":"2026-06-02T00:00:00Z"}"#),
        400,
        "MissingField",
        "taskName",
    )
    .await;
    expect_error(
        &h,
        post("/start", r#"{"taskName":"t"}"#),
        400,
        "MissingField",
        "startAt",
    )
    .await;
    expect_error(
        &h,
        post(
            "/start",
            r#"{"taskName":"t","startAt":"2026-06-02T00:00:00Z","extra":1}"#,
        ),
        400,
        "UnknownField",
        "extra",
    )
    .await;
    expect_error(
        &h,
        post(
            "/start",
            r#"{"taskName":"t","startAt":"2026-05-31T00:00:00Z"}"#,
        ),
        400,
        "InvalidField",
        "past",
    )
    .await;
    expect_error(
        &h,
        post(
            "/start",
            r#"{"taskName":"t","startAt":"2027-06-02T12:00:01Z"}"#,
        ),
        400,
        "InvalidField",
        "365 days",
    )
    .await;
    expect_error(
        &h,
        post("/start", r#"{"taskName":"t","startAt":"next week"}"#),
        400,
        "InvalidField",
        "startAt",
    )
    .await;
    expect_error(
        &h,
        post(
            "/start",
            r#"{"taskName":"t","startAt":"2026-06-02T00:00:00Z","name":"no spaces"}"#,
        ),
        400,
        "InvalidField",
        "name",
    )
    .await;
    expect_error(
        &h,
        post("/jobs", r#"{}"#),
        400,
        "MissingField",
        "StartTimestamp",
    )
    .await;
    expect_error(
        &h,
        post("/jobs", r#"{"StartTimestamp":"2020-01-01T00:00:00Z"}"#),
        400,
        "InvalidField",
        "past",
    )
    .await;
    expect_error(
        &h,
        post(
            "/jobs",
            r#"{"StartTimestamp":"2026-06-25T17:47:00Z","taskName":"x"}"#,
        ),
        400,
        "UnknownField",
        "taskName",
    )
    .await;
    expect_error(&h, post("/jobs", ""), 400, "InvalidJson", "empty").await;
    expect_error(
        &h,
        post("/callbacks", r#"{"mode":"later"}"#),
        400,
        "InvalidField",
        "mode",
    )
    .await;
    expect_error(
        &h,
        post("/callbacks", r#"[]"#),
        400,
        "InvalidJson",
        "object",
    )
    .await;
    let big = format!(r#"{{"input":"{}"}}"#, "x".repeat(33 * 1024));
    expect_error(
        &h,
        post("/callbacks", &big),
        400,
        "PayloadTooLarge",
        "32768",
    )
    .await;
    let bad_key = request(
        "POST",
        "/callbacks",
        Some("{}"),
        json!({"Idempotency-Key": "a/b"}),
    );
    expect_error(&h, bad_key, 400, "InvalidField", "Idempotency-Key").await;
    assert!(h_calls(&h).is_empty(), "no execution started for bad input");
}

#[tokio::test]
async fn max_ahead_days_comes_from_config() {
    let mut c = config();
    c.max_ahead_days = 1;
    let h = StartExecution::new(
        c,
        FakeSfn::default(),
        MemoryJobs::new(),
        ManualClock::new(parse_rfc3339(NOW).unwrap()),
    );
    expect_error(
        &h,
        post(
            "/start",
            r#"{"taskName":"t","startAt":"2026-06-02T12:00:01Z"}"#,
        ),
        400,
        "InvalidField",
        "1 days",
    )
    .await;
}

#[tokio::test]
async fn unknown_routes_are_404_json() {
    let h = handler();
    expect_error(
        &h,
        request("GET", "/start", None, json!({})),
        404,
        "NotFound",
        "GET /start",
    )
    .await;
    expect_error(&h, post("/nope", "{}"), 404, "NotFound", "/nope").await;
}

#[tokio::test]
async fn json_handler_interface_and_invalid_event() {
    use app_core::{Api, JsonHandler};
    let h = Api(handler());
    let event = serde_json::to_value(post("/callbacks", "{}")).unwrap();
    let out = h.invoke_json(event, Default::default()).await.unwrap();
    assert_eq!(out["statusCode"], 202);
    let err = h
        .invoke_json(json!({"hello": 1}), Default::default())
        .await
        .unwrap_err();
    assert_eq!(err.error_type, "InvalidEvent");
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
    assert!(
        start_execution::json_handler(&sdk, &full, std::sync::Arc::new(app_core::SystemClock))
            .await
            .is_ok()
    );
    let missing = move |k: &str| {
        (k != "WAITABLE_STATE_MACHINE_ARN")
            .then(|| full(k))
            .flatten()
    };
    match start_execution::json_handler(&sdk, &missing, std::sync::Arc::new(app_core::SystemClock))
        .await
    {
        Err(e) => assert_eq!(
            e,
            app_core::ConfigError::Missing("WAITABLE_STATE_MACHINE_ARN"),
            "{e}"
        ),
        Ok(_) => panic!("WAITABLE_STATE_MACHINE_ARN is required"),
    }
}

/// The sample events in `events/` (shared with `sam local invoke` and the local
/// runtime) go through the real `JsonHandler` path: `*malformed*` ones are 400,
/// every other one is accepted.
#[tokio::test]
async fn sample_events_are_understood() {
    use app_core::{Api, JsonHandler};
    let h = Api(StartExecution::new(
        config(),
        FakeSfn::default(),
        MemoryJobs::new(),
        ManualClock::new(parse_rfc3339("2026-11-21T00:00:00Z").unwrap()),
    ));
    let mut seen = 0;
    for (name, event) in app_core::test_support::sample_events("start-execution") {
        seen += 1;
        let out = h.invoke_json(event, Default::default()).await.unwrap();
        let expected = if name.contains("malformed") { 400 } else { 202 };
        assert_eq!(out["statusCode"], expected, "{name}: {out}");
    }
    assert!(
        seen >= 3,
        "found only {seen} start-execution events in events/"
    );
}
