//! Running executions: the public handle types and the engine entry points.

mod fan_out;
mod flow;
mod resume;
mod retry;
mod run;
mod states;
mod task_state;
mod test_state;

pub use test_state::{Inspection, StateTest, StateTestResult, TestStatus};
mod tokens;

use crate::clock::Clock;
use crate::definition::StateMachine;
use crate::error::{ResumeError, TokenError};
use crate::fault::Fault;
use crate::history::HistoryEvent;
use crate::history::{
    ErrorDetails, EventDetails, EventType, ExecutionStartedDetails, OutputDetails, PayloadDetails,
    RedrivenDetails,
};
use crate::observer::Observer;
use crate::task::TaskResources;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// Identity of one execution, as the service knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutionInfo {
    pub execution_arn: String,
    pub name: String,
    pub state_machine_arn: String,
    pub state_machine_name: String,
    pub start_time: DateTime<Utc>,
    pub role_arn: Option<String>,
}

/// How an execution ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Succeeded(Value),
    Failed {
        error: Option<String>,
        cause: Option<String>,
    },
    TimedOut {
        error: Option<String>,
        cause: Option<String>,
    },
    Aborted {
        error: Option<String>,
        cause: Option<String>,
    },
}

impl Outcome {
    /// The error and cause of an execution that did not succeed (none for one that did).
    fn error_details(&self) -> ErrorDetails {
        match self {
            Outcome::Failed { error, cause }
            | Outcome::Aborted { error, cause }
            | Outcome::TimedOut { error, cause } => ErrorDetails {
                error: error.clone(),
                cause: cause.clone(),
            },
            Outcome::Succeeded(_) => ErrorDetails::default(),
        }
    }

    pub fn status(&self) -> ExecutionStatus {
        match self {
            Outcome::Succeeded(_) => ExecutionStatus::Succeeded,
            Outcome::Failed { .. } => ExecutionStatus::Failed,
            Outcome::TimedOut { .. } => ExecutionStatus::TimedOut,
            Outcome::Aborted { .. } => ExecutionStatus::Aborted,
        }
    }
}

/// DescribeExecution `status` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExecutionStatus {
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Aborted,
}

impl ExecutionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionStatus::Running => "RUNNING",
            ExecutionStatus::Succeeded => "SUCCEEDED",
            ExecutionStatus::Failed => "FAILED",
            ExecutionStatus::TimedOut => "TIMED_OUT",
            ExecutionStatus::Aborted => "ABORTED",
        }
    }
}

pub(crate) struct ExecShared {
    arn: Arc<str>,
    /// Set once; `done` wakes `outcome()` waiters. (A watch channel costs ~10x the memory,
    /// which matters with 100,000 waiting executions.)
    outcome: Mutex<Option<Outcome>>,
    done: Notify,
    stop_reason: Mutex<Option<(Option<String>, Option<String>)>>,
    stop: Notify,
    current: Mutex<Option<Arc<str>>>,
    /// Waits in progress (a Map or Parallel can have several), which `skip` ends.
    waits: AtomicU32,
    skip: Notify,
    /// The next Wait ends as soon as it is entered (a parked Wait that was skipped).
    skip_next: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl ExecShared {
    fn new(arn: &str) -> Arc<ExecShared> {
        Arc::new(ExecShared {
            arn: Arc::from(arn),
            outcome: Mutex::new(None),
            done: Notify::new(),
            stop_reason: Mutex::new(None),
            stop: Notify::new(),
            current: Mutex::new(None),
            waits: AtomicU32::new(0),
            skip: Notify::new(),
            skip_next: AtomicBool::new(false),
        })
    }

    fn finish(&self, o: Outcome) {
        *lock(&self.outcome) = Some(o);
        self.done.notify_waiters();
    }

    pub(crate) fn set_current(&self, s: Option<Arc<str>>) {
        *lock(&self.current) = s;
    }
}

/// Control over one running (or finished) execution. Cheap to clone.
#[derive(Clone)]
pub struct ExecutionHandle {
    shared: Arc<ExecShared>,
}

impl std::fmt::Debug for ExecutionHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecutionHandle")
            .field("arn", &self.shared.arn)
            .finish()
    }
}

impl ExecutionHandle {
    pub fn execution_arn(&self) -> &str {
        &self.shared.arn
    }

    /// StopExecution: ends the execution ABORTED (an `ExecutionAborted` event) and
    /// invalidates its pending task token. No effect once it has ended.
    pub fn stop(&self, error: Option<String>, cause: Option<String>) {
        if lock(&self.shared.outcome).is_some() {
            return;
        }
        *lock(&self.shared.stop_reason) = Some((error, cause));
        self.shared.stop.notify_one();
    }

    /// Waits for the end of the execution.
    pub async fn outcome(&self) -> Outcome {
        loop {
            let notified = self.shared.done.notified();
            let mut notified = std::pin::pin!(notified);
            // Register interest before checking, so a completion in between is not missed.
            notified.as_mut().enable();
            if let Some(o) = self.try_outcome() {
                return o;
            }
            notified.await;
        }
    }

    /// The outcome if the execution has ended.
    pub fn try_outcome(&self) -> Option<Outcome> {
        lock(&self.shared.outcome).clone()
    }

    pub fn status(&self) -> ExecutionStatus {
        lock(&self.shared.outcome)
            .as_ref()
            .map(Outcome::status)
            .unwrap_or(ExecutionStatus::Running)
    }

    /// Ends the Wait the execution is in now, as if its time had come (its exit is stamped
    /// with the clock's time). False when it is in no Wait.
    pub fn skip_wait(&self) -> bool {
        if lock(&self.shared.outcome).is_some() || self.shared.waits.load(Ordering::SeqCst) == 0 {
            return false;
        }
        self.shared.skip.notify_waiters();
        true
    }

    /// Name of the top-level state the execution is in (None once it has ended).
    pub fn current_state(&self) -> Option<String> {
        lock(&self.shared.current).as_deref().map(str::to_string)
    }
}

pub(crate) struct EngineInner {
    pub clock: Arc<dyn Clock>,
    pub resources: Arc<dyn TaskResources>,
    pub tokens: Arc<tokens::Tokens>,
}

/// Runs executions. Cheap to clone; all clones share the task-token registry.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<EngineInner>,
}

pub(crate) fn region_of(arn: &str) -> String {
    arn.split(':')
        .nth(3)
        .filter(|r| !r.is_empty())
        .unwrap_or("us-east-1")
        .to_string()
}

/// The message a panic carried, when it is text.
fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into())
}

fn none_if_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

impl Engine {
    /// An engine with a random token secret: tokens do not survive a restart.
    pub fn new(clock: Arc<dyn Clock>, resources: Arc<dyn TaskResources>) -> Engine {
        let secret: [u8; 32] = rand::random();
        Engine::with_secret(clock, resources, &secret)
    }

    /// An engine whose task tokens stay valid across processes sharing `secret`
    /// (needed for [`Engine::resume`] of a `.waitForTaskToken` task).
    pub fn with_secret(
        clock: Arc<dyn Clock>,
        resources: Arc<dyn TaskResources>,
        secret: &[u8],
    ) -> Engine {
        Engine {
            inner: Arc::new(EngineInner {
                clock,
                resources,
                tokens: Arc::new(tokens::Tokens::new(secret.to_vec())),
            }),
        }
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    fn exec(
        &self,
        exec: ExecutionInfo,
        input: Arc<Value>,
        observer: Arc<dyn Observer>,
        next_id: u64,
        resources: Option<Arc<dyn TaskResources>>,
        redrive: run::Redrive,
    ) -> Arc<run::Exec> {
        let shared = ExecShared::new(&exec.execution_arn);
        Arc::new(run::Exec {
            resources: resources.unwrap_or_else(|| self.inner.resources.clone()),
            context_override: None,
            probe: None,
            engine: self.inner.clone(),
            info: exec,
            input,
            observer,
            next_id: AtomicU64::new(next_id),
            shared,
            redrive,
        })
    }

    /// StartExecution: runs the machine from `StartAt` as a tokio task (call inside a runtime).
    pub fn start(
        &self,
        machine: &StateMachine,
        exec: ExecutionInfo,
        input: Value,
        observer: Arc<dyn Observer>,
    ) -> ExecutionHandle {
        self.start_with(machine, exec, input, observer, None)
    }

    /// [`Engine::start`] with this execution's own task resources (`None`: the engine's).
    /// A testing aid such as a mocked test case is a [`TaskResources`] wrapper given here.
    pub fn start_with(
        &self,
        machine: &StateMachine,
        exec: ExecutionInfo,
        input: Value,
        observer: Arc<dyn Observer>,
        resources: Option<Arc<dyn TaskResources>>,
    ) -> ExecutionHandle {
        let input = Arc::new(input);
        let ex = self.exec(
            exec,
            input.clone(),
            observer,
            1,
            resources,
            run::Redrive::default(),
        );
        let mut prev = 0;
        ex.emit(
            &mut prev,
            EventType::ExecutionStarted,
            Some(EventDetails::ExecutionStarted(ExecutionStartedDetails {
                input: input.clone(),
                input_details: PayloadDetails::default(),
                role_arn: ex.info.role_arn.clone(),
            })),
        );
        let handle = ExecutionHandle {
            shared: ex.shared.clone(),
        };
        let run = drive(ex, machine.machine.clone(), input, prev, None);
        tokio::spawn(self.inner.clock.track(Box::pin(run)));
        handle
    }

    /// Continues an execution from the history a previous process recorded. Event ids
    /// continue after the last recorded one. A history that already ends the execution
    /// gives a finished handle; a Parallel or Map state that was running is restarted
    /// from its recorded input.
    pub fn resume(
        &self,
        machine: &StateMachine,
        exec: ExecutionInfo,
        history: Vec<HistoryEvent>,
        observer: Arc<dyn Observer>,
    ) -> Result<ExecutionHandle, ResumeError> {
        self.resume_with(machine, exec, history, observer, false, None)
    }

    /// [`Engine::resume`] of an execution parked in a Wait that is skipped: the Wait it
    /// resumes in ends at once.
    pub fn resume_past_wait(
        &self,
        machine: &StateMachine,
        exec: ExecutionInfo,
        history: Vec<HistoryEvent>,
        observer: Arc<dyn Observer>,
    ) -> Result<ExecutionHandle, ResumeError> {
        self.resume_with(machine, exec, history, observer, true, None)
    }

    /// [`Engine::resume`] (or, with `past_wait`, [`Engine::resume_past_wait`]) with this
    /// execution's own task resources (`None`: the engine's).
    pub fn resume_with(
        &self,
        machine: &StateMachine,
        exec: ExecutionInfo,
        history: Vec<HistoryEvent>,
        observer: Arc<dyn Observer>,
        past_wait: bool,
        resources: Option<Arc<dyn TaskResources>>,
    ) -> Result<ExecutionHandle, ResumeError> {
        let plan = resume::plan(&machine.machine, &history)?;
        let last_id = history.last().map(|e| e.id).unwrap_or(0);
        let mut redrive = resume::redrives(&history);
        redrive.done = Mutex::new(plan.done);
        let ex = self.exec(
            exec,
            plan.input.clone(),
            observer,
            last_id + 1,
            resources,
            redrive,
        );
        let handle = ExecutionHandle {
            shared: ex.shared.clone(),
        };
        match plan.finished {
            Some(o) => {
                ex.shared.finish(o);
            }
            None => {
                // The state it resumes in is the running one from now on (a stop that comes
                // before the task first runs closes that state with its Aborted event).
                if let Some(at) = &plan.at {
                    ex.shared
                        .set_current(Some(machine.machine.states[at.state].name.clone()));
                }
                ex.shared.skip_next.store(past_wait, Ordering::SeqCst);
                let run = drive(ex, machine.machine.clone(), plan.input, last_id, plan.at);
                tokio::spawn(self.inner.clock.track(Box::pin(run)));
            }
        }
        Ok(handle)
    }

    /// RedriveExecution: an execution whose history ends with `ExecutionFailed`,
    /// `…Aborted` or `…TimedOut` goes on with `ExecutionRedriven` and the state it ended
    /// in, entered anew with its recorded input (a Map state runs only the iterations that
    /// had not succeeded). Event ids continue after the last recorded one.
    pub fn redrive(
        &self,
        machine: &StateMachine,
        exec: ExecutionInfo,
        history: Vec<HistoryEvent>,
        observer: Arc<dyn Observer>,
    ) -> Result<ExecutionHandle, ResumeError> {
        let plan = resume::redrive_plan(&machine.machine, &history)?;
        let last_id = history.last().map(|e| e.id).unwrap_or(0);
        let mut redrive = resume::redrives(&history);
        redrive.count += 1;
        redrive.at = Some(self.inner.clock.now());
        redrive.done = std::sync::Mutex::new(plan.done);
        let count = redrive.count;
        let ex = self.exec(
            exec,
            plan.input.clone(),
            observer,
            last_id + 1,
            None,
            redrive,
        );
        let mut prev = last_id;
        ex.emit(
            &mut prev,
            EventType::ExecutionRedriven,
            Some(EventDetails::ExecutionRedriven(RedrivenDetails {
                redrive_count: count,
            })),
        );
        let handle = ExecutionHandle {
            shared: ex.shared.clone(),
        };
        let run = drive(ex, machine.machine.clone(), plan.input, prev, plan.at);
        tokio::spawn(self.inner.clock.track(Box::pin(run)));
        Ok(handle)
    }

    pub fn send_task_success(&self, token: &str, output: Value) -> Result<(), TokenError> {
        self.inner.tokens.answer(token, Ok(output))
    }

    pub fn send_task_failure(
        &self,
        token: &str,
        error: Option<String>,
        cause: Option<String>,
    ) -> Result<(), TokenError> {
        self.inner.tokens.answer(
            token,
            Err(crate::task::TaskError::new(
                error.unwrap_or_default(),
                cause.unwrap_or_default(),
            )),
        )
    }

    /// The task tokens an execution waits on now (`.waitForTaskToken` tasks), each with the
    /// id of its `TaskScheduled` event. For an embedder that answers on a user's behalf (the
    /// local console); the tokens are secrets like any other.
    pub fn pending_task_tokens(&self, execution_arn: &str) -> Vec<(u64, String)> {
        self.inner.tokens.pending_for(execution_arn)
    }

    /// The token a `.waitForTaskToken` task scheduled by event `scheduled_event_id` of an
    /// execution was (or would be) given: for an embedder that must recognise tokens in
    /// execution data to redact them (the local console).
    pub fn task_token_for(&self, execution_arn: &str, scheduled_event_id: u64) -> String {
        self.inner
            .tokens
            .token_for(&tokens::Tokens::key(execution_arn, scheduled_event_id))
    }

    pub fn send_task_heartbeat(&self, token: &str) -> Result<(), TokenError> {
        self.inner
            .tokens
            .heartbeat(token, self.inner.clock.now().timestamp_millis())
    }
}

enum End {
    Done(Result<Arc<Value>, Fault>),
    Stopped,
    TimedOut,
}

/// Runs an execution to its end and records how it ended (unless it parks): the machine
/// runs until it ends, is stopped, or reaches the execution's timeout.
async fn drive(
    ex: Arc<run::Exec>,
    machine: Arc<crate::definition::Machine>,
    input: Arc<Value>,
    mut prev: u64,
    at: Option<run::ResumeAt>,
) {
    let mut vars = crate::paths::Vars::default();
    let end = tokio::select! {
        r = run_caught(&ex, &machine, input, &mut prev, at, &mut vars) => End::Done(r),
        _ = ex.shared.stop.notified() => End::Stopped,
        _ = execution_timeout(&ex, &machine) => End::TimedOut,
    };
    if let End::Done(Err(f)) = &end {
        if let Some(until) = f.park {
            // Parked: nothing is recorded and nothing ends; the embedder resumes it.
            ex.observer.on_park(&ex.info.execution_arn, until);
            return;
        }
    }
    let outcome = record_end(&ex, &machine, end, &mut prev);
    ex.shared.finish(outcome);
}

/// The run of the machine. A panic anywhere in it (engine or task code) fails this
/// execution alone, with `States.Runtime`, instead of leaving it RUNNING with nobody to
/// finish it. Not an `async fn`: the machine's boxed future is made here, so the
/// future returned holds only its pointer (a waiting execution stays small).
fn run_caught<'a>(
    ex: &'a run::Exec,
    machine: &'a Arc<crate::definition::Machine>,
    input: Arc<Value>,
    prev: &'a mut u64,
    at: Option<run::ResumeAt>,
    vars: &'a mut crate::paths::Vars,
) -> impl std::future::Future<Output = Result<Arc<Value>, Fault>> + 'a {
    let run = futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(
        ex.run_machine(machine, input, prev, true, at, vars),
    ));
    async move {
        match run.await {
            Ok(r) => r,
            Err(panic) => Err(Fault::runtime(format!(
                "An internal error ended the execution: {}",
                panic_text(panic.as_ref())
            ))),
        }
    }
}

/// Ends when the execution's `TimeoutSeconds` have passed since its start or its last
/// redrive (never without one).
async fn execution_timeout(ex: &run::Exec, machine: &crate::definition::Machine) {
    let timeout_at = machine.timeout_seconds.map(|s| {
        let from = ex.redrive.at.unwrap_or(ex.info.start_time);
        crate::clock::plus_seconds(from, i64::try_from(s).unwrap_or(i64::MAX))
    });
    match timeout_at {
        Some(t) => ex.engine.clock.sleep_until(t).await,
        None => futures::future::pending::<()>().await,
    }
}

/// Records the execution's last event (`ExecutionSucceeded`, `…Failed`, `…Aborted` or
/// `…TimedOut`) and gives its outcome.
fn record_end(
    ex: &run::Exec,
    machine: &crate::definition::Machine,
    end: End,
    prev: &mut u64,
) -> Outcome {
    let last_state = lock(&ex.shared.current).take();
    let (ty, wrap, outcome): (EventType, fn(ErrorDetails) -> EventDetails, Outcome) = match end {
        End::Done(Ok(v)) => {
            let details = EventDetails::ExecutionSucceeded(OutputDetails {
                output: v.clone(),
                output_details: PayloadDetails::default(),
            });
            ex.emit(prev, EventType::ExecutionSucceeded, Some(details));
            return Outcome::Succeeded(Arc::unwrap_or_clone(v));
        }
        End::Done(Err(f)) => {
            let (error, cause) = (none_if_empty(f.error), none_if_empty(f.cause));
            let outcome = Outcome::Failed { error, cause };
            (
                EventType::ExecutionFailed,
                EventDetails::ExecutionFailed,
                outcome,
            )
        }
        End::Stopped => {
            let (error, cause) = lock(&ex.shared.stop_reason).take().unwrap_or((None, None));
            // As on AWS, the state that was running is closed with its `...Aborted` event.
            if let Some(t) = last_state.and_then(|n| aborted_event(machine, &n)) {
                ex.emit(prev, t, None);
            }
            let outcome = Outcome::Aborted { error, cause };
            (
                EventType::ExecutionAborted,
                EventDetails::ExecutionAborted,
                outcome,
            )
        }
        End::TimedOut => {
            let (error, cause) = (
                Some(crate::fault::TIMEOUT.to_string()),
                Some("The execution timed out".to_string()),
            );
            let outcome = Outcome::TimedOut { error, cause };
            (
                EventType::ExecutionTimedOut,
                EventDetails::ExecutionTimedOut,
                outcome,
            )
        }
    };
    ex.emit(prev, ty, Some(wrap(outcome.error_details())));
    outcome
}

/// The `…StateAborted` event that closes the named state when the execution stops in it.
fn aborted_event(machine: &crate::definition::Machine, name: &str) -> Option<EventType> {
    use crate::definition::Kind;
    let &i = machine.index.get(name)?;
    match &machine.states[i].kind {
        Kind::Task(_) => Some(EventType::TaskStateAborted),
        Kind::Wait(_) => Some(EventType::WaitStateAborted),
        Kind::Parallel { .. } => Some(EventType::ParallelStateAborted),
        Kind::Map(_) => Some(EventType::MapStateAborted),
        _ => None,
    }
}

#[cfg(test)]
mod size_probe {
    use super::*;

    struct Nothing;
    #[async_trait::async_trait]
    impl TaskResources for Nothing {
        async fn invoke(&self, _c: crate::task::TaskCall) -> Result<Value, crate::task::TaskError> {
            Ok(Value::Null)
        }
    }

    /// Guards the memory budget of waiting executions (100,000 under 300 MB).
    #[test]
    fn waiting_execution_futures_stay_small() {
        let e = Engine::new(Arc::new(crate::clock::SystemClock), Arc::new(Nothing));
        let m = StateMachine::parse(
            r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"End":true}}}"#,
        )
        .unwrap();
        let info = ExecutionInfo {
            execution_arn: "a".into(),
            name: "n".into(),
            state_machine_arn: "s".into(),
            state_machine_name: "m".into(),
            start_time: chrono::Utc::now(),
            role_arn: None,
        };
        let ex = e.exec(
            info,
            Arc::new(Value::Null),
            Arc::new(crate::observer::NoopObserver),
            1,
            None,
            run::Redrive::default(),
        );
        let mut prev = 0;
        {
            let mut vars = crate::paths::Vars::default();
            let f = ex.run_machine(
                &m.machine,
                Arc::new(Value::Null),
                &mut prev,
                true,
                None,
                &mut vars,
            );
            assert!(
                std::mem::size_of_val(&*f) <= 1024,
                "run_machine future grew to {}",
                std::mem::size_of_val(&*f)
            );
        }
        let f = drive(
            ex.clone(),
            m.machine.clone(),
            Arc::new(Value::Null),
            0,
            None,
        );
        assert!(
            std::mem::size_of_val(&f) <= 512,
            "drive future grew to {}",
            std::mem::size_of_val(&f)
        );
        assert!(std::mem::size_of::<crate::history::HistoryEvent>() <= 112);
    }
}
