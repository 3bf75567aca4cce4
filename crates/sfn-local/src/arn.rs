//! ARNs and names as the Step Functions API reference constrains them.

use crate::error::SfnError;
use common::NameError;

/// Checks a state machine or execution name against [`common::check_name`], worded as AWS
/// words it: a length out of bounds is a `ValidationException` on `member`, a forbidden
/// character an `InvalidName`.
pub fn validate_name(name: &str, member: &str) -> Result<(), SfnError> {
    let length_constraint = match common::check_name(name) {
        Ok(()) => return Ok(()),
        Err(NameError::Forbidden) => {
            return Err(SfnError::InvalidName(format!("Invalid Name: '{name}'")))
        }
        Err(NameError::Empty) => "Member must have length greater than or equal to 1",
        Err(NameError::TooLong) => "Member must have length less than or equal to 80",
    };
    Err(SfnError::constraint(
        &format!("'{name}'"),
        member,
        length_constraint,
    ))
}

/// Where this service lives: every ARN it issues or accepts carries these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub region: String,
    pub account_id: String,
}

impl Scope {
    pub fn state_machine_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:states:{}:{}:stateMachine:{name}",
            self.region, self.account_id
        )
    }

    pub fn execution_arn(&self, machine: &str, name: &str) -> String {
        format!(
            "arn:aws:states:{}:{}:execution:{machine}:{name}",
            self.region, self.account_id
        )
    }

    pub fn activity_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:states:{}:{}:activity:{name}",
            self.region, self.account_id
        )
    }

    pub fn express_execution_arn(&self, machine: &str, name: &str) -> String {
        let id = uuid::Uuid::new_v4();
        format!(
            "arn:aws:states:{}:{}:express:{machine}:{name}:{id}",
            self.region, self.account_id
        )
    }
}

/// The parts of a Step Functions ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedArn<'a> {
    pub region: &'a str,
    pub account: &'a str,
    pub resource_type: &'a str,
    /// Everything after the resource type, split on `:`.
    pub rest: Vec<&'a str>,
}

fn invalid(arn: &str, why: &str) -> SfnError {
    SfnError::InvalidArn(format!("Invalid Arn: '{why}: {arn}'"))
}

/// Splits `arn:<partition>:states:<region>:<account>:<type>:...`.
pub fn parse(arn: &str) -> Result<ParsedArn<'_>, SfnError> {
    let parts: Vec<&str> = arn.split(':').collect();
    if parts.len() < 7 || parts[0] != "arn" || !parts[1].starts_with("aws") {
        return Err(invalid(arn, "Resource type not valid in this context"));
    }
    if parts[2] != "states" {
        return Err(invalid(arn, "Service not valid in this context"));
    }
    if parts[3].is_empty() || parts[4].is_empty() {
        return Err(invalid(arn, "Region or account missing"));
    }
    if parts[6..].iter().any(|p| p.is_empty()) {
        return Err(invalid(arn, "Resource name missing"));
    }
    Ok(ParsedArn {
        region: parts[3],
        account: parts[4],
        resource_type: parts[5],
        rest: parts[6..].to_vec(),
    })
}

/// A state machine ARN (no version or alias qualifier): returns the machine name.
pub fn state_machine_name(arn: &str) -> Result<&str, SfnError> {
    let p = parse(arn)?;
    if p.resource_type != "stateMachine" || p.rest.len() != 1 {
        return Err(invalid(arn, "Resource type not valid in this context"));
    }
    Ok(p.rest[0])
}

/// An activity ARN: returns the activity name.
pub fn activity_name(arn: &str) -> Result<&str, SfnError> {
    let p = parse(arn)?;
    if p.resource_type != "activity" || p.rest.len() != 1 {
        return Err(invalid(arn, "Resource type not valid in this context"));
    }
    Ok(p.rest[0])
}

/// An execution ARN (standard or express): returns (machine name, execution name).
pub fn execution_names(arn: &str) -> Result<(&str, &str), SfnError> {
    let p = parse(arn)?;
    match (p.resource_type, p.rest.len()) {
        ("execution", 2) | ("express", 3) => Ok((p.rest[0], p.rest[1])),
        _ => Err(invalid(arn, "Resource type not valid in this context")),
    }
}

/// IAM role ARNs are only checked for shape: nothing here assumes a role.
pub fn validate_role_arn(arn: &str) -> Result<(), SfnError> {
    let parts: Vec<&str> = arn.split(':').collect();
    if arn.len() > 256
        || parts.len() < 6
        || parts[0] != "arn"
        || parts[2] != "iam"
        || parts[5].is_empty()
    {
        return Err(SfnError::InvalidArn(format!("Invalid Role Arn: '{arn}'")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_api_reference() {
        assert!(validate_name("ok-Name_1", "name").is_ok());
        assert!(validate_name("dots.are.fine", "name").is_ok());
        assert_eq!(
            validate_name("a b", "name").map_err(|e| e.type_name()),
            Err("InvalidName")
        );
        assert_eq!(
            validate_name("a:b", "name").map_err(|e| e.type_name()),
            Err("InvalidName")
        );
        assert_eq!(
            validate_name("", "name").map_err(|e| e.type_name()),
            Err("ValidationException")
        );
        let long = "x".repeat(81);
        assert_eq!(
            validate_name(&long, "name").map_err(|e| e.type_name()),
            Err("ValidationException")
        );
        assert!(validate_name(&"x".repeat(80), "name").is_ok());
    }

    #[test]
    fn name_errors_have_the_aws_wording() {
        let message = |name: &str| validate_name(name, "name").unwrap_err().message();
        assert_eq!(
            message(""),
            "1 validation error detected: Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1"
        );
        assert_eq!(
            message(&"x".repeat(81)),
            format!("1 validation error detected: Value '{}' at 'name' failed to satisfy constraint: Member must have length less than or equal to 80", "x".repeat(81))
        );
        assert_eq!(message("a/b"), "Invalid Name: 'a/b'");
    }

    #[test]
    fn arns_are_parsed_strictly() {
        assert_eq!(
            state_machine_name("arn:aws:states:us-east-1:123456789012:stateMachine:M").ok(),
            Some("M")
        );
        assert!(state_machine_name("arn:aws:states:us-east-1:123456789012:execution:M:e").is_err());
        assert!(state_machine_name("not-an-arn").is_err());
        assert!(state_machine_name("arn:aws:lambda:us-east-1:1:function:f").is_err());
        assert_eq!(
            execution_names("arn:aws:states:us-east-1:123456789012:execution:M:e").ok(),
            Some(("M", "e"))
        );
        assert!(execution_names("arn:aws:states:us-east-1:123456789012:stateMachine:M").is_err());
        assert!(validate_role_arn("arn:aws:iam::123456789012:role/x").is_ok());
        assert!(validate_role_arn("role").is_err());
    }
}
