//! The REST API proxy event a function receives, built as `aws_lambda_events`' typed
//! request and serialised once, then given the few REST conventions its serde does not
//! follow (see [`rest_conventions`]).

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;

use aws_lambda_events::apigw::{
    ApiGatewayProxyRequest, ApiGatewayProxyRequestContext, ApiGatewayRequestIdentity,
};
use aws_lambda_events::query_map::QueryMap;
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::Route;
use crate::template::ACCOUNT_ID;

/// What one request brings to its event.
pub(super) struct ProxyRequest<'a> {
    pub route: &'a Route,
    pub params: &'a BTreeMap<String, String>,
    pub method: &'a Method,
    pub uri: &'a Uri,
    pub headers: &'a HeaderMap,
    pub body: &'a Bytes,
    pub peer: Option<SocketAddr>,
    pub request_id: &'a str,
    /// The key given and its id, on routes that need one.
    pub api_key: Option<(&'a str, &'a str)>,
}

/// The REST API proxy event, field for field as API Gateway sends it.
/// `now` is the request time, by the runtime's clock.
pub(super) fn proxy_event(
    r: &ProxyRequest<'_>,
    now: DateTime<Utc>,
) -> Result<Value, serde_json::Error> {
    let request = typed_request(r, now);
    let mut event = serde_json::to_value(&request)?;
    rest_conventions(&mut event, r.request_id);
    Ok(event)
}

fn typed_request(r: &ProxyRequest<'_>, now: DateTime<Utc>) -> ApiGatewayProxyRequest {
    let source_ip = r
        .peer
        .map(|p| p.ip().to_string())
        .unwrap_or_else(|| "127.0.0.1".into());
    let headers = forwarded_headers(r.headers, &source_ip, now);
    let (event_path, context_path) = stage_paths(r.uri.path(), &r.route.stage);
    let (query, multi_query) = query_parameters(r.uri.query());
    let (body, is_base64) = event_body(r.body);
    let mut req = ApiGatewayProxyRequest::default();
    req.resource = Some(r.route.resource.clone());
    req.path = Some(event_path);
    req.http_method = r.method.clone();
    req.headers = last_values(&headers);
    req.multi_value_headers = headers;
    req.query_string_parameters = query;
    req.multi_value_query_string_parameters = multi_query;
    req.path_parameters = r.params.clone().into_iter().collect();
    req.request_context = request_context(r, now, context_path, identity(r, source_ip));
    req.body = body;
    req.is_base64_encoded = is_base64;
    req
}

fn request_context(
    r: &ProxyRequest<'_>,
    now: DateTime<Utc>,
    context_path: String,
    identity: ApiGatewayRequestIdentity,
) -> ApiGatewayProxyRequestContext {
    let host = header_text(r.headers, "host").unwrap_or_else(|| "localhost".into());
    let mut c = ApiGatewayProxyRequestContext::default();
    c.resource_id = Some(resource_id(&r.route.resource));
    c.resource_path = Some(r.route.resource.clone());
    c.http_method = r.method.clone();
    c.request_time = Some(now.format("%d/%b/%Y:%H:%M:%S +0000").to_string());
    c.path = Some(context_path);
    c.account_id = Some(ACCOUNT_ID.into());
    c.protocol = Some("HTTP/1.1".into());
    c.stage = Some(r.route.stage.clone());
    c.domain_prefix = Some(host.split('.').next().unwrap_or(&host).to_string());
    c.request_time_epoch = now.timestamp_millis();
    c.request_id = Some(r.request_id.to_string());
    c.identity = identity;
    c.domain_name = Some(host);
    c.apiid = Some(r.route.api_id.clone());
    c
}

fn identity(r: &ProxyRequest<'_>, source_ip: String) -> ApiGatewayRequestIdentity {
    let mut i = ApiGatewayRequestIdentity::default();
    i.source_ip = Some(source_ip);
    i.user_agent = header_text(r.headers, "user-agent");
    i.api_key = r.api_key.map(|(key, _)| key.to_string());
    i.api_key_id = r.api_key.map(|(_, id)| id.to_string());
    i
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// A stable made-up id for a resource path.
fn resource_id(resource: &str) -> String {
    super::api_key_id(resource)[..6].to_string()
}

/// The client's headers (values as text, invalid UTF-8 replaced) plus those API Gateway
/// adds when the client did not send them.
fn forwarded_headers(given: &HeaderMap, source_ip: &str, now: DateTime<Utc>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (k, v) in given {
        let text = String::from_utf8_lossy(v.as_bytes());
        if let Ok(v) = HeaderValue::from_str(&text) {
            headers.append(k.clone(), v);
        }
    }
    let port = header_text(given, "host")
        .and_then(|h| h.rsplit_once(':').map(|(_, p)| p.to_string()))
        .unwrap_or_else(|| "80".into());
    let trace_id = format!(
        "Root=1-{:08x}-{}",
        now.timestamp(),
        &uuid::Uuid::new_v4().simple().to_string()[..24]
    );
    let added: [(&str, String); 4] = [
        ("x-forwarded-for", source_ip.to_string()),
        ("x-forwarded-port", port),
        ("x-forwarded-proto", "http".into()),
        ("x-amzn-trace-id", trace_id),
    ];
    for (k, v) in added {
        if !headers.contains_key(k) {
            if let (Ok(name), Ok(val)) = (HeaderName::try_from(k), HeaderValue::from_str(&v)) {
                headers.insert(name, val);
            }
        }
    }
    headers
}

/// The single-value view: the last value of each header, as API Gateway gives it.
fn last_values(headers: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::new();
    for name in headers.keys() {
        if let Some(last) = headers.get_all(name).iter().next_back() {
            out.insert(name.clone(), last.clone());
        }
    }
    out
}

/// The event's `path` (without the stage) and the context's `path` (with it), whether or
/// not the client's URL had the stage prefix.
fn stage_paths(path: &str, stage: &str) -> (String, String) {
    let stage_prefix = format!("/{stage}");
    match path.strip_prefix(&stage_prefix) {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => {
            let rest = if rest.is_empty() { "/" } else { rest };
            (rest.to_string(), path.to_string())
        }
        _ => (path.to_string(), format!("{stage_prefix}{path}")),
    }
}

/// The body as text, or base64 when it is not UTF-8; no body is `null`.
fn event_body(body: &Bytes) -> (Option<String>, bool) {
    if body.is_empty() {
        return (None, false);
    }
    match std::str::from_utf8(body) {
        Ok(s) => (Some(s.to_string()), false),
        Err(_) => (
            Some(base64::engine::general_purpose::STANDARD.encode(body)),
            true,
        ),
    }
}

/// The query's single-value view (the last value of each name) and its multi-value view.
fn query_parameters(q: Option<&str>) -> (QueryMap, QueryMap) {
    let mut single: HashMap<String, String> = HashMap::new();
    let mut multi: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in form_urlencoded::parse(q.unwrap_or("").as_bytes()) {
        single.insert(k.to_string(), v.to_string());
        multi.entry(k.to_string()).or_default().push(v.to_string());
    }
    (QueryMap::from(single), QueryMap::from(multi))
}

/// What a REST API's event has that the typed request's serde does not give:
/// header names as the client spelt them (HTTP/1 delivers them lower-cased; common
/// clients send the canonical capitalisation), `null` rather than `{}` for an empty map,
/// and the context fields the struct does not model.
fn rest_conventions(event: &mut Value, request_id: &str) {
    let Some(e) = event.as_object_mut() else {
        return;
    };
    for key in ["headers", "multiValueHeaders"] {
        if let Some(Value::Object(m)) = e.get_mut(key) {
            *m = std::mem::take(m)
                .into_iter()
                .map(|(name, v)| (canonical_header(&name), v))
                .collect();
        }
    }
    for key in [
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "pathParameters",
        "stageVariables",
    ] {
        if e.get(key)
            .is_none_or(|v| v.as_object().is_some_and(Map::is_empty))
        {
            e.insert(key.into(), Value::Null);
        }
    }
    if let Some(Value::Object(c)) = e.get_mut("requestContext") {
        let extended = &request_id[..8.min(request_id.len())];
        c.insert("extendedRequestId".into(), Value::String(extended.into()));
        c.insert("deploymentId".into(), Value::String("local".into()));
        if let Some(Value::Object(i)) = c.get_mut("identity") {
            i.insert("principalOrgId".into(), Value::Null);
        }
    }
}

/// `content-type` -> `Content-Type`.
fn canonical_header(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut c = part.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}
