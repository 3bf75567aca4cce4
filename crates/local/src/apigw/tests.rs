use super::*;
use crate::lambda::FnHandler;
use crate::template::FunctionDef;
use lambda_runtime::{Context, Diagnostic};
use std::sync::Mutex;

fn def(id: &str) -> FunctionDef {
    FunctionDef {
        logical_id: id.into(),
        name: id.into(),
        arn: format!("arn:aws:lambda:us-east-1:123456789012:function:{id}"),
        binary: None,
        environment: Default::default(),
        timeout_seconds: 3,
        memory_mb: 128,
        events: vec![],
    }
}

struct Harness {
    base: String,
    events: Arc<Mutex<Vec<Value>>>,
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
    reg.insert(
        def("Boom"),
        Arc::new(FnHandler(|_e: Value, _c: Context| async move {
            Err::<Value, _>(Diagnostic {
                error_type: "X".into(),
                error_message: "y".into(),
            })
        })),
    );
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
        ApiGateway::new(routes, Arc::new(reg), "secret-key".into())
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
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

#[tokio::test]
async fn builds_the_proxy_event_and_maps_the_response() {
    let h = start().await;
    let r = client()
        .post(format!("{}/v1/jobs?a=1&b=x%20y&a=2", h.base))
        .header("x-api-key", "secret-key")
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

    let e = h
        .events
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .pop()
        .expect("event");
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
    assert_eq!(e["headers"]["X-Api-Key"], "secret-key");
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
    assert_eq!(rc["identity"]["apiKey"], "secret-key");
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
    let c = client();
    let r = c
        .get(format!("{}/jobs/a%20b", h.base))
        .header("x-api-key", "secret-key")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 201);
    let e = h
        .events
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .pop()
        .expect("event");
    assert_eq!(e["pathParameters"], json!({"id": "a b"}));
    assert_eq!(e["resource"], "/jobs/{id}");
    assert_eq!(e["body"], Value::Null);
    assert_eq!(e["queryStringParameters"], Value::Null);
    assert_eq!(e["requestContext"]["path"], "/v1/jobs/a%20b");

    // The static route wins over /jobs/{id}, and base64 bodies are decoded.
    let r = c
        .get(format!("{}/v1/jobs/special", h.base))
        .header("x-api-key", "secret-key")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.bytes().await.expect("bytes").to_vec(), vec![0u8, 1, 2]);

    let r = c
        .delete(format!("{}/files/a/b/c", h.base))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 201);
    let e = h
        .events
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .pop()
        .expect("event");
    assert_eq!(e["pathParameters"], json!({"proxy": "a/b/c"}));
    assert_eq!(e["httpMethod"], "DELETE");
    assert_eq!(e["requestContext"]["identity"]["apiKey"], Value::Null);
}

#[tokio::test]
async fn gateway_errors_look_like_api_gateway() {
    let h = start().await;
    let c = client();
    let r = c
        .post(format!("{}/jobs", h.base))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(
        r.json::<Value>().await.expect("json"),
        json!({"message": "Forbidden"})
    );
    let r = c
        .post(format!("{}/jobs", h.base))
        .header("x-api-key", "wrong")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 403);
    let r = c
        .get(format!("{}/nowhere", h.base))
        .header("x-api-key", "secret-key")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(
        r.json::<Value>().await.expect("json"),
        json!({"message": "Missing Authentication Token"})
    );
    let r = c
        .put(format!("{}/jobs", h.base))
        .header("x-api-key", "secret-key")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 403, "wrong method is no route");
    let r = c
        .get(format!("{}/boom", h.base))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 502);
    assert_eq!(
        r.json::<Value>().await.expect("json"),
        json!({"message": "Internal server error"})
    );
    let r = c.get(format!("{}/bad", h.base)).send().await.expect("send");
    assert_eq!(r.status().as_u16(), 502);
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
    let c = client();
    let r = c
        .get(format!("{}/v1/nowhere", h.base))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 404);
    assert_eq!(
        r.json::<Value>().await.expect("json"),
        json!({"error": "NotFound", "message": "No route for GET /v1/nowhere."})
    );
    let r = c
        .post(format!("{}/v1/jobs", h.base))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(r.headers()["x-why"], "key");
    assert_eq!(
        r.json::<Value>().await.expect("json"),
        json!({"error": "Forbidden", "type": "INVALID_API_KEY"})
    );
    let r = c
        .get(format!("{}/boom", h.base))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 502);
    assert_eq!(
        r.json::<Value>().await.expect("json"),
        json!({"error": "Upstream", "message": "Internal server error"})
    );
}
