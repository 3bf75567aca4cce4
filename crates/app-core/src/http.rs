//! The JSON error shape and the API Gateway proxy plumbing every API handler shares.

use crate::requests::RequestError;
use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayProxyResponse};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::{header::CONTENT_TYPE, HeaderValue};
use base64::Engine;
use serde::Serialize;
use serde_json::Value;

/// Bodies above this are refused before parsing (the issue's 32 KiB).
pub const MAX_BODY_BYTES: usize = 32 * 1024;

/// An HTTP error answer: status plus `{"error", "message"}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {error}: {message}")]
pub struct ApiError {
    pub status: u16,
    pub error: &'static str,
    pub message: String,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    message: &'a str,
}

impl ApiError {
    pub fn new(status: u16, error: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            error,
            message: message.into(),
        }
    }

    pub fn bad_request(error: &'static str, message: impl Into<String>) -> Self {
        Self::new(400, error, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, "NotFound", message)
    }

    /// A failure of a service we depend on: not the client's fault, so never a 4xx.
    pub fn upstream(message: impl Into<String>) -> Self {
        Self::new(502, "Upstream", message)
    }

    pub fn to_response(&self) -> ApiGatewayProxyResponse {
        json_response(
            self.status,
            &ErrorBody {
                error: self.error,
                message: &self.message,
            },
        )
    }
}

impl From<RequestError> for ApiError {
    fn from(e: RequestError) -> Self {
        ApiError::bad_request(e.name(), e.to_string())
    }
}

/// A JSON response; serialization of our own types cannot fail in practice, but if it
/// does the client still gets a JSON 500 rather than a broken body.
pub fn json_response<T: Serialize + ?Sized>(status: u16, body: &T) -> ApiGatewayProxyResponse {
    let (status, text) = match serde_json::to_string(body) {
        Ok(text) => (status, text),
        Err(e) => (
            500,
            format!(r#"{{"error":"Internal","message":"could not serialize the response: {e}"}}"#),
        ),
    };
    let mut resp = ApiGatewayProxyResponse::default();
    resp.status_code = i64::from(status);
    resp.headers
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp.body = Some(Body::Text(text));
    resp
}

/// A header value, if present and valid text.
pub fn header<'a>(req: &'a ApiGatewayProxyRequest, name: &str) -> Option<&'a str> {
    req.headers
        .get(name)
        .or_else(|| req.multi_value_headers.get(name))
        .and_then(|v| v.to_str().ok())
}

/// One query parameter. A parameter repeated with different values is refused rather
/// than silently picking one.
pub fn query_param<'a>(
    req: &'a ApiGatewayProxyRequest,
    name: &str,
) -> Result<Option<&'a str>, RequestError> {
    if let Some(all) = req.multi_value_query_string_parameters.all(name) {
        if let Some(first) = all.first() {
            if all.iter().any(|v| v != first) {
                return Err(RequestError::InvalidField {
                    field: name.to_owned(),
                    reason: "is given more than once with different values".into(),
                });
            }
            return Ok(Some(first));
        }
    }
    Ok(req.query_string_parameters.first(name))
}

/// The raw body, decoded from base64 when API Gateway says so, size-checked.
pub fn body_bytes(req: &ApiGatewayProxyRequest) -> Result<Vec<u8>, RequestError> {
    let Some(raw) = req.body.as_deref() else {
        return Ok(Vec::new());
    };
    let too_large = |size| RequestError::PayloadTooLarge { size };
    if req.is_base64_encoded {
        // base64 grows by 4/3, so anything this long cannot decode under the limit.
        if raw.len() > MAX_BODY_BYTES / 3 * 4 + 4 {
            return Err(too_large(raw.len() / 4 * 3));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(raw.trim())
            .map_err(|e| RequestError::InvalidJson(format!("body is not valid base64: {e}")))?;
        if bytes.len() > MAX_BODY_BYTES {
            return Err(too_large(bytes.len()));
        }
        Ok(bytes)
    } else {
        if raw.len() > MAX_BODY_BYTES {
            return Err(too_large(raw.len()));
        }
        Ok(raw.as_bytes().to_vec())
    }
}

/// The body as JSON; `None` when the body is empty or only whitespace.
pub fn body_json(req: &ApiGatewayProxyRequest) -> Result<Option<Value>, RequestError> {
    let bytes = body_bytes(req)?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| RequestError::InvalidJson(format!("body is not valid JSON: {e}")))
}

/// The route as API Gateway matched it: the resource template (`/jobs/{id}`) when
/// present, else the raw path.
pub fn route(req: &ApiGatewayProxyRequest) -> (&str, &str) {
    let path = req
        .resource
        .as_deref()
        .filter(|r| !r.is_empty())
        .or(req.path.as_deref())
        .unwrap_or("/");
    (req.http_method.as_str(), path)
}

/// `404 {"error":"NotFound"}` for a method/path no handler serves.
pub fn unknown_route(req: &ApiGatewayProxyRequest) -> ApiGatewayProxyResponse {
    let (method, path) = route(req);
    ApiError::not_found(format!("no route for {method} {path}")).to_response()
}

/// Matches `/jobs/{id}` + `suffix` (e.g. `""`, `"/success"`) against the route and
/// returns the id: from `path_parameters` when API Gateway matched the resource
/// template, else from the raw path.
pub fn job_route(req: &ApiGatewayProxyRequest, suffix: &str) -> Option<String> {
    let (_, route) = route(req);
    if route == format!("/jobs/{{id}}{suffix}") {
        return req.path_parameters.get("id").cloned().or_else(|| {
            let path = req.path.as_deref()?;
            path_id(path, suffix)
        });
    }
    path_id(route, suffix)
}

fn path_id(path: &str, suffix: &str) -> Option<String> {
    let rest = path.strip_prefix("/jobs/")?.strip_suffix(suffix)?;
    (!rest.is_empty() && !rest.contains('/') && !rest.contains('{')).then(|| rest.to_owned())
}

/// Base URL of this API as the client called it, for links in answers.
pub fn base_url(req: &ApiGatewayProxyRequest) -> String {
    let host = header(req, "host")
        .map(str::to_owned)
        .or_else(|| req.request_context.domain_name.clone())
        .unwrap_or_else(|| "localhost".into());
    let scheme = header(req, "x-forwarded-proto")
        .filter(|p| p.eq_ignore_ascii_case("http"))
        .map_or("https", |_| "http");
    match req.request_context.stage.as_deref() {
        Some(stage) if !stage.is_empty() && stage != "$default" => {
            format!("{scheme}://{host}/{stage}")
        }
        _ => format!("{scheme}://{host}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    pub(crate) fn request(v: Value) -> ApiGatewayProxyRequest {
        serde_json::from_value(v).unwrap()
    }

    fn body_of(resp: &ApiGatewayProxyResponse) -> Value {
        match &resp.body {
            Some(Body::Text(t)) => serde_json::from_str(t).unwrap(),
            other => panic!("unexpected body {other:?}"),
        }
    }

    #[test]
    fn error_shape() {
        let resp = ApiError::bad_request("MissingField", "field `x` is required").to_response();
        assert_eq!(resp.status_code, 400);
        assert_eq!(
            body_of(&resp),
            json!({"error": "MissingField", "message": "field `x` is required"})
        );
        assert_eq!(resp.headers["content-type"], "application/json");
    }

    #[test]
    fn body_limits_and_base64() {
        let big = "x".repeat(MAX_BODY_BYTES + 1);
        let req = request(
            json!({"httpMethod": "POST", "body": big, "requestContext": {"httpMethod": "POST"}}),
        );
        assert!(matches!(
            body_bytes(&req),
            Err(RequestError::PayloadTooLarge { .. })
        ));

        let req = request(
            json!({"httpMethod": "POST", "body": "eyJhIjoxfQ==", "isBase64Encoded": true, "requestContext": {"httpMethod": "POST"}}),
        );
        assert_eq!(body_json(&req).unwrap(), Some(json!({"a": 1})));

        let req = request(
            json!({"httpMethod": "POST", "body": "  ", "requestContext": {"httpMethod": "POST"}}),
        );
        assert_eq!(body_json(&req).unwrap(), None);
    }

    #[test]
    fn query_and_url() {
        let req = request(json!({
            "httpMethod": "GET", "resource": "/status", "path": "/status",
            "headers": {"Host": "abc.execute-api.us-east-1.amazonaws.com"},
            "queryStringParameters": {"limit": "5"},
            "multiValueQueryStringParameters": {"limit": ["5"], "status": ["A", "B"]},
            "requestContext": {"httpMethod": "GET", "stage": "Prod"}
        }));
        assert_eq!(query_param(&req, "limit").unwrap(), Some("5"));
        assert!(query_param(&req, "status").is_err());
        assert_eq!(query_param(&req, "next").unwrap(), None);
        assert_eq!(
            base_url(&req),
            "https://abc.execute-api.us-east-1.amazonaws.com/Prod"
        );
        assert_eq!(route(&req), ("GET", "/status"));
    }

    #[test]
    fn job_routes() {
        let templ = request(json!({
            "httpMethod": "POST", "resource": "/jobs/{id}/success", "path": "/jobs/a1/success",
            "pathParameters": {"id": "a1"}, "requestContext": {"httpMethod": "POST"}
        }));
        assert_eq!(job_route(&templ, "/success").as_deref(), Some("a1"));
        assert_eq!(job_route(&templ, "/failure"), None);
        assert_eq!(job_route(&templ, ""), None);
        let raw = request(
            json!({"httpMethod": "GET", "path": "/jobs/b2", "requestContext": {"httpMethod": "GET"}}),
        );
        assert_eq!(job_route(&raw, "").as_deref(), Some("b2"));
        assert_eq!(job_route(&raw, "/success"), None);
        let deep = request(
            json!({"httpMethod": "GET", "path": "/jobs/b2/x/y", "requestContext": {"httpMethod": "GET"}}),
        );
        assert_eq!(job_route(&deep, ""), None);
    }
}
