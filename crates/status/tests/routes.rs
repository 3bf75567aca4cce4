//! `GET /status` and `GET /jobs/{id}` over an in-memory table with GSI semantics.

use app_core::cursor::{JobIndex, PageKey};
use app_core::domain::{Job, JobId, TaskToken};
use app_core::ports::{JobLister, JobPage, JobReader, ListQuery, Upstream};
use app_core::ApiHandler;
use async_trait::async_trait;
use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayProxyResponse};
use aws_lambda_events::encodings::Body;
use serde_json::{json, Value};
use status::Status;
use std::collections::BTreeMap;
use std::sync::Mutex;

#[derive(Default)]
struct FakeTable {
    jobs: Vec<Job>,
    queries: Mutex<Vec<ListQuery>>,
    fail: bool,
}

fn key_of(job: &Job, index: JobIndex) -> PageKey {
    let (pk, value) = index.partition();
    let mut m = BTreeMap::new();
    m.insert("Id".to_string(), job.id.clone());
    m.insert(
        "LastUpdated".to_string(),
        job.last_updated.clone().unwrap_or_default(),
    );
    m.insert(pk.to_string(), value.to_string());
    PageKey::new(m)
}

#[async_trait]
impl JobLister for FakeTable {
    async fn list_jobs(&self, q: &ListQuery) -> Result<JobPage, Upstream> {
        self.queries.lock().unwrap().push(q.clone());
        if self.fail {
            return Err(Upstream("DynamoDB Query failed: throttled".into()));
        }
        let mut rows: Vec<&Job> = self
            .jobs
            .iter()
            .filter(|j| match q.index {
                JobIndex::Recent => true,
                JobIndex::Status(s) => j.process_status.as_deref() == Some(s.as_str()),
            })
            .collect();
        // ScanIndexForward=false on range key LastUpdated (ties by Id, like the table key)
        rows.sort_by(|a, b| (&b.last_updated, &b.id).cmp(&(&a.last_updated, &a.id)));
        if let Some(start) = &q.start {
            let pos = rows
                .iter()
                .position(|j| key_of(j, q.index) == *start)
                .map_or(0, |p| p + 1);
            rows.drain(..pos);
        }
        let limit = q.limit as usize;
        let next = (rows.len() > limit).then(|| key_of(rows[limit - 1], q.index));
        Ok(JobPage {
            items: rows.into_iter().take(limit).cloned().collect(),
            next,
        })
    }
}

#[async_trait]
impl JobReader for FakeTable {
    async fn get_job(&self, id: &JobId) -> Result<Option<Job>, Upstream> {
        if self.fail {
            return Err(Upstream("DynamoDB GetItem failed".into()));
        }
        Ok(self.jobs.iter().find(|j| j.id == id.as_str()).cloned())
    }
}

const SECRET: &str = "SECRET-TOKEN-abcdefghijklmnopqrstuvwxyz";

fn job(id: &str, status: &str, updated: &str) -> Job {
    Job {
        id: id.into(),
        pattern: Some("callback".into()),
        process_status: Some(status.into()),
        start_action_at: Some("2026-01-01T00:00:00Z".into()),
        last_updated: Some(updated.into()),
        execution_arn: Some(format!(
            "arn:aws:states:us-east-1:123456789012:execution:Callback:{id}"
        )),
        task_token: (status == "WAITING_FOR_CALLBACK").then(|| TaskToken::new(SECRET).unwrap()),
        ..Job::default()
    }
}

fn table() -> FakeTable {
    FakeTable {
        jobs: vec![
            job("a", "COMPLETED", "2026-01-01T00:00:01.000Z"),
            job("b", "WAITING_FOR_CALLBACK", "2026-01-01T00:00:02.000Z"),
            job("c", "COMPLETED", "2026-01-01T00:00:03.000Z"),
            job("d", "STARTED", "2026-01-01T00:00:04.000Z"),
            job("e", "COMPLETED", "2026-01-01T00:00:05.000Z"),
        ],
        ..Default::default()
    }
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
    let q = h_queries(&h);
    assert_eq!(q[0].index, JobIndex::Recent);
    assert_eq!(q[0].limit, 20);
    assert_eq!(q[0].start, None);
}

fn h_queries(h: &Status<FakeTable>) -> Vec<ListQuery> {
    h.store().queries.lock().unwrap().clone()
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
    assert!(q[1].start.is_some());
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
    h: &Status<FakeTable>,
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
    let recent = key_of(&table().jobs[0], JobIndex::Recent).encode();
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

    let failing = Status::new(FakeTable {
        fail: true,
        ..table()
    });
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
    let mut t = table();
    t.jobs.push(job(
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
