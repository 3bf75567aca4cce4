//! The one in-memory Jobs table, for the handlers' tests and the bench (feature `fake`).
//!
//! It serves every capability trait of the table ([`crate::ports`]) with the semantics of the
//! DynamoDB adapter: the same `if_not_exists` rules and conditions, index partitions newest
//! first with the indexes' projection. Tests can look inside it (records, queries, writes),
//! make its calls fail, and play a concurrent writer.

use crate::domain::{format_timestamp, Job, JobId, JobStatus, Pattern};
use crate::listing::sort_key;
use crate::ports::{
    CancelRequest, CancelRequests, CancelWrite, JobLister, JobReader, JobRecorder, NewJob,
    PartitionPage, PartitionQuery, StatusRecorder, StatusTransition, TokenStore, Upstream,
};
use crate::schema::{list_shard_of, JobIndex};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

/// A concurrent writer's change to a record, applied just before a conditional write.
pub type Interference = Box<dyn FnOnce(&mut Job) + Send>;

#[derive(Default)]
struct State {
    jobs: BTreeMap<String, Job>,
    queries: Vec<PartitionQuery>,
    writes: usize,
    /// How many more calls fail, and the reason they give.
    failures: Option<(usize, String)>,
    interference: Vec<Interference>,
}

/// The Jobs table in memory. Calls never wait; every one takes a lock for its whole length,
/// so conditional writes are atomic as DynamoDB's are.
#[derive(Default)]
pub struct MemoryJobs {
    state: Mutex<State>,
}

impl MemoryJobs {
    pub fn new() -> Self {
        Self::default()
    }

    /// A table holding `jobs`. A job without `ListShard` is listed in the shard its writers
    /// would have given it.
    pub fn with_jobs(jobs: impl IntoIterator<Item = Job>) -> Self {
        let table = Self::new();
        for job in jobs {
            table.put(job);
        }
        table
    }

    /// Stores `job` as it is, replacing any record with its id.
    pub fn put(&self, job: Job) {
        self.lock().jobs.insert(job.id.clone(), job);
    }

    /// Stores the record of `id` written as the table's attributes (`{"ProcessStatus": ...}`),
    /// the way the state machines write them.
    pub fn put_attributes(&self, id: &str, attributes: Value) -> Result<(), serde_json::Error> {
        let mut job: Job = serde_json::from_value(attributes)?;
        job.id = id.to_owned();
        self.put(job);
        Ok(())
    }

    /// The record of `id`, with its token.
    pub fn job(&self, id: &str) -> Option<Job> {
        self.lock().jobs.get(id).cloned()
    }

    /// The record of `id` as the table's attributes, without its token (read
    /// [`MemoryJobs::job`] for that).
    pub fn attributes(&self, id: &str) -> Option<Value> {
        self.job(id).and_then(|job| serde_json::to_value(job).ok())
    }

    /// Every record, in id order.
    pub fn jobs(&self) -> Vec<Job> {
        self.lock().jobs.values().cloned().collect()
    }

    /// Every index query asked so far, in order.
    pub fn queries(&self) -> Vec<PartitionQuery> {
        self.lock().queries.clone()
    }

    /// How many writes succeeded (a refused conditional write is not one).
    pub fn writes(&self) -> usize {
        self.lock().writes
    }

    /// The next `calls` calls fail as DynamoDB's would, with `reason` in the message.
    pub fn fail_next(&self, calls: usize, reason: &str) {
        self.lock().failures = Some((calls, reason.to_owned()));
    }

    /// A table whose every call fails with `reason`.
    pub fn failing(reason: &str) -> Self {
        let table = Self::new();
        table.fail_next(usize::MAX, reason);
        table
    }

    /// Runs `change` on the record just before the next status transition is written, as a
    /// writer racing with the caller would.
    pub fn before_next_transition(&self, change: Interference) {
        self.lock().interference.push(change);
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The table for one call of operation `op`, unless that call is to fail.
    fn call(&self, op: &str) -> Result<MutexGuard<'_, State>, Upstream> {
        let mut state = self.lock();
        if let Some((left, reason)) = state.failures.as_mut() {
            if *left > 0 {
                *left -= 1;
                return Err(Upstream(format!("DynamoDB {op} failed: {reason}")));
            }
        }
        Ok(state)
    }
}

impl State {
    /// The record of `id`, created with only its id when absent (an upsert).
    fn upsert(&mut self, id: &JobId) -> &mut Job {
        self.writes += 1;
        self.jobs
            .entry(id.as_str().to_owned())
            .or_insert_with(|| Job {
                id: id.as_str().to_owned(),
                ..Job::default()
            })
    }
}

/// `SET a = if_not_exists(a, value)`.
fn if_absent<T>(field: &mut Option<T>, value: impl FnOnce() -> T) {
    if field.is_none() {
        *field = Some(value());
    }
}

fn shard_of(job: &Job) -> String {
    job.list_shard
        .clone()
        .unwrap_or_else(|| list_shard_of(&job.id))
}

/// What the indexes project: the keys and the attributes of a listing entry.
fn projected(job: &Job) -> Job {
    Job {
        id: job.id.clone(),
        start_action_at: job.start_action_at.clone(),
        last_updated: job.last_updated.clone(),
        process_status: job.process_status,
        ..Job::default()
    }
}

/// One page of one index partition, newest first, after `query.after`.
fn query_partition<'a>(
    jobs: impl IntoIterator<Item = &'a Job>,
    query: &PartitionQuery,
) -> PartitionPage {
    let mut rows: Vec<&Job> = jobs
        .into_iter()
        .filter(|j| match query.index {
            JobIndex::Recent => shard_of(j) == query.partition,
            JobIndex::Status(_) => j
                .process_status
                .is_some_and(|s| s.as_str() == query.partition),
        })
        .collect();
    rows.sort_by(|a, b| sort_key(b).cmp(&sort_key(a)));
    if let Some(after) = &query.after {
        rows.retain(|j| sort_key(j) < (after.last_updated.as_str(), after.id.as_str()));
    }
    let limit = query.limit as usize;
    PartitionPage {
        more: rows.len() > limit,
        items: rows.into_iter().take(limit).map(projected).collect(),
    }
}

/// Whether the record is still as the caller read it, on the fields that order transitions.
fn unchanged(current: Option<&Job>, expected: Option<&Job>) -> bool {
    match (current, expected) {
        (None, None) => true,
        (Some(c), Some(e)) => {
            c.execution_status == e.execution_status
                && c.execution_status_at == e.execution_status_at
                && c.process_status == e.process_status
        }
        _ => false,
    }
}

fn apply_transition(job: &mut Job, id: &JobId, t: &StatusTransition) {
    job.execution_status = Some(t.execution_status);
    job.execution_status_at = Some(t.execution_status_at);
    job.execution_arn = Some(t.execution_arn.clone());
    job.state_machine_arn = Some(t.state_machine_arn.clone());
    job.started_at = Some(format_timestamp(t.started_at));
    job.last_updated = Some(format_timestamp(t.last_updated));
    if_absent(&mut job.list_shard, || list_shard_of(id.as_str()));
    if let Some(exp) = t.expires_at {
        job.expires_at = Some(exp);
    }
    if let Some(p) = t.pattern {
        if_absent(&mut job.pattern, || p);
    }
    if let Some(stopped) = t.stopped_at {
        job.stopped_at = Some(format_timestamp(stopped));
    }
    if let Some(e) = &t.error {
        if_absent(&mut job.error, || e.clone());
    }
    if let Some(c) = &t.cause {
        if_absent(&mut job.cause, || c.clone());
    }
    if let Some(ps) = t.process_status {
        job.process_status = Some(ps);
    }
    if t.remove_task_token {
        job.task_token = None;
    }
}

/// Neither the job nor its execution has ended (the cancel route's condition).
fn still_running(job: Option<&Job>) -> bool {
    job.is_none_or(|j| {
        !j.process_status.is_some_and(JobStatus::is_final)
            && j.execution_status.is_none_or(|s| s.is_running())
    })
}

#[async_trait]
impl JobReader for MemoryJobs {
    async fn get_job(&self, id: &JobId) -> Result<Option<Job>, Upstream> {
        Ok(self.call("GetItem")?.jobs.get(id.as_str()).cloned())
    }
}

#[async_trait]
impl JobLister for MemoryJobs {
    async fn query_partition(&self, query: &PartitionQuery) -> Result<PartitionPage, Upstream> {
        self.lock().queries.push(query.clone());
        let state = self.call("Query")?;
        Ok(query_partition(state.jobs.values(), query))
    }
}

#[async_trait]
impl JobRecorder for MemoryJobs {
    async fn record_job(&self, new: &NewJob) -> Result<(), Upstream> {
        let mut state = self.call("UpdateItem")?;
        let job = state.upsert(&new.id);
        if_absent(&mut job.list_shard, || list_shard_of(new.id.as_str()));
        job.pattern = Some(new.pattern);
        job.execution_arn = Some(new.execution_arn.clone());
        if_absent(&mut job.start_action_at, || {
            format_timestamp(new.start_action_at)
        });
        if_absent(&mut job.process_status, || JobStatus::Scheduled);
        if_absent(&mut job.last_updated, || format_timestamp(new.at));
        Ok(())
    }
}

#[async_trait]
impl TokenStore for MemoryJobs {
    async fn store_token(
        &self,
        id: &JobId,
        token: &crate::domain::TaskToken,
        at: DateTime<Utc>,
    ) -> Result<bool, Upstream> {
        let mut state = self.call("UpdateItem")?;
        let ended = state
            .jobs
            .get(id.as_str())
            .is_some_and(|j| j.process_status.is_some_and(JobStatus::is_final));
        if ended {
            return Ok(false);
        }
        let job = state.upsert(id);
        let now = format_timestamp(at);
        job.task_token = Some(token.clone());
        job.process_status = Some(JobStatus::WaitingForCallback);
        job.last_updated = Some(now.clone());
        if_absent(&mut job.list_shard, || list_shard_of(id.as_str()));
        if_absent(&mut job.pattern, || Pattern::Callback);
        if_absent(&mut job.start_action_at, || now);
        Ok(true)
    }
}

#[async_trait]
impl CancelRequests for MemoryJobs {
    async fn request_cancel(&self, request: &CancelRequest) -> Result<CancelWrite, Upstream> {
        let mut state = self.call("UpdateItem")?;
        if let Some(job) = state.jobs.get(request.id.as_str()) {
            if !still_running(Some(job)) {
                return Ok(CancelWrite::AlreadyEnded {
                    status: job.ended_status(),
                });
            }
        }
        let now = format_timestamp(request.at);
        let job = state.upsert(&request.id);
        job.cancel_requested = true;
        if_absent(&mut job.cancel_requested_at, || now.clone());
        job.last_updated = Some(now);
        if_absent(&mut job.list_shard, || list_shard_of(request.id.as_str()));
        if_absent(&mut job.pattern, || request.pattern);
        if_absent(&mut job.execution_arn, || request.execution_arn.clone());
        if_absent(&mut job.process_status, || JobStatus::Started);
        Ok(CancelWrite::Requested {
            requested_at: job.cancel_requested_at.clone().unwrap_or_default(),
        })
    }
}

#[async_trait]
impl StatusRecorder for MemoryJobs {
    async fn record_transition(
        &self,
        id: &JobId,
        expected: Option<&Job>,
        transition: &StatusTransition,
    ) -> Result<bool, Upstream> {
        let mut state = self.call("UpdateItem")?;
        if let Some(change) = state.interference.pop() {
            if let Some(job) = state.jobs.get_mut(id.as_str()) {
                change(job);
            }
        }
        if !unchanged(state.jobs.get(id.as_str()), expected) {
            return Ok(false);
        }
        apply_transition(state.upsert(id), id, transition);
        Ok(true)
    }

    async fn mark_notified(&self, id: &JobId, at: DateTime<Utc>) -> Result<bool, Upstream> {
        let mut state = self.call("UpdateItem")?;
        let Some(job) = state.jobs.get_mut(id.as_str()) else {
            return Ok(false);
        };
        if job.notified_at.is_some() {
            return Ok(false);
        }
        job.notified_at = Some(format_timestamp(at));
        state.writes += 1;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{parse_rfc3339, ExecutionStatus, TaskToken};

    fn id(s: &str) -> JobId {
        JobId::parse(s).unwrap()
    }

    fn at(s: &str) -> DateTime<Utc> {
        parse_rfc3339(s).unwrap()
    }

    #[tokio::test]
    async fn writes_follow_the_adapters_if_not_exists_rules() {
        let t = MemoryJobs::new();
        t.store_token(
            &id("j"),
            &TaskToken::new("tok").unwrap(),
            at("2026-01-01T00:01:00Z"),
        )
        .await
        .unwrap();
        t.record_job(&NewJob {
            id: id("j"),
            pattern: Pattern::Callback,
            start_action_at: at("2026-01-01T00:00:00Z"),
            execution_arn: "arn:x".into(),
            at: at("2026-01-01T00:05:00Z"),
        })
        .await
        .unwrap();
        let job = t.job("j").unwrap();
        assert_eq!(job.process_status, Some(JobStatus::WaitingForCallback));
        assert_eq!(
            job.last_updated.as_deref(),
            Some("2026-01-01T00:01:00.000Z")
        );
        assert_eq!(
            job.start_action_at.as_deref(),
            Some("2026-01-01T00:01:00.000Z")
        );
        assert_eq!(job.list_shard, Some(list_shard_of("j")));
        assert_eq!(job.execution_arn.as_deref(), Some("arn:x"));
        assert_eq!(t.writes(), 2);
    }

    #[tokio::test]
    async fn cancel_is_refused_once_the_job_or_its_execution_ended() {
        let request = |name: &str| CancelRequest {
            id: id(name),
            pattern: Pattern::Waitable,
            execution_arn: format!("arn:{name}"),
            at: at("2026-01-01T00:00:00Z"),
        };
        let t = MemoryJobs::with_jobs([
            Job {
                id: "done".into(),
                process_status: Some(JobStatus::Completed),
                ..Job::default()
            },
            Job {
                id: "stopped".into(),
                process_status: Some(JobStatus::Started),
                execution_status: Some(ExecutionStatus::Aborted),
                ..Job::default()
            },
        ]);
        for (name, status) in [("done", "COMPLETED"), ("stopped", "ABORTED")] {
            assert_eq!(
                t.request_cancel(&request(name)).await.unwrap(),
                CancelWrite::AlreadyEnded {
                    status: status.into()
                }
            );
        }
        assert_eq!(t.writes(), 0);
        let first = t.request_cancel(&request("new")).await.unwrap();
        let mut later = request("new");
        later.at = at("2026-01-02T00:00:00Z");
        assert_eq!(t.request_cancel(&later).await.unwrap(), first);
        let job = t.job("new").unwrap();
        assert!(job.cancel_requested);
        assert_eq!(job.process_status, Some(JobStatus::Started));
        assert_eq!(job.pattern, Some(Pattern::Waitable));
    }

    #[tokio::test]
    async fn failures_and_queries_are_visible() {
        let t = MemoryJobs::with_jobs([Job {
            id: "a".into(),
            last_updated: Some("2026-01-01T00:00:00.000Z".into()),
            task_token: Some(TaskToken::new("secret").unwrap()),
            ..Job::default()
        }]);
        t.fail_next(1, "throttled");
        let err = t.get_job(&id("a")).await.unwrap_err();
        assert_eq!(err.0, "DynamoDB GetItem failed: throttled");
        assert!(t.get_job(&id("a")).await.unwrap().is_some());
        let query = PartitionQuery {
            index: JobIndex::Recent,
            partition: list_shard_of("a"),
            limit: 5,
            after: None,
        };
        let page = t.query_partition(&query).await.unwrap();
        assert_eq!(page.items.len(), 1);
        assert!(
            page.items[0].task_token.is_none(),
            "the indexes hold no token"
        );
        assert_eq!(t.queries(), [query]);
    }
}
