use super::{item::s, written, DynamoJobStore};
use crate::domain::{format_timestamp, JobId, JobStatus, Pattern, TaskToken};
use crate::ports::{TokenStore, Upstream};
use crate::schema::{attr, list_shard_of};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[async_trait]
impl TokenStore for DynamoJobStore {
    /// An upsert (console-started executions may have no item yet, and the item must show up
    /// in `RecentIndex` / `StatusIndex` either way), conditional on the job not having ended.
    async fn store_token(
        &self,
        id: &JobId,
        token: &TaskToken,
        at: DateTime<Utc>,
    ) -> Result<bool, Upstream> {
        let now = format_timestamp(at);
        let not_final: Vec<String> = JobStatus::finals()
            .map(|f| format!(":{}", f.as_str().replace('_', "").to_ascii_lowercase()))
            .collect();
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(attr::ID, s(id.as_str()))
            .update_expression(
                "SET #tt = :tt, #ps = :ps, #lu = :lu, #shard = if_not_exists(#shard, :shard), \
                 #pattern = if_not_exists(#pattern, :pattern), #sa = if_not_exists(#sa, :lu)",
            )
            .expression_attribute_names("#tt", attr::TASK_TOKEN)
            .expression_attribute_names("#ps", attr::STATUS)
            .expression_attribute_names("#lu", attr::LAST_UPDATED)
            .expression_attribute_names("#shard", attr::LIST_SHARD)
            .expression_attribute_names("#pattern", attr::PATTERN)
            .expression_attribute_names("#sa", attr::START_ACTION_AT)
            .expression_attribute_values(":tt", s(token.expose()))
            .expression_attribute_values(":ps", s(JobStatus::WaitingForCallback.as_str()))
            .expression_attribute_values(":lu", s(now))
            .expression_attribute_values(":shard", s(list_shard_of(id.as_str())))
            .expression_attribute_values(":pattern", s(Pattern::Callback.as_str()))
            .condition_expression(format!(
                "attribute_not_exists(#ps) OR NOT #ps IN ({})",
                not_final.join(", ")
            ));
        for (f, placeholder) in JobStatus::finals().zip(&not_final) {
            update = update.expression_attribute_values(placeholder, s(f.as_str()));
        }
        written(update.send().await)
    }
}
