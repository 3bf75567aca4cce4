//! Reads the record, decides, writes conditionally; on a lost race it reads again, so two
//! deliveries handled at the same time still end with the newest status stored.

use std::sync::Arc;

use app_core::ports::Upstream;
use app_core::{Clock, ExecutionStatus, JobId, Pattern};
use serde::Serialize;

use crate::decide::{decide, effective_status, expires_at, worth_notifying, Decision, SkipReason};
use crate::error::StatusEventError;
use crate::event::StatusChange;
use crate::notify;
use crate::ports::{Notifier, TrackerStore};

const MAX_ATTEMPTS: usize = 5;

pub struct StatusTracker {
    pub store: Arc<dyn TrackerStore>,
    pub notifier: Option<Arc<dyn Notifier>>,
    /// (state machine ARN, its pattern) of this stack's machines; empty accepts every machine.
    pub machines: Vec<(String, Pattern)>,
    pub clock: Arc<dyn Clock>,
    /// `JOB_RETENTION_DAYS`: how long a finished job stays in the table (`None`: for ever).
    pub retention_days: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub job_id: String,
    /// `applied`, `duplicate`, `stale`, `other-execution`, `ignored-status`, `foreign-machine`,
    /// `no-job` (the input names a `jobId` that no machine can run).
    pub outcome: &'static str,
    pub status: Option<ExecutionStatus>,
    pub notified: bool,
}

fn skip_name(r: SkipReason) -> &'static str {
    match r {
        SkipReason::IgnoredStatus => "ignored-status",
        SkipReason::OtherExecution => "other-execution",
        SkipReason::Stale => "stale",
        SkipReason::Duplicate => "duplicate",
    }
}

impl StatusTracker {
    fn pattern_of(&self, machine_arn: &str) -> Result<Option<Pattern>, ()> {
        if self.machines.is_empty() {
            return Ok(None);
        }
        self.machines
            .iter()
            .find(|(arn, _)| arn == machine_arn)
            .map(|(_, p)| Some(*p))
            .ok_or(())
    }

    /// Updates the record of the job the execution runs, never another: an execution started
    /// from the console or the CLI may have a name other than its job's id. A record is only
    /// created for an execution that ended without its machine writing one (an input the
    /// machine refused), under that same job id.
    pub async fn handle(&self, ev: &StatusChange) -> Result<Outcome, StatusEventError> {
        let Some(job) = ev.job_id() else {
            tracing::warn!(execution = %ev.execution_arn, "the input's jobId is not a job id; no record to update");
            return Ok(Outcome {
                job_id: ev.name.to_string(),
                outcome: "no-job",
                status: None,
                notified: false,
            });
        };
        let mut out = Outcome {
            job_id: job.to_string(),
            outcome: "applied",
            status: None,
            notified: false,
        };
        let Ok(pattern) = self.pattern_of(&ev.state_machine_arn) else {
            tracing::warn!(machine = %ev.state_machine_arn, "event for a machine outside this stack");
            out.outcome = "foreign-machine";
            return Ok(out);
        };
        let up = |e: Upstream| StatusEventError::Upstream(e.0);
        for _ in 0..MAX_ATTEMPTS {
            let rec = self.store.get_job(&job).await.map_err(up)?;
            match decide(ev, rec.as_ref(), pattern, self.clock.now()) {
                Decision::Apply(mut update) => {
                    update.expires_at =
                        expires_at(update.execution_status, ev.at_ms(), self.retention_days);
                    if !self
                        .store
                        .record_transition(&job, rec.as_ref(), &update)
                        .await
                        .map_err(up)?
                    {
                        tracing::debug!(job = %job, "record changed under us; reading again");
                        continue;
                    }
                    let status = update.execution_status;
                    out.status = Some(status);
                    tracing::info!(job = %job, status = status.as_str(), "execution status recorded");
                    out.notified = self.notify_once(ev, &job, status, false).await?;
                    return Ok(out);
                }
                Decision::Skip(reason) => {
                    out.outcome = skip_name(reason);
                    tracing::info!(job = %job, event_status = %ev.raw_status, outcome = out.outcome, "event not applied");
                    if reason == SkipReason::Duplicate {
                        // The first delivery may have stored the status but failed to notify.
                        if let (Some(raw), Some(r)) = (ev.status, rec.as_ref()) {
                            let status = effective_status(ev, raw, Some(r));
                            out.status = Some(status);
                            out.notified = self
                                .notify_once(ev, &job, status, r.notified_at.is_some())
                                .await?;
                        }
                    }
                    return Ok(out);
                }
            }
        }
        Err(StatusEventError::Conflict(job.to_string()))
    }

    async fn notify_once(
        &self,
        ev: &StatusChange,
        job: &JobId,
        status: ExecutionStatus,
        already: bool,
    ) -> Result<bool, StatusEventError> {
        let Some(notifier) = &self.notifier else {
            return Ok(false);
        };
        if already || !worth_notifying(status) {
            return Ok(false);
        }
        notifier
            .publish(&notify::subject(ev, status), &notify::message(ev, status))
            .await
            .map_err(|e| StatusEventError::Upstream(e.0))?;
        self.store
            .mark_notified(job, self.clock.now())
            .await
            .map_err(|e| StatusEventError::Upstream(e.0))?;
        Ok(true)
    }
}
