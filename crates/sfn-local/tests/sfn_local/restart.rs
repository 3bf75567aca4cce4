//! Persistence: a service dropped without a clean shutdown of its executions, then built
//! again on the same state directory, lists, describes and finishes them as before.

use crate::harness::*;
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
    let h = Harness::start_in(dir.path(), clock.clone()).await;
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
    h2.armed_until(t0_plus(60)).await;
    clock.advance(Duration::from_secs(39));
    assert_eq!(clock.next_deadline(), Some(t0_plus(60)));
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
        let ids = h2.history_ids(e).await;
        assert_eq!(ids, (1..=ids.len() as u64).collect::<Vec<_>>());
    }
    // New work after the restart does not collide with old sequence numbers.
    let fresh = h2.start_exec(&quick, "fresh", json!({})).await;
    h2.finished(&fresh).await;
    let final_state = snapshot(&h2, &[&quick, &waits, &cb]).await;
    h2.stop();

    // A third start sees all of it, nothing lost.
    let h3 = Harness::start_in(dir.path(), clock.clone()).await;
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
    let h = Harness::start_in(dir.path(), clock.clone()).await;
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

    let h2 = Harness::start_in(dir.path(), clock).await;
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

/// A long Wait leaves the engine (the execution parks, holding no task) and comes back
/// when it ends, or when it is stopped: the history reads as if it had never left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_waits_park_and_come_back_with_a_seamless_history() {
    let h = Harness::start().await;
    let m = h.create("park", &wait_machine(3600)).await;
    let done = h.start_exec(&m, "done", json!({"k": 1})).await;
    let stopped = h.start_exec(&m, "stopped", json!({})).await;
    // Parked: each waits on one wake-up timer.
    h.sleeping(2).await;
    assert_eq!(h.describe(&done).await["status"], "RUNNING");
    let v = h
        .call(
            "StopExecution",
            json!({"executionArn": stopped, "cause": "enough"}),
        )
        .await;
    assert!(v["stopDate"].is_number(), "{v}");
    let d = h.finished(&stopped).await;
    assert_eq!(d["status"], "ABORTED");
    assert_eq!(
        h.history_types(&stopped).await,
        [
            "ExecutionStarted",
            "WaitStateEntered",
            "WaitStateAborted",
            "ExecutionAborted"
        ]
    );
    h.clock.advance(std::time::Duration::from_secs(3600));
    let d = h.finished(&done).await;
    assert_eq!(d["status"], "SUCCEEDED");
    assert_eq!(d["output"], "\"waited\"");
    assert_eq!(
        h.history_types(&done).await,
        [
            "ExecutionStarted",
            "WaitStateEntered",
            "WaitStateExited",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
    assert_eq!(h.history_ids(&done).await, [1, 2, 3, 4, 5, 6]);
}

/// Ended executions are kept for the retention period (90 days by default, as on AWS),
/// then removed: from the lists, and from the journal, so restarts stay quick and the
/// state folder stops growing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ended_executions_go_after_the_retention_period_and_the_journal_shrinks() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.jsonl");
    let clock = asl::ManualClock::new(t0());
    let h = Harness::start_in(dir.path(), clock.clone()).await;
    let quick = h.create("Quick", &pass3()).await;
    let old: Vec<String> = {
        let mut v = Vec::new();
        for i in 0..5 {
            let e = h
                .start_exec(&quick, &format!("old-{i}"), json!({"i": i}))
                .await;
            h.finished(&e).await;
            v.push(e);
        }
        v
    };
    clock.advance(Duration::from_secs(60 * 86_400));
    let recent = h.start_exec(&quick, "recent", json!({})).await;
    h.finished(&recent).await;
    let size_before = std::fs::metadata(&journal).unwrap().len();
    // 60 days on: nothing has expired yet.
    assert_eq!(h.svc.expire_executions(), 0);
    clock.advance(Duration::from_secs(31 * 86_400));
    // 91 days after the old ones ended, 31 after the recent one. The hourly sweep, which
    // runs on the same clock, may have removed them first.
    let removed = h.svc.expire_executions();
    assert!(removed == 5 || removed == 0, "{removed}");
    for e in &old {
        let r = h
            .svc
            .handle("DescribeExecution", json!({"executionArn": e}))
            .await;
        assert_eq!(r.unwrap_err().type_name(), "ExecutionDoesNotExist");
    }
    let list = h
        .call("ListExecutions", json!({"stateMachineArn": quick}))
        .await;
    assert_eq!(list["executions"].as_array().unwrap().len(), 1);
    assert_eq!(h.describe(&recent).await["status"], "SUCCEEDED");
    // The journal drops their records (the writer compacts it in order).
    let shrunk = async {
        loop {
            let text = std::fs::read_to_string(&journal).unwrap();
            if !text.contains("old-0") {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    let text = tokio::time::timeout(Duration::from_secs(10), shrunk)
        .await
        .expect("the journal is compacted");
    assert!(text.contains("recent"));
    assert!((text.len() as u64) < size_before);
    h.stop();
    // A restart 60 days later also drops what expired while it was down.
    clock.advance(Duration::from_secs(60 * 86_400));
    let h = Harness::start_in(dir.path(), clock.clone()).await;
    let r = h
        .svc
        .handle("DescribeExecution", json!({"executionArn": recent}))
        .await;
    assert_eq!(r.unwrap_err().type_name(), "ExecutionDoesNotExist");
    assert!(!std::fs::read_to_string(&journal)
        .unwrap()
        .contains("recent"));
    let m = h
        .call("DescribeStateMachine", json!({"stateMachineArn": quick}))
        .await;
    assert_eq!(m["name"], "Quick", "the machine itself stays: {m}");
    h.stop();
}
