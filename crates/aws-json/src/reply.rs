//! The wire form of an outcome: status, JSON body and the headers SDKs read.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::{AwsError, CONTENT_TYPE};

/// The headers a service puts on its replies besides the content type.
#[derive(Debug, Clone, Copy)]
pub struct Reply {
    /// Makes the `x-amzn-RequestId` of each reply; without it replies carry none.
    pub request_id: Option<fn() -> String>,
    /// Whether a failure repeats its `__type` in `x-amzn-ErrorType` (Step Functions does).
    pub error_type_header: bool,
}

impl Reply {
    /// The content type alone: for refusals made in front of the services, by a server
    /// that is none of them.
    pub const PLAIN: Reply = Reply {
        request_id: None,
        error_type_header: false,
    };

    /// A successful operation's output (HTTP 200).
    pub fn ok(&self, output: &Value) -> Response {
        self.response(StatusCode::OK, output, None)
    }

    /// A failure, in the shape the error gives itself.
    pub fn error<E: AwsError + ?Sized>(&self, e: &E) -> Response {
        let error_type = self.error_type_header.then(|| e.type_name());
        self.response(e.status(), &e.body(), error_type)
    }

    fn response(&self, status: StatusCode, body: &Value, error_type: Option<&str>) -> Response {
        let mut resp = (status, body.to_string()).into_response();
        let h = resp.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
        if let Some(id) = self.request_id.and_then(|make| header_value(&make())) {
            h.insert("x-amzn-requestid", id);
        }
        if let Some(t) = error_type.and_then(header_value) {
            h.insert("x-amzn-errortype", t);
        }
        resp
    }
}

/// A header value, or none when the text cannot be one (it then goes unsent).
fn header_value(text: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Nope;

    impl AwsError for Nope {
        fn type_name(&self) -> &str {
            "NopeException"
        }
        fn message(&self) -> String {
            "no".into()
        }
        fn status(&self) -> StatusCode {
            StatusCode::BAD_REQUEST
        }
    }

    fn header<'r>(r: &'r Response, name: &str) -> Option<&'r str> {
        r.headers().get(name).and_then(|v| v.to_str().ok())
    }

    async fn body(r: Response) -> String {
        let bytes = axum::body::to_bytes(r.into_body(), usize::MAX).await;
        String::from_utf8(bytes.unwrap_or_default().to_vec()).unwrap_or_default()
    }

    #[tokio::test]
    async fn a_failure_carries_its_type_in_the_body_and_optionally_a_header() {
        let full = Reply {
            request_id: Some(|| "req-1".to_string()),
            error_type_header: true,
        };
        let r = full.error(&Nope);
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert_eq!(header(&r, "content-type"), Some(CONTENT_TYPE));
        assert_eq!(header(&r, "x-amzn-requestid"), Some("req-1"));
        assert_eq!(header(&r, "x-amzn-errortype"), Some("NopeException"));
        assert_eq!(
            body(r).await,
            r#"{"__type":"NopeException","message":"no"}"#
        );

        let r = Reply::PLAIN.error(&Nope);
        assert_eq!(header(&r, "x-amzn-requestid"), None);
        assert_eq!(header(&r, "x-amzn-errortype"), None);
    }

    #[tokio::test]
    async fn a_success_is_200_with_the_output() {
        let r = Reply::PLAIN.ok(&json!({"a": 1}));
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(header(&r, "content-type"), Some(CONTENT_TYPE));
        assert_eq!(body(r).await, r#"{"a":1}"#);
    }
}
