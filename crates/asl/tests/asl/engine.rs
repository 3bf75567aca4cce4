//! Engine behaviour outside the table: resuming from history, clocks, handles, tokens.

use crate::common::{exec_info, t0, Recorder};
use asl::{
    Clock, Engine, EventDetails, EventType, ExecutionInfo, ExecutionStatus, HistoryEvent,
    ManualClock, Outcome, StateMachine, SystemClock, TaskCall, TaskError, TaskResources,
    TokenError,
};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Answers `{"n": calls so far}`; remembers tokens.
#[derive(Default)]
struct Counting {
    calls: AtomicUsize,
    tokens: Mutex<Vec<String>>,
}
#[async_trait::async_trait]
impl TaskResources for Counting {
    async fn invoke(&self, call: TaskCall) -> Result<Value, TaskError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if let Some(t) = call.task_token {
            self.tokens.lock().unwrap().push(t);
        }
        Ok(json!({ "n": n }))
    }
}

fn info() -> ExecutionInfo {
    exec_info("M", "e", None)
}

/// A machine, a manual clock at [`t0`], task resources and a recorder: what an engine
/// test starts from.
struct Fixture<R> {
    m: StateMachine,
    clock: ManualClock,
    res: Arc<R>,
    rec: Arc<Recorder>,
}

impl<R: Default> Fixture<R> {
    fn new(def: &str) -> Fixture<R> {
        Fixture {
            m: StateMachine::parse(def).unwrap(),
            clock: ManualClock::new(t0()),
            res: Arc::new(R::default()),
            rec: Arc::new(Recorder::default()),
        }
    }
}

/// Lets other tasks run until `done` holds (or 10,000 turns have passed).
async fn yield_until(done: impl Fn() -> bool) {
    for _ in 0..10_000 {
        if done() {
            break;
        }
        tokio::task::yield_now().await;
    }
}

async fn settle() {
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
}

const WAIT_DEF: &str = r#"{"StartAt":"P","States":{"P":{"Type":"Pass","Next":"W"},"W":{"Type":"Wait","Seconds":100,"Next":"T"},"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}}"#;

#[tokio::test(flavor = "current_thread")]
async fn resume_rearms_a_wait_for_its_original_target_and_continues_ids() {
    let Fixture { m, clock, res, rec } = Fixture::<Counting>::new(WAIT_DEF);
    let h = Engine::new(Arc::new(clock.clone()), res.clone()).start(
        &m,
        info(),
        json!({"a": 1}),
        rec.clone(),
    );
    settle().await;
    assert_eq!(h.current_state().as_deref(), Some("W"));
    let history = rec.events();
    assert_eq!(
        history.last().unwrap().event_type,
        EventType::WaitStateEntered
    );
    // "Kill" the process: stop driving the first engine; a new one resumes 40 s later.
    h.stop(None, None);
    settle().await;
    clock.advance(Duration::from_secs(40));
    let rec2 = Arc::new(Recorder::default());
    let h2 = Engine::new(Arc::new(clock.clone()), res.clone())
        .resume(&m, info(), history.clone(), rec2.clone())
        .unwrap();
    settle().await;
    assert_eq!(h2.status(), ExecutionStatus::Running);
    clock.advance(Duration::from_secs(59));
    settle().await;
    assert_eq!(
        h2.status(),
        ExecutionStatus::Running,
        "woke before the original target"
    );
    clock.advance(Duration::from_secs(1));
    let out = h2.outcome().await;
    assert_eq!(out, Outcome::Succeeded(json!({"n": 1})));
    let ev = rec2.events();
    assert_eq!(ev[0].event_type, EventType::WaitStateExited);
    assert_eq!(ev[0].id, history.last().unwrap().id + 1);
    assert_eq!(ev[0].previous_event_id, history.last().unwrap().id);
}

const CB_DEF: &str = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken","TimeoutSeconds":300,"Parameters":{"token.$":"$$.Task.Token"},"End":true}}}"#;

#[tokio::test(flavor = "current_thread")]
async fn resume_makes_the_same_token_valid_again_without_reinvoking() {
    let Fixture { m, clock, res, rec } = Fixture::<Counting>::new(CB_DEF);
    let e1 = Engine::with_secret(Arc::new(clock.clone()), res.clone(), b"k");
    let h = e1.start(&m, info(), json!({}), rec.clone());
    settle().await;
    let token = res.tokens.lock().unwrap()[0].clone();
    let history = rec.events();
    assert!(history
        .iter()
        .any(|e| e.event_type == EventType::TaskSubmitted));
    drop(h);
    drop(e1);
    let e2 = Engine::with_secret(Arc::new(clock.clone()), res.clone(), b"k");
    let rec2 = Arc::new(Recorder::default());
    let h2 = e2.resume(&m, info(), history, rec2.clone()).unwrap();
    settle().await;
    assert_eq!(
        res.calls.load(Ordering::SeqCst),
        1,
        "a waiting callback task is not invoked again"
    );
    assert_eq!(
        e2.send_task_heartbeat("not a token"),
        Err(TokenError::InvalidToken)
    );
    e2.send_task_success(&token, json!({"ok": true})).unwrap();
    assert_eq!(h2.outcome().await, Outcome::Succeeded(json!({"ok": true})));
    assert_eq!(
        e2.send_task_success(&token, json!({})),
        Err(TokenError::TaskDoesNotExist)
    );
}

#[tokio::test(flavor = "current_thread")]
async fn resumed_token_keeps_the_original_timeout_deadline() {
    let Fixture { m, clock, res, rec } = Fixture::<Counting>::new(CB_DEF);
    let e1 = Engine::with_secret(Arc::new(clock.clone()), res.clone(), b"k");
    let _h = e1.start(&m, info(), json!({}), rec.clone());
    settle().await;
    let history = rec.events();
    clock.advance(Duration::from_secs(200));
    let e2 = Engine::with_secret(Arc::new(clock.clone()), res.clone(), b"k");
    let h2 = e2
        .resume(&m, info(), history, Arc::new(Recorder::default()))
        .unwrap();
    settle().await;
    clock.advance(Duration::from_secs(100));
    match h2.outcome().await {
        Outcome::Failed { error, .. } => assert_eq!(error.as_deref(), Some("States.Timeout")),
        o => panic!("unexpected {o:?}"),
    }
}

#[tokio::test(flavor = "current_thread")]
async fn resume_of_a_plain_task_invokes_again_unless_its_result_is_recorded() {
    let def = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}}"#;
    let Fixture { m, clock, res, rec } = Fixture::<Counting>::new(def);
    let h =
        Engine::new(Arc::new(clock.clone()), res.clone()).start(&m, info(), json!({}), rec.clone());
    assert_eq!(h.outcome().await, Outcome::Succeeded(json!({"n": 1})));
    let full = rec.events();
    // Cut the history right after TaskStarted: the process died during the call.
    let cut: Vec<HistoryEvent> = full
        .iter()
        .take_while(|e| e.event_type != EventType::TaskSucceeded)
        .cloned()
        .collect();
    let engine = Engine::new(Arc::new(clock.clone()), res.clone());
    let h2 = engine
        .resume(&m, info(), cut, Arc::new(Recorder::default()))
        .unwrap();
    assert_eq!(h2.outcome().await, Outcome::Succeeded(json!({"n": 2})));
    let h3 = engine
        .resume(&m, info(), full.clone(), Arc::new(Recorder::default()))
        .unwrap();
    assert_eq!(h3.try_outcome(), Some(Outcome::Succeeded(json!({"n": 1}))));
    assert_eq!(res.calls.load(Ordering::SeqCst), 2);
    // Cut right after TaskSucceeded: the result is recorded, so it is used, never
    // obtained again by running the task.
    let recorded: Vec<HistoryEvent> = full
        .iter()
        .take_while(|e| e.event_type != EventType::TaskStateExited)
        .cloned()
        .collect();
    let rec4 = Arc::new(Recorder::default());
    let h4 = engine.resume(&m, info(), recorded, rec4.clone()).unwrap();
    assert_eq!(h4.outcome().await, Outcome::Succeeded(json!({"n": 1})));
    assert_eq!(res.calls.load(Ordering::SeqCst), 2);
    let types: Vec<EventType> = rec4.events().iter().map(|e| e.event_type).collect();
    assert_eq!(
        types,
        vec![EventType::TaskStateExited, EventType::ExecutionSucceeded]
    );
    assert!(engine
        .resume(&m, info(), vec![], Arc::new(Recorder::default()))
        .is_err());
}

#[tokio::test(flavor = "current_thread")]
async fn history_serializes_in_the_aws_shape() {
    let Fixture { m, clock, res, rec } = Fixture::<Counting>::new(CB_DEF);
    let engine = Engine::new(Arc::new(clock.clone()), res.clone());
    let h = engine.start(&m, info(), json!({"x": 1}), rec.clone());
    settle().await;
    let token = res.tokens.lock().unwrap()[0].clone();
    engine
        .send_task_success(&token, json!({"done": 1}))
        .unwrap();
    h.outcome().await;
    let v = serde_json::to_value(rec.events()).unwrap();
    assert_eq!(v[0]["type"], "ExecutionStarted");
    assert_eq!(v[0]["executionStartedEventDetails"]["input"], "{\"x\":1}");
    assert_eq!(v[0]["timestamp"], json!(1704067200.0));
    let sched = v
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "TaskScheduled")
        .unwrap();
    assert_eq!(sched["taskScheduledEventDetails"]["resourceType"], "lambda");
    assert_eq!(
        sched["taskScheduledEventDetails"]["resource"],
        "invoke.waitForTaskToken"
    );
    assert_eq!(sched["taskScheduledEventDetails"]["region"], "us-east-1");
    assert_eq!(sched["taskScheduledEventDetails"]["timeoutInSeconds"], 300);
    let back: Vec<HistoryEvent> = serde_json::from_value(v).unwrap();
    assert_eq!(back, rec.events());
    assert!(matches!(
        back.last().unwrap().details,
        Some(EventDetails::ExecutionSucceeded(_))
    ));
}

#[tokio::test(flavor = "current_thread")]
async fn stop_after_the_end_changes_nothing() {
    let m = StateMachine::parse(r#"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}"#)
        .unwrap();
    let engine = Engine::new(
        Arc::new(ManualClock::new(t0())),
        Arc::new(Counting::default()),
    );
    let h = engine.start(&m, info(), json!(1), Arc::new(Recorder::default()));
    assert_eq!(h.outcome().await, Outcome::Succeeded(json!(1)));
    h.stop(None, None);
    settle().await;
    assert_eq!(h.status(), ExecutionStatus::Succeeded);
    assert_eq!(h.current_state(), None);
}

#[tokio::test(flavor = "current_thread")]
async fn manual_clock_wakes_many_sleepers_in_deadline_order() {
    let clock = ManualClock::new(t0());
    let done = Arc::new(AtomicUsize::new(0));
    for i in 0..100_000u64 {
        let f = clock.sleep_until(t0() + chrono::Duration::seconds((i % 100) as i64 + 1));
        let d = done.clone();
        tokio::spawn(async move {
            f.await;
            d.fetch_add(1, Ordering::Relaxed);
        });
    }
    yield_until(|| clock.sleepers() == 100_000).await;
    assert_eq!(clock.sleepers(), 100_000);
    clock.advance(Duration::from_secs(50));
    yield_until(|| done.load(Ordering::Relaxed) >= 50_000).await;
    settle().await;
    assert_eq!(done.load(Ordering::Relaxed), 50_000);
    assert_eq!(clock.sleepers(), 50_000);
    clock.advance(Duration::from_secs(50));
    yield_until(|| done.load(Ordering::Relaxed) >= 100_000).await;
    assert_eq!(done.load(Ordering::Relaxed), 100_000);
    assert_eq!(clock.sleepers(), 0);
}

#[tokio::test]
async fn system_clock_wait_does_not_fire_early() {
    let clock = SystemClock;
    let target = clock.now() + chrono::Duration::milliseconds(120);
    clock.sleep_until(target).await;
    let late = clock.now() - target;
    assert!(late >= chrono::Duration::zero(), "fired {late} early");
    // How late it fires is a figure the benchmark prints, not an assertion here.
}

#[tokio::test(flavor = "current_thread")]
async fn resume_inside_a_map_restarts_the_map_from_its_input() {
    let def = r#"{"StartAt":"M","States":{"M":{"Type":"Map","Next":"Done","ItemProcessor":{"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$","End":true}}}},"Done":{"Type":"Pass","End":true}}}"#;
    let Fixture { m, clock, res, rec } = Fixture::<Counting>::new(def);
    let h = Engine::new(Arc::new(clock.clone()), res.clone()).start(
        &m,
        info(),
        json!([10, 20]),
        rec.clone(),
    );
    settle().await;
    clock.advance(Duration::from_secs(15));
    settle().await;
    let history = rec.events();
    assert!(history
        .iter()
        .any(|e| e.event_type == EventType::MapIterationSucceeded));
    h.stop(None, None);
    settle().await;
    let mut hist = history.clone();
    for round in 0..2 {
        let history = hist.clone();
        let rec2 = Arc::new(Recorder::default());
        let h2 = Engine::new(Arc::new(clock.clone()), res.clone())
            .resume(&m, info(), history.clone(), rec2.clone())
            .unwrap();
        settle().await;
        let ev = rec2.events();
        assert_eq!(ev[0].event_type, EventType::MapStateAborted);
        assert_eq!(ev[1].event_type, EventType::MapStateStarted);
        if round == 0 {
            // Crash again mid-way: the next resume must still find its place.
            hist.extend(ev);
            h2.stop(None, None);
            settle().await;
            continue;
        }
        clock.advance(Duration::from_secs(20));
        assert_eq!(h2.outcome().await, Outcome::Succeeded(json!([10, 20])));
    }
}

/// Always fails with `Boom`, counting calls.
#[derive(Default)]
struct Failing(AtomicUsize);
#[async_trait::async_trait]
impl TaskResources for Failing {
    async fn invoke(&self, _call: TaskCall) -> Result<Value, TaskError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Err(TaskError::new("Boom", "always"))
    }
}

#[tokio::test(flavor = "current_thread")]
async fn resume_continues_retry_counters() {
    let def = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true,
        "Retry":[{"ErrorEquals":["Boom"],"IntervalSeconds":1,"MaxAttempts":2,"BackoffRate":1}]}}}"#;
    let Fixture { m, clock, res, rec } = Fixture::<Failing>::new(def);
    let h =
        Engine::new(Arc::new(clock.clone()), res.clone()).start(&m, info(), json!({}), rec.clone());
    settle().await;
    // One failure recorded, the first retry is sleeping: the process dies here.
    let history = rec.events();
    assert_eq!(
        history
            .iter()
            .filter(|e| e.event_type == EventType::TaskFailed)
            .count(),
        1
    );
    h.stop(None, None);
    settle().await;
    let calls_before = res.0.load(Ordering::SeqCst);
    let h2 = Engine::new(Arc::new(clock.clone()), res.clone())
        .resume(&m, info(), history, Arc::new(Recorder::default()))
        .unwrap();
    for _ in 0..10 {
        settle().await;
        clock.advance(Duration::from_secs(1));
    }
    match h2.outcome().await {
        Outcome::Failed { error, .. } => assert_eq!(error.as_deref(), Some("Boom")),
        o => panic!("unexpected {o:?}"),
    }
    // MaxAttempts 2 = 3 calls in all; one failure was recorded before the crash, so the
    // resumed run makes 2 more (3 if the retry counter had restarted at zero).
    assert_eq!(res.0.load(Ordering::SeqCst) - calls_before, 2);
}

/// Durations at the edge of what a definition can say never overflow the time arithmetic:
/// the execution waits (for ever) and can still be stopped, or, for a Wait past 2^31
/// seconds, fails as AWS fails it.
#[tokio::test(flavor = "current_thread")]
async fn enormous_waits_and_timeouts_do_not_panic() {
    for def in [
        r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":9223372036854775807,"End":true}}}"#,
        r#"{"StartAt":"W","TimeoutSeconds":9223372036854775807,"States":{"W":{"Type":"Wait","Seconds":5,"End":true}}}"#,
        r#"{"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.s","End":true}}}"#,
        r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken","Parameters":{"FunctionName":"f","Payload":{"t.$":"$$.Task.Token"}},"TimeoutSecondsPath":"$.s","HeartbeatSecondsPath":"$.s","End":true}}}"#,
    ] {
        let Ok(m) = StateMachine::parse(def) else {
            continue; // refused at creation is fine too
        };
        let clock = ManualClock::new(t0());
        let engine = Engine::new(Arc::new(clock.clone()), Arc::new(Counting::default()));
        let h = engine.start(
            &m,
            info(),
            json!({"s": i64::MAX}),
            Arc::new(Recorder::default()),
        );
        settle().await;
        clock.advance(Duration::from_secs(10));
        settle().await;
        if let Some(Outcome::Failed { error, cause }) = h.try_outcome() {
            assert_eq!(error.as_deref(), Some("States.Runtime"), "{def}");
            assert!(
                cause
                    .unwrap_or_default()
                    .ends_with("Wait state delay is too long."),
                "{def}"
            );
            continue;
        }
        assert!(
            matches!(
                h.status(),
                ExecutionStatus::Running | ExecutionStatus::Succeeded
            ),
            "{def}: {:?}",
            h.status()
        );
        // A driver that panicked would never answer the stop.
        h.stop(None, None);
        settle().await;
        assert!(
            matches!(
                h.status(),
                ExecutionStatus::Aborted | ExecutionStatus::Succeeded
            ),
            "{def}: {:?}",
            h.status()
        );
    }
}

/// A panic in task code (or the engine) fails that execution with `States.Runtime`; the
/// engine and other executions go on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_fails_the_execution_with_states_runtime() {
    struct Panicking;
    #[async_trait::async_trait]
    impl TaskResources for Panicking {
        async fn invoke(&self, call: TaskCall) -> Result<Value, TaskError> {
            if call.parameters == json!("boom") {
                panic!("task code blew up");
            }
            Ok(json!("fine"))
        }
    }
    let m = StateMachine::parse(
        r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f","End":true}}}"#,
    )
    .unwrap();
    let engine = Engine::new(Arc::new(ManualClock::new(t0())), Arc::new(Panicking));
    let rec = Arc::new(Recorder::default());
    let h = engine.start(&m, info(), json!("boom"), rec.clone());
    match tokio::time::timeout(Duration::from_secs(5), h.outcome()).await {
        Ok(Outcome::Failed { error, cause }) => {
            assert_eq!(error.as_deref(), Some("States.Runtime"));
            assert!(cause.unwrap_or_default().contains("task code blew up"));
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    assert_eq!(h.status(), ExecutionStatus::Failed);
    assert_eq!(
        rec.events().last().map(|e| e.event_type),
        Some(EventType::ExecutionFailed)
    );
    let ok = engine.start(&m, info(), json!("ok"), Arc::new(Recorder::default()));
    assert_eq!(ok.outcome().await, Outcome::Succeeded(json!("fine")));
}

#[tokio::test]
async fn paths_of_map_and_wait_read_the_context_object() {
    let def = json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "TimestampPath": "$$.Execution.Input.at", "Next": "M"},
        "M": {"Type": "Map", "ItemsPath": "$$.Execution.Input.items",
              "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
              "End": true}}})
    .to_string();
    let f: Fixture<Counting> = Fixture::new(&def);
    let engine = Engine::new(Arc::new(f.clock.clone()), f.res.clone());
    let input = json!({"items": [1, 2], "at": "2000-01-01T00:00:00Z"});
    let h = engine.start(&f.m, info(), input, f.rec.clone());
    assert_eq!(h.outcome().await, Outcome::Succeeded(json!([1, 2])));
}
