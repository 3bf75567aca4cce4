use super::{item::n, item::s, written, DynamoJobStore};
use crate::domain::{format_timestamp, Job, JobId};
use crate::ports::{StatusRecorder, StatusTransition, Upstream};
use crate::schema::{attr, list_shard_of};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// The parts of one conditional UpdateItem, built apart from the call so the request shape
/// is easy to read and test.
#[derive(Default)]
struct Update {
    sets: Vec<&'static str>,
    removes: Vec<&'static str>,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Update {
    fn name(&mut self, alias: &str, attribute: &str) {
        self.names.insert(format!("#{alias}"), attribute.to_owned());
    }

    fn value(&mut self, placeholder: &str, value: AttributeValue) {
        self.values.insert(format!(":{placeholder}"), value);
    }

    /// `SET clause` with `#alias` naming `attribute` and `:alias` holding `value`.
    fn set(&mut self, clause: &'static str, alias: &str, attribute: &str, value: AttributeValue) {
        self.name(alias, attribute);
        self.value(alias, value);
        self.sets.push(clause);
    }

    fn expression(&self) -> String {
        let mut text = format!("SET {}", self.sets.join(", "));
        if !self.removes.is_empty() {
            text.push_str(&format!(" REMOVE {}", self.removes.join(", ")));
        }
        text
    }
}

/// What every transition writes, then what only some do.
fn transition_update(id: &JobId, t: &StatusTransition) -> Update {
    let mut u = Update::default();
    u.name("id", attr::ID);
    u.set(
        "#es = :es",
        "es",
        attr::EXECUTION_STATUS,
        s(t.execution_status.as_str()),
    );
    u.set(
        "#esat = :esat",
        "esat",
        attr::EXECUTION_STATUS_AT,
        n(t.execution_status_at),
    );
    u.set(
        "#arn = :arn",
        "arn",
        attr::EXECUTION_ARN,
        s(&t.execution_arn),
    );
    u.set(
        "#sm = :sm",
        "sm",
        attr::STATE_MACHINE_ARN,
        s(&t.state_machine_arn),
    );
    u.set(
        "#started = :started",
        "started",
        attr::STARTED_AT,
        s(format_timestamp(t.started_at)),
    );
    u.set(
        "#lu = :lu",
        "lu",
        attr::LAST_UPDATED,
        s(format_timestamp(t.last_updated)),
    );
    u.set(
        "#shard = if_not_exists(#shard, :shard)",
        "shard",
        attr::LIST_SHARD,
        s(list_shard_of(id.as_str())),
    );
    if let Some(exp) = t.expires_at {
        u.set("#exp = :exp", "exp", attr::EXPIRES_AT, n(exp));
    }
    if let Some(p) = t.pattern {
        u.set(
            "#pattern = if_not_exists(#pattern, :pattern)",
            "pattern",
            attr::PATTERN,
            s(p.as_str()),
        );
    }
    if let Some(stopped) = t.stopped_at {
        u.set(
            "#stopped = :stopped",
            "stopped",
            attr::STOPPED_AT,
            s(format_timestamp(stopped)),
        );
    }
    if let Some(e) = &t.error {
        u.set("#err = if_not_exists(#err, :err)", "err", attr::ERROR, s(e));
    }
    if let Some(c) = &t.cause {
        u.set(
            "#cause = if_not_exists(#cause, :cause)",
            "cause",
            attr::CAUSE,
            s(c),
        );
    }
    if let Some(ps) = t.process_status {
        u.name("ps", attr::STATUS);
        u.value("ps", s(ps.as_str()));
        u.sets.push("#ps = :ps");
    }
    if t.remove_task_token {
        u.name("tok", attr::TASK_TOKEN);
        u.removes.push("#tok");
    }
    u
}

/// The record still as `expected` on the fields that order transitions, or still absent.
fn unchanged_condition(u: &mut Update, expected: Option<&Job>) -> String {
    let Some(e) = expected else {
        return "attribute_not_exists(#id)".into();
    };
    // The condition reads ProcessStatus whether or not the update writes it.
    u.name("ps", attr::STATUS);
    let mut parts = vec!["attribute_exists(#id)".to_owned()];
    let mut check = |alias: &str, old: Option<AttributeValue>| match old {
        None => parts.push(format!("attribute_not_exists(#{alias})")),
        Some(v) => {
            u.value(&format!("o{alias}"), v);
            parts.push(format!("#{alias} = :o{alias}"));
        }
    };
    check("es", e.execution_status.map(|v| s(v.as_str())));
    check("esat", e.execution_status_at.map(n));
    check("ps", e.process_status.map(|v| s(v.as_str())));
    parts.join(" AND ")
}

#[async_trait]
impl StatusRecorder for DynamoJobStore {
    async fn record_transition(
        &self,
        id: &JobId,
        expected: Option<&Job>,
        transition: &StatusTransition,
    ) -> Result<bool, Upstream> {
        let mut u = transition_update(id, transition);
        let condition = unchanged_condition(&mut u, expected);
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(attr::ID, s(id.as_str()))
            .update_expression(u.expression())
            .condition_expression(condition)
            .set_expression_attribute_names(Some(u.names))
            .set_expression_attribute_values(Some(u.values))
            .send()
            .await;
        written(result)
    }

    async fn mark_notified(&self, id: &JobId, at: DateTime<Utc>) -> Result<bool, Upstream> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(attr::ID, s(id.as_str()))
            .update_expression("SET #n = :at")
            .condition_expression("attribute_exists(#id) AND attribute_not_exists(#n)")
            .expression_attribute_names("#n", attr::NOTIFIED_AT)
            .expression_attribute_names("#id", attr::ID)
            .expression_attribute_values(":at", s(format_timestamp(at)))
            .send()
            .await;
        written(result)
    }
}
