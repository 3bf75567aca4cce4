//! Time you control: `/_local/clock` reads the runtime's one clock, `/_local/clock/advance`
//! and `/_local/clock/set` move it forward (everything that comes due on the way happens, in
//! time order, before the reply), and `/_local/executions/skip-wait` ends one execution's
//! Wait now. Served beside the console, behind the same guards: the runtime's own host only,
//! and no other web page may post here.

use std::sync::Arc;

use asl::Clock;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{ok, parse_body, Console, ConsoleError, Reply};

/// The furthest one advance may move the clock: past any Wait (a year at most on AWS) or
/// retention, well inside what timestamps can hold.
const MAX_ADVANCE_SECONDS: f64 = 100.0 * 366.0 * 86_400.0;

/// `{"now", "offsetSeconds", "frozen"}`.
fn clock_state(c: &Console) -> Value {
    let offset = c.clock.offset();
    json!({
        "now": text(c.clock.now()),
        "offsetSeconds": offset.num_milliseconds() as f64 / 1000.0,
        "frozen": c.clock.is_frozen(),
    })
}

/// A JSON object body with exactly the fields of `T` (serde alone would also take an array).
fn parse_object<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, ConsoleError> {
    let fields: serde_json::Map<String, Value> = parse_body(body)?;
    serde_json::from_value(Value::Object(fields)).map_err(|e| {
        ConsoleError::new(
            StatusCode::BAD_REQUEST,
            "InvalidJson",
            format!("the body is not the JSON this action takes: {e}"),
        )
    })
}

/// RFC 3339 with milliseconds and `Z`, as the clock endpoints answer.
fn text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub(super) async fn read(State(c): State<Arc<Console>>, headers: HeaderMap) -> Reply {
    c.check_host(&headers)?;
    ok(clock_state(&c))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdvanceBody {
    seconds: f64,
}

pub(super) async fn advance(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    c.check_control(&headers)?;
    let b: AdvanceBody = parse_object(&body)?;
    if !b.seconds.is_finite() || b.seconds < 0.0 {
        return Err(ConsoleError::bad(
            "seconds",
            format!(
                "must be a number of seconds of 0 or more (time only moves forward), got {}",
                b.seconds
            ),
        ));
    }
    if b.seconds > MAX_ADVANCE_SECONDS {
        return Err(ConsoleError::bad(
            "seconds",
            format!("at most {MAX_ADVANCE_SECONDS} (100 years) in one advance"),
        ));
    }
    let target = common::clock::plus_millis(c.clock.now(), (b.seconds * 1000.0).round() as i64);
    moved(&c, target).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetBody {
    time: String,
}

pub(super) async fn set(State(c): State<Arc<Console>>, headers: HeaderMap, body: Bytes) -> Reply {
    c.check_control(&headers)?;
    let b: SetBody = parse_object(&body)?;
    let target = DateTime::parse_from_rfc3339(&b.time)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            ConsoleError::bad("time", format!("not an RFC 3339 time ({e}): {}", b.time))
        })?;
    let now = c.clock.now();
    if target < now {
        return Err(ConsoleError::bad(
            "time",
            format!(
                "{} is before the clock's time {}: time only moves forward",
                b.time,
                text(now)
            ),
        ));
    }
    moved(&c, target).await
}

/// Moves the clock to `target`, settling what comes due, and answers the new state.
async fn moved(c: &Console, target: DateTime<Utc>) -> Reply {
    let done = c.clock.advance_settled(target).await;
    let mut state = clock_state(c);
    state["deadlines"] = json!(done.deadlines);
    state["settled"] = json!(done.settled);
    ok(state)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SkipBody {
    execution_arn: String,
}

pub(super) async fn skip_wait(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    c.check_control(&headers)?;
    let b: SkipBody = parse_object(&body)?;
    c.sfn.skip_wait(&b.execution_arn).map_err(|e| match e {
        sfn_local::SfnError::Validation(m) => {
            ConsoleError::new(StatusCode::BAD_REQUEST, "NotInWait", m)
        }
        other => other.into(),
    })?;
    // The execution runs on until it blocks again before the reply, as after an advance.
    let now = c.clock.now();
    let done = c.clock.advance_settled(now).await;
    ok(json!({
        "executionArn": b.execution_arn,
        "skipped": true,
        "settled": done.settled,
    }))
}
