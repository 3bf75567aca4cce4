//! The synchronous start over app-core's start service and its AWS adapters (AWS calls
//! mocked): the request is validated, started, recorded and answered like the start routes.

use std::sync::Arc;

use app_core::dynamodb::DynamoJobStore;
use app_core::sfn::SfnClient as CoreSfn;
use app_core::start::{JobStarter, StartConfig};
use app_core::ManualClock;
use aws_sdk_dynamodb::operation::update_item::UpdateItemOutput;
use aws_sdk_sfn::operation::start_execution::StartExecutionOutput;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use aws_smithy_types::DateTime;
use chrono::{TimeZone, Utc};
use executions::{Api, Handler};
use serde_json::json;

use crate::fakes::*;

fn handler(sfn_rules: &[&aws_smithy_mocks::Rule], w: &World) -> Handler {
    let sfn = mock_client!(aws_sdk_sfn, RuleMode::MatchAny, sfn_rules);
    let record = mock!(aws_sdk_dynamodb::Client::update_item)
        .then_output(|| UpdateItemOutput::builder().build());
    let ddb = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&record]);
    let env = |k: &str| -> Option<String> {
        let c = config();
        Some(match k {
            "JOBS_TABLE" => c.jobs_table,
            "CALLBACK_STATE_MACHINE_ARN" => c.callback_arn,
            "WAIT_UNTIL_STATE_MACHINE_ARN" => c.wait_until_arn,
            "WAITABLE_STATE_MACHINE_ARN" => c.waitable_arn,
            _ => return None,
        })
    };
    let start = JobStarter::new(
        StartConfig::from_lookup(&env).unwrap(),
        Arc::new(CoreSfn::from_client(sfn)),
        Arc::new(DynamoJobStore::from_client(ddb, "Jobs")),
        Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2026, 1, 1, 1, 0, 0).unwrap(),
        )),
    );
    Handler {
        api: Api {
            cfg: config(),
            sfn: w.sfn.clone(),
            jobs: w.jobs.clone(),
            starter: Arc::new(start),
            clock: Arc::new(w.clock.clone()),
        },
    }
}

#[tokio::test]
async fn waitable_start_goes_through_the_jobs_route_and_waits_for_the_result() {
    let w = world();
    w.sfn.add("Waitable", "sync-a", "SUCCEEDED", T0);
    let start = mock!(aws_sdk_sfn::Client::start_execution)
        .match_requests(|r| {
            r.state_machine_arn() == Some(machine_arn("Waitable").as_str())
                && r.name() == Some("sync-a")
        })
        .then_output(|| {
            StartExecutionOutput::builder()
                .execution_arn(exec_arn("Waitable", "sync-a"))
                .start_date(DateTime::from_millis(T0))
                .build()
                .unwrap()
        });
    let h = handler(&[&start], &w);
    let body = json!({"StartTimestamp": "2026-01-01T02:00:00Z", "name": "sync-a"}).to_string();
    let req = request(
        "POST",
        "/executions/waitable",
        &[("wait", "10")],
        Some(&body),
    );
    let out = drive(&w, h.invoke_json(req, None)).await.unwrap();
    let b: serde_json::Value = serde_json::from_str(out["body"].as_str().unwrap()).unwrap();
    assert_eq!(out["statusCode"], 200, "{b}");
    assert_eq!(b["status"], "SUCCEEDED");
    assert_eq!(b["output"], json!({"done": true}));
    assert_eq!(start.num_calls(), 1);
}

#[tokio::test]
async fn start_route_validation_answers_unchanged() {
    let w = world();
    let start = mock!(aws_sdk_sfn::Client::start_execution).then_output(|| {
        StartExecutionOutput::builder()
            .execution_arn("x")
            .start_date(DateTime::from_millis(T0))
            .build()
            .unwrap()
    });
    let h = handler(&[&start], &w);
    for (machine, body) in [
        ("wait-until", json!({"taskName": "t"})),
        ("waitable", json!({"StartTimestamp": "not a time"})),
        ("callback", json!({"mode": "sometimes"})),
    ] {
        let req = request(
            "POST",
            &format!("/executions/{machine}"),
            &[("wait", "5")],
            Some(&body.to_string()),
        );
        let out = drive(&w, h.invoke_json(req, None)).await.unwrap();
        let b: serde_json::Value = serde_json::from_str(out["body"].as_str().unwrap()).unwrap();
        assert_eq!(out["statusCode"], 400, "{machine}: {b}");
        assert!(b["error"].is_string() && b["message"].is_string(), "{b}");
    }
    assert_eq!(start.num_calls(), 0);
}
