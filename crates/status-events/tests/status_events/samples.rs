//! The sample status-change events in `events/` parse and record as documented.

use std::sync::Arc;

use app_core::ManualClock;
use chrono::Utc;
use serde_json::Value;
use status_events::{Handler, StatusTracker};

fn sample(name: &str) -> Value {
    let path = format!("{}/../../events/{name}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}")))
        .unwrap()
}

#[tokio::test]
async fn samples_record_the_documented_status() {
    for (events, expected) in [
        (&["running"][..], "RUNNING"),
        (&["succeeded", "running"][..], "SUCCEEDED"),
        (&["running", "aborted"][..], "ABORTED"),
        (&["cancelled"][..], "CANCELLED"),
    ] {
        let (table, _) = crate::fake::shared();
        let h = Handler {
            tracker: StatusTracker {
                store: table.clone(),
                notifier: None,
                machines: vec![],
                clock: Arc::new(ManualClock::new(Utc::now())),
                retention_days: None,
            },
        };
        // The callback machine writes the record before its execution's events arrive.
        crate::fake::put(
            &table,
            "order-1234-ship",
            serde_json::json!({"ProcessStatus": "WAITING_FOR_CALLBACK"}),
        );
        for e in events {
            h.invoke_json(sample(&format!("status-events.{e}")))
                .await
                .unwrap();
        }
        let status = crate::fake::field(&table, "order-1234-ship", "ExecutionStatus");
        assert_eq!(status, expected, "{events:?}");
    }
}
