use super::{execution, secs};
use crate::error::SfnError;
use crate::model::lock;
use crate::req::Req;
use crate::service::Core;
use serde_json::{json, Value};

pub(crate) fn run(core: &Core, body: &Value) -> Result<Value, SfnError> {
    let r = Req::new(body)?;
    let arn = r.str("executionArn")?;
    let with_data = match r.opt_str("includedData")? {
        None | Some("ALL_DATA") => true,
        Some("METADATA_ONLY") => false,
        Some(other) => {
            return Err(SfnError::constraint(
                &format!("'{other}'"),
                "includedData",
                "Member must satisfy enum value set: [ALL_DATA, METADATA_ONLY]",
            ))
        }
    };
    let e = execution(core, arn)?;
    let deleting = super::machine_deleting(core, &e);
    let st = lock(&e.state);
    let redrivable = super::redrivable(&e, &st, deleting, core.now());
    let mut out = json!({
        "executionArn": e.arn,
        "stateMachineArn": e.machine.data.arn,
        "name": e.name,
        "status": st.status.as_str(),
        "startDate": secs(e.start_date),
        "input": e.input,
        "inputDetails": {"included": true},
        "redriveCount": st.redrive_count,
        "redriveStatus": if redrivable.is_ok() { "REDRIVABLE" } else { "NOT_REDRIVABLE" },
    });
    if let Err(reason) = redrivable {
        out["redriveStatusReason"] = json!(reason);
    }
    if let Some(t) = st.redrive_date {
        out["redriveDate"] = secs(t);
    }
    if !with_data {
        if let Some(m) = out.as_object_mut() {
            m.remove("input");
            m.remove("inputDetails");
        }
    }
    if let Some(t) = st.stop_date {
        out["stopDate"] = secs(t);
    }
    if let Some(o) = st.output.as_ref().filter(|_| with_data) {
        out["output"] = json!(o);
        out["outputDetails"] = json!({"included": true});
    }
    if let Some(x) = &st.error {
        out["error"] = json!(x);
    }
    if let Some(x) = &st.cause {
        out["cause"] = json!(x);
    }
    Ok(out)
}
