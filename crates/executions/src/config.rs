//! Settings read through a key lookup, so the local runtime can pass the template's variables.

use app_core::config::{required, ConfigError, Env};
use app_core::Pattern;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub jobs_table: String,
    pub callback_arn: String,
    pub wait_until_arn: String,
    pub waitable_arn: String,
}

fn machine_arn(env: &Env, pattern: Pattern) -> Result<String, ConfigError> {
    let name = pattern.state_machine_variable();
    let v = required(env, name)?;
    crate::machines::execution_prefix(&v).ok_or_else(|| ConfigError::Invalid {
        name,
        reason: format!("{v:?} is not a state machine ARN"),
    })?;
    Ok(v)
}

impl Config {
    pub fn from_lookup(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            jobs_table: required(env, "JOBS_TABLE")?,
            callback_arn: machine_arn(env, Pattern::Callback)?,
            wait_until_arn: machine_arn(env, Pattern::WaitUntil)?,
            waitable_arn: machine_arn(env, Pattern::Waitable)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_the_table_and_three_machine_arns() {
        fn full(k: &str) -> Option<String> {
            Some(match k {
                "JOBS_TABLE" => "Jobs".into(),
                _ => format!("arn:aws:states:us-east-1:1:stateMachine:{k}"),
            })
        }
        let cfg = Config::from_lookup(&full).unwrap();
        assert_eq!(cfg.jobs_table, "Jobs");
        assert!(cfg.callback_arn.ends_with("CALLBACK_STATE_MACHINE_ARN"));

        let no_table = |k: &str| if k == "JOBS_TABLE" { None } else { full(k) };
        assert_eq!(
            Config::from_lookup(&no_table),
            Err(ConfigError::Missing("JOBS_TABLE"))
        );
        let bad_arn = |k: &str| {
            if k == "WAITABLE_STATE_MACHINE_ARN" {
                Some("nope".into())
            } else {
                full(k)
            }
        };
        assert!(matches!(
            Config::from_lookup(&bad_arn),
            Err(ConfigError::Invalid {
                name: "WAITABLE_STATE_MACHINE_ARN",
                ..
            })
        ));
    }
}
