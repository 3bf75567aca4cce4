//! One AWS endpoint for every service the application uses, so a single
//! `AWS_ENDPOINT_URL` serves the aws CLI and every SDK. The service is chosen by the
//! `X-Amz-Target` prefix; signatures are accepted unchecked (credentials are local).

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, Request, StatusCode};
use axum::response::Response;
use tower::ServiceExt;

const SFN_PREFIX: &str = "AWSStepFunctions.";
const DYNAMODB_PREFIX: &str = "DynamoDB_20120810.";

#[derive(Clone)]
struct Services {
    sfn: axum::Router,
    dynamodb: axum::Router,
}

/// Dispatches to the Step Functions and DynamoDB routers, each keeping its own wire format;
/// `/console/...` is the browser console, and a browser opening `/` is sent there.
pub fn router(sfn: axum::Router, dynamodb: axum::Router, console: axum::Router) -> axum::Router {
    console.fallback_service(
        axum::Router::new()
            .fallback(dispatch)
            .with_state(Services { sfn, dynamodb }),
    )
}

async fn dispatch(State(s): State<Services>, req: Request<Body>) -> Response {
    let target = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let browser = req
        .headers()
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if target.is_empty()
        && req.method() == axum::http::Method::GET
        && req.uri().path() == "/"
        && browser
    {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::FOUND;
        r.headers_mut()
            .insert("location", HeaderValue::from_static("/console/"));
        return r;
    }
    let service = if target.starts_with(SFN_PREFIX) {
        s.sfn
    } else if target.starts_with(DYNAMODB_PREFIX) {
        s.dynamodb
    } else {
        return unknown_operation(&target);
    };
    match service.oneshot(req).await {
        Ok(r) => r,
        Err(never) => match never {},
    }
}

fn unknown_operation(target: &str) -> Response {
    let message = if target.is_empty() {
        "Missing X-Amz-Target: this endpoint serves AWSStepFunctions.* and DynamoDB_20120810.*"
            .to_string()
    } else {
        format!("Unknown operation {target}: this endpoint serves AWSStepFunctions.* and DynamoDB_20120810.*")
    };
    let body = serde_json::json!({
        "__type": "com.amazon.coral.service#UnknownOperationException",
        "message": message,
    });
    let mut r = Response::new(Body::from(body.to_string()));
    *r.status_mut() = StatusCode::BAD_REQUEST;
    r.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("application/x-amz-json-1.0"),
    );
    r
}
