use std::fmt;

/// A Step Functions task token.
///
/// Whoever holds it can complete someone else's task, so it is treated as a secret:
/// `Debug` and `Display` only show a short hash, and the raw value is reachable only
/// through [`TaskToken::expose`], which the SDK adapters call.
#[derive(Clone, PartialEq, Eq)]
pub struct TaskToken(String);

/// Step Functions accepts tokens of 1..=2048 characters.
const MAX_LEN: usize = 2048;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("task token is empty")]
    Empty,
    #[error("task token is longer than {MAX_LEN} characters")]
    TooLong,
}

impl TaskToken {
    pub fn new(raw: impl Into<String>) -> Result<Self, TokenError> {
        let raw = raw.into();
        if raw.trim().is_empty() {
            return Err(TokenError::Empty);
        }
        if raw.len() > MAX_LEN {
            return Err(TokenError::TooLong);
        }
        Ok(Self(raw))
    }

    /// The raw token, for the one place that must send it to AWS.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// First 12 hex digits of the SHA-256 of the token: enough to correlate log lines
    /// with a token someone holds, useless for completing the task.
    pub fn short_hash(&self) -> String {
        common::short_hash(&self.0, 6)
    }
}

impl fmt::Debug for TaskToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TaskToken(sha256:{})", self.short_hash())
    }
}

impl fmt::Display for TaskToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<task token sha256:{}>", self.short_hash())
    }
}

impl<'de> serde::Deserialize<'de> for TaskToken {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        TaskToken::new(raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RAW: &str = "AAAAKgAAAAIAAAAAAAAAAQ-secret-token-value";

    #[test]
    fn debug_and_display_never_show_the_token() {
        let t = TaskToken::new(RAW).unwrap();
        let shown = format!("{t:?} {t} {:?}", Some(&t));
        assert!(!shown.contains(RAW));
        assert!(!shown.contains("secret"));
        assert!(shown.contains(&t.short_hash()));
    }

    #[test]
    fn short_hash_is_first_12_hex_of_sha256() {
        // sha256("abc") = ba7816bf8f01cfea414140de5dae2223...
        assert_eq!(TaskToken::new("abc").unwrap().short_hash(), "ba7816bf8f01");
    }

    #[test]
    fn rejects_empty_and_oversized() {
        assert_eq!(TaskToken::new(" "), Err(TokenError::Empty));
        assert_eq!(TaskToken::new("x".repeat(2049)), Err(TokenError::TooLong));
        assert!(TaskToken::new("x".repeat(2048)).is_ok());
    }
}
