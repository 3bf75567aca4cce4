//! A local DynamoDB: the API semantics the application and its state machines use, served over
//! the AWS JSON 1.0 protocol so the aws CLI and SDKs talk to it unchanged.
//!
//! State is kept in memory (one `RwLock` per table, items ordered partition -> range key) and,
//! unless opened without a directory, made durable by an append-only log (see [`persist`]).

pub mod error;
pub mod expr;
mod http;
pub mod number;
mod ops;
pub mod persist;
pub mod table;
pub mod value;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use parking_lot::RwLock;
use serde_json::Value;

pub use error::DynamoError;
pub use http::{into_response, TARGET_PREFIX};
use persist::{Log, PersistError, Record};
use table::Table;
use value::{item_from_json, item_to_json};

/// Account id used in ARNs (the local runtime's fixed account).
pub const DEFAULT_ACCOUNT: &str = "123456789012";

pub struct Dynamo {
    tables: RwLock<BTreeMap<String, Arc<RwLock<Table>>>>,
    log: Option<Log>,
    region: String,
    account: String,
}

impl Dynamo {
    /// Opens the store. With a directory, replays and compacts its log; without, memory only.
    /// The region comes from `AWS_REGION` (default `us-east-1`).
    pub fn open(state_dir: Option<PathBuf>) -> Result<Dynamo, PersistError> {
        let region = std::env::var("AWS_REGION")
            .ok()
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| "us-east-1".into());
        Self::open_with(state_dir, &region, DEFAULT_ACCOUNT)
    }

    pub fn open_with(
        state_dir: Option<PathBuf>,
        region: &str,
        account: &str,
    ) -> Result<Dynamo, PersistError> {
        let mut d = Dynamo {
            tables: RwLock::new(BTreeMap::new()),
            log: None,
            region: region.to_string(),
            account: account.to_string(),
        };
        if let Some(dir) = state_dir {
            let records = persist::read_records(&dir)?;
            let n = records.len();
            for r in records {
                d.replay(r);
            }
            let snapshot = d.snapshot();
            tracing::info!(records = n, compacted = snapshot.len(), dir = %dir.display(), "local-dynamodb state loaded");
            d.log = Some(Log::rewrite(&dir, &snapshot)?);
        }
        Ok(d)
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// Applies one log record during start-up; records that no longer apply are skipped.
    fn replay(&mut self, r: Record) {
        let tables = self.tables.get_mut();
        match r {
            Record::CreateTable(def) => match ops::create_table::parse_definition(&def, None) {
                Ok(def) => {
                    tables.insert(def.name.clone(), Arc::new(RwLock::new(Table::new(def))));
                }
                Err(e) => tracing::warn!(error = %e, "skipping logged table definition"),
            },
            Record::DeleteTable(name) => {
                tables.remove(&name);
            }
            Record::Put { table, item } => {
                let Some(t) = tables.get(&table) else { return };
                let mut t = t.write();
                let parsed = item_from_json(&item).and_then(|i| Ok((t.def.key_of_item(&i)?, i)));
                match parsed {
                    Ok((key, item)) => {
                        t.put(key, item);
                    }
                    Err(e) => tracing::warn!(error = %e, "skipping logged item"),
                }
            }
            Record::Delete { table, key } => {
                let Some(t) = tables.get(&table) else { return };
                let mut t = t.write();
                if let Ok(key) = t.def.key_from_param(Some(&key)) {
                    t.remove(&key);
                }
            }
        }
    }

    fn snapshot(&self) -> Vec<Record> {
        let mut out = Vec::new();
        for t in self.tables.read().values() {
            let t = t.read();
            out.push(Record::CreateTable(t.def.to_create_request()));
            for part in t.items.values() {
                for item in part.values() {
                    out.push(Record::Put {
                        table: t.def.name.clone(),
                        item: Value::Object(item_to_json(item)),
                    });
                }
            }
        }
        out
    }

    /// Writes a mutation to the log (if any) before it is applied and acknowledged.
    pub(crate) fn persist(&self, r: Record) -> Result<(), DynamoError> {
        match &self.log {
            Some(log) => log.append(&r),
            None => Ok(()),
        }
    }

    pub(crate) fn table(&self, name: &str) -> Result<Arc<RwLock<Table>>, DynamoError> {
        self.tables
            .read()
            .get(name)
            .cloned()
            .ok_or_else(DynamoError::not_found)
    }

    /// Runs one DynamoDB operation (`"PutItem"`, ...) on a JSON request body.
    pub async fn handle(&self, operation: &str, body: Value) -> Result<Value, DynamoError> {
        if !body.is_object() {
            return Err(DynamoError::Serialization(
                "Start of structure or map found where not expected".into(),
            ));
        }
        ops::dispatch(self, operation, &body)
    }

    /// Creates a table from a CreateTable request or CloudFormation `AWS::DynamoDB::Table`
    /// Properties, unless a table of that name exists. Returns whether it was created.
    pub fn create_table_if_missing(&self, request: &Value) -> Result<bool, DynamoError> {
        ops::create_table::create_if_missing(self, request)
    }

    /// The AWS JSON 1.0 endpoint: `POST /` with `X-Amz-Target: DynamoDB_20120810.<Operation>`.
    pub fn router(self: Arc<Self>) -> axum::Router {
        http::router(self)
    }
}
