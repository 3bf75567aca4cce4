//! The Jobs table is app-core's in-memory one; the SNS topic is faked here. Records are
//! written and read as the table's attributes (JSON), as the state machines see them.

use std::sync::{Arc, Mutex};

use app_core::fake::MemoryJobs;
use app_core::ports::Upstream;
use async_trait::async_trait;
use serde_json::Value;
use status_events::ports::Notifier;

/// Stores the record `attributes` under `id`.
pub fn put(table: &MemoryJobs, id: &str, attributes: Value) {
    table.put_attributes(id, attributes).expect("a job record");
}

/// One attribute of the record of `id` as stored (`null` when absent; the task token is
/// never shown this way: read `Job::task_token` instead).
pub fn field(table: &MemoryJobs, id: &str, attribute: &str) -> Value {
    table
        .attributes(id)
        .and_then(|record| record.get(attribute).cloned())
        .unwrap_or(Value::Null)
}

#[derive(Default)]
pub struct FakeTopic {
    pub sent: Mutex<Vec<(String, String)>>,
    pub fail_next: Mutex<usize>,
}

#[async_trait]
impl Notifier for FakeTopic {
    async fn publish(&self, subject: &str, message: &str) -> Result<(), Upstream> {
        let mut f = self.fail_next.lock().unwrap();
        if *f > 0 {
            *f -= 1;
            return Err(Upstream("SNS down".into()));
        }
        self.sent
            .lock()
            .unwrap()
            .push((subject.to_string(), message.to_string()));
        Ok(())
    }
}

pub fn shared() -> (Arc<MemoryJobs>, Arc<FakeTopic>) {
    (Arc::new(MemoryJobs::new()), Arc::new(FakeTopic::default()))
}
