//! Prints the latency of the `GET /status` query (newest 20 jobs through a GSI) at 1,000 and
//! 100,000 items; with ordered indexes the two figures should be about the same.
//! Run: `cargo run --release -p local-dynamodb --example query_bench`.

use std::time::Instant;

use local_dynamodb::Dynamo;
use serde_json::json;

/// The `Jobs` table with its `RecentIndex` (the persistence tests use it too).
const JOBS_TABLE: &str = include_str!("../tests/local_dynamodb/jobs_table.json");

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    for n in [1_000usize, 100_000] {
        let d = Dynamo::open(None)?;
        d.handle("CreateTable", serde_json::from_str(JOBS_TABLE)?)
            .await?;
        for i in 0..n {
            d.handle(
                "PutItem",
                json!({"TableName": "Jobs", "Item": {"Id": {"S": format!("job-{i:06}")}, "Kind": {"S": "JOB"},
                    "LastUpdated": {"S": format!("2024-01-01T00:00:00.{i:06}Z")}, "ProcessStatus": {"S": "SCHEDULED"}}}),
            )
            .await?;
        }
        let rounds = 200;
        let start = Instant::now();
        for _ in 0..rounds {
            d.handle(
                "Query",
                json!({"TableName": "Jobs", "IndexName": "RecentIndex", "KeyConditionExpression": "Kind = :k",
                    "ExpressionAttributeValues": {":k": {"S": "JOB"}}, "ScanIndexForward": false, "Limit": 20}),
            )
            .await?;
        }
        println!("{n:>7} items: {:?} per query", start.elapsed() / rounds);
    }
    Ok(())
}
