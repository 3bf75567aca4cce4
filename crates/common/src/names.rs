//! The Step Functions rule for state machine and execution names (API reference,
//! `StartExecution` `name`): 1 to 80 characters, none of them whitespace, a control
//! character, a bracket, a wildcard or listed punctuation.

/// Why a name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("must be at least 1 character long")]
    Empty,
    #[error("must be at most 80 characters long")]
    TooLong,
    #[error("must not contain whitespace, control characters or any of \" # % \\ ^ | ~ ` $ & , ; : / < > {{ }} [ ] ? *")]
    Forbidden,
}

/// Longest name, in characters.
pub const MAX_NAME_CHARS: usize = 80;

/// Characters the API reference forbids in names, besides whitespace and control characters.
pub const FORBIDDEN: &str = "\"#%\\^|~`$&,;:/<>{}[]?*";

/// Checks `name` against Step Functions' rule.
pub fn check_name(name: &str) -> Result<(), NameError> {
    let chars = name.chars().count();
    if chars == 0 {
        return Err(NameError::Empty);
    }
    if chars > MAX_NAME_CHARS {
        return Err(NameError::TooLong);
    }
    if name
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || FORBIDDEN.contains(c))
    {
        return Err(NameError::Forbidden);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_step_functions_rule() {
        assert_eq!(check_name("order-42_A.b"), Ok(()));
        assert_eq!(check_name(&"é".repeat(80)), Ok(()));
        assert_eq!(check_name(""), Err(NameError::Empty));
        assert_eq!(check_name(&"a".repeat(81)), Err(NameError::TooLong));
        for bad in ["a b", "a\tb", "a\u{7}b", "a/b", "a*", "{x}", "a:b", "a\"b"] {
            assert_eq!(check_name(bad), Err(NameError::Forbidden), "{bad:?}");
        }
    }
}
