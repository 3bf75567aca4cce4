//! The one DynamoDB adapter of the Jobs table ([`crate::schema`]): each capability trait of
//! [`crate::ports`] in its own file, one request each (a conditional write that fails may
//! read the record once more).

mod cancel;
mod get;
mod item;
mod list;
mod record;
mod token;
mod transition;

pub use item::job_from_item;

use crate::ports::Upstream;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::Client;

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
    Upstream::aws("DynamoDB", op, err)
}

/// Whether a conditional write was refused because its condition did not hold.
fn condition_failed<R>(err: &SdkError<UpdateItemError, R>) -> bool {
    err.as_service_error()
        .is_some_and(|e| e.is_conditional_check_failed_exception())
}

/// The outcome of a conditional UpdateItem: whether it was written (`false`: its condition
/// did not hold).
fn written<T, R: std::fmt::Debug>(
    result: Result<T, SdkError<UpdateItemError, R>>,
) -> Result<bool, Upstream> {
    match result {
        Ok(_) => Ok(true),
        Err(e) if condition_failed(&e) => Ok(false),
        Err(e) => Err(upstream("UpdateItem", &e)),
    }
}
