use app_core::requests::RequestError;
use serde_json::Value;

/// Step Functions' limits for SendTaskFailure.
pub const MAX_ERROR: usize = 256;
pub const MAX_CAUSE: usize = 32768;

/// Body of `POST /jobs/{id}/failure`: both fields optional.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FailureBody {
    pub error: Option<String>,
    pub cause: Option<String>,
}

fn text(
    map: &serde_json::Map<String, Value>,
    name: &str,
    max: usize,
) -> Result<Option<String>, RequestError> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() > max => Err(RequestError::invalid(
            name,
            format!("must be at most {max} characters"),
        )),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(RequestError::invalid(name, "must be a string")),
    }
}

impl FailureBody {
    pub fn parse(body: Option<Value>) -> Result<Self, RequestError> {
        let map = match body {
            None => return Ok(Self::default()),
            Some(Value::Object(map)) => map,
            Some(_) => {
                return Err(RequestError::InvalidJson(
                    "body must be a JSON object {\"error\", \"cause\"}".into(),
                ))
            }
        };
        if let Some(k) = map
            .keys()
            .find(|k| !["error", "cause"].contains(&k.as_str()))
        {
            return Err(RequestError::UnknownField(k.clone()));
        }
        Ok(Self {
            error: text(&map, "error", MAX_ERROR)?,
            cause: text(&map, "cause", MAX_CAUSE)?,
        })
    }
}
