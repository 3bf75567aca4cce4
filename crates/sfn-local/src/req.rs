//! Reading request members: a wrong JSON type is a `SerializationException` (the body
//! could not be deserialized), a missing required member a `ValidationException`.

use crate::error::SfnError;
use serde_json::Value;

/// An operation's input, known to be a JSON object.
pub struct Req<'a> {
    body: &'a Value,
}

impl<'a> Req<'a> {
    pub fn new(body: &'a Value) -> Result<Req<'a>, SfnError> {
        if !body.is_object() {
            return Err(SfnError::Serialization(
                "Start of structure or map found where not expected".into(),
            ));
        }
        Ok(Req { body })
    }

    pub fn opt_str(&self, member: &str) -> Result<Option<&'a str>, SfnError> {
        match self.opt_value(member) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(SfnError::Serialization(format!(
                "Expected a string for member '{member}'"
            ))),
        }
    }

    pub fn str(&self, member: &str) -> Result<&'a str, SfnError> {
        self.opt_str(member)?.ok_or_else(|| SfnError::null(member))
    }

    /// A string member with AWS's length bounds.
    pub fn bounded(
        &self,
        member: &str,
        min: usize,
        max: usize,
    ) -> Result<Option<&'a str>, SfnError> {
        let Some(s) = self.opt_str(member)? else {
            return Ok(None);
        };
        let n = s.chars().count();
        if n < min {
            return Err(SfnError::constraint(
                &format!("'{}'", shorten(s)),
                member,
                &format!("Member must have length greater than or equal to {min}"),
            ));
        }
        if n > max {
            return Err(SfnError::constraint(
                &format!("'{}'", shorten(s)),
                member,
                &format!("Member must have length less than or equal to {max}"),
            ));
        }
        Ok(Some(s))
    }

    pub fn opt_bool(&self, member: &str) -> Result<Option<bool>, SfnError> {
        match self.opt_value(member) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(SfnError::Serialization(format!(
                "Expected a boolean for member '{member}'"
            ))),
        }
    }

    pub fn opt_i64(&self, member: &str) -> Result<Option<i64>, SfnError> {
        match self.opt_value(member) {
            None => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| {
                SfnError::Serialization(format!("Expected an integer for member '{member}'"))
            }),
            Some(_) => Err(SfnError::Serialization(format!(
                "Expected an integer for member '{member}'"
            ))),
        }
    }

    pub fn opt_value(&self, member: &str) -> Option<&'a Value> {
        aws_json::member(self.body, member)
    }

    /// `maxResults`: 0 (or absent) means the default page size of 100.
    pub fn max_results(&self) -> Result<usize, SfnError> {
        match self.opt_i64("maxResults")? {
            None | Some(0) => Ok(100),
            Some(n) if n < 0 => Err(SfnError::constraint(
                &format!("'{n}'"),
                "maxResults",
                "Member must have value greater than or equal to 0",
            )),
            Some(n) if n > 1000 => Err(SfnError::constraint(
                &format!("'{n}'"),
                "maxResults",
                "Member must have value less than or equal to 1000",
            )),
            Some(n) => Ok(n as usize),
        }
    }
}

/// Long values are cut in messages so an error never echoes a whole payload.
fn shorten(s: &str) -> String {
    if s.chars().count() > 100 {
        let head: String = s.chars().take(100).collect();
        format!("{head}...")
    } else {
        s.to_string()
    }
}
