//! CreateActivity: idempotent, as on AWS (the same name answers the same activity).

use super::secs;
use crate::arn::validate_name;
use crate::error::SfnError;
use crate::model::{lock, ActivityData, Record};
use crate::req::Req;
use crate::service::Core;
use serde_json::{json, Value};

pub(crate) fn run(core: &Core, body: &Value) -> Result<Value, SfnError> {
    let r = Req::new(body)?;
    let name = r.str("name")?;
    let tags = super::tags::pairs(r.opt_value("tags"))?;
    let a = put_activity(core, name)?;
    super::tags::set(core, &a.arn, tags)?;
    Ok(json!({"activityArn": a.arn, "creationDate": secs(a.creation_date)}))
}

/// The activity named `name`, created (and journaled) unless it exists.
pub(crate) fn put_activity(core: &Core, name: &str) -> Result<ActivityData, SfnError> {
    validate_name(name, "name")?;
    let arn = core.scope.activity_arn(name);
    let mut reg = lock(&core.reg);
    if let Some(a) = reg.activities.get(&arn) {
        return Ok(a.clone());
    }
    let a = ActivityData {
        seq: core.next_seq(),
        arn: arn.clone(),
        name: name.to_string(),
        creation_date: core.now(),
    };
    core.record(Record::Activity { a: a.clone() });
    reg.activities.insert(arn, a.clone());
    Ok(a)
}
