//! Request reading and the JSON answer shape shared with the other routes
//! (`{"error": "<ShortName>", "message": "..."}` for every 4xx/5xx).

use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayProxyResponse};
use serde_json::Value;

pub use app_core::ApiError;

/// 400 `InvalidField`: the message names the field.
pub fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("InvalidField", message)
}

pub fn json_response(status: u16, body: &Value) -> ApiGatewayProxyResponse {
    app_core::http::json_response(status, body)
}

/// The single value of a query parameter; repeating it is ambiguous, so it is refused.
pub fn query_one<'a>(
    req: &'a ApiGatewayProxyRequest,
    key: &str,
) -> Result<Option<&'a str>, ApiError> {
    let singles = req.query_string_parameters.all(key).unwrap_or_default();
    let multi = req
        .multi_value_query_string_parameters
        .all(key)
        .unwrap_or_default();
    let values = if multi.len() > singles.len() {
        multi
    } else {
        singles
    };
    match values.as_slice() {
        [] => Ok(None),
        [v] => Ok(Some(v)),
        _ => Err(invalid(format!(
            "query parameter `{key}` is given more than once"
        ))),
    }
}

/// Unknown query parameters are refused so a misspelt filter does not silently list everything.
pub fn only_params(req: &ApiGatewayProxyRequest, allowed: &[&str]) -> Result<(), ApiError> {
    let keys = req
        .query_string_parameters
        .iter()
        .chain(req.multi_value_query_string_parameters.iter())
        .map(|(k, _)| k);
    for k in keys {
        if !allowed.contains(&k) {
            let list = if allowed.is_empty() {
                "none".to_string()
            } else {
                allowed.join(", ")
            };
            return Err(ApiError::new(
                400,
                "UnknownField",
                format!("unknown query parameter `{k}` (allowed: {list})"),
            ));
        }
    }
    Ok(())
}

/// Integer query parameter within `range`, with the range in the message.
pub fn query_int(
    req: &ApiGatewayProxyRequest,
    key: &str,
    range: std::ops::RangeInclusive<i64>,
    default: i64,
) -> Result<i64, ApiError> {
    let Some(raw) = query_one(req, key)? else {
        return Ok(default);
    };
    let bad = || {
        invalid(format!(
            "query parameter `{key}` must be an integer from {} to {}",
            range.start(),
            range.end()
        ))
    };
    let n: i64 = raw.trim().parse().map_err(|_| bad())?;
    if range.contains(&n) {
        Ok(n)
    } else {
        Err(bad())
    }
}

pub fn query_bool(req: &ApiGatewayProxyRequest, key: &str) -> Result<bool, ApiError> {
    match query_one(req, key)? {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("true") || v == "1" || v.is_empty() => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") || v == "0" => Ok(false),
        Some(_) => Err(invalid(format!(
            "query parameter `{key}` must be true or false"
        ))),
    }
}

/// A path segment taken from `path`, percent-decoded (API Gateway decodes `pathParameters`
/// itself, this is only the fallback); bytes that are not UTF-8 read as U+FFFD.
pub fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// A JSON document stored as a string (input, output): parsed when it is JSON, kept as text
/// otherwise.
pub fn parse_doc(s: Option<&str>) -> Value {
    match s {
        None => Value::Null,
        Some(t) => serde_json::from_str(t).unwrap_or_else(|_| Value::String(t.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_leaves_what_is_not_an_escape() {
        assert_eq!(percent_decode("bad%20id"), "bad id");
        assert_eq!(percent_decode("caf%C3%A9"), "café");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
        assert_eq!(percent_decode("%FF"), "\u{FFFD}");
    }
}
