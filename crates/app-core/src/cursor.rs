//! The opaque `?next=` cursor of `GET /status`: base64url of the JSON of DynamoDB's
//! `LastEvaluatedKey`, checked against the index it is used with so that a forged or
//! stale cursor is a 400, never an error from DynamoDB.

use crate::domain::JobStatus;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::collections::BTreeMap;

/// Value of `Kind` on every job item (the hash key of `RecentIndex`).
pub const JOB_KIND: &str = "JOB";

/// Which GSI a listing reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobIndex {
    /// `RecentIndex`: every job, newest first.
    Recent,
    /// `StatusIndex`: jobs in one status, newest first.
    Status(JobStatus),
}

impl JobIndex {
    pub fn name(self) -> &'static str {
        match self {
            JobIndex::Recent => "RecentIndex",
            JobIndex::Status(_) => "StatusIndex",
        }
    }

    /// Hash key attribute and the value every query of this index uses.
    pub fn partition(self) -> (&'static str, &'static str) {
        match self {
            JobIndex::Recent => ("Kind", JOB_KIND),
            JobIndex::Status(s) => ("ProcessStatus", s.as_str()),
        }
    }

    /// The attributes of a `LastEvaluatedKey` of this index: table key + index key.
    fn key_attributes(self) -> [&'static str; 3] {
        [self.partition().0, "Id", "LastUpdated"]
    }
}

/// A position in a listing (DynamoDB `ExclusiveStartKey`), all string attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageKey(BTreeMap<String, String>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CursorError {
    #[error("cursor is not base64url")]
    Encoding,
    #[error("cursor does not decode to a key")]
    Shape,
    #[error("cursor does not belong to this listing")]
    WrongIndex,
}

impl PageKey {
    pub fn new(attrs: BTreeMap<String, String>) -> Self {
        Self(attrs)
    }

    pub fn attributes(&self) -> &BTreeMap<String, String> {
        &self.0
    }

    pub fn encode(&self) -> String {
        // A map of strings always serializes.
        let json = serde_json::to_vec(&self.0).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }

    /// Decodes a cursor and checks it has exactly the attributes of `index`, with the
    /// partition value of this very query.
    pub fn decode(cursor: &str, index: JobIndex) -> Result<Self, CursorError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(cursor.trim_end_matches('='))
            .map_err(|_| CursorError::Encoding)?;
        let attrs: BTreeMap<String, String> =
            serde_json::from_slice(&bytes).map_err(|_| CursorError::Shape)?;
        let mut expected = index.key_attributes();
        expected.sort_unstable();
        if !attrs.keys().map(String::as_str).eq(expected) {
            return Err(CursorError::WrongIndex);
        }
        let (pk, value) = index.partition();
        if attrs.get(pk).map(String::as_str) != Some(value) {
            return Err(CursorError::WrongIndex);
        }
        if attrs.values().any(String::is_empty) {
            return Err(CursorError::Shape);
        }
        Ok(Self(attrs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(pairs: &[(&str, &str)]) -> PageKey {
        PageKey::new(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn round_trip_per_index() {
        let recent = key(&[
            ("Id", "a"),
            ("Kind", "JOB"),
            ("LastUpdated", "2026-01-01T00:00:00.000Z"),
        ]);
        assert_eq!(
            PageKey::decode(&recent.encode(), JobIndex::Recent),
            Ok(recent.clone())
        );
        assert_eq!(
            PageKey::decode(&recent.encode(), JobIndex::Status(JobStatus::Started)),
            Err(CursorError::WrongIndex)
        );
        let started = key(&[
            ("Id", "a"),
            ("ProcessStatus", "STARTED"),
            ("LastUpdated", "x"),
        ]);
        let idx = JobIndex::Status(JobStatus::Started);
        assert_eq!(PageKey::decode(&started.encode(), idx), Ok(started.clone()));
        assert_eq!(
            PageKey::decode(&started.encode(), JobIndex::Status(JobStatus::Failed)),
            Err(CursorError::WrongIndex)
        );
    }

    #[test]
    fn refuses_garbage() {
        assert_eq!(
            PageKey::decode("!!!", JobIndex::Recent),
            Err(CursorError::Encoding)
        );
        let not_json = URL_SAFE_NO_PAD.encode("hello");
        assert_eq!(
            PageKey::decode(&not_json, JobIndex::Recent),
            Err(CursorError::Shape)
        );
        let extra = key(&[
            ("Id", "a"),
            ("Kind", "JOB"),
            ("LastUpdated", "x"),
            ("TaskToken", "t"),
        ]);
        assert_eq!(
            PageKey::decode(&extra.encode(), JobIndex::Recent),
            Err(CursorError::WrongIndex)
        );
        let missing = key(&[("Id", "a"), ("Kind", "JOB")]);
        assert_eq!(
            PageKey::decode(&missing.encode(), JobIndex::Recent),
            Err(CursorError::WrongIndex)
        );
        let numbers = URL_SAFE_NO_PAD.encode(r#"{"Id":1,"Kind":"JOB","LastUpdated":"x"}"#);
        assert_eq!(
            PageKey::decode(&numbers, JobIndex::Recent),
            Err(CursorError::Shape)
        );
    }
}
