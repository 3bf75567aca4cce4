//! SNS adapter for [`Notifier`].

use async_trait::async_trait;
use aws_sdk_sns::error::DisplayErrorContext;
use aws_sdk_sns::Client;

use app_core::ports::Upstream;

use crate::ports::Notifier;

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
    async fn publish(&self, subject: &str, message: &str) -> Result<(), Upstream> {
        self.client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(subject)
            .message(message)
            .send()
            .await
            .map_err(|e| Upstream(format!("SNS Publish: {}", DisplayErrorContext(&e))))?;
        Ok(())
    }
}
