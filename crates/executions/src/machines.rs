//! This stack's three state machines, the route slugs that name them, and ARN arithmetic.

use crate::config::Config;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Machine {
    Callback,
    WaitUntil,
    Waitable,
}

impl Machine {
    pub const ALL: [Machine; 3] = [Machine::Callback, Machine::WaitUntil, Machine::Waitable];

    pub fn slug(self) -> &'static str {
        match self {
            Self::Callback => "callback",
            Self::WaitUntil => "wait-until",
            Self::Waitable => "waitable",
        }
    }

    pub fn from_slug(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.slug() == s)
    }

    /// The existing start route of this machine, whose validation the synchronous start reuses.
    pub fn start_route(self) -> &'static str {
        match self {
            Self::Callback => "/callbacks",
            Self::WaitUntil => "/start",
            Self::Waitable => "/jobs",
        }
    }
}

/// `arn:...:stateMachine:Name` -> `arn:...:execution:Name:<name>`.
pub fn execution_arn(machine_arn: &str, name: &str) -> Option<String> {
    let prefix = execution_prefix(machine_arn)?;
    Some(format!("{prefix}{name}"))
}

/// `arn:...:stateMachine:Name` -> `arn:...:execution:Name:`: every execution ARN of that machine
/// starts with it, which is how an ARN read from a job record is checked to be ours.
pub fn execution_prefix(machine_arn: &str) -> Option<String> {
    let (head, name) = machine_arn.split_once(":stateMachine:")?;
    if name.is_empty() || name.contains(':') || !head.starts_with("arn:") {
        return None;
    }
    Some(format!("{head}:execution:{name}:"))
}

impl Config {
    pub fn machine_arn(&self, m: Machine) -> &str {
        match m {
            Machine::Callback => &self.callback_arn,
            Machine::WaitUntil => &self.wait_until_arn,
            Machine::Waitable => &self.waitable_arn,
        }
    }

    pub fn machine_of_arn(&self, machine_arn: &str) -> Option<Machine> {
        Machine::ALL
            .into_iter()
            .find(|m| self.machine_arn(*m) == machine_arn)
    }

    /// Which of our machines an execution ARN belongs to; `None` for anyone else's execution.
    pub fn machine_of_execution(&self, execution_arn: &str) -> Option<Machine> {
        Machine::ALL.into_iter().find(|m| {
            execution_prefix(self.machine_arn(*m)).is_some_and(|p| {
                execution_arn
                    .strip_prefix(&p)
                    .is_some_and(|rest| !rest.is_empty() && !rest.contains(':'))
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execution_arns_derive_from_machine_arns() {
        let m = "arn:aws:states:us-east-1:123456789012:stateMachine:Callback-abc";
        assert_eq!(
            execution_arn(m, "job-1").as_deref(),
            Some("arn:aws:states:us-east-1:123456789012:execution:Callback-abc:job-1")
        );
        assert_eq!(execution_arn("not-an-arn", "x"), None);
        assert_eq!(execution_arn("arn:aws:states:r:1:stateMachine:", "x"), None);
    }

    #[test]
    fn slugs_round_trip() {
        for m in Machine::ALL {
            assert_eq!(Machine::from_slug(m.slug()), Some(m));
        }
        assert_eq!(Machine::from_slug("Callback"), None);
    }
}
