//! Settings read through a key lookup, so the local runtime can pass the template's variables.

use app_core::config::{optional, required, ConfigError, Env};
use app_core::Pattern;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub jobs_table: String,
    /// Empty or absent: no notifications.
    pub notify_topic_arn: Option<String>,
    /// (state machine ARN, its pattern) for each machine of this stack that is configured.
    pub machines: Vec<(String, Pattern)>,
    /// `JOB_RETENTION_DAYS` (1 to 36,500); absent: finished jobs are kept.
    pub retention_days: Option<u32>,
}

impl Config {
    pub fn from_lookup(env: &Env) -> Result<Self, ConfigError> {
        let jobs_table = required(env, "JOBS_TABLE")?;
        let machines = Pattern::ALL
            .into_iter()
            .filter_map(|p| optional(env, p.state_machine_variable()).map(|arn| (arn, p)))
            .collect();
        let retention_days = optional(env, "JOB_RETENTION_DAYS")
            .map(|v| match v.parse::<u32>() {
                Ok(n @ 1..=36_500) => Ok(n),
                _ => Err(ConfigError::Invalid {
                    name: "JOB_RETENTION_DAYS",
                    reason: format!("{v:?}: must be a whole number of days from 1 to 36500"),
                }),
            })
            .transpose()?;
        Ok(Self {
            jobs_table,
            notify_topic_arn: optional(env, "NOTIFY_TOPIC_ARN"),
            machines,
            retention_days,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_and_machines_are_optional() {
        fn env(k: &str) -> Option<String> {
            match k {
                "JOBS_TABLE" => Some("Jobs".into()),
                "NOTIFY_TOPIC_ARN" => Some(" ".into()),
                "WAITABLE_STATE_MACHINE_ARN" => Some("arn:w".into()),
                _ => None,
            }
        }
        let cfg = Config::from_lookup(&env).unwrap();
        assert_eq!(cfg.notify_topic_arn, None, "blank means off");
        assert_eq!(cfg.machines, vec![("arn:w".to_string(), Pattern::Waitable)]);
        assert_eq!(cfg.retention_days, None);
        let days = |v: &'static str| {
            Config::from_lookup(&move |k: &str| match k {
                "JOBS_TABLE" => Some("Jobs".into()),
                "JOB_RETENTION_DAYS" => Some(v.into()),
                _ => None,
            })
            .map(|c| c.retention_days)
        };
        assert_eq!(days("90"), Ok(Some(90)));
        for bad in ["0", "-1", "ninety", "36501"] {
            assert!(
                matches!(
                    days(bad),
                    Err(ConfigError::Invalid {
                        name: "JOB_RETENTION_DAYS",
                        ..
                    })
                ),
                "{bad}"
            );
        }
        assert_eq!(
            Config::from_lookup(&|_: &str| None),
            Err(ConfigError::Missing("JOBS_TABLE"))
        );
    }
}
