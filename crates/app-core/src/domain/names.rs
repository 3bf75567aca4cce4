use std::fmt;

/// Why a name or id was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("must be 1 to 80 characters long")]
    Length,
    #[error("may only contain letters, digits, '-' and '_'")]
    Charset,
    #[error("must not contain whitespace, control characters or any of \" # % \\ ^ | ~ ` $ & , ; : / < > {{ }} [ ] ? *")]
    Forbidden,
}

/// Execution name chosen by our API (Idempotency-Key header, `name` field or a UUID).
///
/// The rule is stricter than Step Functions' own so that the name is also safe as a
/// URL path segment and a DynamoDB key without any escaping.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExecutionName(String);

impl ExecutionName {
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        if raw.is_empty() || raw.len() > 80 {
            return Err(NameError::Length);
        }
        if !raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(NameError::Charset);
        }
        Ok(Self(raw.to_owned()))
    }

    /// A fresh random name, for requests that bring neither a key nor a name.
    pub fn random() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ExecutionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Identifier of a job: the name of the execution that runs it.
///
/// Executions started from the console may use any name Step Functions accepts, so the
/// rule here is Step Functions' rule, not [`ExecutionName`]'s stricter one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId(String);

impl JobId {
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        let chars = raw.chars().count();
        if chars == 0 || chars > 80 {
            return Err(NameError::Length);
        }
        const FORBIDDEN: &str = "\"#%\\^|~`$&,;:/<>{}[]?*";
        if raw
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || FORBIDDEN.contains(c))
        {
            return Err(NameError::Forbidden);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<ExecutionName> for JobId {
    fn from(name: ExecutionName) -> Self {
        Self(name.0)
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for JobId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execution_name_rule() {
        assert!(ExecutionName::parse("order-42_A").is_ok());
        assert_eq!(ExecutionName::parse(""), Err(NameError::Length));
        assert_eq!(
            ExecutionName::parse(&"a".repeat(81)),
            Err(NameError::Length)
        );
        assert!(ExecutionName::parse(&"a".repeat(80)).is_ok());
        assert_eq!(ExecutionName::parse("a b"), Err(NameError::Charset));
        assert_eq!(ExecutionName::parse("a.b"), Err(NameError::Charset));
        assert_eq!(ExecutionName::parse("é"), Err(NameError::Charset));
    }

    #[test]
    fn random_names_are_valid_and_distinct() {
        let a = ExecutionName::random();
        let b = ExecutionName::random();
        assert_ne!(a, b);
        assert!(ExecutionName::parse(a.as_str()).is_ok());
    }

    #[test]
    fn job_id_follows_step_functions_rule() {
        assert!(JobId::parse("console.run-1").is_ok());
        assert!(JobId::parse("café").is_ok());
        assert_eq!(JobId::parse("a/b"), Err(NameError::Forbidden));
        assert_eq!(JobId::parse("a b"), Err(NameError::Forbidden));
        assert_eq!(JobId::parse(""), Err(NameError::Length));
        assert_eq!(JobId::parse(&"é".repeat(81)), Err(NameError::Length));
    }
}
