use super::{attr, item::job_from_item, upstream, DynamoJobStore};
use crate::cursor::PageKey;
use crate::ports::{JobLister, JobPage, ListQuery, Upstream};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::{BTreeMap, HashMap};

#[async_trait]
impl JobLister for DynamoJobStore {
    /// A Query on the GSI of the listing, newest first; only the summary attributes
    /// are read, so the task token never even leaves the table.
    async fn list_jobs(&self, query: &ListQuery) -> Result<JobPage, Upstream> {
        let (pk_name, pk_value) = query.index.partition();
        let start = query.start.as_ref().map(|key| {
            key.attributes()
                .iter()
                .map(|(k, v)| (k.clone(), AttributeValue::S(v.clone())))
                .collect::<HashMap<_, _>>()
        });
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(query.index.name())
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", pk_name)
            .expression_attribute_values(":pk", AttributeValue::S(pk_value.to_owned()))
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
        let next = out.last_evaluated_key().map(|key| {
            PageKey::new(
                key.iter()
                    .filter_map(|(k, v)| v.as_s().ok().map(|s| (k.clone(), s.clone())))
                    .collect::<BTreeMap<_, _>>(),
            )
        });
        Ok(JobPage {
            items: out.items().iter().map(job_from_item).collect(),
            next,
        })
    }
}
