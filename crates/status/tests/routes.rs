//! `GET /status` and `GET /jobs/{id}` over an in-memory table with GSI semantics.

use app_core::cursor::{Cursor, PartitionState, Position};
use app_core::domain::{Job, Pattern, TaskToken};
use app_core::fake::MemoryJobs;
use app_core::ports::PartitionQuery;
use app_core::schema::JobIndex;
use app_core::ApiHandler;
use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayProxyResponse};
use aws_lambda_events::encodings::Body;
use serde_json::{json, Value};
use status::Status;

const SECRET: &str = "SECRET-TOKEN-abcdefghijklmnopqrstuvwxyz";

fn job(id: &str, status: &str, updated: &str) -> Job {
    Job {
        id: id.into(),
        pattern: Some(Pattern::Callback),
        process_status: Some(status.parse().unwrap()),
        start_action_at: Some("2026-01-01T00:00:00Z".into()),
        last_updated: Some(updated.into()),
        execution_arn: Some(format!(
            "arn:aws:states:us-east-1:123456789012:execution:Callback:{id}"
        )),
        task_token: (status == "WAITING_FOR_CALLBACK").then(|| TaskToken::new(SECRET).unwrap()),
        ..Job::default()
    }
}

fn table() -> MemoryJobs {
    MemoryJobs::with_jobs([
        job("a", "COMPLETED", "2026-01-01T00:00:01.000Z"),
        job("b", "WAITING_FOR_CALLBACK", "2026-01-01T00:00:02.000Z"),
        job("c", "COMPLETED", "2026-01-01T00:00:03.000Z"),
        job("d", "STARTED", "2026-01-01T00:00:04.000Z"),
        job("e", "COMPLETED", "2026-01-01T00:00:05.000Z"),
    ])
}

fn get(path: &str, resource: &str, query: Value, path_params: Value) -> ApiGatewayProxyRequest {
    let multi: serde_json::Map<String, Value> = query
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), json!([v]))).collect())
        .unwrap_or_default();
    serde_json::from_value(json!({
        "resource": resource, "path": path, "httpMethod": "GET",
        "queryStringParameters": query, "multiValueQueryStringParameters": multi,
        "pathParameters": path_params,
        "requestContext": {"httpMethod": "GET", "stage": "Prod"}
    }))
    .unwrap()
}

fn status_req(query: Value) -> ApiGatewayProxyRequest {
    get("/status", "/status", query, Value::Null)
}

fn body(resp: &ApiGatewayProxyResponse) -> Value {
    match &resp.body {
        Some(Body::Text(t)) => serde_json::from_str(t).unwrap(),
        other => panic!("unexpected body {other:?}"),
    }
}

fn raw_body(resp: &ApiGatewayProxyResponse) -> String {
    match &resp.body {
        Some(Body::Text(t)) => t.clone(),
        _ => String::new(),
    }
}

fn ids(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["Id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn lists_recent_newest_first_with_summary_fields() {
    let h = Status::new(table());
    let resp = h.handle(status_req(Value::Null)).await;
    assert_eq!(resp.status_code, 200);
    let v = body(&resp);
    assert_eq!(ids(&v), ["e", "d", "c", "b", "a"]);
    assert_eq!(v["next"], Value::Null);
    let first = v["items"][0].as_object().unwrap();
    let mut keys: Vec<_> = first.keys().cloned().collect();
    keys.sort();
    assert_eq!(
        keys,
        ["Id", "LastUpdated", "ProcessStatus", "StartActionAt"]
    );
    assert!(!raw_body(&resp).contains(SECRET));
    // One query per shard of the all-jobs listing, each from its top.
    let q = h_queries(&h);
    assert_eq!(q.len(), usize::from(app_core::schema::LIST_SHARDS));
    assert!(q
        .iter()
        .all(|q| q.index == JobIndex::Recent && q.limit == 20 && q.after.is_none()));
}

#[tokio::test]
async fn recent_listing_pages_across_shards_exactly() {
    let t = MemoryJobs::new();
    for i in 0..57 {
        t.put(job(
            &format!("job-{i:03}"),
            "STARTED",
            &format!("2026-01-01T00:00:{:02}.000Z", i % 30),
        ));
    }
    let mut want: Vec<(String, String)> = t
        .jobs()
        .iter()
        .map(|j| (j.last_updated.clone().unwrap(), j.id.clone()))
        .collect();
    want.sort();
    want.reverse();
    let want: Vec<String> = want.into_iter().map(|(_, id)| id).collect();
    let h = Status::new(t);
    let mut got = Vec::new();
    let mut next: Option<String> = None;
    for _ in 0..20 {
        let mut q = json!({"limit": "10"});
        if let Some(n) = &next {
            q["next"] = json!(n);
        }
        let v = body(&h.handle(status_req(q)).await);
        got.extend(ids(&v));
        match v["next"].as_str() {
            Some(n) => next = Some(n.to_owned()),
            None => break,
        }
    }
    assert_eq!(got, want);
}

fn h_queries(h: &Status<MemoryJobs>) -> Vec<PartitionQuery> {
    h.store().queries()
}

#[tokio::test]
async fn filters_by_status_and_paginates_with_cursor() {
    let h = Status::new(table());
    let v = body(
        &h.handle(status_req(json!({"status": "COMPLETED", "limit": "2"})))
            .await,
    );
    assert_eq!(ids(&v), ["e", "c"]);
    let next = v["next"].as_str().unwrap().to_owned();
    let v2 = body(
        &h.handle(status_req(
            json!({"status": "COMPLETED", "limit": "2", "next": next}),
        ))
        .await,
    );
    assert_eq!(ids(&v2), ["a"]);
    assert_eq!(v2["next"], Value::Null);
    let q = h_queries(&h);
    assert_eq!(q[1].index, JobIndex::Status(app_core::JobStatus::Completed));
    assert_eq!(q[1].partition, "COMPLETED");
    assert!(q[1].after.is_some());
}

#[tokio::test]
async fn an_empty_next_is_the_first_page() {
    // `next=$NEXT` before NEXT is set: the README's shell line sends `next=`.
    let h = Status::new(table());
    let first = body(
        &h.handle(status_req(json!({"status": "COMPLETED", "limit": "2"})))
            .await,
    );
    let empty = h
        .handle(status_req(
            json!({"status": "COMPLETED", "limit": "2", "next": ""}),
        ))
        .await;
    assert_eq!(empty.status_code, 200);
    assert_eq!(ids(&body(&empty)), ids(&first));
}

#[tokio::test]
async fn status_is_case_insensitive_and_limit_bounds() {
    let h = Status::new(table());
    let v = body(
        &h.handle(status_req(json!({"status": "waiting_for_callback"})))
            .await,
    );
    assert_eq!(ids(&v), ["b"]);
    assert!(!v.to_string().contains(SECRET));
    assert_eq!(
        h.handle(status_req(json!({"limit": "1"})))
            .await
            .status_code,
        200
    );
    assert_eq!(
        h.handle(status_req(json!({"limit": "100"})))
            .await
            .status_code,
        200
    );
}

async fn expect(
    h: &Status<MemoryJobs>,
    req: ApiGatewayProxyRequest,
    code: i64,
    error: &str,
    mentions: &str,
) {
    let resp = h.handle(req).await;
    let v = body(&resp);
    assert_eq!(resp.status_code, code, "{v}");
    assert_eq!(v["error"], error, "{v}");
    assert!(v["message"].as_str().unwrap().contains(mentions), "{v}");
}

#[tokio::test]
async fn bad_queries_are_400() {
    let h = Status::new(table());
    for limit in ["0", "101", "-1", "ten", "2.5", ""] {
        expect(
            &h,
            status_req(json!({"limit": limit})),
            400,
            "InvalidField",
            "limit",
        )
        .await;
    }
    expect(
        &h,
        status_req(json!({"status": "DONE"})),
        400,
        "InvalidField",
        "WAITING_FOR_CALLBACK",
    )
    .await;
    expect(
        &h,
        status_req(json!({"next": "%%%"})),
        400,
        "InvalidCursor",
        "next",
    )
    .await;
    expect(
        &h,
        status_req(json!({"next": "eyJhIjoxfQ"})),
        400,
        "InvalidCursor",
        "next",
    )
    .await;
    expect(
        &h,
        status_req(json!({"sort": "asc"})),
        400,
        "UnknownField",
        "sort",
    )
    .await;
    // a cursor of the recent listing used with a status filter
    let mut recent = Cursor::start(JobIndex::Recent);
    recent.set(
        "0",
        PartitionState::After(Position {
            id: "a".into(),
            last_updated: "2026-01-01T00:00:01.000Z".into(),
        }),
    );
    let recent = recent.encode();
    expect(
        &h,
        status_req(json!({"status": "COMPLETED", "next": recent})),
        400,
        "InvalidCursor",
        "next",
    )
    .await;
    assert!(h_queries(&h).is_empty(), "nothing queried for bad input");
}

#[tokio::test]
async fn get_job_by_id() {
    let h = Status::new(table());
    let resp = h
        .handle(get(
            "/jobs/b",
            "/jobs/{id}",
            Value::Null,
            json!({"id": "b"}),
        ))
        .await;
    assert_eq!(resp.status_code, 200);
    let v = body(&resp);
    assert_eq!(v["Id"], "b");
    assert_eq!(v["ProcessStatus"], "WAITING_FOR_CALLBACK");
    assert!(v["ExecutionArn"].as_str().unwrap().ends_with(":b"));
    assert!(!raw_body(&resp).contains(SECRET));
    assert!(v.get("TaskToken").is_none());

    expect(
        &h,
        get("/jobs/zz", "/jobs/{id}", Value::Null, json!({"id": "zz"})),
        404,
        "NotFound",
        "zz",
    )
    .await;
    expect(
        &h,
        get(
            "/jobs/a%7Cb",
            "/jobs/{id}",
            Value::Null,
            json!({"id": "a|b"}),
        ),
        400,
        "InvalidField",
        "id",
    )
    .await;
}

#[tokio::test]
async fn unknown_routes_and_upstream_errors() {
    let h = Status::new(table());
    let mut post = status_req(Value::Null);
    post.http_method = aws_lambda_events::http::Method::POST;
    expect(&h, post, 404, "NotFound", "POST /status").await;
    expect(
        &h,
        get("/other", "/other", Value::Null, Value::Null),
        404,
        "NotFound",
        "/other",
    )
    .await;

    let failing = table();
    failing.fail_next(usize::MAX, "throttled");
    let failing = Status::new(failing);
    expect(
        &failing,
        status_req(Value::Null),
        502,
        "Upstream",
        "throttled",
    )
    .await;
    expect(
        &failing,
        get("/jobs/a", "/jobs/{id}", Value::Null, json!({"id": "a"})),
        502,
        "Upstream",
        "GetItem",
    )
    .await;
}

#[tokio::test]
async fn json_handler_needs_its_configuration() {
    let sdk = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build();
    let full = |k: &str| match k {
        "CALLBACK_MODE" => Some("external".to_string()),
        "MAX_AHEAD_DAYS" => Some("365".to_string()),
        _ => Some(format!(
            "arn:aws:states:us-east-1:123456789012:stateMachine:{k}"
        )),
    };
    assert!(status::json_handler(&sdk, &full).await.is_ok());
    let missing = move |k: &str| (k != "JOBS_TABLE").then(|| full(k)).flatten();
    match status::json_handler(&sdk, &missing).await {
        Err(e) => assert_eq!(e, app_core::ConfigError::Missing("JOBS_TABLE"), "{e}"),
        Ok(_) => panic!("JOBS_TABLE is required"),
    }
}

/// The sample events in `events/` go through the real `JsonHandler` path.
#[tokio::test]
async fn sample_events_are_understood() {
    use app_core::{Api, JsonHandler};
    let t = table();
    t.put(job(
        "order-1234-ship",
        "COMPLETED",
        "2026-11-20T18:02:11.412Z",
    ));
    let h = Api(Status::new(t));
    let mut seen = 0;
    for (name, event) in app_core::test_support::sample_events("status") {
        seen += 1;
        let out = h.invoke_json(event, Default::default()).await.unwrap();
        assert_eq!(out["statusCode"], 200, "{name}: {out}");
    }
    assert!(seen >= 2, "found only {seen} status events");
}
