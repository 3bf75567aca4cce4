//! The sample events in `events/` are real API Gateway events these routes answer as documented.

use serde_json::Value;

use crate::fakes::*;

fn sample(name: &str) -> Value {
    let path = format!("{}/../../events/{name}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}")))
        .unwrap()
}

fn seeded() -> World {
    let w = world();
    w.sfn.add("Callback", "order-1234-ship", "RUNNING", T0);
    w
}

#[tokio::test]
async fn every_sample_gets_its_documented_answer() {
    for (name, status) in [
        ("executions.list", 200),
        ("executions.list-filtered", 200),
        ("executions.describe", 200),
        ("executions.history", 200),
        ("executions.cancel", 202),
        ("executions.force-stop", 200),
        ("executions.start-bad-wait", 400),
        ("executions.unknown-machine", 404),
    ] {
        let w = seeded();
        let r = call(&w, sample(name)).await;
        assert_eq!(r.status, status, "{name}: {}", r.body);
    }
    let w = seeded();
    let r = call(&w, sample("executions.list-filtered")).await;
    assert_eq!(r.body["items"][0]["jobId"], "order-1234-ship");
}
