//! One function serves every `/executions` route; the route is read from the path (after the
//! `executions` segment, so a stage prefix does not matter) and the method.

use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayProxyResponse};
use aws_lambda_events::http::Method;
use serde_json::Value;

use crate::api::Api;
use crate::http::{json_response, only_params, percent_decode, ApiError};
use crate::routes::{cancel, describe, history, list, start};

fn segments(req: &ApiGatewayProxyRequest) -> Option<Vec<String>> {
    let path = req.path.as_deref().or(req.resource.as_deref())?;
    let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let at = parts.iter().position(|p| *p == "executions")?;
    let mut rest: Vec<String> = parts[at + 1..].iter().map(|s| percent_decode(s)).collect();
    // API Gateway has already decoded the path parameter; prefer it to our own decoding.
    if let Some(first) = rest.first_mut() {
        if let Some(v) = ["id", "machine"]
            .iter()
            .find_map(|k| req.path_parameters.get(*k))
            .filter(|v| !v.contains('{'))
        {
            *first = v.clone();
        }
    }
    Some(rest)
}

fn method_not_allowed(req: &ApiGatewayProxyRequest, allowed: &str) -> ApiError {
    ApiError::new(
        405,
        "MethodNotAllowed",
        format!(
            "{} is not allowed here (allowed: {allowed})",
            req.http_method
        ),
    )
}

pub async fn route(
    api: &Api,
    req: &ApiGatewayProxyRequest,
    lambda_deadline_ms: Option<i64>,
) -> ApiGatewayProxyResponse {
    let result = dispatch(api, req, lambda_deadline_ms).await;
    match result {
        Ok((status, body)) => json_response(status, &body),
        Err(e) => {
            if e.status >= 500 {
                tracing::error!(status = e.status, error = e.error, message = %e.message, "request failed");
            } else {
                tracing::info!(status = e.status, error = e.error, message = %e.message, "request refused");
            }
            e.to_response()
        }
    }
}

async fn dispatch(
    api: &Api,
    req: &ApiGatewayProxyRequest,
    lambda_deadline_ms: Option<i64>,
) -> Result<(u16, Value), ApiError> {
    let segs = segments(req).ok_or_else(|| ApiError::not_found("no such route"))?;
    let m = &req.http_method;
    match segs.as_slice() {
        [] if m == Method::GET => Ok((200, list::list(api, req).await?)),
        [] => Err(method_not_allowed(req, "GET")),
        [id] if m == Method::GET => {
            only_params(req, &[])?;
            Ok((200, describe::describe(api, id).await?))
        }
        [id] if m == Method::DELETE => cancel::cancel(api, id, req).await,
        [machine] if m == Method::POST => {
            let a = start::start(api, machine, req, lambda_deadline_ms).await?;
            Ok((a.status, a.body))
        }
        [_] => Err(method_not_allowed(req, "GET, DELETE, POST")),
        [id, h] if h == "history" && m == Method::GET => {
            Ok((200, history::history(api, id, req).await?))
        }
        [_, h] if h == "history" => Err(method_not_allowed(req, "GET")),
        _ => Err(ApiError::not_found("no such route under /executions")),
    }
}
