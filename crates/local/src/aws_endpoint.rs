//! One AWS endpoint for every service the application uses, so a single
//! `AWS_ENDPOINT_URL` serves the aws CLI and every SDK. The service is chosen by the
//! `X-Amz-Target` prefix; signatures are accepted unchecked (credentials are local).

use aws_json::{AwsError, Reply};
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, Request, StatusCode};
use axum::response::Response;
use tower::ServiceExt;

#[derive(Clone)]
struct Services {
    sfn: axum::Router,
    dynamodb: axum::Router,
    stack: axum::Router,
    /// The runtime's clock: a call being served counts as work while time is advanced.
    clock: std::sync::Arc<dyn asl::Clock>,
}

/// Dispatches to the Step Functions and DynamoDB routers, each keeping its own wire format;
/// `/console/...` is the browser console, and a browser opening `/` is sent there. Requests
/// without a target that read the stack (CloudFormation DescribeStacks, API Gateway
/// GetApiKey) go to `stack` (see [`crate::stack`]).
pub fn router(
    sfn: axum::Router,
    dynamodb: axum::Router,
    stack: axum::Router,
    console: axum::Router,
    clock: std::sync::Arc<dyn asl::Clock>,
) -> axum::Router {
    console.fallback_service(axum::Router::new().fallback(dispatch).with_state(Services {
        sfn,
        dynamodb,
        stack,
        clock,
    }))
}

async fn dispatch(State(s): State<Services>, req: Request<Body>) -> Response {
    let target = aws_json::target(req.headers()).to_string();
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
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok());
    let service = if target.is_empty()
        && crate::stack::handles(req.method(), req.uri().path(), content_type)
    {
        s.stack
    } else if target.starts_with(sfn_local::TARGET_PREFIX) {
        s.sfn
    } else if target.starts_with(local_dynamodb::TARGET_PREFIX) {
        s.dynamodb
    } else {
        return unknown_operation(&target);
    };
    match common::clock::tracked(s.clock.activity(), service.oneshot(req)).await {
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
    Reply::PLAIN.error(&EndpointRefusal {
        status: StatusCode::BAD_REQUEST,
        type_name: "com.amazon.coral.service#UnknownOperationException".into(),
        message,
    })
}

/// A request the endpoint answers itself, before (or instead of) any service: in the
/// services' error shape, so SDKs report it like any other AWS error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointRefusal {
    pub status: StatusCode,
    pub type_name: String,
    pub message: String,
}

impl AwsError for EndpointRefusal {
    fn type_name(&self) -> &str {
        &self.type_name
    }

    fn message(&self) -> String {
        self.message.clone()
    }

    fn status(&self) -> StatusCode {
        self.status
    }
}
