use super::*;
use crate::lambda::{failing, FnHandler};
use crate::template::FunctionDef;
use lambda_runtime::Context;
use std::sync::Mutex;

const KEY: &str = "secret-key";

fn def(id: &str) -> FunctionDef {
    FunctionDef::for_test(id)
}

struct Harness {
    base: String,
    events: Arc<Mutex<Vec<Value>>>,
    http: reqwest::Client,
}

impl Harness {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The event the Echo function received last.
    fn last_event(&self) -> Value {
        self.events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop()
            .expect("event")
    }
}

/// Sends `req`, with the API key when `key` says; answers the status and the JSON body
/// (`Null` when the body is not JSON).
async fn answer(req: reqwest::RequestBuilder, key: Option<&str>) -> (u16, Value) {
    let req = match key {
        Some(k) => req.header("x-api-key", k),
        None => req,
    };
    let r = req.send().await.expect("send");
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn start() -> Harness {
    start_with(BTreeMap::new()).await
}

async fn start_with(responses: BTreeMap<String, GatewayResponse>) -> Harness {
    let events = Arc::new(Mutex::new(Vec::new()));
    let mut reg = LambdaRegistry::new();
    let seen = events.clone();
    reg.insert(
        def("Echo"),
        Arc::new(FnHandler(move |e: Value, _c: Context| {
            let seen = seen.clone();
            async move {
                seen.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(e.clone());
                Ok(json!({
                    "statusCode": 201,
                    "headers": {"X-Custom": "one"},
                    "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
                    "body": "{\"ok\":true}",
                    "isBase64Encoded": false
                }))
            }
        })),
    );
    reg.insert(def("Boom"), failing("X", "y"));
    reg.insert(
        def("Bad"),
        Arc::new(FnHandler(|_e: Value, _c: Context| async move {
            Ok(json!({"statusCode": "abc"}))
        })),
    );
    reg.insert(
        def("Bin"),
        Arc::new(FnHandler(|_e: Value, _c: Context| async move {
            Ok(json!({"statusCode": 200, "headers": {"content-type": "application/octet-stream"}, "body": "AAEC", "isBase64Encoded": true}))
        })),
    );
    let routes = vec![
        Route::new("POST", "/jobs", "Echo", "abc", "v1", true),
        Route::new("GET", "/jobs/{id}", "Echo", "abc", "v1", true),
        Route::new("GET", "/jobs/special", "Bin", "abc", "v1", true),
        Route::new("ANY", "/files/{proxy+}", "Echo", "abc", "v1", false),
        Route::new("GET", "/boom", "Boom", "abc", "v1", false),
        Route::new("GET", "/bad", "Bad", "abc", "v1", false),
    ];
    let gw = Arc::new(
        ApiGateway::new(routes, Arc::new(reg), KEY.into())
            .with_gateway_responses("abc", "v1", responses),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            gw.router()
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    Harness {
        base: format!("http://{addr}"),
        events,
        http: reqwest::Client::new(),
    }
}

#[tokio::test]
async fn builds_the_proxy_event_and_maps_the_response() {
    let h = start().await;
    let r = h
        .http
        .post(h.url("/v1/jobs?a=1&b=x%20y&a=2"))
        .header("x-api-key", KEY)
        .header("content-type", "application/json")
        .body("{\"StartTimestamp\":\"x\"}")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 201);
    assert_eq!(r.headers()["x-custom"], "one");
    let cookies: Vec<_> = r.headers().get_all("set-cookie").iter().collect();
    assert_eq!(cookies.len(), 2);
    assert_eq!(r.text().await.expect("body"), "{\"ok\":true}");

    let e = h.last_event();
    assert_eq!(e["resource"], "/jobs");
    assert_eq!(e["path"], "/jobs");
    assert_eq!(e["httpMethod"], "POST");
    assert_eq!(e["body"], "{\"StartTimestamp\":\"x\"}");
    assert_eq!(e["isBase64Encoded"], false);
    assert_eq!(e["queryStringParameters"], json!({"a": "2", "b": "x y"}));
    assert_eq!(
        e["multiValueQueryStringParameters"],
        json!({"a": ["1", "2"], "b": ["x y"]})
    );
    assert_eq!(e["pathParameters"], Value::Null);
    assert_eq!(e["stageVariables"], Value::Null);
    assert_eq!(e["headers"]["X-Api-Key"], KEY);
    assert_eq!(e["headers"]["X-Forwarded-Proto"], "http");
    assert_eq!(
        e["multiValueHeaders"]["Content-Type"],
        json!(["application/json"])
    );
    let rc = &e["requestContext"];
    assert_eq!(rc["stage"], "v1");
    assert_eq!(rc["path"], "/v1/jobs");
    assert_eq!(rc["resourcePath"], "/jobs");
    assert_eq!(rc["httpMethod"], "POST");
    assert_eq!(rc["accountId"], "123456789012");
    assert_eq!(rc["apiId"], "abc");
    assert_eq!(rc["protocol"], "HTTP/1.1");
    assert_eq!(rc["identity"]["apiKey"], KEY);
    assert_eq!(rc["identity"]["sourceIp"], "127.0.0.1");
    assert!(rc["requestTimeEpoch"].as_i64().unwrap_or(0) > 0);
    assert!(rc["domainName"]
        .as_str()
        .unwrap_or("")
        .starts_with("127.0.0.1:"));
    let typed: Result<aws_lambda_events::apigw::ApiGatewayProxyRequest, _> =
        serde_json::from_value(e.clone());
    assert!(
        typed.is_ok(),
        "deserialises as the handlers' event type: {typed:?}"
    );
}

#[tokio::test]
async fn path_parameters_precedence_and_greedy() {
    let h = start().await;
    let (s, _) = answer(h.http.get(h.url("/jobs/a%20b")), Some(KEY)).await;
    assert_eq!(s, 201);
    let e = h.last_event();
    assert_eq!(e["pathParameters"], json!({"id": "a b"}));
    assert_eq!(e["resource"], "/jobs/{id}");
    assert_eq!(e["body"], Value::Null);
    assert_eq!(e["queryStringParameters"], Value::Null);
    assert_eq!(e["requestContext"]["path"], "/v1/jobs/a%20b");

    // The static route wins over /jobs/{id}, and base64 bodies are decoded.
    let r = h
        .http
        .get(h.url("/v1/jobs/special"))
        .header("x-api-key", KEY)
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.bytes().await.expect("bytes").to_vec(), vec![0u8, 1, 2]);

    let (s, _) = answer(h.http.delete(h.url("/files/a/b/c")), None).await;
    assert_eq!(s, 201);
    let e = h.last_event();
    assert_eq!(e["pathParameters"], json!({"proxy": "a/b/c"}));
    assert_eq!(e["httpMethod"], "DELETE");
    assert_eq!(e["requestContext"]["identity"]["apiKey"], Value::Null);
}

#[tokio::test]
async fn gateway_errors_look_like_api_gateway() {
    let h = start().await;
    let forbidden = json!({"message": "Forbidden"});
    assert_eq!(
        answer(h.http.post(h.url("/jobs")), None).await,
        (403, forbidden.clone())
    );
    assert_eq!(
        answer(h.http.post(h.url("/jobs")), Some("wrong")).await,
        (403, forbidden)
    );
    let no_route = json!({"message": "Missing Authentication Token"});
    assert_eq!(
        answer(h.http.get(h.url("/nowhere")), Some(KEY)).await,
        (403, no_route.clone())
    );
    assert_eq!(
        answer(h.http.put(h.url("/jobs")), Some(KEY)).await,
        (403, no_route),
        "wrong method is no route"
    );
    assert_eq!(
        answer(h.http.get(h.url("/boom")), None).await,
        (502, json!({"message": "Internal server error"}))
    );
    let (s, _) = answer(h.http.get(h.url("/bad")), None).await;
    assert_eq!(s, 502);
}

#[tokio::test]
async fn gateway_responses_customise_the_refusals() {
    let mut responses = BTreeMap::new();
    responses.insert(
        "MISSING_AUTHENTICATION_TOKEN".to_string(),
        GatewayResponse {
            status: Some(404),
            template: Some(r#"{"error": "NotFound", "message": "No route for $context.httpMethod $context.path."}"#.into()),
            headers: BTreeMap::new(),
        },
    );
    responses.insert(
        "INVALID_API_KEY".to_string(),
        GatewayResponse {
            status: Some(403),
            template: Some(
                r#"{"error": "Forbidden", "type": "$context.error.responseType"}"#.into(),
            ),
            headers: [("X-Why".to_string(), "key".to_string())].into(),
        },
    );
    responses.insert(
        "DEFAULT_5XX".to_string(),
        GatewayResponse {
            status: None,
            template: Some(
                r#"{"error": "Upstream", "message": $context.error.messageString}"#.into(),
            ),
            headers: BTreeMap::new(),
        },
    );
    let h = start_with(responses).await;
    assert_eq!(
        answer(h.http.get(h.url("/v1/nowhere")), None).await,
        (
            404,
            json!({"error": "NotFound", "message": "No route for GET /v1/nowhere."})
        )
    );
    let r = h.http.post(h.url("/v1/jobs")).send().await.expect("send");
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(r.headers()["x-why"], "key");
    assert_eq!(
        r.json::<Value>().await.expect("json"),
        json!({"error": "Forbidden", "type": "INVALID_API_KEY"})
    );
    assert_eq!(
        answer(h.http.get(h.url("/boom")), None).await,
        (
            502,
            json!({"error": "Upstream", "message": "Internal server error"})
        )
    );
}
