//! The template's functions, linked in-process: found by ARN, name or logical id and invoked
//! with a Lambda `Context` like the one the Lambda service would give them.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use app_core::{Clock, JsonHandler, SystemClock};
use lambda_runtime::{Context, Diagnostic};
use serde_json::Value;

use crate::template::FunctionDef;

/// Why an invocation produced no result.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InvokeError {
    /// As Lambda's `ResourceNotFoundException`.
    #[error("Function not found: {0}")]
    NotFound(String),
    /// The function ran and returned an error (`errorType`, `errorMessage`).
    #[error("{}: {}", .0.error_type, .0.error_message)]
    Function(Diagnostic),
}

impl InvokeError {
    /// The error payload Lambda returns for a failed invocation.
    pub fn payload(&self) -> Value {
        match self {
            InvokeError::NotFound(n) => serde_json::json!({
                "errorType": "ResourceNotFoundException",
                "errorMessage": format!("Function not found: {n}"),
            }),
            InvokeError::Function(d) => serde_json::json!({
                "errorType": d.error_type,
                "errorMessage": d.error_message,
            }),
        }
    }
}

pub struct Function {
    pub def: FunctionDef,
    pub handler: Arc<dyn JsonHandler>,
    /// The runtime's clock, which the invocation's context reads.
    clock: Arc<dyn Clock>,
}

/// Every function of the application, by each name Lambda accepts.
#[derive(Clone)]
pub struct LambdaRegistry {
    functions: Vec<Arc<Function>>,
    index: HashMap<String, usize>,
    clock: Arc<dyn Clock>,
}

impl Default for LambdaRegistry {
    fn default() -> Self {
        Self::with_clock(Arc::new(SystemClock))
    }
}

impl LambdaRegistry {
    /// On the system clock.
    pub fn new() -> Self {
        Self::default()
    }

    /// On the runtime's clock.
    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        LambdaRegistry {
            functions: Vec::new(),
            index: HashMap::new(),
            clock,
        }
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    pub fn insert(&mut self, def: FunctionDef, handler: Arc<dyn JsonHandler>) {
        let i = self.functions.len();
        for key in [def.arn.clone(), def.name.clone(), def.logical_id.clone()] {
            self.index.entry(key).or_insert(i);
        }
        self.functions.push(Arc::new(Function {
            def,
            handler,
            clock: self.clock.clone(),
        }));
    }

    pub fn functions(&self) -> impl Iterator<Item = &Arc<Function>> {
        self.functions.iter()
    }

    /// Accepts a name, a full ARN, a partial ARN (`123456789012:function:Name`) and a
    /// qualifier (`:$LATEST`, alias or version), as Lambda's `FunctionName` does.
    pub fn lookup(&self, key: &str) -> Option<Arc<Function>> {
        if let Some(&i) = self.index.get(key) {
            return self.functions.get(i).cloned();
        }
        let after_function = key
            .rsplit_once(":function:")
            .map(|(_, rest)| rest)
            .unwrap_or(key);
        let name = after_function.split(':').next().unwrap_or(after_function);
        self.index
            .get(name)
            .and_then(|&i| self.functions.get(i).cloned())
    }

    /// Invokes synchronously, with the function's timeout applied (as `Sandbox.Timedout`).
    pub async fn invoke(&self, key: &str, payload: Value) -> Result<Value, InvokeError> {
        let f = self
            .lookup(key)
            .ok_or_else(|| InvokeError::NotFound(key.to_string()))?;
        f.invoke(payload).await
    }
}

impl Function {
    pub async fn invoke(&self, payload: Value) -> Result<Value, InvokeError> {
        let timeout = Duration::from_secs(self.def.timeout_seconds.max(1));
        let ctx = self.context(timeout);
        let request_id = ctx.request_id.clone();
        tracing::debug!(function = %self.def.logical_id, request_id = %request_id, "invoke");
        match tokio::time::timeout(timeout, self.handler.invoke_json(payload, ctx)).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(d)) => {
                tracing::info!(function = %self.def.logical_id, request_id = %request_id, error_type = %d.error_type, "function error");
                Err(InvokeError::Function(d))
            }
            Err(_) => Err(InvokeError::Function(Diagnostic {
                error_type: "Sandbox.Timedout".into(),
                error_message: format!(
                    "{request_id} Task timed out after {:.2} seconds",
                    timeout.as_secs_f64()
                ),
            })),
        }
    }

    fn context(&self, timeout: Duration) -> Context {
        let now = self.clock.now();
        let now_ms = now.timestamp_millis().max(0) as u64;
        let cfg = lambda_runtime::Config {
            function_name: self.def.name.clone(),
            memory: self.def.memory_mb.min(i32::MAX as u64) as i32,
            version: "$LATEST".into(),
            log_group: format!("/aws/lambda/{}", self.def.name),
            log_stream: format!(
                "{}/[$LATEST]{}",
                now.format("%Y/%m/%d"),
                uuid::Uuid::new_v4().simple()
            ),
        };
        let mut ctx = Context::default();
        ctx.request_id = uuid::Uuid::new_v4().to_string();
        ctx.deadline = now_ms + timeout.as_millis() as u64;
        ctx.invoked_function_arn = self.def.arn.clone();
        ctx.env_config = Arc::new(cfg);
        ctx
    }
}

/// A closure as a handler (tests and simple integrations).
pub struct FnHandler<F>(pub F);

#[async_trait::async_trait]
impl<F, Fut> JsonHandler for FnHandler<F>
where
    F: Fn(Value, Context) -> Fut + Send + Sync,
    Fut: std::future::Future<Output = Result<Value, Diagnostic>> + Send,
{
    async fn invoke_json(&self, payload: Value, ctx: Context) -> Result<Value, Diagnostic> {
        (self.0)(payload, ctx).await
    }
}

/// A handler that always fails with `error_type` and `message` (unit tests).
#[cfg(test)]
pub(crate) fn failing(error_type: &str, message: &str) -> Arc<dyn JsonHandler> {
    let d = Diagnostic {
        error_type: error_type.into(),
        error_message: message.into(),
    };
    Arc::new(FnHandler(move |_p: Value, _c: Context| {
        let d = d.clone();
        async move { Err::<Value, _>(d) }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(id: &str, timeout_seconds: u64) -> FunctionDef {
        FunctionDef {
            timeout_seconds,
            ..FunctionDef::for_test(id)
        }
    }

    fn registry() -> LambdaRegistry {
        let mut r = LambdaRegistry::new();
        r.insert(
            def("Echo", 3),
            Arc::new(FnHandler(|p: Value, ctx: Context| async move {
                Ok(json!({"payload": p, "arn": ctx.invoked_function_arn, "rid": ctx.request_id, "deadline": ctx.deadline}))
            })),
        );
        r.insert(def("Fails", 3), failing("JobNotFound", "no job"));
        r
    }

    #[tokio::test]
    async fn found_by_every_name_lambda_accepts() {
        let r = registry();
        for key in [
            "Echo",
            "arn:aws:lambda:us-east-1:123456789012:function:Echo",
            "arn:aws:lambda:us-east-1:123456789012:function:Echo:$LATEST",
            "123456789012:function:Echo",
        ] {
            let out = r.invoke(key, json!({"a": 1})).await.expect(key);
            assert_eq!(out["payload"], json!({"a": 1}));
            assert_eq!(
                out["arn"],
                "arn:aws:lambda:us-east-1:123456789012:function:Echo"
            );
            assert!(!out["rid"].as_str().unwrap_or("").is_empty());
            assert!(out["deadline"].as_u64().unwrap_or(0) > 0);
        }
        assert_eq!(
            r.invoke("Nope", json!({})).await,
            Err(InvokeError::NotFound("Nope".into()))
        );
    }

    #[tokio::test]
    async fn function_errors_keep_their_type() {
        let r = registry();
        let e = r.invoke("Fails", json!({})).await.expect_err("fails");
        assert_eq!(
            e.payload(),
            json!({"errorType": "JobNotFound", "errorMessage": "no job"})
        );
    }

    #[tokio::test(start_paused = true)]
    async fn timeout_is_sandbox_timedout() {
        let mut r = LambdaRegistry::new();
        r.insert(
            def("Slow", 1),
            Arc::new(FnHandler(|_p: Value, _c: Context| async move {
                tokio::time::sleep(Duration::from_secs(5)).await;
                Ok(json!(null))
            })),
        );
        match r.invoke("Slow", json!({})).await {
            Err(InvokeError::Function(d)) => assert_eq!(d.error_type, "Sandbox.Timedout"),
            other => panic!("expected a timeout, got {other:?}"),
        }
    }
}
