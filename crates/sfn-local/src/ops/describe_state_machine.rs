use super::{default_logging, default_tracing, machine, secs};
use crate::error::SfnError;
use crate::req::Req;
use crate::service::Core;
use serde_json::{json, Value};

pub(crate) fn run(core: &Core, body: &Value) -> Result<Value, SfnError> {
    let r = Req::new(body)?;
    let arn = r.str("stateMachineArn")?;
    let m = machine(core, arn)?;
    let d = &m.data;
    let mut out = json!({
        "stateMachineArn": d.arn,
        "name": d.name,
        "status": if d.deleting { "DELETING" } else { "ACTIVE" },
        "definition": d.definition,
        "roleArn": d.role_arn,
        "type": d.kind.as_str(),
        "creationDate": secs(d.creation_date),
        "loggingConfiguration": d.logging.clone().unwrap_or_else(default_logging),
        "tracingConfiguration": d.tracing.clone().unwrap_or_else(default_tracing),
        "revisionId": d.rev.to_string(),
    });
    let refs = m.parsed.variable_references();
    if !refs.is_empty() {
        out["variableReferences"] = json!(refs);
    }
    Ok(out)
}
