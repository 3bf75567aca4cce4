//! Executions started as the console and the aws CLI start them (StartExecution with any name
//! and any input) leave one job record each, keyed by the job the execution runs, with its
//! timestamps as the API writes them; `GET /executions/{name}` names that job.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::common::{self, eventually, in_an_hour};

/// (machine, execution name, input, the job id the execution runs)
fn starts(at: &str) -> Vec<(&'static str, &'static str, Value, &'static str)> {
    vec![
        (
            "WaitUntilStateMachine",
            "wu-readme",
            json!({"jobId": "console-1", "taskName": "send-reminder", "startAt": at}),
            "console-1",
        ),
        (
            "WaitUntilStateMachine",
            "wu-same",
            json!({"jobId": "wu-same", "taskName": "t", "startAt": at}),
            "wu-same",
        ),
        (
            "WaitUntilStateMachine",
            "wu-no-job",
            json!({"taskName": "t", "startAt": at}),
            "wu-no-job",
        ),
        (
            "WaitableStateMachine",
            "w-readme",
            json!({"jobId": "console-2", "StartTimestamp": at}),
            "console-2",
        ),
        (
            "WaitableStateMachine",
            "w-no-job",
            json!({"StartTimestamp": at}),
            "w-no-job",
        ),
        ("CallbackStateMachine", "cb-readme", json!({}), "cb-readme"),
        (
            "CallbackStateMachine",
            "cb-other",
            json!({"jobId": "x-1", "mode": "external", "input": {"a": 1}}),
            "x-1",
        ),
        (
            "CallbackStateMachine",
            "cb-auto",
            json!({"mode": "auto"}),
            "cb-auto",
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_and_cli_starts_leave_one_record_per_execution() {
    let app = common::start(&[]).await;
    let at = in_an_hour();
    let starts = starts(&at);
    for (machine, name, input, _) in &starts {
        let arn = app
            .rt
            .state_machine_arn(machine)
            .expect("a template machine");
        let (s, v) = app
            .aws(
                "AWSStepFunctions.StartExecution",
                json!({"stateMachineArn": arn, "name": name, "input": input.to_string()}),
            )
            .await;
        assert_eq!(s, 200, "{name}: {v}");
    }
    let expected: BTreeSet<&str> = starts.iter().map(|s| s.3).collect();
    // Every job recorded and every status-change event handled.
    eventually("every job recorded", || async {
        for id in &expected {
            let (s, _) = app.get(&format!("/jobs/{id}")).await;
            if s != 200 {
                return None;
            }
        }
        (app.rt.status_events.pending() == 0).then_some(())
    })
    .await;

    let pages = app.pages("/status?limit=100", 5).await;
    let items: Vec<&Value> = pages
        .iter()
        .flat_map(|p| p["items"].as_array().into_iter().flatten())
        .collect();
    let ids: Vec<&str> = items.iter().filter_map(|i| i["Id"].as_str()).collect();
    assert_eq!(ids.len(), starts.len(), "one record per execution: {ids:?}");
    assert_eq!(ids.iter().copied().collect::<BTreeSet<_>>(), expected);

    let given = at.replace('Z', ".000Z");
    for item in &items {
        let id = item["Id"].as_str().unwrap_or_default();
        let status = item["ProcessStatus"].as_str().unwrap_or_default();
        if ["console-1", "wu-same"].contains(&id) {
            assert_eq!(status, "SCHEDULED", "wait-until never says STARTED: {item}");
        }
        if ["console-1", "wu-same", "console-2"].contains(&id) {
            assert_eq!(item["StartActionAt"], given.as_str(), "normalised: {item}");
        }
    }

    for (_, name, _, job) in &starts {
        let (s, v) = app.get(&format!("/executions/{name}")).await;
        assert_eq!(s, 200, "{name}: {v}");
        assert_eq!(v["jobId"], *job, "{name}: {v}");
        assert_eq!(v["job"]["Id"], *job, "{name}: {v}");
    }
    // The job id finds its execution too.
    let (s, v) = app.get("/executions/console-1").await;
    assert_eq!(
        (
            s,
            v["executionArn"]
                .as_str()
                .is_some_and(|a| a.ends_with(":wu-readme"))
        ),
        (200, true),
        "{v}"
    );
}
