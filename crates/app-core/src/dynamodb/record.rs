use super::{item::s, upstream, DynamoJobStore};
use crate::domain::{format_timestamp, JobStatus};
use crate::ports::{JobRecorder, NewJob, Upstream};
use crate::schema::{attr, list_shard_of};
use async_trait::async_trait;

#[async_trait]
impl JobRecorder for DynamoJobStore {
    /// The state machine may already have written its own status (it runs as soon
    /// as it is started), so status and times are only set if absent.
    async fn record_job(&self, job: &NewJob) -> Result<(), Upstream> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key(attr::ID, s(job.id.as_str()))
            .update_expression(
                "SET #shard = if_not_exists(#shard, :shard), #pattern = :pattern, #arn = :arn, \
                 #sa = if_not_exists(#sa, :sa), #ps = if_not_exists(#ps, :ps), \
                 #lu = if_not_exists(#lu, :lu)",
            )
            .expression_attribute_names("#shard", attr::LIST_SHARD)
            .expression_attribute_names("#pattern", attr::PATTERN)
            .expression_attribute_names("#arn", attr::EXECUTION_ARN)
            .expression_attribute_names("#sa", attr::START_ACTION_AT)
            .expression_attribute_names("#ps", attr::STATUS)
            .expression_attribute_names("#lu", attr::LAST_UPDATED)
            .expression_attribute_values(":shard", s(list_shard_of(job.id.as_str())))
            .expression_attribute_values(":pattern", s(job.pattern.as_str()))
            .expression_attribute_values(":arn", s(&job.execution_arn))
            .expression_attribute_values(":sa", s(format_timestamp(job.start_action_at)))
            .expression_attribute_values(":ps", s(JobStatus::Scheduled.as_str()))
            .expression_attribute_values(":lu", s(format_timestamp(job.at)))
            .send()
            .await
            .map_err(|e| upstream("UpdateItem", &e))?;
        Ok(())
    }
}
