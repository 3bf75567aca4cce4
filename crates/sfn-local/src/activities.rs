//! Activity tasks waiting for a worker. A Task state on an activity ARN offers its task
//! here (through [`ActivityResources`], which wraps the embedder's task resources); a
//! worker's GetActivityTask takes the oldest offer, and the engine records
//! `ActivityStarted` with the worker's name. The answer comes back through SendTask* and
//! the task token, as for any callback.

use asl::{TaskCall, TaskError, TaskResources};
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use tokio::sync::{oneshot, Notify};

/// A task a worker can take: its token, its input (JSON text) and who to tell.
struct Offer {
    token: String,
    input: String,
    taken: oneshot::Sender<String>,
}

/// What a worker gets from GetActivityTask.
pub(crate) struct ActivityTask {
    pub token: String,
    pub input: String,
}

/// The offers of every activity, oldest first.
#[derive(Default)]
pub(crate) struct Offers {
    queues: Mutex<HashMap<String, VecDeque<Offer>>>,
    /// Woken when a task is offered.
    pub offered: Notify,
}

impl Offers {
    fn offer(&self, activity: &str, token: String, input: String) -> oneshot::Receiver<String> {
        let (taken, rx) = oneshot::channel();
        crate::model::lock(&self.queues)
            .entry(activity.to_string())
            .or_default()
            .push_back(Offer {
                token,
                input,
                taken,
            });
        self.offered.notify_waiters();
        rx
    }

    /// The oldest task of the activity still waited for, handed to `worker`.
    pub fn take(&self, activity: &str, worker: &str) -> Option<ActivityTask> {
        let mut queues = crate::model::lock(&self.queues);
        let queue = queues.get_mut(activity)?;
        while let Some(o) = queue.pop_front() {
            // A task whose execution stopped or timed out meanwhile is no longer offered.
            if o.taken.send(worker.to_string()).is_ok() {
                return Some(ActivityTask {
                    token: o.token,
                    input: o.input,
                });
            }
        }
        None
    }

    /// Drops the offers of a deleted activity.
    pub fn forget(&self, activity: &str) {
        crate::model::lock(&self.queues).remove(activity);
    }
}

/// The embedder's task resources, with activity ARNs served by [`Offers`].
pub(crate) struct ActivityResources {
    pub inner: Arc<dyn TaskResources>,
    pub offers: Arc<Offers>,
}

#[async_trait::async_trait]
impl TaskResources for ActivityResources {
    async fn invoke(&self, call: TaskCall) -> Result<Value, TaskError> {
        if !asl::is_activity(&call.resource) {
            return self.inner.invoke(call).await;
        }
        let Some(token) = call.task_token.clone() else {
            return Err(TaskError::new(
                "States.Runtime",
                "an activity task has no token",
            ));
        };
        let input = serde_json::to_string(&call.parameters).unwrap_or_else(|_| "{}".into());
        let taken = self.offers.offer(&call.resource, token, input);
        match taken.await {
            Ok(worker) if worker.is_empty() => Ok(json!({})),
            Ok(worker) => Ok(json!({ "workerName": worker })),
            Err(_) => Err(TaskError::new(
                "States.Runtime",
                "the activity task was withdrawn",
            )),
        }
    }
}
