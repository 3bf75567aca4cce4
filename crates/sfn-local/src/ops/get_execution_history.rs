use super::execution;
use crate::error::SfnError;
use crate::model::lock;
use crate::paging;
use crate::req::Req;
use crate::service::Core;
use serde_json::{json, Value};

/// Events by id, oldest first unless `reverseOrder`.
pub(crate) fn run(core: &Core, body: &Value) -> Result<Value, SfnError> {
    let r = Req::new(body)?;
    let arn = r.str("executionArn")?;
    let max = r.max_results()?;
    let reverse = r.opt_bool("reverseOrder")?.unwrap_or(false);
    let with_data = r.opt_bool("includeExecutionData")?.unwrap_or(true);
    let scope = format!("GetExecutionHistory|{arn}|{reverse}");
    let cursor = paging::decode(r.opt_str("nextToken")?, &scope)?;
    let e = execution(core, arn)?;
    let mut events = lock(&e.state).history.events();
    events.sort_by_key(|ev| ev.id);
    if reverse {
        events.reverse();
    }
    let after = move |k: u64, c: u64| if reverse { k < c } else { k > c };
    let (page, next) = paging::page(events.into_iter(), |ev| ev.id, cursor, after, max, &scope);
    let items: Vec<Value> = page
        .iter()
        .map(|ev| {
            let mut v = serde_json::to_value(ev).unwrap_or(Value::Null);
            if !with_data {
                strip_data(&mut v);
            }
            v
        })
        .collect();
    let mut out = json!({ "events": items });
    if let Some(t) = next {
        out["nextToken"] = json!(t);
    }
    Ok(out)
}

/// `includeExecutionData: false` leaves out payloads, keeping the rest of each event.
fn strip_data(v: &mut Value) {
    if let Value::Object(map) = v {
        for (k, d) in map.iter_mut() {
            if let (true, Value::Object(details)) = (k.ends_with("EventDetails"), d) {
                for field in ["input", "output", "parameters"] {
                    details.remove(field);
                }
                details.remove("inputDetails");
                details.remove("outputDetails");
            }
        }
    }
}
