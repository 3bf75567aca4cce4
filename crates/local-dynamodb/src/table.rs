//! A table: its definition and its items, ordered partition -> range key, plus one ordered
//! index per secondary index so index queries cost O(log n + page).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use crate::error::DynamoError;
use crate::value::{item_from_json, item_size, AttrValue, Item, KeyVal};

#[derive(Clone, Debug, PartialEq)]
pub struct KeySchema {
    pub hash: String,
    pub range: Option<String>,
}

impl KeySchema {
    pub fn names(&self) -> impl Iterator<Item = &String> {
        std::iter::once(&self.hash).chain(self.range.iter())
    }

    fn to_json(&self) -> Value {
        let mut v = vec![json!({"AttributeName": self.hash, "KeyType": "HASH"})];
        if let Some(r) = &self.range {
            v.push(json!({"AttributeName": r, "KeyType": "RANGE"}));
        }
        Value::Array(v)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum ProjectionKind {
    All,
    KeysOnly,
    Include(Vec<String>),
}

#[derive(Clone, Debug)]
pub struct IndexDef {
    pub name: String,
    pub key: KeySchema,
    pub projection: ProjectionKind,
    pub local: bool,
    pub throughput: Option<(u64, u64)>,
}

pub type PrimaryKey = (KeyVal, Option<KeyVal>);
/// One index partition: index range key -> primary keys of the items carrying it.
pub type IndexPartition = BTreeMap<Option<KeyVal>, BTreeSet<PrimaryKey>>;

#[derive(Clone, Debug)]
pub struct TableDef {
    pub name: String,
    pub key: KeySchema,
    pub attr_types: Vec<(String, String)>,
    pub indexes: Vec<IndexDef>,
    pub pay_per_request: bool,
    pub throughput: (u64, u64),
    /// Epoch milliseconds.
    pub created_ms: i64,
    /// The TTL attribute while Time to Live is enabled (UpdateTimeToLive, or a template's
    /// `TimeToLiveSpecification`).
    pub ttl_attribute: Option<String>,
}

pub struct Table {
    pub def: TableDef,
    pub items: BTreeMap<KeyVal, BTreeMap<Option<KeyVal>, Item>>,
    pub index_data: Vec<BTreeMap<KeyVal, IndexPartition>>,
    pub item_count: u64,
    pub size_bytes: u64,
    /// Set under the write lock by DeleteTable so that writers holding an old handle fail.
    pub deleted: bool,
}

impl TableDef {
    pub fn attr_type(&self, name: &str) -> Option<&str> {
        self.attr_types
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.as_str())
    }

    pub fn index(&self, name: &str) -> Option<(usize, &IndexDef)> {
        self.indexes
            .iter()
            .enumerate()
            .find(|(_, i)| i.name == name)
    }

    /// The CreateTable request that recreates this table (used by the persistence log).
    pub fn to_create_request(&self) -> Value {
        let mut v = json!({
            "TableName": self.name,
            "KeySchema": self.key.to_json(),
            "AttributeDefinitions": self.attr_types.iter()
                .map(|(n, t)| json!({"AttributeName": n, "AttributeType": t})).collect::<Vec<_>>(),
            "CreationDateTimeMs": self.created_ms,
        });
        if self.pay_per_request {
            v["BillingMode"] = json!("PAY_PER_REQUEST");
        } else {
            v["ProvisionedThroughput"] = json!({"ReadCapacityUnits": self.throughput.0, "WriteCapacityUnits": self.throughput.1});
        }
        let idx = |local: bool| -> Vec<Value> {
            self.indexes
                .iter()
                .filter(|i| i.local == local)
                .map(|i| {
                    let mut o = json!({"IndexName": i.name, "KeySchema": i.key.to_json(), "Projection": projection_json(&i.projection)});
                    if let Some((r, w)) = i.throughput {
                        o["ProvisionedThroughput"] = json!({"ReadCapacityUnits": r, "WriteCapacityUnits": w});
                    }
                    o
                })
                .collect()
        };
        if let Some(a) = &self.ttl_attribute {
            v["TimeToLiveSpecification"] = json!({"AttributeName": a, "Enabled": true});
        }
        let (g, l) = (idx(false), idx(true));
        if !g.is_empty() {
            v["GlobalSecondaryIndexes"] = Value::Array(g);
        }
        if !l.is_empty() {
            v["LocalSecondaryIndexes"] = Value::Array(l);
        }
        v
    }

    /// Extracts and checks the primary key of a full item (PutItem, BatchWrite puts).
    pub fn key_of_item(&self, item: &Item) -> Result<PrimaryKey, DynamoError> {
        self.primary_key(item, "One of the required keys was not given a value")
    }

    /// Parses a `Key` parameter: exactly the key attributes with the right types.
    pub fn key_from_param(&self, key: Option<&Value>) -> Result<PrimaryKey, DynamoError> {
        let key = key.ok_or_else(|| {
            DynamoError::validation("1 validation error detected: Value null at 'key' failed to satisfy constraint: Member must not be null")
        })?;
        let item = item_from_json(key)?;
        self.key_from_item_exact(&item)
    }

    pub fn key_from_item_exact(&self, item: &Item) -> Result<PrimaryKey, DynamoError> {
        let wanted = if self.key.range.is_some() { 2 } else { 1 };
        if item.len() != wanted {
            return Err(DynamoError::validation(
                "The number of conditions on the keys is invalid",
            ));
        }
        let mismatch = "The provided key element does not match the schema";
        if !self.key.names().all(|n| item.contains_key(n)) {
            return Err(DynamoError::validation(mismatch));
        }
        self.primary_key(item, mismatch)
    }

    /// The hash and range key values of `item`; `missing` is the message when one is absent.
    fn primary_key(&self, item: &Item, missing: &str) -> Result<PrimaryKey, DynamoError> {
        let h = self.key_value(item, &self.key.hash, missing)?;
        let r = match &self.key.range {
            Some(r) => Some(self.key_value(item, r, missing)?),
            None => None,
        };
        Ok((h, r))
    }

    /// One key attribute of `item`, of its declared type, not empty and within the key size.
    fn key_value(&self, item: &Item, name: &str, missing: &str) -> Result<KeyVal, DynamoError> {
        let v = item
            .get(name)
            .ok_or_else(|| DynamoError::validation(missing))?;
        let expected = self.attr_type(name).unwrap_or("S");
        let kv = KeyVal::from_attr(v)
            .filter(|k| k.type_name() == expected)
            .ok_or_else(|| {
                DynamoError::validation(
                    "One or more parameter values were invalid: Type mismatch for key",
                )
            })?;
        check_not_empty(name, &kv)?;
        check_key_size(&kv, self.key.range.as_deref() == Some(name))?;
        Ok(kv)
    }

    /// Index key of an item, or None when the item lacks an index key attribute (sparse index).
    pub fn index_key_of(
        &self,
        idx: &IndexDef,
        item: &Item,
    ) -> Result<Option<(KeyVal, Option<KeyVal>)>, DynamoError> {
        let get = |name: &str| -> Result<Option<KeyVal>, DynamoError> {
            let Some(v) = item.get(name) else {
                return Ok(None);
            };
            let expected = self.attr_type(name).unwrap_or("S");
            let kv = KeyVal::from_attr(v).filter(|k| k.type_name() == expected).ok_or_else(|| {
                DynamoError::validation(format!(
                    "One or more parameter values were invalid: Type mismatch for Index Key {name} Expected: {expected} Actual: {} IndexName: {}",
                    v.type_name(),
                    idx.name
                ))
            })?;
            if matches!(&kv, KeyVal::S(s) if s.is_empty())
                || matches!(&kv, KeyVal::B(b) if b.is_empty())
            {
                return Err(DynamoError::validation(format!(
                    "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty {} value. IndexName: {}, IndexKey: {name}",
                    if matches!(kv, KeyVal::S(_)) { "string" } else { "binary" },
                    idx.name
                )));
            }
            Ok(Some(kv))
        };
        let Some(h) = get(&idx.key.hash)? else {
            return Ok(None);
        };
        let r = match &idx.key.range {
            Some(r) => match get(r)? {
                Some(v) => Some(v),
                None => return Ok(None),
            },
            None => None,
        };
        Ok(Some((h, r)))
    }

    /// The attributes an index holds for an item.
    pub fn project_for_index(&self, idx: &IndexDef, item: &Item) -> Item {
        match &idx.projection {
            ProjectionKind::All => item.clone(),
            kind => item
                .iter()
                .filter(|(k, _)| {
                    self.key.names().any(|n| n == *k)
                        || idx.key.names().any(|n| n == *k)
                        || matches!(kind, ProjectionKind::Include(a) if a.contains(k))
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }

    pub fn key_item(&self, key: &PrimaryKey) -> Item {
        let mut out = Item::new();
        out.insert(self.key.hash.clone(), key.0.to_attr());
        if let (Some(name), Some(v)) = (&self.key.range, &key.1) {
            out.insert(name.clone(), v.to_attr());
        }
        out
    }
}

/// DynamoDB's limits on a key value: 2,048 bytes for a partition key, 1,024 for a sort key.
pub const MAX_HASH_KEY_BYTES: usize = 2048;
pub const MAX_RANGE_KEY_BYTES: usize = 1024;

fn key_bytes(kv: &KeyVal) -> usize {
    match kv {
        KeyVal::S(s) => s.len(),
        KeyVal::B(b) => b.len(),
        KeyVal::N(n) => n.size(),
    }
}

/// Refuses a table key value over DynamoDB's size limits (`range`: the sort key).
pub fn check_key_size(kv: &KeyVal, range: bool) -> Result<(), DynamoError> {
    let limit = if range {
        MAX_RANGE_KEY_BYTES
    } else {
        MAX_HASH_KEY_BYTES
    };
    if key_bytes(kv) > limit {
        return Err(DynamoError::validation(
            "Hash primary key values must be under 2048 bytes, and range primary key values must be under 1024 bytes",
        ));
    }
    Ok(())
}

fn check_not_empty(name: &str, kv: &KeyVal) -> Result<(), DynamoError> {
    let kind = match kv {
        KeyVal::S(s) if s.is_empty() => "string",
        KeyVal::B(b) if b.is_empty() => "binary",
        _ => return Ok(()),
    };
    Err(DynamoError::validation(format!(
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty {kind} value. Key: {name}"
    )))
}

pub fn projection_json(p: &ProjectionKind) -> Value {
    match p {
        ProjectionKind::All => json!({"ProjectionType": "ALL"}),
        ProjectionKind::KeysOnly => json!({"ProjectionType": "KEYS_ONLY"}),
        ProjectionKind::Include(a) => json!({"ProjectionType": "INCLUDE", "NonKeyAttributes": a}),
    }
}

/// DynamoDB's item size limit.
pub const MAX_ITEM_SIZE: usize = 400 * 1024;

/// TTL leaves alone items whose expiry time is more than five years in the past.
const TTL_MAX_AGE_SECS: f64 = 5.0 * 365.0 * 86_400.0;

/// Whether TTL deletes `item` at `now` (epoch seconds): its TTL attribute is a top-level
/// Number of epoch seconds before `now`, and not more than five years before it. Any other
/// value or type is ignored, as DynamoDB ignores it.
pub fn ttl_expired(item: &Item, attribute: &str, now: i64) -> bool {
    match item.get(attribute) {
        Some(AttrValue::N(n)) => {
            let at = n.to_f64();
            let now = now as f64;
            at < now && now - at <= TTL_MAX_AGE_SECS
        }
        _ => false,
    }
}

impl Table {
    pub fn new(def: TableDef) -> Self {
        let n = def.indexes.len();
        Table {
            def,
            items: BTreeMap::new(),
            index_data: vec![BTreeMap::new(); n],
            item_count: 0,
            size_bytes: 0,
            deleted: false,
        }
    }

    /// Keys of the items TTL deletes at `now` (epoch seconds); empty while TTL is disabled.
    pub fn expired_keys(&self, now: i64) -> Vec<PrimaryKey> {
        let Some(attr) = &self.def.ttl_attribute else {
            return Vec::new();
        };
        self.items
            .iter()
            .flat_map(|(h, part)| part.iter().map(move |(r, item)| (h, r, item)))
            .filter(|(_, _, item)| ttl_expired(item, attr, now))
            .map(|(h, r, _)| (h.clone(), r.clone()))
            .collect()
    }

    /// The epoch second at which the next of this table's items expires (its TTL has not
    /// passed at `now` and would be deleted once it has).
    pub fn next_expiry(&self, now: i64) -> Option<i64> {
        let attr = self.def.ttl_attribute.as_ref()?;
        self.items
            .values()
            .flat_map(|part| part.values())
            .filter_map(|item| match item.get(attr) {
                Some(AttrValue::N(n)) => Some(n.to_f64()),
                _ => None,
            })
            .filter(|at| *at >= now as f64 && at.is_finite())
            // Expired once the clock is past it: the next whole second.
            .map(|at| (at.floor() as i64).saturating_add(1))
            .min()
    }

    /// Replaces the definition (indexes, TTL) and rebuilds the index data from the items.
    pub fn redefine(&mut self, def: TableDef) {
        let items = std::mem::take(&mut self.items);
        *self = Table::new(def);
        for (h, part) in items {
            for (r, item) in part {
                self.put((h.clone(), r), item);
            }
        }
    }

    pub fn get(&self, key: &PrimaryKey) -> Option<&Item> {
        self.items.get(&key.0)?.get(&key.1)
    }

    /// Checks what DynamoDB checks before storing an item: size and index key types.
    pub fn validate_item(&self, item: &Item) -> Result<(), DynamoError> {
        if item_size(item) > MAX_ITEM_SIZE {
            return Err(DynamoError::validation(
                "Item size has exceeded the maximum allowed size",
            ));
        }
        for idx in &self.def.indexes {
            self.def.index_key_of(idx, item)?;
        }
        Ok(())
    }

    /// Stores an item (already validated), maintaining indexes and statistics.
    pub fn put(&mut self, key: PrimaryKey, item: Item) -> Option<Item> {
        let old = self.remove(&key);
        self.size_bytes += item_size(&item) as u64;
        self.item_count += 1;
        for (i, idx) in self.def.indexes.iter().enumerate() {
            if let Ok(Some((h, r))) = self.def.index_key_of(idx, &item) {
                self.index_data[i]
                    .entry(h)
                    .or_default()
                    .entry(r)
                    .or_default()
                    .insert(key.clone());
            }
        }
        self.items.entry(key.0).or_default().insert(key.1, item);
        old
    }

    pub fn remove(&mut self, key: &PrimaryKey) -> Option<Item> {
        let part = self.items.get_mut(&key.0)?;
        let old = part.remove(&key.1)?;
        if part.is_empty() {
            self.items.remove(&key.0);
        }
        self.size_bytes = self.size_bytes.saturating_sub(item_size(&old) as u64);
        self.item_count = self.item_count.saturating_sub(1);
        for (i, idx) in self.def.indexes.iter().enumerate() {
            if let Ok(Some((h, r))) = self.def.index_key_of(idx, &old) {
                if let Some(part) = self.index_data[i].get_mut(&h) {
                    if let Some(set) = part.get_mut(&r) {
                        set.remove(key);
                        if set.is_empty() {
                            part.remove(&r);
                        }
                    }
                    if part.is_empty() {
                        self.index_data[i].remove(&h);
                    }
                }
            }
        }
        Some(old)
    }

    pub fn describe(&self, region: &str, account: &str) -> Value {
        let d = &self.def;
        let arn = format!("arn:aws:dynamodb:{region}:{account}:table/{}", d.name);
        let created = d.created_ms as f64 / 1000.0;
        let mut v = json!({
            "AttributeDefinitions": d.attr_types.iter()
                .map(|(n, t)| json!({"AttributeName": n, "AttributeType": t})).collect::<Vec<_>>(),
            "TableName": d.name,
            "KeySchema": d.key.to_json(),
            "TableStatus": "ACTIVE",
            "CreationDateTime": created,
            "ProvisionedThroughput": {
                "LastIncreaseDateTime": 0.0,
                "LastDecreaseDateTime": 0.0,
                "NumberOfDecreasesToday": 0,
                "ReadCapacityUnits": d.throughput.0,
                "WriteCapacityUnits": d.throughput.1,
            },
            "TableSizeBytes": self.size_bytes,
            "ItemCount": self.item_count,
            "TableArn": arn,
            "DeletionProtectionEnabled": false,
        });
        if d.pay_per_request {
            v["BillingModeSummary"] = json!({"BillingMode": "PAY_PER_REQUEST", "LastUpdateToPayPerRequestDateTime": created});
        }
        let mut globals = Vec::new();
        let mut locals = Vec::new();
        for (i, idx) in d.indexes.iter().enumerate() {
            let (count, size) = self.index_stats(i, idx);
            let mut o = json!({
                "IndexName": idx.name,
                "KeySchema": idx.key.to_json(),
                "Projection": projection_json(&idx.projection),
                "IndexSizeBytes": size,
                "ItemCount": count,
                "IndexArn": format!("{arn}/index/{}", idx.name),
            });
            if idx.local {
                locals.push(o);
            } else {
                o["IndexStatus"] = json!("ACTIVE");
                if let Some((r, w)) = idx.throughput {
                    o["ProvisionedThroughput"] =
                        json!({"ReadCapacityUnits": r, "WriteCapacityUnits": w});
                }
                globals.push(o);
            }
        }
        if !locals.is_empty() {
            v["LocalSecondaryIndexes"] = Value::Array(locals);
        }
        if !globals.is_empty() {
            v["GlobalSecondaryIndexes"] = Value::Array(globals);
        }
        v
    }

    /// Index statistics are computed on demand: DescribeTable is rare, writes are not.
    fn index_stats(&self, i: usize, idx: &IndexDef) -> (u64, u64) {
        let mut count = 0u64;
        let mut size = 0u64;
        for part in self.index_data[i].values() {
            for key in part.values().flatten() {
                if let Some(item) = self.get(key) {
                    count += 1;
                    size += item_size(&self.def.project_for_index(idx, item)) as u64;
                }
            }
        }
        (count, size)
    }
}
