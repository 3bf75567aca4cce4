use crate::error::SfnError;
use crate::req::Req;
use crate::service::Core;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// A token is a secret: logs carry only this.
pub(crate) fn token_hash(token: &str) -> String {
    let d = Sha256::digest(token.as_bytes());
    d.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

fn token<'a>(r: &Req<'a>) -> Result<&'a str, SfnError> {
    r.bounded("taskToken", 1, 2048)?
        .ok_or_else(|| SfnError::null("taskToken"))
}

fn answer(op: &str, token: &str, res: Result<(), asl::TokenError>) -> Result<Value, SfnError> {
    match res {
        Ok(()) => {
            tracing::debug!(token = %token_hash(token), "{op} accepted");
            Ok(json!({}))
        }
        Err(e) => {
            tracing::debug!(token = %token_hash(token), error = %e, "{op} refused");
            Err(e.into())
        }
    }
}

pub(crate) fn success(core: &Core, body: &Value) -> Result<Value, SfnError> {
    let r = Req::new(body)?;
    let t = token(&r)?;
    let output = r
        .bounded("output", 0, 262_144)?
        .ok_or_else(|| SfnError::null("output"))?;
    let value: Value = serde_json::from_str(output)
        .map_err(|e| SfnError::InvalidOutput(format!("Invalid Output: '{e}'")))?;
    answer(
        "SendTaskSuccess",
        t,
        core.engine.send_task_success(t, value),
    )
}

pub(crate) fn failure(core: &Core, body: &Value) -> Result<Value, SfnError> {
    let r = Req::new(body)?;
    let t = token(&r)?;
    let error = r.bounded("error", 0, 256)?.map(str::to_string);
    let cause = r.bounded("cause", 0, 32_768)?.map(str::to_string);
    answer(
        "SendTaskFailure",
        t,
        core.engine.send_task_failure(t, error, cause),
    )
}

pub(crate) fn heartbeat(core: &Core, body: &Value) -> Result<Value, SfnError> {
    let r = Req::new(body)?;
    let t = token(&r)?;
    answer("SendTaskHeartbeat", t, core.engine.send_task_heartbeat(t))
}
