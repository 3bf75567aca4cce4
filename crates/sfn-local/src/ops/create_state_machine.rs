use super::{config_member, definition_member, parse_definition, secs};
use crate::arn::{validate_name, validate_role_arn};
use crate::error::SfnError;
use crate::model::{lock, Machine, MachineData, MachineType};
use crate::req::Req;
use crate::service::{machine_record, Core};
use serde_json::{json, Value};
use std::sync::Arc;

/// A machine to create or replace, e.g. loaded from a file at start-up.
#[derive(Debug, Clone)]
pub struct MachineSpec {
    pub name: String,
    pub definition: String,
    /// Default: a placeholder role in the service's account.
    pub role_arn: Option<String>,
    pub kind: MachineType,
    /// Accepted and echoed by Describe*, never acted on.
    pub logging: Option<Value>,
    pub tracing: Option<Value>,
}

pub(crate) fn run(core: &Arc<Core>, body: &Value) -> Result<Value, SfnError> {
    let r = Req::new(body)?;
    let name = r.str("name")?;
    validate_name(name, "name")?;
    let definition = definition_member(&r)?.ok_or_else(|| SfnError::null("definition"))?;
    let role = r.str("roleArn")?;
    let kind = match r.opt_str("type")? {
        None => MachineType::Standard,
        Some(t) => MachineType::parse(t).ok_or_else(|| {
            SfnError::constraint(
                &format!("'{t}'"),
                "type",
                "Member must satisfy enum value set: [STANDARD, EXPRESS]",
            )
        })?,
    };
    let spec = MachineSpec {
        name: name.to_string(),
        definition,
        role_arn: Some(role.to_string()),
        kind,
        logging: config_member(&r, "loggingConfiguration")?,
        tracing: config_member(&r, "tracingConfiguration")?,
    };
    let tags = super::tags::pairs(r.opt_value("tags"))?;
    let m = put_machine(core, spec, false)?;
    super::tags::set(core, &m.data.arn, tags)?;
    Ok(json!({
        "stateMachineArn": m.data.arn,
        "creationDate": secs(m.data.creation_date),
    }))
}

/// Creates a machine. An existing one with the same definition, role and type is
/// returned as is (CreateStateMachine is idempotent); otherwise it is
/// `StateMachineAlreadyExists`, or, with `replace`, updated in place.
pub(crate) fn put_machine(
    core: &Arc<Core>,
    spec: MachineSpec,
    replace: bool,
) -> Result<Arc<Machine>, SfnError> {
    validate_name(&spec.name, "name")?;
    let role = spec.role_arn.unwrap_or_else(|| {
        format!(
            "arn:aws:iam::{}:role/StepFunctionsLocal",
            core.scope.account_id
        )
    });
    validate_role_arn(&role)?;
    let parsed = parse_definition(&spec.definition, spec.kind)?;
    let arn = core.scope.state_machine_arn(&spec.name);
    let now = core.now();
    let mut reg = lock(&core.reg);
    let existing = reg.machines.get(&arn).cloned();
    let data = match existing {
        Some(old) if old.data.deleting => {
            return Err(SfnError::StateMachineDeleting(format!(
                "State machine is being deleted: '{arn}'"
            )))
        }
        Some(old)
            if old.data.definition == spec.definition
                && old.data.role_arn == role
                && old.data.kind == spec.kind =>
        {
            return Ok(old);
        }
        Some(old) if replace => MachineData {
            rev: core.next_seq(),
            definition: spec.definition,
            role_arn: role,
            kind: spec.kind,
            update_date: Some(now),
            logging: spec.logging.or(old.data.logging.clone()),
            tracing: spec.tracing.or(old.data.tracing.clone()),
            ..old.data.clone()
        },
        Some(_) => {
            return Err(SfnError::StateMachineAlreadyExists(format!(
                "State Machine Already Exists: '{arn}'"
            )))
        }
        None => {
            let seq = core.next_seq();
            MachineData {
                rev: seq,
                seq,
                arn: arn.clone(),
                name: spec.name,
                kind: spec.kind,
                definition: spec.definition,
                role_arn: role,
                creation_date: now,
                update_date: None,
                logging: spec.logging,
                tracing: spec.tracing,
                deleting: false,
            }
        }
    };
    core.record(machine_record(&data));
    let m = Arc::new(Machine { data, parsed });
    reg.machines.insert(arn, m.clone());
    Ok(m)
}
