use super::{item::s, upstream, DynamoJobStore};
use crate::domain::{format_timestamp, JobId, JobStatus, Pattern, TaskToken};
use crate::ports::{TokenStore, Upstream};
use crate::schema::{attr, list_shard_of};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[async_trait]
impl TokenStore for DynamoJobStore {
    /// An upsert: console-started executions have no item yet, and the item must
    /// show up in `RecentIndex` / `StatusIndex` either way.
    async fn store_token(
        &self,
        id: &JobId,
        token: &TaskToken,
        at: DateTime<Utc>,
    ) -> Result<(), Upstream> {
        let now = format_timestamp(at);
        self.client
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
            .send()
            .await
            .map_err(|e| upstream("UpdateItem", &e))?;
        Ok(())
    }
}
