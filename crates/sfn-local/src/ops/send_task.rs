use crate::error::SfnError;
use crate::model::lock;
use crate::req::Req;
use crate::service::Core;
use serde_json::{json, Value};

/// A token is a secret: logs carry only this.
pub(crate) fn token_hash(token: &str) -> String {
    common::short_hash(token, 6)
}

fn token<'a>(r: &Req<'a>) -> Result<&'a str, SfnError> {
    r.bounded("taskToken", 1, 2048)?
        .ok_or_else(|| SfnError::null("taskToken"))
}

/// With a journal, an answer is acknowledged only once the execution has recorded it, so
/// a kill right after the reply cannot lose it. Tokens name their execution and the
/// `TaskScheduled` event (`base64url("<execution arn>#<event id>").<tag>`); a token of
/// another shape is simply not waited for.
async fn recorded(core: &Core, token: &str) {
    use base64::Engine as _;
    if !core.journaled() {
        return;
    }
    let key = token
        .split_once('.')
        .and_then(|(k, _)| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(k)
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok());
    let Some((arn, id)) = key.as_deref().and_then(|k| k.rsplit_once('#')) else {
        return;
    };
    let Ok(scheduled) = id.parse::<u64>() else {
        return;
    };
    let Some(exec) = lock(&core.reg).executions.get(arn).cloned() else {
        return;
    };
    let answered = || {
        let st = lock(&exec.state);
        st.status != asl::ExecutionStatus::Running || st.history.last_answer() > scheduled
    };
    let wait = async {
        loop {
            let notified = exec.events.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if answered() {
                return;
            }
            notified.await;
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), wait).await;
    core.flush().await;
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

pub(crate) async fn success(core: &Core, body: &Value) -> Result<Value, SfnError> {
    let r = Req::new(body)?;
    let t = token(&r)?;
    let output = r
        .bounded("output", 0, 262_144)?
        .ok_or_else(|| SfnError::null("output"))?;
    let value: Value = serde_json::from_str(output)
        .map_err(|e| SfnError::InvalidOutput(format!("Invalid Output: '{e}'")))?;
    let out = answer(
        "SendTaskSuccess",
        t,
        core.engine.send_task_success(t, value),
    )?;
    recorded(core, t).await;
    Ok(out)
}

pub(crate) async fn failure(core: &Core, body: &Value) -> Result<Value, SfnError> {
    let r = Req::new(body)?;
    let t = token(&r)?;
    let error = r.bounded("error", 0, 256)?.map(str::to_string);
    let cause = r.bounded("cause", 0, 32_768)?.map(str::to_string);
    let out = answer(
        "SendTaskFailure",
        t,
        core.engine.send_task_failure(t, error, cause),
    )?;
    recorded(core, t).await;
    Ok(out)
}

pub(crate) fn heartbeat(core: &Core, body: &Value) -> Result<Value, SfnError> {
    let r = Req::new(body)?;
    let t = token(&r)?;
    answer("SendTaskHeartbeat", t, core.engine.send_task_heartbeat(t))
}
