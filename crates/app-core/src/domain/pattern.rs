use std::fmt;

/// Which orchestration pattern a job runs; stored in `Pattern`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pattern {
    WaitUntil,
    Waitable,
    Callback,
}

impl Pattern {
    pub fn as_str(self) -> &'static str {
        match self {
            Pattern::WaitUntil => "wait-until",
            Pattern::Waitable => "waitable",
            Pattern::Callback => "callback",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Pattern::WaitUntil, Pattern::Waitable, Pattern::Callback]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
