//! The opaque `?next=` cursor of `GET /status`: where each index partition of a job listing
//! stands.
//!
//! The all-jobs listing is spread over [`crate::schema::LIST_SHARDS`] partitions of
//! `RecentIndex` (hash key `ListShard`), so no single partition takes every job write. A page queries every partition
//! that is not exhausted, in parallel, and merges them newest first (see
//! [`crate::listing`]). The cursor keeps one position per partition: the last item the
//! listing returned from it, or "done". A partition absent from the cursor is read from its
//! top, which is exact: had any of its items been newer than what was returned, the merge
//! would have returned it.

use crate::schema::JobIndex;
use common::cursor::{decode, encode, CodecError};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// DynamoDB's limit on a range key value; a position holding more was never issued.
const MAX_KEY_BYTES: usize = 1024;

/// Names the listing inside a cursor, so that a cursor of one listing is refused by another.
fn tag(index: JobIndex) -> String {
    match index {
        JobIndex::Recent => "RecentIndex".to_owned(),
        JobIndex::Status(s) => format!("StatusIndex:{}", s.as_str()),
    }
}

/// A place in one partition: the index key of the last item returned from it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub last_updated: String,
    pub id: String,
}

/// Where one partition stands in a listing that has begun.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartitionState {
    /// Items after this position are still to come.
    After(Position),
    /// Every item of the partition has been returned.
    Done,
}

/// The state of a listing between pages. Partitions absent from it start at their top.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    index: JobIndex,
    parts: BTreeMap<String, PartitionState>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CursorError {
    #[error("cursor is not base64url")]
    Encoding,
    #[error("cursor does not decode to a listing position")]
    Shape,
    #[error("cursor does not belong to this listing")]
    WrongIndex,
}

impl Cursor {
    /// A listing of `index` that has not begun.
    pub fn start(index: JobIndex) -> Self {
        Self {
            index,
            parts: BTreeMap::new(),
        }
    }

    pub fn index(&self) -> JobIndex {
        self.index
    }

    /// `None`: read from the top. Partitions that are done are never asked about.
    pub fn state(&self, partition: &str) -> Option<&PartitionState> {
        self.parts.get(partition)
    }

    pub fn set(&mut self, partition: &str, state: PartitionState) {
        self.parts.insert(partition.to_owned(), state);
    }

    /// Whether every partition of the index is done (the listing is over).
    pub fn finished(&self) -> bool {
        self.index
            .partitions()
            .iter()
            .all(|p| self.parts.get(p) == Some(&PartitionState::Done))
    }

    pub fn encode(&self) -> String {
        let parts: Map<String, Value> = self
            .parts
            .iter()
            .map(|(p, s)| {
                let v = match s {
                    PartitionState::Done => Value::String("done".into()),
                    PartitionState::After(pos) => serde_json::json!({
                        "Id": pos.id,
                        "LastUpdated": pos.last_updated,
                    }),
                };
                (p.clone(), v)
            })
            .collect();
        encode(&serde_json::json!({"i": tag(self.index), "p": parts}))
    }

    /// Decodes a cursor and checks that it is one this listing could have issued: the
    /// same index and partition value, known partitions only, key values of legal size.
    pub fn decode(cursor: &str, index: JobIndex) -> Result<Self, CursorError> {
        let value: Value = decode(cursor).map_err(|e| match e {
            CodecError::NotBase64 => CursorError::Encoding,
            CodecError::TooLong | CodecError::Content => CursorError::Shape,
        })?;
        let obj = value.as_object().ok_or(CursorError::Shape)?;
        if obj.len() != 2 {
            return Err(CursorError::Shape);
        }
        let tag = obj.get("i").and_then(Value::as_str);
        let parts = obj.get("p").and_then(Value::as_object);
        let (Some(tag), Some(parts)) = (tag, parts) else {
            return Err(CursorError::Shape);
        };
        if tag != self::tag(index) {
            return Err(CursorError::WrongIndex);
        }
        let known = index.partitions();
        let mut out = Self::start(index);
        for (p, v) in parts {
            if !known.contains(p) {
                return Err(CursorError::WrongIndex);
            }
            out.parts.insert(p.clone(), partition_state(v)?);
        }
        if out.parts.is_empty() || out.finished() {
            // Never issued: a listing that has not begun has no cursor, a finished one neither.
            return Err(CursorError::Shape);
        }
        Ok(out)
    }
}

fn partition_state(v: &Value) -> Result<PartitionState, CursorError> {
    if v.as_str() == Some("done") {
        return Ok(PartitionState::Done);
    }
    let obj = v.as_object().ok_or(CursorError::Shape)?;
    let text = |name: &str| {
        obj.get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty() && s.len() <= MAX_KEY_BYTES)
            .map(str::to_owned)
            .ok_or(CursorError::Shape)
    };
    if obj.len() != 2 {
        return Err(CursorError::Shape);
    }
    Ok(PartitionState::After(Position {
        id: text("Id")?,
        last_updated: text("LastUpdated")?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::JobStatus;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use common::cursor::MAX_CURSOR_CHARS;

    fn pos(id: &str, at: &str) -> PartitionState {
        PartitionState::After(Position {
            id: id.into(),
            last_updated: at.into(),
        })
    }

    #[test]
    fn round_trip_per_index() {
        let mut recent = Cursor::start(JobIndex::Recent);
        recent.set("0", pos("a", "2026-01-01T00:00:00.000Z"));
        recent.set("3", PartitionState::Done);
        assert_eq!(
            Cursor::decode(&recent.encode(), JobIndex::Recent),
            Ok(recent.clone())
        );
        assert_eq!(
            Cursor::decode(&recent.encode(), JobIndex::Status(JobStatus::Started)),
            Err(CursorError::WrongIndex)
        );
        let idx = JobIndex::Status(JobStatus::Started);
        let mut started = Cursor::start(idx);
        started.set("STARTED", pos("a", "x"));
        assert_eq!(Cursor::decode(&started.encode(), idx), Ok(started.clone()));
        assert_eq!(
            Cursor::decode(&started.encode(), JobIndex::Status(JobStatus::Failed)),
            Err(CursorError::WrongIndex)
        );
    }

    #[test]
    fn refuses_what_was_never_issued() {
        let enc = |v: Value| URL_SAFE_NO_PAD.encode(v.to_string());
        let recent = JobIndex::Recent;
        assert_eq!(Cursor::decode("!!!", recent), Err(CursorError::Encoding));
        assert_eq!(
            Cursor::decode(&URL_SAFE_NO_PAD.encode("hello"), recent),
            Err(CursorError::Shape)
        );
        let cases = [
            serde_json::json!({"i": "RecentIndex", "p": {}}),
            serde_json::json!({"i": "RecentIndex", "p": {"0": "done", "1": "done", "2": "done", "3": "done"}}),
            serde_json::json!({"i": "RecentIndex", "p": {"0": {"Id": 1, "LastUpdated": "x"}}}),
            serde_json::json!({"i": "RecentIndex", "p": {"0": {"Id": "", "LastUpdated": "x"}}}),
            serde_json::json!({"i": "RecentIndex", "p": {"0": {"Id": "a"}}}),
            serde_json::json!({"i": "RecentIndex", "p": {"0": {"Id": "a", "LastUpdated": "x", "TaskToken": "t"}}}),
            serde_json::json!({"i": "RecentIndex", "p": {"0": {"Id": "a".repeat(2000), "LastUpdated": "x"}}}),
            serde_json::json!({"i": "RecentIndex", "p": {"0": "later"}}),
            serde_json::json!({"i": "RecentIndex", "p": {"0": "done"}, "x": 1}),
            serde_json::json!(["RecentIndex"]),
        ];
        for c in cases {
            assert_eq!(
                Cursor::decode(&enc(c.clone()), recent),
                Err(CursorError::Shape),
                "{c}"
            );
        }
        for c in [
            serde_json::json!({"i": "StatusIndex:STARTED", "p": {"0": "done"}}),
            serde_json::json!({"i": "RecentIndex", "p": {"4": "done"}}),
            serde_json::json!({"i": "RecentIndex", "p": {"STARTED": "done"}}),
        ] {
            assert_eq!(
                Cursor::decode(&enc(c.clone()), recent),
                Err(CursorError::WrongIndex),
                "{c}"
            );
        }
        assert_eq!(
            Cursor::decode(&"A".repeat(MAX_CURSOR_CHARS + 1), recent),
            Err(CursorError::Shape)
        );
    }
}
