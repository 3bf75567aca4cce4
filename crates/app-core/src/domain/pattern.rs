use std::fmt;

/// Which orchestration pattern a job runs, that is which of the stack's three state
/// machines runs it; stored in `Pattern`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pattern {
    WaitUntil,
    Waitable,
    Callback,
}

impl Pattern {
    /// Every pattern, in the order listings show their machines.
    pub const ALL: [Pattern; 3] = [Pattern::Callback, Pattern::WaitUntil, Pattern::Waitable];

    pub fn as_str(self) -> &'static str {
        match self {
            Pattern::WaitUntil => "wait-until",
            Pattern::Waitable => "waitable",
            Pattern::Callback => "callback",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The environment variable that holds the ARN of this pattern's state machine.
    pub fn state_machine_variable(self) -> &'static str {
        match self {
            Pattern::WaitUntil => "WAIT_UNTIL_STATE_MACHINE_ARN",
            Pattern::Waitable => "WAITABLE_STATE_MACHINE_ARN",
            Pattern::Callback => "CALLBACK_STATE_MACHINE_ARN",
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in Pattern::ALL {
            assert_eq!(Pattern::parse(p.as_str()), Some(p));
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
        }
        assert_eq!(Pattern::parse("Callback"), None);
    }
}
