use super::{machine, secs};
use crate::arn::validate_name;
use crate::error::SfnError;
use crate::model::{lock, Execution, Machine, MachineType, Record};
use crate::req::Req;
use crate::service::{Core, ExpressObserver};
use asl::{ExecutionInfo, ExecutionStatus};
use serde_json::{json, Value};
use std::sync::Arc;

/// What StartExecution and StartSyncExecution read from a request.
pub(crate) struct StartRequest {
    pub machine: Arc<Machine>,
    pub name: String,
    pub input: String,
    pub input_value: Value,
    /// `<stateMachineArn>#<case>`: the mock test case it runs as.
    pub test_case: Option<String>,
}

pub(crate) fn read(core: &Core, body: &Value) -> Result<StartRequest, SfnError> {
    let r = Req::new(body)?;
    let (arn, test_case) = match r.str("stateMachineArn")?.split_once('#') {
        Some((arn, case)) => (arn, Some(case)),
        None => (r.str("stateMachineArn")?, None),
    };
    let name = match r.opt_str("name")? {
        Some(n) => {
            validate_name(n, "name")?;
            n.to_string()
        }
        None => uuid::Uuid::new_v4().to_string(),
    };
    let input = r.bounded("input", 0, 262_144)?.unwrap_or("{}").to_string();
    let input_value: Value = asl::parse_json_text(&input).map_err(|e| {
        SfnError::InvalidExecutionInput(format!(
            "Invalid State Machine Execution Input: '{}'",
            input_error(&input, &e)
        ))
    })?;
    r.opt_str("traceHeader")?;
    let m = machine(core, arn)?;
    if m.data.deleting {
        return Err(SfnError::StateMachineDeleting(format!(
            "State machine is being deleted: '{arn}'"
        )));
    }
    if let Some(case) = test_case {
        if core.test_case(&m.data.name, case).is_none() {
            let why = match &core.mocks {
                None => "no mock configuration is loaded (set SFN_MOCK_CONFIG or --mock-config)"
                    .to_string(),
                Some(src) => format!(
                    "the mock configuration {} defines no such test case for it",
                    src.path().display()
                ),
            };
            return Err(SfnError::InvalidName(format!(
                "Invalid test case name '{case}' for state machine '{}': {why}",
                m.data.name
            )));
        }
    }
    Ok(StartRequest {
        machine: m,
        name,
        input,
        input_value,
        test_case: test_case.map(str::to_string),
    })
}

pub(crate) fn run(core: &Arc<Core>, body: &Value) -> Result<Value, SfnError> {
    let req = read(core, body)?;
    if req.machine.data.kind == MachineType::Express {
        let (arn, start) = start_express(core, req).0;
        return Ok(json!({ "executionArn": arn, "startDate": secs(start) }));
    }
    let exec = start_standard(core, req)?;
    Ok(json!({ "executionArn": exec.arn, "startDate": secs(exec.start_date) }))
}

/// Same name with the same input while it runs is the same execution; any other reuse
/// of a name is `ExecutionAlreadyExists`.
pub(crate) fn start_standard(
    core: &Arc<Core>,
    req: StartRequest,
) -> Result<Arc<Execution>, SfnError> {
    let m = req.machine;
    let arn = core.scope.execution_arn(&m.data.name, &req.name);
    let exec = {
        let mut reg = lock(&core.reg);
        if let Some(old) = reg.executions.get(arn.as_str()) {
            let running = lock(&old.state).status == ExecutionStatus::Running;
            let same_input =
                asl::parse_json_text(&old.input).ok().as_ref() == Some(&req.input_value);
            if running && same_input && old.machine.data.arn == m.data.arn {
                return Ok(old.clone());
            }
            return Err(SfnError::ExecutionAlreadyExists(format!(
                "Execution Already Exists: '{arn}'"
            )));
        }
        let exec = Arc::new(Execution::new(
            core.next_seq(),
            arn.clone(),
            req.name,
            m.clone(),
            core.now(),
            req.input,
            req.test_case,
        ));
        core.record(Record::Start {
            seq: exec.seq,
            arn: arn.clone(),
            name: exec.name.clone(),
            rev: m.data.rev,
            start: exec.start_date,
            input: exec.input.clone(),
            test_case: exec.test_case.clone(),
        });
        reg.by_machine
            .entry(m.data.arn.clone())
            .or_default()
            .push(exec.clone());
        reg.executions.insert(exec.arn.clone(), exec.clone());
        exec
    };
    core.launch(&exec, req.input_value);
    Ok(exec)
}

/// Express executions are not recorded: nothing lists or describes them on AWS either.
pub(crate) fn start_express(
    core: &Arc<Core>,
    req: StartRequest,
) -> (
    (String, chrono::DateTime<chrono::Utc>),
    asl::ExecutionHandle,
) {
    let m = req.machine;
    let arn = core.scope.express_execution_arn(&m.data.name, &req.name);
    let start = core.now();
    let info = ExecutionInfo {
        execution_arn: arn.clone(),
        name: req.name.clone(),
        state_machine_arn: m.data.arn.clone(),
        state_machine_name: m.data.name.clone(),
        start_time: start,
        role_arn: Some(m.data.role_arn.clone()),
    };
    let observer = Arc::new(ExpressObserver {
        core: core.clone(),
        name: req.name,
        machine: m.data.name.clone(),
    });
    let resources = core.resources_for(&m.data.name, req.test_case.as_deref(), &[]);
    let handle = core
        .engine
        .start_with(&m.parsed, info, req.input_value, observer, resources);
    ((arn, start), handle)
}

/// Why an input is not JSON, in the words AWS's JSON reader (Jackson) uses; nothing at all
/// is an invalid input.
pub(crate) fn input_error(input: &str, e: &serde_json::Error) -> String {
    if input.trim().is_empty() {
        return "Invalid execution input.".into();
    }
    asl::json_error_message(input, e)
}

#[cfg(test)]
mod tests {
    use super::input_error;

    fn why(input: &str) -> String {
        let e = asl::parse_json_text(input).unwrap_err();
        input_error(input, &e)
    }

    #[test]
    fn bad_inputs_are_explained_as_aws_explains_them() {
        assert_eq!(why(""), "Invalid execution input.");
        assert_eq!(
            why("not some json"),
            "Unrecognized token 'not': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
        );
        assert_eq!(
            why("{'not': 'json'"),
            "Unexpected character (''' (code 39)): was expecting double-quote to start field name"
        );
        assert_eq!(why("{\"a\": 1"), "Unexpected end-of-input");
    }
}
