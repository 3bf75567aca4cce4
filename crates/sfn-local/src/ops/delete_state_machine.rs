use crate::error::SfnError;
use crate::model::{lock, MachineData};
use crate::req::Req;
use crate::service::{machine_record, Core};
use asl::ExecutionStatus;
use serde_json::{json, Value};
use std::sync::Arc;

/// A machine without running executions goes at once. Otherwise it is DELETING: it
/// refuses new executions and disappears when its last execution ends. Deleting a
/// machine that does not exist succeeds, as on AWS (deletion is asynchronous there).
pub(crate) fn run(core: &Arc<Core>, body: &Value) -> Result<Value, SfnError> {
    let r = Req::new(body)?;
    let arn = r.str("stateMachineArn")?;
    crate::arn::state_machine_name(arn)?;
    let mut reg = lock(&core.reg);
    let Some(m) = reg.machines.get(arn).cloned() else {
        return Ok(json!({}));
    };
    let running = reg.by_machine.get(arn).is_some_and(|v| {
        v.iter()
            .any(|e| lock(&e.state).status == ExecutionStatus::Running)
    });
    if running {
        if !m.data.deleting {
            let data = MachineData {
                deleting: true,
                ..m.data.clone()
            };
            core.record(machine_record(&data));
            reg.machines
                .insert(arn.to_string(), Arc::new(m.with_data(data)));
        }
    } else {
        reg.machines.remove(arn);
        core.record(crate::model::Record::MachineGone {
            arn: arn.to_string(),
        });
    }
    Ok(json!({}))
}
