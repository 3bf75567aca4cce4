//! AWS JSON 1.0 transport: the operation comes from `X-Amz-Target`, errors are HTTP 400 with
//! `__type`, content type `application/x-amz-json-1.0`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::Value;

use crate::{Dynamo, DynamoError};

/// Prefix of `X-Amz-Target` for this service.
pub const TARGET_PREFIX: &str = "DynamoDB_20120810.";

const MAX_REQUEST_BYTES: usize = 16 * 1024 * 1024;

static REQUEST_SEQ: AtomicU64 = AtomicU64::new(1);

/// Every path and method answers in the service's own error shape (`__type`), as AWS
/// endpoints do: clients only ever post to `/`.
pub fn router(dynamo: Arc<Dynamo>) -> Router {
    Router::new().fallback(handle).with_state(dynamo)
}

async fn handle(
    axum::extract::State(dynamo): axum::extract::State<Arc<Dynamo>>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if method != Method::POST {
        return into_response(Err(DynamoError::UnknownOperation));
    }
    // DynamoDB accepts requests up to 16 MB (a full BatchWriteItem).
    let Ok(body) = axum::body::to_bytes(body, MAX_REQUEST_BYTES).await else {
        return into_response(Err(DynamoError::RequestTooLarge(format!(
            "Request size exceeded {MAX_REQUEST_BYTES} bytes"
        ))));
    };
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let result = match target.strip_prefix(TARGET_PREFIX) {
        None => Err(DynamoError::UnknownOperation),
        Some(op) => match serde_json::from_slice::<Value>(&body) {
            Ok(v) => dynamo.handle(op, v).await,
            Err(e) => Err(DynamoError::Serialization(format!(
                "Malformed JSON request body: {e}"
            ))),
        },
    };
    into_response(result)
}

/// The wire form of an operation's outcome (status, `__type` body, content type), for
/// embedders such as the local runtime that dispatch `X-Amz-Target` themselves.
pub fn into_response(result: Result<Value, DynamoError>) -> Response {
    let (status, body) = match result {
        Ok(v) => (StatusCode::OK, v),
        Err(e) => {
            tracing::debug!(error_type = e.type_name(), message = %e.message(), "dynamodb error");
            (
                StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::BAD_REQUEST),
                e.to_body(),
            )
        }
    };
    let id = REQUEST_SEQ.fetch_add(1, Ordering::Relaxed);
    let mut resp = (status, body.to_string()).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-amz-json-1.0"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("LOCALDDB{id:020}")) {
        h.insert("x-amzn-requestid", v);
    }
    resp
}
