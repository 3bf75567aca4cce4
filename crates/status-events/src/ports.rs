//! What the handler needs from the outside world, so the status logic is tested with fakes:
//! the Jobs table (read a record, write a transition; app-core's adapter and in-memory fake
//! serve both) and the notification topic.

use app_core::ports::{JobReader, StatusRecorder, Upstream};
use async_trait::async_trait;

/// The Jobs table as the tracker uses it: read a record, write a status transition.
pub trait TrackerStore: JobReader + StatusRecorder {}

impl<T: JobReader + StatusRecorder> TrackerStore for T {}

#[async_trait]
pub trait Notifier: Send + Sync {
    async fn publish(&self, subject: &str, message: &str) -> Result<(), Upstream>;
}
