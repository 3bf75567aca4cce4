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

use common::clock::{Clock, SystemClock};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use parking_lot::RwLock;
use serde_json::Value;

pub use error::DynamoError;
pub use http::TARGET_PREFIX;
pub use ops::create_table::TemplateOutcome;
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
    /// Table times and TTL follow it (the runtime's one clock; the system clock by default).
    clock: Arc<dyn Clock>,
    /// Woken by writes, so a sweeper that sleeps until the next expiry sees new TTLs.
    ttl_written: tokio::sync::Notify,
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
            clock: Arc::new(SystemClock),
            ttl_written: tokio::sync::Notify::new(),
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

    /// Makes the store read time from `clock`: table creation times and TTL expiry.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Dynamo {
        self.clock = clock;
        self
    }

    /// The time by the store's clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
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
            Record::Redefine(def) => match ops::create_table::parse_definition(&def, None) {
                Ok(def) => {
                    if let Some(t) = tables.get(&def.name) {
                        t.write().redefine(def);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "skipping logged table definition"),
            },
            Record::Ttl { table, attribute } => {
                if let Some(t) = tables.get(&table) {
                    t.write().def.ttl_attribute = attribute;
                }
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

    /// Logs, then stores `item` under `key` in `t`; returns the item it replaced.
    pub(crate) fn put_logged(
        &self,
        t: &mut Table,
        key: table::PrimaryKey,
        item: value::Item,
    ) -> Result<Option<value::Item>, DynamoError> {
        self.persist(Record::Put {
            table: t.def.name.clone(),
            item: Value::Object(item_to_json(&item)),
        })?;
        if t.def
            .ttl_attribute
            .as_ref()
            .is_some_and(|a| item.contains_key(a))
        {
            self.ttl_written.notify_one();
        }
        Ok(t.put(key, item))
    }

    /// Logs, then removes the item under `key` from `t` when there is one; returns it.
    pub(crate) fn delete_logged(
        &self,
        t: &mut Table,
        key: &table::PrimaryKey,
    ) -> Result<Option<value::Item>, DynamoError> {
        if t.get(key).is_none() {
            return Ok(None);
        }
        self.persist(Record::Delete {
            table: t.def.name.clone(),
            key: Value::Object(item_to_json(&t.def.key_item(key))),
        })?;
        Ok(t.remove(key))
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

    /// Creates or updates a table from CloudFormation `AWS::DynamoDB::Table` Properties (or a
    /// CreateTable request), keeping the items of an existing one; see
    /// [`ops::create_table::apply_template`].
    pub fn apply_table_template(&self, request: &Value) -> Result<TemplateOutcome, DynamoError> {
        ops::create_table::apply_template(self, request)
    }

    /// Deletes every item whose TTL has passed at `now` (epoch seconds), as DynamoDB's TTL
    /// process does in the background. Returns how many were deleted.
    pub fn expire_items(&self, now: i64) -> Result<usize, DynamoError> {
        let tables: Vec<_> = self.tables.read().values().cloned().collect();
        let mut deleted = 0;
        for table in tables {
            // Find candidates under the read lock, delete under the write lock after a recheck.
            let keys = table.read().expired_keys(now);
            if keys.is_empty() {
                continue;
            }
            let mut t = table.write();
            let Some(attr) = t.def.ttl_attribute.clone().filter(|_| !t.deleted) else {
                continue;
            };
            for key in keys {
                let still = t
                    .get(&key)
                    .is_some_and(|item| table::ttl_expired(item, &attr, now));
                if !still {
                    continue;
                }
                self.delete_logged(&mut t, &key)?;
                deleted += 1;
            }
        }
        Ok(deleted)
    }

    /// The epoch second at which the next item of a TTL table expires, if any.
    pub fn next_expiry(&self, now: i64) -> Option<i64> {
        let tables: Vec<_> = self.tables.read().values().cloned().collect();
        tables
            .iter()
            .filter_map(|t| t.read().next_expiry(now))
            .min()
    }

    /// Runs [`Dynamo::expire_items`] by the store's clock, as DynamoDB's TTL process does:
    /// at most every `every`, and only when an item has expired since the last sweep (a sweep
    /// sleeps until the next expiry, or a write of a TTL). A clock moved ahead deletes what
    /// expired in between, in time order. Runs until the task is dropped or aborted.
    pub fn spawn_ttl_sweeper(
        self: Arc<Self>,
        every: std::time::Duration,
    ) -> tokio::task::JoinHandle<()> {
        let tracker = self.clock.clone();
        let clock = self.clock.clone();
        let every = chrono::TimeDelta::from_std(every).unwrap_or(chrono::TimeDelta::MAX);
        let sweeper = async move {
            let mut last: Option<chrono::DateTime<chrono::Utc>> = None;
            let mut due = clock.now();
            loop {
                tokio::select! {
                    _ = clock.sleep_until(due) => {}
                    _ = self.ttl_written.notified() => {
                        let soonest = last.map_or_else(|| clock.now(), |l| common::clock::plus_millis(l, every.num_milliseconds()));
                        due = due.min(soonest);
                        continue;
                    }
                }
                let now = clock.now();
                let d = self.clone();
                // A sweep walks every item of the TTL tables: off the async workers, and
                // counted as work in flight while it runs.
                let busy = clock.busy();
                let swept = tokio::task::spawn_blocking(move || {
                    let n = d.expire_items(now.timestamp());
                    (n, d.next_expiry(now.timestamp()))
                })
                .await;
                drop(busy);
                let next = match swept {
                    Ok((Ok(n), next)) => {
                        if n > 0 {
                            tracing::debug!(deleted = n, "TTL: expired items deleted");
                        }
                        next
                    }
                    Ok((Err(e), next)) => {
                        tracing::warn!(error = %e, "TTL sweep failed");
                        next
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "TTL sweep panicked");
                        None
                    }
                };
                last = Some(now);
                let period = common::clock::plus_millis(now, every.num_milliseconds());
                due = next
                    .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
                    .map_or(chrono::DateTime::<chrono::Utc>::MAX_UTC, |t| t.max(period));
            }
        };
        tokio::spawn(tracker.track(Box::pin(sweeper)))
    }

    /// The AWS JSON 1.0 endpoint: `POST /` with `X-Amz-Target: DynamoDB_20120810.<Operation>`.
    pub fn router(self: Arc<Self>) -> axum::Router {
        aws_json::router(self)
    }
}
