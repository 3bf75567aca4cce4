//! DescribeActivity.

use super::secs;
use crate::error::SfnError;
use crate::model::{lock, ActivityData};
use crate::req::Req;
use crate::service::Core;
use serde_json::{json, Value};

pub(crate) fn run(core: &Core, body: &Value) -> Result<Value, SfnError> {
    let r = Req::new(body)?;
    let a = activity(core, r.str("activityArn")?)?;
    Ok(json!({"activityArn": a.arn, "name": a.name, "creationDate": secs(a.creation_date)}))
}

/// An existing activity by ARN (the ARN checked first, as AWS does).
pub(crate) fn activity(core: &Core, arn: &str) -> Result<ActivityData, SfnError> {
    crate::arn::activity_name(arn)?;
    lock(&core.reg)
        .activities
        .get(arn)
        .cloned()
        .ok_or_else(|| SfnError::ActivityDoesNotExist(format!("Activity Does Not Exist: '{arn}'")))
}
