//! Prints the latency of the `GET /status` query (newest 20 jobs through a GSI) at 1,000 and
//! 100,000 items; with ordered indexes the two figures should be about the same.
//! Run: `cargo run --release -p local-dynamodb --example query_bench`.

use std::time::Instant;

use local_dynamodb::Dynamo;
use serde_json::json;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    for n in [1_000usize, 100_000] {
        let d = Dynamo::open(None)?;
        d.handle(
            "CreateTable",
            json!({"TableName": "Jobs", "KeySchema": [{"AttributeName": "Id", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "Id", "AttributeType": "S"}, {"AttributeName": "Kind", "AttributeType": "S"},
                    {"AttributeName": "LastUpdated", "AttributeType": "S"}],
                "BillingMode": "PAY_PER_REQUEST",
                "GlobalSecondaryIndexes": [{"IndexName": "RecentIndex", "KeySchema": [{"AttributeName": "Kind", "KeyType": "HASH"},
                    {"AttributeName": "LastUpdated", "KeyType": "RANGE"}], "Projection": {"ProjectionType": "ALL"}}]}),
        )
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
