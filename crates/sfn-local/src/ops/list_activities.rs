//! ListActivities: in creation order, paged.

use super::secs;
use crate::error::SfnError;
use crate::model::lock;
use crate::paging;
use crate::req::Req;
use crate::service::Core;
use serde_json::{json, Value};

pub(crate) fn run(core: &Core, body: &Value) -> Result<Value, SfnError> {
    let r = Req::new(body)?;
    let max = r.max_results()?;
    const SCOPE: &str = "ListActivities";
    let cursor = paging::decode(r.opt_str("nextToken")?, SCOPE)?;
    let mut all: Vec<_> = lock(&core.reg).activities.values().cloned().collect();
    all.sort_by_key(|a| a.seq);
    let (page, next) = paging::page(all.into_iter(), |a| a.seq, cursor, |k, c| k > c, max, SCOPE);
    let items: Vec<Value> = page
        .iter()
        .map(|a| json!({"activityArn": a.arn, "name": a.name, "creationDate": secs(a.creation_date)}))
        .collect();
    let mut out = json!({ "activities": items });
    if let Some(t) = next {
        out["nextToken"] = json!(t);
    }
    Ok(out)
}
