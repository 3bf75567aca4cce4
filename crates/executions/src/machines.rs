//! This stack's three state machines, one per [`Pattern`] (whose name is the route slug that
//! names the machine), and ARN arithmetic.

use app_core::Pattern;

use crate::config::Config;

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
    pub fn machine_arn(&self, m: Pattern) -> &str {
        match m {
            Pattern::Callback => &self.callback_arn,
            Pattern::WaitUntil => &self.wait_until_arn,
            Pattern::Waitable => &self.waitable_arn,
        }
    }

    pub fn machine_of_arn(&self, machine_arn: &str) -> Option<Pattern> {
        Pattern::ALL
            .into_iter()
            .find(|m| self.machine_arn(*m) == machine_arn)
    }

    /// Which of our machines an execution ARN belongs to; `None` for anyone else's execution.
    pub fn machine_of_execution(&self, execution_arn: &str) -> Option<Pattern> {
        Pattern::ALL.into_iter().find(|m| {
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
}
