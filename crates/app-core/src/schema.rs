//! The Jobs table (`JobsTable` in template.yaml and docs/contracts.md): its key, its
//! attributes, its two listing indexes and how jobs spread over the all-jobs listing.
//!
//! The DynamoDB adapter, the in-memory fake and the listing all read these names from here.

use crate::domain::JobStatus;
use sha2::{Digest, Sha256};

/// Attribute names of the table. `Id` is the hash key; there is no range key.
pub mod attr {
    pub const ID: &str = "Id";
    /// Hash key of `RecentIndex`: one of the [`super::LIST_SHARDS`] values, see [`super::list_shard_of`].
    pub const LIST_SHARD: &str = "ListShard";
    pub const PATTERN: &str = "Pattern";
    /// The job's lifecycle ([`crate::domain::JobStatus`]); hash key of `StatusIndex`.
    pub const STATUS: &str = "ProcessStatus";
    pub const START_ACTION_AT: &str = "StartActionAt";
    /// Range key of both indexes.
    pub const LAST_UPDATED: &str = "LastUpdated";
    pub const EXECUTION_ARN: &str = "ExecutionArn";
    pub const TASK_TOKEN: &str = "TaskToken";
    pub const OUTPUT: &str = "Output";
    pub const ERROR: &str = "Error";
    pub const CAUSE: &str = "Cause";
    /// TTL attribute (epoch seconds): when a finished job is deleted.
    pub const EXPIRES_AT: &str = "ExpiresAt";
    /// The execution's status ([`crate::domain::ExecutionStatus`]), kept by status-events.
    pub const EXECUTION_STATUS: &str = "ExecutionStatus";
    /// When the execution entered `ExecutionStatus` (epoch milliseconds).
    pub const EXECUTION_STATUS_AT: &str = "ExecutionStatusAt";
    pub const STATE_MACHINE_ARN: &str = "StateMachineArn";
    pub const STARTED_AT: &str = "StartedAt";
    pub const STOPPED_AT: &str = "StoppedAt";
    /// Set by `DELETE /executions/{id}`; the state machines read it at their next state change.
    pub const CANCEL_REQUESTED: &str = "CancelRequested";
    pub const CANCEL_REQUESTED_AT: &str = "CancelRequestedAt";
    /// When status-events told the notification topic about the execution.
    pub const NOTIFIED_AT: &str = "NotifiedAt";
}

/// How many partitions the all-jobs listing (`RecentIndex`) is spread over.
pub const LIST_SHARDS: u8 = 4;

/// The `ListShard` value of a job, from its id: writers that may create the item set it
/// when absent. State machines pick a shard at random instead; either way only the spread
/// matters, since readers read every shard.
pub fn list_shard_of(id: &str) -> String {
    let digest = Sha256::digest(id.as_bytes());
    (digest[0] % LIST_SHARDS).to_string()
}

/// Which GSI a listing reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobIndex {
    /// `RecentIndex`: every job, newest first, over [`LIST_SHARDS`] partitions.
    Recent,
    /// `StatusIndex`: jobs in one status, newest first (one partition).
    Status(JobStatus),
}

impl JobIndex {
    pub fn name(self) -> &'static str {
        match self {
            JobIndex::Recent => "RecentIndex",
            JobIndex::Status(_) => "StatusIndex",
        }
    }

    /// Hash key attribute of the index.
    pub fn hash_key(self) -> &'static str {
        match self {
            JobIndex::Recent => attr::LIST_SHARD,
            JobIndex::Status(_) => attr::STATUS,
        }
    }

    /// Every hash key value a listing of this index reads.
    pub fn partitions(self) -> Vec<String> {
        match self {
            JobIndex::Recent => (0..LIST_SHARDS).map(|s| s.to_string()).collect(),
            JobIndex::Status(s) => vec![s.as_str().to_owned()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_the_range_and_are_stable() {
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..200 {
            let id = format!("job-{i}");
            let s = list_shard_of(&id);
            assert_eq!(s, list_shard_of(&id));
            assert!(JobIndex::Recent.partitions().contains(&s), "{s}");
            seen.insert(s);
        }
        assert_eq!(seen.len(), usize::from(LIST_SHARDS));
    }
}
