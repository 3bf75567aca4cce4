//! AWS JSON 1.0 over HTTP: `POST /` with `X-Amz-Target: AWSStepFunctions.<Operation>`.

use crate::error::SfnError;
use crate::service::SfnService;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::Value;
use std::sync::Arc;

const CONTENT_TYPE: &str = "application/x-amz-json-1.0";
const TARGET_PREFIX: &str = "AWSStepFunctions.";

/// Every path answers, as AWS endpoints do: clients only ever post to `/`.
pub fn router(svc: Arc<SfnService>) -> Router {
    Router::new().fallback(serve).with_state(svc)
}

/// Largest request read; a definition is at most 1 MB and an input 256 KiB.
const MAX_REQUEST_BYTES: usize = 8 * 1024 * 1024;

async fn serve(
    State(svc): State<Arc<SfnService>>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Response {
    // Over the limit, the refusal still has the service's shape (`__type`), not a bare 413.
    let Ok(body) = axum::body::to_bytes(body, MAX_REQUEST_BYTES).await else {
        let body = serde_json::json!({
            "__type": "RequestEntityTooLargeException",
            "message": format!("Request size exceeded {MAX_REQUEST_BYTES} bytes"),
        });
        return reply(
            StatusCode::PAYLOAD_TOO_LARGE,
            &body,
            Some("RequestEntityTooLargeException"),
        );
    };
    match answer(&svc, &method, &headers, &body).await {
        Ok(v) => reply(StatusCode::OK, &v, None),
        Err(e) => reply(e.status(), &e.to_body(), Some(e.type_name())),
    }
}

/// The operation named by `X-Amz-Target`, if the header is for this service.
pub fn operation(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.strip_prefix(TARGET_PREFIX))
}

async fn answer(
    svc: &SfnService,
    method: &Method,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Value, SfnError> {
    if method != Method::POST {
        return Err(SfnError::UnknownOperation(format!(
            "{method} is not supported: send POST / with an X-Amz-Target header"
        )));
    }
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(op) = operation(headers) else {
        return Err(SfnError::UnknownOperation(format!(
            "Unknown operation: X-Amz-Target '{target}' is not AWSStepFunctions.<Operation>"
        )));
    };
    let body: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Default::default())
    } else {
        serde_json::from_slice(body).map_err(|e| {
            SfnError::Serialization(format!("The request body is not valid JSON: {e}"))
        })?
    };
    svc.handle(op, body).await
}

fn reply(status: StatusCode, body: &Value, error_type: Option<&str>) -> Response {
    let mut resp = (status, body.to_string()).into_response();
    let h = resp.headers_mut();
    h.insert("content-type", HeaderValue::from_static(CONTENT_TYPE));
    if let Ok(id) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        h.insert("x-amzn-requestid", id);
    }
    if let Some(t) = error_type.and_then(|t| HeaderValue::from_str(t).ok()) {
        h.insert("x-amzn-errortype", t);
    }
    resp
}
