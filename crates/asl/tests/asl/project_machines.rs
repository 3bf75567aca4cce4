//! The project's own state machines (statemachine/*.asl.json) must pass validation once
//! their template substitutions are filled in, as CreateStateMachine would see them.

use crate::common::{exec_info, t0};
use asl::{
    Engine, ManualClock, NoopObserver, Outcome, StateMachine, TaskCall, TaskError, TaskResources,
};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex, OnceLock};

fn substitute(text: &str) -> String {
    let fn_arn = "arn:aws:lambda:us-east-1:123456789012:function:F";
    text.replace("${JobsTable}", "JobsTable")
        .replace("${SendEmailFunctionArn}", fn_arn)
        .replace("${SendWaitFunctionArn}", fn_arn)
        .replace("${SendTokenFunctionArn}", fn_arn)
        .replace("${HeartbeatSeconds}", "60")
        .replace("${TimeoutSeconds}", "3600")
        .replace("${CallbackMode}", "external")
}

#[test]
fn project_state_machines_are_valid() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../statemachine");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return; // the machines are another crate's deliverable; nothing to check yet
    };
    let mut checked = 0;
    for e in entries.flatten() {
        let p = e.path();
        if p.to_string_lossy().ends_with(".asl.json") {
            checked += 1;
            let text = substitute(&std::fs::read_to_string(&p).unwrap());
            if let Err(err) = StateMachine::parse(&text) {
                panic!("{} is refused:\n{err}", p.display());
            }
        }
    }
    assert!(checked > 0, "no .asl.json file in {}", dir.display());
}

/// DynamoDB calls succeed; a callback task is answered by "the function" right away.
struct Fake {
    engine: OnceLock<Engine>,
    calls: Mutex<Vec<TaskCall>>,
    answer: Result<Value, (String, String)>,
}

#[async_trait::async_trait]
impl TaskResources for Fake {
    async fn invoke(&self, call: TaskCall) -> Result<Value, TaskError> {
        self.calls.lock().unwrap().push(call.clone());
        if let Some(token) = &call.task_token {
            assert_eq!(call.parameters["Payload"]["token"], json!(token));
            let engine = self.engine.get().unwrap();
            match &self.answer {
                Ok(v) => engine.send_task_success(token, v.clone()).unwrap(),
                Err((e, c)) => engine
                    .send_task_failure(token, Some(e.clone()), Some(c.clone()))
                    .unwrap(),
            }
            return Ok(json!({"StatusCode": 200}));
        }
        Ok(json!({}))
    }
}

async fn run_callback(answer: Result<Value, (String, String)>) -> (Outcome, Vec<TaskCall>) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../statemachine/callback.asl.json");
    let text = substitute(&std::fs::read_to_string(dir).unwrap());
    let m = StateMachine::parse(&text).unwrap();
    let clock = ManualClock::new(t0());
    let fake = Arc::new(Fake {
        engine: OnceLock::new(),
        calls: Mutex::default(),
        answer,
    });
    let engine = Engine::new(Arc::new(clock), fake.clone());
    let _ = fake.engine.set(engine.clone());
    let info = exec_info("callback", "job-1", None);
    let h = engine.start(&m, info, json!({"input": {"x": 1}}), Arc::new(NoopObserver));
    let out = h.outcome().await;
    let calls = fake.calls.lock().unwrap().clone();
    (out, calls)
}

#[tokio::test(flavor = "current_thread")]
async fn callback_machine_runs_end_to_end() {
    if !std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../statemachine/callback.asl.json")
        .exists()
    {
        return;
    }
    let (out, calls) = run_callback(Ok(json!({"result": "success"}))).await;
    assert!(matches!(out, Outcome::Succeeded(_)), "{out:?}");
    let wait = calls
        .iter()
        .find(|c| c.state_name == "WaitForCallback")
        .expect("callback task invoked");
    assert_eq!(wait.heartbeat_seconds, Some(60));
    assert_eq!(wait.timeout_seconds, Some(3600));
    assert_eq!(wait.parameters["Payload"]["jobId"], "job-1");
    let (out, _) = run_callback(Err(("RandomFailure".into(), "bad luck".into()))).await;
    assert!(matches!(out, Outcome::Failed { .. }), "{out:?}");
}
