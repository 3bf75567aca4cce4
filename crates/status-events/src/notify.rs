//! The SNS notification body: small enough to read in an e-mail, never the whole payloads.

use serde_json::{json, Map, Value};

use app_core::domain::format_epoch_millis;
use app_core::ExecutionStatus;

use crate::event::StatusChange;

/// Larger input/output bodies are left out of the notification (their size is given instead).
pub const MAX_BODY_BYTES: usize = 4096;
const MAX_SUBJECT_CHARS: usize = 100;

/// SNS subjects must be printable ASCII, at most 100 characters, without line breaks.
pub fn subject(ev: &StatusChange, status: ExecutionStatus) -> String {
    let raw = format!("Step Functions execution {} {}", status.as_str(), ev.name);
    raw.chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .take(MAX_SUBJECT_CHARS)
        .collect()
}

fn body_field(map: &mut Map<String, Value>, key: &str, body: Option<&str>) {
    match body {
        None => {}
        Some(b) if b.len() <= MAX_BODY_BYTES => {
            let v = serde_json::from_str(b).unwrap_or_else(|_| Value::String(b.to_string()));
            map.insert(key.to_string(), v);
        }
        Some(b) => {
            map.insert(format!("{key}Omitted"), json!({"bytes": b.len()}));
        }
    }
}

pub fn message(ev: &StatusChange, status: ExecutionStatus) -> String {
    let mut m = Map::new();
    m.insert("executionArn".into(), json!(ev.execution_arn));
    m.insert("stateMachineArn".into(), json!(ev.state_machine_arn));
    m.insert("name".into(), json!(ev.name));
    m.insert("status".into(), json!(status.as_str()));
    m.insert("startDate".into(), json!(format_epoch_millis(ev.start_ms)));
    m.insert(
        "stopDate".into(),
        json!(ev.stop_ms.map(format_epoch_millis)),
    );
    m.insert("error".into(), json!(ev.error));
    m.insert(
        "cause".into(),
        json!(ev.cause.as_deref().map(|c| {
            if c.len() <= MAX_BODY_BYTES {
                c.to_string()
            } else {
                let mut end = MAX_BODY_BYTES;
                while !c.is_char_boundary(end) {
                    end -= 1;
                }
                format!("{}...", &c[..end])
            }
        })),
    );
    body_field(&mut m, "input", ev.input.as_deref());
    body_field(&mut m, "output", ev.output.as_deref());
    Value::Object(m).to_string()
}
