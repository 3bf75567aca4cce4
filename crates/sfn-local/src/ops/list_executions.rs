use super::{machine, secs};
use crate::error::SfnError;
use crate::model::{lock, MachineType};
use crate::paging;
use crate::req::Req;
use crate::service::Core;
use serde_json::{json, Value};

/// The values of `statusFilter`, in the order AWS lists them.
const STATUSES: &[&str] = &[
    "RUNNING",
    "SUCCEEDED",
    "FAILED",
    "TIMED_OUT",
    "ABORTED",
    "PENDING_REDRIVE",
];

/// Most recent first, optionally filtered by status and by whether they were redriven.
pub(crate) fn run(core: &Core, body: &Value) -> Result<Value, SfnError> {
    let r = Req::new(body)?;
    let max = r.max_results()?;
    if r.opt_str("mapRunArn")?.is_some() {
        return Err(SfnError::Validation(
            "Map runs are not supported by this service".into(),
        ));
    }
    let arn = r.str("stateMachineArn")?;
    let filter = r.opt_str("statusFilter")?;
    if let Some(f) = filter {
        if !STATUSES.contains(&f) {
            return Err(SfnError::constraint(
                &format!("'{f}'"),
                "statusFilter",
                &format!(
                    "Member must satisfy enum value set: [{}]",
                    STATUSES.join(", ")
                ),
            ));
        }
    }
    let redriven = match r.opt_str("redriveFilter")? {
        None => None,
        Some("REDRIVEN") => Some(true),
        Some("NOT_REDRIVEN") => Some(false),
        Some(f) => {
            return Err(SfnError::constraint(
                &format!("'{f}'"),
                "redriveFilter",
                "Member must satisfy enum value set: [REDRIVEN, NOT_REDRIVEN]",
            ))
        }
    };
    let m = machine(core, arn)?;
    if m.data.kind == MachineType::Express {
        return Err(SfnError::StateMachineTypeNotSupported(
            "This operation is not supported by this type of state machine".into(),
        ));
    }
    let scope = format!(
        "ListExecutions|{arn}|{}|{}",
        filter.unwrap_or(""),
        r.opt_str("redriveFilter")?.unwrap_or("")
    );
    let cursor = paging::decode(r.opt_str("nextToken")?, &scope)?;
    let all = lock(&core.reg)
        .by_machine
        .get(arn)
        .cloned()
        .unwrap_or_default();
    let rows = all.iter().rev().filter_map(|e| {
        let st = lock(&e.state);
        let status = st.status.as_str();
        if filter.is_some_and(|f| f != status)
            || redriven.is_some_and(|r| r != (st.redrive_count > 0))
        {
            return None;
        }
        let mut row = json!({
            "executionArn": e.arn,
            "stateMachineArn": e.machine.data.arn,
            "name": e.name,
            "status": status,
            "startDate": secs(e.start_date),
        });
        if let Some(t) = st.stop_date {
            row["stopDate"] = secs(t);
        }
        if let Some(t) = st.redrive_date {
            row["redriveCount"] = json!(st.redrive_count);
            row["redriveDate"] = secs(t);
        }
        Some((e.seq, row))
    });
    let (page, next) = paging::page(rows, |(k, _)| *k, cursor, |k, c| k < c, max, &scope);
    let items: Vec<Value> = page.into_iter().map(|(_, v)| v).collect();
    let mut out = json!({ "executions": items });
    if let Some(t) = next {
        out["nextToken"] = json!(t);
    }
    Ok(out)
}
