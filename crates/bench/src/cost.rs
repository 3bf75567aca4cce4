//! What one workflow of each pattern costs on AWS, on paper: state transitions, Lambda calls
//! and table writes counted in the history of a real execution on the local runtime, Lambda
//! time from the measured durations, DynamoDB request units from what the machines and
//! handlers write and read.

use serde_json::Value;

/// Public prices, us-east-1, on-demand, as published by AWS in 2025 (checked 2025-11; the
/// DynamoDB figures are those after the November 2024 on-demand price reduction). Free tiers
/// are left out so the figure scales linearly.
pub mod price {
    pub const REGION: &str = "us-east-1";
    pub const AS_OF: &str = "2026-11";
    /// Step Functions Standard: $0.025 per 1,000 state transitions.
    pub const SFN_TRANSITION: f64 = 0.025 / 1_000.0;
    /// Lambda arm64: $0.0000133334 per GB-second (first 7.5 billion GB-s a month).
    pub const LAMBDA_GB_SECOND_ARM64: f64 = 0.000_013_333_4;
    /// Lambda: $0.20 per million requests.
    pub const LAMBDA_REQUEST: f64 = 0.20 / 1_000_000.0;
    /// DynamoDB on-demand: $0.625 per million write request units.
    pub const DDB_WRU: f64 = 0.625 / 1_000_000.0;
    /// DynamoDB on-demand: $0.125 per million read request units.
    pub const DDB_RRU: f64 = 0.125 / 1_000_000.0;
    /// API Gateway REST API: $3.50 per million requests (first 333 million a month).
    pub const APIGW_REST_REQUEST: f64 = 3.50 / 1_000_000.0;
    /// SES outbound email: $0.10 per 1,000 messages.
    pub const SES_EMAIL: f64 = 0.10 / 1_000.0;
}

/// The memory every function is deployed with (template `Globals`).
pub const LAMBDA_MEMORY_GB: f64 = 128.0 / 1024.0;

/// Write and read request units for one item write/read of under 1 KB. Every job write sets
/// `ProcessStatus` and `LastUpdated`, keys of both GSIs: a new item adds one write per index,
/// an update that changes an index key removes and re-adds it there (two writes per index).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Units {
    pub wru: f64,
    pub rru: f64,
}

pub fn put_units(gsis: usize) -> Units {
    Units {
        wru: 1.0 + gsis as f64,
        rru: 0.0,
    }
}

pub fn update_units(gsis: usize) -> Units {
    Units {
        wru: 1.0 + 2.0 * gsis as f64,
        rru: 0.0,
    }
}

/// An update that leaves the index keys alone: the item is still rewritten in every index
/// (they project ALL attributes), once each.
pub fn attribute_update_units(gsis: usize) -> Units {
    Units {
        wru: 1.0 + gsis as f64,
        rru: 0.0,
    }
}

/// A strongly consistent GetItem (as the adapter reads jobs).
pub const GET_UNITS: Units = Units { wru: 0.0, rru: 1.0 };

/// What the state machine itself did in one execution, read from its history: the states it
/// entered (each a billed transition), the functions its Task states invoked (by name, as
/// `FunctionName` gave them) and the request units of its table calls.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MachineCalls {
    pub transitions: usize,
    pub lambdas: Vec<String>,
    pub units: Units,
}

pub fn machine_calls(history: &[Value], gsis: usize) -> MachineCalls {
    let mut calls = MachineCalls::default();
    for e in history {
        let ty = e.get("type").and_then(Value::as_str).unwrap_or("");
        if ty.ends_with("StateEntered") {
            calls.transitions += 1;
        }
        if ty != "TaskScheduled" {
            continue;
        }
        let details = &e["taskScheduledEventDetails"];
        let resource = details["resource"].as_str().unwrap_or("");
        match details["resourceType"].as_str().unwrap_or("") {
            "lambda" => {
                let parameters: Value = details["parameters"]
                    .as_str()
                    .and_then(|p| serde_json::from_str(p).ok())
                    .unwrap_or(Value::Null);
                let f = parameters["FunctionName"].as_str().unwrap_or(resource);
                calls.lambdas.push(f.to_string());
            }
            "dynamodb" => {
                let u = match resource {
                    "putItem" => put_units(gsis),
                    "updateItem" => update_units(gsis),
                    "getItem" => GET_UNITS,
                    _ => Units::default(),
                };
                calls.units.wru += u.wru;
                calls.units.rru += u.rru;
            }
            _ => {}
        }
    }
    calls
}

/// One pattern's bill of materials per workflow.
#[derive(Debug, Clone, PartialEq)]
pub struct Workflow {
    pub name: String,
    pub transitions: usize,
    pub api_requests: usize,
    /// (binary, billed milliseconds) per invocation.
    pub invocations: Vec<(String, f64)>,
    pub units: Units,
    /// Emails sent through SES.
    pub emails: usize,
}

impl Workflow {
    pub fn gb_seconds(&self) -> f64 {
        self.invocations
            .iter()
            .map(|(_, ms)| ms.ceil().max(1.0) / 1000.0 * LAMBDA_MEMORY_GB)
            .sum()
    }

    /// Dollars per million workflows.
    pub fn per_million(&self) -> f64 {
        let one = self.transitions as f64 * price::SFN_TRANSITION
            + self.gb_seconds() * price::LAMBDA_GB_SECOND_ARM64
            + self.invocations.len() as f64 * price::LAMBDA_REQUEST
            + self.units.wru * price::DDB_WRU
            + self.units.rru * price::DDB_RRU
            + self.api_requests as f64 * price::APIGW_REST_REQUEST
            + self.emails as f64 * price::SES_EMAIL;
        one * 1_000_000.0
    }
}

pub fn markdown(workflows: &[Workflow]) -> String {
    let mut out = String::from(
        "| pattern | state transitions | Lambda invocations | Lambda GB-s (128 MB arm64) | DynamoDB WRU / RRU | API requests | SES emails | USD per million workflows |\n|---|---|---|---|---|---|---|---|\n",
    );
    for w in workflows {
        out.push_str(&format!(
            "| {} | {} | {} ({}) | {:.6} | {} / {} | {} | {} | {:.2} |\n",
            w.name,
            w.transitions,
            w.invocations.len(),
            w.invocations
                .iter()
                .map(|(b, ms)| format!("{b} {ms:.0} ms"))
                .collect::<Vec<_>>()
                .join(", "),
            w.gb_seconds(),
            w.units.wru,
            w.units.rru,
            w.api_requests,
            w.emails,
            w.per_million()
        ));
    }
    out.push_str(&format!(
        "\nPrices ({}, on-demand, as of {}): Step Functions Standard ${}/1,000 transitions; Lambda arm64 ${}/GB-s and ${}/million requests; DynamoDB ${}/million WRU and ${}/million RRU; API Gateway REST ${}/million requests; SES ${}/1,000 emails. Free tiers excluded. Durations are the measured warm medians, billed rounded up to 1 ms; cold starts (billed init) add to the first invocation of each sandbox only. Each execution sends two status-change events (RUNNING, then its end) to EventBridge, free for AWS service events on the default bus; each invokes status-events, which reads the job (GetItem) and updates it. Each job write is under 1 KB and touches both GSIs, which project only the keys and the listing attributes (put: 1 + 1 per index; update that changes index keys: 1 + 2 per index; other updates: 1 + 1 per index); job reads are strongly consistent GetItem (1 RRU). The wait-until email is counted as sent: with `SenderAddress` empty it is a log record and the workflow costs ${:.2} less per million. Not included: polling `GET /status`, CloudWatch Logs ingestion and X-Ray traces (both depend on log level and sampling), and the optional SNS notification of failed executions.\n",
        price::REGION,
        price::AS_OF,
        price::SFN_TRANSITION * 1000.0,
        price::LAMBDA_GB_SECOND_ARM64,
        price::LAMBDA_REQUEST * 1e6,
        price::DDB_WRU * 1e6,
        price::DDB_RRU * 1e6,
        price::APIGW_REST_REQUEST * 1e6,
        price::SES_EMAIL * 1e3,
        price::SES_EMAIL * 1e6,
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn scheduled(resource_type: &str, resource: &str, parameters: Value) -> Value {
        json!({"type": "TaskScheduled", "taskScheduledEventDetails": {
            "resourceType": resource_type, "resource": resource, "parameters": parameters.to_string()
        }})
    }

    #[test]
    fn counts_entered_states_calls_and_units_from_a_history() {
        let history = vec![
            json!({"type": "ExecutionStarted"}),
            json!({"type": "TaskStateEntered"}),
            scheduled("dynamodb", "updateItem", json!({"TableName": "t"})),
            json!({"type": "TaskStateExited"}),
            json!({"type": "WaitStateEntered"}),
            json!({"type": "TaskStateEntered"}),
            scheduled(
                "lambda",
                "invoke.waitForTaskToken",
                json!({"FunctionName": "fn", "Payload": {}}),
            ),
            json!({"type": "TaskStateEntered"}),
            scheduled("dynamodb", "getItem", json!({})),
            json!({"type": "ChoiceStateEntered"}),
            json!({"type": "ExecutionSucceeded"}),
        ];
        let calls = machine_calls(&history, 2);
        assert_eq!(calls.transitions, 5);
        assert_eq!(calls.lambdas, ["fn"]);
        assert_eq!(calls.units, Units { wru: 5.0, rru: 1.0 });
    }

    #[test]
    fn prices_add_up() {
        let w = Workflow {
            name: "x".into(),
            transitions: 4,
            api_requests: 1,
            invocations: vec![("a".into(), 1.2)],
            units: Units { wru: 2.0, rru: 1.0 },
            emails: 1,
        };
        // 2 ms billed at 0.125 GB.
        assert!((w.gb_seconds() - 0.002 * 0.125).abs() < 1e-12);
        let expected = 4.0 * 25.0 + 0.00025 * 13.3334 + 0.2 + 2.0 * 0.625 + 0.125 + 3.5 + 100.0;
        assert!(
            (w.per_million() - expected).abs() < 1e-6,
            "{}",
            w.per_million()
        );
    }
}
