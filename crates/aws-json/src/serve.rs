//! Serving a service over the protocol: each request goes through the same steps (method,
//! body bound, target, JSON input), then the service runs the operation and the outcome is
//! written back in the service's [`Reply`] form.

use std::future::Future;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use axum::Router;
use serde_json::Value;

use crate::{operation, target, AwsError, Reply};

/// What differs between the services that speak the protocol here.
#[derive(Debug, Clone, Copy)]
pub struct Dialect {
    /// The service's name in log lines.
    pub name: &'static str,
    /// The `X-Amz-Target` prefix of its operations, with the dot: `AWSStepFunctions.`.
    pub target_prefix: &'static str,
    /// The largest request body read; a larger one is refused with [`Refusal::TooLarge`].
    pub max_request_bytes: usize,
    /// Whether a body of white space alone stands for the empty input `{}` (Step Functions)
    /// or is malformed JSON (DynamoDB).
    pub blank_body_is_empty_input: bool,
    /// The headers of its replies.
    pub reply: Reply,
}

impl Dialect {
    /// The operation's input: the body as JSON.
    fn input(&self, body: &[u8]) -> Result<Value, serde_json::Error> {
        if self.blank_body_is_empty_input && body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Object(Default::default()));
        }
        serde_json::from_slice(body)
    }
}

/// Why a request is refused before any operation runs; each service words it in its own
/// error type.
#[derive(Debug)]
pub enum Refusal<'a> {
    /// A method other than POST.
    Method(&'a Method),
    /// The body is over [`Dialect::max_request_bytes`] (given here), or could not be read.
    TooLarge(usize),
    /// `X-Amz-Target` is missing or names another service: its whole value (empty if absent).
    Target(&'a str),
    /// The body is not JSON.
    Malformed(serde_json::Error),
}

/// A service served over AWS JSON 1.0: it names its dialect, words refusals, and runs
/// operations on their JSON input.
pub trait Service: Send + Sync + 'static {
    type Error: AwsError + Send;

    const DIALECT: Dialect;

    /// The error that answers a request refused before any operation runs.
    fn refusal(why: Refusal<'_>) -> Self::Error;

    /// Runs `operation` (the target without its prefix) on `input`.
    fn call(
        &self,
        operation: &str,
        input: Value,
    ) -> impl Future<Output = Result<Value, Self::Error>> + Send;
}

/// Every path answers, as AWS endpoints do (clients only ever post to `/`), and every
/// refusal has the service's error shape.
pub fn router<S: Service>(service: Arc<S>) -> Router {
    Router::new().fallback(serve::<S>).with_state(service)
}

async fn serve<S: Service>(
    State(service): State<Arc<S>>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let outcome = match request::<S>(&method, &headers, body).await {
        Ok((operation, input)) => service.call(operation, input).await,
        Err(refused) => Err(refused),
    };
    respond::<S>(outcome)
}

/// The operation and its input, or the refusal of the request.
async fn request<'h, S: Service>(
    method: &Method,
    headers: &'h HeaderMap,
    body: Body,
) -> Result<(&'h str, Value), S::Error> {
    let dialect = S::DIALECT;
    if method != Method::POST {
        return Err(S::refusal(Refusal::Method(method)));
    }
    let body = read_bounded(body, dialect.max_request_bytes)
        .await
        .ok_or_else(|| S::refusal(Refusal::TooLarge(dialect.max_request_bytes)))?;
    let operation = operation(headers, dialect.target_prefix)
        .ok_or_else(|| S::refusal(Refusal::Target(target(headers))))?;
    let input = dialect
        .input(&body)
        .map_err(|e| S::refusal(Refusal::Malformed(e)))?;
    Ok((operation, input))
}

/// The whole body, unless it is over `limit` bytes or breaks off.
async fn read_bounded(body: Body, limit: usize) -> Option<Bytes> {
    axum::body::to_bytes(body, limit).await.ok()
}

fn respond<S: Service>(outcome: Result<Value, S::Error>) -> Response {
    let dialect = S::DIALECT;
    match outcome {
        Ok(output) => dialect.reply.ok(&output),
        Err(e) => {
            tracing::debug!(error_type = e.type_name(), message = %e.message(), "{} error", dialect.name);
            dialect.reply.error(&e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{Request, StatusCode};
    use serde_json::json;
    use tower::ServiceExt;

    /// Echoes its input under the operation's name; refuses with the refusal's wording.
    struct Echo;

    #[derive(Debug)]
    struct Refused(String);

    impl AwsError for Refused {
        fn type_name(&self) -> &str {
            "RefusedException"
        }
        fn message(&self) -> String {
            self.0.clone()
        }
        fn status(&self) -> StatusCode {
            StatusCode::BAD_REQUEST
        }
    }

    impl Service for Echo {
        type Error = Refused;

        const DIALECT: Dialect = Dialect {
            name: "echo",
            target_prefix: "Echo.",
            max_request_bytes: 16,
            blank_body_is_empty_input: true,
            reply: Reply::PLAIN,
        };

        fn refusal(why: Refusal<'_>) -> Refused {
            Refused(match why {
                Refusal::Method(m) => format!("method {m}"),
                Refusal::TooLarge(n) => format!("over {n}"),
                Refusal::Target(t) => format!("target '{t}'"),
                Refusal::Malformed(_) => "malformed".into(),
            })
        }

        async fn call(&self, operation: &str, input: Value) -> Result<Value, Refused> {
            Ok(json!({ operation: input }))
        }
    }

    async fn send(method: &str, target: Option<&str>, body: &str) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri("/any/path");
        if let Some(t) = target {
            req = req.header("x-amz-target", t);
        }
        let req = req.body(Body::from(body.to_string())).unwrap();
        let resp = router(Arc::new(Echo)).oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn an_operation_gets_its_json_input() {
        let (s, v) = send("POST", Some("Echo.Say"), r#"{"a":1}"#).await;
        assert_eq!((s, v), (StatusCode::OK, json!({"Say": {"a": 1}})));
        let (_, v) = send("POST", Some("Echo.Say"), " \n").await;
        assert_eq!(v, json!({"Say": {}}));
    }

    #[tokio::test]
    async fn refusals_come_in_order_method_size_target_json() {
        let (s, v) = send("GET", None, &"x".repeat(100)).await;
        assert_eq!(
            (s, v["message"].as_str()),
            (StatusCode::BAD_REQUEST, Some("method GET"))
        );
        let (_, v) = send("POST", None, &"x".repeat(17)).await;
        assert_eq!(v["message"], "over 16");
        let (_, v) = send("POST", Some("Other.Say"), "nope").await;
        assert_eq!(v["message"], "target 'Other.Say'");
        let (_, v) = send("POST", None, "{}").await;
        assert_eq!(v["message"], "target ''");
        let (_, v) = send("POST", Some("Echo.Say"), "nope").await;
        assert_eq!(v["__type"], "RefusedException");
        assert_eq!(v["message"], "malformed");
    }
}
