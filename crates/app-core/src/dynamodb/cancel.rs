use super::{condition_failed, item::s, upstream, DynamoJobStore};
use crate::domain::{format_timestamp, ExecutionStatus, JobStatus};
use crate::ports::{CancelRequest, CancelRequests, CancelWrite, JobReader, Upstream};
use crate::schema::{attr, list_shard_of};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

/// The placeholder of a final status in the condition (`:timedout` for `TIMED_OUT`).
fn placeholder(status: JobStatus) -> String {
    format!(":{}", status.as_str().replace('_', "").to_ascii_lowercase())
}

/// Neither the job nor its execution has ended: ProcessStatus absent or not final, and
/// ExecutionStatus absent or RUNNING.
fn still_running_condition() -> String {
    let not_final: Vec<String> = JobStatus::finals()
        .map(|f| format!("#ps <> {}", placeholder(f)))
        .collect();
    format!(
        "(attribute_not_exists(#ps) OR ({})) AND (attribute_not_exists(#es) OR #es = :running)",
        not_final.join(" AND ")
    )
}

#[async_trait]
impl CancelRequests for DynamoJobStore {
    /// One conditional UpdateItem; when its condition fails, the record is read to say how
    /// the job ended.
    async fn request_cancel(&self, request: &CancelRequest) -> Result<CancelWrite, Upstream> {
        let id = request.id.as_str();
        let now = format_timestamp(request.at);
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(attr::ID, s(id))
            .update_expression(
                "SET #cr = :true, #cra = if_not_exists(#cra, :now), #lu = :now, \
                 #shard = if_not_exists(#shard, :shard), #pattern = if_not_exists(#pattern, :pattern), \
                 #arn = if_not_exists(#arn, :arn), #ps = if_not_exists(#ps, :started)",
            )
            .condition_expression(still_running_condition())
            .expression_attribute_names("#cr", attr::CANCEL_REQUESTED)
            .expression_attribute_names("#cra", attr::CANCEL_REQUESTED_AT)
            .expression_attribute_names("#lu", attr::LAST_UPDATED)
            .expression_attribute_names("#shard", attr::LIST_SHARD)
            .expression_attribute_names("#pattern", attr::PATTERN)
            .expression_attribute_names("#arn", attr::EXECUTION_ARN)
            .expression_attribute_names("#ps", attr::STATUS)
            .expression_attribute_names("#es", attr::EXECUTION_STATUS)
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":now", s(&now))
            .expression_attribute_values(":shard", s(list_shard_of(id)))
            .expression_attribute_values(":pattern", s(request.pattern.as_str()))
            .expression_attribute_values(":arn", s(&request.execution_arn))
            .expression_attribute_values(":started", s(JobStatus::Started.as_str()))
            .expression_attribute_values(":running", s(ExecutionStatus::Running.as_str()))
            .return_values(ReturnValue::AllNew);
        for status in JobStatus::finals() {
            update = update.expression_attribute_values(placeholder(status), s(status.as_str()));
        }
        match update.send().await {
            Ok(out) => Ok(CancelWrite::Requested {
                requested_at: out
                    .attributes()
                    .and_then(|a| a.get(attr::CANCEL_REQUESTED_AT))
                    .and_then(|v| v.as_s().ok())
                    .cloned()
                    .unwrap_or(now),
            }),
            Err(e) if condition_failed(&e) => {
                let job = self.get_job(&request.id).await?.unwrap_or_default();
                Ok(CancelWrite::AlreadyEnded {
                    status: job.ended_status(),
                })
            }
            Err(e) => Err(upstream("UpdateItem", &e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_condition_names_every_final_status() {
        assert_eq!(
            still_running_condition(),
            "(attribute_not_exists(#ps) OR (#ps <> :completed AND #ps <> :failed AND \
             #ps <> :timedout AND #ps <> :cancelled)) AND (attribute_not_exists(#es) OR #es = :running)"
        );
    }
}
