use app_core::config::{optional, parsed_or, required};
use app_core::requests::CallbackMode;
use app_core::{ConfigError, Env};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub jobs_table: String,
    pub wait_until_arn: String,
    pub waitable_arn: String,
    pub callback_arn: String,
    pub callback_mode: CallbackMode,
    pub max_ahead_days: u32,
}

impl Config {
    pub fn from_lookup(env: &Env) -> Result<Self, ConfigError> {
        let callback_mode = match optional(env, "CALLBACK_MODE") {
            None => CallbackMode::External,
            Some(v) => v.parse().map_err(|reason| ConfigError::Invalid {
                name: "CALLBACK_MODE",
                reason,
            })?,
        };
        let max_ahead_days = parsed_or(env, "MAX_AHEAD_DAYS", 365u32)?;
        if max_ahead_days == 0 {
            return Err(ConfigError::Invalid {
                name: "MAX_AHEAD_DAYS",
                reason: "must be at least 1".into(),
            });
        }
        Ok(Self {
            jobs_table: required(env, "JOBS_TABLE")?,
            wait_until_arn: required(env, "WAIT_UNTIL_STATE_MACHINE_ARN")?,
            waitable_arn: required(env, "WAITABLE_STATE_MACHINE_ARN")?,
            callback_arn: required(env, "CALLBACK_STATE_MACHINE_ARN")?,
            callback_mode,
            max_ahead_days,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(
        extra: &'static [(&'static str, &'static str)],
    ) -> impl Fn(&str) -> Option<String> + Sync {
        move |k: &str| {
            let base = [
                ("JOBS_TABLE", "Jobs"),
                ("WAIT_UNTIL_STATE_MACHINE_ARN", "arn:wu"),
                ("WAITABLE_STATE_MACHINE_ARN", "arn:w"),
                ("CALLBACK_STATE_MACHINE_ARN", "arn:cb"),
            ];
            extra
                .iter()
                .chain(base.iter())
                .find(|(name, _)| *name == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn defaults_and_overrides() {
        let c = Config::from_lookup(&env(&[])).unwrap();
        assert_eq!(c.callback_mode, CallbackMode::External);
        assert_eq!(c.max_ahead_days, 365);
        let c = Config::from_lookup(&env(&[("CALLBACK_MODE", "auto"), ("MAX_AHEAD_DAYS", "7")]))
            .unwrap();
        assert_eq!(c.callback_mode, CallbackMode::Auto);
        assert_eq!(c.max_ahead_days, 7);
    }

    #[test]
    fn clear_errors() {
        let e = Config::from_lookup(&env(&[("JOBS_TABLE", "")])).unwrap_err();
        assert_eq!(e, ConfigError::Missing("JOBS_TABLE"));
        let e = Config::from_lookup(&env(&[("CALLBACK_MODE", "sometimes")])).unwrap_err();
        assert!(e.to_string().contains("CALLBACK_MODE"), "{e}");
        let e = Config::from_lookup(&env(&[("MAX_AHEAD_DAYS", "lots")])).unwrap_err();
        assert!(e.to_string().contains("MAX_AHEAD_DAYS"), "{e}");
    }
}
