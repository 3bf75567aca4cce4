use super::{default_logging, default_tracing, execution, secs};
use crate::error::SfnError;
use crate::req::Req;
use crate::service::Core;
use serde_json::{json, Value};

/// The revision the execution started with, even if the machine changed or went since.
pub(crate) fn run(core: &Core, body: &Value) -> Result<Value, SfnError> {
    let r = Req::new(body)?;
    let arn = r.str("executionArn")?;
    let e = execution(core, arn)?;
    let d = &e.machine.data;
    let mut out = json!({
        "stateMachineArn": d.arn,
        "name": d.name,
        "definition": d.definition,
        "roleArn": d.role_arn,
        "updateDate": secs(d.update_date.unwrap_or(d.creation_date)),
        "loggingConfiguration": d.logging.clone().unwrap_or_else(default_logging),
        "tracingConfiguration": d.tracing.clone().unwrap_or_else(default_tracing),
        "revisionId": d.rev.to_string(),
    });
    let refs = e.machine.parsed.variable_references();
    if !refs.is_empty() {
        out["variableReferences"] = json!(refs);
    }
    Ok(out)
}
