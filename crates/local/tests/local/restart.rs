//! What a user does: run the binary, kill it (SIGKILL) while executions wait and tokens are
//! pending, start again on the same state folder, and everything completes.

use std::time::Duration;

use crate::common::{eventually, in_an_hour, spawn, start_with, str_of, KEY};
use serde_json::{json, Value};

async fn post(http: &reqwest::Client, url: String, body: Value) -> Value {
    let r = http
        .post(url)
        .header("x-api-key", KEY)
        .body(body.to_string())
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 202);
    r.json().await.expect("json")
}

async fn job_status(http: &reqwest::Client, api: &str, id: &str) -> Option<String> {
    let r = http
        .get(format!("{api}/jobs/{id}"))
        .header("x-api-key", KEY)
        .send()
        .await
        .ok()?;
    let v: Value = r.json().await.ok()?;
    v["ProcessStatus"].as_str().map(str::to_string)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_run_then_restarted_everything_completes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    let http = reqwest::Client::new();

    let mut first = spawn(&state, &[]).await;
    let wait_until = post(
        &http,
        format!("{}/start", first.api),
        json!({"taskName": "t", "startAt": in_an_hour()}),
    )
    .await;
    let waitable = post(
        &http,
        format!("{}/jobs", first.api),
        json!({"StartTimestamp": in_an_hour()}),
    )
    .await;
    let cb_http = post(&http, format!("{}/callbacks", first.api), json!({})).await;
    let cb_token = post(&http, format!("{}/callbacks", first.api), json!({})).await;
    for cb in [&cb_http, &cb_token] {
        let id = str_of(cb, "jobId");
        eventually("callback to wait", || async {
            (job_status(&http, &first.api, id).await.as_deref() == Some("WAITING_FOR_CALLBACK"))
                .then_some(())
        })
        .await;
    }
    for j in [&wait_until, &waitable] {
        let id = str_of(j, "jobId");
        eventually("job recorded", || async {
            job_status(&http, &first.api, id)
                .await
                .filter(|s| s == "SCHEDULED" || s == "STARTED")
        })
        .await;
    }
    // Read the pending token before the crash, as a user would have.
    let cb_token_id = str_of(&cb_token, "jobId").to_string();
    let r = http
        .post(&first.aws)
        .header("x-amz-target", "DynamoDB_20120810.GetItem")
        .header("content-type", "application/x-amz-json-1.0")
        .body(json!({"TableName": "JobsTable", "Key": {"Id": {"S": cb_token_id}}}).to_string())
        .send()
        .await
        .expect("GetItem");
    let item: Value = r.json().await.expect("json");
    let token = item["Item"]["TaskToken"]["S"]
        .as_str()
        .expect("stored token")
        .to_string();

    first.child.start_kill().expect("SIGKILL");
    let _ = first.child.wait().await;
    // The transition feed was printed one line per event, uncoloured (not a TTY).
    let mut out = String::new();
    if let Some(mut so) = first.child.stdout.take() {
        use tokio::io::AsyncReadExt;
        let _ = tokio::time::timeout(Duration::from_secs(5), so.read_to_string(&mut out)).await;
    }
    assert!(!out.contains('\x1b'), "no colour codes off a TTY");
    let exec_name = str_of(&waitable, "jobId");
    let line = out
        .lines()
        .find(|l| l.contains(exec_name) && l.contains("WaitStateEntered"))
        .unwrap_or_else(|| panic!("a transition line for {exec_name} in:\n{out}"));
    let parts: Vec<&str> = line.split(' ').collect();
    assert_eq!(parts.len(), 4, "{line}");
    assert_eq!(parts[0].len(), "HH:MM:SS.mmm".len(), "{line}");
    assert!(parts[1].ends_with(&format!("/{exec_name}")), "{line}");
    assert_eq!(
        (parts[2], parts[3]),
        ("WaitForStartTimestamp", "WaitStateEntered")
    );

    // Second life: same folder, time under the test's control.
    let app = start_with(&[], Some(state.clone())).await;
    let arns: Vec<String> = [&wait_until, &waitable, &cb_http, &cb_token]
        .iter()
        .map(|v| str_of(v, "executionArn").to_string())
        .collect();
    for arn in &arns {
        assert_eq!(
            app.describe(arn).await["status"],
            "RUNNING",
            "{arn} resumed"
        );
    }
    let (s, v) = app
        .post(
            &format!("/jobs/{}/success", str_of(&cb_http, "jobId")),
            json!({"after": "restart"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app
        .aws(
            "AWSStepFunctions.SendTaskSuccess",
            json!({"taskToken": token, "output": "{\"by\":\"token\"}"}),
        )
        .await;
    assert_eq!(
        s, 200,
        "the token from before the crash is still valid: {v}"
    );
    app.wait_execution(&arns[2], "SUCCEEDED").await;
    app.wait_execution(&arns[3], "SUCCEEDED").await;
    app.wait_sleepers(2).await;
    app.advance(3601).await;
    app.wait_execution(&arns[0], "SUCCEEDED").await;
    app.wait_execution(&arns[1], "SUCCEEDED").await;
    let (_, st) = app.get("/status").await;
    for v in [&wait_until, &waitable, &cb_http, &cb_token] {
        let id = str_of(v, "jobId");
        let item = st["items"]
            .as_array()
            .and_then(|a| a.iter().find(|i| i["Id"] == id))
            .unwrap_or_else(|| panic!("{id} in {st}"));
        assert_eq!(item["ProcessStatus"], "COMPLETED", "{st}");
    }
    app.rt.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_exits_cleanly_and_state_stays() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    let http = reqwest::Client::new();
    let mut c = spawn(&state, &["--quiet"]).await;
    let v = post(
        &http,
        format!("{}/jobs", c.api),
        json!({"StartTimestamp": in_an_hour()}),
    )
    .await;
    let pid = c.child.id().expect("pid").to_string();
    let st = tokio::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .await
        .expect("kill");
    assert!(st.success());
    let exit = tokio::time::timeout(Duration::from_secs(20), c.child.wait())
        .await
        .expect("exits after Ctrl-C")
        .expect("status");
    assert!(exit.success(), "clean exit: {exit:?}");
    let c2 = spawn(&state, &["--quiet"]).await;
    let id = str_of(&v, "jobId");
    assert_eq!(
        job_status(&http, &c2.api, id).await.as_deref(),
        Some("STARTED")
    );
}
