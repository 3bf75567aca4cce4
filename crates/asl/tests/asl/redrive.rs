//! RedriveExecution in the engine: an execution that failed, was stopped or timed out goes
//! on from the state it ended in, after an `ExecutionRedriven` event.

use crate::common::{exec_info, t0, Recorder};
use asl::{
    Engine, EventDetails, EventType, HistoryEvent, ManualClock, Outcome, StateMachine, TaskCall,
    TaskError, TaskResources,
};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Fails every call whose parameters say `"fail": true` until it is healed; answers the
/// parameters otherwise. Remembers the parameters of every call.
#[derive(Default)]
struct Flaky {
    healed: AtomicBool,
    calls: Mutex<Vec<Value>>,
}

#[async_trait::async_trait]
impl TaskResources for Flaky {
    async fn invoke(&self, call: TaskCall) -> Result<Value, TaskError> {
        self.calls.lock().unwrap().push(call.parameters.clone());
        if call.parameters["fail"] == json!(true) && !self.healed.load(Ordering::SeqCst) {
            return Err(TaskError::new("Boom", "broken"));
        }
        Ok(call.parameters)
    }
}

/// Runs `def` on `input` until it ends; then heals the resources and redrives it until it
/// ends again. Gives the outcomes, the whole history and the task calls.
async fn fail_then_redrive(
    def: &str,
    input: Value,
) -> (Outcome, Outcome, Vec<HistoryEvent>, Vec<Value>) {
    let m = StateMachine::parse(def).unwrap();
    let clock = ManualClock::new(t0());
    let res = Arc::new(Flaky::default());
    let engine = Engine::new(Arc::new(clock.clone()), res.clone());
    let rec = Arc::new(Recorder::default());
    let first = engine
        .start(&m, exec_info("M", "e", None), input, rec.clone())
        .outcome()
        .await;
    res.healed.store(true, Ordering::SeqCst);
    let history = rec.events();
    let second = engine
        .redrive(&m, exec_info("M", "e", None), history, rec.clone())
        .unwrap()
        .outcome()
        .await;
    let calls = res.calls.lock().unwrap().clone();
    (first, second, rec.events(), calls)
}

fn types(events: &[HistoryEvent]) -> Vec<&'static str> {
    events.iter().map(|e| e.event_type.as_str()).collect()
}

/// Ids run 1.. without a gap across the redrive; each event points back to an earlier one.
fn assert_ids(events: &[HistoryEvent]) {
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.id, i as u64 + 1, "{events:?}");
        assert!(i == 0 || (e.previous_event_id > 0 && e.previous_event_id < e.id));
    }
}

const TASKS: &str = r#"{"StartAt":"A","States":{
  "A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"step":"a"},"ResultPath":"$.a","Next":"B"},
  "B":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"step":"b","fail.$":"$.fail","count.$":"$$.Execution.RedriveCount"},"ResultPath":"$.b","End":true}}}"#;

#[tokio::test(flavor = "current_thread")]
async fn a_failed_task_is_entered_again_and_the_states_before_it_do_not_run_again() {
    let (first, second, events, calls) = fail_then_redrive(TASKS, json!({"fail": true})).await;
    assert!(matches!(first, Outcome::Failed { ref error, .. } if error.as_deref() == Some("Boom")));
    let Outcome::Succeeded(out) = second else {
        panic!("{second:?}")
    };
    assert_eq!(out["b"]["count"], json!(1), "$$.Execution.RedriveCount");
    assert_eq!(out["a"], json!({"step": "a"}));
    assert_ids(&events);
    let t = types(&events);
    let failed = t.iter().position(|x| *x == "ExecutionFailed").unwrap();
    assert_eq!(
        &t[failed..],
        [
            "ExecutionFailed",
            "ExecutionRedriven",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
    assert_eq!(
        events[failed + 1].details,
        Some(EventDetails::ExecutionRedriven(asl::RedrivenDetails {
            redrive_count: 1
        }))
    );
    assert_eq!(events[failed + 1].previous_event_id, events[failed].id);
    // A ran once, B twice (the failed call and the redriven one).
    let steps: Vec<&Value> = calls.iter().map(|c| &c["step"]).collect();
    assert_eq!(steps, [&json!("a"), &json!("b"), &json!("b")]);
}

const MAP: &str = r#"{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items",
  "ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}},
  "End":true}}}"#;

#[tokio::test(flavor = "current_thread")]
async fn a_map_runs_only_the_iterations_that_failed() {
    let items = json!([{"i": 0}, {"i": 1, "fail": true}, {"i": 2}]);
    let (first, second, events, calls) = fail_then_redrive(MAP, json!({"items": items})).await;
    assert!(matches!(first, Outcome::Failed { .. }), "{first:?}");
    assert_eq!(second, Outcome::Succeeded(items.clone()));
    assert_ids(&events);
    let after: Vec<&HistoryEvent> = events
        .iter()
        .skip_while(|e| e.event_type != EventType::ExecutionRedriven)
        .collect();
    let started: Vec<u64> = after
        .iter()
        .filter_map(|e| match &e.details {
            Some(EventDetails::MapIterationStarted(it)) => Some(it.index),
            _ => None,
        })
        .collect();
    // Item 0 succeeded before: it does not run again. Item 1 failed; item 2 was cut
    // short by that failure (or not started), so neither had succeeded.
    assert!(started.contains(&1) && !started.contains(&0), "{started:?}");
    assert_eq!(after[1].event_type, EventType::MapStateEntered);
    assert_eq!(calls.iter().filter(|c| c["i"] == json!(0)).count(), 1);
    assert_eq!(calls.iter().filter(|c| c["i"] == json!(1)).count(), 2);
}

#[tokio::test(flavor = "current_thread")]
async fn a_history_that_did_not_fail_cannot_be_redriven() {
    let m = StateMachine::parse(r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#)
        .unwrap();
    let clock = ManualClock::new(t0());
    let engine = Engine::new(Arc::new(clock), Arc::new(Flaky::default()));
    let rec = Arc::new(Recorder::default());
    let o = engine
        .start(&m, exec_info("M", "e", None), json!({}), rec.clone())
        .outcome()
        .await;
    assert!(matches!(o, Outcome::Succeeded(_)));
    assert!(engine
        .redrive(&m, exec_info("M", "e", None), rec.events(), rec.clone())
        .is_err());
}

#[tokio::test(flavor = "current_thread")]
async fn a_redrive_cut_short_goes_on_when_resumed() {
    let (_, _, events, _) = fail_then_redrive(TASKS, json!({"fail": true})).await;
    let redriven = events
        .iter()
        .position(|e| e.event_type == EventType::ExecutionRedriven)
        .unwrap();
    // As a restart finds it: the redrive recorded, nothing after it.
    let cut = events[..=redriven].to_vec();
    let m = StateMachine::parse(TASKS).unwrap();
    let res = Arc::new(Flaky::default());
    res.healed.store(true, Ordering::SeqCst);
    let engine = Engine::new(Arc::new(ManualClock::new(t0())), res.clone());
    let rec = Arc::new(Recorder::default());
    let o = engine
        .resume(&m, exec_info("M", "e", None), cut, rec.clone())
        .unwrap()
        .outcome()
        .await;
    let Outcome::Succeeded(out) = o else {
        panic!("{o:?}")
    };
    assert_eq!(out["b"]["count"], json!(1));
    assert_eq!(rec.events()[0].event_type, EventType::TaskStateEntered);
    assert_eq!(rec.events()[0].id, redriven as u64 + 2);
    assert_eq!(res.calls.lock().unwrap().len(), 1, "only B runs");
}

const PARALLEL: &str = r#"{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
  {"StartAt":"A1","States":{"A1":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"b":"a"},"Next":"A2"},
                            "A2":{"Type":"Pass","End":true}}},
  {"StartAt":"B1","States":{"B1":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"b":"b","fail.$":"$.fail"},"End":true}}}]}}}"#;

#[tokio::test(flavor = "current_thread")]
async fn a_parallel_runs_only_the_branches_that_failed() {
    let (first, second, events, calls) = fail_then_redrive(PARALLEL, json!({"fail": true})).await;
    assert!(matches!(first, Outcome::Failed { .. }), "{first:?}");
    let Outcome::Succeeded(out) = second else {
        panic!("{second:?}")
    };
    assert_eq!(out, json!([{"b": "a"}, {"b": "b", "fail": true}]));
    assert_ids(&events);
    let branch = |c: &&Value| c["b"].as_str().map(str::to_string);
    let a_calls = calls
        .iter()
        .filter(|c| branch(c).as_deref() == Some("a"))
        .count();
    let b_calls = calls
        .iter()
        .filter(|c| branch(c).as_deref() == Some("b"))
        .count();
    assert_eq!(
        (a_calls, b_calls),
        (1, 2),
        "branch A kept its result, branch B ran again"
    );
}
