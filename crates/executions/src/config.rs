//! Settings read through a key lookup, so the local runtime can pass the template's variables.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub jobs_table: String,
    pub callback_arn: String,
    pub wait_until_arn: String,
    pub waitable_arn: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("missing environment variable {0}")]
    Missing(&'static str),
    #[error("{0} is not a state machine ARN")]
    NotAMachineArn(&'static str),
}

impl Config {
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let req = |k: &'static str| {
            get(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .ok_or(ConfigError::Missing(k))
        };
        let arn = |k: &'static str| {
            let v = req(k)?;
            crate::machines::execution_prefix(&v).ok_or(ConfigError::NotAMachineArn(k))?;
            Ok(v)
        };
        Ok(Self {
            jobs_table: req("JOBS_TABLE")?,
            callback_arn: arn("CALLBACK_STATE_MACHINE_ARN")?,
            wait_until_arn: arn("WAIT_UNTIL_STATE_MACHINE_ARN")?,
            waitable_arn: arn("WAITABLE_STATE_MACHINE_ARN")?,
        })
    }
}
