//! In-memory job table and SNS topic with the same conditional semantics as the adapters.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde_json::{json, Map, Value};
use status_events::ports::{JobSnapshot, Notifier, StatusStore, StatusUpdate, StoreError};

/// A concurrent writer's change, applied just before a conditional write.
pub type Interference = Box<dyn FnOnce(&mut Map<String, Value>) + Send>;

#[derive(Default)]
pub struct FakeTable {
    pub items: Mutex<HashMap<String, Map<String, Value>>>,
    pub writes: Mutex<usize>,
    /// Before the next N `apply` calls, run this mutation (a concurrent writer).
    pub interfere: Mutex<Vec<Interference>>,
    pub fail_gets: Mutex<usize>,
}

impl FakeTable {
    pub fn put(&self, id: &str, item: Value) {
        let Value::Object(mut m) = item else {
            panic!("object")
        };
        m.insert("Id".into(), json!(id));
        self.items.lock().unwrap().insert(id.to_string(), m);
    }
    pub fn item(&self, id: &str) -> Option<Map<String, Value>> {
        self.items.lock().unwrap().get(id).cloned()
    }
    pub fn writes(&self) -> usize {
        *self.writes.lock().unwrap()
    }
}

fn snap(m: &Map<String, Value>) -> JobSnapshot {
    let text = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
    JobSnapshot {
        execution_status: text("ExecutionStatus"),
        execution_status_at: m.get("ExecutionStatusAt").and_then(Value::as_i64),
        execution_arn: text("ExecutionArn"),
        process_status: text("ProcessStatus"),
        cancel_requested: m.get("CancelRequested") == Some(&json!(true)),
        notified: m.contains_key("NotifiedAt"),
    }
}

#[async_trait]
impl StatusStore for FakeTable {
    async fn get(&self, id: &str) -> Result<Option<JobSnapshot>, StoreError> {
        let mut f = self.fail_gets.lock().unwrap();
        if *f > 0 {
            *f -= 1;
            return Err(StoreError("injected".into()));
        }
        Ok(self.items.lock().unwrap().get(id).map(snap))
    }

    async fn apply(
        &self,
        id: &str,
        expected: Option<&JobSnapshot>,
        u: &StatusUpdate,
    ) -> Result<bool, StoreError> {
        let mut items = self.items.lock().unwrap();
        if let Some(f) = self.interfere.lock().unwrap().pop() {
            if let Some(m) = items.get_mut(id) {
                f(m);
            }
        }
        let current = items.get(id).map(snap);
        let ok = match (expected, &current) {
            (None, None) => true,
            (Some(e), Some(c)) => {
                e.execution_status == c.execution_status
                    && e.execution_status_at == c.execution_status_at
                    && e.process_status == c.process_status
            }
            _ => false,
        };
        if !ok {
            return Ok(false);
        }
        *self.writes.lock().unwrap() += 1;
        let m = items.entry(id.to_string()).or_insert_with(|| {
            let mut m = Map::new();
            m.insert("Id".into(), json!(id));
            m
        });
        m.insert("ExecutionStatus".into(), json!(u.execution_status.as_str()));
        m.insert("ExecutionStatusAt".into(), json!(u.execution_status_at));
        m.insert("ExecutionArn".into(), json!(u.execution_arn));
        m.insert("StateMachineArn".into(), json!(u.state_machine_arn));
        m.insert("StartedAt".into(), json!(u.started_at));
        m.insert("LastUpdated".into(), json!(u.last_updated));
        m.entry("ListShard")
            .or_insert(json!(app_core::cursor::list_shard_of(id)));
        if let Some(exp) = u.expires_at {
            m.insert("ExpiresAt".into(), json!(exp));
        }
        if let Some(p) = u.pattern {
            m.entry("Pattern").or_insert(json!(p));
        }
        if let Some(s) = &u.stopped_at {
            m.insert("StoppedAt".into(), json!(s));
        }
        if let Some(e) = &u.error {
            m.entry("Error").or_insert(json!(e));
        }
        if let Some(c) = &u.cause {
            m.entry("Cause").or_insert(json!(c));
        }
        if let Some(ps) = u.process_status {
            m.insert("ProcessStatus".into(), json!(ps));
        }
        if u.remove_task_token {
            m.remove("TaskToken");
        }
        Ok(true)
    }

    async fn mark_notified(&self, id: &str, at: &str) -> Result<bool, StoreError> {
        let mut items = self.items.lock().unwrap();
        match items.get_mut(id) {
            Some(m) if !m.contains_key("NotifiedAt") => {
                m.insert("NotifiedAt".into(), json!(at));
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

#[derive(Default)]
pub struct FakeTopic {
    pub sent: Mutex<Vec<(String, String)>>,
    pub fail_next: Mutex<usize>,
}

#[async_trait]
impl Notifier for FakeTopic {
    async fn publish(&self, subject: &str, message: &str) -> Result<(), StoreError> {
        let mut f = self.fail_next.lock().unwrap();
        if *f > 0 {
            *f -= 1;
            return Err(StoreError("SNS down".into()));
        }
        self.sent
            .lock()
            .unwrap()
            .push((subject.to_string(), message.to_string()));
        Ok(())
    }
}

pub fn shared() -> (Arc<FakeTable>, Arc<FakeTopic>) {
    (
        Arc::new(FakeTable::default()),
        Arc::new(FakeTopic::default()),
    )
}
