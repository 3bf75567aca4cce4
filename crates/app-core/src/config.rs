//! Configuration comes from a key lookup so the same code reads the process
//! environment in Lambda and a map in the local runtime.

use std::str::FromStr;

/// The key lookup handlers are built from (`|k| std::env::var(k).ok()` in Lambda).
pub type Env = dyn Fn(&str) -> Option<String> + Sync;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("missing required environment variable {0}")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// A required setting; an empty value counts as missing because templates often
/// render unset parameters as "".
pub fn required(env: &Env, name: &'static str) -> Result<String, ConfigError> {
    optional(env, name).ok_or(ConfigError::Missing(name))
}

/// An optional setting; empty means unset.
pub fn optional(env: &Env, name: &str) -> Option<String> {
    env(name)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// An optional setting parsed with `FromStr`, or `default` when unset.
pub fn parsed_or<T>(env: &Env, name: &'static str, default: T) -> Result<T, ConfigError>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    match optional(env, name) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|e: T::Err| ConfigError::Invalid {
            name,
            reason: format!("{v:?}: {e}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(k: &str) -> Option<String> {
        match k {
            "SET" => Some("value".into()),
            "EMPTY" => Some("  ".into()),
            "NUM" => Some("12".into()),
            "BAD" => Some("x".into()),
            _ => None,
        }
    }

    #[test]
    fn lookups() {
        assert_eq!(required(&env, "SET").unwrap(), "value");
        assert_eq!(required(&env, "EMPTY"), Err(ConfigError::Missing("EMPTY")));
        assert_eq!(required(&env, "NONE"), Err(ConfigError::Missing("NONE")));
        assert_eq!(parsed_or(&env, "NUM", 5u32).unwrap(), 12);
        assert_eq!(parsed_or(&env, "NONE", 5u32).unwrap(), 5);
        let err = parsed_or(&env, "BAD", 5u32).unwrap_err();
        assert!(err.to_string().contains("BAD"), "{err}");
    }
}
