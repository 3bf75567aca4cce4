//! `GET /status` page latency as the table grows: a Query on a GSI reads one page whatever
//! the table size, a Scan would not.

use std::time::Instant;

use chrono::{Duration as ChronoDuration, SecondsFormat, TimeZone, Utc};
use futures::stream::{self, StreamExt};
use local::RunningRuntime;
use serde_json::{json, Value};

use crate::local_rt::LocalError;
use crate::stats::{ms, Spread};

const STATUSES: [&str; 4] = ["COMPLETED", "STARTED", "WAITING_FOR_CALLBACK", "FAILED"];

fn item(i: usize) -> Value {
    let base = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_else(Utc::now);
    let t = (base + ChronoDuration::milliseconds(i as i64 * 37))
        .to_rfc3339_opts(SecondsFormat::Millis, true);
    let id = format!("bench-job-{i:07}");
    json!({
        "Id": {"S": id},
        "ListShard": {"S": app_core::schema::list_shard_of(&id)},
        "Pattern": {"S": "waitable"},
        "ProcessStatus": {"S": STATUSES[i % STATUSES.len()]},
        "StartActionAt": {"S": t},
        "LastUpdated": {"S": t},
        "ExecutionArn": {"S": format!("arn:aws:states:us-east-1:123456789012:execution:Waitable:{id}")},
    })
}

/// The template's (one) table: the jobs.
fn jobs_table(rt: &RunningRuntime) -> Result<String, LocalError> {
    rt.app
        .tables
        .first()
        .map(|t| t.name.clone())
        .ok_or_else(|| LocalError::Other("the template has no table".into()))
}

/// Writes items `from..to` with BatchWriteItem through the service (in-process, no HTTP).
pub async fn load(rt: &RunningRuntime, from: usize, to: usize) -> Result<(), LocalError> {
    let table = jobs_table(rt)?;
    let chunks: Vec<Vec<usize>> = (from..to)
        .collect::<Vec<_>>()
        .chunks(25)
        .map(<[usize]>::to_vec)
        .collect();
    let results: Vec<Result<Value, String>> = stream::iter(chunks)
        .map(|chunk| {
            let dynamo = rt.dynamo.clone();
            let table = table.clone();
            async move {
                let requests: Vec<Value> = chunk
                    .iter()
                    .map(|&i| json!({"PutRequest": {"Item": item(i)}}))
                    .collect();
                dynamo
                    .handle("BatchWriteItem", json!({"RequestItems": {table: requests}}))
                    .await
                    .map_err(|e| e.to_string())
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    if let Some(Err(e)) = results.into_iter().find(|r| r.is_err()) {
        return Err(LocalError::Other(format!("BatchWriteItem: {e}")));
    }
    Ok(())
}

/// Median/p95 ms of `calls` sequential `GET {path}` (first page), after a few warm-up calls.
pub async fn page_latency(
    rt: &RunningRuntime,
    path: &str,
    calls: usize,
) -> Result<(Spread, usize), LocalError> {
    let client = reqwest::Client::new();
    let url = format!("{}{path}", rt.api_url());
    let mut items = 0;
    let mut samples = Vec::with_capacity(calls);
    for i in 0..calls + 10 {
        let t0 = Instant::now();
        let resp = client
            .get(&url)
            .header("x-api-key", &rt.api_key)
            .send()
            .await?;
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        let elapsed = t0.elapsed();
        if !status.is_success() {
            return Err(LocalError::Other(format!(
                "GET {path} answered {status}: {body}"
            )));
        }
        items = body
            .get("items")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        if i >= 10 {
            samples.push(ms(elapsed));
        }
    }
    Spread::of(&samples)
        .map(|s| (s, items))
        .ok_or_else(|| LocalError::Other("no samples".into()))
}

/// Job writes as the application makes them (an UpdateItem that sets the status and time and
/// puts a new job in its `ListShard`), `n` of them, 64 at a time, through the service.
/// Returns writes per second and how many jobs each shard of `RecentIndex` then holds.
pub async fn shard_writes(rt: &RunningRuntime, n: usize) -> Result<(f64, Vec<u64>), LocalError> {
    let table = jobs_table(rt)?;
    let t0 = Instant::now();
    let results: Vec<Result<Value, String>> = stream::iter(0..n)
        .map(|i| {
            let dynamo = rt.dynamo.clone();
            let table = table.clone();
            async move {
                let id = format!("shard-write-{i:07}");
                let at = format!("2027-01-01T00:00:{:02}.{:03}Z", (i / 1000) % 60, i % 1000);
                dynamo
                    .handle(
                        "UpdateItem",
                        json!({"TableName": table, "Key": {"Id": {"S": id}},
                            "UpdateExpression": "SET #ps = :ps, #lu = :lu, #sh = if_not_exists(#sh, :sh)",
                            "ExpressionAttributeNames": {"#ps": "ProcessStatus", "#lu": "LastUpdated", "#sh": "ListShard"},
                            "ExpressionAttributeValues": {":ps": {"S": "STARTED"}, ":lu": {"S": at},
                                ":sh": {"S": app_core::schema::list_shard_of(&id)}}}),
                    )
                    .await
                    .map_err(|e| e.to_string())
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let elapsed = t0.elapsed().as_secs_f64();
    if let Some(Err(e)) = results.into_iter().find(|r| r.is_err()) {
        return Err(LocalError::Other(format!("UpdateItem: {e}")));
    }
    let mut counts = Vec::new();
    for shard in app_core::schema::JobIndex::Recent.partitions() {
        let out = rt
            .dynamo
            .handle(
                "Query",
                json!({"TableName": table, "IndexName": "RecentIndex", "Select": "COUNT",
                    "KeyConditionExpression": "ListShard = :s", "ExpressionAttributeValues": {":s": {"S": shard}}}),
            )
            .await
            .map_err(|e| LocalError::Other(format!("Query: {e}")))?;
        counts.push(out["Count"].as_u64().unwrap_or(0));
    }
    Ok((n as f64 / elapsed.max(1e-9), counts))
}
