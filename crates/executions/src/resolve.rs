//! `{id}` is a job id or an execution name: the API names executions after their job, the
//! console and the aws CLI may not (the job is then the input's `jobId`). Names are unique per
//! state machine only, so the job record's ExecutionArn decides when it names one of ours;
//! otherwise every machine is asked for an execution of that name.

use app_core::{Job, JobId, Pattern};
use futures::future::join_all;

use crate::api::Api;
use crate::http::ApiError;
use crate::machines::execution_arn;
use crate::ports::{ExecutionDetail, SfnError};

pub struct Resolved {
    /// The job the execution runs.
    pub id: JobId,
    pub machine: Pattern,
    pub detail: ExecutionDetail,
    /// The job record, without its task token.
    pub job: Option<Job>,
}

pub fn upstream(e: impl std::fmt::Display) -> ApiError {
    ApiError::upstream(format!("AWS call failed: {e}"))
}

pub fn sfn_upstream(e: SfnError) -> ApiError {
    upstream(e)
}

/// The id as a job id: a name Step Functions accepts.
pub fn check_name(id: &str) -> Result<JobId, ApiError> {
    JobId::parse(id).map_err(|_| {
        crate::http::invalid(
            "execution id must be 1 to 80 characters without spaces or any of <>{}[]?*\"#%\\^|~`$&,;:/",
        )
    })
}

pub async fn resolve(api: &Api, id: &str) -> Result<Resolved, ApiError> {
    let job_id = check_name(id)?;
    let mut job = api.jobs.get_job(&job_id).await.map_err(upstream)?;
    if let Some(j) = job.as_mut() {
        j.task_token = None;
    }
    let recorded = job
        .as_ref()
        .and_then(|j| j.execution_arn.as_deref())
        .and_then(|arn| Some((api.cfg.machine_of_execution(arn)?, arn.to_string())));
    if let Some((machine, arn)) = recorded {
        if let Some(detail) = api
            .sfn
            .describe_execution(&arn)
            .await
            .map_err(sfn_upstream)?
        {
            return Ok(Resolved {
                id: job_id,
                machine,
                detail,
                job,
            });
        }
    }
    let lookups = Pattern::ALL.into_iter().filter_map(|m| {
        let arn = execution_arn(api.cfg.machine_arn(m), id)?;
        Some(async move { (m, api.sfn.describe_execution(&arn).await) })
    });
    let mut found: Vec<(Pattern, ExecutionDetail)> = Vec::new();
    for (m, r) in join_all(lookups).await {
        if let Some(d) = r.map_err(sfn_upstream)? {
            found.push((m, d));
        }
    }
    // The same name on two machines: the newest execution is the one a user most likely means.
    found.sort_by_key(|f| std::cmp::Reverse(f.1.start_ms));
    let Some((machine, detail)) = found.into_iter().next() else {
        return Err(ApiError::not_found(format!(
            "no execution named `{id}` in this stack's state machines"
        )));
    };
    // The execution may run a job of another id (its input's jobId): that record is its job's.
    let runs = app_core::domain::job_of_execution(&detail.name, detail.input.as_deref());
    let (job_id, job) = match runs {
        Some(other) if other != job_id => {
            let mut record = api.jobs.get_job(&other).await.map_err(upstream)?;
            if let Some(j) = record.as_mut() {
                j.task_token = None;
            }
            (other, record)
        }
        _ => (job_id, job),
    };
    // A record that belongs to another execution of the same name is not this one's.
    let job = job.filter(|j| {
        j.execution_arn
            .as_deref()
            .is_none_or(|a| a == detail.execution_arn)
    });
    Ok(Resolved {
        id: job_id,
        machine,
        detail,
        job,
    })
}
