//! The shared state behind every operation, and the service value embedders hold.

use crate::arn::Scope;
use crate::error::SfnError;
use crate::journal::{self, Journal};
use crate::model::{apply_event, lock, Execution, Machine, MachineData, Record};
use crate::notify::{ExecutionStatusChange, Transition};
use crate::ops;
use asl::{Clock, Engine, ExecutionInfo, ExecutionStatus, HistoryEvent, Observer, TaskResources};
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

/// How to build a service.
#[derive(Clone)]
pub struct SfnConfig {
    pub region: String,
    pub account_id: String,
    pub clock: Arc<dyn Clock>,
    pub resources: Arc<dyn TaskResources>,
    /// Where the journal lives; None keeps everything in memory.
    pub state_dir: Option<PathBuf>,
    /// Task-token secret. Default: kept in `state_dir` (so tokens survive a restart), or
    /// random when in memory.
    pub token_secret: Option<Vec<u8>>,
    /// How long an ended execution is kept (listed, described, its history read) before it
    /// is removed, as AWS removes it; `None` keeps them for ever. Default: 90 days.
    pub retention: Option<chrono::Duration>,
    /// Step Functions Local's mock configuration: executions started as
    /// `<stateMachineArn>#<test case>` answer its mocked Task states from it.
    pub mock_config: Option<Arc<crate::MockSource>>,
}

impl SfnConfig {
    /// In memory, `us-east-1`, account `123456789012`.
    pub fn new(clock: Arc<dyn Clock>, resources: Arc<dyn TaskResources>) -> SfnConfig {
        SfnConfig {
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
            clock,
            resources,
            state_dir: None,
            token_secret: None,
            retention: Some(chrono::Duration::days(90)),
            mock_config: None,
        }
    }
}

#[derive(Default)]
pub(crate) struct Registry {
    pub machines: HashMap<String, Arc<Machine>>,
    pub executions: HashMap<Arc<str>, Arc<Execution>>,
    /// Executions of each machine ARN in start order.
    pub by_machine: HashMap<String, Vec<Arc<Execution>>>,
    pub tags: HashMap<String, std::collections::BTreeMap<String, String>>,
    pub activities: HashMap<String, crate::model::ActivityData>,
}

pub(crate) struct Core {
    pub scope: Scope,
    pub engine: Engine,
    /// The engine's task resources (what a mocked test case falls back to).
    pub resources: Arc<dyn TaskResources>,
    pub mocks: Option<Arc<crate::MockSource>>,
    pub reg: Mutex<Registry>,
    /// Held while a redrive is checked and made (one at a time).
    pub redrives: Mutex<()>,
    /// Activity tasks waiting for a worker.
    pub offers: Arc<crate::activities::Offers>,
    journal: Option<Journal>,
    status_tx: broadcast::Sender<ExecutionStatusChange>,
    transition_tx: broadcast::Sender<Transition>,
    seq: AtomicU64,
    closed: AtomicBool,
    retention: Option<chrono::Duration>,
    /// Woken when an execution ends (the retention sweep waits for the first one).
    ended: Arc<tokio::sync::Notify>,
}

impl Drop for Core {
    fn drop(&mut self) {
        // Lets the retention sweep see that the service is gone.
        self.ended.notify_one();
    }
}

impl Core {
    pub fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed)
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.engine.clock().now()
    }

    pub fn record(&self, r: Record) {
        if let Some(j) = &self.journal {
            j.append(r);
        }
    }

    /// Removes the executions that ended before the retention period (and their journal
    /// records); returns how many went.
    pub fn expire(&self) -> usize {
        let Some(keep) = self.retention else {
            return 0;
        };
        let cutoff = self.now() - keep;
        let gone: std::collections::HashSet<String> = {
            let mut reg = lock(&self.reg);
            let gone: std::collections::HashSet<String> = reg
                .executions
                .values()
                .filter(|e| {
                    let st = lock(&e.state);
                    st.status != ExecutionStatus::Running
                        && st.stop_date.is_some_and(|d| d < cutoff)
                })
                .map(|e| e.arn.to_string())
                .collect();
            if !gone.is_empty() {
                reg.executions.retain(|k, _| !gone.contains(&**k));
                for list in reg.by_machine.values_mut() {
                    list.retain(|e| !gone.contains(&*e.arn));
                }
            }
            gone
        };
        let n = gone.len();
        if let Some(j) = &self.journal {
            j.compact(gone);
        }
        n
    }

    /// When the first ended execution passes the retention period, if any has ended.
    fn next_expiry(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        let keep = self.retention?;
        let reg = lock(&self.reg);
        reg.executions
            .values()
            .filter_map(|e| {
                let st = lock(&e.state);
                (st.status != ExecutionStatus::Running)
                    .then_some(st.stop_date)
                    .flatten()
            })
            .min()
            .map(|d| d + keep)
    }

    /// Waits until what was recorded so far is written (no-op in memory).
    pub async fn flush(&self) {
        if let Some(j) = &self.journal {
            j.flush().await;
        }
    }

    pub fn journaled(&self) -> bool {
        self.journal.is_some()
    }

    pub fn transition(&self, exec_arn: &str, exec_name: &str, machine: &str, ev: &HistoryEvent) {
        if self.transition_tx.receiver_count() > 0 && Transition::worth_sending(ev) {
            let _ = self.transition_tx.send(Transition {
                execution_arn: exec_arn.to_string(),
                execution_name: exec_name.to_string(),
                state_machine_name: machine.to_string(),
                event: Arc::new(ev.clone()),
            });
        }
    }

    /// Starts a standard execution that is already registered.
    pub fn launch(self: &Arc<Self>, exec: &Arc<Execution>, input: Value) {
        let info = exec_info(exec);
        let observer = Arc::new(ExecObserver {
            core: self.clone(),
            exec: exec.clone(),
            parks: true,
        });
        let resources = self.resources_for(&exec.machine.data.name, exec.test_case.as_deref(), &[]);
        let handle = self
            .engine
            .start_with(&exec.machine.parsed, info, input, observer, resources);
        exec.set_handle(handle);
    }

    /// The test case `case` of machine `machine` in the mock configuration now.
    pub fn test_case(
        &self,
        machine: &str,
        case: &str,
    ) -> Option<Arc<crate::mock_config::TestCase>> {
        self.mocks.as_ref()?.current().test_case(machine, case)
    }

    /// The task resources of an execution of `machine` run as test case `case` (None: the
    /// engine's own). `history`: what it recorded before a resume.
    pub fn resources_for(
        &self,
        machine: &str,
        case: Option<&str>,
        history: &[HistoryEvent],
    ) -> Option<Arc<dyn TaskResources>> {
        let case_name = case?;
        let Some(case) = self.test_case(machine, case_name) else {
            tracing::warn!(
                machine,
                test_case = case_name,
                "the mock configuration no longer has this test case; its tasks run unmocked"
            );
            return None;
        };
        Some(Arc::new(crate::mock_config::MockedTasks::new(
            self.resources.clone(),
            self.engine.clone(),
            case,
            history,
        )))
    }

    /// A machine marked deleting disappears once its last execution has ended.
    fn execution_ended(&self, exec: &Execution) {
        let arn = &exec.machine.data.arn;
        let mut reg = lock(&self.reg);
        let deleting = reg.machines.get(arn).is_some_and(|m| m.data.deleting);
        if !deleting {
            return;
        }
        let running = reg.by_machine.get(arn).is_some_and(|v| {
            v.iter()
                .any(|e| lock(&e.state).status == ExecutionStatus::Running)
        });
        if !running {
            reg.machines.remove(arn);
            self.record(Record::MachineGone { arn: arn.clone() });
        }
    }

    fn close(&self) {
        if self.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        let running: Vec<Arc<Execution>> = lock(&self.reg).executions.values().cloned().collect();
        for e in running {
            if let Some(h) = e.handle() {
                h.stop(None, None);
            }
        }
        if let Some(j) = &self.journal {
            j.close();
        }
    }
}

pub(crate) fn exec_info(exec: &Execution) -> ExecutionInfo {
    ExecutionInfo {
        execution_arn: exec.arn.to_string(),
        name: exec.name.clone(),
        state_machine_arn: exec.machine.data.arn.clone(),
        state_machine_name: exec.machine.data.name.clone(),
        start_time: exec.start_date,
        role_arn: Some(exec.machine.data.role_arn.clone()),
    }
}

/// Records a standard execution's events: history, journal, feeds.
struct ExecObserver {
    core: Arc<Core>,
    exec: Arc<Execution>,
    /// Long top-level waits leave the engine (see `asl::Observer::parks`).
    parks: bool,
}

impl Observer for ExecObserver {
    fn parks(&self) -> bool {
        self.parks
    }

    fn on_park(&self, _exec_arn: &str, until: chrono::DateTime<chrono::Utc>) {
        self.exec.park();
        let core = self.core.clone();
        let exec = self.exec.clone();
        let clock = core.engine.clock().clone();
        let sleep = clock.sleep_until(until);
        tokio::spawn(clock.track(Box::pin(async move {
            sleep.await;
            if exec.unpark() {
                resume(&core, exec, true);
            }
        })));
    }

    fn on_event(&self, _exec_arn: &str, event: &HistoryEvent) {
        if self.core.closed.load(Ordering::Relaxed) {
            return;
        }
        let (ended, change) = {
            let mut st = lock(&self.exec.state);
            let ended = apply_event(&mut st, event);
            // Appended under the lock so the journal keeps the history's order.
            self.core.record(Record::Event {
                arn: self.exec.arn.to_string(),
                ev: event.clone(),
            });
            let started = matches!(
                event.event_type,
                asl::EventType::ExecutionStarted | asl::EventType::ExecutionRedriven
            );
            let change = (ended || started).then(|| ExecutionStatusChange::of(&self.exec, &st));
            (ended, change)
        };
        self.exec.events.notify_waiters();
        self.core.transition(
            &self.exec.arn,
            &self.exec.name,
            &self.exec.machine.data.name,
            event,
        );
        if let Some(c) = change {
            let _ = self.core.status_tx.send(c);
        }
        if ended {
            self.core.execution_ended(&self.exec);
            self.core.ended.notify_one();
        }
    }
}

/// Removes ended executions once they pass the retention period, by the service's clock: at
/// most hourly, and only when one is due (it sleeps until the first one is, or until an
/// execution ends when none has). Ends with the service.
async fn retention_sweep(
    core: std::sync::Weak<Core>,
    ended: Arc<tokio::sync::Notify>,
    clock: Arc<dyn Clock>,
) {
    let mut last: Option<chrono::DateTime<chrono::Utc>> = None;
    loop {
        let Some(next) = core.upgrade().map(|c| c.next_expiry()) else {
            return;
        };
        match next {
            // Executions that end later expire later: only the first end matters.
            None => {
                ended.notified().await;
                continue;
            }
            Some(t) => {
                let due = last.map_or(t, |l| t.max(l + chrono::Duration::hours(1)));
                clock.sleep_until(due).await;
            }
        }
        let Some(core) = core.upgrade() else { return };
        core.expire();
        last = Some(clock.now());
    }
}

/// Express executions keep no history; they only feed transitions.
pub(crate) struct ExpressObserver {
    pub core: Arc<Core>,
    pub name: String,
    pub machine: String,
}

impl Observer for ExpressObserver {
    fn on_event(&self, exec_arn: &str, event: &HistoryEvent) {
        self.core
            .transition(exec_arn, &self.name, &self.machine, event);
    }
}

/// The Step Functions service: operations by name, the HTTP router, and feeds.
pub struct SfnService {
    pub(crate) core: Arc<Core>,
}

impl SfnService {
    /// Builds the service; with a `state_dir`, reloads what a previous process recorded and
    /// resumes its running executions (call inside a tokio runtime then).
    pub fn new(cfg: SfnConfig) -> Result<SfnService, SfnError> {
        let secret = match (&cfg.token_secret, &cfg.state_dir) {
            (Some(s), _) => s.clone(),
            (None, Some(dir)) => {
                local_state::private_dir(dir).map_err(|e| {
                    SfnError::Internal(format!("cannot create {}: {e}", dir.display()))
                })?;
                journal::secret(dir)?
            }
            (None, None) => uuid::Uuid::new_v4().as_bytes().to_vec(),
        };
        let offers = Arc::new(crate::activities::Offers::default());
        let resources = Arc::new(crate::activities::ActivityResources {
            inner: cfg.resources.clone(),
            offers: offers.clone(),
        });
        let engine = Engine::with_secret(cfg.clock.clone(), resources, &secret);
        let mut records = match &cfg.state_dir {
            Some(dir) => journal::load(dir)?,
            None => Vec::new(),
        };
        if let (Some(dir), Some(keep)) = (&cfg.state_dir, cfg.retention) {
            // Executions that ended before the retention period are dropped, from the
            // registry and from the journal (compacted), so restarts stay quick.
            let gone = expired_in(&records, cfg.clock.now() - keep);
            if !gone.is_empty() {
                records.retain(|r| match r {
                    Record::Start { arn, .. }
                    | Record::Event { arn, .. }
                    | Record::RedriveToken { arn, .. } => !gone.contains(arn),
                    _ => true,
                });
                journal::compact(dir, &gone)?;
            }
        }
        let journal = match &cfg.state_dir {
            Some(dir) => Some(Journal::open(dir)?),
            None => None,
        };
        let core = Arc::new(Core {
            scope: Scope {
                region: cfg.region,
                account_id: cfg.account_id,
            },
            engine,
            resources: cfg.resources.clone(),
            mocks: cfg.mock_config.clone(),
            reg: Mutex::new(Registry::default()),
            redrives: Mutex::new(()),
            offers,
            journal,
            status_tx: broadcast::channel(1024).0,
            transition_tx: broadcast::channel(4096).0,
            seq: AtomicU64::new(1),
            closed: AtomicBool::new(false),
            retention: cfg.retention,
            ended: Arc::new(tokio::sync::Notify::new()),
        });
        let to_resume = rebuild(&core, records);
        if !to_resume.is_empty() && tokio::runtime::Handle::try_current().is_err() {
            return Err(SfnError::Internal(
                "resuming executions needs a tokio runtime: build the service inside one".into(),
            ));
        }
        for exec in to_resume {
            resume(&core, exec, true);
        }
        if core.retention.is_some() {
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                let sweep =
                    retention_sweep(Arc::downgrade(&core), core.ended.clone(), cfg.clock.clone());
                rt.spawn(cfg.clock.track(Box::pin(sweep)));
            }
        }
        Ok(SfnService { core })
    }

    /// Runs one operation (`StartExecution`, ...) on a JSON 1.0 request body.
    pub async fn handle(&self, operation: &str, body: Value) -> Result<Value, SfnError> {
        ops::dispatch(&self.core, operation, &body).await
    }

    /// The engine, e.g. to answer task tokens directly.
    pub fn engine(&self) -> &Engine {
        &self.core.engine
    }

    pub fn region(&self) -> &str {
        &self.core.scope.region
    }

    pub fn account_id(&self) -> &str {
        &self.core.scope.account_id
    }

    /// Status changes of standard executions (EventBridge detail shape).
    pub fn subscribe_status(&self) -> broadcast::Receiver<ExecutionStatusChange> {
        self.core.status_tx.subscribe()
    }

    /// State transitions of all executions.
    pub fn subscribe_transitions(&self) -> broadcast::Receiver<Transition> {
        self.core.transition_tx.subscribe()
    }

    /// Removes the ended executions past the retention period now (it also happens
    /// hourly); returns how many went.
    pub fn expire_executions(&self) -> usize {
        self.core.expire()
    }

    /// Stops recording and writes out the journal. Running executions are left as the
    /// journal has them, as if the process had been killed, and resume on the next start.
    pub fn shutdown(&self) {
        self.core.close();
    }
}

impl Drop for SfnService {
    fn drop(&mut self) {
        self.core.close();
    }
}

/// The executions a journal shows ended before `cutoff`.
fn expired_in(
    records: &[Record],
    cutoff: chrono::DateTime<chrono::Utc>,
) -> std::collections::HashSet<String> {
    use asl::EventType::*;
    records
        .iter()
        .filter_map(|r| match r {
            Record::Event { arn, ev }
                if matches!(
                    ev.event_type,
                    ExecutionSucceeded | ExecutionFailed | ExecutionAborted | ExecutionTimedOut
                ) && ev.timestamp < cutoff =>
            {
                Some(arn.clone())
            }
            _ => None,
        })
        .collect()
}

/// Replays the journal; returns the executions still running.
fn rebuild(core: &Arc<Core>, records: Vec<Record>) -> Vec<Arc<Execution>> {
    let mut revs: HashMap<u64, Arc<Machine>> = HashMap::new();
    let mut max_seq = 0;
    let mut reg = lock(&core.reg);
    for r in records {
        match r {
            Record::Machine { m } => {
                max_seq = max_seq.max(m.rev).max(m.seq);
                let rev = m.rev;
                let arn = m.arn.clone();
                let machine = match revs.values().find(|x| x.data.definition == m.definition) {
                    Some(same) => Arc::new(same.with_data(m)),
                    None => match Machine::new(m) {
                        Ok(x) => Arc::new(x),
                        Err(e) => {
                            tracing::warn!(machine = %arn, error = %e, "journal holds a definition that no longer parses; skipped");
                            continue;
                        }
                    },
                };
                revs.insert(rev, machine.clone());
                reg.machines.insert(arn, machine);
            }
            Record::MachineGone { arn } => {
                reg.machines.remove(&arn);
            }
            Record::Start {
                seq,
                arn,
                name,
                rev,
                start,
                input,
                test_case,
            } => {
                max_seq = max_seq.max(seq);
                let Some(machine) = revs.get(&rev).cloned() else {
                    tracing::warn!(execution = %arn, "journal start refers to an unknown machine revision; skipped");
                    continue;
                };
                let exec = Arc::new(Execution::new(
                    seq,
                    arn.clone(),
                    name,
                    machine,
                    start,
                    input,
                    test_case,
                ));
                reg.by_machine
                    .entry(exec.machine.data.arn.clone())
                    .or_default()
                    .push(exec.clone());
                reg.executions.insert(exec.arn.clone(), exec);
            }
            Record::Event { arn, ev } => {
                if let Some(exec) = reg.executions.get(arn.as_str()) {
                    apply_event(&mut lock(&exec.state), &ev);
                }
            }
            Record::Activity { a } => {
                max_seq = max_seq.max(a.seq);
                reg.activities.insert(a.arn.clone(), a);
            }
            Record::ActivityGone { arn } => {
                reg.activities.remove(&arn);
            }
            Record::RedriveToken { arn, token, at } => {
                if let Some(exec) = reg.executions.get(arn.as_str()) {
                    lock(&exec.state).remember_redrive(token, at);
                }
            }
        }
    }
    core.seq.store(max_seq + 1, Ordering::Relaxed);
    reg.executions
        .values()
        .filter(|e| lock(&e.state).status == ExecutionStatus::Running)
        .cloned()
        .collect()
}

/// Continues an execution from its recorded history (after a restart, or a parked one);
/// `parks`: whether it may park again.
pub(crate) fn resume(core: &Arc<Core>, exec: Arc<Execution>, parks: bool) {
    resume_from(core, exec, parks, false);
}

/// [`resume`], for an execution parked in a Wait that is skipped: the Wait ends at once.
pub(crate) fn resume_past_wait(core: &Arc<Core>, exec: Arc<Execution>) {
    resume_from(core, exec, true, true);
}

fn resume_from(core: &Arc<Core>, exec: Arc<Execution>, parks: bool, past_wait: bool) {
    if lock(&exec.state).history.is_empty() {
        // Killed between registering it and its first event: start it afresh.
        let input = asl::parse_json_text(&exec.input).unwrap_or(Value::Null);
        core.launch(&exec, input);
        return;
    }
    let history = lock(&exec.state).history.events();
    let observer = Arc::new(ExecObserver {
        core: core.clone(),
        exec: exec.clone(),
        parks,
    });
    let resources =
        core.resources_for(&exec.machine.data.name, exec.test_case.as_deref(), &history);
    let result = core.engine.resume_with(
        &exec.machine.parsed,
        exec_info(&exec),
        history,
        observer.clone(),
        past_wait,
        resources,
    );
    match result {
        Ok(h) => {
            exec.set_handle(h);
        }
        Err(e) => {
            tracing::error!(execution = %exec.arn, error = %e, "cannot resume; the execution is marked FAILED");
            let last = lock(&exec.state).history.last_id();
            let ev = HistoryEvent {
                timestamp: core.now(),
                event_type: asl::EventType::ExecutionFailed,
                id: last + 1,
                previous_event_id: last,
                details: Some(asl::EventDetails::ExecutionFailed(asl::ErrorDetails {
                    error: Some("States.Runtime".into()),
                    cause: Some(format!(
                        "The execution could not be resumed after a restart: {e}"
                    )),
                })),
            };
            observer.on_event(&exec.arn, &ev);
        }
    }
}

/// Redrives an execution that ended unsuccessfully (RedriveExecution has checked that it
/// can be): its `ExecutionRedriven` event is recorded before this returns.
pub(crate) fn redrive(core: &Arc<Core>, exec: &Arc<Execution>) -> Result<(), SfnError> {
    let history = lock(&exec.state).history.events();
    let observer = Arc::new(ExecObserver {
        core: core.clone(),
        exec: exec.clone(),
        parks: true,
    });
    let h = core
        .engine
        .redrive(&exec.machine.parsed, exec_info(exec), history, observer)
        .map_err(|e| SfnError::Internal(format!("cannot redrive: {e}")))?;
    exec.set_handle(h);
    Ok(())
}

pub(crate) fn machine_record(m: &MachineData) -> Record {
    Record::Machine { m: m.clone() }
}
