//! DynamoDB adapter for [`StatusStore`]: one GetItem, one conditional UpdateItem per attempt.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;

use crate::ports::{JobSnapshot, StatusStore, StatusUpdate, StoreError};

pub struct DynamoStatusStore {
    client: Client,
    table: String,
}

impl DynamoStatusStore {
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

fn snapshot(item: &HashMap<String, AttributeValue>) -> JobSnapshot {
    let text = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned();
    JobSnapshot {
        execution_status: text("ExecutionStatus"),
        execution_status_at: item
            .get("ExecutionStatusAt")
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok()),
        execution_arn: text("ExecutionArn"),
        process_status: text("ProcessStatus"),
        cancel_requested: matches!(
            item.get("CancelRequested"),
            Some(AttributeValue::Bool(true))
        ),
        notified: item.contains_key("NotifiedAt"),
    }
}

/// Builds the UpdateItem expressions; separate so the request shape is easy to test.
pub(crate) struct UpdateExpr {
    pub update: String,
    pub condition: String,
    pub names: HashMap<String, String>,
    pub values: HashMap<String, AttributeValue>,
}

pub(crate) fn build_update(
    id: &str,
    expected: Option<&JobSnapshot>,
    u: &StatusUpdate,
) -> UpdateExpr {
    let mut names = HashMap::new();
    let mut values = HashMap::new();
    let mut sets = Vec::new();
    let mut name = |alias: &str, attr: &str| {
        names.insert(format!("#{alias}"), attr.to_string());
    };
    for (alias, attr) in [
        ("id", "Id"),
        ("es", "ExecutionStatus"),
        ("esat", "ExecutionStatusAt"),
        ("arn", "ExecutionArn"),
        ("sm", "StateMachineArn"),
        ("started", "StartedAt"),
        ("lu", "LastUpdated"),
        ("shard", "ListShard"),
        ("ps", "ProcessStatus"),
    ] {
        name(alias, attr);
    }
    values.insert(":es".into(), s(u.execution_status.as_str()));
    values.insert(
        ":esat".into(),
        AttributeValue::N(u.execution_status_at.to_string()),
    );
    values.insert(":arn".into(), s(&u.execution_arn));
    values.insert(":sm".into(), s(&u.state_machine_arn));
    values.insert(":started".into(), s(&u.started_at));
    values.insert(":lu".into(), s(&u.last_updated));
    values.insert(":shard".into(), s(&app_core::cursor::list_shard_of(id)));
    sets.extend([
        "#es = :es",
        "#esat = :esat",
        "#arn = :arn",
        "#sm = :sm",
        "#started = :started",
        "#lu = :lu",
        "#shard = if_not_exists(#shard, :shard)",
    ]);
    if let Some(exp) = u.expires_at {
        name("exp", "ExpiresAt");
        values.insert(":exp".into(), AttributeValue::N(exp.to_string()));
        sets.push("#exp = :exp");
    }
    if let Some(p) = u.pattern {
        name("pattern", "Pattern");
        values.insert(":pattern".into(), s(p));
        sets.push("#pattern = if_not_exists(#pattern, :pattern)");
    }
    if let Some(stopped) = &u.stopped_at {
        name("stopped", "StoppedAt");
        values.insert(":stopped".into(), s(stopped));
        sets.push("#stopped = :stopped");
    }
    if let Some(e) = &u.error {
        name("err", "Error");
        values.insert(":err".into(), s(e));
        sets.push("#err = if_not_exists(#err, :err)");
    }
    if let Some(c) = &u.cause {
        name("cause", "Cause");
        values.insert(":cause".into(), s(c));
        sets.push("#cause = if_not_exists(#cause, :cause)");
    }
    if let Some(ps) = u.process_status {
        values.insert(":ps".into(), s(ps));
        sets.push("#ps = :ps");
    }
    let mut update = format!("SET {}", sets.join(", "));
    if u.remove_task_token {
        name("tok", "TaskToken");
        update.push_str(" REMOVE #tok");
    }
    let condition = match expected {
        None => "attribute_not_exists(#id)".to_string(),
        Some(e) => {
            let mut parts = vec!["attribute_exists(#id)".to_string()];
            match &e.execution_status {
                None => parts.push("attribute_not_exists(#es)".into()),
                Some(v) => {
                    values.insert(":oes".into(), s(v));
                    parts.push("#es = :oes".into());
                }
            }
            match e.execution_status_at {
                None => parts.push("attribute_not_exists(#esat)".into()),
                Some(v) => {
                    values.insert(":oesat".into(), AttributeValue::N(v.to_string()));
                    parts.push("#esat = :oesat".into());
                }
            }
            match &e.process_status {
                None => parts.push("attribute_not_exists(#ps)".into()),
                Some(v) => {
                    values.insert(":ops".into(), s(v));
                    parts.push("#ps = :ops".into());
                }
            }
            parts.join(" AND ")
        }
    };
    UpdateExpr {
        update,
        condition,
        names,
        values,
    }
}

#[async_trait]
impl StatusStore for DynamoStatusStore {
    async fn get(&self, id: &str) -> Result<Option<JobSnapshot>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("Id", s(id))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| StoreError(format!("GetItem: {}", DisplayErrorContext(&e))))?;
        Ok(out.item().map(snapshot))
    }

    async fn apply(
        &self,
        id: &str,
        expected: Option<&JobSnapshot>,
        update: &StatusUpdate,
    ) -> Result<bool, StoreError> {
        let x = build_update(id, expected, update);
        let res = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("Id", s(id))
            .update_expression(x.update)
            .condition_expression(x.condition)
            .set_expression_attribute_names(Some(x.names))
            .set_expression_attribute_values(Some(x.values))
            .send()
            .await;
        match res {
            Ok(_) => Ok(true),
            Err(e) => match e.into_service_error() {
                UpdateItemError::ConditionalCheckFailedException(_) => Ok(false),
                other => Err(StoreError(format!(
                    "UpdateItem: {}",
                    DisplayErrorContext(&other)
                ))),
            },
        }
    }

    async fn mark_notified(&self, id: &str, at: &str) -> Result<bool, StoreError> {
        let res = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("Id", s(id))
            .update_expression("SET #n = :at")
            .condition_expression("attribute_exists(#id) AND attribute_not_exists(#n)")
            .expression_attribute_names("#n", "NotifiedAt")
            .expression_attribute_names("#id", "Id")
            .expression_attribute_values(":at", s(at))
            .send()
            .await;
        match res {
            Ok(_) => Ok(true),
            Err(e) => match e.into_service_error() {
                UpdateItemError::ConditionalCheckFailedException(_) => Ok(false),
                other => Err(StoreError(format!(
                    "UpdateItem: {}",
                    DisplayErrorContext(&other)
                ))),
            },
        }
    }
}
