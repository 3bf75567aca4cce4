use super::secs;
use crate::error::SfnError;
use crate::model::lock;
use crate::paging;
use crate::req::Req;
use crate::service::Core;
use serde_json::{json, Value};

/// Machines in creation order.
pub(crate) fn run(core: &Core, body: &Value) -> Result<Value, SfnError> {
    let r = Req::new(body)?;
    let max = r.max_results()?;
    const SCOPE: &str = "ListStateMachines";
    let cursor = paging::decode(r.opt_str("nextToken")?, SCOPE)?;
    let mut all: Vec<_> = lock(&core.reg).machines.values().cloned().collect();
    all.sort_by_key(|m| m.data.seq);
    let (page, next) = paging::page(
        all.into_iter(),
        |m| m.data.seq,
        cursor,
        |k, c| k > c,
        max,
        SCOPE,
    );
    let items: Vec<Value> = page
        .iter()
        .map(|m| {
            json!({
                "stateMachineArn": m.data.arn,
                "name": m.data.name,
                "type": m.data.kind.as_str(),
                "creationDate": secs(m.data.creation_date),
            })
        })
        .collect();
    let mut out = json!({ "stateMachines": items });
    if let Some(t) = next {
        out["nextToken"] = json!(t);
    }
    Ok(out)
}
