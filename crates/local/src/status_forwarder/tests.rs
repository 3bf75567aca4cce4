use std::collections::BTreeMap;
use std::sync::Mutex;

use lambda_runtime::{Context, Diagnostic};
use serde_json::json;

use super::*;
use crate::lambda::FnHandler;
use crate::template::FunctionDef;

const M1: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:One";
const M2: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:Two";

fn def(id: &str) -> FunctionDef {
    FunctionDef {
        logical_id: id.into(),
        name: id.into(),
        arn: format!("arn:aws:lambda:us-east-1:123456789012:function:{id}"),
        binary: None,
        environment: BTreeMap::new(),
        timeout_seconds: 3,
        memory_mb: 128,
        events: vec![],
    }
}

fn change(machine: &str, name: &str, status: &str, stop: Option<i64>) -> ExecutionStatusChange {
    ExecutionStatusChange {
        execution_arn: format!(
            "{}:{name}",
            machine.replace(":stateMachine:", ":execution:")
        ),
        state_machine_arn: machine.into(),
        name: name.into(),
        status: status.into(),
        start_date: 1_700_000_000_000,
        stop_date: stop,
        input: "{\"jobId\":\"j\"}".into(),
        input_details: sfn_local::IncludedDetails { included: true },
        output: stop.map(|_| "{\"ok\":true}".to_string()),
        output_details: None,
        error: None,
        cause: None,
    }
}

type Seen = Arc<Mutex<Vec<Value>>>;

fn recorder(seen: Seen, fail_first: usize) -> Arc<dyn app_core::JsonHandler> {
    let calls = Arc::new(AtomicU64::new(0));
    Arc::new(FnHandler(move |p: Value, _c: Context| {
        let seen = seen.clone();
        let calls = calls.clone();
        async move {
            let n = calls.fetch_add(1, Ordering::SeqCst) as usize;
            if n < fail_first {
                return Err(Diagnostic {
                    error_type: "Boom".into(),
                    error_message: "try again".into(),
                });
            }
            if let Ok(mut s) = seen.lock() {
                s.push(p);
            }
            Ok(json!({"ok": true}))
        }
    }))
}

fn rule(target: &str, pattern: Value) -> EventRule {
    EventRule {
        name: format!("{target}.Rule"),
        pattern,
        target: format!("arn:aws:lambda:us-east-1:123456789012:function:{target}"),
        input: None,
        input_path: None,
    }
}

fn origin() -> Origin {
    Origin {
        region: "us-east-1".into(),
        account: "123456789012".into(),
    }
}

async fn settle(stats: &DeliveryStats, expected: u64) {
    for _ in 0..200 {
        if stats.queued() >= expected && stats.pending() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "deliveries did not settle: queued {} delivered {} failed {}",
        stats.queued(),
        stats.delivered(),
        stats.failed()
    );
}

#[tokio::test(start_paused = true)]
async fn delivers_the_eventbridge_shape_to_matching_rules_only() {
    let only_m1: Seen = Arc::default();
    let failures: Seen = Arc::default();
    let mut reg = LambdaRegistry::new();
    reg.insert(def("OnlyOne"), recorder(only_m1.clone(), 0));
    reg.insert(def("Failures"), recorder(failures.clone(), 0));
    let rules = vec![
        rule(
            "OnlyOne",
            json!({"source": ["aws.states"],
                "detail-type": ["Step Functions Execution Status Change"],
                "detail": {"stateMachineArn": [M1]}}),
        ),
        rule(
            "Failures",
            json!({"detail": {"status": ["FAILED", "TIMED_OUT", "ABORTED"]}}),
        ),
        rule("Missing", json!({})),
    ];
    let (tx, rx) = broadcast::channel(16);
    let stats = Arc::new(DeliveryStats::default());
    let _h = spawn(rx, rules, Arc::new(reg), origin(), stats.clone());
    tx.send(change(M1, "a", "RUNNING", None)).expect("send");
    tx.send(change(M2, "b", "FAILED", Some(1_700_000_005_000)))
        .expect("send");
    tx.send(change(M1, "a", "SUCCEEDED", Some(1_700_000_009_000)))
        .expect("send");
    settle(&stats, 3).await;
    assert_eq!(stats.delivered(), 3);

    let got = only_m1.lock().expect("lock").clone();
    assert_eq!(got.len(), 2, "{got:?}");
    let e = &got[0];
    assert_eq!(e["version"], "0");
    assert_eq!(e["source"], "aws.states");
    assert_eq!(e["detail-type"], "Step Functions Execution Status Change");
    assert_eq!(e["account"], "123456789012");
    assert_eq!(e["region"], "us-east-1");
    assert_eq!(e["time"], "2023-11-14T22:13:20Z");
    assert!(!e["id"].as_str().unwrap_or("").is_empty());
    let arn = "arn:aws:states:us-east-1:123456789012:execution:One:a";
    assert_eq!(e["resources"], json!([arn]));
    assert_eq!(e["detail"]["executionArn"], arn);
    assert_eq!(e["detail"]["stateMachineArn"], M1);
    assert_eq!(e["detail"]["status"], "RUNNING");
    assert_eq!(e["detail"]["startDate"], 1_700_000_000_000i64);
    assert_eq!(e["detail"]["stopDate"], Value::Null);
    assert_eq!(e["detail"]["input"], "{\"jobId\":\"j\"}");
    assert_eq!(got[1]["detail"]["status"], "SUCCEEDED", "in order");
    assert_eq!(got[1]["detail"]["stopDate"], 1_700_000_009_000i64);
    assert_ne!(got[0]["id"], got[1]["id"]);

    let f = failures.lock().expect("lock").clone();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["detail"]["name"], "b");
}

#[tokio::test(start_paused = true)]
async fn events_of_one_execution_keep_their_order() {
    let seen: Seen = Arc::default();
    let mut reg = LambdaRegistry::new();
    reg.insert(def("F"), recorder(seen.clone(), 0));
    let (tx, rx) = broadcast::channel(256);
    let stats = Arc::new(DeliveryStats::default());
    let _h = spawn(
        rx,
        vec![rule("F", json!({}))],
        Arc::new(reg),
        origin(),
        stats.clone(),
    );
    for i in 0..20 {
        let name = format!("e{}", i % 5);
        let status = if i < 5 { "RUNNING" } else { "SUCCEEDED" };
        tx.send(change(M1, &name, status, Some(i))).expect("send");
    }
    settle(&stats, 20).await;
    let got = seen.lock().expect("lock").clone();
    for n in 0..5 {
        let name = format!("e{n}");
        let stops: Vec<i64> = got
            .iter()
            .filter(|e| e["detail"]["name"] == name.as_str())
            .filter_map(|e| e["detail"]["stopDate"].as_i64())
            .collect();
        let mut sorted = stops.clone();
        sorted.sort();
        assert_eq!(stops, sorted, "{name}");
        assert_eq!(stops.len(), 4);
    }
}

#[tokio::test(start_paused = true)]
async fn failures_are_retried_then_counted() {
    let flaky: Seen = Arc::default();
    let broken: Seen = Arc::default();
    let mut reg = LambdaRegistry::new();
    reg.insert(def("Flaky"), recorder(flaky.clone(), 2));
    reg.insert(def("Broken"), recorder(broken.clone(), 100));
    let (tx, rx) = broadcast::channel(16);
    let stats = Arc::new(DeliveryStats::default());
    let _h = spawn(
        rx,
        vec![rule("Flaky", json!({})), rule("Broken", json!({}))],
        Arc::new(reg),
        origin(),
        stats.clone(),
    );
    tx.send(change(M1, "x", "RUNNING", None)).expect("send");
    settle(&stats, 2).await;
    assert_eq!(flaky.lock().expect("lock").len(), 1, "third attempt worked");
    assert!(broken.lock().expect("lock").is_empty());
    assert_eq!(stats.delivered(), 1);
    assert_eq!(stats.failed(), 1);
}

#[test]
fn input_and_input_path_shape_the_payload() {
    let event = json!({"detail": {"status": "FAILED", "x": {"y": 1}}});
    let mut r = rule("F", json!({}));
    assert_eq!(target_payload(&r, &event), Some(event.clone()));
    r.input_path = Some("$.detail.x".into());
    assert_eq!(target_payload(&r, &event), Some(json!({"y": 1})));
    r.input_path = Some("$.nothing".into());
    assert_eq!(target_payload(&r, &event), None);
    r.input = Some(json!({"constant": true}));
    assert_eq!(target_payload(&r, &event), Some(json!({"constant": true})));
}
