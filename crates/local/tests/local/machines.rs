//! The three state machines as AWS would run them: valid with no diagnostics, within their
//! transition budgets on real executions, and sharing the job record with the status tracker
//! without either undoing the other's writes, whatever the order they land in.

use serde_json::{json, Value};

use crate::common::*;

fn in_a_minute() -> String {
    (frozen_at() + chrono::Duration::seconds(60)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn entered_states(history: &[Value]) -> usize {
    history
        .iter()
        .filter(|e| {
            e["type"]
                .as_str()
                .is_some_and(|t| t.ends_with("StateEntered"))
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_definition_validates_with_no_diagnostics() {
    let app = start_frozen(&[]).await;
    assert_eq!(app.rt.app.state_machines.len(), 3);
    for m in &app.rt.app.state_machines {
        let (s, v) = app
            .aws(
                "AWSStepFunctions.ValidateStateMachineDefinition",
                json!({"definition": m.definition, "type": "STANDARD"}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["result"], "OK", "{}: {v}", m.logical_id);
        assert_eq!(v["diagnostics"], json!([]), "{}: {v}", m.logical_id);
        let def: Value = serde_json::from_str(&m.definition).expect("json");
        assert_eq!(def["QueryLanguage"], "JSONata", "{}", m.logical_id);
    }
}

/// Successful runs of each workflow, counted from their histories, against the budgets:
/// callback answered from outside <= 6, answered by send-token <= 5, waitable <= 4,
/// wait-until <= 5.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_workflow_stays_within_its_transition_budget() {
    let app = start_frozen(&[("SuccessRatio", "1")]).await;
    let mut runs = Vec::new();
    for (name, budget, path, body) in [
        (
            "wait-until",
            5,
            "/start",
            json!({"taskName": "t", "startAt": in_a_minute()}),
        ),
        (
            "waitable",
            4,
            "/jobs",
            json!({"StartTimestamp": in_a_minute()}),
        ),
        (
            "callback (external)",
            6,
            "/callbacks",
            json!({"mode": "external"}),
        ),
        ("callback (auto)", 5, "/callbacks", json!({"mode": "auto"})),
    ] {
        let (s, v) = app.post(path, body).await;
        assert_eq!(s, 202, "{v}");
        runs.push((
            name,
            budget,
            str_of(&v, "executionArn").to_string(),
            str_of(&v, "jobId").to_string(),
        ));
    }
    app.advance(61).await;
    let (s, v) = app
        .post(&format!("/jobs/{}/success", runs[2].3), json!({"ok": true}))
        .await;
    assert_eq!(s, 200, "{v}");
    app.advance(0).await;
    for (name, budget, arn, _) in runs {
        assert_eq!(app.describe(&arn).await["status"], "SUCCEEDED", "{name}");
        let n = entered_states(&app.history(&arn).await);
        assert!(n <= budget, "{name}: {n} transitions, budget {budget}");
    }
}

/// The waitable machine's two writes and the tracker's two events (RUNNING, SUCCEEDED) on
/// the same job record, applied in every order the machine allows (its writes in their own
/// order; the events in any order and at any point): the record always ends COMPLETED and
/// SUCCEEDED with every attribute of both writers. Neither writer replaces the whole item,
/// and each sets only its own attributes or, where both may, only conditionally.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_events_and_the_machine_s_writes_land_in_any_order() {
    let app = start_frozen(&[]).await;
    let mut changes = app.rt.sfn.subscribe_status();
    let (s, v) = app
        .post("/jobs", json!({"StartTimestamp": in_a_minute()}))
        .await;
    assert_eq!(s, 202, "{v}");
    let (arn, id) = (
        str_of(&v, "executionArn").to_string(),
        str_of(&v, "jobId").to_string(),
    );
    app.advance(61).await;
    assert_eq!(app.describe(&arn).await["status"], "SUCCEEDED");

    // The machine's writes, exactly as it sent them (from TaskScheduled).
    let writes: Vec<Value> = app
        .history(&arn)
        .await
        .iter()
        .filter(|e| e["type"] == "TaskScheduled")
        .map(|e| {
            serde_json::from_str(
                e["taskScheduledEventDetails"]["parameters"]
                    .as_str()
                    .expect("parameters"),
            )
            .expect("json")
        })
        .collect();
    assert_eq!(writes.len(), 2, "{writes:?}");
    // The tracker's events, exactly as the runtime forwards them.
    let origin = local::status_forwarder::Origin {
        region: app.rt.app.region.clone(),
        account: "123456789012".into(),
    };
    let mut events = Vec::new();
    while let Ok(c) = changes.try_recv() {
        if c.execution_arn == arn {
            events.push(local::status_forwarder::event_of(&c, &origin));
        }
    }
    assert_eq!(events.len(), 2, "RUNNING and SUCCEEDED");
    let tracker = app
        .rt
        .app
        .functions
        .iter()
        .find(|f| f.binary.as_deref() == Some("status-events"))
        .expect("status-events")
        .name
        .clone();
    let table = app.rt.app.tables[0].name.clone();

    // M = machine write, E = event; M0 before M1, events anywhere (12 orders).
    let mut orders = Vec::new();
    for e0 in 0..4usize {
        for e1 in 0..4usize {
            if e0 == e1 {
                continue;
            }
            let mut order = vec![None; 4];
            order[e0] = Some(('E', 0));
            order[e1] = Some(('E', 1));
            for (m, slot) in order.iter_mut().filter(|s| s.is_none()).enumerate() {
                *slot = Some(('M', m));
            }
            orders.push(order.into_iter().map(Option::unwrap).collect::<Vec<_>>());
        }
    }
    assert_eq!(orders.len(), 12);
    for order in orders {
        let (s, v) = app
            .aws(
                "DynamoDB_20120810.DeleteItem",
                json!({"TableName": table, "Key": {"Id": {"S": id}}}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        for (who, i) in &order {
            match who {
                'M' => {
                    let (s, v) = app
                        .aws("DynamoDB_20120810.UpdateItem", writes[*i].clone())
                        .await;
                    assert_eq!(s, 200, "{order:?}: {v}");
                }
                _ => {
                    app.rt
                        .lambdas
                        .invoke(&tracker, events[*i].clone())
                        .await
                        .unwrap_or_else(|e| panic!("{order:?}: {e}"));
                }
            }
        }
        let (_, item) = app
            .aws(
                "DynamoDB_20120810.GetItem",
                json!({"TableName": table, "Key": {"Id": {"S": id}}}),
            )
            .await;
        let item = &item["Item"];
        let s = |k: &str| item[k]["S"].as_str().unwrap_or_default().to_string();
        assert_eq!(
            (s("ProcessStatus"), s("ExecutionStatus")),
            ("COMPLETED".into(), "SUCCEEDED".into()),
            "{order:?}: {item}"
        );
        for k in [
            "Pattern",
            "StartActionAt",
            "ExecutionArn",
            "StartedAt",
            "StoppedAt",
            "LastUpdated",
        ] {
            assert!(!s(k).is_empty(), "{order:?}: {k} missing: {item}");
        }
        assert!(item["ExpiresAt"]["N"].is_string(), "{order:?}: {item}");
    }
}
