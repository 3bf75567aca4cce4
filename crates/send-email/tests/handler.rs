//! send-email with a fixed clock, a recording mailer, and the log outbox.

use app_core::domain::parse_rfc3339;
use app_core::ports::{Email, Mailer, Upstream};
use app_core::{JsonHandler, ManualClock, Task};
use async_trait::async_trait;
use send_email::{Outbox, SendEmail};
use serde_json::{json, Value};
use std::sync::Mutex;

#[derive(Default)]
struct FakeMailer {
    sent: Mutex<Vec<Email>>,
    fail: bool,
}

#[async_trait]
impl Mailer for FakeMailer {
    async fn send(&self, email: &Email) -> Result<String, Upstream> {
        if self.fail {
            return Err(Upstream("SES SendEmail failed: MessageRejected".into()));
        }
        self.sent.lock().unwrap().push(email.clone());
        Ok("0100018f-msg".into())
    }
}

const SENT: &str = "2026-04-01T09:00:01.250Z";

fn clock() -> ManualClock {
    ManualClock::new(parse_rfc3339(SENT).unwrap())
}

fn input() -> Value {
    json!({"jobId": "wu-1", "taskName": "water the plants", "startAt": "2026-04-01T09:00:00Z"})
}

#[tokio::test]
async fn sends_through_the_mailer_and_reports_lateness() {
    let h = Task(SendEmail::new(
        Outbox::Mail {
            mailer: FakeMailer::default(),
            to: "ops@example.com".into(),
        },
        clock(),
    ));
    let out = h.invoke_json(input(), Default::default()).await.unwrap();
    assert_eq!(
        out,
        json!({
            "jobId": "wu-1", "taskName": "water the plants",
            "scheduledAt": "2026-04-01T09:00:00.000Z", "sentAt": SENT,
            "latenessMs": 1250, "delivery": "ses", "messageId": "0100018f-msg"
        })
    );
    let Outbox::Mail { mailer, .. } = h.0.outbox() else {
        panic!("mail outbox")
    };
    let sent = mailer.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, "ops@example.com");
    assert!(sent[0].subject.contains("water the plants"));
    assert!(sent[0].body.contains("1250 ms"));
}

#[tokio::test]
async fn accepts_epoch_millis_start() {
    let h = Task(SendEmail::<FakeMailer, _>::new(Outbox::Log, clock()));
    let ms = parse_rfc3339("2026-04-01T09:00:00Z")
        .unwrap()
        .timestamp_millis();
    let out = h
        .invoke_json(
            json!({"jobId": "wu-2", "taskName": "t", "startAt": ms}),
            Default::default(),
        )
        .await
        .unwrap();
    assert_eq!(out["latenessMs"], 1250);
    assert_eq!(out["delivery"], "log");
    assert!(out.get("messageId").is_none());
}

#[tokio::test]
async fn named_errors() {
    let h = Task(SendEmail::<FakeMailer, _>::new(Outbox::Log, clock()));
    for bad in [
        json!({"jobId": "wu-1", "taskName": "t"}),
        json!({"jobId": "wu-1", "taskName": "t", "startAt": "soon"}),
        json!({"jobId": "wu-1", "taskName": " ", "startAt": 1}),
        json!({"jobId": "", "taskName": "t", "startAt": 1}),
    ] {
        let e = h
            .invoke_json(bad.clone(), Default::default())
            .await
            .unwrap_err();
        assert_eq!(e.error_type, "ValidationError", "{bad}");
    }
    let failing = Task(SendEmail::new(
        Outbox::Mail {
            mailer: FakeMailer {
                fail: true,
                ..Default::default()
            },
            to: "a@b.c".into(),
        },
        clock(),
    ));
    let e = failing
        .invoke_json(input(), Default::default())
        .await
        .unwrap_err();
    assert_eq!(e.error_type, "UpstreamError");
    assert!(e.error_message.contains("MessageRejected"));
}

#[tokio::test]
async fn json_handler_without_sender_logs() {
    let sdk = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build();
    let env = |k: &str| (k == "SENDER_ADDRESS").then(String::new);
    let h = send_email::json_handler(&sdk, &env, std::sync::Arc::new(app_core::SystemClock))
        .await
        .unwrap();
    let mut i = input();
    i["startAt"] = json!("2020-01-01T00:00:00Z");
    let out = h.invoke_json(i, Default::default()).await.unwrap();
    assert_eq!(out["delivery"], "log");
}

#[tokio::test(flavor = "current_thread")]
async fn log_outbox_writes_one_structured_record() {
    let capture = app_core::test_support::global_log_capture();
    let h = Task(SendEmail::<FakeMailer, _>::new(Outbox::Log, clock()));
    let mut i = input();
    i["jobId"] = json!("log-only-job");
    h.invoke_json(i, Default::default()).await.unwrap();
    let logs = capture.text();
    let records: Vec<Value> = logs
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|r: &Value| r["fields"]["job_id"] == "log-only-job")
        .collect();
    assert_eq!(records.len(), 1, "{logs}");
    let f = &records[0]["fields"];
    assert_eq!(f["lateness_ms"], 1250);
    assert_eq!(f["scheduled_at"], "2026-04-01T09:00:00.000Z");
    assert_eq!(f["sent_at"], SENT);
    assert!(f["subject"].as_str().unwrap().contains("water the plants"));
    assert!(f["body"].as_str().unwrap().contains("water the plants"));
}

/// The sample event in `events/` goes through the real `JsonHandler` path.
#[tokio::test]
async fn sample_event_is_understood() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events/send-email.json");
    let event: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let h = Task(SendEmail::<FakeMailer, _>::new(Outbox::Log, clock()));
    let out = h.invoke_json(event, Default::default()).await.unwrap();
    assert!(out["jobId"].is_string(), "{out}");
}
