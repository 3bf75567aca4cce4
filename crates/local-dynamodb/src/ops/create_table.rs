//! CreateTable. Tables are ACTIVE at once. The same parser reads CloudFormation
//! `AWS::DynamoDB::Table` Properties (unknown properties are ignored) and the persistence log.

use std::collections::BTreeSet;
use std::sync::Arc;

use parking_lot::RwLock;
use serde_json::{json, Value};

use super::{check_name, null_member};
use crate::error::DynamoError;
use crate::expr::opt_str;
use crate::persist::Record;
use crate::table::{IndexDef, KeySchema, ProjectionKind, Table, TableDef};
use crate::Dynamo;

/// A required string field; `lower` names it in the null refusal.
fn str_field<'a>(v: &'a Value, field: &str, lower: &str) -> Result<&'a str, DynamoError> {
    opt_str(v, field)?.ok_or_else(|| null_member(lower))
}

/// Accepts numbers or numeric strings (CloudFormation templates use both).
fn capacity(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn throughput(v: Option<&Value>) -> Result<Option<(u64, u64)>, DynamoError> {
    let Some(pt) = v else {
        return Ok(None);
    };
    match (capacity(pt.get("ReadCapacityUnits")), capacity(pt.get("WriteCapacityUnits"))) {
        (Some(r), Some(w)) if r >= 1 && w >= 1 => Ok(Some((r, w))),
        _ => Err(DynamoError::validation(
            "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified and at least 1",
        )),
    }
}

fn key_schema(v: Option<&Value>, for_table: bool) -> Result<KeySchema, DynamoError> {
    let arr = match v {
        Some(Value::Array(a)) if !a.is_empty() => a,
        _ if for_table => {
            return Err(DynamoError::validation(
                "No defined key schema.  A key schema containing at least a hash key must be defined for all tables",
            ))
        }
        _ => return Err(null_member("keySchema")),
    };
    if arr.len() > 2 {
        return Err(DynamoError::validation(
            "1 validation error detected: Value at 'keySchema' failed to satisfy constraint: Member must have length less than or equal to 2",
        ));
    }
    let elem = |e: &Value| -> Result<(String, String), DynamoError> {
        Ok((
            str_field(e, "AttributeName", "keySchema.member.attributeName")?.to_string(),
            str_field(e, "KeyType", "keySchema.member.keyType")?.to_string(),
        ))
    };
    let (hash, kt) = elem(&arr[0])?;
    if kt != "HASH" {
        return Err(DynamoError::validation(
            "No Hash Key specified in schema.  All Dynamo DB tables must have exactly one hash key",
        ));
    }
    let range = match arr.get(1) {
        Some(e) => {
            let (name, kt) = elem(e)?;
            if kt != "RANGE" {
                return Err(DynamoError::validation(
                    "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
                ));
            }
            if name == hash {
                return Err(DynamoError::validation(
                    "Both the Hash Key and the Range Key element in the KeySchema have the same name",
                ));
            }
            Some(name)
        }
        None => None,
    };
    Ok(KeySchema { hash, range })
}

fn projection(v: Option<&Value>) -> Result<ProjectionKind, DynamoError> {
    let Some(p) = v else {
        return Err(null_member("projection"));
    };
    let non_key: Option<Vec<String>> =
        p.get("NonKeyAttributes")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            });
    match p.get("ProjectionType").and_then(Value::as_str) {
        Some("ALL") | None if non_key.is_none() => Ok(ProjectionKind::All),
        Some("KEYS_ONLY") if non_key.is_none() => Ok(ProjectionKind::KeysOnly),
        Some("INCLUDE") => Ok(ProjectionKind::Include(non_key.unwrap_or_default())),
        Some("ALL" | "KEYS_ONLY") | None => Err(DynamoError::validation(
            "One or more parameter values were invalid: ProjectionType is ALL or KEYS_ONLY, but NonKeyAttributes is specified",
        )),
        Some(other) => Err(DynamoError::validation(format!(
            "1 validation error detected: Value '{other}' at 'projection.projectionType' failed to satisfy constraint: Member must satisfy enum value set: [ALL, INCLUDE, KEYS_ONLY]"
        ))),
    }
}

/// Parses a CreateTable request into a definition. `default_pay_per_request` is for
/// CloudFormation, where a table without billing settings is valid.
pub fn parse_definition(
    body: &Value,
    default_billing: Option<&str>,
) -> Result<TableDef, DynamoError> {
    let name = str_field(body, "TableName", "tableName")?;
    check_name(name)?;
    let key = key_schema(body.get("KeySchema"), true)?;
    let defs = match body.get("AttributeDefinitions") {
        Some(Value::Array(a)) => a,
        _ => return Err(null_member("attributeDefinitions")),
    };
    let mut attr_types = Vec::new();
    for d in defs {
        let n = str_field(
            d,
            "AttributeName",
            "attributeDefinitions.member.attributeName",
        )?;
        let t = str_field(
            d,
            "AttributeType",
            "attributeDefinitions.member.attributeType",
        )?;
        if !matches!(t, "S" | "N" | "B") {
            return Err(DynamoError::validation(
                "Member must satisfy enum value set: [B, N, S]",
            ));
        }
        if attr_types.iter().any(|(x, _): &(String, String)| x == n) {
            return Err(DynamoError::validation(format!(
                "Cannot have two attributes with the same name; attribute name: {n}"
            )));
        }
        attr_types.push((n.to_string(), t.to_string()));
    }
    let billing = body
        .get("BillingMode")
        .and_then(Value::as_str)
        .or(default_billing);
    let table_tp = throughput(aws_json::member(body, "ProvisionedThroughput"))?;
    let pay_per_request = match (billing, table_tp) {
        (Some("PAY_PER_REQUEST"), None) => true,
        // DynamoDB Local accepts (and ignores) throughput with on-demand billing; so do we.
        (Some("PAY_PER_REQUEST"), Some(_)) => true,
        (Some("PROVISIONED") | None, Some(_)) => false,
        (Some("PROVISIONED") | None, None) => {
            return Err(DynamoError::validation("No provisioned throughput specified for the table"))
        }
        (Some(other), _) => {
            return Err(DynamoError::validation(format!(
                "1 validation error detected: Value '{other}' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]"
            )))
        }
    };
    let mut indexes = Vec::new();
    let mut names = BTreeSet::new();
    for (field, local) in [
        ("GlobalSecondaryIndexes", false),
        ("LocalSecondaryIndexes", true),
    ] {
        let Some(list) = aws_json::member(body, field) else {
            continue;
        };
        let list = list.as_array().ok_or_else(|| {
            DynamoError::Serialization(format!(
                "Unexpected value type in payload: {field} must be a list"
            ))
        })?;
        if list.is_empty() {
            return Err(DynamoError::validation(format!(
                "One or more parameter values were invalid: List of {field} is empty"
            )));
        }
        for idx in list {
            let iname = str_field(idx, "IndexName", "indexName")?;
            check_name(iname)?;
            if !names.insert(iname.to_string()) {
                return Err(DynamoError::validation(format!(
                    "One or more parameter values were invalid: Duplicate index name: {iname}"
                )));
            }
            let ikey = key_schema(idx.get("KeySchema"), false)?;
            if local && (ikey.hash != key.hash || ikey.range.is_none()) {
                return Err(DynamoError::validation(format!(
                    "One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table KeySchema for index: {iname}. index hash key: {}, table hash key: {}",
                    ikey.hash, key.hash
                )));
            }
            if local && key.range.is_none() {
                return Err(DynamoError::validation(
                    "One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex",
                ));
            }
            let tp = if local || pay_per_request {
                None
            } else {
                Some(throughput(aws_json::member(idx, "ProvisionedThroughput"))?.ok_or_else(|| {
                    DynamoError::validation(format!(
                        "One or more parameter values were invalid: ProvisionedThroughput must be specified for index: {iname}"
                    ))
                })?)
            };
            indexes.push(IndexDef {
                name: iname.to_string(),
                key: ikey,
                projection: projection(aws_json::member(idx, "Projection"))?,
                local,
                throughput: tp,
            });
        }
    }
    // Every key attribute must be defined, and nothing else.
    let mut used = BTreeSet::new();
    for (label, k) in std::iter::once(("", &key)).chain(indexes.iter().map(|i| ("Index ", &i.key)))
    {
        for (which, n) in [("Hash", Some(&k.hash)), ("Range", k.range.as_ref())] {
            let Some(n) = n else { continue };
            if !attr_types.iter().any(|(a, _)| a == n) {
                return Err(DynamoError::validation(if label.is_empty() {
                    format!("{which} Key not specified in Attribute Definitions.  Type unknown.")
                } else {
                    format!(
                        "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], AttributeDefinitions: [{}]",
                        k.names().cloned().collect::<Vec<_>>().join(", "),
                        attr_types.iter().map(|(a, _)| a.clone()).collect::<Vec<_>>().join(", ")
                    )
                }));
            }
            used.insert(n.clone());
        }
    }
    if used.len() != attr_types.len() {
        return Err(DynamoError::validation(
            "The number of attributes in key schema must match the number of attributes defined in attribute definitions.",
        ));
    }
    let ttl_attribute = ttl_spec(aws_json::member(body, "TimeToLiveSpecification"))?;
    let created_ms = body
        .get("CreationDateTimeMs")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    Ok(TableDef {
        name: name.to_string(),
        key,
        attr_types,
        indexes,
        pay_per_request,
        throughput: if pay_per_request {
            (0, 0)
        } else {
            table_tp.unwrap_or((0, 0))
        },
        created_ms,
        ttl_attribute,
    })
}

/// A CloudFormation `TimeToLiveSpecification` (or the log's copy): the attribute when enabled.
fn ttl_spec(v: Option<&Value>) -> Result<Option<String>, DynamoError> {
    let Some(spec) = v else {
        return Ok(None);
    };
    let enabled = match spec.get("Enabled") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    };
    if !enabled {
        return Ok(None);
    }
    match spec.get("AttributeName").and_then(Value::as_str) {
        Some(a) if (1..=255).contains(&a.len()) => Ok(Some(a.to_string())),
        _ => Err(DynamoError::validation(
            "TimeToLiveSpecification.AttributeName must be 1 to 255 characters when Enabled",
        )),
    }
}

fn create(d: &Dynamo, def: TableDef) -> Result<Value, DynamoError> {
    let mut tables = d.tables.write();
    if tables.contains_key(&def.name) {
        return Err(DynamoError::ResourceInUse(
            "Cannot create preexisting table".into(),
        ));
    }
    d.persist(Record::CreateTable(def.to_create_request()))?;
    let table = Table::new(def);
    let desc = table.describe(&d.region, &d.account);
    tables.insert(table.def.name.clone(), Arc::new(RwLock::new(table)));
    Ok(desc)
}

pub fn run(d: &Dynamo, body: &Value) -> Result<Value, DynamoError> {
    let mut req = body.clone();
    if let Some(obj) = req.as_object_mut() {
        // Not a CreateTable member: TTL is enabled with UpdateTimeToLive.
        obj.remove("TimeToLiveSpecification");
        obj.insert(
            "CreationDateTimeMs".into(),
            json!(d.now().timestamp_millis()),
        );
    }
    let def = parse_definition(&req, None)?;
    Ok(json!({ "TableDescription": create(d, def)? }))
}

/// What [`apply_template`] did to a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateOutcome {
    Created,
    Unchanged,
    /// Indexes or TTL changed; the items were kept and the indexes rebuilt from them.
    Updated,
}

/// Brings a table in line with a template's `AWS::DynamoDB::Table` Properties, as a stack
/// update would: creates it when missing; when its indexes, attribute definitions or TTL
/// differ, applies the new ones and keeps every item. A different primary key cannot be
/// applied in place (CloudFormation would replace the table) and is refused.
pub fn apply_template(d: &Dynamo, body: &Value) -> Result<TemplateOutcome, DynamoError> {
    let mut req = body.clone();
    if let Some(obj) = req.as_object_mut() {
        // The log field is ours; a template does not set the creation time.
        obj.insert(
            "CreationDateTimeMs".into(),
            json!(d.now().timestamp_millis()),
        );
    }
    let mut def = parse_definition(&req, Some("PAY_PER_REQUEST"))?;
    let existing = d.tables.read().get(&def.name).cloned();
    let Some(table) = existing else {
        return match create(d, def) {
            Ok(_) => Ok(TemplateOutcome::Created),
            Err(DynamoError::ResourceInUse(_)) => Ok(TemplateOutcome::Unchanged),
            Err(e) => Err(e),
        };
    };
    let mut t = table.write();
    if t.def.key != def.key {
        return Err(DynamoError::validation(format!(
            "table {} exists with another primary key; a new key schema needs a new table (delete it or use another state folder)",
            def.name
        )));
    }
    def.created_ms = t.def.created_ms;
    if t.def.to_create_request() == def.to_create_request() {
        return Ok(TemplateOutcome::Unchanged);
    }
    d.persist(Record::Redefine(def.to_create_request()))?;
    t.redefine(def);
    Ok(TemplateOutcome::Updated)
}
