//! send-wait over an in-memory token store.

use app_core::domain::{parse_rfc3339, JobStatus, TaskToken};
use app_core::fake::MemoryJobs;
use app_core::{JsonHandler, ManualClock, Pattern, Task};
use send_wait::SendWait;
use serde_json::json;

const SECRET: &str = "AAAAKgAAAAIAAAAAAAAAAW-the-whole-secret-token";

const NOW: &str = "2026-03-01T10:00:00Z";

fn handler(fail: bool) -> Task<SendWait<MemoryJobs, ManualClock>> {
    let store = if fail {
        MemoryJobs::failing("AccessDenied")
    } else {
        MemoryJobs::new()
    };
    Task(SendWait::new(
        store,
        ManualClock::new(parse_rfc3339(NOW).unwrap()),
    ))
}

#[tokio::test]
async fn stores_token_and_returns_its_hash() {
    let h = handler(false);
    let out = h
        .invoke_json(
            json!({"token": SECRET, "jobId": "cb-1"}),
            Default::default(),
        )
        .await
        .unwrap();
    let hash = TaskToken::new(SECRET).unwrap().short_hash();
    assert_eq!(out, json!({"jobId": "cb-1", "tokenHash": hash}));
    assert_eq!(hash.len(), 12);
    let stored = h.0.store().jobs();
    assert_eq!(stored.len(), 1);
    let job = &stored[0];
    assert_eq!(job.id, "cb-1");
    assert_eq!(job.task_token.as_ref().map(TaskToken::expose), Some(SECRET));
    assert_eq!(job.process_status, Some(JobStatus::WaitingForCallback));
    assert_eq!(
        job.last_updated.as_deref(),
        Some("2026-03-01T10:00:00.000Z")
    );
    assert_eq!(job.pattern, Some(Pattern::Callback));
}

#[tokio::test]
async fn named_errors() {
    let h = handler(false);
    for bad in [
        json!({"jobId": "cb-1"}),
        json!({"token": SECRET}),
        json!({"token": "", "jobId": "x"}),
        json!({"token": SECRET, "jobId": "a/b"}),
        json!("text"),
    ] {
        let e = h
            .invoke_json(bad.clone(), Default::default())
            .await
            .unwrap_err();
        assert_eq!(e.error_type, "ValidationError", "{bad}");
        assert!(!e.error_message.contains(SECRET));
    }
    let e = handler(true)
        .invoke_json(
            json!({"token": SECRET, "jobId": "cb-1"}),
            Default::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.error_type, "UpstreamError");
    assert!(e.error_message.contains("AccessDenied"));
}

#[tokio::test(flavor = "current_thread")]
async fn logs_show_the_hash_and_how_to_complete_never_the_token() {
    let capture = app_core::test_support::global_log_capture();
    handler(false)
        .invoke_json(
            json!({"token": SECRET, "jobId": "cb-9"}),
            Default::default(),
        )
        .await
        .unwrap();
    let _ = handler(true)
        .invoke_json(
            json!({"token": SECRET, "jobId": "cb-9"}),
            Default::default(),
        )
        .await;
    let input: send_wait::Input =
        serde_json::from_value(json!({"token": SECRET, "jobId": "x"})).unwrap();
    tracing::info!(?input, "debug of the input");
    let logs = capture.text();
    assert!(logs.contains("POST /jobs/cb-9/success"), "{logs}");
    assert!(logs.contains(&TaskToken::new(SECRET).unwrap().short_hash()));
    assert!(!logs.contains(SECRET), "token leaked: {logs}");
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
        send_wait::json_handler(&sdk, &full, std::sync::Arc::new(app_core::SystemClock))
            .await
            .is_ok()
    );
    let missing = move |k: &str| (k != "JOBS_TABLE").then(|| full(k)).flatten();
    match send_wait::json_handler(&sdk, &missing, std::sync::Arc::new(app_core::SystemClock)).await
    {
        Err(e) => assert_eq!(e, app_core::ConfigError::Missing("JOBS_TABLE"), "{e}"),
        Ok(_) => panic!("JOBS_TABLE is required"),
    }
}

/// The sample event in `events/` goes through the real `JsonHandler` path.
#[tokio::test]
async fn sample_event_is_understood() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events/send-wait.json");
    let event: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let h = Task(SendWait::new(
        MemoryJobs::new(),
        ManualClock::new(parse_rfc3339(NOW).unwrap()),
    ));
    let out = h.invoke_json(event, Default::default()).await.unwrap();
    assert!(out["jobId"].is_string(), "{out}");
}
