use super::{item::job_from_item, upstream, DynamoJobStore};
use crate::domain::{Job, JobId};
use crate::ports::{JobReader, Upstream};
use crate::schema::attr;
use async_trait::async_trait;

#[async_trait]
impl JobReader for DynamoJobStore {
    async fn get_job(&self, id: &JobId) -> Result<Option<Job>, Upstream> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(attr::ID, super::item::s(id.as_str()))
            // A callback may arrive right after send-wait stored the token.
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| upstream("GetItem", &e))?;
        Ok(out.item().map(job_from_item))
    }
}
