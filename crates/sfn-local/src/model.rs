//! What the service remembers about state machines and executions, in memory and in the
//! journal.

use asl::{EventDetails, EventType, ExecutionHandle, ExecutionStatus, HistoryEvent};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::{Arc, Mutex, MutexGuard};

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum MachineType {
    Standard,
    Express,
}

impl MachineType {
    pub fn as_str(self) -> &'static str {
        match self {
            MachineType::Standard => "STANDARD",
            MachineType::Express => "EXPRESS",
        }
    }

    pub fn parse(s: &str) -> Option<MachineType> {
        match s {
            "STANDARD" => Some(MachineType::Standard),
            "EXPRESS" => Some(MachineType::Express),
            _ => None,
        }
    }
}

/// One revision of a state machine. Updates make a new revision; executions keep the
/// revision they started with (DescribeStateMachineForExecution, resume).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MachineData {
    /// Unique across the service's life; also the listing order key.
    pub rev: u64,
    /// Creation order of the machine (kept across updates).
    pub seq: u64,
    pub arn: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: MachineType,
    pub definition: String,
    pub role_arn: String,
    pub creation_date: DateTime<Utc>,
    pub update_date: Option<DateTime<Utc>>,
    pub logging: Option<Value>,
    pub tracing: Option<Value>,
    #[serde(default)]
    pub deleting: bool,
}

pub(crate) struct Machine {
    pub data: MachineData,
    pub parsed: asl::StateMachine,
}

impl Machine {
    pub fn new(data: MachineData) -> Result<Machine, asl::DefinitionError> {
        let parsed = asl::StateMachine::parse(&data.definition)?;
        Ok(Machine { data, parsed })
    }

    /// Same revision content with other flags (parsing again is not needed).
    pub fn with_data(&self, data: MachineData) -> Machine {
        Machine {
            data,
            parsed: self.parsed.clone(),
        }
    }
}

/// An activity (CreateActivity): what workers poll for tasks (GetActivityTask).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityData {
    /// Creation order (the listing order).
    pub seq: u64,
    pub arn: String,
    pub name: String,
    pub creation_date: DateTime<Utc>,
}

/// Mutable part of an execution.
pub(crate) struct ExecState {
    pub status: ExecutionStatus,
    pub stop_date: Option<DateTime<Utc>>,
    pub output: Option<String>,
    pub error: Option<String>,
    pub cause: Option<String>,
    pub history: crate::history::History,
    /// The engine's handle while the execution runs (to stop it); dropped when it ends.
    pub handle: Option<ExecutionHandle>,
    /// In a long Wait with no engine task (see `asl::Observer::parks`): resumed from its
    /// history when the wait ends, or to be stopped.
    pub parked: bool,
    /// Redrives so far and the last one's date (from its `ExecutionRedriven` events).
    pub redrive_count: u32,
    pub redrive_date: Option<DateTime<Utc>>,
    /// The client tokens of the last redrives, with their dates: a repeated request
    /// answers the same date without redriving again.
    pub redrive_tokens: Vec<(String, DateTime<Utc>)>,
}

pub(crate) struct Execution {
    pub seq: u64,
    /// Shared with the registry's key.
    pub arn: Arc<str>,
    pub name: String,
    pub machine: Arc<Machine>,
    pub start_date: DateTime<Utc>,
    /// The input as sent (parsed again when needed: a parsed tree costs far more).
    pub input: String,
    /// The mock test case it was started as (`<stateMachineArn>#<case>`), if any.
    pub test_case: Option<String>,
    pub state: Mutex<ExecState>,
    /// Woken on every recorded event (lets SendTask* wait for the task's answer to be
    /// recorded before acknowledging it).
    pub events: tokio::sync::Notify,
}

impl Execution {
    pub fn new(
        seq: u64,
        arn: String,
        name: String,
        machine: Arc<Machine>,
        start_date: DateTime<Utc>,
        input: String,
        test_case: Option<String>,
    ) -> Execution {
        Execution {
            seq,
            arn: Arc::from(arn),
            name,
            machine,
            start_date,
            input,
            test_case,
            state: Mutex::new(ExecState {
                status: ExecutionStatus::Running,
                stop_date: None,
                output: None,
                error: None,
                cause: None,
                history: Default::default(),
                handle: None,
                parked: false,
                redrive_count: 0,
                redrive_date: None,
                redrive_tokens: Vec::new(),
            }),
            events: tokio::sync::Notify::new(),
        }
    }
}

impl Execution {
    /// Keeps the engine's handle, unless the execution has already ended.
    pub fn set_handle(&self, h: ExecutionHandle) {
        let mut st = lock(&self.state);
        if st.status == ExecutionStatus::Running && !st.parked {
            st.handle = Some(h);
        }
    }

    /// Marks it parked; its engine task has ended.
    pub fn park(&self) {
        let mut st = lock(&self.state);
        st.parked = true;
        st.handle = None;
    }

    /// Takes it out of the parked state; true for the one caller that should resume it.
    pub fn unpark(&self) -> bool {
        let mut st = lock(&self.state);
        let take = st.parked && st.status == ExecutionStatus::Running;
        st.parked = false;
        take
    }

    pub fn handle(&self) -> Option<ExecutionHandle> {
        lock(&self.state).handle.clone()
    }
}

/// Records an event; returns true when it ends the execution.
pub(crate) fn apply_event(st: &mut ExecState, ev: &HistoryEvent) -> bool {
    if let Some(EventDetails::ExecutionRedriven(d)) = &ev.details {
        redriven(st, ev.timestamp, d.redrive_count);
    }
    let end = match (&ev.event_type, &ev.details) {
        (EventType::ExecutionSucceeded, Some(EventDetails::ExecutionSucceeded(o))) => {
            st.output = Some(serde_json::to_string(&*o.output).unwrap_or_else(|_| "null".into()));
            Some(ExecutionStatus::Succeeded)
        }
        (EventType::ExecutionSucceeded, _) => Some(ExecutionStatus::Succeeded),
        (EventType::ExecutionFailed, d) => {
            set_error(st, d);
            Some(ExecutionStatus::Failed)
        }
        (EventType::ExecutionTimedOut, d) => {
            set_error(st, d);
            Some(ExecutionStatus::TimedOut)
        }
        (EventType::ExecutionAborted, d) => {
            set_error(st, d);
            Some(ExecutionStatus::Aborted)
        }
        _ => None,
    };
    st.history.push(ev);
    match end {
        Some(s) if st.status == ExecutionStatus::Running => {
            st.status = s;
            st.stop_date = Some(ev.timestamp);
            st.history.close();
            st.handle = None;
            true
        }
        _ => false,
    }
}

/// A redrive: the execution runs again, without the outcome of the run before.
fn redriven(st: &mut ExecState, at: DateTime<Utc>, count: u32) {
    st.status = ExecutionStatus::Running;
    st.stop_date = None;
    st.output = None;
    st.error = None;
    st.cause = None;
    st.redrive_count = count;
    st.redrive_date = Some(at);
}

/// How many redrive client tokens are remembered, and for how long (as on AWS).
const REDRIVE_TOKENS: usize = 10;
const REDRIVE_TOKEN_MINUTES: i64 = 15;

impl ExecState {
    /// The date of the redrive a client token already made, if it is still remembered.
    pub fn redrive_by_token(&self, token: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.redrive_tokens
            .iter()
            .find(|(t, at)| {
                t == token && now - *at < chrono::Duration::minutes(REDRIVE_TOKEN_MINUTES)
            })
            .map(|(_, at)| *at)
    }

    /// Remembers a redrive's client token (the last ten are kept).
    pub fn remember_redrive(&mut self, token: String, at: DateTime<Utc>) {
        self.redrive_tokens.push((token, at));
        let extra = self.redrive_tokens.len().saturating_sub(REDRIVE_TOKENS);
        self.redrive_tokens.drain(..extra);
    }
}

fn set_error(st: &mut ExecState, d: &Option<EventDetails>) {
    if let Some(
        EventDetails::ExecutionFailed(e)
        | EventDetails::ExecutionTimedOut(e)
        | EventDetails::ExecutionAborted(e),
    ) = d
    {
        st.error = e.error.clone();
        st.cause = e.cause.clone();
    }
}

/// One line of the journal.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "t")]
pub(crate) enum Record {
    /// A machine revision was created, updated or marked deleting.
    Machine { m: MachineData },
    /// A machine is gone for good.
    MachineGone { arn: String },
    /// An execution started on revision `rev`.
    Start {
        seq: u64,
        arn: String,
        name: String,
        rev: u64,
        start: DateTime<Utc>,
        input: String,
        /// The mock test case it runs as (absent for a plain execution).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        test_case: Option<String>,
    },
    /// One history event of an execution.
    Event { arn: String, ev: HistoryEvent },
    /// An activity was created.
    Activity { a: ActivityData },
    /// An activity was deleted.
    ActivityGone { arn: String },
    /// A redrive's client token (its `ExecutionRedriven` event is recorded as an Event).
    RedriveToken {
        arn: String,
        token: String,
        at: DateTime<Utc>,
    },
}
