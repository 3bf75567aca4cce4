//! send-token with a seeded random source and a recording Step Functions fake.

use app_core::domain::TaskToken;
use app_core::ports::{CallbackError, Random, TaskCallbacks, Upstream};
use app_core::{JsonHandler, Task};
use async_trait::async_trait;
use send_token::{SeededRandom, SendToken};
use serde_json::{json, Value};
use std::sync::Mutex;

const SECRET: &str = "AAAAKgAAAAIAAAAAAAAAAW-send-token-secret";

#[derive(Debug, Clone, PartialEq)]
enum Call {
    Success(Value),
    Failure(Option<String>, Option<String>),
}

#[derive(Default)]
struct FakeSfn {
    calls: Mutex<Vec<Call>>,
    tokens: Mutex<Vec<String>>,
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
        self.tokens.lock().unwrap().push(token.expose().into());
        self.calls
            .lock()
            .unwrap()
            .push(Call::Success(serde_json::from_str(output).unwrap()));
        self.answer()
    }
    async fn send_failure(
        &self,
        token: &TaskToken,
        error: Option<&str>,
        cause: Option<&str>,
    ) -> Result<(), CallbackError> {
        self.tokens.lock().unwrap().push(token.expose().into());
        self.calls
            .lock()
            .unwrap()
            .push(Call::Failure(error.map(Into::into), cause.map(Into::into)));
        self.answer()
    }
    async fn send_heartbeat(&self, _: &TaskToken) -> Result<(), CallbackError> {
        unreachable!("send-token never sends heartbeats")
    }
}

/// Always draws the same number.
struct Constant(f64);

impl Random for Constant {
    fn next_f64(&self) -> f64 {
        self.0
    }
}

fn input(extra: Value) -> Value {
    let mut v = json!({"token": SECRET, "jobId": "cb-1"});
    if let (Some(m), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        m.extend(e.clone());
    }
    v
}

#[tokio::test]
async fn success_and_failure_payloads() {
    let h = Task(SendToken::new(FakeSfn::default(), Constant(0.2), 0.5));
    let out = h
        .invoke_json(input(json!({})), Default::default())
        .await
        .unwrap();
    assert_eq!(out["outcome"], "success");
    assert_eq!(
        out["tokenHash"],
        TaskToken::new(SECRET).unwrap().short_hash()
    );
    let out = h
        .invoke_json(input(json!({"successRatio": 0.1})), Default::default())
        .await
        .unwrap();
    assert_eq!(out["outcome"], "failure");
    let calls = h.0.ports().0.calls.lock().unwrap().clone();
    assert_eq!(*h.0.ports().0.tokens.lock().unwrap(), [SECRET, SECRET]);
    assert_eq!(
        calls[0],
        Call::Success(json!({"jobId": "cb-1", "result": "success", "respondedBy": "send-token"}))
    );
    match &calls[1] {
        Call::Failure(Some(error), Some(cause)) => {
            assert_eq!(error, "RandomFailure");
            assert!(cause.contains("cb-1"), "{cause}");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn ratio_edges() {
    let always = Task(SendToken::new(FakeSfn::default(), Constant(0.999_999), 1.0));
    assert_eq!(
        always
            .invoke_json(input(json!({})), Default::default())
            .await
            .unwrap()["outcome"],
        "success"
    );
    let never = Task(SendToken::new(FakeSfn::default(), Constant(0.0), 0.0));
    assert_eq!(
        never
            .invoke_json(input(json!({})), Default::default())
            .await
            .unwrap()["outcome"],
        "failure"
    );
}

#[tokio::test]
async fn seeded_success_ratio_is_close_to_configured() {
    for ratio in [0.2, 0.5, 0.8] {
        let h = Task(SendToken::new(
            FakeSfn::default(),
            SeededRandom::seeded(7),
            ratio,
        ));
        let n = 2000;
        let mut successes = 0;
        for _ in 0..n {
            let out = h
                .invoke_json(input(json!({})), Default::default())
                .await
                .unwrap();
            successes += usize::from(out["outcome"] == "success");
        }
        let observed = successes as f64 / n as f64;
        assert!(
            (observed - ratio).abs() < 0.04,
            "ratio {ratio}: observed {observed}"
        );
        let calls = h.0.ports().0.calls.lock().unwrap().len();
        assert_eq!(calls, n, "one SendTask* call per invocation");
    }
    // same seed, same sequence
    let a: Vec<f64> = (0..5)
        .map({
            let r = SeededRandom::seeded(1);
            move |_| r.next_f64()
        })
        .collect();
    let b: Vec<f64> = (0..5)
        .map({
            let r = SeededRandom::seeded(1);
            move |_| r.next_f64()
        })
        .collect();
    assert_eq!(a, b);
}

#[tokio::test]
async fn named_errors() {
    let h = Task(SendToken::new(FakeSfn::default(), Constant(0.1), 0.5));
    for bad in [
        input(json!({"successRatio": 1.5})),
        input(json!({"successRatio": -0.1})),
        input(json!({"successRatio": "half"})),
        input(json!({"jobId": ""})),
        json!({"jobId": "x"}),
    ] {
        let e = h
            .invoke_json(bad.clone(), Default::default())
            .await
            .unwrap_err();
        assert_eq!(e.error_type, "ValidationError", "{bad}");
    }
    let cases = [
        (CallbackError::TaskTimedOut("late".into()), "TokenRejected"),
        (CallbackError::InvalidToken("bad".into()), "TokenRejected"),
        (
            CallbackError::Upstream(Upstream("throttled".into())),
            "UpstreamError",
        ),
    ];
    for (answer, expected) in cases {
        let h = Task(SendToken::new(
            FakeSfn {
                answer: Some(answer),
                ..Default::default()
            },
            Constant(0.1),
            0.5,
        ));
        let e = h
            .invoke_json(input(json!({})), Default::default())
            .await
            .unwrap_err();
        assert_eq!(e.error_type, expected);
        assert!(!e.error_message.contains(SECRET));
    }
}

#[test]
fn success_ratio_config() {
    let env = |v: &'static str| move |k: &str| (k == "SUCCESS_RATIO").then(|| v.to_string());
    assert_eq!(send_token::success_ratio_from(&env("0.25")).unwrap(), 0.25);
    assert_eq!(send_token::success_ratio_from(&env("")).unwrap(), 0.5);
    assert!(send_token::success_ratio_from(&env("2"))
        .unwrap_err()
        .to_string()
        .contains("SUCCESS_RATIO"));
    assert!(send_token::success_ratio_from(&env("x")).is_err());
}

#[tokio::test(flavor = "current_thread")]
async fn logs_never_contain_the_token() {
    let capture = app_core::test_support::global_log_capture();
    let ok = Task(SendToken::new(
        FakeSfn::default(),
        SeededRandom::seeded(3),
        0.5,
    ));
    for _ in 0..4 {
        ok.invoke_json(input(json!({})), Default::default())
            .await
            .unwrap();
    }
    let failing = Task(SendToken::new(
        FakeSfn {
            answer: Some(CallbackError::InvalidToken("x".into())),
            ..Default::default()
        },
        Constant(0.1),
        0.5,
    ));
    let _ = failing
        .invoke_json(input(json!({})), Default::default())
        .await;
    let logs = capture.text();
    assert!(logs.contains("token_hash"), "{logs}");
    assert!(!logs.contains(SECRET), "token leaked: {logs}");
}

#[tokio::test]
async fn json_handler_checks_success_ratio() {
    let sdk = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build();
    assert!(send_token::json_handler(&sdk, &|_: &str| None)
        .await
        .is_ok());
    let bad = |k: &str| (k == "SUCCESS_RATIO").then(|| "1.5".to_string());
    match send_token::json_handler(&sdk, &bad).await {
        Err(e) => assert!(e.to_string().contains("SUCCESS_RATIO"), "{e}"),
        Ok(_) => panic!("1.5 is not a probability"),
    }
}

/// The sample event in `events/` goes through the real `JsonHandler` path.
#[tokio::test]
async fn sample_event_is_understood() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events/send-token.json");
    let event: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let h = Task(SendToken::new(FakeSfn::default(), Constant(0.1), 0.5));
    let out = h.invoke_json(event, Default::default()).await.unwrap();
    assert!(out["jobId"].is_string(), "{out}");
}
