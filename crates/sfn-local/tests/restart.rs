//! Persistence: a service dropped without a clean shutdown of its executions, then built
//! again on the same state directory, lists, describes and finishes them as before.

mod common;

use common::*;
use serde_json::{json, Value};
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

async fn snapshot(h: &Harness, machines: &[&str]) -> Vec<Value> {
    let mut out = Vec::new();
    for m in machines {
        let list = h
            .call("ListExecutions", json!({"stateMachineArn": m}))
            .await;
        for e in list["executions"].as_array().unwrap() {
            let arn = e["executionArn"].as_str().unwrap();
            let hist = h
                .call(
                    "GetExecutionHistory",
                    json!({"executionArn": arn, "maxResults": 1000}),
                )
                .await;
            out.push(json!({"list": e, "describe": h.describe(arn).await, "history": hist}));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn executions_survive_a_restart_and_resume() {
    let dir = tempfile::tempdir().unwrap();
    let clock = asl::ManualClock::new(t0());
    let h = Harness::start_with(
        Some(dir.path().to_path_buf()),
        clock.clone(),
        Arc::new(FakeResources::default()),
    )
    .await;
    let quick = h.create("Quick", &pass3()).await;
    let waits = h.create("Waits", &wait_machine(60)).await;
    let cb = h.create("Callback", &callback_machine(None)).await;
    let done = h.start_exec(&quick, "done", json!({"n": 1})).await;
    h.finished(&done).await;
    let waiting = h.start_exec(&waits, "waiting", json!({"n": 2})).await;
    h.sleeping(1).await;
    let pending = h.start_exec(&cb, "pending", json!({"n": 3})).await;
    let token = h.fake.token(1).await;
    h.sleeping(2).await;
    clock.advance(Duration::from_secs(20));
    let before = snapshot(&h, &[&quick, &waits, &cb]).await;
    let machines_before = h.call("ListStateMachines", json!({})).await;
    h.stop();

    // The journal (task tokens inside) and the token secret are the owner's alone.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(dir.path()), 0o700);
        for f in ["journal.jsonl", "token-secret"] {
            assert_eq!(mode(&dir.path().join(f)), 0o600, "{f}");
        }
    }

    // A kill in the middle of a write leaves a torn last line.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.path().join("journal.jsonl"))
        .unwrap();
    f.write_all(br#"{"t":"Event","arn":"arn:aws:states:us-east-1:12"#)
        .unwrap();
    drop(f);

    let fake2 = Arc::new(FakeResources::default());
    let h2 =
        Harness::start_with(Some(dir.path().to_path_buf()), clock.clone(), fake2.clone()).await;
    assert_eq!(
        h2.call("ListStateMachines", json!({})).await,
        machines_before
    );
    let after = snapshot(&h2, &[&quick, &waits, &cb]).await;
    assert_eq!(
        after, before,
        "everything recorded before the restart reads the same"
    );
    assert_eq!(h2.describe(&waiting).await["status"], "RUNNING");

    // The Wait fires at its original time (started at t0, 60 s).
    h2.sleeping(1).await;
    clock.advance(Duration::from_secs(39));
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(h2.describe(&waiting).await["status"], "RUNNING");
    clock.advance(Duration::from_secs(1));
    let d = h2.finished(&waiting).await;
    assert_eq!(d["status"], "SUCCEEDED");
    assert_eq!(
        d["stopDate"].as_f64().unwrap(),
        (t0().timestamp() + 60) as f64
    );
    assert_eq!(d["output"], "\"waited\"");

    // The token handed out before the restart is still valid.
    h2.call(
        "SendTaskSuccess",
        json!({"taskToken": token, "output": "{\"answer\":42}"}),
    )
    .await;
    // The answer is recorded before SendTaskSuccess returns.
    let types = h2.history_types(&pending).await;
    assert!(types.contains(&"TaskSucceeded".to_string()), "{types:?}");
    let d = h2.finished(&pending).await;
    assert_eq!(d["status"], "SUCCEEDED");
    assert_eq!(d["output"], r#"{"answer":42}"#);
    assert!(
        fake2.calls.lock().unwrap().is_empty(),
        "a waiting task is not invoked again"
    );

    // Event ids continue without gaps across the restart.
    for e in [&waiting, &pending] {
        let hist = h2
            .call("GetExecutionHistory", json!({"executionArn": e}))
            .await;
        let ids: Vec<u64> = hist["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_u64().unwrap())
            .collect();
        assert_eq!(ids, (1..=ids.len() as u64).collect::<Vec<_>>());
    }
    // New work after the restart does not collide with old sequence numbers.
    let fresh = h2.start_exec(&quick, "fresh", json!({})).await;
    h2.finished(&fresh).await;
    let final_state = snapshot(&h2, &[&quick, &waits, &cb]).await;
    h2.stop();

    // A third start sees all of it, nothing lost.
    let h3 = Harness::start_with(
        Some(dir.path().to_path_buf()),
        clock.clone(),
        Arc::new(FakeResources::default()),
    )
    .await;
    assert_eq!(snapshot(&h3, &[&quick, &waits, &cb]).await, final_state);
    let names: Vec<String> = h3
        .call("ListExecutions", json!({"stateMachineArn": quick}))
        .await["executions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, vec!["fresh", "done"]);
    h3.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn machine_updates_and_deletes_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let clock = asl::ManualClock::new(t0());
    let h = Harness::start_with(
        Some(dir.path().to_path_buf()),
        clock.clone(),
        Arc::new(FakeResources::default()),
    )
    .await;
    let a = h.create("A", &pass3()).await;
    let b = h.create("B", &pass3()).await;
    let old = h.start_exec(&a, "old", json!({})).await;
    h.finished(&old).await;
    let v2 = json!({"StartAt": "X", "States": {"X": {"Type": "Pass", "Result": 2, "End": true}}});
    h.call(
        "UpdateStateMachine",
        json!({"stateMachineArn": a, "definition": v2.to_string()}),
    )
    .await;
    h.call("DeleteStateMachine", json!({"stateMachineArn": b}))
        .await;
    h.stop();

    let h2 = Harness::start_with(
        Some(dir.path().to_path_buf()),
        clock,
        Arc::new(FakeResources::default()),
    )
    .await;
    let d = h2
        .call("DescribeStateMachine", json!({"stateMachineArn": a}))
        .await;
    assert_eq!(
        serde_json::from_str::<Value>(d["definition"].as_str().unwrap()).unwrap(),
        v2
    );
    let gone = h2
        .svc
        .handle("DescribeStateMachine", json!({"stateMachineArn": b}))
        .await;
    assert_eq!(gone.unwrap_err().type_name(), "StateMachineDoesNotExist");
    // The old execution still reports the definition it ran.
    let for_exec = h2
        .call(
            "DescribeStateMachineForExecution",
            json!({"executionArn": old}),
        )
        .await;
    assert_eq!(
        serde_json::from_str::<Value>(for_exec["definition"].as_str().unwrap()).unwrap(),
        pass3()
    );
    let e = h2.start_exec(&a, "new", json!({})).await;
    assert_eq!(h2.finished(&e).await["output"], "2");
    h2.stop();
}
