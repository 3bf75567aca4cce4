//! `GET /executions?machine=&status=&limit=&next=`: ListExecutions on each selected machine,
//! merged newest first.
//!
//! The cursor keeps, per machine, the Step Functions token of the page holding its next unread
//! execution, plus the startDate of the last execution returned and short hashes of the
//! executions already returned with that very startDate. The next request re-reads those pages
//! and drops everything newer than that startDate or already returned, so no execution is
//! skipped or repeated, even when new executions start between the two requests. Ties are kept
//! by identity rather than by ARN order because Step Functions orders executions that started
//! in the same millisecond as it likes, and a page boundary may fall between them.

use std::cmp::Reverse;
use std::collections::VecDeque;

use app_core::domain::format_epoch_millis;
use app_core::{ExecutionStatus, Pattern};
use aws_lambda_events::apigw::ApiGatewayProxyRequest;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::api::Api;
use crate::cursor;
use crate::http::{only_params, query_int, query_one, ApiError};
use crate::ports::{ExecutionSummary, SfnError};
use crate::resolve::sfn_upstream;

pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 100;
/// Bounds the Step Functions calls one request may make (empty pages with tokens).
const MAX_FETCHES: usize = 12;

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct Pos {
    m: String,
    /// Token of the page to (re-)read; `None` = the first page.
    t: Option<String>,
    /// No more executions on this machine.
    d: bool,
}

#[derive(Debug, Serialize, Deserialize)]
struct ListCursor {
    s: Option<String>,
    p: Vec<Pos>,
    /// Merge key of the last execution returned: (startDate ms, executionArn).
    k: (i64, String),
    /// Hashes of every execution returned so far whose startDate equals `k.0`.
    #[serde(default)]
    r: Vec<String>,
}

/// Where the previous page stopped: the startDate reached and the executions already returned
/// with exactly that startDate.
#[derive(Debug, Clone, Default)]
struct After {
    start_ms: i64,
    returned: Vec<String>,
}

impl After {
    fn unread(&self, e: &ExecutionSummary) -> bool {
        e.start_ms < self.start_ms
            || (e.start_ms == self.start_ms && !self.returned.contains(&arn_hash(&e.execution_arn)))
    }
}

/// Short, stable id of an execution for the cursor (ARNs would make it long).
fn arn_hash(arn: &str) -> String {
    common::short_hash(arn, 6)
}

type Key = (i64, String);

fn key(e: &ExecutionSummary) -> Key {
    (e.start_ms, e.execution_arn.clone())
}

struct Source {
    machine: Pattern,
    arn: String,
    page_token: Option<String>,
    buffer: VecDeque<ExecutionSummary>,
    next_token: Option<String>,
    done: bool,
}

fn parse_machines(raw: Option<&str>) -> Result<Vec<Pattern>, ApiError> {
    let Some(raw) = raw.filter(|r| !r.trim().is_empty()) else {
        return Ok(Pattern::ALL.to_vec());
    };
    let mut out = Vec::new();
    for part in raw.split(',').map(str::trim) {
        let m = Pattern::parse(part).ok_or_else(|| {
            ApiError::new(
                400,
                "UnknownMachine",
                format!("query parameter `machine`: unknown machine `{part}` (expected callback, wait-until or waitable)"),
            )
        })?;
        if !out.contains(&m) {
            out.push(m);
        }
    }
    out.sort_by_key(|m| Pattern::ALL.iter().position(|x| x == m));
    Ok(out)
}

/// A status Step Functions filters by; CANCELLED is this application's reading of a FAILED
/// execution, so it is not one.
fn parse_status(raw: Option<&str>) -> Result<Option<ExecutionStatus>, ApiError> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    let up = raw.to_ascii_uppercase();
    match ExecutionStatus::step_functions().find(|s| s.as_str() == up) {
        Some(status) => Ok(Some(status)),
        None => Err(crate::http::invalid(format!(
            "query parameter `status` must be one of {} (a graceful cancel shows as FAILED with error Cancelled)",
            ExecutionStatus::step_functions()
                .map(ExecutionStatus::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

async fn fetch(
    api: &Api,
    src: &mut Source,
    status: Option<ExecutionStatus>,
    limit: i32,
    after: Option<&After>,
) -> Result<(), ApiError> {
    let page = api
        .sfn
        .list_executions(&src.arn, status, limit, src.page_token.as_deref())
        .await
        .map_err(|e| match e {
            SfnError::InvalidToken(_) => cursor::invalid_cursor("it expired or was altered"),
            other => sfn_upstream(other),
        })?;
    let mut items: Vec<ExecutionSummary> = page
        .items
        .into_iter()
        .filter(|e| after.is_none_or(|a| a.unread(e)))
        .collect();
    items.sort_by_key(|e| Reverse(key(e)));
    src.buffer = items.into();
    src.next_token = page.next_token;
    Ok(())
}

pub async fn list(api: &Api, req: &ApiGatewayProxyRequest) -> Result<Value, ApiError> {
    only_params(req, &["machine", "status", "limit", "next"])?;
    let machines = parse_machines(query_one(req, "machine")?)?;
    let status = parse_status(query_one(req, "status")?)?;
    let limit = query_int(req, "limit", 1..=MAX_LIMIT, DEFAULT_LIMIT)?;
    let limit_i32 = i32::try_from(limit).unwrap_or(20);
    let cur: Option<ListCursor> = query_one(req, "next")?
        .filter(|s| !s.is_empty())
        .map(cursor::decode)
        .transpose()?;

    let mut sources: Vec<Source> = Vec::new();
    for m in &machines {
        let (page_token, done) = match &cur {
            None => (None, false),
            Some(c) => {
                let p = c.p.iter().find(|p| p.m == m.as_str()).ok_or_else(|| {
                    cursor::invalid_cursor("it was made for other `machine` filters")
                })?;
                if let Some(t) = &p.t {
                    cursor::check_token(t)?;
                }
                (p.t.clone(), p.d)
            }
        };
        sources.push(Source {
            machine: *m,
            arn: api.cfg.machine_arn(*m).to_string(),
            page_token,
            buffer: VecDeque::new(),
            next_token: None,
            done,
        });
    }
    if let Some(c) = &cur {
        if c.p.len() != machines.len() {
            return Err(cursor::invalid_cursor(
                "it was made for other `machine` filters",
            ));
        }
        if c.s.as_deref() != status.map(ExecutionStatus::as_str) {
            return Err(cursor::invalid_cursor(
                "it was made for another `status` filter",
            ));
        }
    }
    let after: Option<After> = cur.as_ref().map(|c| After {
        start_ms: c.k.0,
        returned: c.r.clone(),
    });

    let mut fetches = 0usize;
    for src in sources.iter_mut().filter(|s| !s.done) {
        fetch(api, src, status, limit_i32, after.as_ref()).await?;
        fetches += 1;
    }
    let mut out: Vec<ExecutionSummary> = Vec::new();
    let mut capped = false;
    while out.len() < usize::try_from(limit).unwrap_or(20) {
        // A source whose buffer ran dry may still hold older executions on its next page; it
        // must be refilled before the merge can tell which execution is newest.
        for src in sources.iter_mut() {
            while !src.done && src.buffer.is_empty() {
                match src.next_token.take() {
                    None => src.done = true,
                    Some(_) if fetches >= MAX_FETCHES => {
                        capped = true;
                        break;
                    }
                    Some(t) => {
                        src.page_token = Some(t);
                        fetch(api, src, status, limit_i32, after.as_ref()).await?;
                        fetches += 1;
                    }
                }
            }
        }
        if capped {
            break;
        }
        let best = sources
            .iter_mut()
            .filter(|s| !s.buffer.is_empty())
            .max_by(|a, b| a.buffer.front().map(key).cmp(&b.buffer.front().map(key)));
        let Some(src) = best else { break };
        if let Some(e) = src.buffer.pop_front() {
            out.push(e);
        }
    }

    // Where each machine resumes: its current page if it still has unread items there, else
    // its next page, else nothing.
    let positions: Vec<Pos> = sources
        .iter()
        .map(|s| {
            if !s.buffer.is_empty() {
                Pos {
                    m: s.machine.as_str().into(),
                    t: s.page_token.clone(),
                    d: false,
                }
            } else if let Some(t) = &s.next_token {
                Pos {
                    m: s.machine.as_str().into(),
                    t: Some(t.clone()),
                    d: false,
                }
            } else {
                Pos {
                    m: s.machine.as_str().into(),
                    t: None,
                    d: s.done || s.next_token.is_none(),
                }
            }
        })
        .collect();
    let more = positions.iter().any(|p| !p.d);
    let next = match (more, out.last()) {
        (true, Some(last)) => {
            let mut returned: Vec<String> = match &after {
                Some(a) if a.start_ms == last.start_ms => a.returned.clone(),
                _ => Vec::new(),
            };
            returned.extend(
                out.iter()
                    .filter(|e| e.start_ms == last.start_ms)
                    .map(|e| arn_hash(&e.execution_arn)),
            );
            Some(cursor::encode(&ListCursor {
                s: status.map(|s| s.as_str().to_owned()),
                p: positions,
                k: key(last),
                r: returned,
            }))
        }
        // Nothing returned but pages remain (fetch cap): resume from the same place.
        (true, None) => {
            let a = after.unwrap_or(After {
                start_ms: i64::MAX,
                returned: Vec::new(),
            });
            Some(cursor::encode(&ListCursor {
                s: status.map(|s| s.as_str().to_owned()),
                p: positions,
                k: (a.start_ms, String::new()),
                r: a.returned,
            }))
        }
        _ => None,
    };
    let items: Vec<Value> = out
        .iter()
        .map(|e| {
            json!({
                "executionArn": e.execution_arn,
                "jobId": e.name,
                "machine": api.cfg.machine_of_arn(&e.state_machine_arn).map(|m| m.as_str()),
                "status": e.status,
                "startDate": format_epoch_millis(e.start_ms),
                "stopDate": e.stop_ms.map(format_epoch_millis),
            })
        })
        .collect();
    Ok(json!({"items": items, "next": next}))
}
