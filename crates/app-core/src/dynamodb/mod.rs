//! DynamoDB adapter for the jobs table (`JobsTable` in docs/contracts.md), one file
//! per operation.

mod get;
mod item;
mod list;
mod record;
mod token;

pub use item::job_from_item;

use crate::ports::Upstream;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::Client;

/// Attribute names of the table.
pub mod attr {
    pub const ID: &str = "Id";
    /// Hash key of `RecentIndex`: one of `cursor::LIST_SHARDS` values, see `cursor::list_shard_of`.
    pub const LIST_SHARD: &str = "ListShard";
    pub const PATTERN: &str = "Pattern";
    pub const STATUS: &str = "ProcessStatus";
    pub const START_ACTION_AT: &str = "StartActionAt";
    pub const LAST_UPDATED: &str = "LastUpdated";
    pub const EXECUTION_ARN: &str = "ExecutionArn";
    pub const TASK_TOKEN: &str = "TaskToken";
    pub const OUTPUT: &str = "Output";
    pub const ERROR: &str = "Error";
    pub const CAUSE: &str = "Cause";
    /// TTL attribute (epoch seconds): when a finished job is deleted.
    pub const EXPIRES_AT: &str = "ExpiresAt";
}

#[derive(Debug, Clone)]
pub struct DynamoJobStore {
    client: Client,
    table: String,
}

impl DynamoJobStore {
    pub fn new(sdk: &aws_config::SdkConfig, table: impl Into<String>) -> Self {
        Self::from_client(Client::new(sdk), table)
    }

    pub fn from_client(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }
}

fn upstream<E, R>(op: &str, err: &SdkError<E, R>) -> Upstream
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    Upstream(format!(
        "DynamoDB {op} failed: {}",
        DisplayErrorContext(err)
    ))
}
