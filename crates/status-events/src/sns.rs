//! SNS adapter for [`Notifier`].

use async_trait::async_trait;
use aws_sdk_sns::error::DisplayErrorContext;
use aws_sdk_sns::Client;

use crate::ports::{Notifier, StoreError};

pub struct SnsNotifier {
    client: Client,
    topic_arn: String,
}

impl SnsNotifier {
    pub fn new(client: Client, topic_arn: impl Into<String>) -> Self {
        Self {
            client,
            topic_arn: topic_arn.into(),
        }
    }
}

#[async_trait]
impl Notifier for SnsNotifier {
    async fn publish(&self, subject: &str, message: &str) -> Result<(), StoreError> {
        self.client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(subject)
            .message(message)
            .send()
            .await
            .map_err(|e| StoreError(format!("SNS Publish: {}", DisplayErrorContext(&e))))?;
        Ok(())
    }
}
