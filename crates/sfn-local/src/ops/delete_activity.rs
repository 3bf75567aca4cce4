//! DeleteActivity: the activity goes, with the tasks still waiting for a worker (their
//! executions go on waiting until their timeouts). Deleting one that does not exist
//! succeeds, as deleting a state machine does.

use crate::error::SfnError;
use crate::model::{lock, Record};
use crate::req::Req;
use crate::service::Core;
use serde_json::{json, Value};

pub(crate) fn run(core: &Core, body: &Value) -> Result<Value, SfnError> {
    let r = Req::new(body)?;
    let arn = r.str("activityArn")?;
    crate::arn::activity_name(arn)?;
    if lock(&core.reg).activities.remove(arn).is_some() {
        core.record(Record::ActivityGone {
            arn: arn.to_string(),
        });
        lock(&core.reg).tags.remove(arn);
        core.offers.forget(arn);
    }
    Ok(json!({}))
}
