//! State survives restarts: a dropped handle, a torn last log line and a SIGKILLed process
//! lose nothing that was acknowledged.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use aws_json::client::Client;
use local_dynamodb::Dynamo;
use serde_json::{json, Value};

fn log_path(dir: &Path) -> std::path::PathBuf {
    dir.join("dynamodb.log.jsonl")
}

/// CreateTable of a `Jobs` table whose `RecentIndex` lists jobs newest first (shared with
/// the query bench).
const JOBS_TABLE: &str = include_str!("jobs_table.json");

async fn setup(d: &Dynamo) {
    let table: Value = serde_json::from_str(JOBS_TABLE).unwrap();
    d.handle("CreateTable", table).await.unwrap();
}

async fn put(d: &Dynamo, id: &str, ts: &str) {
    d.handle(
        "PutItem",
        json!({"TableName": "Jobs", "Item": {"Id": {"S": id}, "Kind": {"S": "JOB"}, "LastUpdated": {"S": ts}}}),
    )
    .await
    .unwrap();
}

async fn ids_newest_first(d: &Dynamo) -> Vec<String> {
    let out = d
        .handle(
            "Query",
            json!({"TableName": "Jobs", "IndexName": "RecentIndex", "KeyConditionExpression": "Kind = :k",
                "ExpressionAttributeValues": {":k": {"S": "JOB"}}, "ScanIndexForward": false}),
        )
        .await
        .unwrap();
    out["Items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["Id"]["S"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn items_survive_a_dropped_handle_and_the_log_is_compacted() {
    let dir = tempfile::tempdir().unwrap();
    {
        let d = Dynamo::open(Some(dir.path().to_path_buf())).unwrap();
        setup(&d).await;
        put(&d, "a", "2024-01-01").await;
        put(&d, "b", "2024-01-02").await;
        put(&d, "c", "2024-01-03").await;
        d.handle(
            "UpdateItem",
            json!({"TableName": "Jobs", "Key": {"Id": {"S": "a"}}, "UpdateExpression": "SET LastUpdated = :t, N = :n",
                "ExpressionAttributeValues": {":t": {"S": "2024-01-09"}, ":n": {"N": "1.50"}}}),
        )
        .await
        .unwrap();
        d.handle(
            "DeleteItem",
            json!({"TableName": "Jobs", "Key": {"Id": {"S": "b"}}}),
        )
        .await
        .unwrap();
        // dropped without any shutdown
    }
    let d = Dynamo::open(Some(dir.path().to_path_buf())).unwrap();
    assert_eq!(ids_newest_first(&d).await, vec!["a", "c"]);
    let a = d
        .handle(
            "GetItem",
            json!({"TableName": "Jobs", "Key": {"Id": {"S": "a"}}}),
        )
        .await
        .unwrap();
    assert_eq!(a["Item"]["N"], json!({"N": "1.5"}));
    let desc = d
        .handle("DescribeTable", json!({"TableName": "Jobs"}))
        .await
        .unwrap();
    assert_eq!(desc["Table"]["ItemCount"], json!(2));
    // 6 mutations were logged; the snapshot holds the table and its 2 items.
    let lines = std::fs::read_to_string(log_path(dir.path())).unwrap();
    assert_eq!(lines.lines().count(), 3, "{lines}");
}

#[tokio::test]
async fn a_torn_last_line_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    {
        let d = Dynamo::open(Some(dir.path().to_path_buf())).unwrap();
        setup(&d).await;
        put(&d, "a", "2024-01-01").await;
    }
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(log_path(dir.path()))
        .unwrap();
    f.write_all(br#"{"op":"put","table":"Jobs","item":{"Id":{"S":"tor"#)
        .unwrap();
    drop(f);
    {
        let d = Dynamo::open(Some(dir.path().to_path_buf())).unwrap();
        assert_eq!(ids_newest_first(&d).await, vec!["a"]);
        put(&d, "b", "2024-01-02").await;
    }
    let d = Dynamo::open(Some(dir.path().to_path_buf())).unwrap();
    assert_eq!(ids_newest_first(&d).await, vec!["b", "a"]);
}

#[tokio::test]
async fn deleted_tables_stay_deleted_and_in_memory_keeps_nothing() {
    let dir = tempfile::tempdir().unwrap();
    {
        let d = Dynamo::open(Some(dir.path().to_path_buf())).unwrap();
        setup(&d).await;
        put(&d, "a", "2024-01-01").await;
        d.handle("DeleteTable", json!({"TableName": "Jobs"}))
            .await
            .unwrap();
        setup(&d).await;
    }
    let d = Dynamo::open(Some(dir.path().to_path_buf())).unwrap();
    assert!(ids_newest_first(&d).await.is_empty());
    let mem = Dynamo::open(None).unwrap();
    let err = mem
        .handle("DescribeTable", json!({"TableName": "Jobs"}))
        .await
        .unwrap_err();
    assert!(err.type_name().ends_with("#ResourceNotFoundException"));
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn call(port: u16, op: &str, body: Value) -> Result<Value, String> {
    Client::new(
        format!("http://127.0.0.1:{port}/"),
        local_dynamodb::TARGET_PREFIX,
    )
    .call(op, &body)
    .await
}

async fn wait_ready(port: u16) {
    for _ in 0..200 {
        if call(port, "ListTables", json!({})).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("local-dynamodb did not start on port {port}");
}

#[tokio::test]
async fn nothing_acknowledged_is_lost_on_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let spawn = |port: u16| {
        std::process::Command::new(env!("CARGO_BIN_EXE_local-dynamodb"))
            .args(["--port", &port.to_string(), "--state-dir"])
            .arg(dir.path())
            .env("RUST_LOG", "warn")
            .spawn()
            .unwrap()
    };
    let port = free_port();
    let mut child = spawn(port);
    wait_ready(port).await;
    call(
        port,
        "CreateTable",
        json!({"TableName": "Jobs", "KeySchema": [{"AttributeName": "Id", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "Id", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST"}),
    )
    .await
    .unwrap();
    for i in 0..50 {
        call(
            port,
            "PutItem",
            json!({"TableName": "Jobs", "Item": {"Id": {"S": format!("job-{i}")}}}),
        )
        .await
        .unwrap();
    }
    child.kill().unwrap(); // SIGKILL
    let _ = child.wait();

    let port = free_port();
    let mut child = spawn(port);
    wait_ready(port).await;
    let out = call(
        port,
        "Scan",
        json!({"TableName": "Jobs", "Select": "COUNT"}),
    )
    .await
    .unwrap();
    child.kill().unwrap();
    let _ = child.wait();
    assert_eq!(out["Count"], json!(50), "{out}");
}

#[tokio::test]
async fn ttl_settings_and_template_updates_survive_restarts_and_compaction() {
    let dir = tempfile::tempdir().unwrap();
    {
        let d = Dynamo::open(Some(dir.path().to_path_buf())).unwrap();
        setup(&d).await;
        put(&d, "a", "2026-01-01T00:00:01Z").await;
        d.handle(
            "UpdateTimeToLive",
            json!({"TableName": "Jobs", "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "ExpiresAt"}}),
        )
        .await
        .unwrap();
        // A template that adds an index on an attribute the item already has.
        d.apply_table_template(&json!({"TableName": "Jobs", "KeySchema": [{"AttributeName": "Id", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "Id", "AttributeType": "S"}, {"AttributeName": "Kind", "AttributeType": "S"},
                {"AttributeName": "LastUpdated", "AttributeType": "S"}],
            "GlobalSecondaryIndexes": [
                {"IndexName": "RecentIndex", "KeySchema": [{"AttributeName": "Kind", "KeyType": "HASH"},
                    {"AttributeName": "LastUpdated", "KeyType": "RANGE"}], "Projection": {"ProjectionType": "ALL"}},
                {"IndexName": "ByTime", "KeySchema": [{"AttributeName": "LastUpdated", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"}}],
            "TimeToLiveSpecification": {"AttributeName": "ExpiresAt", "Enabled": true}}))
            .unwrap();
    }
    // Twice: once replaying the log as written, once from its compacted snapshot.
    for _ in 0..2 {
        let d = Dynamo::open(Some(dir.path().to_path_buf())).unwrap();
        let ttl = d
            .handle("DescribeTimeToLive", json!({"TableName": "Jobs"}))
            .await
            .unwrap();
        assert_eq!(ttl["TimeToLiveDescription"]["AttributeName"], "ExpiresAt");
        let q = d
            .handle(
                "Query",
                json!({"TableName": "Jobs", "IndexName": "ByTime", "KeyConditionExpression": "LastUpdated = :t",
                    "ExpressionAttributeValues": {":t": {"S": "2026-01-01T00:00:01Z"}}}),
            )
            .await
            .unwrap();
        assert_eq!(q["Count"], 1, "{q}");
        assert_eq!(ids_newest_first(&d).await, ["a"]);
    }
}

#[cfg(unix)]
#[tokio::test]
async fn state_files_are_the_owners_alone() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("state");
    let d = Dynamo::open(Some(dir.clone())).unwrap();
    setup(&d).await;
    put(&d, "a", "2026-01-01").await;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&log_path(&dir)), 0o600);
}
