//! DynamoDB adapter for [`JobStore`].

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use aws_sdk_dynamodb::Client;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Map, Value};

use crate::ports::{CancelWrite, JobStore, StoreError};

/// ProcessStatus values after which a cancel request is meaningless.
pub const FINAL_PROCESS_STATUSES: [&str; 4] = ["COMPLETED", "FAILED", "TIMED_OUT", "CANCELLED"];

pub struct DynamoJobs {
    client: Client,
    table: String,
}

impl DynamoJobs {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

fn number(n: &str) -> Value {
    n.parse::<i64>()
        .map(Value::from)
        .ok()
        .or_else(|| {
            n.parse::<f64>()
                .ok()
                .and_then(|f| serde_json::Number::from_f64(f).map(Value::Number))
        })
        .unwrap_or_else(|| Value::String(n.to_string()))
}

/// DynamoDB's typed values as plain JSON, the way the routes show records.
pub fn to_json(v: &AttributeValue) -> Value {
    match v {
        AttributeValue::S(s) => json!(s),
        AttributeValue::N(n) => number(n),
        AttributeValue::Bool(b) => json!(b),
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::M(m) => Value::Object(item_to_json(m)),
        AttributeValue::L(l) => Value::Array(l.iter().map(to_json).collect()),
        AttributeValue::Ss(ss) => json!(ss),
        AttributeValue::Ns(ns) => Value::Array(ns.iter().map(|n| number(n)).collect()),
        AttributeValue::B(b) => json!(STANDARD.encode(b.as_ref())),
        AttributeValue::Bs(bs) => Value::Array(
            bs.iter()
                .map(|b| json!(STANDARD.encode(b.as_ref())))
                .collect(),
        ),
        _ => Value::Null,
    }
}

pub fn item_to_json(item: &HashMap<String, AttributeValue>) -> Map<String, Value> {
    item.iter().map(|(k, v)| (k.clone(), to_json(v))).collect()
}

#[async_trait]
impl JobStore for DynamoJobs {
    async fn get_job(&self, id: &str) -> Result<Option<Map<String, Value>>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("Id", s(id))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| StoreError(format!("GetItem: {}", DisplayErrorContext(&e))))?;
        Ok(out.item().map(item_to_json))
    }

    async fn request_cancel(
        &self,
        id: &str,
        pattern: &str,
        execution_arn: &str,
        now: &str,
    ) -> Result<CancelWrite, StoreError> {
        let res = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("Id", s(id))
            .update_expression(
                "SET #cr = :true, #cra = if_not_exists(#cra, :now), #lu = :now, \
                 #shard = if_not_exists(#shard, :shard), #pattern = if_not_exists(#pattern, :pattern), \
                 #arn = if_not_exists(#arn, :arn), #ps = if_not_exists(#ps, :started)",
            )
            .condition_expression(
                "(attribute_not_exists(#ps) OR (#ps <> :completed AND #ps <> :failed AND #ps <> :timedout AND #ps <> :cancelled)) \
                 AND (attribute_not_exists(#es) OR #es = :running)",
            )
            .expression_attribute_names("#cr", "CancelRequested")
            .expression_attribute_names("#cra", "CancelRequestedAt")
            .expression_attribute_names("#lu", "LastUpdated")
            .expression_attribute_names("#shard", app_core::dynamodb::attr::LIST_SHARD)
            .expression_attribute_names("#pattern", "Pattern")
            .expression_attribute_names("#arn", "ExecutionArn")
            .expression_attribute_names("#ps", "ProcessStatus")
            .expression_attribute_names("#es", "ExecutionStatus")
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":now", s(now))
            .expression_attribute_values(":shard", s(&app_core::cursor::list_shard_of(id)))
            .expression_attribute_values(":pattern", s(pattern))
            .expression_attribute_values(":arn", s(execution_arn))
            .expression_attribute_values(":started", s("STARTED"))
            .expression_attribute_values(":completed", s(FINAL_PROCESS_STATUSES[0]))
            .expression_attribute_values(":failed", s(FINAL_PROCESS_STATUSES[1]))
            .expression_attribute_values(":timedout", s(FINAL_PROCESS_STATUSES[2]))
            .expression_attribute_values(":cancelled", s(FINAL_PROCESS_STATUSES[3]))
            .expression_attribute_values(":running", s("RUNNING"))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match res {
            Ok(out) => {
                let at = out
                    .attributes()
                    .and_then(|a| a.get("CancelRequestedAt"))
                    .and_then(|v| v.as_s().ok())
                    .cloned()
                    .unwrap_or_else(|| now.to_string());
                Ok(CancelWrite::Requested { requested_at: at })
            }
            Err(e) => match e.into_service_error() {
                UpdateItemError::ConditionalCheckFailedException(_) => {
                    let job = self.get_job(id).await?.unwrap_or_default();
                    let status = ["ExecutionStatus", "ProcessStatus"]
                        .iter()
                        .filter_map(|k| job.get(*k).and_then(Value::as_str))
                        .find(|s| *s != "RUNNING")
                        .unwrap_or("unknown")
                        .to_string();
                    Ok(CancelWrite::AlreadyFinal {
                        process_status: status,
                    })
                }
                other => Err(StoreError(format!(
                    "UpdateItem: {}",
                    DisplayErrorContext(&other)
                ))),
            },
        }
    }
}
