//! A small caller of an AWS JSON 1.0 endpoint, for benches and tests that drive a service
//! over HTTP the way an SDK would, without an SDK's set-up.

use serde_json::Value;

use crate::{CONTENT_TYPE, TARGET_HEADER};

/// Posts operations of one service (named by its target prefix) to one endpoint.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    url: String,
    target_prefix: String,
}

impl Client {
    /// A client of the service whose operations start with `target_prefix` (with its dot,
    /// e.g. `AWSStepFunctions.`) at `url`.
    pub fn new(url: impl Into<String>, target_prefix: impl Into<String>) -> Client {
        Client {
            http: reqwest::Client::new(),
            url: url.into(),
            target_prefix: target_prefix.into(),
        }
    }

    /// Runs `operation` on `input`: its output, or the error body (or transport error) as text.
    pub async fn call(&self, operation: &str, input: &Value) -> Result<Value, String> {
        let resp = self
            .http
            .post(&self.url)
            .header("content-type", CONTENT_TYPE)
            .header(TARGET_HEADER, format!("{}{operation}", self.target_prefix))
            .body(input.to_string())
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let ok = resp.status().is_success();
        let body: Value = resp.json().await.map_err(|e| e.to_string())?;
        if ok {
            Ok(body)
        } else {
            Err(body.to_string())
        }
    }
}
