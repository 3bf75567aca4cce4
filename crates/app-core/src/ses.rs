//! Amazon SES (v2) adapter for the email of the wait-until pattern.

use crate::ports::{Email, Mailer, Upstream};
use async_trait::async_trait;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use aws_sdk_sesv2::Client;

#[derive(Debug, Clone)]
pub struct SesMailer {
    client: Client,
    from: String,
}

impl SesMailer {
    pub fn new(sdk: &aws_config::SdkConfig, from: impl Into<String>) -> Self {
        Self::from_client(Client::new(sdk), from)
    }

    pub fn from_client(client: Client, from: impl Into<String>) -> Self {
        Self {
            client,
            from: from.into(),
        }
    }
}

fn content(text: &str) -> Result<Content, Upstream> {
    Content::builder()
        .data(text)
        .charset("UTF-8")
        .build()
        .map_err(|e| Upstream(format!("could not build the email: {e}")))
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, email: &Email) -> Result<String, Upstream> {
        let message = Message::builder()
            .subject(content(&email.subject)?)
            .body(Body::builder().text(content(&email.body)?).build())
            .build();
        let out = self
            .client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(&email.to).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await
            .map_err(|e| Upstream::aws("SES", "SendEmail", &e))?;
        Ok(out.message_id().unwrap_or_default().to_owned())
    }
}
