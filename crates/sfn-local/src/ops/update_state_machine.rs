use super::{config_member, definition_member, machine, parse_definition, secs};
use crate::arn::validate_role_arn;
use crate::error::SfnError;
use crate::model::{lock, Machine, MachineData};
use crate::req::Req;
use crate::service::{machine_record, Core};
use serde_json::{json, Value};
use std::sync::Arc;

/// New executions use the new revision; running ones keep theirs.
pub(crate) fn run(core: &Arc<Core>, body: &Value) -> Result<Value, SfnError> {
    let r = Req::new(body)?;
    let arn = r.str("stateMachineArn")?;
    let definition = definition_member(&r)?;
    let role = r.opt_str("roleArn")?;
    let logging = config_member(&r, "loggingConfiguration")?;
    let tracing = config_member(&r, "tracingConfiguration")?;
    if definition.is_none() && role.is_none() && logging.is_none() && tracing.is_none() {
        return Err(SfnError::MissingRequiredParameter(
            "Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration must be specified".into(),
        ));
    }
    if let Some(role) = role {
        validate_role_arn(role)?;
    }
    let old = machine(core, arn)?;
    let parsed = match &definition {
        Some(d) => parse_definition(d, old.data.kind)?,
        None => old.parsed.clone(),
    };
    let now = core.now();
    let mut reg = lock(&core.reg);
    let current = reg.machines.get(arn).cloned().ok_or_else(|| {
        SfnError::StateMachineDoesNotExist(format!("State Machine Does Not Exist: '{arn}'"))
    })?;
    if current.data.deleting {
        return Err(SfnError::StateMachineDeleting(format!(
            "State machine is being deleted: '{arn}'"
        )));
    }
    let data = MachineData {
        rev: core.next_seq(),
        definition: definition.unwrap_or_else(|| current.data.definition.clone()),
        role_arn: role
            .map(str::to_string)
            .unwrap_or_else(|| current.data.role_arn.clone()),
        update_date: Some(now),
        logging: logging.or(current.data.logging.clone()),
        tracing: tracing.or(current.data.tracing.clone()),
        ..current.data.clone()
    };
    core.record(machine_record(&data));
    reg.machines
        .insert(arn.to_string(), Arc::new(Machine { data, parsed }));
    Ok(json!({
        "updateDate": secs(now),
        "revisionId": now.timestamp_millis().to_string(),
    }))
}
