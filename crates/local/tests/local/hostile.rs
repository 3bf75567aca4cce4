//! What an attacker or a careless script sends to the real binary: definitions built to
//! crash or stall the parsers, machines that loop for ever, huge and half-sent requests,
//! forged cursors, and kill -9 at random moments while callbacks are answered. After each,
//! the binary still answers, refuses with the endpoint's error shape, and loses nothing.

use std::time::Duration;

use crate::common::{eventually, spawn, Child, KEY};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ROLE: &str = "arn:aws:iam::123456789012:role/r";

async fn aws(c: &Child, target: &str, body: Value) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(&c.aws)
        .header("x-amz-target", target)
        .header("content-type", "application/x-amz-json-1.0")
        .body(body.to_string())
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{target} got no answer: {e}"));
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn alive(c: &Child) {
    let (s, v) = aws(c, "AWSStepFunctions.ListStateMachines", json!({})).await;
    assert_eq!(s, 200, "the binary still answers: {v}");
}

async fn create(c: &Child, name: &str, def: &Value) -> (u16, Value) {
    aws(
        c,
        "AWSStepFunctions.CreateStateMachine",
        json!({"name": name, "definition": def.to_string(), "roleArn": ROLE}),
    )
    .await
}

fn pass_with(field: &str, value: Value) -> Value {
    json!({"StartAt": "P", "States": {"P": {"Type": "Pass", field: value, "End": true}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn definitions_built_to_crash_or_stall_the_parsers_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let c = spawn(&dir.path().join("s"), &["--quiet"]).await;
    let n = 20_000;
    let deep_intrinsic = format!("{}1{}", "States.Array(".repeat(n), ")".repeat(n));
    let deep_filters = format!("$.a{}{}", "[?(@.b".repeat(12), " == 1)]".repeat(12));
    let nested_brackets = format!("${}", "[0]".repeat(50_000));
    let long_result_path = format!("${}", ".a".repeat(200_000));
    let deep_jsonata = format!("{{% {}1{} %}}", "(".repeat(n), ")".repeat(n));
    let chained_jsonata = format!("{{% {} %}}", vec!["1"; 50_000].join(" + "));
    let cases = [
        pass_with("Parameters", json!({ "a.$": deep_intrinsic })),
        pass_with("InputPath", json!(deep_filters)),
        pass_with("OutputPath", json!(nested_brackets)),
        pass_with("ResultPath", json!(long_result_path)),
        json!({"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {"Type": "Pass", "Output": deep_jsonata, "End": true}}}),
        json!({"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {"Type": "Pass", "Output": chained_jsonata, "End": true}}}),
    ];
    for (i, def) in cases.iter().enumerate() {
        let (s, v) = aws(
            &c,
            "AWSStepFunctions.ValidateStateMachineDefinition",
            json!({"definition": def.to_string()}),
        )
        .await;
        assert!(s == 200 || s == 400, "case {i}: {s} {v}");
        let (s, v) = create(&c, &format!("hostile-{i}"), def).await;
        if s != 200 {
            assert_eq!(s, 400, "case {i}: {v}");
            assert!(v["__type"].is_string(), "case {i}: AWS error shape: {v}");
        }
        alive(&c).await;
    }
    // The JSON itself nested beyond what a definition can be: refused, not a crash.
    let deep_json = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let (s, v) = aws(
        &c,
        "AWSStepFunctions.CreateStateMachine",
        json!({"name": "deep-json", "definition": deep_json, "roleArn": ROLE}),
    )
    .await;
    assert_eq!(s, 400, "{v}");
    alive(&c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_machine_that_loops_for_ever_is_stopped_promptly_and_starves_nobody() {
    let dir = tempfile::tempdir().unwrap();
    let c = spawn(&dir.path().join("s"), &["--quiet"]).await;
    let def = json!({"StartAt": "Count", "States": {
        "Count": {"Type": "Pass", "Next": "Again"},
        "Again": {"Type": "Choice", "Choices": [{"Variable": "$.stop", "IsPresent": true, "Next": "Done"}], "Default": "Count"},
        "Done": {"Type": "Succeed"}}});
    let (s, v) = create(&c, "spin", &def).await;
    assert_eq!(s, 200, "{v}");
    let machine = v["stateMachineArn"].as_str().unwrap().to_string();
    let mut runs = Vec::new();
    for i in 0..4 {
        let (s, v) = aws(
            &c,
            "AWSStepFunctions.StartExecution",
            json!({"stateMachineArn": machine, "name": format!("spin-{i}")}),
        )
        .await;
        assert_eq!(s, 200, "{v}");
        runs.push(v["executionArn"].as_str().unwrap().to_string());
    }
    // Other requests are answered while the loops spin.
    alive(&c).await;
    let (s, v) = aws(
        &c,
        "AWSStepFunctions.StopExecution",
        json!({"executionArn": runs[0], "cause": "spinning"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let status = |arn: String| {
        let c = &c;
        async move {
            let (_, d) = aws(
                c,
                "AWSStepFunctions.DescribeExecution",
                json!({"executionArn": arn}),
            )
            .await;
            d
        }
    };
    assert_eq!(status(runs[0].clone()).await["status"], "ABORTED");
    // The others end at the history limit, as on AWS, instead of growing for ever.
    for arn in &runs[1..] {
        let d = eventually("a looping execution to reach the history limit", || async {
            let d = status(arn.clone()).await;
            (d["status"] != "RUNNING").then_some(d)
        })
        .await;
        assert_eq!(d["status"], "FAILED", "{d}");
        assert_eq!(d["error"], "States.Runtime", "{d}");
    }
    alive(&c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_half_sent_and_forged_requests_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let c = spawn(
        &dir.path().join("s"),
        &[
            "--quiet",
            "--header-timeout-ms",
            "500",
            "--body-timeout-ms",
            "500",
        ],
    )
    .await;
    // Too large: refused with the AWS error shape.
    let big = "x".repeat(9 * 1024 * 1024);
    let r = reqwest::Client::new()
        .post(&c.aws)
        .header("x-amz-target", "AWSStepFunctions.ListStateMachines")
        .header("content-type", "application/x-amz-json-1.0")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
    let v: Value = r.json().await.unwrap();
    assert!(v["__type"].is_string(), "{v}");
    // Half-sent headers, then half-sent body: the connection is cut, nothing hangs.
    let port = c.aws.rsplit(':').next().unwrap().to_string();
    for partial in [
        "POST / HTTP/1.1\r\nHost: x\r\n".to_string(),
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"a\"".to_string(),
    ] {
        let mut s = tokio::net::TcpStream::connect(format!("127.0.0.1:{port}"))
            .await
            .unwrap();
        s.write_all(partial.as_bytes()).await.unwrap();
        let mut buf = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut buf)).await;
        assert!(read.is_ok(), "a half-sent request is cut off");
    }
    alive(&c).await;
    // Forged cursors on the API: 400, whatever they decode to.
    let http = reqwest::Client::new();
    for next in [
        "garbage",
        "eyJ0IjoxfQ",
        "eyJvZmZzZXQiOjk5OTk5OTk5OTk5fQ==",
        "%00%01",
    ] {
        for path in [
            format!("/executions?next={next}"),
            format!("/executions/nope/history?next={next}"),
        ] {
            let r = http
                .get(format!("{}{path}", c.api))
                .header("x-api-key", KEY)
                .send()
                .await
                .unwrap();
            let s = r.status().as_u16();
            assert!(s == 400 || s == 404, "{path}: {s}");
        }
    }
    alive(&c).await;
}

/// The job's stored token (as a user with table access reads it).
async fn stored_token(c: &Child, job: &str) -> Option<String> {
    let (_, item) = aws(
        c,
        "DynamoDB_20120810.GetItem",
        json!({"TableName": "JobsTable", "Key": {"Id": {"S": job}}}),
    )
    .await;
    item["Item"]["TaskToken"]["S"].as_str().map(str::to_string)
}

async fn history(c: &Child, arn: &str) -> Vec<Value> {
    let (_, h) = aws(
        c,
        "AWSStepFunctions.GetExecutionHistory",
        json!({"executionArn": arn, "maxResults": 1000}),
    )
    .await;
    h["events"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_random_moments_while_callbacks_are_answered_never_reruns_a_recorded_task() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s");
    let http = reqwest::Client::new();
    let mut c = spawn(&state, &["--quiet"]).await;
    let mut jobs: Vec<(String, String)> = Vec::new();
    for _ in 0..6 {
        let r = http
            .post(format!("{}/callbacks", c.api))
            .header("x-api-key", KEY)
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 202);
        let v: Value = r.json().await.unwrap();
        jobs.push((
            v["jobId"].as_str().unwrap().to_string(),
            v["executionArn"].as_str().unwrap().to_string(),
        ));
    }
    let mut tokens = Vec::new();
    for (job, _) in &jobs {
        let t = eventually("the callback's token to be stored", || async {
            stored_token(&c, job).await
        })
        .await;
        tokens.push(t);
    }
    // Answer the tokens two at a time, killing the binary at a random moment each round.
    let mut acknowledged: Vec<usize> = Vec::new();
    for round in 0..3 {
        let batch: Vec<usize> = vec![2 * round, 2 * round + 1];
        let delay = Duration::from_millis(rand_ms(round));
        let mut sends = Vec::new();
        for &i in &batch {
            let aws_url = c.aws.clone();
            let token = tokens[i].clone();
            sends.push(tokio::spawn(async move {
                let r = reqwest::Client::new()
                    .post(aws_url)
                    .header("x-amz-target", "AWSStepFunctions.SendTaskSuccess")
                    .header("content-type", "application/x-amz-json-1.0")
                    .body(json!({"taskToken": token, "output": "{\"ok\":true}"}).to_string())
                    .send()
                    .await;
                (i, r.map(|r| r.status().as_u16()).unwrap_or(0))
            }));
        }
        tokio::time::sleep(delay).await;
        c.child.start_kill().unwrap();
        let _ = c.child.wait().await;
        for s in sends {
            let (i, status) = s.await.unwrap();
            if status == 200 {
                acknowledged.push(i);
            }
        }
        c = spawn(&state, &["--quiet"]).await;
        // What was not acknowledged is sent again, with the same token.
        for &i in &batch {
            if !acknowledged.contains(&i) {
                let (s, v) = aws(
                    &c,
                    "AWSStepFunctions.SendTaskSuccess",
                    json!({"taskToken": tokens[i], "output": "{\"ok\":true}"}),
                )
                .await;
                // Either it is accepted now, or the answer had been recorded after all (the
                // task is over: its token waits no more).
                assert!(
                    s == 200 || v["__type"] == "TaskTimedOut" || v["__type"] == "TaskDoesNotExist",
                    "token {i} after restart: {s} {v}"
                );
            }
        }
    }
    for (job, arn) in &jobs {
        let d = eventually("the execution to succeed", || async {
            let (_, d) = aws(
                &c,
                "AWSStepFunctions.DescribeExecution",
                json!({"executionArn": arn}),
            )
            .await;
            (d["status"] != "RUNNING").then_some(d)
        })
        .await;
        assert_eq!(d["status"], "SUCCEEDED", "{job}: {d}");
        // The callback task was scheduled once: never run again after a restart.
        let scheduled = history(&c, arn)
            .await
            .iter()
            .filter(|e| {
                e["type"] == "TaskScheduled"
                    && e["taskScheduledEventDetails"]["resource"]
                        .as_str()
                        .is_some_and(|r| r.contains("waitForTaskToken"))
            })
            .count();
        assert_eq!(scheduled, 1, "{job}: the callback task ran once");
    }
}

/// A pseudo-random kill delay per round (no extra dependency): 0 to 60 ms.
fn rand_ms(round: usize) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0);
    (nanos / 7 + round as u64 * 13) % 60
}
