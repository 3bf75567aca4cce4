//! API Gateway (REST, Lambda proxy integration) as the deployed API behaves: the same routes,
//! API key check, proxy event and response mapping, so handlers cannot tell the difference.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderName, HeaderValue, Request, StatusCode};
use axum::response::Response;
use base64::Engine as _;
use serde_json::{json, Value};

use crate::lambda::LambdaRegistry;
use crate::template::{Application, GatewayResponse, ACCOUNT_ID};

mod event;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Static(String),
    Param(String),
    Greedy(String),
}

/// One `Api` event of one function.
#[derive(Debug, Clone)]
pub struct Route {
    pub method: String,
    pub resource: String,
    segments: Vec<Segment>,
    pub function: String,
    pub api_id: String,
    pub stage: String,
    pub api_key_required: bool,
}

impl Route {
    pub fn new(
        method: &str,
        resource: &str,
        function: &str,
        api_id: &str,
        stage: &str,
        api_key_required: bool,
    ) -> Route {
        let segments = split_path(resource)
            .into_iter()
            .map(|s| {
                if let Some(inner) = s.strip_prefix('{').and_then(|x| x.strip_suffix('}')) {
                    match inner.strip_suffix('+') {
                        Some(g) => Segment::Greedy(g.to_string()),
                        None => Segment::Param(inner.to_string()),
                    }
                } else {
                    Segment::Static(s.to_string())
                }
            })
            .collect();
        Route {
            method: method.to_ascii_uppercase(),
            resource: resource.to_string(),
            segments,
            function: function.to_string(),
            api_id: api_id.to_string(),
            stage: stage.to_string(),
            api_key_required,
        }
    }

    /// Path parameters when `path` (already split, still percent-encoded) matches.
    fn matches(&self, path: &[&str]) -> Option<BTreeMap<String, String>> {
        let mut params = BTreeMap::new();
        let mut i = 0;
        for seg in &self.segments {
            match seg {
                Segment::Static(s) => {
                    if path.get(i) != Some(&s.as_str()) {
                        return None;
                    }
                    i += 1;
                }
                Segment::Param(p) => {
                    let v = path.get(i)?;
                    params.insert(p.clone(), percent_decode(v));
                    i += 1;
                }
                Segment::Greedy(p) => {
                    if i >= path.len() {
                        return None;
                    }
                    params.insert(p.clone(), percent_decode(&path[i..].join("/")));
                    i = path.len();
                }
            }
        }
        (i == path.len()).then_some(params)
    }

    /// Static segments outrank parameters, which outrank greedy ones (API Gateway's order).
    fn rank(&self) -> Vec<u8> {
        self.segments
            .iter()
            .map(|s| match s {
                Segment::Static(_) => 0,
                Segment::Param(_) => 1,
                Segment::Greedy(_) => 2,
            })
            .collect()
    }
}

fn split_path(p: &str) -> Vec<&str> {
    p.split('/').filter(|s| !s.is_empty()).collect()
}

/// Path parameters arrive decoded; invalid UTF-8 is replaced, as API Gateway does.
fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// An API's customised error responses.
#[derive(Debug, Clone)]
struct ApiResponses {
    id: String,
    stage: String,
    responses: BTreeMap<String, GatewayResponse>,
}

pub struct ApiGateway {
    routes: Vec<Route>,
    lambdas: Arc<LambdaRegistry>,
    api_key: String,
    api_key_id: String,
    apis: Vec<ApiResponses>,
}

/// An error API Gateway itself answers, before or after the integration.
struct Refusal<'a> {
    kind: &'a str,
    status: StatusCode,
    message: &'a str,
}

const NO_ROUTE: Refusal<'static> = Refusal {
    kind: "MISSING_AUTHENTICATION_TOKEN",
    status: StatusCode::FORBIDDEN,
    message: "Missing Authentication Token",
};
const BAD_KEY: Refusal<'static> = Refusal {
    kind: "INVALID_API_KEY",
    status: StatusCode::FORBIDDEN,
    message: "Forbidden",
};
const TOO_LARGE: Refusal<'static> = Refusal {
    kind: "REQUEST_TOO_LARGE",
    status: StatusCode::PAYLOAD_TOO_LARGE,
    message: "Request Too Long",
};
const UPSTREAM: Refusal<'static> = Refusal {
    kind: "DEFAULT_5XX",
    status: StatusCode::BAD_GATEWAY,
    message: "Internal server error",
};

impl ApiGateway {
    pub fn new(routes: Vec<Route>, lambdas: Arc<LambdaRegistry>, api_key: String) -> Self {
        let api_key_id = api_key_id(&api_key);
        ApiGateway {
            routes,
            lambdas,
            api_key,
            api_key_id,
            apis: Vec::new(),
        }
    }

    /// Customised error responses of one API (the template's `GatewayResponses`).
    pub fn with_gateway_responses(
        mut self,
        api_id: &str,
        stage: &str,
        responses: BTreeMap<String, GatewayResponse>,
    ) -> Self {
        self.apis.push(ApiResponses {
            id: api_id.to_string(),
            stage: stage.to_string(),
            responses,
        });
        self
    }

    /// The API a request is for: its route's, else the one whose stage prefixes the path,
    /// else the only one.
    fn api_for(&self, route: Option<&Route>, path: &str) -> Option<&ApiResponses> {
        if let Some(r) = route {
            return self.apis.iter().find(|a| a.id == r.api_id);
        }
        let first = split_path(path).first().copied().unwrap_or("");
        self.apis
            .iter()
            .find(|a| a.stage == first)
            .or_else(|| (self.apis.len() == 1).then(|| &self.apis[0]))
    }

    /// API Gateway's own error, customised as the API's `GatewayResponses` say
    /// (the specific type, else DEFAULT_4XX / DEFAULT_5XX).
    fn refuse(
        &self,
        refusal: &Refusal<'_>,
        route: Option<&Route>,
        method: &str,
        path: &str,
        request_id: &str,
    ) -> Response {
        let api = self.api_for(route, path);
        let default_kind = if refusal.status.is_server_error() {
            "DEFAULT_5XX"
        } else {
            "DEFAULT_4XX"
        };
        // The INVALID_API_KEY response is also found under the shorter name some templates use.
        let custom = api.and_then(|a| {
            a.responses
                .get(refusal.kind)
                .or_else(|| {
                    (refusal.kind == "INVALID_API_KEY")
                        .then(|| a.responses.get("API_KEY"))
                        .flatten()
                })
                .or_else(|| a.responses.get(default_kind))
        });
        let Some(custom) = custom else {
            return gateway_error(refusal.status, refusal.message, refusal.kind, request_id);
        };
        let status = custom
            .status
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(refusal.status);
        let body = match &custom.template {
            Some(t) => {
                let stage = api.map(|a| a.stage.as_str()).unwrap_or("");
                let vars: [(&str, String); 10] = [
                    (
                        "$context.error.messageString",
                        Value::String(refusal.message.into()).to_string(),
                    ),
                    ("$context.error.message", refusal.message.to_string()),
                    ("$context.error.responseType", refusal.kind.to_string()),
                    ("$context.httpMethod", method.to_string()),
                    (
                        "$context.resourcePath",
                        route.map(|r| r.resource.clone()).unwrap_or_default(),
                    ),
                    ("$context.path", path.to_string()),
                    ("$context.stage", stage.to_string()),
                    ("$context.requestId", request_id.to_string()),
                    (
                        "$context.apiId",
                        api.map(|a| a.id.clone()).unwrap_or_default(),
                    ),
                    ("$context.accountId", ACCOUNT_ID.to_string()),
                ];
                render(t, &vars)
            }
            None => json!({ "message": refusal.message }).to_string(),
        };
        let mut resp = gateway_error(status, refusal.message, refusal.kind, request_id);
        *resp.body_mut() = Body::from(body);
        for (k, v) in &custom.headers {
            if let (Ok(n), Ok(v)) = (HeaderName::try_from(k.as_str()), HeaderValue::from_str(v)) {
                resp.headers_mut().insert(n, v);
            }
        }
        resp
    }

    /// Every `Api` event of every function in the template.
    pub fn routes_from(app: &Application) -> Vec<Route> {
        let mut routes = Vec::new();
        for f in &app.functions {
            for e in &f.events {
                let (id, stage) = app
                    .apis
                    .iter()
                    .find(|a| a.logical_id == e.api)
                    .map(|a| (a.id.clone(), a.stage.clone()))
                    .unwrap_or_else(|| (crate::template::api_id(&e.api), "Prod".into()));
                routes.push(Route::new(
                    &e.method,
                    &e.path,
                    &f.logical_id,
                    &id,
                    &stage,
                    e.api_key_required,
                ));
            }
        }
        routes
    }

    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// The route for a request; the stage prefix of the deployed URL is optional.
    fn find(&self, method: &str, path: &str) -> Option<(&Route, BTreeMap<String, String>)> {
        let segs = split_path(path);
        let mut best: Option<(&Route, BTreeMap<String, String>)> = None;
        let consider = |r: &'_ Route, segs: &[&str]| -> Option<BTreeMap<String, String>> {
            if r.method != method && r.method != "ANY" {
                return None;
            }
            r.matches(segs)
        };
        for r in &self.routes {
            let with_stage = match segs.split_first() {
                Some((first, rest)) if *first == r.stage => consider(r, rest),
                _ => None,
            };
            let params = with_stage.or_else(|| consider(r, &segs));
            if let Some(p) = params {
                let better = match &best {
                    None => true,
                    Some((b, _)) => (r.rank(), r.method == "ANY") < (b.rank(), b.method == "ANY"),
                };
                if better {
                    best = Some((r, p));
                }
            }
        }
        best
    }

    pub fn router(self: Arc<Self>) -> axum::Router {
        axum::Router::new().fallback(handle).with_state(self)
    }

    async fn serve(&self, peer: Option<SocketAddr>, req: Request<Body>) -> Response {
        let (parts, body) = req.into_parts();
        let request_id = uuid::Uuid::new_v4().to_string();
        let method = parts.method.as_str().to_ascii_uppercase();
        let path = parts.uri.path().to_string();
        let Some((route, params)) = self.find(&method, &path) else {
            return self.refuse(&NO_ROUTE, None, &method, &path, &request_id);
        };
        let given_key = parts
            .headers
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if route.api_key_required && given_key.as_deref() != Some(self.api_key.as_str()) {
            return self.refuse(&BAD_KEY, Some(route), &method, &path, &request_id);
        }
        let body = match axum::body::to_bytes(body, 10 * 1024 * 1024).await {
            Ok(b) => b,
            Err(_) => return self.refuse(&TOO_LARGE, Some(route), &method, &path, &request_id),
        };
        let event = event::proxy_event(
            &event::ProxyRequest {
                route,
                params: &params,
                method: &parts.method,
                uri: &parts.uri,
                headers: &parts.headers,
                body: &body,
                peer,
                request_id: &request_id,
                api_key: given_key
                    .as_deref()
                    .filter(|_| route.api_key_required)
                    .map(|k| (k, self.api_key_id.as_str())),
            },
            self.lambdas.clock().now(),
        );
        let event = match event {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(function = %route.function, error = %e, "cannot serialise the proxy event");
                return self.refuse(&UPSTREAM, Some(route), &method, &path, &request_id);
            }
        };
        // Counted as work while it runs, so an advance of the clock lets a handler that
        // waits on it (a synchronous start) answer before time moves on.
        let invoke = self.lambdas.invoke(&route.function, event);
        match common::clock::tracked(self.lambdas.clock().activity(), invoke).await {
            Ok(out) => proxy_response(&out, &request_id).unwrap_or_else(|why| {
                tracing::warn!(function = %route.function, %why, "malformed Lambda proxy response");
                self.refuse(&UPSTREAM, Some(route), &method, &path, &request_id)
            }),
            Err(e) => {
                tracing::warn!(function = %route.function, error = %e, "Lambda invocation failed");
                self.refuse(&UPSTREAM, Some(route), &method, &path, &request_id)
            }
        }
    }
}

async fn handle(State(gw): State<Arc<ApiGateway>>, req: Request<Body>) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    gw.serve(peer, req).await
}

fn api_key_id(key: &str) -> String {
    common::short_hash(key, 5)
}

fn gateway_error(status: StatusCode, message: &str, kind: &str, request_id: &str) -> Response {
    let kind = match kind {
        "MISSING_AUTHENTICATION_TOKEN" => "MissingAuthenticationTokenException",
        "INVALID_API_KEY" => "ForbiddenException",
        "REQUEST_TOO_LARGE" => "RequestTooLongException",
        _ => "InternalServerErrorException",
    };
    let mut resp = Response::new(Body::from(json!({ "message": message }).to_string()));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert("content-type", HeaderValue::from_static("application/json"));
    if let Ok(v) = HeaderValue::from_str(kind) {
        h.insert("x-amzn-errortype", v);
    }
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-amzn-requestid", v);
    }
    resp
}

/// Fills `$context.*` variables, longest names first so prefixes do not clash.
fn render(template: &str, vars: &[(&str, String)]) -> String {
    let mut sorted: Vec<&(&str, String)> = vars.iter().collect();
    sorted.sort_by_key(|(k, _)| std::cmp::Reverse(k.len()));
    let mut out = template.to_string();
    for (k, v) in sorted {
        out = out.replace(k, v);
    }
    out
}

/// Maps the Lambda proxy response back to HTTP; anything malformed is API Gateway's 502.
fn proxy_response(out: &Value, request_id: &str) -> Result<Response, String> {
    let obj = out.as_object().ok_or("the response is not a JSON object")?;
    let status = match obj.get("statusCode") {
        Some(Value::Number(n)) => n.as_u64().ok_or("statusCode is not an integer")?,
        Some(Value::String(s)) => s.parse().map_err(|_| "statusCode is not an integer")?,
        None => 200,
        Some(_) => return Err("statusCode is not an integer".into()),
    };
    let status = u16::try_from(status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .ok_or("statusCode out of range")?;
    let is_b64 = matches!(obj.get("isBase64Encoded"), Some(Value::Bool(true)));
    let body = match obj.get("body") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) if is_b64 => base64::engine::general_purpose::STANDARD
            .decode(s)
            .map_err(|_| "body is not valid base64")?,
        Some(Value::String(s)) => s.clone().into_bytes(),
        Some(_) => return Err("body is not a string".into()),
    };
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    let mut put = |k: &str, v: &Value, append: bool| -> Result<(), String> {
        let text = crate::intrinsics::scalar(v).ok_or(format!("header {k} is not a string"))?;
        let name = HeaderName::try_from(k).map_err(|_| format!("invalid header name {k}"))?;
        let val =
            HeaderValue::from_str(&text).map_err(|_| format!("invalid header value for {k}"))?;
        if append {
            h.append(name, val);
        } else {
            h.insert(name, val);
        }
        Ok(())
    };
    if let Some(Value::Object(m)) = obj.get("multiValueHeaders") {
        for (k, vs) in m {
            if let Value::Array(vs) = vs {
                for v in vs {
                    put(k, v, true)?;
                }
            }
        }
    }
    if let Some(Value::Object(m)) = obj.get("headers") {
        for (k, v) in m {
            put(k, v, false)?;
        }
    }
    if !h.contains_key("content-type") {
        h.insert("content-type", HeaderValue::from_static("application/json"));
    }
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-amzn-requestid", v);
    }
    Ok(resp)
}

#[cfg(test)]
mod tests;
