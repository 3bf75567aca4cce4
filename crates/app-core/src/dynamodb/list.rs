use super::{item::job_from_item, item::s, upstream, DynamoJobStore};
use crate::ports::{JobLister, PartitionPage, PartitionQuery, Upstream};
use crate::schema::attr;
use async_trait::async_trait;
use std::collections::HashMap;

#[async_trait]
impl JobLister for DynamoJobStore {
    /// A Query of one partition of a listing GSI, newest first. Only the summary attributes
    /// are asked for, and the indexes project nothing else, so the task token never leaves
    /// the base table.
    async fn query_partition(&self, query: &PartitionQuery) -> Result<PartitionPage, Upstream> {
        let pk_name = query.index.hash_key();
        let start = query.after.as_ref().map(|pos| {
            HashMap::from([
                (pk_name.to_owned(), s(&query.partition)),
                (attr::ID.to_owned(), s(&pos.id)),
                (attr::LAST_UPDATED.to_owned(), s(&pos.last_updated)),
            ])
        });
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(query.index.name())
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", pk_name)
            .expression_attribute_values(":pk", s(&query.partition))
            .projection_expression("#id, #sa, #lu, #ps")
            .expression_attribute_names("#id", attr::ID)
            .expression_attribute_names("#sa", attr::START_ACTION_AT)
            .expression_attribute_names("#lu", attr::LAST_UPDATED)
            .expression_attribute_names("#ps", attr::STATUS)
            .scan_index_forward(false)
            .limit(i32::try_from(query.limit).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| upstream("Query", &e))?;
        Ok(PartitionPage {
            items: out.items().iter().map(job_from_item).collect(),
            more: out.last_evaluated_key().is_some(),
        })
    }
}
